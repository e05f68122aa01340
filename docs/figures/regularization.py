import matplotlib.pyplot as plt

import retroprop as rp

(X, y), _ = rp.datasets.load_digits()
X = rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM)[:400]
y = y[:400]
plt.figure(figsize=(6, 3.5))
for name, dropout, l2 in [("none", 0.0, 0.0), ("dropout 0.5", 0.5, 0.0), ("L2", 0.0, 3e-3)]:
    rp.manual_seed(0)
    model = rp.nn.regularize(rp.models.mlp([64, 256, 10], dropout=dropout), l2=l2)
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    history = trainer.fit(X, y, epochs=30, batch_size=32, validation_split=0.5, verbose=0)
    plt.plot(history.history["val_loss"], label=name)
plt.xlabel("epoch"), plt.ylabel("validation loss"), plt.legend()
