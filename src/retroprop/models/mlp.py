"""``mlp``: a multilayer perceptron f_L ∘ ... ∘ f_1 with f_l(x) = φ(W_l x + b_l) (Berzal)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from typing import Any

from retroprop.checks import check_count
from retroprop.nn.activation import ELU, LeakyReLU, ReLU, get_activation
from retroprop.nn.container import Sequential
from retroprop.nn.dropout import Dropout
from retroprop.nn.linear import Linear
from retroprop.nn.module import Module


def activation_layer(activation: str | Module) -> Module:
    """A new activation layer: from its name (any case, ``-`` or ``_``), or a copy of the
    given module, so that no two layers share one (each hidden layer has its own, as
    when the network is written layer by layer)."""
    layer = get_activation(activation)
    return copy.deepcopy(layer) if layer is activation else layer


def default_init(activation: str | Module) -> str:
    """He normal before rectifiers (ReLU, leaky ReLU, ELU: Var[W] = 2/fan_in), LeCun
    uniform otherwise (Var[W] = 1/fan_in; Fuentes Pineda)."""
    rectifier = isinstance(get_activation(activation), ReLU | LeakyReLU | ELU)
    return "he_normal" if rectifier else "lecun_uniform"


def mlp(sizes: Sequence[int], activation: str | Module = "relu", dropout: float = 0.0,
        input_dropout: float = 0.0, init: Any = None, dtype: Any = None) -> Sequential:
    """A fully connected network with layer sizes ``sizes`` = (inputs, hidden..., outputs).

    Each hidden layer is Linear → activation (→ Dropout(dropout)); the last
    layer is Linear alone (logits, for ``CrossEntropyLoss``).

    Parameters
    ----------
    sizes : sequence of int
        At least two: the input and output sizes (Python or NumPy integers).
    activation : str or Module, default "relu"
        A name (``"relu"``, ``"ReLU"``, ``"leaky-relu"``) or a layer, copied for each
        hidden layer.
    dropout : float, default 0
        Drop probability after each hidden activation (0.5 in Berzal).
    input_dropout : float, default 0
        Drop probability of the inputs (smaller, e.g. 0.2, Berzal).
    init : str or initializer, optional
        Default: :func:`default_init`, He normal for ReLU, leaky ReLU and ELU, LeCun
        uniform otherwise, with zero biases (the lectures' choice, not ``Linear``'s
        PyTorch default; ``init="pytorch"`` gives that one).

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
        init = default_init(activation)
    layers: list[Module] = [Dropout(input_dropout)] if input_dropout else []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(fan_in, fan_out, init=init, dtype=dtype))
        if index < len(sizes) - 2:
            layers.append(activation_layer(activation))
            if dropout:
                layers.append(Dropout(dropout))
    return Sequential(*layers)
