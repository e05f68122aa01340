"""Experimento / Experiment — Caminos de los optimizadores / Optimizer paths (seed 001).

ES: Cada optimizador sobre un cuenco alargado, un punto de silla y el valle de
Rosenbrock; y por qué perturbar los pesos al azar es demasiado lento comparado con el
gradiente.
EN: Every optimizer on a long bowl, a saddle and Rosenbrock's valley; and why perturbing
the weights at random is too slow compared with the gradient.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())
result = rp.experiments.optimizer_paths(steps=100)
print(result.table())
paths = folder / "optimizer-paths.png"
result.plot(paths)

# ES: perturbación de pesos frente a retropropagación.
# EN: weight perturbation against backpropagation.
result = rp.experiments.weight_perturbation(epochs=100)
print(result.table())
perturbation = folder / "weight-perturbation.png"
result.plot(perturbation)
