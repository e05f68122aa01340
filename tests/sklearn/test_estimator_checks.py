"""scikit-learn's own estimator checks, one test per check, on small fast estimators."""

import warnings

import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from retroprop.sklearn import MLPClassifier, MLPRegressor

#: The settings scikit-learn's checks use for its own MLPs (PER_ESTIMATOR_CHECK_PARAMS):
#: the sample-weight equivalence needs a deterministic full-batch run.
CHECK_PARAMS = {
    ("MLPClassifier", "check_sample_weight_equivalence_on_dense_data"): dict(solver="lbfgs"),
    ("MLPRegressor", "check_sample_weight_equivalence_on_dense_data"): dict(
        solver="sgd", tol=1e-2, random_state=42),
}

#: Checks that do not apply, as for scikit-learn's own MLPs (which skip them too): neither
#: has a decision_function, and the array-API check needs SCIPY_ARRAY_API set before SciPy
#: is imported (neither MLP declares array-API support).
NOT_APPLICABLE = ("check_classifiers_multilabel_output_format_decision_function",
                  "check_array_api_input")

ESTIMATORS = [MLPClassifier((16,), max_iter=100, learning_rate_init=0.01, random_state=0),
              MLPRegressor((16,), max_iter=100, learning_rate_init=0.01, random_state=0)]


def _name(check):
    return check.func.__name__ if hasattr(check, "func") else check.__name__


_GENERATED = parametrize_with_checks(ESTIMATORS)
CASES = [(estimator, check) for estimator, check in _GENERATED.args[1]
         if _name(check) not in NOT_APPLICABLE]


@pytest.mark.parametrize("estimator, check", CASES, ids=_GENERATED.kwargs["ids"])
def test_sklearn_compatible(estimator, check):
    params = CHECK_PARAMS.get((type(estimator).__name__, _name(check)))
    if params is not None:
        estimator = clone(estimator).set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_every_check_scikit_learn_generates_runs_here():
    names = {_name(check) for _, check in CASES}
    assert len(CASES) > 120 and "check_sample_weight_equivalence_on_dense_data" in names
    assert "check_estimators_pickle" in names and "check_fit_idempotent" in names
