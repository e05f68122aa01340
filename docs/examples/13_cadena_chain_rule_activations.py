"""Experimento / Experiment — La regla de la cadena y las activaciones /
The chain rule and the activations (seeds 004, 000).

ES: La derivada de h(x) = f(g(x)) con f(x) = x² y g(x) = ln(x) + 4, calculada por
retropropagación y comparada con la fórmula de la clase; después, las activaciones y sus
derivadas: dónde se saturan.
EN: The derivative of h(x) = f(g(x)) with f(x) = x² and g(x) = ln(x) + 4, computed by
backpropagation and compared with the lecture's formula; then the activations and their
derivatives: where they saturate.
"""

import tempfile
from pathlib import Path

import retroprop as rp

folder = Path(tempfile.mkdtemp())
print(rp.experiments.chain_rule().table())

# ES: cada activación y su derivada.
# EN: each activation and its derivative.
result = rp.experiments.activations()
print(result.table())
curves = folder / "activations.png"
result.plot(curves)
