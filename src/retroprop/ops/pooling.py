"""Pooling (Berzal, "Backpropagation" (Granada), "Invarianza": pooling makes features
tolerant to small shifts).

Max pooling passes the gradient to the largest input of each window (the first one in
row-major order on ties, as PyTorch); average pooling spreads it evenly. Both work by
kh·kw strided slices of the (padded) input, one per offset in the window, so any memory
layout of the input is kept. Windows that tile the input exactly (a 2×2 pooling of
stride 2) take whole image rows first (:func:`_tile_reduce`, :func:`_repeat_tiles`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from retroprop.intraop import MIN_WORK, outer_axis, parallel_parts
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
        self.tiles = self._tiles_exactly()

    def _slices(self) -> tuple[tuple[slice, ...], ...]:
        return windows(self.kernel, self.stride, self.dilation, self.out_hw)

    def _tiles_exactly(self) -> bool:
        """Windows that cover every input element exactly once (e.g. 2×2, stride 2)."""
        (kh, kw), (height, width) = self.kernel, self.shape[2:]
        return (self.stride == self.kernel and self.dilation == (1, 1)
                and self.padding == (0, 0) and height % kh == 0 and width % kw == 0)

    def _reduce_windows(self, ufunc: np.ufunc, source: np.ndarray,
                        finish: Callable[[np.ndarray], object] = lambda out: None
                        ) -> np.ndarray:
        """``ufunc`` over each window of ``source`` (the padded input), then ``finish``
        on the result, split over threads by :func:`parallel_parts` for large inputs.
        Small inputs whose windows tile them (batch-1 inference) go straight through
        :func:`_tile_reduce`, NumPy allocating the result."""
        (oh, ow), (kh, kw) = self.out_hw, self.kernel
        work = source.size + source.shape[0] * source.shape[1] * oh * ow * kh * kw
        if self.tiles and work < MIN_WORK:
            out = _tile_reduce(ufunc, source, self.kernel)
            finish(out)
            return out
        out = np.empty_like(source[self._slices()[0]])

        def reduce(out: np.ndarray, source: np.ndarray) -> None:
            if self.tiles:
                _tile_reduce(ufunc, source, self.kernel, out)
            else:
                _reduce_into(ufunc, out, [source[index] for index in self._slices()])
            finish(out)

        parallel_parts(reduce, out, source, work=work)
        return out

    def _unpad(self, grad_padded: np.ndarray) -> np.ndarray:
        (ph, pw), (h, w) = self.padding, self.shape[2:]
        return grad_padded[:, :, ph:ph + h, pw:pw + w]


class MaxPool2d(_Pool):
    """y[n, c, i, j] = max over the window of x (padding counts as -inf)."""

    def forward(self, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
                dilation: Pair) -> np.ndarray:
        self._setup(x, kernel, stride, padding, dilation)
        self.source = source = pad_hw(x, padding, -np.inf)
        self.out = out = self._reduce_windows(np.maximum, source)
        return out

    def backward(self, grad: np.ndarray) -> Gradients:
        source, out, slices = self.source, self.out, self._slices()
        tiles = self.tiles  # each input in one window: write once, no zeros
        result = np.empty_like(source) if tiles else np.zeros_like(source)

        def route(maxima: np.ndarray, grads: np.ndarray, *views: np.ndarray) -> None:
            """Each window's gradient to its first maximum; ``views``: the input, then
            the result, at every offset of the window."""
            if grads.strides != maxima.strides:  # one copy puts it in the layout of the rest
                grads = _copy_like(grads, maxima)
            taken = np.zeros_like(maxima, dtype=bool)
            first = np.empty_like(taken)
            for inputs, into in zip(views[:len(slices)], views[len(slices):], strict=True):
                np.equal(inputs, maxima, out=first)
                first &= ~taken
                if tiles:
                    np.multiply(grads, first, out=into)
                else:
                    into += grads * first
                taken |= first

        parallel_parts(route, out, grad, *[source[index] for index in slices],
                       *[result[index] for index in slices],
                       work=source.size * 3 + out.size * len(slices))
        return self._unpad(result)


def _tile_reduce(ufunc: np.ufunc, x: np.ndarray, kernel: Pair,
                 out: np.ndarray | None = None) -> np.ndarray:
    """``ufunc`` over each kh×kw tile of x (N, C, kh·OH, kw·OW), windows that tile x
    exactly, into ``out`` or a new array in x's layout: each tile's kh rows first, in
    operations on whole image rows (contiguous in memory), then the kw columns of the kh
    times smaller result. The kh·kw strided views of the general case are 1.3 times
    slower for LeNet-5's first 2×2 average pooling, and more NumPy calls at batch 1."""
    kh, kw = kernel
    rows = x if kh == 1 else ufunc(x[:, :, 0::kh], x[:, :, 1::kh])  # in x's layout
    for u in range(2, kh):
        ufunc(rows, x[:, :, u::kh], out=rows)
    if kw == 1:  # the rows are the result
        if out is None:
            return rows if rows is not x else np.copy(x, order="K")
        np.copyto(out, rows)
        return out
    out = ufunc(rows[..., 0::kw], rows[..., 1::kw], out=out)
    for v in range(2, kw):
        ufunc(out, rows[..., v::kw], out=out)
    return out


