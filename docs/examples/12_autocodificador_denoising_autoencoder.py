"""Experimento / Experiment — Autocodificador con ruido / Denoising autoencoder (seed 001).

ES: Un autocodificador 64 → 32 → 64 sobre los dígitos 8×8, normal y con ruido (un 30 % de
los píxeles de entrada a cero): el segundo reconstruye mejor los dígitos corrompidos. Es
el dropout en la capa de entrada del que habla la clase (10 épocas aquí; 40 en la versión
completa).
EN: A 64 → 32 → 64 autoencoder on the 8×8 digits, plain and denoising (30% of the input
pixels set to zero): the second rebuilds corrupted digits better. It is the dropout on the
input layer that the lecture mentions (10 epochs here; 40 in the full version).
"""

import tempfile
from pathlib import Path

import retroprop as rp

result = rp.experiments.denoising_autoencoder(epochs=10)
print(result.table())
picture = Path(tempfile.mkdtemp()) / "denoising-autoencoder.png"
result.plot(picture)
