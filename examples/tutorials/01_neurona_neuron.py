"""Tutorial 1 — La neurona / The neuron (seed 001).

ES: El perceptrón de Rosenblatt aprende cualquier problema linealmente separable y nunca
se asienta en XOR; la neurona lineal aprende por la regla delta (el ejemplo de la
cafetería).
EN: Rosenblatt's perceptron learns any linearly separable problem and never settles on
XOR; the linear neuron learns by the delta rule (the cafeteria example).

    python examples/tutorials/01_neurona_neuron.py
"""

import numpy as np

import retroprop as rp

# ES: las cuatro entradas binarias; d = +1 / -1 son las dos clases.
# EN: the four binary inputs; d = +1 / -1 are the two classes.
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
for name, d in {"AND": [-1, -1, -1, 1], "XOR": [-1, 1, 1, -1]}.items():
    perceptron = rp.models.Perceptron(max_epochs=20).fit(X, np.array(d))
    print(f"{name}: {perceptron.result_.message}; w = {perceptron.weights_}")

# ES: precios reales 150, 50, 100; porciones 2, 5, 3; empezamos en 50; η = 1/35.
# EN: true prices 150, 50, 100; portions 2, 5, 3; start at 50; η = 1/35.
neuron = rp.models.LinearNeuron([50.0, 50.0, 50.0])
before = neuron.step([2, 5, 3], 850, eta=1 / 35)
print(f"estimate {before[0]:.0f} -> {neuron.predict([2, 5, 3])[0]:.0f}, "
      f"new weights {neuron.weights}")
