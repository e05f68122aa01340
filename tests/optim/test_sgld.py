"""SGLD (Welling & Teh 2011; Berzal's "Bayesian fitting"): the update is the formula, without
noise it is PyTorch's SGD, its draws have the exact posterior's mean and covariance, and its
noise generator is part of its state."""

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.optim.conftest import assert_steps_agree, rp_closure


def test_each_step_is_the_formula_in_float64():
    """θ ← θ - η/2 (N g + λ θ) + √(η T) ξ, ξ from the optimizer's generator, one draw per
    parameter with a gradient, in group order; a parameter without a gradient is skipped
    and draws nothing."""
    rng = np.random.default_rng(0)
    weight = rp.nn.Parameter(rng.standard_normal((3, 4)))
    bias = rp.nn.Parameter(rng.standard_normal(3))
    idle = rp.nn.Parameter(rng.standard_normal(2))
    groups = [{"params": [weight, idle]}, {"params": [bias], "lr": 0.02, "weight_decay": 0.0}]
    optimizer = rp.optim.SGLD(groups, lr=0.01, num_examples=50, weight_decay=3.0,
                              temperature=0.7, seed=11)
    noise = np.random.default_rng(11)
    expected = {"weight": weight.data.copy(), "bias": bias.data.copy()}
    settings = {"weight": (0.01, 3.0), "bias": (0.02, 0.0)}
    for step in range(5):
        gradients = {"weight": rng.standard_normal((3, 4)), "bias": rng.standard_normal(3)}
        weight.grad, bias.grad = gradients["weight"], gradients["bias"]
        optimizer.step()
        for name in ("weight", "bias"):
            lr, decay = settings[name]
            theta = expected[name]
            expected[name] = theta - lr / 2 * (50 * gradients[name] + decay * theta) + \
                np.sqrt(lr * 0.7) * noise.standard_normal(theta.shape)
        np.testing.assert_allclose(weight.data, expected["weight"], rtol=1e-13, atol=1e-13,
                                   err_msg=f"step {step + 1}")
        np.testing.assert_allclose(bias.data, expected["bias"], rtol=1e-13, atol=1e-13)
    assert idle.grad is None


def test_without_noise_it_is_torch_sgd_with_rate_eta_n_over_2(problem):
    """T = 0: θ ← θ - η/2 (N ∇L + λ θ), which is SGD(lr=η N/2, weight_decay=λ/N) on L."""
    model, twin, _, _ = problem
    lr, n, decay = 0.002, 64, 0.5
    optimizer = rp.optim.SGLD(model.parameters(), lr=lr, num_examples=n, weight_decay=decay,
                              temperature=0.0)
    reference = torch.optim.SGD(twin.parameters(), lr=lr * n / 2, weight_decay=decay / n)
    assert_steps_agree(problem, optimizer, reference, "SGLD at T = 0")


def linear_regression(N=200, d=2, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, d))
    y = X @ np.array([1.0, -0.5])[:d] + noise * rng.standard_normal(N)
    return X, y


@pytest.mark.parametrize("batch", [None, 50])
def test_draws_have_the_exact_posterior_of_bayesian_linear_regression(batch):
    """y = x·w + N(0, σ²), prior w ~ N(0, λ⁻¹ I): the posterior is N(A⁻¹ Xᵀy/σ², A⁻¹) with
    A = λ I + XᵀX/σ². 2000 independent chains (the rows of one parameter), each on its own
    mini-batches drawn with replacement (or the whole set), from w = 0, 28 posterior
    standard deviations away; after a burn-in, the draws' mean and covariance are the posterior's. A
    missing ½ on the step, noise of variance 2η or a missing N would double (or scale by
    about N) the covariance. With η = 4·10⁻⁵ the discretization inflates it by about 1%,
    the mini-batches (n = 50 of 200) by about 3%."""
    X, y = linear_regression()
    N, d = X.shape
    sigma2, precision = 0.25, 1.0
    A = precision * np.eye(d) + X.T @ X / sigma2
    covariance = np.linalg.inv(A)
    mean = covariance @ X.T @ y / sigma2
    chains = 2000
    weight = rp.nn.Parameter(np.zeros((chains, d)))
    optimizer = rp.optim.SGLD([weight], lr=4e-5, num_examples=N, weight_decay=precision,
                              seed=1)
    rng = np.random.default_rng(2)
    draws = []
    for step in range(1100):
        if batch is None:
            weight.grad = -(y - weight.data @ X.T) @ X / (sigma2 * N)
        else:
            rows = rng.integers(0, N, (chains, batch))
            Xb, yb = X[rows], y[rows]  # (chains, n, d), (chains, n)
            residual = yb - np.einsum("cnd,cd->cn", Xb, weight.data)
            weight.grad = -np.einsum("cnd,cn->cd", Xb, residual) / (sigma2 * batch)
        optimizer.step()
        if step >= 500 and step % 40 == 0:
            draws.append(weight.data.copy())
    samples = np.concatenate(draws)
    std = np.sqrt(np.diag(covariance))
    np.testing.assert_allclose(samples.mean(axis=0), mean, atol=0.05 * std.min())
    tolerance = 0.04 if batch is None else 0.08
    np.testing.assert_allclose(np.cov(samples.T), covariance,
                               atol=tolerance * np.abs(covariance).max())


