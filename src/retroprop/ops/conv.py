"""2-D convolution by im2col and one BLAS product per group (Berzal, "Backpropagation"
(Granada), "Invarianza": receptive fields and weight sharing; Moreno, "Redes neuronales
profundas: introducción" (Zacatecas): convolutional layers).

Users see NCHW tensors and (out, in/groups, kh, kw) weights, as in PyTorch. Inside,
arrays are laid out CNHW (channels outermost): unrolling the receptive fields is one copy
from a strided view of them (one NumPy call whatever the kernel size, which matters for
small batches), the product W·cols writes the output directly in CNHW, and
the NCHW tensor handed back is a transposed view of it, which the next layer reads
without copying. With the receptive field of output (n, i, j) unrolled into a column,

    y[n, o, i, j] = b_o + Σ_{c, u, v} w[o, c, u, v] x[n, c, s·i + d·u - p, s·j + d·v - p]

In training, the unrolled input of a step whose graph has been freed serves the next
step of the same shape (see ``_FREE``). A first layer (an input that needs no gradient)
whose unrolled input has at least twice as many rows as the output has channels keeps
none: the forward pass unrolls a slice of images at a time into a small buffer
(``Conv2d._unrolled_again``), and the backward pass, which needs only dL/dW, computes it
by matrix–vector products over shifted runs of the padded input (stride 1,
``Conv2d._shifted_products``) or unrolls the slices again (other strides).
Without gradients (``rp.no_grad()``: evaluation, prediction) nothing is kept for a
backward pass, and the images are unrolled and multiplied a slice at a time through a
buffer of about 8 MiB per thread: the memory of inference no longer grows with the batch,
and the buffer stays in cache.

Backward: dL/dW = dL/dY · colsᵀ, where each shared weight receives the *sum* of the
gradients of all its copies (Berzal); dL/dcols = Wᵀ · dL/dY is added back to the input
position of every copy by kh·kw strided block additions (col2im).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from retroprop.intraop import parallel_for
from retroprop.tensor import grad_mode
from retroprop.tensor.function import Function, Gradients

Pair = tuple[int, int]

#: elements of the unrolled-input buffer of a convolution run without gradients (8 MiB in
#: float32): larger batches are unrolled and multiplied a slice of images at a time
CHUNK_ELEMENTS = 1 << 21
#: elements of the buffer (2 MiB in float32) through which a layer that keeps no unrolled
#: input (``Conv2d._unrolled_again``) goes, a slice of images at a time (LeNet-5's step:
#: 7.3, 6.8–7.1 and 6.7–6.8 ms with 0.5, 1 and 2 MiB)
SLICE_ELEMENTS = 1 << 19


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def offset(u: int, dilation: int, stride: int, count: int) -> slice:
    """Rows (or columns) of the padded input that kernel offset u reads for ``count``
    outputs."""
    return slice(u * dilation, u * dilation + stride * (count - 1) + 1, stride)


def pad_hw(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """x with its last two axes padded by ``value``, in C order (x itself without
    padding): one allocation and one copy, cheaper than ``np.pad`` for small arrays."""
    ph, pw = padding
    if not (ph or pw):
        return x
    *outer, height, width = x.shape
    out = np.full((*outer, height + 2 * ph, width + 2 * pw), value, dtype=x.dtype)
    out[..., ph:ph + height, pw:pw + width] = x
    return out


def channels_first(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) as a padded CNHW array (free when x is already CNHW in memory and
    there is no padding)."""
    return pad_hw(x.transpose(1, 0, 2, 3), padding, value)


