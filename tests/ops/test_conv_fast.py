"""Fast paths of the convolution and pooling kernels, each against the plain path and
against PyTorch: max pooling's tiling backward (write once, no zeros) with ties and with
gradients in another memory layout than the forward's."""

import numpy as np
import pytest
import torch

from retroprop.ops.pooling import MaxPool2d

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
