"""The lectures' worked examples: the numbers on the slides."""

import numpy as np
import pytest

import retroprop as rp


def test_chain_rule_of_tobon_and_aguirre():
    result = rp.experiments.chain_rule(points=(1.0, float(np.e), 4.0))
    np.testing.assert_allclose(result.data["autograd"], [8.0, 5 * 2 / np.e,
                                                         2 * (np.log(4) + 4) / 4], rtol=1e-12)
    np.testing.assert_allclose(result.data["autograd"], result.data["formula"], rtol=1e-12)
    assert result.rows[0][2] == pytest.approx(16.0)  # h(1) = (ln 1 + 4)² = 16


def test_six_activations_and_their_derivatives(tmp_path):
    result = rp.experiments.activations()
    data = result.data
    grid = data["grid"]
    zero = int(np.searchsorted(grid, 0.0))
    assert set(data) - {"grid"} == {"sign", "sigmoid", "tanh", "ReLU", "leaky ReLU (0.01)",
                                    "ELU (α = 1)"}
    assert data["sigmoid"]["derivative"].max() == pytest.approx(0.25)  # at most 1/4
    assert data["sigmoid"]["derivative"][zero] == pytest.approx(0.25)
    assert data["tanh"]["derivative"][zero] == pytest.approx(1.0)
    s = 1 / (1 + np.exp(-grid))
    np.testing.assert_allclose(data["sigmoid"]["derivative"], s * (1 - s), atol=1e-12)
    np.testing.assert_allclose(data["ELU (α = 1)"]["value"][grid < 0],
                               np.exp(grid[grid < 0]) - 1, atol=1e-12)
    np.testing.assert_allclose(data["leaky ReLU (0.01)"]["derivative"][grid < 0], 0.01)
    assert np.all(data["ReLU"]["derivative"][grid > 0] == 1)
    assert np.all(data["sign"]["derivative"] == 0)
    result.plot(tmp_path / "activations.png")
    assert (tmp_path / "activations.png").stat().st_size > 20_000


def test_convolution_of_berzal():
    result = rp.experiments.convolution()
    np.testing.assert_array_equal(result.data["feature"], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    # weight sharing: the kernel's gradient sums the gradients of its nine copies
    np.testing.assert_array_equal(result.data["kernel_grad"], result.data["patch_sum"])


def test_geometric_mean_of_two_models():
    result = rp.experiments.geometric_mean()
    expected = np.sqrt([0.03, 0.16, 0.05])
    np.testing.assert_allclose(result.data["geometric"], expected / expected.sum())
    np.testing.assert_allclose(result.data["geometric"], [0.217373, 0.502001, 0.280627],
                               atol=1e-6)
    np.testing.assert_allclose(result.data["arithmetic"], [0.2, 0.5, 0.3])
    with pytest.raises(ValueError, match="model_b must be probabilities"):
        rp.experiments.geometric_mean(model_b=(0.5, 0.6, 0.1))


def test_rprop_fails_on_mini_batches():
    result = rp.experiments.rprop_mini_batches(rounds=5)
    sgd, rprop = result.data["SGD (η = 0.01)"], result.data["rprop (Δ0 = 0.01)"]
    irprop, rmsprop = result.data["irprop- (Δ0 = 0.01)"], result.data["rmsprop (0.9, η = 0.01)"]
    assert np.abs(sgd[10::10]).max() < 1e-12  # the gradients cancel every round
    moves = np.sign(np.diff(rprop))
    assert (moves < 0).sum() == 45 and (moves > 0).sum() == 5  # nine one way, one the other
    assert rprop[-1] < rprop[10] < -0.1  # and the weight keeps drifting
    assert irprop[-1] < rprop[-1]
    assert abs(rmsprop[-1]) < abs(rprop[-1]) / 3


def test_momentum_reaches_its_terminal_velocity():
    result = rp.experiments.momentum_velocity(lr=0.01, slope=2.0, steps=300,
                                             momenta=(0.0, 0.5, 0.9))
    for momentum in (0.0, 0.5, 0.9):
        velocity = result.data[momentum]
        assert velocity[-1] == pytest.approx(-0.01 * 2.0 / (1 - momentum), rel=1e-9)
    assert result.rows[2][3] == pytest.approx(10.0)  # μ = 0.9: ten times the gradient step
    with pytest.raises(ValueError, match="momentum must be in"):
        rp.experiments.momentum_velocity(momenta=(1.0,))


@pytest.mark.parametrize("size", [3, 6])
def test_conjugate_gradient_in_n_steps_newton_in_one(size):
    data = rp.experiments.quadratic_steps(size=size, condition=50.0).data
    start = data["newton"][0]
    assert data["newton"][1] < 1e-9 * start
    assert data["conjugate gradient"][size] < 1e-9 * start
    assert data["conjugate gradient"][size - 1] > 1e-3 * start  # not before N steps
    assert data["gradient descent"][size] > 0.1 * start