def receptive_fields(source: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair,
                     out: Pair) -> np.ndarray:
    """The (C, N, OH, OW, kh, kw) strided view of a padded CNHW input whose element
    [c, n, i, j, u, v] is source[c, n, s·i + d·u, s·j + d·v]: im2col is then one copy."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out
    c, n, _, _ = source.shape
    s0, s1, s2, s3 = source.strides
    return np.lib.stride_tricks.as_strided(
        source, (c, n, oh, ow, kh, kw), (s0, s1, s2 * sh, s3 * sw, s2 * dh, s3 * dw),
        writeable=False)


#: unrolled inputs released by finished backward passes (the graph freed, so nothing else
#: refers to them), one per (shape, dtype), at most FREE_SHAPES of them: reusing one saves
#: the page faults of a fresh array of tens of MiB at every training step
FREE_SHAPES = 4
_FREE: dict[tuple[tuple[int, ...], np.dtype], np.ndarray] = {}


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """Store ``value`` under ``key``, first forgetting the oldest entry when ``cache``
    holds FREE_SHAPES (iterating over a copy of the keys: other threads may change it)."""
    if len(cache) >= FREE_SHAPES:
        cache.pop(next(iter(list(cache)), None), None)
    cache[key] = value


def _take(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialized array: a released one of that shape when there is one (its pages
    are already mapped), else a new one."""
    found = _FREE.pop((shape, np.dtype(dtype)), None)
    return np.empty(shape, dtype) if found is None else found


