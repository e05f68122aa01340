import matplotlib.pyplot as plt
import numpy as np

import retroprop as rp

figure, (parabola, valley) = plt.subplots(1, 2, figsize=(10, 3.8))
# Tobón & Aguirre: f(x) = (x - 4)² + 3 from x0 = 7; a rate too small, right, too big.
for lr in (0.05, 0.6, 1.05):
    path = rp.optim.minimize(lambda x: ((x - 4) ** 2 + 3).sum(), [7.0], lr=lr, steps=8).path
    parabola.plot([float(p[0]) for p in path], marker="o", label=f"η = {lr}")
parabola.axhline(4, color="grey", linestyle=":")
parabola.set(xlabel="step", ylabel="x", title="(x - 4)² + 3"), parabola.legend()


def rosenbrock(x):
    return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).sum()


a, b = np.meshgrid(np.linspace(-1.5, 1.5, 200), np.linspace(-0.5, 1.5, 200))
valley.contour(a, b, (1 - a) ** 2 + 100 * (b - a**2) ** 2, levels=np.logspace(-1, 3, 12),
               colors="lightgrey")
for method, options in [("sgd", {"lr": 0.001, "momentum": 0.9}), ("rprop", {"lr": 0.01})]:
    path = np.array(rp.optim.minimize(rosenbrock, [-1.2, 1.0], method=method, steps=1500,
                                      **options).path)
    valley.plot(path[:, 0], path[:, 1], label=method)
valley.plot([1], [1], "k*"), valley.set_title("Rosenbrock's valley"), valley.legend()
