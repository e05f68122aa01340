"""The network behind the estimators: f_L ∘ … ∘ f_1 with hidden layers
Linear → [BatchNorm1d] → activation → [Dropout] (Berzal, "Backpropagation")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from retroprop.nn.activation import get_activation
from retroprop.nn.container import Sequential
from retroprop.nn.dropout import Dropout
from retroprop.nn.linear import Linear
from retroprop.nn.module import Module
from retroprop.nn.normalization import BatchNorm1d
from retroprop.nn.regularized import regularize

#: scikit-learn's activation names and ours.
ACTIVATION_NAMES = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh",
                    "relu": "relu"}


def build_network(n_inputs: int, hidden: Sequence[int], n_outputs: int, activation: str,
                  dropout: float, batch_norm: bool, init: Any, l1: float, l2: float,
                  max_norm: float | None, dtype: Any = None) -> Sequential:
    """A fully connected network with the estimators' options; the last layer is linear
    (logits or regression outputs)."""
    name = ACTIVATION_NAMES.get(activation, activation)
    if init is None:
        init = "he_normal" if name in ("relu", "leaky_relu", "elu") else "glorot_uniform"
    layers: list[Module] = []
    fan_in = n_inputs
    for units in hidden:
        layers.append(Linear(fan_in, units, init=init, dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm1d(units, dtype=dtype))
        layers.append(get_activation(name))
        if dropout:
            layers.append(Dropout(dropout))
        fan_in = units
    layers.append(Linear(fan_in, n_outputs, init=init, dtype=dtype))
    return regularize(Sequential(*layers), l1=l1, l2=l2, max_norm=max_norm)
