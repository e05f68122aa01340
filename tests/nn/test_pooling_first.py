"""``Sequential`` runs a ReLU that a max pooling follows after the pooling: the same output
and the same gradients as in the written order, with the ReLU on the pooled maps."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn, ops
from retroprop.nn.container import _pooling_first
from retroprop.nn.summary import summary
from retroprop.ops import activation, pooling

POOLS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=2, stride=1), dict(kernel_size=(2, 3), stride=(2, 1), dilation=2),
         dict(kernel_size=2, stride=1, padding=1, dilation=5)]  # windows of padding only


def images(dtype, seed=0):
    """Values with many ties: zeros, repeated numbers, whole windows at or below 0."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 3, size=(3, 2, 8, 9)).astype(dtype) / 2
    x[0, 0] = 0.0
    x[1, 1, :4] = -1.0
    x[2] += rng.standard_normal(x[2].shape).astype(dtype)
    return x


def written_order(x, options):
    """relu, then max pooling, as ops, in the order the layers are written."""
    pool = nn.MaxPool2d(**options)
    return pooling.MaxPool2d.apply(ops.relu(x), kernel=pool.kernel_size, stride=pool.stride,
                                   padding=pool.padding, dilation=pool.dilation)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", POOLS)
def test_same_output_and_gradient_as_the_written_order(dtype, options):
    data = images(dtype)
    upstream = np.random.default_rng(1).standard_normal(
        written_order(rp.Tensor(data, dtype=dtype), options).shape).astype(dtype)
    results = []
    for run in (lambda x: nn.Sequential(nn.ReLU(), nn.MaxPool2d(**options))(x),
                lambda x: written_order(x, options)):
        x = rp.Tensor(data, requires_grad=True, dtype=data.dtype)
        out = run(x)
        out.backward(upstream)
        results.append((out.data, x.grad))
    (out, grad), (expected_out, expected_grad) = results
    assert out.dtype == dtype and np.array_equal(out, expected_out)
    assert np.array_equal(grad, expected_grad)
    assert np.count_nonzero(grad) > 0


def test_a_window_of_padding_only_stays_minus_infinity_in_training_and_evaluation():
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, stride=1, padding=1, dilation=2))
    x = rp.Tensor(np.full((1, 1, 1, 1), 3.0, np.float32), requires_grad=True)
    trained = model(x).data
    model.eval()
    with rp.no_grad():
        evaluated = model(x).data
    expected = torch.nn.MaxPool2d(2, stride=1, padding=1, dilation=2)(
        torch.relu(torch.from_numpy(x.data))).numpy()
    assert np.array_equal(trained, expected) and np.array_equal(evaluated, expected)
    assert np.isneginf(expected).all()


def test_the_relu_runs_last_on_the_pooled_maps():
    out = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(rp.Tensor(images(np.float32),
                                                                requires_grad=True))
    assert type(out._ctx) is activation.ReLU
    (pooled,) = out._ctx.parents
    assert pooled.shape == (3, 2, 4, 4) and type(pooled._ctx) is pooling.MaxPool2d


class MyReLU(nn.ReLU):
    pass


class MyPool(nn.MaxPool2d):
    pass


@pytest.mark.parametrize("layers, last", [
    ((MyReLU, lambda: nn.MaxPool2d(2)), pooling.MaxPool2d),
    ((nn.ReLU, lambda: MyPool(2)), pooling.MaxPool2d),
    ((nn.ReLU, lambda: nn.AvgPool2d(2)), pooling.AvgPool2d),
    ((lambda: nn.LeakyReLU(0.1), lambda: nn.MaxPool2d(2)), pooling.MaxPool2d),
    ((lambda: nn.MaxPool2d(2), nn.ReLU), activation.ReLU),
], ids=["relu-subclass", "pool-subclass", "average", "leaky", "already-pooled-first"])
def test_other_pairs_keep_their_order(layers, last):
    model = nn.Sequential(*(make() for make in layers))
    out = model(rp.Tensor(images(np.float32), requires_grad=True))
    assert type(out._ctx) is last


@pytest.mark.parametrize("cls", [nn.ReLU, nn.MaxPool2d])
def test_a_forward_replaced_on_the_class_keeps_the_order(cls, monkeypatch):
    seen = []
    original = cls.forward

    def recording(self, x):
        seen.append((type(self).__name__, x.shape))
        return original(self, x)

    monkeypatch.setattr(cls, "forward", recording)
    out = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(rp.Tensor(images(np.float32),
                                                                requires_grad=True))
    assert type(out._ctx) is pooling.MaxPool2d
    assert seen == [(cls.__name__, (3, 2, 8, 9))]


@pytest.mark.parametrize("patched", [0, 1])
def test_a_forward_replaced_on_the_instance_keeps_the_order(patched):
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    seen = []
    layer = model[patched]
    original = layer.forward

    def recording(x):
        seen.append(x.shape)
        return original(x)

    layer.forward = recording
    out = model(rp.Tensor(images(np.float32), requires_grad=True))
    assert type(out._ctx) is pooling.MaxPool2d
    assert seen == [(3, 2, 8, 9)]  # the ReLU saw, or the pooling got, the full maps


def test_summary_reports_the_written_order_and_shapes():
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    rows = [line for line in summary(model, (2, 8, 8)).splitlines()
            if "ReLU" in line or "MaxPool2d" in line]
    assert "ReLU" in rows[0] and "(None, 3, 8, 8)" in rows[0]
    assert "MaxPool2d" in rows[1] and "(None, 3, 4, 4)" in rows[1]


def test_two_blocks_against_pytorch():
    rp.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, dtype=np.float64), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(4, 3, 3, padding=1, dtype=np.float64),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(3 * 2 * 2, 3, dtype=np.float64))
    assert _pooling_first(list(model), 0) == [0, 2, 1, 3, 5, 4, 6, 7]
    twin = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 3, 3, padding=1),
                               torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(3 * 2 * 2, 3)).double()
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), twin.parameters(), strict=True):
            theirs.copy_(torch.from_numpy(ours.data))
    data = np.random.default_rng(2).standard_normal((5, 2, 8, 8))
    data[:, :, :4] = 0.0  # flat regions: ties in the windows, zeros after the ReLU
    x = rp.Tensor(data, requires_grad=True, dtype=np.float64)
    out = model(x)
    out.sum().backward()
    tx = torch.from_numpy(data).requires_grad_()
    tout = twin(tx)
    tout.sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for (name, ours), theirs in zip(model.named_parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=name)


def test_an_error_in_the_pooling_names_its_layer():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.MaxPool2d(2))
    with pytest.raises(ValueError, match=r"layer 2 \(MaxPool2d\)"):
        model(rp.Tensor(np.ones((2, 4), np.float32)))
