"""Tutorial 3 — Optimización / Optimization (Berzal, "Backpropagation", Granada;
Tobón & Aguirre, UNAL Manizales).

ES: Descenso por el gradiente en f(x) = (x - 4)² + 3 con tasas demasiado pequeña,
adecuada y demasiado grande; luego momento, rprop, L-BFGS, BFGS y Newton (tal como lo
escribe la lección, y amortiguado) en la función de Rosenbrock.
EN: Gradient descent on f(x) = (x - 4)² + 3 with a rate too small, right and too big;
then momentum, rprop, L-BFGS, BFGS and Newton (plain, as the lecture writes it, and
damped) on Rosenbrock's function.

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
                               ("bfgs", {"max_iter": 100}, 1)]:
    result = rp.optim.minimize(rosenbrock, [-1.2, 1.0], method=method, steps=steps, **options)
    print(f"{method:>6}: x = {result.x.round(5)}, f = {result.fun:.3g}")

# ES: Newton tal como lo escribe Berzal, Δw = -η H⁻¹ ∂E/∂w sin amortiguar ni rechazar pasos:
#     converge en 6 iteraciones (cuadráticamente cerca del mínimo), aunque la segunda sube
#     a f = 1.4e3: sin rechazo, nada garantiza el descenso. La versión amortiguada
#     (por defecto, más segura lejos del mínimo) necesita muchas más.
# EN: Newton as Berzal writes it, Δw = -η H⁻¹ ∂E/∂w with no damping and no rejection:
#     it converges in 6 iterations (quadratically near the minimum), though the second
#     climbs to f = 1.4e3: without rejection nothing guarantees descent. The damped default,
#     safer far from the minimum, needs many more.
for iterations in range(1, 7):
    result = rp.optim.minimize(rosenbrock, [-1.2, 1.0], method="newton", steps=1,
                               hessian="exact", plain=True, max_iter=iterations)
    print(f"newton (plain), {iterations} iterations: x = {result.x.round(6)}, "
          f"f = {result.fun:.3g}")
for iterations in (30, 100):
    result = rp.optim.minimize(rosenbrock, [-1.2, 1.0], method="newton", steps=1,
                               hessian="exact", max_iter=iterations)
    print(f"newton (damped), {iterations} iterations: x = {result.x.round(6)}, "
          f"f = {result.fun:.3g}")
