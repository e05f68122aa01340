"""Optimizers by name, for the command line, configuration files and ``minimize``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from retroprop.optim.adagrad import Adagrad
from retroprop.optim.adam import Adam, AdamW
from retroprop.optim.adaptive_gains import AdaptiveGains
from retroprop.optim.bfgs import BFGS
from retroprop.optim.conjugate_gradient import ConjugateGradient
from retroprop.optim.lbfgs import LBFGS
from retroprop.optim.levenberg_marquardt import LevenbergMarquardt
from retroprop.optim.newton import Newton
from retroprop.optim.optimizer import Optimizer
from retroprop.optim.rmsprop import RMSprop
from retroprop.optim.rprop import Rprop
from retroprop.optim.sgd import SGD
from retroprop.optim.sgld import SGLD
from retroprop.optim.vsgd import VSGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "adaptive_gains": AdaptiveGains, "rprop": Rprop, "rmsprop": RMSprop,
    "adagrad": Adagrad, "adam": Adam, "adamw": AdamW, "vsgd": VSGD,
    "cg": ConjugateGradient, "conjugate_gradient": ConjugateGradient, "lbfgs": LBFGS,
    "bfgs": BFGS, "sgld": SGLD,
    "newton": Newton, "levenberg_marquardt": LevenbergMarquardt, "lm": LevenbergMarquardt,
}  # fmt: skip

#: Optimizers that draw weight vectors from a posterior rather than minimize the loss
#: (SGLD needs the training-set size, and its samples are worth averaging):
#: ``retroprop train``, the scikit-learn estimators, ``cross_validate`` and ``tune``,
#: which keep one final weight vector, refuse them.
SAMPLERS = frozenset({"sgld"})


def create(name: str, params: Iterable[Any], **hyperparameters: Any) -> Optimizer:
    """``create("sgd", model.parameters(), lr=0.1, momentum=0.9)``; every hyperparameter
    of the class passes through, ``create("adam", params, amsgrad=True)`` included (the
    command line and the scikit-learn estimators, which name an optimizer by a word and
    minimize a loss, take no ``amsgrad`` or ``maximize``)."""
    key = name.lower().replace("-", "_")
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(sorted(OPTIMIZERS))}")
    return OPTIMIZERS[key](params, **hyperparameters)
