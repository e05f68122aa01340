"""The functional forms of layers (``F.dropout``, ``F.conv2d``, ``F.max_pool2d``,
``F.avg_pool2d``) give their modules' outputs and gradients; ``F.one_hot`` is PyTorch's;
PyTorch's defaults; refusals that name the argument. Values and gradients against PyTorch
are in the op registry (``tests/ops/test_registry.py``)."""

import ast
import inspect
import re

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn
from retroprop.nn import functional as F

TF = torch.nn.functional


def grads_of(fn, *arrays):
    """fn's output and the gradient of each input, for a fixed upstream gradient."""
    tensors = [rp.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(np.random.default_rng(5).standard_normal(out.shape))
    return [out.data, *(t.grad for t in tensors)]


def assert_same(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_conv2d_is_the_layers_convolution():
    rng = np.random.default_rng(0)
    rp.manual_seed(0)
    layer = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2,
                      dtype=np.float64)
    x = rng.standard_normal((2, 4, 7, 6))

    def through_layer(x, w, b):
        layer.weight.data, layer.bias.data = w.data, b.data
        layer.weight.grad = layer.bias.grad = None
        out = layer(x)
        out.backward(np.random.default_rng(5).standard_normal(out.shape))
        return [out.data, x.grad, layer.weight.grad, layer.bias.grad]

    w, b = layer.weight.data.copy(), layer.bias.data.copy()
    tensors = [rp.Tensor(a, dtype=np.float64, requires_grad=True) for a in (x, w, b)]
    expected = through_layer(*tensors)
    functional = grads_of(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1,
                                                   dilation=(1, 2), groups=2), x, w, b)
    assert_same(functional, expected)


@pytest.mark.parametrize(("function", "layer"), [
    (lambda x: F.max_pool2d(x, 3, 2, 1), nn.MaxPool2d(3, 2, 1)),
    (lambda x: F.max_pool2d(x, (2, 3), dilation=(2, 1)), nn.MaxPool2d((2, 3), dilation=(2, 1))),
    (lambda x: F.avg_pool2d(x, 2), nn.AvgPool2d(2)),
    (lambda x: F.avg_pool2d(x, (3, 2), (1, 2), (1, 1)), nn.AvgPool2d((3, 2), (1, 2), (1, 1))),
], ids=["max", "max_dilation", "avg", "avg_padded"])
def test_poolings_are_the_layers(function, layer):
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 9))
    assert_same(grads_of(function, x), grads_of(layer, x))


def test_dropout_is_the_layers_in_training_and_the_identity_otherwise():
    x = np.random.default_rng(2).standard_normal((50, 40))
    layer = nn.Dropout(0.3)
    rp.manual_seed(7)
    expected = grads_of(layer, x)
    rp.manual_seed(7)
    functional = grads_of(lambda x: F.dropout(x, 0.3), x)  # training=True by default
    assert_same(functional, expected)
    assert 0.25 < np.mean(functional[0] == 0) < 0.35
    np.testing.assert_allclose(functional[0][functional[0] != 0], x[functional[0] != 0] / 0.7)
    t = rp.Tensor(x)
    assert F.dropout(t, 0.3, training=False) is t and F.dropout(t, 0.0) is t
    zeros = grads_of(lambda x: F.dropout(x, 1.0), x)  # as PyTorch: all dropped
    np.testing.assert_array_equal(zeros[0], 0)
    np.testing.assert_array_equal(zeros[1], 0)
    np.testing.assert_array_equal(zeros[0], TF.dropout(torch.tensor(x), 1.0).numpy())


def test_one_hot_is_pytorchs():
    labels = np.array([[0, 3], [2, 1], [3, 3]])
    for num_classes in (-1, 6):
        ours = F.one_hot(labels, num_classes)
        theirs = TF.one_hot(torch.tensor(labels), num_classes)
        assert ours.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    indices = rp.Tensor._wrap(np.array([1, 0]))  # an integer tensor, as argmax gives
    assert F.one_hot(indices).data.tolist() == [[0, 1], [1, 0]]
    assert F.one_hot(np.zeros(0, np.int64), 3).shape == (0, 3)


def torch_parameters(name):
    """PyTorch's parameters and defaults of ``TF.<name>``: from its signature, or where it
    has none (a builtin, ``*args, **kwargs``), from the one its documentation opens with."""
    function = getattr(TF, name)
    try:
        parameters = inspect.signature(function).parameters
    except ValueError:
        parameters = {}
    if parameters and "args" not in parameters:
        return {k: p.default for k, p in parameters.items()}
    written = re.search(rf"{name}\((.*?)\)", function.__doc__).group(1)
    arguments = ast.parse(f"def f({written}): pass").body[0].args
    names = [a.arg for a in arguments.args]
    defaults = [ast.literal_eval(d) for d in arguments.defaults]
    return dict(zip(names, [inspect.Parameter.empty] * (len(names) - len(defaults)) + defaults,
                    strict=True))


