"""Layers against PyTorch, forward and backward, with copied parameters (float64, 1e-10),
and float64 finite-difference checks of the normalization layers."""

import numpy as np
import pytest
import torch

import retroprop as rp
from retroprop import nn
from retroprop.ops.normalization import standardize


def compare(ours, theirs, x, train=True, rtol=1e-10):
    ours.train(train)
    theirs.train(train)
    mine = rp.Tensor(x, requires_grad=True, dtype=np.float64)
    reference = torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), theirs(reference)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=1e-12)
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=rtol, atol=1e-12)
    for (name, param), twin in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(param.grad, twin.grad.numpy(), rtol=rtol, atol=1e-12,
                                   err_msg=name)


def affine(ours, theirs):
    rng = np.random.default_rng(2)
    for param, twin in zip(ours.parameters(), theirs.parameters(), strict=True):
        param.data[...] = rng.standard_normal(param.shape)
        twin.data = torch.tensor(param.data.copy())


@pytest.mark.parametrize(("ours", "theirs", "shape"), [
    (lambda: nn.BatchNorm1d(3, dtype=np.float64), lambda: torch.nn.BatchNorm1d(3), (16, 3)),
    (lambda: nn.BatchNorm1d(3, dtype=np.float64), lambda: torch.nn.BatchNorm1d(3), (8, 3, 5)),
    (lambda: nn.BatchNorm2d(2, momentum=0.3, dtype=np.float64),
     lambda: torch.nn.BatchNorm2d(2, momentum=0.3), (6, 2, 4, 4)),
    (lambda: nn.LayerNorm(5, dtype=np.float64), lambda: torch.nn.LayerNorm(5), (4, 5)),
    (lambda: nn.LayerNorm((3, 4), dtype=np.float64), lambda: torch.nn.LayerNorm((3, 4)),
     (2, 3, 4)),
])
def test_normalization_matches_torch_in_training_and_inference(ours, theirs, shape):
    mine, twin = ours(), theirs().double()
    affine(mine, twin)
    rng = np.random.default_rng(0)
    for _ in range(3):  # a few training batches move the running statistics
        compare(mine, twin, rng.normal(2.0, 3.0, shape), train=True)
        for p, t in zip(mine.parameters(), twin.parameters(), strict=True):
            p.grad, t.grad = None, None
    if isinstance(mine, nn.BatchNorm1d | nn.BatchNorm2d):
        np.testing.assert_allclose(mine.running_mean, twin.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(mine.running_var, twin.running_var.numpy(), rtol=1e-12)
    compare(mine, twin, rng.normal(2.0, 3.0, shape), train=False)


@pytest.mark.parametrize("layer", [
    lambda: nn.BatchNorm1d(3, dtype=np.float64), lambda: nn.LayerNorm(3, dtype=np.float64)])
def test_normalization_finite_differences(layer):
    module = layer()
    for param in module.parameters():
        param.data[...] = np.random.default_rng(3).standard_normal(param.shape)
    x = rp.Tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True,
                  dtype=np.float64)
    assert rp.gradcheck(lambda t, *params: module(t), [x, *module.parameters()], atol=1e-6,
                        rtol=1e-5)



def test_fused_batch_norm_matches_the_unfused_graph_on_a_channels_first_input():
    """BatchNorm2d in training (one node for x̂, γ and β) against standardize, times γ,
    plus β, on a float32 input laid out CNHW in memory, as a convolution hands it on."""
    rng = np.random.default_rng(0)
    data = rng.normal(1.0, 2.0, (4, 8, 5, 5)).astype(np.float32).transpose(1, 0, 2, 3)
    upstream = rng.standard_normal(data.shape).astype(np.float32)
    layer = nn.BatchNorm2d(4)
    layer.weight.data[...] = rng.standard_normal(4)
    layer.bias.data[...] = rng.standard_normal(4)
    x, plain_x = (rp.Tensor(data, requires_grad=True) for _ in range(2))
    weight, bias = (rp.Tensor(p.data.copy(), requires_grad=True) for p in layer.parameters())
    out = layer(x)
    expected = (standardize(plain_x, (0, 2, 3))[0] * weight.reshape(1, 4, 1, 1)
                + bias.reshape(1, 4, 1, 1))
    out.backward(upstream)
    expected.backward(upstream)
    for ours, plain in ((out.data, expected.data), (x.grad, plain_x.grad),
                        (layer.weight.grad, weight.grad), (layer.bias.grad, bias.grad)):
        np.testing.assert_allclose(ours, plain, rtol=1e-4, atol=1e-5)

