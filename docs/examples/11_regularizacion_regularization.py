"""Experimento / Experiment — Regularización / Regularization (seeds 001, 003).

ES: Cada regularizador sobre pocas imágenes de Fashion-MNIST (300 imágenes y 10 épocas
aquí; la versión completa usa 1000 y 60): L2, L1, norma máxima, ruido, dropout.
EN: Each regularizer on few Fashion-MNIST images (300 images and 10 epochs here; the full
version uses 1000 and 60): L2, L1, max-norm, noise, dropout.
"""

import tempfile
from pathlib import Path

import retroprop as rp

result = rp.experiments.regularization(n=300, epochs=10)
print(result.table())
picture = Path(tempfile.mkdtemp()) / "regularization.png"
result.plot(picture)
