"""Experimento / Experiment — Descenso por el gradiente / Gradient descent (Tobón & Aguirre,
"Redes Neuronales Artificiales", UNAL Manizales).

ES: El ejemplo de la clase: f(x) = (x - 4)² + 3 desde x0 = 7 con η = 0.6 da 3.4, 4.12,
3.976, 4.0048. Después, una red tanh entrenada por lotes completos con una tasa demasiado
pequeña (avanza despacio), adecuada y demasiado grande (la pérdida sube y oscila).
EN: The lecture's example: f(x) = (x - 4)² + 3 from x0 = 7 with η = 0.6 gives 3.4, 4.12,
3.976, 4.0048. Then a tanh network trained with full-batch steps at a rate too small
(slow progress), right, and too big (the loss rises and swings).
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

# ES: tres tasas sobre los dígitos (treinta pasos para que la documentación se construya
# rápido; ``retroprop experiment learning-rate`` da cien).
# EN: three rates on the digits (thirty steps so that the documentation builds fast;
# ``retroprop experiment learning-rate`` takes a hundred).
result = rp.experiments.learning_rate(epochs=30)
print(result.table())
rates = folder / "learning-rate.png"
result.plot(rates)
