import itertools

import matplotlib.pyplot as plt
import numpy as np

import retroprop as rp
from retroprop import nn

# ‖dL/dz‖ at each Linear layer of the page's two networks (six hidden layers of 32, He's
# initialization, seed 0), recorded by a full backward pre-hook: it sees grad_output
# alone, so the data need no gradient.
(images, labels), _ = rp.datasets.load_digits()
X = rp.datasets.scale(images.reshape(len(images), 64), rp.datasets.DIGITS_MAXIMUM)
norms = {}


def record(module, grad_output):
    norms[module] = np.linalg.norm(grad_output[0])


plt.figure(figsize=(6, 3.5))
for activation in (nn.Sigmoid, nn.ReLU):
    rp.manual_seed(0)
    hidden = [module for n_in, n_out in itertools.pairwise([64] + [32] * 6)
              for module in (nn.Linear(n_in, n_out, init="he_uniform"), activation())]
    model = nn.Sequential(*hidden, nn.Linear(32, 10, init="he_uniform"))
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    handles = [layer.register_full_backward_pre_hook(record) for layer in linears]
    nn.CrossEntropyLoss()(model(X), labels).backward()
    for handle in handles:
        handle.remove()
    plt.semilogy(range(1, 8), [norms[layer] for layer in linears], "o-",
                 label=activation.__name__)
plt.xlabel("Linear layer (1 = input side)"), plt.ylabel("‖dL/dz‖")
plt.legend()
plt.tight_layout()
