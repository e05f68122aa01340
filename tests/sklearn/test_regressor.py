"""MLPRegressor's targets (``retroprop/sklearn/regressor.py``)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning

from retroprop.sklearn import MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("as_frame", [False, True])
def test_a_single_target_column_predicts_one_dimensional_values(as_frame):
    """As scikit-learn's MLPRegressor: y of shape (n, 1) warns and is taken as (n,), so that
    ``y_true - predict(X)`` does not broadcast to (n, n)."""
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = (X[:, 0] - X[:, 1]).reshape(-1, 1)
    if as_frame:
        X, y = pd.DataFrame(X, columns=["a", "b"]), pd.DataFrame(y, columns=["t"])
    reg = MLPRegressor((4,), max_iter=2, random_state=0)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        reg.fit(X, y)
    assert reg.predict(X).shape == (40,)
