"""Second-order and full-batch methods (seed 001, "Técnicas de optimización de segundo
orden"): their textbook guarantees, and training on the digits."""

import numpy as np
import pytest

import retroprop as rp
from tests.optim.conftest import closure_for

N = 10


@pytest.fixture(scope="module")
def quadratic():
    """E(x) = ½ xᵀAx - bᵀx, A symmetric positive definite (condition number 10^1.5)."""
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((N, N)))
    A = q @ np.diag(np.logspace(0, 1.5, N)) @ q.T
    b = rng.standard_normal(N)
    return A, b, np.linalg.solve(A, b)


def quadratic_fn(A, b):
    A_t, b_t = rp.Tensor(A, dtype=np.float64), rp.Tensor(b, dtype=np.float64)
    return lambda x: (x @ (A_t @ x)) * 0.5 - (b_t * x).sum()


def test_conjugate_gradient_solves_a_quadratic_in_n_iterations(quadratic):
    A, b, solution = quadratic
    x = rp.nn.Parameter(np.zeros(N))
    # An exact line search (c2 -> 0), as the N-step guarantee assumes.
    optimizer = rp.optim.ConjugateGradient([x], max_iter=N, c2=1e-9, eps=1e-12)
    optimizer.step(closure_for(optimizer, quadratic_fn(A, b), x))
    assert optimizer.shared_state["steps"] <= N
    np.testing.assert_allclose(x.data, solution, atol=1e-8)


@pytest.mark.parametrize(("hessian", "tolerance"), [("exact", 1e-8), ("cg", 1e-6)])
def test_newton_minimizes_a_quadratic_in_one_step(quadratic, hessian, tolerance):
    """Hessian-free products come from finite differences of gradients, which limits
    their accuracy to about 1e-9 relative; the exact Hessian is exact on a quadratic."""
    A, b, solution = quadratic
    result = rp.optim.minimize(quadratic_fn(A, b), np.zeros(N), method="newton", steps=1,
                               hessian=hessian, damping=0.0, adapt_damping=False, cg_iter=N)
    np.testing.assert_allclose(result.x, solution, atol=tolerance)


def test_exact_hessian_is_the_matrix(quadratic):
    A, b, _ = quadratic
    x = rp.nn.Parameter(np.zeros(N))
    optimizer = rp.optim.Newton([x], hessian="exact")
    hessian = optimizer.hessian(closure_for(optimizer, quadratic_fn(A, b), x))
    np.testing.assert_allclose(hessian, A, atol=1e-6)


def rosenbrock(x):
    return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).sum()


@pytest.mark.parametrize(("method", "options"), [
    ("lbfgs", dict(max_iter=200, tolerance_change=1e-15, tolerance_grad=1e-12)),
    ("cg", dict(max_iter=500)),
    ("newton", dict(max_iter=100, hessian="exact")),
])
def test_reaching_the_minimum_of_rosenbrock(method, options):
    result = rp.optim.minimize(rosenbrock, [-1.2, 1.0], method=method, steps=1, **options)
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-5)


def test_a_line_search_without_progress_stops_and_says_so():
    x = rp.nn.Parameter(np.array([1.0, 2.0]))
    optimizer = rp.optim.LBFGS([x], max_iter=50)
    calls = []

    def lying_closure():  # reports the gradient of -E: every step uphill
        optimizer.zero_grad()
        value = (x * x).sum()
        (-value).backward()
        calls.append(1)
        return value

    with pytest.warns(RuntimeWarning, match="could not decrease the loss"):
        optimizer.step(lying_closure)
    assert len(calls) <= 50 * 5 // 4 + 1


@pytest.fixture(scope="module")
def digits64():
    (X, y), (X_test, y_test) = rp.datasets.load_digits()
    flat = lambda a: rp.datasets.scale(a.reshape(len(a), -1), 16).astype(np.float64)  # noqa: E731
    return flat(X), y, flat(X_test), y_test


@pytest.fixture(scope="module")
def reference_accuracy(digits64):
    """scikit-learn's MLP with the same 64 tanh hidden units, trained by L-BFGS to
    convergence: the bar our full-batch methods must reach (within 1 point, about 4 of the
    359 test images), instead of a threshold read off our own score."""
    from sklearn.neural_network import MLPClassifier

    X, y, X_test, y_test = digits64
    reference = MLPClassifier((64,), activation="tanh", solver="lbfgs", alpha=3e-4,
                              max_iter=300, random_state=0).fit(X, y)
    return reference.score(X_test, y_test)


@pytest.mark.parametrize("method", ["lbfgs", "cg"])
def test_full_batch_training_on_digits(digits64, reference_accuracy, method):
    X, y, X_test, y_test = digits64
    rp.manual_seed(0)
    model = rp.nn.regularize(rp.models.mlp([64, 64, 10], activation="tanh", dtype=np.float64),
                             l2=3e-4)
    optimizer = rp.optim.create(method, model.parameters(), max_iter=20)
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
    trainer.fit(X, y, epochs=10, batch_size=None, verbose=0)
    assert trainer.evaluate(X_test, y_test)["accuracy"] >= reference_accuracy - 0.01


def test_levenberg_marquardt_on_digits(digits64, reference_accuracy):
    X, y, X_test, y_test = digits64
    rp.manual_seed(0)
    model = rp.models.mlp([64, 64, 10], activation="tanh", dtype=np.float64)
    optimizer = rp.optim.LevenbergMarquardt(model.parameters(), cg_iter=50)
    trainer = rp.Trainer(model, rp.nn.MSELoss(), optimizer)
    history = trainer.fit(X, np.eye(10)[y], epochs=20, batch_size=None, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    assert np.mean(trainer.predict_classes(X_test) == y_test) >= reference_accuracy - 0.01
    with pytest.raises(TypeError, match="train with MSELoss"):
        rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer).fit(X, y, batch_size=None,
                                                                   verbose=0)


@pytest.mark.parametrize("build", [
    lambda p: rp.optim.ConjugateGradient(p, max_iter=3),
    lambda p: rp.optim.LBFGS(p, max_iter=3),
    lambda p: rp.optim.BFGS(p, max_iter=3),
    lambda p: rp.optim.Newton(p, max_iter=2),
], ids=["ConjugateGradient", "LBFGS", "BFGS", "Newton"])
def test_a_parameter_without_a_gradient_does_not_move(build):
    """A parameter frozen after some steps (``requires_grad = False``) has no gradient;
    the direction that conjugate gradient and L-BFGS carry over from earlier steps (and
    BFGS's inverse Hessian) must not move it, as the first-order methods skip it."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 4)), rng.integers(0, 3, 30)
    rp.manual_seed(0)
    model = rp.nn.Sequential(rp.nn.Linear(4, 5, dtype=np.float64), rp.nn.Tanh(),
                             rp.nn.Linear(5, 3, dtype=np.float64))
    optimizer = build(model.parameters())

    def closure():
        optimizer.zero_grad()
        loss = rp.nn.CrossEntropyLoss()(model(X), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    model[0].weight.requires_grad = False
    frozen, trained = model[0].weight.data.copy(), model[2].weight.data.copy()
    optimizer.step(closure)
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert not np.array_equal(model[2].weight.data, trained)
