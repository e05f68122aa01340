"""scikit-learn estimators on retroprop networks: ``MLPClassifier`` and ``MLPRegressor``
take scikit-learn's MLP parameters and add every ``rp.optim`` solver, dropout, batch norm,
initializers, max-norm and L1 penalties, custom losses, ``class_weight`` and ``sample_weight``.
"""

from retroprop._optional import require

require("sklearn", extra="sklearn")  # a clear message before the imports below fail

from retroprop.sklearn.classifier import MLPClassifier  # noqa: E402
from retroprop.sklearn.regressor import MLPRegressor  # noqa: E402

__all__ = ["MLPClassifier", "MLPRegressor"]
