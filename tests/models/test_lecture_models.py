"""The lectures' single units share an estimator API: fit returns self, predict, score, a
weight history per epoch, repr, single examples; the logistic neuron follows Berzal's rule."""

import numpy as np
import pytest

import retroprop as rp
from retroprop.models import LinearNeuron, LogisticNeuron, McCullochPitts, Perceptron

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND = np.array([0, 0, 0, 1])


@pytest.mark.parametrize("model", [Perceptron(), McCullochPitts(),
                                   LogisticNeuron(eta=2.0, epochs=300),
                                   LinearNeuron(bias=True, eta=0.1, epochs=200)])
def test_fit_returns_self_and_records_the_weights_each_epoch(model):
    assert model.fit(X, AND) is model
    history = model.weights_history_
    assert history.ndim == 2 and history.shape[1] == 3 and len(history) >= 2
    np.testing.assert_array_equal(history[-1], model.weights_)
    assert model.predict(X).shape == (4,) and model.predict([1, 1]).shape == (1,)
    expected = 1.0 if model.is_classifier else pytest.approx(0.6, abs=0.1)
    assert model.score(X, AND) == expected


def test_repr_shows_the_settings():
    assert repr(Perceptron(eta=0.5)) == "Perceptron(eta=0.5, max_epochs=100)"
    assert repr(LogisticNeuron(rule="cross_entropy")) == (
        "LogisticNeuron(weights=None, bias=True, eta=0.1, epochs=100, mode='online', "
        "rule='cross_entropy')")
    assert repr(McCullochPitts([1, 1], 2)) == (
        "McCullochPitts(weights=[1.0, 1.0], threshold=2.0, max_epochs=100)")


def test_perceptron_takes_any_two_labels():
    for labels in (["no", "no", "no", "yes"], [-1, -1, -1, 1], [0, 0, 0, 1]):
        model = Perceptron().fit(X, labels)
        assert model.predict(X).tolist() == list(labels)
    with pytest.raises(ValueError, match="a single unit separates two classes, got 3"):
        Perceptron().fit(X, [0, 1, 2, 1])


def test_perceptron_is_haykins_rule_and_fails_on_xor():
    model = Perceptron().fit(X, [-1, -1, -1, 1])
    assert model.result_.converged and model.mistakes_[-1] == 0
    xor = Perceptron(max_epochs=np.int64(20)).fit(X, [-1, 1, 1, -1])
    assert not xor.result_.converged and len(xor.weights_history_) == 21


def test_mcculloch_pitts_learns_by_adding_or_subtracting_the_input():
    unit = McCullochPitts(max_epochs=1).fit([[1, 0]], [1])  # wrongly 0? no: 0 >= 0 gives 1
    np.testing.assert_array_equal(unit.weights_history_, [[0, 0, 0], [0, 0, 0]])
    unit = McCullochPitts(max_epochs=1).fit([[1, 0]], [0])  # outputs 1, should be 0
    np.testing.assert_array_equal(unit.weights_history_[-1], [-1, -1, 0])  # w - [1, x]
    assert unit.threshold == 1 and unit.predict([1, 0]).tolist() == [0]


def test_linear_neuron_cafeteria_and_fit():
    neuron = LinearNeuron([50.0, 50.0, 50.0])
    assert neuron.step([2, 5, 3], 850, eta=1 / 35)[0] == pytest.approx(500)
    assert neuron.predict([2, 5, 3])[0] == pytest.approx(880)
    rng = np.random.default_rng(0)
    orders = rng.integers(1, 6, (50, 3)).astype(float)
    prices = orders @ np.array([150.0, 50.0, 100.0])
    fitted = LinearNeuron(eta=0.005, epochs=200).fit(orders, prices)
    np.testing.assert_allclose(fitted.weights_, [150, 50, 100], atol=0.5)
    assert fitted.errors_[-1] < fitted.errors_[0] and fitted.score(orders, prices) > 0.999


def test_logistic_neuron_squared_error_rule_has_the_slope_term():
    w = np.array([0.2, -0.4, 0.3])
    x, t = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1, 0])
    inputs = np.hstack([np.ones((2, 1)), x])
    y = 1 / (1 + np.exp(-inputs @ w))
    for rule, factor in (("squared_error", y * (1 - y)), ("cross_entropy", 1.0)):
        neuron = LogisticNeuron(w.copy(), eta=0.5, epochs=1, mode="batch", rule=rule)
        neuron.fit(x, t)
        np.testing.assert_allclose(neuron.weights_, w + 0.5 * inputs.T @ ((t - y) * factor))
    with pytest.raises(ValueError, match="rule must be one of"):
        LogisticNeuron(rule="mse")


def test_logistic_neuron_rule_matches_autograd_of_the_half_squared_error():
    w = np.array([0.1, 0.7, -0.3])
    x, t = np.array([[0.3, -2.0], [1.5, 0.4], [-0.7, 0.9]]), np.array([1, 0, 1])
    weights = rp.Tensor(w, requires_grad=True, dtype=np.float64)
    inputs = np.hstack([np.ones((3, 1)), x])
    y = (rp.Tensor(inputs, dtype=np.float64) @ weights).sigmoid()
    (0.5 * ((rp.Tensor(t.astype(float), dtype=np.float64) - y) ** 2).sum()).backward()
    neuron = LogisticNeuron(w.copy(), eta=1.0, epochs=1, mode="batch").fit(x, t)
    np.testing.assert_allclose(neuron.weights_, w - weights.grad, rtol=1e-12)


def test_errors_name_the_shapes():
    with pytest.raises(ValueError, match="takes 2 inputs per example, got 3"):
        Perceptron().fit(X, AND).predict([1, 2, 3])
    with pytest.raises(ValueError, match="expected 4 targets"):
        LinearNeuron().fit(X, [1, 2])
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        LinearNeuron(epochs=0)


