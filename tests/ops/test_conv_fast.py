"""Fast paths of the convolution and pooling kernels, each against the plain path and
against PyTorch: max pooling's tiling backward (write once, no zeros) with ties and with
gradients in another memory layout than the forward's; im2col as one copy from a strided
view of the receptive fields, against its definition."""

import itertools

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop.ops import conv, pooling
from retroprop.ops.conv import Conv2d, output_size, receptive_fields
from retroprop.ops.pooling import AvgPool2d, MaxPool2d
from retroprop.tensor.tensor import Tensor

GEOMETRY = dict(kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1))


def channels_outermost(x):
    """x (N, C, H, W) stored CNHW, the layout convolutions hand on."""
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def inputs(layout, ties):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 6, 8)).astype(np.float32)
    if ties:  # as after a ReLU: many windows of zeros, whose first element must win
        x = np.maximum(x, 0)
        x[0, 0, :2, :2] = 1.5  # a window of four equal maxima
    return channels_outermost(x) if layout == "CNHW" else x


def pooled_backward(x, grad, plain=False, monkeypatch=None):
    op = MaxPool2d()
    if plain:
        monkeypatch.setattr(op, "_tiles_exactly", lambda: False)
    out = op.forward(x, **GEOMETRY)
    return out, op.backward(grad)


@pytest.mark.parametrize("layout", ["NCHW", "CNHW"])
@pytest.mark.parametrize("grad_layout", ["NCHW", "CNHW"])
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_tiling_backward_equals_the_plain_path_and_pytorch(layout, grad_layout,
                                                                    ties, monkeypatch):
    x = inputs(layout, ties)
    grad = np.random.default_rng(1).random((4, 3, 3, 4), dtype=np.float32)
    grad = channels_outermost(grad) if grad_layout == "CNHW" else grad
    out, fast = pooled_backward(x, grad)
    _, plain = pooled_backward(x, grad, plain=True, monkeypatch=monkeypatch)
    np.testing.assert_array_equal(fast, plain)
    reference = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    expected = torch.nn.functional.max_pool2d(reference, 2)
    expected.backward(torch.tensor(np.ascontiguousarray(grad)))
    np.testing.assert_array_equal(out, expected.detach().numpy())
    np.testing.assert_array_equal(fast, reference.grad.numpy())
    if ties:  # the tied window sends its gradient to its first element only
        assert fast[0, 0, 0, 0] == grad[0, 0, 0, 0]
        assert not fast[0, 0, :2, :2].ravel()[1:].any()


def test_max_pool_backward_keeps_the_forward_layout():
    x = inputs("CNHW", ties=False)
    _, grad_x = pooled_backward(x, np.ones((4, 3, 3, 4), dtype=np.float32))
    assert grad_x.transpose(1, 0, 2, 3).flags.c_contiguous  # CNHW, as its input


def same_layout(a, b):
    """Whether the axes of ``a`` and ``b`` are in the same order in memory."""
    return list(np.argsort(a.strides)) == list(np.argsort(b.strides))


