"""Experimento / Experiment — Descenso por el gradiente / Gradient descent (seed 004).

ES: El ejemplo de la clase: f(x) = (x - 4)² + 3 desde x0 = 7 con η = 0.6 da 3.4, 4.12,
3.976, 4.0048. Después, una red entrenada con una tasa demasiado pequeña, adecuada y
demasiado grande.
EN: The lecture's example: f(x) = (x - 4)² + 3 from x0 = 7 with η = 0.6 gives 3.4, 4.12,
3.976, 4.0048. Then a network trained with a rate too small, right and too big.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())

# ES: los cuatro pasos de la clase.
# EN: the lecture's four steps.
result = rp.experiments.gradient_descent()
print(result.table())
parabola = folder / "gradient-descent.png"
result.plot(parabola)

# ES: tres tasas sobre los dígitos (cinco épocas para que la documentación se construya
# rápido; ``retroprop experiment learning-rate`` entrena veinte).
# EN: three rates on the digits (five epochs so that the documentation builds fast;
# ``retroprop experiment learning-rate`` trains twenty).
result = rp.experiments.learning_rate(epochs=5)
print(result.table())
rates = folder / "learning-rate.png"
result.plot(rates)
