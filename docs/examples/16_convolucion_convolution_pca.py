"""Experimento / Experiment — Convolución y PCA / Convolution and PCA (seed 001).

ES: Una convolución con pesos compartidos hecha a mano frente a la de retroprop, y la
compresión de imágenes de dígitos con PCA: cuántas componentes hacen falta para
reconocerlas.
EN: A hand-made convolution with shared weights against retroprop's, and the compression
of digit images by PCA: how many components it takes to recognize them.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())
print(rp.experiments.convolution().table())

# ES: reconstrucciones con 2, 5, 10, 20 y 40 componentes.
# EN: reconstructions with 2, 5, 10, 20 and 40 components.
result = rp.experiments.pca_compression()
print(result.table())
pictures = folder / "pca-compression.png"
result.plot(pictures)
