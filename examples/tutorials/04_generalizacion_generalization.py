"""Tutorial 4 — Generalización / Generalization (seeds 001, 003).

ES: Con pocos datos la red memoriza; la parada temprana, el dropout y la penalización L2
reducen el error en datos nuevos.
EN: With little data the network memorizes; early stopping, dropout and the L2 penalty
lower the error on new data.

    python examples/tutorials/04_generalizacion_generalization.py [--quick]
"""

import sys

import retroprop as rp

quick = "--quick" in sys.argv
(X, y), (X_test, y_test) = rp.datasets.load_digits()
X = rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM)[:300]
y = y[:300]
X_test = rp.datasets.scale(X_test.reshape(len(X_test), -1), rp.datasets.DIGITS_MAXIMUM)

for name, options in {"none": {}, "dropout": {"dropout": 0.5}, "l2": {"l2": 1e-2}}.items():
    rp.manual_seed(0)
    model = rp.nn.regularize(rp.models.mlp([64, 256, 10], dropout=options.get("dropout", 0)),
                             l2=options.get("l2", 0.0))
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    trainer.fit(X, y, epochs=10 if quick else 100, batch_size=32, verbose=0 if quick else 1)
    print(f"{name:>8}: test accuracy {trainer.evaluate(X_test, y_test)['accuracy']:.3f}")
