"""Experimento / Experiment — Detalles de la optimización / Optimization details (seed 001).

ES: Cuatro diapositivas de la clase, comprobadas: rprop no funciona con mini-lotes; la
velocidad del momento en un plano inclinado; los pasos de segundo orden en una función
cuadrática; y por qué normalizar las entradas acelera el descenso por el gradiente.
EN: Four of the lecture's slides, checked: rprop does not work with mini-batches; the
momentum's velocity on an inclined plane; second-order steps on a quadratic; and why
normalizing the inputs speeds up gradient descent.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())
print(rp.experiments.rprop_mini_batches().table())

# ES: el momento en un plano inclinado.
# EN: momentum on an inclined plane.
result = rp.experiments.momentum_velocity()
print(result.table())
velocity = folder / "momentum-velocity.png"
result.plot(velocity)

# ES: Newton y sus parientes en una función cuadrática.
# EN: Newton and its relatives on a quadratic.
print(rp.experiments.quadratic_steps().table())

# ES: entradas sin normalizar y normalizadas.
# EN: raw and normalized inputs.
result = rp.experiments.input_normalization()
print(result.table())
normalization = folder / "input-normalization.png"
result.plot(normalization)
