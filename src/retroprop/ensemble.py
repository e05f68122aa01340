"""Ensembles (seed 001, "Combinando modelos"): bagging, and averaging the predictions of
any trained models with the arithmetic or the geometric mean."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from retroprop.nn.loss import CrossEntropyLoss
from retroprop.nn.module import Module
from retroprop.ops.activation import softmax
from retroprop.optim.optimizer import Optimizer
from retroprop.optim.sgd import SGD
from retroprop.random import manual_seed
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer

MEANS = ("arithmetic", "geometric")


def combine(probabilities: Sequence[np.ndarray], mean: str = "arithmetic") -> np.ndarray:
    """Combine class probabilities of several models, each (n, C).

    * arithmetic: (1/M) Σ_m p_m
    * geometric: (Π_m p_m)^(1/M), renormalized to sum to one (seed 001's example:
      √(.3·.1), √(.2·.8), √(.5·.1), divided by their sum)
    """
    if mean not in MEANS:
        raise ValueError(f"mean must be one of {MEANS}, got {mean!r}")
    if not probabilities:
        raise ValueError("combine: no predictions to combine (an ensemble of zero models)")
    stacked = np.stack(probabilities)
    if mean == "arithmetic":
        return stacked.mean(axis=0)
    log_mean = np.log(np.maximum(stacked, 1e-300)).mean(axis=0)
    combined = np.exp(log_mean - log_mean.max(axis=-1, keepdims=True))
    return combined / combined.sum(axis=-1, keepdims=True)


def predict_proba(model: Module, X: np.ndarray) -> np.ndarray:
    """Softmax of a classifier's logits, in inference mode."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return softmax(model(Tensor(np.asarray(X), dtype=model.dtype)), -1).data
    finally:
        model.train(was_training)


def average(models: Sequence[Module], X: np.ndarray, mean: str = "arithmetic") -> np.ndarray:
    """Model averaging: the combined class probabilities of trained classifiers."""
    return combine([predict_proba(m, X) for m in models], mean)


_TASK: dict[str, Any] = {}


def _train_member(index: int) -> dict[str, np.ndarray]:
    """Train member ``index`` of the bagging task (run in a forked worker or in-process)."""
    task = _TASK
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(1) if task["parallel"] else None
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        limits = None
    manual_seed(task["seed"] + index)
    X, y = task["X"], task["y"]
    rows = np.random.default_rng(task["seed"] + index).integers(0, len(X), len(X)) \
        if task["bootstrap"] else np.arange(len(X))
    model = task["build_model"]()
    trainer = Trainer(model, task["loss"](), task["optimizer"](model.parameters()), metrics=[])
    trainer.fit(X[rows], y[rows], verbose=0, **task["fit"])
    if limits is not None:
        limits.restore_original_limits()
    return model.state_dict()


class Bagging:
    """Bootstrap aggregating: train ``n_models`` networks, each on a bootstrap sample of the
    training set (drawn with replacement) and from its own initialization, and average
    their predicted probabilities.

    Parameters
    ----------
    build_model : callable
        Returns a fresh model.
    n_models : int, default 5
    bootstrap : bool, default True
        False trains every member on the whole set (different initializations only).
    optimizer : callable, default SGD(lr=0.05, momentum=0.9)
        ``optimizer(params)`` builds each member's optimizer.
    mean : {"arithmetic", "geometric"}
    n_jobs : int, default 1
        Train members in that many processes (forked; POSIX only).
    seed : int, default 0
    """

    def __init__(self, build_model: Callable[[], Module], n_models: int = 5,
                 bootstrap: bool = True, optimizer: Callable[[Any], Optimizer] | None = None,
                 mean: str = "arithmetic", n_jobs: int = 1, seed: int = 0) -> None:
        if not isinstance(n_models, int) or n_models < 1:
            raise ValueError(f"Bagging: n_models must be a positive integer, got {n_models!r}")
        if mean not in MEANS:
            raise ValueError(f"Bagging: mean must be one of {MEANS}, got {mean!r}")
        if not isinstance(n_jobs, int) or n_jobs < 1:
            raise ValueError(f"Bagging: n_jobs must be a positive integer, got {n_jobs!r}")
        self.build_model, self.n_models, self.bootstrap = build_model, n_models, bootstrap
        self.optimizer = optimizer or (lambda params: SGD(params, lr=0.05, momentum=0.9))
        self.mean, self.n_jobs, self.seed = mean, n_jobs, seed
        self.models_: list[Module] = []

    def fit(self, X: np.ndarray, y: np.ndarray, **fit_options: Any) -> Bagging:
        """Train every member with ``Trainer.fit(**fit_options)`` (epochs, batch_size, ...)."""
        X, y = np.asarray(X), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"Bagging.fit: X has {len(X)} examples but y has {len(y)}")
        _TASK.clear()
        _TASK.update(X=X, y=y, build_model=self.build_model, optimizer=self.optimizer,
                     loss=CrossEntropyLoss, fit=fit_options, bootstrap=self.bootstrap,
                     seed=self.seed, parallel=self.n_jobs > 1)
        try:
            if self.n_jobs > 1:
                context = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(self.n_jobs, mp_context=context) as pool:
                    states = list(pool.map(_train_member, range(self.n_models)))
            else:
                states = [_train_member(i) for i in range(self.n_models)]
        finally:
            _TASK.clear()
        self.models_ = []
        for state in states:
            model = self.build_model()
            model.load_state_dict(state)
            self.models_.append(model)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if not self.models_:
            raise RuntimeError("Bagging: call fit before predicting")
        return average(self.models_, X, self.mean)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of the ensemble."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
