"""Tutorial 5 — Invarianza / Invariance (seed 001).

ES: Una convolución comparte sus pesos en todas las posiciones: su gradiente es la suma de
los gradientes de sus copias. LeNet-5 aprovecha esa invarianza a traslaciones.
EN: A convolution shares its weights across positions: its gradient is the sum of the
gradients of its copies. LeNet-5 builds on that translation invariance.

    python examples/tutorials/05_invarianza_invariance.py [--quick]
"""

import sys

import numpy as np

import retroprop as rp

conv = rp.nn.Conv2d(1, 1, kernel_size=1, bias=False, dtype=np.float64)
x = rp.Tensor(np.array([[[[1.0, 2.0, 3.0]]]]), dtype=np.float64)
conv(x).sum().backward()
print(f"one weight, three copies: dL/dw = {conv.weight.grad.item()} = 1 + 2 + 3")

quick = "--quick" in sys.argv
(X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist()
n = 2000 if quick else 60000
images = lambda a: rp.datasets.scale(a)[:, None]  # noqa: E731
rp.manual_seed(0)
model = rp.models.lenet5(activation="relu", pooling="max")
trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                     rp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
trainer.fit(images(X[:n]), y[:n], epochs=1 if quick else 5, batch_size=128,
            verbose=0 if quick else 1)
print(f"LeNet-5 test accuracy: {trainer.evaluate(images(X_test), y_test)['accuracy']:.3f}")