@pytest.mark.parametrize("neuron", [LinearNeuron(), LogisticNeuron()])
def test_weights_before_they_exist_are_an_error(neuron):
    with pytest.raises(ValueError, match="no weights yet"):
        _ = neuron.weights_
    neuron.fit(X, AND)
    assert neuron.weights_.shape == (X.shape[1] + int(neuron.bias),)


MODELS = {"Perceptron": Perceptron, "McCullochPitts": McCullochPitts,
          "LinearNeuron": LinearNeuron, "LogisticNeuron": LogisticNeuron}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize(("inputs", "targets", "message"), [
    (np.zeros((0, 2)), [], r"at least one example, got shape \(0, 2\)"),
    ([[np.nan, 0], [1, 1]], [0, 1], "inputs must be finite numbers, got 1 NaN or infinite"),
    ([[np.inf, 0], [1, 1]], [0, 1], "inputs must be finite numbers"),
    ([1, 2, 3], [0, 1, 1], r"expected 1 targets .* \(a 1-D X is one example"),
])
def test_fit_refuses_empty_and_non_finite_inputs(name, inputs, targets, message):
    # these used to "converge" (the perceptron after 1 epoch and 0 mistakes on no examples
    # or on a NaN input), or gave NaN weights
    with pytest.raises(ValueError, match=message):
        MODELS[name]().fit(inputs, targets)


@pytest.mark.parametrize("name", MODELS)
def test_predict_before_fit_is_an_error_not_zero_weights(name):
    # LinearNeuron and LogisticNeuron predicted from zero weights (0 and class 1) and kept
    # them; Perceptron raised an AttributeError about classes_
    model = MODELS[name]()
    with pytest.raises(ValueError, match=f"{name}: no weights yet"):
        model.predict(X)
    if name != "Perceptron":
        assert model.weights is None


@pytest.mark.parametrize("targets", [[0.0, np.nan, 1.0, 1.0], ["a", "b", "c", "d"]])
def test_linear_neuron_targets_must_be_finite_numbers(targets):
    with pytest.raises(ValueError, match=r"LinearNeuron\.fit: targets must be"):
        LinearNeuron().fit(X, targets)
    with pytest.raises(ValueError, match=r"LinearNeuron\.step: targets must be"):
        LinearNeuron().step(X, targets, eta=0.1)


@pytest.mark.parametrize("make", [lambda eta: Perceptron(eta=eta),
                                  lambda eta: LinearNeuron(eta=eta),
                                  lambda eta: LinearNeuron([1.0, 1.0]).step([1, 1], 3, eta)])
@pytest.mark.parametrize("eta", [-1.0, "fast", float("nan")])
def test_learning_rates_are_checked_with_a_message(make, eta):
    with pytest.raises(ValueError, match=f"eta must be a .*number.*, got {eta!r}"):
        make(eta)


def test_mcculloch_pitts_weights_of_the_wrong_length_are_named():
    with pytest.raises(ValueError, match=r"inputs have 2 values per example, the unit has "
                                         r"weights of shape \(3,\)"):
        McCullochPitts([1, 1, 1]).fit(X, AND)


@pytest.mark.parametrize("mode", ["online", "batch"])
def test_a_diverging_delta_rule_stops_with_finite_weights(mode):
    import warnings

    # the weights used to become NaN silently (behind NumPy overflow warnings)
    neuron = LinearNeuron(eta=10.0, epochs=500, mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match=r"the weights diverged: a step with "
                                                     r"eta=10\.0 would make them non-finite"):
            neuron.fit(100.0 * X, AND)
    assert np.isfinite(neuron.weights_).all()
    assert np.isfinite(neuron.weights_history_).all() and len(neuron.weights_history_) > 2
    assert neuron.errors_[-1] > 1e6 * neuron.errors_[0]  # the error grew, epoch by epoch


@pytest.mark.parametrize("eta", [1.0, 0.3])
def test_perceptron_history_is_haykins_table_1_1_step_by_step(eta):
    def haykin(d, epochs=100):  # w(0) = 0; y = sgn(wᵀx), -1 at 0; w += η (d - y) x
        w, history = np.zeros(3), [np.zeros(3)]
        for _ in range(epochs):
            mistakes = 0
            for x, target in zip(np.c_[np.ones(4), X], d, strict=True):
                y = 1 if w @ x > 0 else -1
                w, mistakes = w + eta * (target - y) * x, mistakes + (y != target)
            history.append(w.copy())
            if mistakes == 0:
                break
        return np.array(history)

    for d in ([-1, -1, -1, 1], [-1, 1, 1, 1], [-1, 1, 1, -1]):  # AND, OR, XOR
        model = Perceptron(eta=eta).fit(X, d)
        np.testing.assert_array_equal(model.weights_history_, haykin(np.array(d)))


def test_batch_delta_rule_converges_to_the_least_squares_solution():
    # Widrow-Hoff on noisy targets: the minimum of E = ½ Σ (t - y)², which lstsq computes
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(50, 3))
    t = inputs @ [1.0, -2.0, 0.5] + 0.3 + rng.normal(0, 0.5, 50)
    neuron = LinearNeuron(bias=True, eta=0.005, epochs=2000, mode="batch").fit(inputs, t)
    least_squares = np.linalg.lstsq(np.c_[np.ones(50), inputs], t, rcond=None)[0]
    np.testing.assert_allclose(neuron.weights_, least_squares, rtol=1e-9, atol=1e-12)
    online = LinearNeuron(bias=True, eta=0.005, epochs=2000).fit(inputs, t)
    np.testing.assert_allclose(online.weights_, least_squares, atol=0.01)  # near, not at
