"""``Conv2d``: a convolutional layer, local receptive fields with shared weights (Berzal,
"Backpropagation" (Granada), "Invarianza"; Moreno, "Redes neuronales profundas:
introducción" (Zacatecas))."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.nn import init as initializers
from retroprop.nn.constraints import Constraint
from retroprop.nn.regularized import WeightLayer
from retroprop.ops.conv import Conv2d as Conv2dOp
from retroprop.ops.conv import conv2d_infer, output_size
from retroprop.tensor.tensor import Tensor

Pair = int | tuple[int, int]


def pair(value: Pair, name: str, where: str, minimum: int = 1) -> tuple[int, int]:
    """(h, w) from an int or a pair, each at least ``minimum``."""
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2 or any(not isinstance(v, int) or v < minimum for v in values):
        raise ValueError(f"{where}: {name} must be an integer >= {minimum} or a pair of them, "
                         f"got {value!r}")
    return values


def check_images(x: Tensor, where: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{where}: expected a 4-D input (N, C, H, W), got shape {x.shape}")


class Conv2d(WeightLayer):
    """2-D convolution of NCHW images: each output channel slides one kernel over every
    position, so all positions share its weights; dL/dw sums the gradients of all copies.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int or (int, int)
    groups : int, default 1
        Split channels into groups convolved separately (in and out divisible by it).
    bias : bool, default True
    init : str or initializer, default "pytorch"
        Initializer of the weight, with fan-in = in_channels/groups · kh · kw. PyTorch's
        default holds: weight and bias from U(-1/√fan_in, 1/√fan_in), as
        ``torch.nn.Conv2d``. ``init="lecun_uniform"`` gives LeCun's rule of Berzal,
        "Backpropagation" (Granada), Var[w] = 1/fan_in; under it and every other named
        initializer the bias starts at zero, as in the lectures and Keras.
    l1, l2, max_norm, constraint, penalize_bias, weight_noise
        As for :class:`~retroprop.nn.Linear`; max-norm bounds each filter, the norm over
        axes (1, 2, 3) of the weight.

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels / groups, kh, kw)
    bias : Parameter, shape (out_channels,), or None

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> conv = rp.nn.Conv2d(1, 6, kernel_size=5, padding=2)
    >>> conv(np.zeros((2, 1, 28, 28))).shape
    (2, 6, 28, 28)
    """

    norm_axes = (1, 2, 3)
    config_attributes = (*WeightLayer.config_attributes, "stride", "padding", "dilation")

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Pair, stride: Pair = 1,
                 padding: Pair = 0, dilation: Pair = 1, groups: int = 1, bias: bool = True,
                 init: Any = "pytorch", dtype: Any = None, l1: float = 0.0,
                 l2: float = 0.0, max_norm: float | None = None,
                 constraint: Constraint | None = None, penalize_bias: bool = False,
                 weight_noise: float = 0.0) -> None:
        super().__init__()
        where = "Conv2d"
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{where}: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", where)
        self.stride = pair(stride, "stride", where)
        self.padding = pair(padding, "padding", where, minimum=0)
        self.dilation = pair(dilation, "dilation", where)
        self.init = initializers.get(init)
        self._init_parameters((out_channels, in_channels // groups, *self.kernel_size), bias,
                              dtype)
        self._setup_regularization(l1, l2, max_norm, constraint, penalize_bias, weight_noise)

    def output_shape(self, height: int, width: int) -> tuple[int, int]:
        return (output_size(height, self.kernel_size[0], self.stride[0], self.padding[0],
                            self.dilation[0]),
                output_size(width, self.kernel_size[1], self.stride[1], self.padding[1],
                            self.dilation[1]))

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "Conv2d")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d: the input has {x.shape[1]} channels (shape {x.shape}) "
                             f"but the layer expects in_channels={self.in_channels}")
        for axis, (size, k, p, d) in enumerate(zip(x.shape[2:], self.kernel_size, self.padding,
                                                   self.dilation, strict=True)):
            if (k - 1) * d + 1 > size + 2 * p:
                raise ValueError(f"Conv2d: the kernel ({k}, dilation {d}) is larger than the "
                                 f"padded input ({size} + 2·{p}) on axis {axis + 2}")
        if min(self.output_shape(*x.shape[2:])) <= 0:
            raise ValueError(f"Conv2d: input of shape {x.shape} gives an empty output")
        inputs = (x, self.noisy_weight()) if self.bias is None else \
            (x, self.noisy_weight(), self.bias)
        return Conv2dOp.apply(*inputs, stride=self.stride, padding=self.padding,
                              dilation=self.dilation, groups=self.groups)

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        arrays = self._arrays(x.dtype)
        if (arrays is None or x.ndim != 4 or x.shape[1] != self.in_channels
                or min(self.output_shape(*x.shape[2:])) <= 0):
            return None
        return conv2d_infer(x, *arrays, stride=self.stride, padding=self.padding,
                            dilation=self.dilation, groups=self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if any(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + f", bias={self.bias is not None}{self.regularization_repr()}"
