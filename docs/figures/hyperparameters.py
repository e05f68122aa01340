import matplotlib.pyplot as plt
import numpy as np

import retroprop as rp

# Random search: learning rates drawn log-uniformly, each judged on a validation set.
(X, y), _ = rp.datasets.load_digits()
X = rp.datasets.scale(X.reshape(len(X), -1), rp.datasets.DIGITS_MAXIMUM)[:500]
y = y[:500]
rng = np.random.default_rng(0)
rates, scores = 10 ** rng.uniform(-3.5, 0.5, size=10), []
for lr in rates:
    rp.manual_seed(0)
    model = rp.models.mlp([64, 64, 10], activation="tanh")
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                         rp.optim.SGD(model.parameters(), lr=float(lr)), metrics=["accuracy"])
    history = trainer.fit(X, y, epochs=8, batch_size=32, validation_split=0.3, verbose=0)
    scores.append(history.history["val_accuracy"][-1])
plt.figure(figsize=(6, 3.5))
plt.semilogx(rates, scores, "o")
plt.xlabel("learning rate η"), plt.ylabel("validation accuracy")
print(f"best η = {rates[int(np.argmax(scores))]:.3g}")
