"""Ready-made models of the lectures."""

from retroprop.models.lenet import lenet5
from retroprop.models.mlp import mlp
from retroprop.models.neurons import LinearNeuron, LogisticNeuron
from retroprop.models.perceptron import McCullochPitts, Perceptron

__all__ = ["LinearNeuron", "LogisticNeuron", "McCullochPitts", "Perceptron", "lenet5", "mlp"]
