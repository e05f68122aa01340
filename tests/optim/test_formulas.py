"""The formulas of the optimizers that PyTorch lacks, checked against the lectures' rules
written out again here (Berzal, "Backpropagation"), and clipping against PyTorch."""

import numpy as np
import pytest
import torch

import retroprop as rp
from tests.optim.conftest import closure_for

A = np.array([[3.0, 1.0], [1.0, 2.0]])


def const(values):
    return rp.Tensor(np.asarray(values, dtype=np.float64), dtype=np.float64)


def quartic(x):
    """E(w) = Σ w⁴/4 + ½ wᵀAw: not a quadratic, so Polak–Ribière and Fletcher–Reeves
    differ."""
    return (x ** 4).sum() / 4 + 0.5 * (x * (const(A) @ x)).sum()


def test_conjugate_gradient_uses_polak_ribiere():
    w = rp.nn.Parameter(np.array([1.0, -0.5]))
    optimizer = rp.optim.ConjugateGradient([w], max_iter=1)
    closure = closure_for(optimizer, quartic, w)
    optimizer.step(closure)
    r0 = optimizer.shared_state["residual"].copy()
    s0 = optimizer.shared_state["direction"].copy()
    w1 = w.data.copy()
    optimizer.step(closure)
    r1 = -(w1 ** 3 + A @ w1)  # r = -∇E at the second step's start
    np.testing.assert_allclose(optimizer.shared_state["residual"], r1, rtol=1e-12)
    polak_ribiere = max(float(r1 @ (r1 - r0)) / float(r0 @ r0), 0.0)
    fletcher_reeves = float(r1 @ r1) / float(r0 @ r0)
    assert abs(polak_ribiere - fletcher_reeves) > 1e-2, "the example must tell them apart"
    np.testing.assert_allclose(optimizer.shared_state["direction"], r1 + polak_ribiere * s0,
                               rtol=1e-10)


def test_levenberg_marquardt_damping_schedule():
    """μ × 0.1 after a step that lowers E, × 10 (and retry) after one that does not; the
    steps solve (JᵀJ + μI)Δ = -Jᵀr (Rosenbrock's residuals, exact 2×2 solves here)."""
    def residuals_of(w):
        return np.array([10 * (w[1] - w[0] ** 2), 1 - w[0]])

    def jacobian(w):
        return np.array([[-20 * w[0], 10.0], [-1.0, 0.0]])

    w = rp.nn.Parameter(np.array([-1.2, 1.0]))
    optimizer = rp.optim.LevenbergMarquardt([w], mu=1.0, cg_iter=10)
    expected, mu, mus, accepted = np.array([-1.2, 1.0]), 1.0, [], []
    for _ in range(6):
        optimizer.step(lambda: const([10.0, 0.0]) * (w[1] - w[0] ** 2) +
                       const([0.0, -1.0]) * (w[0] - 1.0))
        r, jac = residuals_of(expected), jacobian(expected)
        while True:
            delta = np.linalg.solve(jac.T @ jac + mu * np.eye(2), -jac.T @ r)
            trial = expected + delta
            if 0.5 * residuals_of(trial) @ residuals_of(trial) < 0.5 * r @ r:
                expected, mu = trial, mu * 0.1
                accepted.append(True)
                break
            mu *= 10
            accepted.append(False)
        mus.append(mu)
        np.testing.assert_allclose(w.data, expected, rtol=1e-6, atol=1e-8)
        assert optimizer.mu == pytest.approx(mu, rel=1e-12)
    assert not all(accepted), "the path must include a rejected step"


CURVATURE = np.array([1.0, 4.0])


def vsgd_on_a_quadratic():
    """VSGD (n0 = 3, C = 2) on E = ½ Σ c_i w_i² from w = (1, -2), and its closure."""
    w = rp.nn.Parameter(np.array([1.0, -2.0]))
    optimizer = rp.optim.VSGD([w], warmup=3, overestimate=2.0)
    return w, optimizer, closure_for(
        optimizer, lambda x: 0.5 * (const(CURVATURE) * x * x).sum(), w)


def test_vsgd_gathers_statistics_during_its_slow_start():
    """The first n0 steps do not move the weights; then ḡ is the mean gradient and v̄, h̄
    are the mean square gradient and the curvature times C (Schaul et al. 2013)."""
    curvature = CURVATURE
    w, optimizer, closure = vsgd_on_a_quadratic()
    start = w.data.copy()
    for _ in range(3):
        optimizer.step(closure)
        np.testing.assert_array_equal(w.data, start)
    g = curvature * start
    state = optimizer.state[w]
    np.testing.assert_allclose(state["g_avg"], g)
    np.testing.assert_allclose(state["v_avg"], 2 * g * g)
    np.testing.assert_allclose(state["h_avg"], 2 * curvature, rtol=1e-6)
    optimizer.step(closure)
    assert not np.array_equal(w.data, start)


def test_vsgd_first_step_after_the_slow_start_is_the_rate_g2_over_h_v():
    """After n0 = 3 steps on E = ½ Σ c_i w_i² (curvature c, a constant gradient g = c w
    while the weights wait): ḡ = g, v̄ = C g², h̄ = C c with C = 2, τ = n0. The next step
    averages with weight 1/τ, ḡ² / v̄ = 3/5, and moves by η* g with η* = ḡ² / (h̄ v̄),
    then τ ← (1 - ḡ²/v̄) τ + 1 (Schaul, Zhang and LeCun 2013, "No more pesky learning
    rates", in Berzal's lecture)."""
    curvature = CURVATURE
    w, optimizer, closure = vsgd_on_a_quadratic()
    start = w.data.copy()
    for _ in range(4):
        optimizer.step(closure)
    g = curvature * start
    g_avg = g                                   # the same g every step
    v_avg = 2 * g * g + (g * g - 2 * g * g) / 3  # (5/3) g²
    h_avg = 2 * curvature + (curvature - 2 * curvature) / 3  # (5/3) c
    rate = g_avg ** 2 / (h_avg * v_avg)          # η* = ḡ² / (h̄ v̄) = (3/5) / h̄
    state = optimizer.state[w]
    np.testing.assert_allclose(state["rate"], rate, rtol=1e-6)
    np.testing.assert_allclose(state["rate"], [0.36, 0.09], rtol=1e-6)
    np.testing.assert_allclose(w.data, start - rate * g, rtol=1e-6)
    np.testing.assert_allclose(state["tau"], (1 - 3 / 5) * 3 + 1, rtol=1e-6)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, np.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    ours = [rp.nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad = g.copy()
        q.grad = torch.tensor(g)
    total = rp.nn.utils.clip_grad_norm_(ours, 0.5, norm_type=norm_type)
    reference = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
    assert total == pytest.approx(float(reference), rel=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_the_cubic_step_of_a_collapsed_bracket_is_its_point():
    """L-BFGS with tolerance_change=0 can shrink a bracket to one point: no division by 0."""
    from retroprop.optim.line_search import Point, cubic_minimizer

    point = Point(0.5, 1.0, np.zeros(2), -1.0)
    assert cubic_minimizer(point, point) == 0.5
    w = rp.nn.Parameter(np.array([-1.2, 1.0]))
    optimizer = rp.optim.LBFGS([w], max_iter=200, tolerance_change=0.0, tolerance_grad=0.0)

    def rosenbrock(x):
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    optimizer.step(closure_for(optimizer, rosenbrock, w))
    np.testing.assert_allclose(w.data, [1.0, 1.0], atol=1e-6)
