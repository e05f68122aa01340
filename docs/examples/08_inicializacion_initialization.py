"""Experimento / Experiment — Inicialización / Initialization (seeds 002, 003).

ES: La varianza de las activaciones y de los gradientes a través de diez capas tanh y
ReLU con N(0, 0.01), N(0, 1), LeCun, Glorot y He: Var[y] = n σ_w² σ_x².
EN: The variance of activations and gradients through ten tanh and ReLU layers under
N(0, 0.01), N(0, 1), LeCun, Glorot and He: Var[y] = n σ_w² σ_x².
"""

import tempfile
from pathlib import Path

import retroprop as rp

result = rp.experiments.initialization()
print(result.table())
picture = Path(tempfile.mkdtemp()) / "initialization.png"
result.plot(picture)
