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