@pytest.mark.parametrize("name", ["dropout", "conv2d", "max_pool2d", "avg_pool2d", "one_hot"])
def test_names_and_defaults_are_pytorchs(name):
    ours = {k: p.default for k, p in inspect.signature(getattr(F, name)).parameters.items()}
    theirs = torch_parameters(name)
    assert ours == theirs
    assert len(theirs) >= 2  # the documentation's signature was found


def bad(match, error=ValueError):
    return pytest.raises(error, match=match)


def test_bad_arguments_name_the_argument_and_the_value():
    x = rp.Tensor(np.zeros((2, 4, 5, 5)))
    for p in (-0.1, 1.5, "half"):
        with bad(rf"dropout: p \(probability of dropping\) must be in \[0, 1\], got {p!r}"):
            F.dropout(x, p)
    with bad("dropout: inplace=True is not supported"):
        F.dropout(x, 0.5, inplace=True)
    labels = rp.Tensor._wrap(np.arange(6))  # 1/(1 - p) would be truncated (to 1 for 0.3)
    with bad("dropout: expected a floating-point input, got dtype int64", TypeError):
        F.dropout(labels, 0.3)
    with bad("Dropout: expected a floating-point input, got dtype int64", TypeError):
        nn.Dropout(0.3)(labels)
    with bad("conv2d: input must be a Tensor, got ndarray", TypeError):
        F.conv2d(np.zeros((2, 4, 5, 5)), rp.Tensor(np.zeros((3, 4, 3, 3))))
    with bad(r"conv2d: a weight of shape \(3, 2, 3, 3\) with groups=1 takes 2 input "
             r"channels .* got an input of shape \(2, 4, 5, 5\)"):
        F.conv2d(x, rp.Tensor(np.zeros((3, 2, 3, 3))))
    with bad(r"conv2d: a weight of shape \(3, 2, 3, 3\) with groups=2 takes 4 input channels "
             "into 3 \\(a multiple of groups\\)"):
        F.conv2d(x, rp.Tensor(np.zeros((3, 2, 3, 3))), groups=2)
    with bad(r"conv2d: weight must have shape \(out_channels, in_channels / groups, kh, kw\), "
             r"got shape \(3, 4\)"):
        F.conv2d(x, rp.Tensor(np.zeros((3, 4))))
    with bad(r"conv2d: bias must have shape \(3,\), one per output channel, got shape \(4,\)"):
        F.conv2d(x, rp.Tensor(np.zeros((3, 4, 3, 3))), rp.Tensor(np.zeros(4)))
    with bad(r"conv2d: the kernel \(7, 7\) \(dilation \(1, 1\)\) does not fit the input of "
             r"shape \(2, 4, 5, 5\) padded by \(0, 0\)"):
        F.conv2d(x, rp.Tensor(np.zeros((3, 4, 7, 7))))
    with bad(r"conv2d: padding must be an integer >= 0 or a pair of them, got 'same'"):
        F.conv2d(x, rp.Tensor(np.zeros((3, 4, 3, 3))), padding="same")
    with bad(r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(4, 5, 5\)"):
        F.conv2d(rp.Tensor(np.zeros((4, 5, 5))), rp.Tensor(np.zeros((3, 4, 3, 3))))
    with bad("max_pool2d: ceil_mode=True is not supported"):
        F.max_pool2d(x, 2, ceil_mode=True)
    with bad("max_pool2d: return_indices=True is not supported"):
        F.max_pool2d(x, 2, return_indices=True)
    with bad("avg_pool2d: count_include_pad=False is not supported"):
        F.avg_pool2d(x, 2, count_include_pad=False)
    with bad("avg_pool2d: divisor_override=3 is not supported"):
        F.avg_pool2d(x, 2, divisor_override=3)
    with bad(r"MaxPool2d: kernel_size must be an integer >= 1 or a pair of them, got 0"):
        F.max_pool2d(x, 0)
    with bad(r"one_hot: class indices must be in \[0, 2\] for num_classes=3, got \[-1, 5\]"):
        F.one_hot(np.array([0, 5, -1]), 3)
    with bad("one_hot: tensor must hold integer class indices, got dtype float64", TypeError):
        F.one_hot(np.array([0.0, 1.0]))
    with bad("one_hot: cannot infer the number of classes of an empty tensor"):
        F.one_hot(np.zeros(0, np.int64))
    with bad(r"one_hot: num_classes must be an integer >= 0 or -1, got -2"):
        F.one_hot(np.array([0]), -2)
