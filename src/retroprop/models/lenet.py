"""LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998; Berzal, "Invarianza")."""

from __future__ import annotations

from typing import Any

from retroprop.nn.activation import get_activation
from retroprop.nn.container import Flatten, Sequential
from retroprop.nn.conv import Conv2d
from retroprop.nn.linear import Linear
from retroprop.nn.pooling import AvgPool2d, MaxPool2d


def lenet5(num_classes: int = 10, activation: str = "tanh", pooling: str = "avg",
           in_channels: int = 1, dtype: Any = None) -> Sequential:
    """LeNet-5 for 28×28 images (padding 2 on the first convolution gives the original
    32×32 geometry):

        C1 conv 6@5×5 (pad 2) → 28×28, S2 pool 2 → 14×14,
        C3 conv 16@5×5 → 10×10, S4 pool 2 → 5×5,
        C5 full 400 → 120, F6 120 → 84, output 84 → ``num_classes`` (logits).

    The 1998 network used trainable subsampling, a partial C1-C3 connection table and
    RBF outputs; this is the usual modern reading (full connections, average or max
    pooling, linear outputs for a softmax cross-entropy).

    Parameters
    ----------
    activation : "tanh" (default, as the paper) or "relu", or any activation name
    pooling : "avg" (default) or "max"
    """
    if pooling not in ("avg", "max"):
        raise ValueError(f"lenet5: pooling must be 'avg' or 'max', got {pooling!r}")
    pool = AvgPool2d if pooling == "avg" else MaxPool2d
    init = "he_normal" if activation in ("relu", "leaky_relu", "elu") else "lecun_uniform"
    return Sequential(
        Conv2d(in_channels, 6, 5, padding=2, init=init, dtype=dtype), get_activation(activation),
        pool(2),
        Conv2d(6, 16, 5, init=init, dtype=dtype), get_activation(activation), pool(2),
        Flatten(),
        Linear(16 * 5 * 5, 120, init=init, dtype=dtype), get_activation(activation),
        Linear(120, 84, init=init, dtype=dtype), get_activation(activation),
        Linear(84, num_classes, dtype=dtype),
    )