def test_a_temperature_scales_the_posterior_covariance():
    """At temperature T the draws come from p(θ | D)^(1/T): a Gaussian posterior's
    covariance times T."""
    X, y = linear_regression()
    sigma2 = 0.25
    covariance = np.linalg.inv(np.eye(2) + X.T @ X / sigma2)
    chains = 2000
    weight = rp.nn.Parameter(np.zeros((chains, 2)))
    optimizer = rp.optim.SGLD([weight], lr=4e-5, num_examples=len(X), weight_decay=1.0,
                              temperature=0.25, seed=3)
    for _ in range(400):
        residual = y - weight.data @ X.T  # (chains, N)
        weight.grad = -residual @ X / (sigma2 * len(X))
        optimizer.step()
    np.testing.assert_allclose(np.cov(weight.data.T), 0.25 * covariance,
                               atol=0.1 * 0.25 * np.abs(covariance).max())


def test_state_dict_continues_the_same_draws(tmp_path):
    """An optimizer saved with ``rp.save`` and loaded into a fresh one (another seed) takes
    the same noisy steps as the one that went on."""
    rp.manual_seed(0)
    model = rp.models.mlp([4, 5, 3])
    X, y = np.random.default_rng(0).standard_normal((20, 4)), np.arange(20) % 3
    optimizer = rp.optim.SGLD(model.parameters(), lr=1e-3, num_examples=20, seed=5)
    step = rp_closure(model, optimizer, X, y)
    for _ in range(3):
        optimizer.step(step)
    rp.save(model, tmp_path / "m.rpz", optimizer=optimizer)
    twin = rp.load(tmp_path / "m.rpz")
    resumed = rp.optim.SGLD(twin.parameters(), lr=1e-3, num_examples=20, seed=99)
    resumed.load_state_dict(rp.load_optimizer_state(tmp_path / "m.rpz", resumed))
    twin_step = rp_closure(twin, resumed, X, y)
    for _ in range(4):
        optimizer.step(step)
        resumed.step(twin_step)
    for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values(),
                            strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_the_seed_comes_from_manual_seed_when_not_given():
    def noise():
        rp.manual_seed(4)
        w = rp.nn.Parameter(np.zeros(6))
        optimizer = rp.optim.SGLD([w], lr=1.0)
        w.grad = np.zeros(6)
        optimizer.step()
        return w.data.copy()

    first = noise()
    np.testing.assert_array_equal(first, noise())
    assert np.std(first) > 0.1


def test_prox_rate_is_the_step_of_the_loss_gradient():
    w = rp.nn.Parameter(np.zeros(2))
    optimizer = rp.optim.SGLD([w], lr=0.01, num_examples=300)
    assert optimizer.prox_rate(w) == pytest.approx(1.5)
    assert optimizer.prox_rate(rp.nn.Parameter(np.zeros(1))) == 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(lr=0.0), "lr must be a positive finite number, got 0.0"),
    (dict(lr=float("nan")), "lr must be a positive finite number"),
    (dict(num_examples=0), "num_examples must be a positive integer, got 0"),
    (dict(num_examples=2.5), "num_examples must be a positive integer, got 2.5"),
    (dict(num_examples=True), "num_examples must be a positive integer, got True"),
    (dict(temperature=-1.0), r"temperature must be in \[0.0, inf\), got -1.0"),
    (dict(weight_decay=-0.1), r"weight_decay must be in \[0.0, inf\), got -0.1"),
    (dict(seed=-1), "SGLD: seed must be an integer >= 0 or None, got -1"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rp.optim.SGLD(rp.models.mlp([2, 2]).parameters(), **kwargs)


def test_the_state_of_another_optimizer_is_refused():
    params = list(rp.models.mlp([2, 2]).parameters())
    state = rp.optim.SGD(params, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="not saved by an SGLD optimizer"):
        rp.optim.SGLD(params).load_state_dict(state)


def test_by_name():
    optimizer = rp.optim.create("sgld", rp.models.mlp([2, 2]).parameters(), lr=0.01,
                                num_examples=10)
    assert isinstance(optimizer, rp.optim.SGLD)
