"""Experimento / Experiment — Invarianza / Invariance (Berzal, Granada).

ES: Cuatro redes aprenden los dígitos 8×8 y se prueban con los dígitos de prueba
desplazados y girados: un perceptrón multicapa, la misma red entrenada con un conjunto de
entrenamiento ampliado con versiones desplazadas y giradas de los ejemplos (invarianza por
entrenamiento, como la "deep, dumb net" de Ciresan et al., 2010), una red convolutiva con
pesos compartidos y "pooling" (invarianza por estructura, como LeNet-5) y un perceptrón
multicapa sobre características extraídas a mano, el módulo de la transformada de Fourier
2-D de cada dígito, que un desplazamiento sin recorte de tinta deja igual (invarianza por
extracción de características). Al crecer el desplazamiento, las tres últimas pierden
mucho menos acierto que la primera; las características no protegen de los giros, que
giran el espectro (unos minutos).
EN: Four networks learn the 8×8 digits and are tested on shifted and rotated test digits:
a multilayer perceptron, the same network trained on a training set enlarged with shifted
and rotated versions of the examples (invariance by training, as Ciresan et al.'s 2010
"deep, dumb net"), a convolutional network with shared weights and pooling (invariance by
structure, as LeNet-5) and a multilayer perceptron on features extracted by hand, the
magnitude of each digit's 2-D Fourier transform, which a shift that crops no ink leaves
unchanged (invariance by feature extraction). As the shift grows, the last three lose far
less accuracy than the first; the features are no defence against rotations, which rotate
the spectrum (a few minutes).
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

# ES: invarianza por extracción de características: un píxel a la izquierda (la primera
# columna del dígito está vacía: no se pierde tinta) no cambia ``|F|``, y los píxeles sí.
# EN: invariance by feature extraction: one pixel left (the digit's first column is empty:
# no ink is lost) leaves ``|F|`` as it was, and the pixels do change.
digit = X_test[:1].reshape(1, 8, 8)
left = np.roll(digit, -1, axis=2)
print("pixels equal:", np.allclose(left, digit), "| |F| equal:",
      np.allclose(rp.data.fourier_magnitude(left), rp.data.fourier_magnitude(digit),
                  atol=1e-5))
