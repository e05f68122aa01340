"""scikit-learn's own estimator checks, one test per check, on small fast estimators."""

import warnings

from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from retroprop.sklearn import MLPClassifier, MLPRegressor

#: The settings scikit-learn's checks use for its own MLPs (PER_ESTIMATOR_CHECK_PARAMS):
#: the sample-weight equivalence needs a deterministic full-batch solver.
CHECK_PARAMS = {
    ("MLPClassifier", "check_sample_weight_equivalence_on_dense_data"): dict(solver="lbfgs"),
    ("MLPRegressor", "check_sample_weight_equivalence_on_dense_data"): dict(
        solver="sgd", tol=1e-2, random_state=42),
}

ESTIMATORS = [MLPClassifier((16,), max_iter=100, learning_rate_init=0.01, random_state=0),
              MLPRegressor((16,), max_iter=100, learning_rate_init=0.01, random_state=0)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    name = check.func.__name__ if hasattr(check, "func") else check.__name__
    params = CHECK_PARAMS.get((type(estimator).__name__, name))
    if params is not None:
        estimator = clone(estimator).set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
