import matplotlib.pyplot as plt
import numpy as np

import retroprop as rp
from retroprop import nn

z = np.linspace(-4, 4, 201)
figure, (values, slopes) = plt.subplots(1, 2, figsize=(10, 3.5))
for activation in [nn.Sigmoid(), nn.Tanh(), nn.LeCunTanh(), nn.ReLU(), nn.LeakyReLU(0.1),
                   nn.ELU(1.0)]:
    x = rp.Tensor(z, requires_grad=True, dtype=np.float64)
    y = activation(x)
    y.sum().backward()                                 # x.grad = φ'(z)
    values.plot(z, y.data, label=type(activation).__name__)
    slopes.plot(z, x.grad)
values.set_title("φ(z)"), slopes.set_title("φ'(z), by backward()")
values.legend(fontsize=8)
