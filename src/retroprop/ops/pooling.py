"""Pooling (Berzal, "Backpropagation" (Granada), "Invarianza": pooling makes features
tolerant to small shifts).

Max pooling passes the gradient to the largest input of each window (the first one in
row-major order on ties, as PyTorch); average pooling spreads it evenly. Both work by
kh·kw strided slices of the (padded) input, one per offset in the window, so any memory
layout of the input is kept.
"""

from __future__ import annotations

import functools

import numpy as np

from retroprop.intraop import Part, parallel_parts
from retroprop.ops.conv import Pair, offset, output_size, pad_hw
from retroprop.tensor.function import Function, Gradients


@functools.lru_cache(maxsize=64)
def windows(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair
            ) -> tuple[tuple[slice, ...], ...]:
    """One index per offset (u, v) of the window, row-major: it selects, in the padded
    input, the element at that offset of every window (kept per geometry: building the
    slices is most of a small pooling's time)."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    return tuple((slice(None), slice(None), offset(u, dh, sh, oh), offset(v, dw, sw, ow))
                 for u in range(kh) for v in range(kw))


class _Pool(Function):
    def _setup(self, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
               dilation: Pair) -> None:
        self.shape, self.kernel, self.stride, self.padding, self.dilation = (
            x.shape, kernel, stride, padding, dilation)
        self.out_hw = (output_size(x.shape[2], kernel[0], stride[0], padding[0], dilation[0]),
                       output_size(x.shape[3], kernel[1], stride[1], padding[1], dilation[1]))

    def _slices(self) -> tuple[tuple[slice, ...], ...]:
        return windows(self.kernel, self.stride, self.dilation, self.out_hw)

    def _tiles_exactly(self) -> bool:
        """Windows that cover every input element exactly once (e.g. 2×2, stride 2)."""
        return (self.stride == self.kernel and self.dilation == (1, 1) and
                not any(self.padding) and
                all(s == o * k for s, o, k in zip(self.shape[2:], self.out_hw, self.kernel,
                                                   strict=True)))

    def _unpad(self, grad_padded: np.ndarray) -> np.ndarray:
        (ph, pw), (h, w) = self.padding, self.shape[2:]
        return grad_padded[:, :, ph:ph + h, pw:pw + w]


class MaxPool2d(_Pool):
    """y[n, c, i, j] = max over the window of x (padding counts as -inf)."""

    def forward(self, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
                dilation: Pair) -> np.ndarray:
        self._setup(x, kernel, stride, padding, dilation)
        self.source = source = pad_hw(x, padding, -np.inf)
        first, *rest = self._slices()
        self.out = out = np.empty_like(source[first])

        def pool(part: Part) -> None:
            maxima = out[part]
            np.copyto(maxima, source[first][part])
            for index in rest:
                np.maximum(maxima, source[index][part], out=maxima)

        parallel_parts(source, pool, work=source.size + out.size * len(rest))
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        source, out = self.source, self.out
        tiles = self._tiles_exactly()  # each input in one window: write once, no zeros
        result = np.empty_like(source) if tiles else np.zeros_like(source)

        def route(part: Part) -> None:
            """Each window's gradient to its first maximum."""
            maxima, grads = out[part], grad[part]
            if grads.strides != maxima.strides:  # one copy puts it in the layout of the rest
                grads = np.empty_like(maxima)
                grads[...] = grad[part]
            taken = np.zeros_like(maxima, dtype=bool)
            first = np.empty_like(taken)
            for index in self._slices():
                np.equal(source[index][part], maxima, out=first)
                first &= ~taken
                if tiles:
                    np.multiply(grads, first, out=result[index][part])
                else:
                    result[index][part] += grads * first
                taken |= first

        parallel_parts(source, route, work=source.size * 3 + out.size * len(self._slices()))
        return self._unpad(result)


class AvgPool2d(_Pool):
    """y[n, c, i, j] = mean of the window of x (zero padding counted, as PyTorch's default
    ``count_include_pad=True``)."""

    def forward(self, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
        self._setup(x, kernel, stride, padding, (1, 1))
        self.template = source = pad_hw(x, padding)  # its shape and layout, for the gradient
        first, *rest = self._slices()
        out = np.empty_like(source[first])
        scale = x.dtype.type(1.0 / (kernel[0] * kernel[1]))

        def pool(part: Part) -> None:
            sums = out[part]
            np.copyto(sums, source[first][part])
            for index in rest:
                np.add(sums, source[index][part], out=sums)
            sums *= scale

        parallel_parts(source, pool, work=source.size + out.size * len(rest))
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        scale = grad.dtype.type(1.0 / (self.kernel[0] * self.kernel[1]))
        tiles = self._tiles_exactly()  # each element in one window: assign, no sums
        result = (np.empty_like if tiles else np.zeros_like)(self.template)

        def spread(part: Part) -> None:
            share = grad[part] * scale
            for index in self._slices():
                if tiles:
                    result[index][part] = share
                else:
                    result[index][part] += share

        parallel_parts(result, spread, work=result.size * 2 + grad.size)
        return result if tiles else self._unpad(result)


def adaptive_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size) averaging matrix of adaptive pooling: row i averages the inputs in
    [floor(i·size/out), ceil((i+1)·size/out))."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, stop = (i * size) // out, -(-((i + 1) * size) // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


class AdaptiveAvgPool2d(Function):
    """Average over windows chosen to give an (OH, OW) output; the windows are rectangles,
    so y = P_h x P_wᵀ with 1-D averaging matrices, and dL/dx = P_hᵀ (dL/dy) P_w."""

    def forward(self, x: np.ndarray, output_size: Pair) -> np.ndarray:
        self.rows = adaptive_matrix(x.shape[2], output_size[0], x.dtype)
        self.cols = adaptive_matrix(x.shape[3], output_size[1], x.dtype)
        return self.rows @ x @ self.cols.T

    def backward(self, grad: np.ndarray) -> Gradients:
        return self.rows.T @ grad @ self.cols