def dropout_in_training(output, x, p, upstream_grad):
    """What one library's dropout did: the fraction kept, the factor on kept inputs, whether
    dropped units are exactly 0, and the factor on the gradient of kept units."""
    kept = output != 0
    scale = output[kept] / x[kept]
    grad_scale = upstream_grad[kept]
    return (kept.mean(), float(scale.min()), float(scale.max()),
            bool(np.all(upstream_grad[~kept] == 0)), float(grad_scale.min()),
            float(grad_scale.max()))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_behaves_as_torch(p):
    """Each library with its own random mask (no mask is shared, so nothing is taken from
    the other side): the same keep rate within 5 sigma, the same factor 1/(1-p) on kept
    units and on their gradient, zeros elsewhere, and the identity at inference."""
    x = np.random.default_rng(0).uniform(0.5, 1.5, (400, 250))
    mine = rp.Tensor(x, requires_grad=True, dtype=np.float64)
    layer = nn.Dropout(p)
    out = layer(mine)
    out.sum().backward()
    ours = dropout_in_training(out.data, x, p, mine.grad)
    reference = torch.tensor(x, requires_grad=True)
    torch.manual_seed(0)
    expected = torch.nn.functional.dropout(reference, p=p, training=True)
    expected.sum().backward()
    theirs = dropout_in_training(expected.detach().numpy(), x, p, reference.grad.numpy())
    sigma = np.sqrt(p * (1 - p) / x.size)
    for keep in (ours[0], theirs[0]):
        assert abs(keep - (1 - p)) < 5 * sigma
    np.testing.assert_allclose(ours[1:3], theirs[1:3], rtol=1e-12)
    np.testing.assert_allclose(ours[1:3], 1 / (1 - p), rtol=1e-12)
    assert ours[3] and theirs[3]
    np.testing.assert_allclose(ours[4:], theirs[4:], rtol=1e-12)
    layer.eval()
    np.testing.assert_array_equal(layer(mine).data, x)
    np.testing.assert_array_equal(
        torch.nn.functional.dropout(reference, p=p, training=False).detach().numpy(), x)


def test_both_dropout_scalings_have_the_same_expected_output():
    x = np.ones((4000, 50))
    inverted, lecture = nn.Dropout(0.3), nn.Dropout(0.3, scale="inference")
    train_inverted = inverted(x).data.mean()
    train_lecture = lecture(x).data.mean()
    lecture.eval()
    inverted.eval()
    # inverted: E[train] = x = inference;  lecture: E[train] = P x = inference (P = 0.7)
    assert train_inverted == pytest.approx(inverted(x).data.mean(), abs=0.01)
    assert train_lecture == pytest.approx(lecture(x).data.mean(), abs=0.01)
    assert lecture(x).data.mean() == pytest.approx(0.7)
    keep = np.mean(nn.Dropout(0.3, scale="inference").train()(x).data)
    assert keep == pytest.approx(0.7, abs=0.01)


def test_gaussian_noise_draws_normal_noise_and_passes_gradients_through():
    """PyTorch has no noise layer; its rule y = x + ε, ε ~ N(0, σ²) is checked on our own
    draws (Kolmogorov–Smirnov against N(0, σ²), independence from x), the gradient is the
    identity (the VJP of a sum with a constant), and inference adds nothing."""
    from scipy import stats

    x = np.random.default_rng(12345).standard_normal((300, 200))  # not the library's seed 0
    layer = nn.GaussianNoise(0.5)
    mine = rp.Tensor(x, requires_grad=True, dtype=np.float64)
    out = layer(mine)
    noise = (out.data - x).ravel()
    assert stats.kstest(noise, stats.norm(scale=0.5).cdf).pvalue > 1e-3
    assert abs(np.corrcoef(noise, x.ravel())[0, 1]) < 5 / np.sqrt(x.size)
    upstream = np.random.default_rng(1).standard_normal(x.shape)
    out.backward(upstream)
    np.testing.assert_array_equal(mine.grad, upstream)
    assert not np.array_equal(layer(mine).data, out.data), "a new draw every call"
    assert layer.eval()(mine) is mine


def test_stochastic_binary_units():
    layer = nn.StochasticBinary()
    v = rp.Tensor(np.full((20000,), 0.8), requires_grad=True, dtype=np.float64)
    s = layer(v)
    assert set(np.unique(s.data)) == {0.0, 1.0}
    p = 1 / (1 + np.exp(-0.8))
    assert s.data.mean() == pytest.approx(p, abs=0.01)
    s.sum().backward()
    np.testing.assert_allclose(v.grad, p * (1 - p))  # the plain logistic gradient
    layer.eval()
    np.testing.assert_allclose(layer(v).data, p)


def test_monte_carlo_dropout_gives_a_spread():
    model = rp.models.mlp([10, 64, 3], dropout=0.5)
    X = np.random.default_rng(0).standard_normal((5, 10))
    mean, std = rp.predict_mc(model, X, samples=50)
    assert mean.shape == std.shape == (5, 3)
    np.testing.assert_allclose(mean.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(std > 0)
    assert model.training  # mode restored
    deterministic = rp.models.mlp([10, 3])
    assert np.all(rp.predict_mc(deterministic, X, samples=5)[1] < 1e-6)


def test_monte_carlo_dropout_refuses_the_softmax_of_one_output():
    """The softmax of one column is 1 whatever the model says: mean 1 and spread 0 (it
    was returned silently, a binary classifier looking certain)."""
    model = rp.models.mlp([10, 64, 1], dropout=0.5)
    X = np.random.default_rng(0).standard_normal((5, 10))
    with pytest.raises(ValueError, match=r"outputs shape \(5, 1\); the softmax of one column"):
        rp.predict_mc(model, X, samples=3)
    assert all(module.training for module in model.modules())  # modes given back
    mean, std = rp.predict_mc(rp.nn.Sequential(model, rp.nn.Sigmoid()), X, samples=20,
                              probabilities=False)
    assert mean.shape == (5, 1) and np.all((0 < mean) & (mean < 1)) and np.all(std > 0)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_refuses_an_input_of_another_dtype(affine, training):
    layer = nn.BatchNorm1d(3, affine=affine, dtype=np.float64).train(training)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    with pytest.raises(TypeError, match="float32"):  # affine=False mixed them silently
        layer(rp.Tensor(x, dtype=np.float32))
    assert layer.running_mean.dtype == np.float64 and not layer.num_batches_tracked