class Conv2d(Function):
    """y = conv(x, W) + b, NCHW; see the module docstring for the formulas."""

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, *,
                stride: Pair, padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
        n, _, height, width = x.shape
        out_channels, per_group, kh, kw = weight.shape
        oh = output_size(height, kh, stride[0], padding[0], dilation[0])
        ow = output_size(width, kw, stride[1], padding[1], dilation[1])
        self.shape, self.geometry, self.weight, self.groups = x.shape, (stride, padding,
                                                                        dilation), weight, groups
        source = channels_first(x, padding)
        # cols[g, (u, v, c), (n, i, j)] = x_padded[g·C/G + c, n, s·i + d·u, s·j + d·v],
        # plus a last row of ones when there is a bias, which then rides in the product:
        # [W b] [cols; 1] = W cols + b, and dL/d[W b] gives dL/db as its last column.
        size = kh * kw * per_group
        self.bias, self.size, self.rows = bias, size, size + (bias is not None)
        self.fields = receptive_fields(source, (kh, kw), stride, dilation, (oh, ow))
        self.out_shape = (out_channels, n, oh, ow)
        rows = self.rows
        training = grad_mode.is_grad_enabled()
        # the backward pass needs cols, kept whole unless it is cheaper to unroll it again
        # (see ``_unrolled_again``); otherwise images go through a reused buffer of a few
        # images per thread, which bounds the memory of inference
        again = training and self._unrolled_again(rows, out_channels // groups)
        limit = SLICE_ELEMENTS if training else CHUNK_ELEMENTS
        images = n if training and not again else max(1, min(n, limit // (rows * oh * ow)))
        self.images = images
        out = np.empty((out_channels, n * oh * ow), dtype=x.dtype)
        kernels = [self._kernel(g) for g in range(groups)]
        blocks = self._blocks(out_channels)

        def multiply(start: int, stop: int, buffer: np.ndarray, at: int) -> None:
            """The outputs of images [start, stop), unrolled into ``buffer`` from image
            ``at`` on."""
            used = self._unroll(start, stop, buffer, at)
            for g, block in enumerate(blocks):
                np.matmul(kernels[g], used[g], out=out[block, start * oh * ow:stop * oh * ow])

        work = groups * rows * n * oh * ow * 2 + out.size
        if images == n:  # every image keeps its columns
            cols = self._buffer(n, x.dtype, _take)
            parallel_for(n, lambda start, stop: multiply(start, stop, cols, start), work=work)
            if training:
                self.cols = cols
        else:
            self._by_slices(lambda first, last, buffer: multiply(first, last, buffer, 0),
                            x.dtype, work=work)
        if not again:  # the padded input is needed no longer
            del self.fields
        elif stride == (1, 1):  # dL/dW by shifted products (``_shifted_products``)
            del self.fields
            self.source = source
        return out.reshape(self.out_shape).transpose(1, 0, 2, 3)

    def _unrolled_again(self, rows: int, out_per_group: int) -> bool:
        """Whether the forward pass keeps no cols, unrolling a slice of images at a time,
        and the backward pass computes dL/dW without them (by shifted products for stride
        1, else by unrolling the slices again): for a layer whose input needs no gradient
        (the first one), whose backward pass is then only dL/dW, when cols has at least
        twice as many rows as the output has channels (LeNet-5's first layer: 26 rows, 6
        channels; its 10 MB of cols at batch 128 cost more to write and read back from
        memory than to unroll twice in cache). With more channels (the recipe's first
        layer: 10 rows, 32 channels) the slices' products cost more, and so do the
        shifted products, one pass over dL/dY for each of the rows."""
        needs = getattr(self, "needs_input_grad", (True,))
        return not needs[0] and rows >= 2 * out_per_group

    def _unroll(self, start: int, stop: int, buffer: np.ndarray, at: int) -> np.ndarray:
        """Images [start, stop) unrolled into the columns of ``buffer`` from image ``at``
        on; returns those columns, (G, rows, count·OH·OW)."""
        groups, size = self.groups, self.size
        _, per_group, kh, kw = self.weight.shape
        _, _, oh, ow = self.out_shape
        count = stop - start
        used = buffer[:, :, at * oh * ow:(at + count) * oh * ow]
        np.copyto(used[:, :size].reshape(groups, kh, kw, per_group, count, oh, ow),
                  self.fields[:, start:stop].reshape(groups, per_group, count, oh, ow,
                                                     kh, kw).transpose(0, 5, 6, 1, 2, 3, 4))
        return used

    def _buffer(self, images: int, dtype: np.dtype,
                allocate: Callable[[tuple[int, ...], np.dtype], np.ndarray] = np.empty
                ) -> np.ndarray:
        """Room for the unrolled input of ``images`` images, (G, rows, images·OH·OW),
        with its row of ones when there is a bias."""
        _, _, oh, ow = self.out_shape
        buffer = allocate((self.groups, self.rows, images * oh * ow), dtype)
        buffer[:, self.size:] = 1
        return buffer

    def _by_slices(self, body: Callable[[int, int, np.ndarray], None], dtype: np.dtype,
                   work: int) -> None:
        """``body(first, last, buffer)`` for every slice [first, last) of ``self.images``
        images, the slices split over threads, each thread with a buffer of its own."""
        n, images = self.shape[0], self.images

        def slices(start: int, stop: int) -> None:
            buffer = self._buffer(images, dtype)
            for first in range(start * images, min(n, stop * images), images):
                body(first, min(n, first + images), buffer)

        parallel_for(-(-n // images), slices, work=work)

    def release(self) -> None:
        """Hand the unrolled input back for the next forward pass of the same geometry
        (after the backward pass nothing else holds it)."""
        cols = self.__dict__.get("cols")
        if cols is not None:
            _keep(_FREE, (cols.shape, cols.dtype), cols)
        super().release()

    def _blocks(self, out_channels: int) -> list[slice]:
        size = out_channels // self.groups
        return [slice(g * size, (g + 1) * size) for g in range(self.groups)]

    def _kernel(self, g: int) -> np.ndarray:
        """Group g's weights as (out/G, kh·kw·in/G [+ 1]), in the (u, v, c) order of
        ``cols``, with the bias as last column when there is one."""
        weight = self.weight
        block = self._blocks(len(weight))[g]
        kernel = weight[block].transpose(0, 2, 3, 1).reshape(block.stop - block.start, -1)
        if self.bias is None:
            return kernel
        return np.concatenate([kernel, self.bias[block, None]], axis=1)

    def backward(self, grad: np.ndarray) -> Gradients:
        weight = self.weight
        out_channels, per_group, kh, kw = weight.shape
        grad_out = grad.transpose(1, 0, 2, 3).reshape(out_channels, -1)  # free when CNHW
        blocks = self._blocks(out_channels)
        size = kh * kw * per_group
        grad_x = grad_w = grad_b = None
        if any(self.needs_input_grad[1:]):
            grad_w = np.empty_like(weight)
            grad_b = None if self.bias is None else np.empty_like(self.bias)
            products = self._weight_products(grad_out, blocks)
            for g, block in enumerate(blocks):
                product = products[g]
                grad_w[block] = product[:, :size].reshape(-1, kh, kw, per_group).transpose(
                    0, 3, 1, 2)
                if grad_b is not None:
                    grad_b[block] = product[:, size]
        if self.needs_input_grad[0]:
            grad_x = self._col2im_wide(grad, blocks, size) if self.geometry[0] == (1, 1) \
                else self._col2im(grad_out, blocks, size)
        if self.bias is None:
            return grad_x, grad_w
        return grad_x, grad_w, grad_b

    def _weight_products(self, grad_out: np.ndarray, blocks: list[slice]) -> list[np.ndarray]:
        """dL/d[W b] of each group, (out/G, rows): (cols · dL/dYᵀ)ᵀ, faster than
        dL/dY · colsᵀ, from the kept cols or, without them, by shifted products (stride
        1) or summed over slices of images unrolled again."""
        cols = self.__dict__.get("cols")
        if cols is not None:
            return [(cols[g] @ grad_out[block].T).T for g, block in enumerate(blocks)]
        if "source" in self.__dict__:
            return self._shifted_products(grad_out, blocks)
        _, n, oh, ow = self.out_shape
        found: list[list[np.ndarray]] = []

        def add(first: int, last: int, own: np.ndarray) -> None:
            used = self._unroll(first, last, own, 0)
            columns = slice(first * oh * ow, last * oh * ow)
            found.append([used[g] @ grad_out[block, columns].T for g, block in enumerate(blocks)])

        self._by_slices(add, grad_out.dtype, work=self.groups * self.rows * n * oh * ow * 2)
        return [np.sum([products[g] for products in found], axis=0).T
                for g in range(self.groups)]

    def _shifted_products(self, grad_out: np.ndarray, blocks: list[slice]) -> list[np.ndarray]:
        """dL/d[W b] of each group for stride 1 without unrolling the input (a layer that
        would unroll it again). Lay dL/dY out on the padded input's grid, zero where no
        output is, flattened with the images one after another: output (n, i, j) is at
        the flat position p of input (n, i, j), and the input that weight (o, c, u, v)
        meets there, x_padded[c, n, i + d·u, j + d·v], is at p + d·u·Wp + d·v of the
        flat input. So

            dL/dw[:, c, u, v] = grid · x_flat[c][d·u·Wp + d·v :][: N·Hp·Wp],

        one matrix–vector product per (c, u, v), over shifted runs of the padded input
        (zeros after it: the grid is zero where a run would leave its image). LeNet-5's
        first layer at batch 128: 0.92 ms against 1.2–1.3 ms for unrolling again and
        multiplying, on two threads."""
        source = self.source
        channels, n, hp, wp = source.shape
        out_channels, per_group, kh, kw = self.weight.shape
        (dh, dw), (_, _, oh, ow) = self.geometry[2], self.out_shape
        plane = n * hp * wp
        flat = np.empty(channels * plane + dh * (kh - 1) * wp + dw * (kw - 1), source.dtype)
        flat[channels * plane:] = 0
        flat[:channels * plane].reshape(source.shape)[...] = source
        grid = np.empty((out_channels, n, hp, wp), grad_out.dtype)
        grid[:, :, :oh, :ow] = grad_out.reshape(out_channels, n, oh, ow)
        grid[:, :, :oh, ow:] = 0
        grid[:, :, oh:] = 0
        rows = grid.reshape(out_channels, plane)
        products = []
        for g, block in enumerate(blocks):
            product = np.empty((self.rows, block.stop - block.start), grad_out.dtype)
            for u in range(kh):
                for v in range(kw):
                    for c in range(per_group):
                        start = (g * per_group + c) * plane + dh * u * wp + dw * v
                        np.dot(rows[block], flat[start:start + plane],
                               out=product[(u * kw + v) * per_group + c])
            if self.bias is not None:
                np.add.reduce(rows[block], axis=1, out=product[self.size])
            products.append(product.T)
        return products

    def _input_kernels(self, size: int) -> list[np.ndarray]:
        """Each group's Wᵀ, (kh·kw·in/G, out/G), without the bias: dL/dcols = Wᵀ dL/dY."""
        return [self._kernel(g)[:, :size].T for g in range(self.groups)]

    def _col2im(self, grad_out: np.ndarray, blocks: list[slice], size: int) -> np.ndarray:
        n, channels, height, width = self.shape
        _, _, kh, kw = self.weight.shape
        (sh, sw), (ph, pw), (dh, dw) = self.geometry
        _, _, oh, ow = self.out_shape
        per_group = channels // self.groups
        grad_x = np.zeros((channels, n, height + 2 * ph, width + 2 * pw), dtype=grad_out.dtype)
        kernels = self._input_kernels(size)

        def add_back(start: int, stop: int) -> None:
            """dL/dx of images [start, stop)."""
            for g, block in enumerate(blocks):
                grad_cols = (kernels[g] @ grad_out[block, start * oh * ow:stop * oh * ow]
                             ).reshape(kh, kw, per_group, stop - start, oh, ow)
                target = grad_x[g * per_group:(g + 1) * per_group, start:stop]
                for u in range(kh):
                    rows = offset(u, dh, sh, oh)
                    for v in range(kw):
                        target[:, :, rows, offset(v, dw, sw, ow)] += grad_cols[u, v]

        parallel_for(n, add_back, work=grad_x.size * kh * kw * 2)
        return grad_x[:, :, ph:ph + height, pw:pw + width].transpose(1, 0, 2, 3)

    def _col2im_wide(self, grad: np.ndarray, blocks: list[slice], size: int) -> np.ndarray:
        """col2im for stride 1, on output rows as wide as the padded input: with the
        gradient of the extra columns j ≥ OW set to zero, the copies that kernel offset
        (u, v) makes over one image are one contiguous run of the padded input, at flat
        offset d·u·Wp + d·v, so col2im adds kh·kw runs of OH·Wp elements instead of
        kh·kw·OH rows of OW (3–4x fewer, longer inner loops; the product Wᵀ dL/dY grows by
        Wp/OW). A run that passes the end of its image adds those zeros to a tail of
        d·(kw - 1) elements that each image has after its Hp·Wp, so that images split
        over threads never write to each other's memory."""
        n, channels, height, width = self.shape
        out_channels, per_group, kh, kw = self.weight.shape
        (ph, pw), (dh, dw) = self.geometry[1:]
        _, _, oh, ow = self.out_shape
        hp, wp = height + 2 * ph, width + 2 * pw
        plane = hp * wp
        image = plane + dw * (kw - 1)  # elements between images in the gradient buffer
        wide = np.empty((out_channels, n, oh, wp), grad.dtype)
        grad_cnhw = grad.transpose(1, 0, 2, 3)
        flat = np.zeros(channels * n * image, grad.dtype)
        item = flat.itemsize
        runs = np.lib.stride_tricks.as_strided(
            flat, (channels, n, kh, kw, oh * wp),
            (n * image * item, image * item, dh * wp * item, dw * item, item))
        kernels = self._input_kernels(size)

        def add_back(start: int, stop: int) -> None:
            """dL/dx of images [start, stop)."""
            part = wide[:, start:stop]
            part[..., ow:] = 0
            part[..., :ow] = grad_cnhw[:, start:stop]
            rows = part.reshape(out_channels, -1)
            for g, block in enumerate(blocks):
                grad_cols = (kernels[g] @ rows[block]).reshape(kh, kw, per_group,
                                                               stop - start, oh * wp)
                target = runs[g * per_group:(g + 1) * per_group, start:stop]
                for u in range(kh):
                    for v in range(kw):
                        target[:, :, u, v] += grad_cols[u, v]

        parallel_for(n, add_back, work=flat.size * kh * kw * 2)
        padded = flat.reshape(channels, n, image)[:, :, :plane].reshape(channels, n, hp, wp)
        return padded[:, :, ph:ph + height, pw:pw + width].transpose(1, 0, 2, 3)


#: largest unrolled input (elements) whose buffers ``conv2d_infer`` keeps between calls
SCRATCH_ELEMENTS = 1 << 18
#: per geometry (at most FREE_SHAPES): the interior of a zero-padded input buffer laid out
#: (C, H, W, N), the im2col view of that buffer in (c, u, v, i, j, n) order, and the
#: unrolled matrix it is copied into; a call takes its entry out of the dict while it runs,
#: so threads never share one
_SCRATCH: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def conv2d_infer(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *,
                 stride: Pair, padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """conv(x, W) + b without a graph (``nn.Conv2d`` in evaluation mode under
    ``no_grad()``): the formula of :class:`Conv2d`, with the unrolled rows in (c, u, v)
    order so that W, (out, C/G, kh, kw), is the kernel matrix as it is, the bias added
    after the product, and, for small inputs (at batch 1 the Python work is most of the
    time), the padded input, its receptive-field view and the unrolled matrix kept from
    one call to the next. Inputs whose unrolled matrix exceeds ``CHUNK_ELEMENTS`` go
    through :class:`Conv2d`'s forward, a slice of images at a time.

    The padded input is laid out (C, H, W, N), with the batch innermost, and the unrolled
    columns are in (i, j, n) order: for stride 1 each kernel offset's copy then moves runs
    of OW·N elements instead of rows of OW (at batch 64, LeNet-5's second layer copies in
    0.06 ms instead of 0.33 ms). The result keeps that layout, an (N, C, OH, OW) view with
    the batch innermost, which the element-wise layers, pooling and the next convolution
    read as they are (the next one's input copy is then contiguous)."""
    n, channels, height, width = x.shape
    out_channels, _, kh, kw = weight.shape
    oh = output_size(height, kh, stride[0], padding[0], dilation[0])
    ow = output_size(width, kw, stride[1], padding[1], dilation[1])
    rows, columns = channels * kh * kw, n * oh * ow
    if rows * columns > CHUNK_ELEMENTS:
        return Conv2d().forward(x, weight, bias, stride=stride, padding=padding,
                                dilation=dilation, groups=groups)
    key = (x.shape, x.dtype, (kh, kw), stride, padding, dilation)
    scratch = _SCRATCH.pop(key, None)
    if scratch is None:
        (ph, pw) = padding
        source = np.zeros((channels, height + 2 * ph, width + 2 * pw, n), x.dtype)
        fields = receptive_fields(source.transpose(0, 3, 1, 2), (kh, kw), stride, dilation,
                                  (oh, ow))  # (C, N, OH, OW, kh, kw)
        scratch = (source[:, ph:ph + height, pw:pw + width], fields.transpose(
            0, 4, 5, 2, 3, 1), np.empty((channels, kh, kw, oh, ow, n), x.dtype))
    inner, unrolled, cols = scratch
    np.copyto(inner, x.transpose(1, 2, 3, 0))
    np.copyto(cols, unrolled)
    matrix = cols.reshape(rows, columns)
    if groups == 1:
        out = weight.reshape(out_channels, rows) @ matrix
    else:
        out = np.empty((out_channels, columns), x.dtype)
        per_rows, per_out = rows // groups, out_channels // groups
        for g in range(groups):
            block = slice(g * per_out, (g + 1) * per_out)
            np.matmul(weight[block].reshape(per_out, per_rows),
                      matrix[g * per_rows:(g + 1) * per_rows], out=out[block])
    if bias is not None:
        out += bias[:, None]
    if rows * columns <= SCRATCH_ELEMENTS:
        _keep(_SCRATCH, key, scratch)
    return out.reshape(out_channels, oh, ow, n).transpose(3, 0, 1, 2)
