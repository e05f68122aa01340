"""Experimento / Experiment — Inicialización / Initialization (Moreno, Zacatecas; Fuentes
Pineda, UNAM).

ES: La varianza de las activaciones y del error δ a través de diez capas tanh y ReLU con
N(0, 0.01) (se desvanecen), N(0, 1) (tanh se satura, ReLU explota), LeCun, Glorot y He
(mantienen la varianza): Var[y] = n σ_w² σ_x².
EN: The variance of the activations and of the error δ through ten tanh and ReLU layers
under N(0, 0.01) (they vanish), N(0, 1) (tanh saturates, ReLU explodes), LeCun, Glorot and
He (they keep the variance): Var[y] = n σ_w² σ_x².
"""

import tempfile
from pathlib import Path

import retroprop as rp

result = rp.experiments.initialization()
print(result.table())
picture = Path(tempfile.mkdtemp()) / "initialization.png"
result.plot(picture)
