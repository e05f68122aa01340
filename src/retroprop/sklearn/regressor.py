"""``MLPRegressor``: scikit-learn's multilayer perceptron regressor on retroprop."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, column_or_1d

from retroprop.sklearn.base import BaseMLP
from retroprop.sklearn.estimator_doc import PARAMETERS


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = f"""A multilayer perceptron regressor trained by backpropagation (Berzal,
    "Backpropagation"), with scikit-learn's interface.

    Linear outputs with scikit-learn's squared error by default, ½ Σ_j (y_j − t_j)² per
    example (so the same steps as scikit-learn's from the same weights; for several
    targets ``loss_curve_`` holds this loss, where scikit-learn reports it divided by
    their number); one output per target column. See
    :class:`~retroprop.sklearn.MLPClassifier` for what it adds to scikit-learn's MLP. The
    network computes in the dtype of X (float32 or float64), as scikit-learn's does.

    Parameters
    ----------
{PARAMETERS}

    Attributes
    ----------
    model_, optimizer_, coefs_, intercepts_, n_layers_, loss_, loss_curve_, best_loss_,
    validation_scores_, best_validation_score_, n_iter_, t_
        As in :class:`~retroprop.sklearn.MLPClassifier`; the validation score is R².
    n_outputs_ : int
        The number of targets (1 for y of shape (n,) or (n, 1)).
    out_activation_ : {"identity", "exp"}
        Linear outputs, as scikit-learn's MLPRegressor with its squared error; "exp" with
        ``loss="poisson"``: the network's outputs are z = log μ and ``predict`` gives
        μ = e^z.

    Examples
    --------
    >>> import numpy as np
    >>> from retroprop.sklearn import MLPRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = MLPRegressor((32,), activation="tanh", solver="lbfgs", max_iter=50,
    ...                    random_state=0).fit(X, X.ravel() ** 2)
    >>> reg.score(X, X.ravel() ** 2) > 0.95
    True
    """

    @property
    def _poisson(self) -> bool:
        """Whether the network was fitted with ``loss="poisson"``: outputs z = log μ,
        predictions e^z. The fit decides, as it sets scikit-learn's ``out_activation_``: a
        later ``set_params(loss=...)`` changes nothing until the next fit."""
        return _is_poisson(self._built_with["loss"])

    def _targets(self, y: Any, first: bool) -> np.ndarray:
        """y as a matrix (n, n_targets); a column (n, 1) warns and counts as (n,), as in
        scikit-learn's MLPRegressor, so that ``predict`` gives shape (n,)."""
        y = np.asarray(y, dtype=np.float64)
        if _is_poisson(self.loss) and np.any(y < 0):
            raise ValueError(f"MLPRegressor: loss='poisson' needs counts y >= 0 (its "
                             f"predictions e^z are positive), got y.min() = {np.min(y)}")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if first:
            self._y_1d = y.ndim == 1
        targets = y.reshape(len(y), -1)
        if not first and targets.shape[1] != self.model_[-1].out_features:
            raise ValueError(f"y has {targets.shape[1]} targets, but {type(self).__name__} was "
                             f"fitted with {self.model_[-1].out_features}.")
        return targets

    def _n_outputs(self, targets: np.ndarray) -> int:
        return targets.shape[1]

    @property
    def out_activation_(self) -> str:
        """The output activation by scikit-learn's name: "exp" for ``loss="poisson"``,
        "identity" (a linear output) otherwise."""
        check_is_fitted(self, "model_")
        return "exp" if self._poisson else "identity"

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs, e^z with ``loss="poisson"`` (its log link)."""
        outputs = super()._forward(X)
        return np.exp(outputs) if self._poisson else outputs

    def _score_targets(self, X: np.ndarray, targets: np.ndarray,
                       weights: np.ndarray | None = None) -> float:
        return float(r2_score(targets, self._forward(X), sample_weight=weights))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train on (X, y) for up to ``max_iter`` epochs (continuing if ``warm_start``).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
        y : array-like, shape (n_samples,) or (n_samples, n_targets)
            A single column (n_samples, 1) warns and is taken as (n_samples,).
        sample_weight : array-like, shape (n_samples,), optional
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y)."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shape (n_samples,) or (n_samples, n_targets)."""
        outputs = self._outputs(X)
        return outputs.ravel() if self._y_1d else outputs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _is_poisson(loss: Any) -> bool:
    """Whether ``loss`` names scikit-learn's "poisson"."""
    return isinstance(loss, str) and loss == "poisson"
