"""Newton's adaptive damping (Levenberg–Marquardt rule): ρ = actual / predicted decrease,
with the prediction from the quadratic model at the old weights,
m(p) = E(w) + ∇E(w)ᵀp + ½ pᵀH(w)p, for the step p = η Δ actually taken."""

import numpy as np
import pytest

import retroprop as rp
from retroprop.nn import Parameter


def log_cosh(x):
    return np.log(np.cosh(x))


def expected_damping(x0: float, damping: float, lr: float) -> tuple[float, float]:
    """The damped step on E = log cosh x and λ after it, by the rule's formula."""
    gradient, hessian = np.tanh(x0), 1 - np.tanh(x0) ** 2
    step = lr * -gradient / (hessian + damping)
    actual = log_cosh(x0) - log_cosh(x0 + step)
    predicted = -(gradient * step + 0.5 * hessian * step ** 2)
    ratio = actual / predicted
    if ratio > 0.75:
        return ratio, damping * 2 / 3
    if ratio < 0.25:
        return ratio, damping * 1.5
    return ratio, damping


def newton_step(x0: float, damping: float, lr: float) -> tuple[Parameter, rp.optim.Newton]:
    """One damped Newton iteration on E = log cosh x from x0."""
    w = Parameter(np.array([x0]))
    optimizer = rp.optim.Newton([w], hessian="exact", damping=damping, lr=lr, max_iter=1)

    def closure():
        optimizer.zero_grad()
        loss = ((w.exp() + (-w).exp()) * 0.5).log().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return w, optimizer


def damping_after_one_step(x0: float, damping: float, lr: float) -> float:
    return newton_step(x0, damping, lr)[1].shared_state["damping"]


def test_poor_step_grows_the_damping_with_the_hessian_at_the_old_point():
    """From x0 = 1 the Newton step overshoots to x ≈ -0.81: ρ = 0.198 < 1/4 with H(w),
    so λ grows ×3/2 (with H at the new point, ρ would be 0.289 and λ kept)."""
    ratio, damping = expected_damping(1.0, 1e-3, lr=1.0)
    assert ratio == pytest.approx(0.198, abs=1e-3)
    assert damping == pytest.approx(1.5e-3)
    assert damping_after_one_step(1.0, 1e-3, lr=1.0) == pytest.approx(damping)


def test_predicted_decrease_uses_the_step_scaled_by_the_learning_rate():
    """With η = 0.5 the half step is good (ρ = 0.83 > 3/4): λ shrinks ×2/3."""
    ratio, damping = expected_damping(1.0, 1e-3, lr=0.5)
    assert ratio > 0.75
    assert damping_after_one_step(1.0, 1e-3, lr=0.5) == pytest.approx(damping)


def test_gradient_is_left_at_the_new_weights():
    w, _ = newton_step(1.0, 1e-3, lr=0.5)
    np.testing.assert_allclose(w.grad, np.tanh(w.data), rtol=1e-12)


def test_a_step_that_raises_the_error_is_solved_again_with_more_damping():
    """On E = √(1 + x²) from x0 = 2 the Newton step overshoots to x ≈ -7.9 unless
    λ > 0.13: each rejected try raises λ ×3/2 and solves again, within the same
    iteration, as Levenberg–Marquardt does (the step used to end with the weights kept,
    so a full-batch epoch made no progress)."""
    w = Parameter(np.array([2.0]))
    optimizer = rp.optim.Newton([w], hessian="exact", damping=0.05, max_iter=1)

    def closure():
        optimizer.zero_grad()
        loss = ((w * w + 1.0) ** 0.5).sum()
        loss.backward()
        return loss

    hessians = []
    exact = optimizer.hessian
    optimizer.hessian = lambda closure: hessians.append(1) or exact(closure)
    optimizer.step(closure)
    assert len(hessians) == 1  # built once for the iteration, not once per try
    damping = 0.05
    while True:  # the tries the rule takes, by hand
        step = -(2 / np.sqrt(5)) / (5 ** -1.5 + damping)
        if np.sqrt(1 + (2 + step) ** 2) <= np.sqrt(5):
            break
        damping *= 1.5
    assert damping > 0.05 and w.data[0] == pytest.approx(2 + step, rel=1e-9)
    np.testing.assert_allclose(w.grad, w.data / np.sqrt(1 + w.data ** 2), rtol=1e-12)


def nan_beyond(optimizer: rp.optim.Newton, w: Parameter, start: np.ndarray, radius: float):
    """E = Σ w² near ``start``, NaN farther than ``radius`` from it (log of a negative)."""
    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        if np.linalg.norm(w.data - start) > radius:
            loss = loss * float("nan")
        loss.backward()
        return loss
    return closure


@pytest.mark.parametrize("hessian", ["exact", "cg"])
def test_a_step_to_a_nan_error_is_retried_with_more_damping(hessian):
    """ρ of a step to E = NaN is NaN: it must count as a poor step (λ ×3/2), or the same
    step is solved again forever."""
    start = np.array([1.0, 2.0])
    w = Parameter(start.copy())
    optimizer = rp.optim.Newton([w], hessian=hessian)
    optimizer.step(nan_beyond(optimizer, w, start, 0.5))
    assert optimizer.shared_state["damping"] > 1e-3
    assert 0 < np.linalg.norm(w.data - start) <= 0.5
    assert np.sum(w.data ** 2) < np.sum(start ** 2)


def test_an_error_not_finite_at_the_start_keeps_the_weights():
    start = np.array([1.0, 2.0])
    w = Parameter(start.copy())
    optimizer = rp.optim.Newton([w], hessian="exact", max_iter=3)
    assert np.isnan(optimizer.step(nan_beyond(optimizer, w, start + 10, 0.5)))
    np.testing.assert_array_equal(w.data, start)
