"""BFGS (Berzal, "Backpropagation", Granada, "Métodos quasi-Newton"): the update formula, the
optimizer's inverse-Hessian estimate step by step, and scipy's BFGS on the same problems."""

import numpy as np
import pytest
from scipy import optimize

import retroprop as rp
from retroprop.optim.bfgs import bfgs_update


def product_form(H, s, y):
    rho = 1.0 / (y @ s)
    left = np.eye(len(s)) - rho * np.outer(s, y)
    return left @ H @ left.T + rho * np.outer(s, s)


def test_update_is_the_product_formula_symmetric_and_secant():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(6, 6))
    H = M @ M.T + np.eye(6)
    s = rng.normal(size=6)
    y = s + 0.3 * rng.normal(size=6)  # y·s > 0
    assert y @ s > 0
    updated = bfgs_update(H, s, y)
    np.testing.assert_allclose(updated, product_form(H, s, y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(updated @ y, s, rtol=1e-12)
    np.testing.assert_allclose(updated, updated.T, atol=1e-12)
    assert np.linalg.eigvalsh(updated).min() > 0


def quadratic(A, b):
    def fn(x):
        A_, b_ = rp.Tensor(A, dtype=np.float64), rp.Tensor(b, dtype=np.float64)
        return 0.5 * (x * (A_ @ x)).sum() - (b_ * x).sum()
    return fn


def problem(n=8, seed=1):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    return M @ M.T / n + np.diag(np.linspace(0.5, 5, n)), rng.normal(size=n)


def test_inverse_hessian_follows_the_formula_iteration_by_iteration():
    A, b = problem()
    x = rp.nn.Parameter(np.zeros(len(b)))
    opt = rp.optim.BFGS([x], max_iter=1)
    fn = quadratic(A, b)

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    H, points, grads = None, [x.data.copy()], [A @ x.data - b]
    for _ in range(6):
        opt.step(closure)
        points.append(x.data.copy())
        grads.append(A @ x.data - b)
        if len(points) >= 3:  # the pair of the previous iteration is folded in now
            s, y = points[-2] - points[-3], grads[-2] - grads[-3]
            H = (y @ s) / (y @ y) * np.eye(len(b)) if H is None else H
            H = product_form(H, s, y)
            np.testing.assert_allclose(opt.shared_state["inverse_hessian"], H, rtol=1e-9,
                                       atol=1e-12)
            step = points[-1] - points[-2]  # along d = -H g
            direction = -H @ grads[-2]
            np.testing.assert_allclose(step / np.linalg.norm(step),
                                       direction / np.linalg.norm(direction), atol=1e-9)


def run_bfgs(fn, x0, max_iter=200):
    x = rp.nn.Parameter(np.array(x0, dtype=np.float64))
    opt = rp.optim.BFGS([x], max_iter=max_iter, tolerance_grad=1e-9, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    opt.step(closure)
    return x.data, opt.shared_state


def test_against_scipy_on_a_quadratic():
    A, b = problem(n=10, seed=2)
    ours, state = run_bfgs(quadratic(A, b), np.zeros(10))
    theirs = optimize.minimize(lambda v: 0.5 * v @ A @ v - b @ v, np.zeros(10),
                               jac=lambda v: A @ v - b, method="BFGS", options={"gtol": 1e-9})
    solution = np.linalg.solve(A, b)
    np.testing.assert_allclose(ours, solution, atol=1e-7)
    np.testing.assert_allclose(theirs.x, solution, atol=1e-7)
    assert state["n_iter"] <= theirs.nit + 5
    # both estimates of the inverse Hessian approach A⁻¹ along the directions explored
    inverse = np.linalg.inv(A)
    assert np.linalg.norm(state["inverse_hessian"] - inverse) < 0.2 * np.linalg.norm(inverse)


def test_against_scipy_on_rosenbrock():
    def rosenbrock(x):
        return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).sum()

    ours, state = run_bfgs(rosenbrock, [-1.2, 1.0])
    theirs = optimize.minimize(optimize.rosen, [-1.2, 1.0], jac=optimize.rosen_der,
                               method="BFGS", options={"gtol": 1e-9})
    np.testing.assert_allclose(ours, [1.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(theirs.x, [1.0, 1.0], atol=1e-7)
    assert state["n_iter"] <= 2 * theirs.nit
    H = state["inverse_hessian"]
    hessian = np.array([[802.0, -400.0], [-400.0, 200.0]])  # ∇²f at (1, 1)
    np.testing.assert_allclose(H, np.linalg.inv(hessian), rtol=0.2, atol=0.02)


def test_by_name_and_bad_arguments():
    x = rp.nn.Parameter(np.zeros(3))
    assert isinstance(rp.optim.create("bfgs", [x]), rp.optim.BFGS)
    with pytest.raises(ValueError, match="BFGS: max_iter must be a positive integer"):
        rp.optim.BFGS([x], max_iter=0)
    with pytest.raises(ValueError, match="use LBFGS"):
        rp.optim.BFGS([rp.nn.Parameter(np.zeros(20000))])


def test_bfgs_warns_under_its_own_name():
    """A closure whose loss never falls along its gradient (inconsistent on purpose): the
    line search fails, and the warning names BFGS (it said "LBFGS")."""
    x = rp.nn.Parameter(np.array([1.0, 2.0]))
    optimizer = rp.optim.BFGS([x], max_iter=3)

    def closure():
        optimizer.zero_grad()
        loss = (x * 0.0).sum() + 1.0
        x.grad = np.ones(2)
        return loss

    with pytest.warns(RuntimeWarning, match="^BFGS: the line search could not decrease"):
        optimizer.step(closure)
