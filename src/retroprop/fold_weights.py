"""Example weights through cross-validation and hyperparameter search: ``sample_weight``
and ``class_weight`` given for all rows, each fold (trial, refit) trains with those of its
training rows, as scikit-learn routes ``cross_validate(..., params={"sample_weight": w})``
and ``GridSearchCV.fit(X, y, sample_weight=w)`` to each fold's ``fit``.

A fold's training weight of row i is

    w_i = s_i · c_{y_i}

with s the ``sample_weight`` (1 without one) and c the ``class_weight``: a dict
{label: weight} (1 for a label it does not name), or "balanced", scikit-learn's
n / (n_classes · count(class)) counted over the fold's own training rows
(``sklearn.utils.class_weight.compute_class_weight("balanced")``). The held-out rows are
scored unweighted, as scikit-learn scores unless the scorer requests the weights, or
by their ``sample_weight`` where asked (``weighted_score=True``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from retroprop.train.weighted_loss import (
    check_class_weight_values,
    check_sample_weight,
    class_factors,
    class_labels,
)


@dataclass
class FoldWeights:
    """The weights of all rows, to be cut per fold.

    ``sample`` (float64, one per row, or None) and ``class_weight`` (a dict, "balanced"
    or None) weigh the training rows; ``score`` (one per row, or None: unweighted) the
    held-out rows' scores. ``estimator``: the model is a scikit-learn estimator, which
    takes ``class_weight`` as its own parameter (it computes "balanced" over its training
    rows itself) and ``sample_weight`` in ``fit``.
    """

    sample: np.ndarray | None
    class_weight: Mapping[Any, float] | str | None
    score: np.ndarray | None
    estimator: bool

    def labels(self, y: np.ndarray, where: str) -> np.ndarray:
        """The classes of the rows of ``y``: the labels as given for an estimator; for a
        Module, as ``Trainer.fit`` reads them (labels, or the argmax of one-hot rows)."""
        return y if self.estimator else class_labels(y, where)

    def training(self, y: np.ndarray, train: np.ndarray, where: str) -> np.ndarray | None:
        """w_i = s_i · c_{y_i} of the rows ``train`` (None without weights); refused, naming
        ``where`` (the fold), when they sum to zero."""
        if self.sample is None and self.class_weight is None:
            return None
        weights = np.ones(len(train)) if self.sample is None else self.sample[train]
        if self.class_weight is not None:
            weights = weights * class_factors(self.labels(y[train], where),
                                              self.class_weight)
        if not weights.sum() > 0:
            given = " and ".join(name for name, value in (("sample_weight", self.sample),
                                                            ("class_weight", self.class_weight))
                                 if value is not None)
            raise ValueError(f"{where}: the {given} of its {len(train)} training rows sum "
                             "to zero; at least one training row of every fold must have a "
                             "positive weight")
        return weights

    def estimator_fit(self, train: np.ndarray) -> dict[str, Any]:
        """The ``fit`` arguments of an estimator trained on the rows ``train``."""
        return {} if self.sample is None else {"sample_weight": self.sample[train]}

    def estimator_params(self) -> dict[str, Any]:
        """The parameters set on an estimator: its ``class_weight``."""
        return {} if self.class_weight is None else {"class_weight": self.class_weight}

    def scoring(self, test: np.ndarray, where: str) -> np.ndarray | None:
        """The weights of the held-out rows ``test`` in their scores (None: unweighted);
        refused, naming ``where`` (the fold), when they sum to zero."""
        if self.score is None:
            return None
        weights = self.score[test]
        if not weights.sum() > 0:
            raise ValueError(f"{where}: the sample_weight of its {len(test)} held-out rows "
                             "sum to zero, so they give no weighted score")
        return weights


def check_weights(model: Any, y: np.ndarray, sample_weight: Any, class_weight: Any,
                  where: str, weighted_score: bool = False) -> FoldWeights | None:
    """The weights of a cross-validation or search of ``model`` on ``y`` (None without
    any), checked before any fold trains: ``sample_weight`` one finite weight >= 0 per row;
    ``class_weight`` a dict naming classes of y, or "balanced", with y class labels (and a
    ``class_weight`` parameter for an estimator); ``weighted_score`` scores the held-out
    rows by their ``sample_weight``."""
    from retroprop.model_selection import is_estimator

    estimator = is_estimator(model)
    sample = None if sample_weight is None else check_sample_weight(sample_weight, len(y),
                                                                     where)
    if estimator and sample is not None:
        from sklearn.utils.validation import has_fit_parameter

        if not has_fit_parameter(model, "sample_weight"):
            raise ValueError(f"{where}: sample_weight: {type(model).__name__}.fit takes no "
                             "sample_weight")
    if class_weight is not None:
        _check_class_weight(model, y, class_weight, estimator, where)
    if weighted_score and sample is None:
        raise ValueError(f"{where}: weighted_score=True scores the held-out rows by their "
                         "sample_weight; give sample_weight")
    if sample is None and class_weight is None:
        return None
    return FoldWeights(sample, class_weight, sample if weighted_score else None, estimator)


def _check_class_weight(model: Any, y: np.ndarray, class_weight: Any, estimator: bool,
                        where: str) -> None:
    """A dict {label: finite weight >= 0} naming classes of ``y``, or "balanced"."""
    if estimator and "class_weight" not in model.get_params():
        raise ValueError(f"{where}: class_weight: {type(model).__name__} has no class_weight "
                         "parameter (a classifier such as rp.sklearn.MLPClassifier has)")
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"{where}: class_weight must be a dict {{label: weight}} or "
                             f"'balanced', got {class_weight!r}")
    elif not isinstance(class_weight, Mapping):
        raise TypeError(f"{where}: class_weight must be a dict {{label: weight}} or "
                        f"'balanced', got {type(class_weight).__name__}")
    labels = y if estimator else class_labels(y, f"{where}: class_weight")
    if isinstance(class_weight, Mapping):
        present = set(np.unique(labels).tolist())
        unknown = [key for key in class_weight if key not in present]
        if unknown:
            raise ValueError(f"{where}: class_weight names {unknown}, which are not classes "
                             f"of y {sorted(present)}")
        check_class_weight_values(class_weight, where)
