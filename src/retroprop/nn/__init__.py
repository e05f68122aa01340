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
from retroprop.nn.container import Flatten, ModuleDict, ModuleList, Residual, Sequential
from retroprop.nn.conv import Conv2d
from retroprop.nn.dropout import Dropout, scale_for_inference
from retroprop.nn.linear import Linear
from retroprop.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    QuadraticLoss,
    SmoothL1Loss,
)
from retroprop.nn.module import Module
from retroprop.nn.monte_carlo import predict_mc
from retroprop.nn.multitask import MultiTask, MultiTaskLoss
from retroprop.nn.noise import GaussianNoise, StochasticBinary
from retroprop.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from retroprop.nn.parameter import Parameter
from retroprop.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from retroprop.nn.recurrent import RNN
from retroprop.nn.regularized import WeightLayer, regularize
from retroprop.nn.summary import count_params, summary

__all__ = [
    "ELU",
    "RNN",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GaussianNoise",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LeCunTanh",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiTask",
    "MultiTaskLoss",
    "NLLLoss",
    "Parameter",
    "QuadraticLoss",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Sign",
    "SmoothL1Loss",
    "Softmax",
    "Step",
    "StochasticBinary",
    "Tanh",
    "TanhLinear",
    "WeightLayer",
    "constraints",
    "count_params",
    "functional",
    "get_activation",
    "init",
    "predict_mc",
    "regularize",
    "scale_for_inference",
    "summary",
    "utils",
]
