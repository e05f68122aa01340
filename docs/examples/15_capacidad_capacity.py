"""Experimento / Experiment — Capacidad y sobreajuste / Capacity and overfitting (seeds 001, 000).

ES: Ajustes polinómicos de grado 1, 3 y 9 a diez puntos (infraajuste y sobreajuste);
redes de anchura creciente sobre el mismo problema; y la media geométrica de dos modelos,
como en el promedio de modelos del dropout.
EN: Polynomial fits of degree 1, 3 and 9 to ten points (underfitting and overfitting);
networks of growing width on the same problem; and the geometric mean of two models, as
in dropout's model averaging.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())
result = rp.experiments.polynomial_fit()
print(result.table())
fits = folder / "polynomial-fit.png"
result.plot(fits)

# ES: la capacidad de la red según su anchura.
# EN: the network's capacity as its width grows.
result = rp.experiments.network_capacity()
print(result.table())
capacity = folder / "network-capacity.png"
result.plot(capacity)

# ES: media aritmética y geométrica de dos predicciones.
# EN: arithmetic and geometric mean of two predictions.
print(rp.experiments.geometric_mean().table())
