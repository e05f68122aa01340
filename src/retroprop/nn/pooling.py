"""Pooling layers (Berzal, "Backpropagation" (Granada), "Invarianza")."""

from __future__ import annotations

import numpy as np

from retroprop.nn.conv import Pair, check_images, pair
from retroprop.nn.module import Module
from retroprop.ops import pooling
from retroprop.ops.conv import output_size
from retroprop.tensor.tensor import Tensor


class _Pool2d(Module):
    config_attributes = ("kernel_size", "stride", "padding", "dilation")

    def __init__(self, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
                 dilation: Pair = 1) -> None:
        super().__init__()
        where = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", where)
        self.stride = pair(stride if stride is not None else kernel_size, "stride", where)
        self.padding = pair(padding, "padding", where, minimum=0)
        self.dilation = pair(dilation, "dilation", where)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"{where}: padding {self.padding} must be at most half the "
                             f"kernel {self.kernel_size}")

    def _output_sizes(self, shape: tuple[int, ...]) -> tuple[int, int]:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (self.kernel_size, self.stride, self.padding,
                                                  self.dilation)
        return output_size(shape[2], kh, sh, ph, dh), output_size(shape[3], kw, sw, pw, dw)

    def _fits(self, x: np.ndarray) -> bool:
        """Whether ``_infer`` can take x: images whose output is not empty."""
        return x.ndim == 4 and min(self._output_sizes(x.shape)) > 0

    def _check(self, x: Tensor) -> None:
        where = type(self).__name__
        check_images(x, where)
        sizes = self._output_sizes(x.shape)
        if min(sizes) <= 0:
            raise ValueError(f"{where}: the kernel {self.kernel_size} does not fit the input "
                             f"of shape {x.shape} (output size {tuple(sizes)})")

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text if self.dilation == (1, 1) else text + f", dilation={self.dilation}"


class MaxPool2d(_Pool2d):
    """The largest value of each window (stride defaults to the kernel size)."""

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return pooling.MaxPool2d.apply(x, kernel=self.kernel_size, stride=self.stride,
                                       padding=self.padding, dilation=self.dilation)

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        if not self._fits(x):
            return None
        return pooling.MaxPool2d().forward(x, kernel=self.kernel_size, stride=self.stride,
                                           padding=self.padding, dilation=self.dilation)


class AvgPool2d(_Pool2d):
    """The mean of each window (LeNet-5's subsampling layers)."""

    def __init__(self, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0) -> None:
        super().__init__(kernel_size, stride, padding)

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return pooling.AvgPool2d.apply(x, kernel=self.kernel_size, stride=self.stride,
                                       padding=self.padding)

    def _infer(self, x: np.ndarray) -> np.ndarray | None:
        if not self._fits(x):
            return None
        return pooling.AvgPool2d().forward(x, kernel=self.kernel_size, stride=self.stride,
                                           padding=self.padding)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (OH, OW), whatever the input size: output i
    averages the inputs [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉), as PyTorch's; an output larger than the
    input repeats inputs in overlapping windows."""

    config_attributes = ("output_size",)

    def __init__(self, output_size: Pair) -> None:
        super().__init__()
        self.output_size = pair(output_size, "output_size", "AdaptiveAvgPool2d")

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "AdaptiveAvgPool2d")
        if min(x.shape[2:]) == 0:
            raise ValueError(f"AdaptiveAvgPool2d: the input of shape {x.shape} has empty "
                             "images: there is nothing to average")
        return pooling.AdaptiveAvgPool2d.apply(x, output_size=self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
