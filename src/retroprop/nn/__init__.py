"""Modules: layers, activations, losses, initializers."""

from retroprop.nn import constraints, functional, init, utils
from retroprop.nn.activation import (
    ELU,
    Identity,
    LeakyReLU,
    LeCunTanh,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Sign,
    Softmax,
    Step,
    Tanh,
    TanhLinear,
    get_activation,
)
from retroprop.nn.container import Flatten, Residual, Sequential
from retroprop.nn.dropout import Dropout
from retroprop.nn.linear import Linear
from retroprop.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from retroprop.nn.module import Module
from retroprop.nn.parameter import Parameter
from retroprop.nn.regularized import WeightLayer, regularize

__all__ = [
    "ELU",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "LeCunTanh",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Sign",
    "Softmax",
    "Step",
    "Tanh",
    "TanhLinear",
    "WeightLayer",
    "constraints",
    "functional",
    "get_activation",
    "init",
    "regularize",
    "utils",
]
