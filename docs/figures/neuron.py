import matplotlib.pyplot as plt
import numpy as np

import retroprop as rp

# The cafeteria of Berzal's lecture: the true prices are 150, 50 and 100; the linear
# neuron starts from 50 each and learns them from the bills by the delta rule.
prices = np.array([150.0, 50.0, 100.0])
neuron = rp.models.LinearNeuron([50.0, 50.0, 50.0])
rng = np.random.default_rng(0)
weights = [np.array(neuron.weights, dtype=float)]
for _ in range(80):
    portions = rng.integers(1, 5, size=3).astype(float)
    neuron.step(portions, portions @ prices, eta=1 / 35)   # w += η (t - y) x
    weights.append(np.array(neuron.weights, dtype=float))

plt.figure(figsize=(6, 3.5))
plt.plot(np.array(weights), label=["fish", "chips", "ketchup"])
plt.hlines(prices, 0, len(weights) - 1, colors="grey", linestyles=":")
plt.xlabel("bill"), plt.ylabel("estimated price"), plt.legend()
