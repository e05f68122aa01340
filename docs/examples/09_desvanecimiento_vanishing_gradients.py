"""Experimento / Experiment — Desvanecimiento del gradiente /
Vanishing gradients (seeds 000, 003, 004).

ES: El experimento de Nielsen en versión corta (300 imágenes, 10 épocas; la clase usa
1000 imágenes y 500 épocas): el gradiente de la primera capa cae con cada capa sigmoide
añadida; ReLU con He, las conexiones residuales y el recorte lo remedian.
EN: Nielsen's experiment, short (300 images, 10 epochs; the lecture uses 1000 images and
500 epochs): the first layer's gradient falls with every sigmoid layer added; ReLU with
He, residual connections and clipping remedy it.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())
result = rp.experiments.vanishing_gradients(epochs=10, n=300)
print(result.table())
gradients = folder / "vanishing-gradients.png"
result.plot(gradients)

# ES: una red sigmoide profunda sin y con normalización por lotes.
# EN: a deep sigmoid network without and with batch normalization.
result = rp.experiments.batch_norm(epochs=2)
print(result.table())
normalized = folder / "batch-norm.png"
result.plot(normalized)
