"""Tutorial 3 — Optimización / Optimization (seeds 001, 004).

ES: Descenso por el gradiente en f(x) = (x - 4)² + 3 con tasas demasiado pequeña,
adecuada y demasiado grande; luego momento, rprop, L-BFGS y Newton en la función de
Rosenbrock.
EN: Gradient descent on f(x) = (x - 4)² + 3 with a rate too small, right and too big;
then momentum, rprop, L-BFGS and Newton on Rosenbrock's function.

    python examples/tutorials/03_optimizacion_optimization.py
"""

import retroprop as rp


def parabola(x):
    return ((x - 4) ** 2 + 3).sum()


for lr in (0.05, 0.6, 1.05):
    path = rp.optim.minimize(parabola, [7.0], lr=lr, steps=5).path
    print(f"η = {lr}: " + ", ".join(f"{float(p[0]):.4g}" for p in path))


def rosenbrock(x):
    return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).sum()


for method, options, steps in [("sgd", {"lr": 0.001, "momentum": 0.9}, 2000),
                               ("rprop", {"lr": 0.01}, 2000), ("lbfgs", {"max_iter": 100}, 1),
                               ("newton", {"hessian": "exact", "max_iter": 30}, 1)]:
    result = rp.optim.minimize(rosenbrock, [-1.2, 1.0], method=method, steps=steps, **options)
    print(f"{method:>6}: x = {result.x.round(5)}, f = {result.fun:.3g}")
