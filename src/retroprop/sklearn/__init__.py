"""scikit-learn estimators on retroprop networks: ``MLPClassifier`` and ``MLPRegressor``
take scikit-learn's MLP parameters and add every ``rp.optim`` solver, dropout, batch norm,
initializers, max-norm and L1 penalties, custom losses, ``class_weight`` and ``sample_weight``.
"""

from retroprop.sklearn.classifier import MLPClassifier
from retroprop.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
