"""Experimento / Experiment — Regularización / Regularization (Berzal, Granada; Fuentes
Pineda, UNAM).

ES: Cada regularizador sobre 100 dígitos y 300 épocas (unos segundos): L2, L1, norma
máxima, ruido, parada temprana y dropout, este último sobre una red ReLU ancha, donde
reduce el error (dropout necesita entrenar más: con pocas épocas no ayuda todavía).
EN: Each regularizer on 100 digits and 300 epochs (a few seconds): L2, L1, max-norm, noise,
early stopping and dropout, the last on a wide ReLU network, where it lowers the error
(dropout needs longer training: after a few epochs it does not help yet).
"""

import tempfile
from pathlib import Path

import retroprop as rp

result = rp.experiments.regularization()
print(result.table())
picture = Path(tempfile.mkdtemp()) / "regularization.png"
result.plot(picture)
