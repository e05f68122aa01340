import matplotlib.pyplot as plt

import retroprop as rp

(X, y), (X_test, y_test) = rp.datasets.load_digits()
X, X_test = (rp.datasets.scale(a.reshape(len(a), -1), rp.datasets.DIGITS_MAXIMUM)
             for a in (X, X_test))
rp.manual_seed(0)
model = rp.models.mlp([64, 128, 10])
trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(),
                     rp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                  nesterov=True), metrics=["accuracy"])
stop = rp.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
history = trainer.fit(X, y, epochs=40, batch_size=64, validation_split=0.2, verbose=0,
                      callbacks=[stop])
print(trainer.evaluate(X_test, y_test))
plt.figure(figsize=(6, 3.5))
plt.plot(history.history["loss"], label="training loss")
plt.plot(history.history["val_loss"], label="validation loss")
plt.xlabel("epoch"), plt.legend()
