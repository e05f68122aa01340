"""Experimento / Experiment — El perceptrón y la regla delta /
The perceptron and the delta rule (seed 001).

ES: El perceptrón converge en AND y OR y nunca en XOR ni EQ, que no son linealmente
separables. La neurona lineal aprende los precios de la cafetería con la regla delta.
EN: The perceptron converges on AND and OR and never on XOR or EQ, which are not linearly
separable. The linear neuron learns the cafeteria's prices by the delta rule.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())

# ES: el algoritmo de convergencia del perceptrón en las cuatro funciones lógicas.
# EN: the perceptron convergence algorithm on the four logical functions.
result = rp.experiments.perceptron()
print(result.table())

# ES: la cafetería: la estimación 500 pasa a 880 (residuo -30), y luego los precios.
# EN: the cafeteria: the estimate 500 becomes 880 (residual -30), then the prices.
result = rp.experiments.delta_rule()
print(result.table())
prices = folder / "delta-rule.png"
result.plot(prices)
