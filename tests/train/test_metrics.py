import numpy as np
import pytest
from sklearn import metrics as sk

from retroprop import metrics


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 300)
    scores = rng.standard_normal((300, 5))
    assert metrics.accuracy(y, scores) == pytest.approx(sk.accuracy_score(y, scores.argmax(1)))
    assert metrics.top_k_accuracy(y, scores, 3) == pytest.approx(
        sk.top_k_accuracy_score(y, scores, k=3))
    np.testing.assert_array_equal(metrics.confusion_matrix(y, scores.argmax(1)),
                                  sk.confusion_matrix(y, scores.argmax(1)))
    t, p = rng.standard_normal(50), rng.standard_normal(50)
    assert metrics.mean_squared_error(t, p) == pytest.approx(sk.mean_squared_error(t, p))
    assert metrics.mean_absolute_error(t, p) == pytest.approx(sk.mean_absolute_error(t, p))
    assert metrics.r2_score(t, p) == pytest.approx(sk.r2_score(t, p))


def test_binary_accuracy_thresholds_one_column():
    assert metrics.accuracy(np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.4]])) == 2 / 3
    assert metrics.accuracy(np.array([1, 0]), np.array([[2.0], [-1.0]]), threshold=0.0) == 1.0


def test_metric_names():
    assert metrics.get_metric("top3_accuracy")[0] == "top3_accuracy"
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        metrics.get_metric("f1")


def test_r2_of_several_outputs_averages_them_as_scikit_learn():
    """Pooling the outputs weighted them by their variance: 0.976 here, against
    scikit-learn's (and Keras's) uniform average 0.053."""
    rng = np.random.default_rng(0)
    t = rng.standard_normal((50, 2)) * [1.0, 10.0]
    p = t + rng.standard_normal((50, 2))
    assert metrics.r2_score(t, p) == pytest.approx(sk.r2_score(t, p))


@pytest.mark.parametrize("t, p", [
    (np.ones(5), np.ones(5)), (np.ones(5), np.arange(5.0)),
    (np.c_[np.ones(5), np.arange(5.0)], np.c_[np.ones(5), np.arange(5.0) + 0.5]),
])
def test_r2_of_constant_targets_as_scikit_learn(t, p):
    assert metrics.r2_score(t, p) == pytest.approx(sk.r2_score(t, p))


def test_accuracy_of_one_hot_targets_uses_their_argmax():
    """The first column of one-hot rows was taken as the label."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    scores = rng.standard_normal((200, 4))
    one_hot = np.eye(4)[y]
    smoothed = one_hot * 0.9 + 0.025
    for targets in (one_hot, smoothed):
        assert metrics.accuracy(targets, scores) == pytest.approx(
            sk.accuracy_score(y, scores.argmax(1)))
        assert metrics.top_k_accuracy(targets, scores, 2) == pytest.approx(
            sk.top_k_accuracy_score(y, scores, k=2))


def test_binary_accuracy_judges_every_output():
    rng = np.random.default_rng(0)
    targets = (rng.random((100, 3)) > 0.5).astype(np.float32)
    logits = rng.standard_normal((100, 3))
    assert metrics.binary_accuracy(targets, logits, 0.0) == pytest.approx(
        np.mean((logits > 0) == targets))
    labels, one = targets[:, 0], logits[:, :1]
    assert metrics.binary_accuracy(labels, one, 0.0) == metrics.accuracy(labels, one, 0.0)


@pytest.mark.parametrize("n", [3, 6, 7])
def test_r2_of_constant_targets_whose_mean_rounds(n):
    """The mean of n copies of 0.1 is not 0.1 in its last bit: the denominator is then
    1e-33, not 0, and R² was -5e31 (scikit-learn's too); constant targets score 0, or 1
    when predicted exactly, with or without weights (a weighted mean rounds likewise)."""
    t = np.full((n, 2), 0.1)
    t[:, 1] = np.arange(n)
    p = t + 0.1
    weights = np.random.default_rng(n).random(n)
    expected = (0 + sk.r2_score(t[:, 1], p[:, 1])) / 2
    assert metrics.r2_score(t, p) == pytest.approx(expected)
    assert metrics.r2_score(t, p, sample_weight=weights) == pytest.approx(
        (0 + sk.r2_score(t[:, 1], p[:, 1], sample_weight=weights)) / 2)
    assert metrics.r2_score(t[:, :1], t[:, :1]) == 1.0
    c = np.full((5, 1), 0.3)  # a constant whose weighted mean rounds with these weights
    w = np.array([0.3, 0.7, 0.1, 0.9, 0.2])
    assert np.average(c[:, 0], weights=w) != 0.3  # the case this checks
    assert metrics.r2_score(c, c + 0.1, sample_weight=w) == 0.0
    # a zero-weight row does not make targets non-constant
    t0 = np.array([[1.0], [1.0], [5.0]])
    assert metrics.r2_score(t0, t0 + 0.5, sample_weight=np.array([1.0, 2.0, 0.0])) == 0.0


@pytest.mark.parametrize("name, args", [
    ("accuracy", (np.array([0, 1, 1]), np.eye(3)[:, :2])),
    ("top_k_accuracy", (np.array([0, 1, 1]), np.eye(3), 2)),
    ("binary_accuracy", (np.array([0, 1, 1]), np.array([0.2, 0.7, 0.9]))),
    ("mean_squared_error", (np.ones(3), np.zeros(3))),
    ("mean_absolute_error", (np.ones(3), np.zeros(3))),
    ("r2_score", (np.arange(3.0), np.zeros(3))),
])
@pytest.mark.parametrize("weights, message", [
    (np.ones(2), r"must have shape \(3,\), one weight per example, got shape \(2,\)"),
    (np.ones((3, 2)), r"must have shape \(3,\)"),
    ([1.0, -1.0, 1.0], r"must be finite and >= 0, got sample_weight\[1\] = -1.0"),
    ([1.0, np.nan, 1.0], r"must be finite and >= 0, got sample_weight\[1\] = nan"),
])
def test_bad_sample_weight_is_refused_by_name(name, args, weights, message):
    """Weights of another length failed with NumPy's 'cannot reshape array of size 2 into
    shape (3,)', and a negative weight gave a number (an accuracy of 0.0)."""
    with pytest.raises(ValueError, match=f"^{name}: sample_weight {message}"):
        getattr(metrics, name)(*args, sample_weight=weights)
