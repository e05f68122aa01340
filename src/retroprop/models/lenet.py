"""LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998; Berzal, "Invarianza")."""

from __future__ import annotations

from typing import Any

from retroprop.checks import check_count
from retroprop.models.mlp import activation_layer, default_init
from retroprop.nn.container import Flatten, Sequential
from retroprop.nn.conv import Conv2d
from retroprop.nn.linear import Linear
from retroprop.nn.module import Module
from retroprop.nn.pooling import AvgPool2d, MaxPool2d

#: Padding of the first convolution for each image side it takes: both give C1 28×28.
PADDING = {28: 2, 32: 0}


def lenet5(num_classes: int = 10, activation: str | Module = "tanh", pooling: str = "avg",
           in_channels: int = 1, dtype: Any = None, image_size: int = 28) -> Sequential:
    """LeNet-5 for 28×28 images (padding 2 on the first convolution gives the original
    32×32 geometry) or, with ``image_size=32``, for the 32×32 images of LeCun et al.
    (MNIST padded with 2 zeros on each side; CIFAR-10 with ``in_channels=3``):

        C1 conv 6@5×5 → 28×28, S2 pool 2 → 14×14,
        C3 conv 16@5×5 → 10×10, S4 pool 2 → 5×5,
        C5 full 400 → 120, F6 120 → 84, output 84 → ``num_classes`` (logits).

    The 1998 network used trainable subsampling, a partial C1-C3 connection table and
    RBF outputs; this is the usual modern reading (full connections, average or max
    pooling, linear outputs for a softmax cross-entropy).

    Parameters
    ----------
    num_classes, in_channels : int (Python or NumPy)
    activation : "tanh" (default, as the paper) or "relu", or any activation name or layer
    pooling : "avg" (default) or "max"
    image_size : 28 (default) or 32
        The side of the square input images.

    Weights follow :func:`~retroprop.models.mlp.default_init` (He normal before
    rectifiers, LeCun uniform otherwise), the linear output layer LeCun uniform, all
    with zero biases.
    """
    check_count(num_classes, "lenet5: num_classes")
    check_count(in_channels, "lenet5: in_channels")
    if pooling not in ("avg", "max"):
        raise ValueError(f"lenet5: pooling must be 'avg' or 'max', got {pooling!r}")
    check_count(image_size, "lenet5: image_size")
    if image_size not in PADDING:
        raise ValueError(f"lenet5: image_size must be 28 or 32 (the side of the images), got "
                         f"{image_size!r}")
    pool = AvgPool2d if pooling == "avg" else MaxPool2d
    init = default_init(activation)
    return Sequential(
        Conv2d(int(in_channels), 6, 5, padding=PADDING[int(image_size)], init=init,
               dtype=dtype),
        activation_layer(activation), pool(2),
        Conv2d(6, 16, 5, init=init, dtype=dtype), activation_layer(activation), pool(2),
        Flatten(),
        Linear(16 * 5 * 5, 120, init=init, dtype=dtype), activation_layer(activation),
        Linear(120, 84, init=init, dtype=dtype), activation_layer(activation),
        Linear(84, int(num_classes), init="lecun_uniform", dtype=dtype),
    )
