"""Experimento / Experiment — Ajuste bayesiano / Bayesian fitting (Berzal, Granada).

ES: Una sola arquitectura y las predicciones de muchos vectores de pesos: SGLD (descenso
de gradiente estocástico con ruido de Langevin) recorre la distribución a posteriori de los
pesos, y la media de sus distribuciones predictivas se compara con cada vector por separado
y con el vector de pesos que da SGD (unos segundos).
EN: One architecture and the predictions of many weight vectors: SGLD (stochastic gradient
descent with Langevin noise) walks through the posterior distribution of the weights, and
the mean of their predictive distributions is compared with each vector alone and with the
weight vector that SGD gives (a few seconds).
"""

import tempfile
from pathlib import Path

import retroprop as rp

result = rp.experiments.bayesian_fitting()
print(result.table())
picture = Path(tempfile.mkdtemp()) / "bayesian-fitting.png"
result.plot(picture)

# ES: lo mismo a mano: SGLD y la retrollamada PosteriorSamples sobre los dígitos.
# EN: the same by hand: SGLD and the PosteriorSamples callback on the digits.
(X, y), (X_test, y_test) = rp.datasets.load_digits()
X = rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM)
X_test = rp.datasets.scale(X_test.reshape(len(X_test), -1), rp.datasets.DIGITS_MAXIMUM)
rp.manual_seed(0)
model = rp.models.mlp([64, 128, 10], activation="tanh")
sgld = rp.optim.SGLD(model.parameters(), lr=0.8 / len(X), num_examples=len(X),
                     weight_decay=1.0)
samples = rp.callbacks.PosteriorSamples(burn_in=30, every=2)
rp.Trainer(model, rp.nn.CrossEntropyLoss(), sgld).fit(X, y, epochs=60, callbacks=[samples],
                                                      verbose=0)
accuracy = (samples.predict(model, X_test) == y_test).mean()
print(f"{len(samples)} weight vectors, test accuracy of their average: {accuracy:.3f}")
