"""The update rules of seed 001 on hand-made gradient sequences, and argument checks."""

import numpy as np
import pytest

import retroprop as rp


def feed(optimizer, param, gradients, losses=None):
    """Step ``optimizer`` with the given gradients; return the parameter after each step."""
    out = []
    for k, grad in enumerate(gradients):
        param.grad = np.array(grad, dtype=param.dtype)
        if losses is None:
            optimizer.step()
        else:
            optimizer.step(lambda k=k: losses[k])
        out.append(param.data.copy())
    return out


def test_momentum_is_the_velocity_of_seed_001():
    w = rp.nn.Parameter(np.array([1.0]))
    path = feed(rp.optim.SGD([w], lr=0.1, momentum=0.9), w, [[1.0], [1.0], [-2.0]])
    velocity, expected, position = 0.0, [], 1.0
    for grad in (1.0, 1.0, -2.0):
        velocity = 0.9 * velocity - 0.1 * grad  # v(t) = μ v(t-1) - η ∂E/∂w
        position += velocity                   # Δw(t) = v(t)
        expected.append(position)
    np.testing.assert_allclose(np.ravel(path), expected)


def test_adaptive_gains_add_on_agreement_and_multiply_on_flips():
    w = rp.nn.Parameter(np.zeros(2))
    optimizer = rp.optim.AdaptiveGains([w], lr=1.0, gain_max=1.1)
    feed(optimizer, w, [[1.0, 1.0], [2.0, -1.0], [3.0, -1.0], [1.0, 1.0]])
    gains = optimizer.state[w]["gains"]
    # weight 0: +0.05, +0.05 then clipped at 1.1, +0.05 -> 1.1; weight 1: ×0.95, +0.05, ×0.95
    np.testing.assert_allclose(gains, [1.1, (0.95 + 0.05) * 0.95])
    w2 = rp.nn.Parameter(np.zeros(1))
    path = feed(rp.optim.AdaptiveGains([w2], lr=0.5), w2, [[1.0], [1.0]])
    np.testing.assert_allclose(np.ravel(path), [-0.5, -0.5 - 0.5 * 1.05])


def test_rprop_step_sizes_follow_the_signs_and_stay_in_bounds():
    w = rp.nn.Parameter(np.zeros(1))
    optimizer = rp.optim.Rprop([w], lr=1.0, step_sizes=(0.3, 2.0), variant="rprop-")
    sizes = []
    for grad in [1, 1, 1, 1, 1, -1, 1, -1, 1, -1]:
        feed(optimizer, w, [[float(grad)]])
        sizes.append(float(optimizer.state[w]["step_size"][0]))
    np.testing.assert_allclose(sizes, [1.0, 1.2, 1.44, 1.728, 2.0, 1.0, 0.5, 0.3, 0.3, 0.3])


def test_rprop_plus_backtracks_and_irprop_plus_only_when_the_error_rose():
    w = rp.nn.Parameter(np.zeros(1))
    path = feed(rp.optim.Rprop([w], lr=1.0, variant="rprop+"), w, [[1.0], [1.0], [-1.0]])
    np.testing.assert_allclose(np.ravel(path), [-1.0, -2.2, -1.0])  # the third step undoes
    w = rp.nn.Parameter(np.zeros(1))
    path = feed(rp.optim.Rprop([w], lr=1.0, variant="irprop+"), w, [[1.0], [1.0], [-1.0]],
                losses=[3.0, 2.0, 1.0])
    np.testing.assert_allclose(np.ravel(path), [-1.0, -2.2, -2.2])  # error fell: no undo
    w = rp.nn.Parameter(np.zeros(1))
    path = feed(rp.optim.Rprop([w], lr=1.0, variant="irprop+"), w, [[1.0], [1.0], [-1.0]],
                losses=[3.0, 2.0, 5.0])
    np.testing.assert_allclose(np.ravel(path), [-1.0, -2.2, -1.0])  # error rose: undo


def test_rprop_warns_with_mini_batches(digits_flat):
    X, y = digits_flat
    model = rp.models.mlp([64, 10])
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.Rprop(model.parameters()))
    with pytest.warns(RuntimeWarning, match="full-batch"):
        trainer.fit(X, y, epochs=1, batch_size=64, verbose=0)


