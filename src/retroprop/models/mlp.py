"""``mlp``: a multilayer perceptron f_L ∘ ... ∘ f_1 with f_l(x) = φ(W_l x + b_l) (Berzal)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from retroprop.nn.activation import get_activation
from retroprop.nn.container import Sequential
from retroprop.nn.dropout import Dropout
from retroprop.nn.linear import Linear
from retroprop.nn.module import Module
from retroprop.optim.optimizer import check_count


def mlp(sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0,
        input_dropout: float = 0.0, init: Any = None, dtype: Any = None) -> Sequential:
    """A fully connected network with layer sizes ``sizes`` = (inputs, hidden..., outputs).

    Each hidden layer is Linear → activation (→ Dropout(dropout)); the last
    layer is Linear alone (logits, for ``CrossEntropyLoss``).

    Parameters
    ----------
    sizes : sequence of int
        At least two: the input and output sizes (Python or NumPy integers).
    activation : str, default "relu"
    dropout : float, default 0
        Drop probability after each hidden activation (0.5 in Berzal).
    input_dropout : float, default 0
        Drop probability of the inputs (smaller, e.g. 0.2, Berzal).
    init : str or initializer, optional
        Default: He normal for ReLU-like activations, LeCun uniform otherwise.

    Examples
    --------
    >>> import retroprop as rp
    >>> rp.models.mlp([784, 256, 128, 10])[0].weight.shape
    (256, 784)
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp: sizes must be at least two positive integers, got {sizes}")
    for size in sizes:
        check_count(size, f"mlp: every size in {sizes}")
    sizes = [int(size) for size in sizes]
    if init is None:
        init = "he_normal" if activation in ("relu", "leaky_relu", "elu") else "lecun_uniform"
    layers: list[Module] = [Dropout(input_dropout)] if input_dropout else []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(fan_in, fan_out, init=init, dtype=dtype))
        if index < len(sizes) - 2:
            layers.append(get_activation(activation))
            if dropout:
                layers.append(Dropout(dropout))
    return Sequential(*layers)
