import matplotlib.pyplot as plt
import numpy as np

import retroprop as rp

# A logistic neuron and its squared error; backward() gives dE/dw by the chain rule.
x = rp.Tensor([1.0, 2.0], dtype=np.float64)
b = rp.Tensor([0.1], dtype=np.float64)


def error(w):
    return (((w @ x + b).sigmoid() - 1.0) ** 2).sum()


w = rp.Tensor([[0.5, -0.3]], requires_grad=True, dtype=np.float64)
error(w).backward()
slope = w.grad[0, 0]                                   # dE/dw1 at w1 = 0.5
print("dE/dw =", w.grad, " gradcheck:", rp.gradcheck(error, [w]))

grid = np.linspace(-2, 3, 101)
with rp.no_grad():
    curve = [error(rp.Tensor([[v, -0.3]], dtype=np.float64)).item() for v in grid]
plt.figure(figsize=(6, 3.5))
plt.plot(grid, curve, label="E(w1)")
e0 = error(w).item()
plt.plot(grid, e0 + slope * (grid - 0.5), "--", label="tangent from backward()")
plt.ylim(0, 1), plt.xlabel("w1"), plt.legend()