def test_vsgd_learns_without_a_learning_rate(digits_flat):
    scales = np.array([1.0, 10.0, 100.0])  # curvatures two orders of magnitude apart
    result = rp.optim.minimize(lambda x: (((x - 3.0) ** 2) * scales * 0.5).sum(), np.zeros(3),
                               method="vsgd", steps=100)
    np.testing.assert_allclose(result.x, 3.0, atol=0.01)
    X, y = digits_flat
    model = rp.models.mlp([64, 32, 10])
    optimizer = rp.optim.VSGD(model.parameters())
    trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
    history = trainer.fit(X, y, epochs=5, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.1 < history.history["loss"][0]
    rates = np.concatenate([optimizer.state[p]["rate"].ravel() for p in model.parameters()])
    assert np.all(rates >= 0) and rates.std() > 0  # one rate per weight, all different


def test_minimize_reproduces_seed_004():
    result = rp.optim.minimize(lambda x: ((x - 4) ** 2 + 3).sum(), [7.0], lr=0.6, steps=4)
    np.testing.assert_allclose([p[0] for p in result.path], [7, 3.4, 4.12, 3.976, 4.0048])
    too_big = rp.optim.minimize(lambda x: ((x - 4) ** 2 + 3).sum(), [7.0], lr=1.1, steps=10)
    assert abs(too_big.x[0] - 4) > 3  # diverges
    too_small = rp.optim.minimize(lambda x: ((x - 4) ** 2 + 3).sum(), [7.0], lr=0.01, steps=10)
    assert 5 < too_small.x[0] < 7  # crawls


@pytest.mark.parametrize(("build", "message"), [
    (lambda p: rp.optim.SGD(p, lr=0), "lr must be a positive"),
    (lambda p: rp.optim.SGD(p, lr=-1), "lr must be a positive"),
    (lambda p: rp.optim.SGD(p, lr=0.1, momentum=1.0), r"momentum must be in \[0.0, 1.0\)"),
    (lambda p: rp.optim.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: rp.optim.Rprop(p, etas=(1.2, 0.5)), "0 < eta_minus < 1 < eta_plus"),
    (lambda p: rp.optim.Rprop(p, step_sizes=(1.0, 0.1)), "0 < min < max"),
    (lambda p: rp.optim.Adam(p, betas=(0.9, 1.0)), r"betas\[1\] must be in"),
    (lambda p: rp.optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: rp.optim.SGD([{"params": p}, {"params": p[:1]}], lr=0.1), "appears twice"),
    (lambda p: rp.optim.SGD([{"params": p, "betas": 1}], lr=0.1), "unknown hyperparameters"),
    (lambda p: rp.optim.LevenbergMarquardt(p, max_iter=0), "max_iter must be an integer >= 1"),
    # unchecked, NaN made every weight NaN at the first step after the slow start
    (lambda p: rp.optim.VSGD(p, curvature_floor=float("nan")), "curvature_floor must be in"),
    (lambda p: rp.optim.VSGD(p, curvature_floor=-1.0), "curvature_floor must be in"),
])
def test_bad_arguments(build, message):
    params = list(rp.models.mlp([3, 2]).parameters())
    with pytest.raises(ValueError, match=message):
        build(params)


def test_full_batch_methods_need_a_closure():
    params = list(rp.models.mlp([3, 2]).parameters())
    for optimizer in (rp.optim.LBFGS(params), rp.optim.ConjugateGradient(params),
                      rp.optim.Newton(params), rp.optim.VSGD(params)):
        with pytest.raises(RuntimeError, match="closure"):
            optimizer.step()
    with pytest.raises(RuntimeError, match="residuals"):
        rp.optim.LevenbergMarquardt(params).step()


def test_loading_state_from_another_model_is_refused():
    small, large = rp.models.mlp([3, 2]), rp.models.mlp([3, 4, 2])
    source = rp.optim.SGD(small.parameters(), lr=0.1, momentum=0.9)
    small(np.ones((1, 3))).sum().backward()
    source.step()
    with pytest.raises(ValueError, match="different model"):
        rp.optim.SGD(large.parameters(), lr=0.1).load_state_dict(source.state_dict())
    wide = rp.models.mlp([3, 5])
    with pytest.raises(ValueError, match="different model"):
        rp.optim.SGD(wide.parameters(), lr=0.1).load_state_dict(source.state_dict())


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Rprop", "AdaptiveGains"])
def test_resuming_from_saved_state_is_bit_identical(digits_flat, name, tmp_path):
    X, y = digits_flat
    options = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.01),
               "RMSprop": dict(lr=0.01), "Rprop": dict(lr=0.01),
               "AdaptiveGains": dict(lr=0.05, momentum=0.5)}[name]

    def run(split):
        rp.manual_seed(0)
        model = rp.models.mlp([64, 16, 10])
        optimizer = getattr(rp.optim, name)(model.parameters(), **options)
        trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
        if split:
            trainer.fit(X, y, epochs=2, batch_size=None, shuffle=False, verbose=0)
            rp.save(model, tmp_path / "m.rpz", optimizer=optimizer)
            model = rp.load(tmp_path / "m.rpz")
            optimizer = getattr(rp.optim, name)(model.parameters(), **options)
            optimizer.load_state_dict(rp.load_optimizer_state(tmp_path / "m.rpz"))
            trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer)
            trainer.fit(X, y, epochs=2, batch_size=None, shuffle=False, verbose=0)
        else:
            trainer.fit(X, y, epochs=4, batch_size=None, shuffle=False, verbose=0)
        return model.state_dict()

    straight, resumed = run(False), run(True)
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key])


def test_irprop_plus_trains_in_fit():
    """The Trainer gives ``step`` a closure that returns the batch's loss, which the
    variant that undoes a step only when the error rose compares."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 6)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    rp.manual_seed(0)
    model = rp.nn.Sequential(rp.nn.Linear(6, 8), rp.nn.Tanh(), rp.nn.Linear(8, 3))
    optimizer = rp.optim.Rprop(model.parameters(), variant="irprop+")
    history = rp.Trainer(model, rp.nn.CrossEntropyLoss(), optimizer).fit(
        X, y, epochs=5, batch_size=None, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert optimizer.global_state["previous_loss"] == pytest.approx(
        history.history["loss"][-1])
