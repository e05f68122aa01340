"""Experimento / Experiment — Invarianza / Invariance (Berzal, Granada).

ES: Tres redes aprenden los dígitos 8×8 y se prueban con los dígitos de prueba desplazados
y girados: un perceptrón multicapa, la misma red entrenada con un conjunto de
entrenamiento ampliado con versiones desplazadas y giradas de los ejemplos (invarianza por
entrenamiento, como la "deep, dumb net" de Ciresan et al., 2010) y una red convolutiva con
pesos compartidos y "pooling" (invarianza por estructura, como LeNet-5). Al crecer el
desplazamiento, las dos últimas pierden mucho menos acierto que la primera (unos segundos).
EN: Three networks learn the 8×8 digits and are tested on shifted and rotated test
digits: a multilayer perceptron, the same network trained on a training set enlarged with
shifted and rotated versions of the examples (invariance by training, as Ciresan et al.'s
2010 "deep, dumb net") and a convolutional network with shared weights and pooling
(invariance by structure, as LeNet-5). As the shift grows, the last two lose far less
accuracy than the first (a few seconds).
"""

import tempfile
from pathlib import Path

import numpy as np

import retroprop as rp

result = rp.experiments.invariance()
print(result.table())
picture = Path(tempfile.mkdtemp()) / "invariance.png"
result.plot(picture)

# ES: lo mismo a mano: Trainer.fit(augment=...) distorsiona cada lote de nuevo en cada época.
# EN: the same by hand: Trainer.fit(augment=...) distorts every batch anew in every epoch.
(X, y), (X_test, y_test) = rp.datasets.load_digits()
X, X_test = (rp.datasets.scale(a, rp.datasets.DIGITS_MAXIMUM).reshape(len(a), 64)
             for a in (X, X_test))
distort = rp.data.augment.Compose(rp.data.augment.RandomShift(1.0),
                                  rp.data.augment.RandomRotation(15.0))
for augment in (None, distort):
    rp.manual_seed(0)
    model = rp.models.mlp([64, 256, 10])
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                         rp.optim.Adam(model.parameters(), lr=0.003))
    trainer.fit(X, y, epochs=30, verbose=0, augment=augment)
    # ES: los dígitos de prueba, un píxel a la derecha.  EN: the test digits, one pixel right.
    moved = np.roll(X_test.reshape(-1, 8, 8), 1, axis=2)
    moved[:, :, 0] = 0
    accuracy = trainer.evaluate(moved.reshape(len(X_test), -1), y_test)["accuracy"]
    print(f"augment={'distortions' if augment else None}: shifted test accuracy "
          f"{accuracy:.3f}")