def _repeat_tiles(values: np.ndarray, kernel: Pair, layout: np.ndarray) -> np.ndarray:
    """Each element of ``values`` (N, C, OH, OW) repeated over its kh×kw tile: an
    (N, C, kh·OH, kw·OW) array whose first two axes are in the memory order of
    ``layout``'s. ``np.repeat`` along the rows copies whole rows; it is 1.2–1.4 times
    faster than writing ``values`` into kh·kw strided views (LeNet-5's poolings)."""
    order = (1, 0, 2, 3) if outer_axis(layout) == 1 else (0, 1, 2, 3)
    wide = np.repeat(values.transpose(order), kernel[1], axis=3)
    return np.repeat(wide, kernel[0], axis=2).transpose(order)


def _reduce_into(ufunc: np.ufunc, out: np.ndarray, inputs: Sequence[np.ndarray]) -> None:
    """out = inputs[0] ∘ inputs[1] ∘ ... for a binary ``ufunc`` (the first two in one call)."""
    if len(inputs) == 1:
        np.copyto(out, inputs[0])
    else:
        ufunc(inputs[0], inputs[1], out=out)
    for other in inputs[2:]:
        ufunc(out, other, out=out)


def _copy_like(array: np.ndarray, template: np.ndarray) -> np.ndarray:
    """A copy of ``array`` in the memory layout of ``template``."""
    copy = np.empty_like(template)
    copy[...] = array
    return copy


class AvgPool2d(_Pool):
    """y[n, c, i, j] = mean of the window of x (zero padding counted, as PyTorch's default
    ``count_include_pad=True``)."""

    def forward(self, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
        self._setup(x, kernel, stride, padding, (1, 1))
        self.template = source = pad_hw(x, padding)  # its shape and layout, for the gradient
        scale = x.dtype.type(1.0 / (kernel[0] * kernel[1]))
        return self._reduce_windows(np.add, source,
                                    finish=lambda out: np.multiply(out, scale, out=out))

    def backward(self, grad: np.ndarray) -> Gradients:
        scale = grad.dtype.type(1.0 / (self.kernel[0] * self.kernel[1]))
        tiles = self.tiles  # each element in one window: assign, no sums
        work = self.template.size * 2 + grad.size
        if tiles and work < MIN_WORK:  # on one thread: whole rows at once
            return _repeat_tiles(grad * scale, self.kernel, self.template)
        result = (np.empty_like if tiles else np.zeros_like)(self.template)

        def spread(grad: np.ndarray, *targets: np.ndarray) -> None:
            share = grad * scale
            for into in targets:
                if tiles:
                    into[...] = share
                else:
                    into += share

        parallel_parts(spread, grad, *[result[index] for index in self._slices()], work=work)
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