@pytest.mark.parametrize("kernel", [(2, 2), (3, 3), (1, 2), (2, 1), (2, 3), (1, 1)])
@pytest.mark.parametrize("layout", ["NCHW", "CNHW"])
@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("size", ["small", "large"])
def test_tiling_pools_by_rows_then_columns_equal_the_plain_path_and_pytorch(
        kernel, layout, pool, size, monkeypatch):
    """Windows that tile the input exactly: rows first, then columns (forward), and the
    mean's gradient repeated over each tile, against the kh·kw window views and PyTorch,
    in the input's memory layout; small inputs (NumPy allocates the result) and, with the
    threshold lowered, the path that large ones take (into a preallocated result, whose
    ranges the split over threads fills; ``test_intraop`` checks the split itself)."""
    if size == "large":
        monkeypatch.setattr(pooling, "MIN_WORK", 0)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 3 * kernel[0], 2 * kernel[1])).astype(np.float32)
    grad = rng.standard_normal((3, 4, 3, 2)).astype(np.float32)
    if layout == "CNHW":
        x, grad = channels_outermost(x), channels_outermost(grad)
    op_class = MaxPool2d if pool == "max" else AvgPool2d
    geometry = dict(kernel=kernel, stride=kernel, padding=(0, 0))
    if pool == "max":
        geometry["dilation"] = (1, 1)

    def run(plain):
        op = op_class()
        if plain:
            monkeypatch.setattr(op, "_tiles_exactly", lambda: False)
        out = op.forward(x, **geometry)
        assert op.tiles is not plain
        return out, op.backward(grad)

    (out, grad_x), (plain_out, plain_grad_x) = run(False), run(True)
    assert same_layout(out, x) and same_layout(grad_x, x)
    np.testing.assert_allclose(out, plain_out, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(grad_x, plain_grad_x)
    reference = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    function = torch.nn.functional.max_pool2d if pool == "max" else (
        torch.nn.functional.avg_pool2d)
    expected = function(reference, kernel)
    expected.backward(torch.tensor(np.ascontiguousarray(grad)))
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grad_x, reference.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("kernel", "stride", "dilation"),
                         [((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 2)),
                          ((2, 3), (3, 2), (2, 1))])
def test_receptive_fields_view_is_the_definition_of_im2col(kernel, stride, dilation):
    source = np.random.default_rng(0).standard_normal((2, 3, 11, 10))  # padded CNHW
    oh, ow = (output_size(size, k, s, 0, d) for size, k, s, d in
              zip(source.shape[2:], kernel, stride, dilation, strict=True))
    fields = receptive_fields(source, kernel, stride, dilation, (oh, ow))
    assert fields.shape == (2, 3, oh, ow, *kernel)
    for i, j, u, v in itertools.product(range(oh), range(ow), range(kernel[0]),
                                        range(kernel[1])):
        np.testing.assert_array_equal(
            fields[:, :, i, j, u, v],
            source[:, :, stride[0] * i + dilation[0] * u, stride[1] * j + dilation[1] * v])


@pytest.mark.parametrize("batch", [1, 5])
def test_conv_forward_by_one_copy_equals_pytorch_for_one_image_and_a_batch(batch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 4, 9, 8))
    weight, bias = rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    out = Conv2d.apply(Tensor(x, dtype=np.float64), Tensor(weight, dtype=np.float64),
                       Tensor(bias, dtype=np.float64), stride=(2, 1), padding=(1, 0),
                       dilation=(1, 2), groups=2).data
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(weight),
                                          torch.tensor(bias), stride=(2, 1), padding=(1, 0),
                                          dilation=(1, 2), groups=2)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("with_bias", [True, False])
def test_conv_without_gradients_in_image_slices_equals_the_whole_batch(with_bias,
                                                                      monkeypatch):
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((7, 4, 9, 8)), dtype=np.float64, requires_grad=True)
    weight = Tensor(rng.standard_normal((6, 2, 3, 2)), dtype=np.float64, requires_grad=True)
    bias = [Tensor(rng.standard_normal(6), dtype=np.float64)] if with_bias else []
    options = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    whole = Conv2d.apply(x, weight, *bias, **options)
    # a buffer for 3 images of 5·6 output positions: slices of 3, 3 and 1 images
    monkeypatch.setattr(conv, "CHUNK_ELEMENTS", 3 * (2 * 3 * 2 + 1) * 5 * 6)
    op = Conv2d()
    with rp.no_grad():
        sliced = op.forward(x.data, weight.data, *[b.data for b in bias], **options)
    assert not hasattr(op, "cols")  # nothing kept for a backward pass
    np.testing.assert_allclose(sliced, whole.data, rtol=1e-13, atol=1e-13)
    assert whole._ctx.cols.shape[-1] == 7 * 5 * 6  # with gradients: kept for backward


def test_conv_reuses_a_released_unrolled_input_without_mixing_steps():
    """Training steps hand their unrolled input on to the next step of the same shape;
    graphs built before any backward pass, and a retained graph, keep their own."""
    rng = np.random.default_rng(0)
    layer = rp.nn.Conv2d(3, 4, 3, padding=1)
    twin = torch.nn.Conv2d(3, 4, 3, padding=1)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.data))
        twin.bias.copy_(torch.from_numpy(layer.bias.data))
    conv._FREE.clear()

    def expected(x, upstream):
        twin.zero_grad()
        twin(torch.from_numpy(x)).backward(torch.from_numpy(upstream))
        return twin.weight.grad.numpy()

    batches = [rng.standard_normal((2, 3, 5, 5)).astype(np.float32) for _ in range(4)]
    upstream = [rng.standard_normal((2, 4, 5, 5)).astype(np.float32) for _ in range(4)]
    pending = [layer(Tensor(x)) for x in batches[:2]]  # two graphs alive at once
    for out, x, g in zip(pending, batches[:2], upstream[:2], strict=True):
        layer.weight.grad = None
        out.backward(g)
        np.testing.assert_allclose(layer.weight.grad, expected(x, g), rtol=1e-4, atol=1e-5)
    assert conv._FREE  # released for the next step
    out = layer(Tensor(batches[2]))
    assert not conv._FREE  # taken by it
    layer.weight.grad = None
    out.backward(upstream[2], retain_graph=True)  # kept: the graph still needs it
    assert not conv._FREE
    reused = layer(Tensor(batches[3]))  # a new array, not the retained graph's
    out.backward(upstream[2])
    np.testing.assert_allclose(layer.weight.grad, 2 * expected(batches[2], upstream[2]),
                               rtol=1e-4, atol=1e-5)
    layer.weight.grad = None
    reused.backward(upstream[3])
    np.testing.assert_allclose(layer.weight.grad, expected(batches[3], upstream[3]),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("kernel", "padding", "dilation", "groups"), [
    ((3, 3), (1, 1), (1, 1), 1), ((5, 5), (0, 0), (1, 1), 1), ((5, 5), (2, 2), (1, 1), 2),
    ((3, 2), (1, 0), (2, 1), 2), ((2, 3), (0, 2), (1, 2), 3), ((1, 1), (0, 0), (1, 1), 1),
])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("layout", ["NCHW", "CNHW"])
def test_col2im_of_wide_rows_equals_the_plain_col2im(kernel, padding, dilation, groups, batch,
                                                      layout):
    """Stride 1: dL/dx by runs of wide rows, against the row-by-row col2im."""
    rng = np.random.default_rng(4)
    channels, out_channels = 6, 3 * groups
    x = Tensor(rng.standard_normal((batch, channels, 7, 9)), dtype=np.float64,
               requires_grad=True)
    weight = Tensor(rng.standard_normal((out_channels, channels // groups, *kernel)),
                    dtype=np.float64)
    out = Conv2d.apply(x, weight, stride=(1, 1), padding=padding, dilation=dilation,
                       groups=groups)
    grad = rng.standard_normal(out.shape)
    if layout == "CNHW":
        grad = channels_outermost(grad)
    op = out._ctx
    blocks, size = op._blocks(out_channels), kernel[0] * kernel[1] * (channels // groups)
    plain = op._col2im(grad.transpose(1, 0, 2, 3).reshape(out_channels, -1), blocks, size)
    wide = op._col2im_wide(grad, blocks, size)
    assert wide.shape == plain.shape == x.shape
    np.testing.assert_allclose(wide, plain, rtol=1e-12, atol=1e-12)
    out.backward(grad)  # and the backward pass uses it: PyTorch's dL/dx
    expected = torch.nn.grad.conv2d_input(x.shape, torch.tensor(weight.data),
                                          torch.tensor(grad), padding=padding,
                                          dilation=dilation, groups=groups)
    np.testing.assert_allclose(x.grad, expected.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("channels", "out_channels", "kernel", "stride", "padding",
                          "dilation", "groups", "with_bias"), [
    (1, 6, (5, 5), (1, 1), (2, 2), (1, 1), 1, True),  # LeNet-5's first layer
    (1, 4, (3, 3), (2, 2), (1, 1), (1, 1), 1, False),
    (2, 2, (3, 3), (1, 1), (0, 0), (2, 2), 2, True),
    (3, 2, (3, 2), (2, 1), (1, 0), (1, 2), 1, True),
    (3, 4, (3, 2), (1, 1), (1, 0), (2, 1), 1, False),
    (4, 4, (2, 3), (1, 1), (0, 2), (1, 2), 2, True),
    (3, 2, (3, 3), (1, 1), (0, 0), (1, 1), 1, True),
])
@pytest.mark.parametrize("layout", ["NCHW", "CNHW"])
def test_a_first_layer_that_keeps_no_unrolled_input_equals_pytorch(
        channels, out_channels, kernel, stride, padding, dilation, groups, with_bias, layout,
        monkeypatch):
    """A layer whose input needs no gradient, with at least twice as many unrolled rows as
    output channels, keeps no cols: with stride 1 the backward pass computes dL/dW by
    shifted products over the padded input, otherwise it unrolls slices of images again.
    Its output, dL/dW and dL/db equal PyTorch's, whatever the input's memory layout."""
    rng = np.random.default_rng(5)
    rows = kernel[0] * kernel[1] * channels // groups + with_bias
    images = rng.standard_normal((7, channels, 9, 8))
    x = Tensor(channels_outermost(images) if layout == "CNHW" else images, dtype=np.float64)
    weight = Tensor(rng.standard_normal((out_channels, channels // groups, *kernel)),
                    dtype=np.float64, requires_grad=True)
    bias = [Tensor(rng.standard_normal(out_channels), dtype=np.float64,
                   requires_grad=True)] if with_bias else []
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    oh, ow = (output_size(size, k, s, p, d) for size, k, s, p, d in
              zip((9, 8), kernel, stride, padding, dilation, strict=True))
    monkeypatch.setattr(conv, "SLICE_ELEMENTS", 2 * rows * oh * ow)  # slices of 2 images
    out = Conv2d.apply(x, weight, *bias, **options)
    assert "cols" not in out._ctx.__dict__ and out._ctx.images == 2
    kept, dropped = ("source", "fields") if stride == (1, 1) else ("fields", "source")
    assert kept in out._ctx.__dict__ and dropped not in out._ctx.__dict__  # for backward
    grad = rng.standard_normal(out.shape)
    out.backward(grad)
    twin_weight = torch.tensor(weight.data, requires_grad=True)
    twin_bias = torch.tensor(bias[0].data, requires_grad=True) if with_bias else None
    expected = torch.nn.functional.conv2d(torch.tensor(x.data), twin_weight, twin_bias,
                                          **options)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weight.grad, twin_weight.grad.numpy(), rtol=1e-11, atol=1e-11)
    if with_bias:
        np.testing.assert_allclose(bias[0].grad, twin_bias.grad.numpy(), rtol=1e-11,
                                   atol=1e-11)


@pytest.mark.parametrize(("out_channels", "kernel", "input_grad"), [
    (32, 3, False),  # the recipe's first layer: 10 rows for 32 channels
    (6, 5, True),  # LeNet-5's first layer, but with an input that needs its gradient
])
def test_other_layers_keep_their_unrolled_input(out_channels, kernel, input_grad):
    rng = np.random.default_rng(6)
    x = Tensor(rng.standard_normal((3, 1, 6, 6)), requires_grad=input_grad)
    weight = Tensor(rng.standard_normal((out_channels, 1, kernel, kernel)), requires_grad=True)
    out = Conv2d.apply(x, weight, Tensor(np.zeros(out_channels)), stride=(1, 1),
                       padding=(kernel // 2, kernel // 2), dilation=(1, 1), groups=1)
    assert out._ctx.cols.shape[-1] == 3 * 6 * 6
    assert "fields" not in out._ctx.__dict__  # the padded input is not kept as well
