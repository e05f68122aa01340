"""Ensembles (Berzal, "Backpropagation": "Combinando modelos"): bagging, for classes and for
regression, and averaging the predictions of any trained models with the arithmetic or
the geometric mean."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from retroprop.nn.loss import CrossEntropyLoss, MSELoss
from retroprop.nn.module import Module, evaluating
from retroprop.ops.activation import softmax
from retroprop.optim.optimizer import Optimizer
from retroprop.optim.sgd import SGD
from retroprop.parallel.executor import check_executor, run_all
from retroprop.parallel.seeding import task_seed, using_generator
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer

MEANS = ("arithmetic", "geometric")


def combine(probabilities: Sequence[np.ndarray], mean: str = "arithmetic") -> np.ndarray:
    """Combine class probabilities of several models, each (n, C).

    * arithmetic: (1/M) Σ_m p_m
    * geometric: (Π_m p_m)^(1/M), renormalized to sum to one (Berzal's example:
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
    with evaluating(model), no_grad():
        return softmax(model(Tensor(np.asarray(X), dtype=model.dtype)), -1).data


def average(models: Sequence[Module], X: np.ndarray, mean: str = "arithmetic") -> np.ndarray:
    """Model averaging: the combined class probabilities of trained classifiers."""
    return combine([predict_proba(m, X) for m in models], mean)


def _outputs(model: Module, X: np.ndarray) -> np.ndarray:
    """A regression model's outputs, in inference mode."""
    with evaluating(model), no_grad():
        return model(Tensor(np.asarray(X), dtype=model.dtype)).data


def _train_member(task: dict[str, Any], index: int, seed: int) -> dict[str, np.ndarray]:
    """Train member ``index`` on its bootstrap sample, with draws from its own ``seed`` (the
    same wherever it runs: in-process, a local worker or a Dask worker)."""
    X, y = task["X"], task["y"]
    with using_generator(np.random.default_rng(seed)) as rng:
        rows = rng.integers(0, len(X), len(X)) if task["bootstrap"] else np.arange(len(X))
        model = task["build_model"]()
        trainer = Trainer(model, task["loss"](), task["optimizer"](model.parameters()),
                          metrics=[])
        trainer.fit(X[rows], y[rows], verbose=0, **task["fit"])
    return model.state_dict()


def _default_optimizer(params: Any) -> Optimizer:
    return SGD(params, lr=0.05, momentum=0.9)


class Bagging:
    """Bootstrap aggregating: train ``n_models`` networks, each on a bootstrap sample of the
    training set (drawn with replacement) and from its own initialization, and combine
    them: the mean of their class probabilities (classification, ``CrossEntropyLoss``) or
    of their outputs (regression, ``MSELoss``).

    Parameters
    ----------
    build_model : callable
        Returns a fresh model (logits for classes; one output per target for regression).
    n_models : int, default 5
    bootstrap : bool, default True
        False trains every member on the whole set (different initializations only).
    optimizer : callable, default SGD(lr=0.05, momentum=0.9)
        ``optimizer(params)`` builds each member's optimizer.
    loss : {CrossEntropyLoss, MSELoss} class or factory, optional
        Default: ``CrossEntropyLoss`` for integer labels of shape (n,), ``MSELoss`` for
        real-valued targets.
    mean : {"arithmetic", "geometric"}
        How class probabilities are combined; regression averages arithmetically.
    n_jobs : int, default 1
        Train members in that many local worker processes.
    executor : dask.distributed.Client or concurrent.futures.Executor, optional
        Train members there instead (see :mod:`retroprop.parallel`).
    seed : int, default 0
        Member i draws its sample, initialization and shuffles from its own stream, so
        the ensemble is the same serially, on local processes or on a cluster.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> X = np.linspace(-2, 2, 200, dtype=np.float32).reshape(-1, 1)
    >>> bagging = rp.ensemble.Bagging(lambda: rp.models.mlp([1, 32, 1], activation="tanh"),
    ...                               n_models=3).fit(X, np.sin(X), epochs=60)
    >>> bagging.score(X, np.sin(X)) > 0.8
    True
    """

    def __init__(self, build_model: Callable[[], Module], n_models: int = 5,
                 bootstrap: bool = True, optimizer: Callable[[Any], Optimizer] | None = None,
                 loss: Callable[[], Module] | None = None, mean: str = "arithmetic",
                 n_jobs: int = 1, executor: Any = None, seed: int = 0) -> None:
        if not isinstance(n_models, int) or n_models < 1:
            raise ValueError(f"Bagging: n_models must be a positive integer, got {n_models!r}")
        if mean not in MEANS:
            raise ValueError(f"Bagging: mean must be one of {MEANS}, got {mean!r}")
        check_executor(executor, n_jobs, "Bagging")
        self.build_model, self.n_models, self.bootstrap = build_model, n_models, bootstrap
        self.optimizer = optimizer or _default_optimizer
        self.loss, self.mean, self.n_jobs, self.executor = loss, mean, n_jobs, executor
        self.seed = seed
        self.models_: list[Module] = []
        self.is_classifier_ = True

    def __repr__(self) -> str:
        state = f"{len(self.models_)} fitted members" if self.models_ else "not fitted"
        return (f"Bagging(n_models={self.n_models}, bootstrap={self.bootstrap}, "
                f"mean={self.mean!r}, seed={self.seed}; {state})")

    def _loss(self, y: np.ndarray) -> Callable[[], Module]:
        """The members' loss: given, or chosen from the targets; only the two losses
        whose predictions Bagging knows how to combine."""
        labels = y.ndim == 1 and y.dtype.kind in "biu"
        loss = self.loss or (CrossEntropyLoss if labels else MSELoss)
        probe = loss()
        if not isinstance(probe, CrossEntropyLoss | MSELoss):
            raise TypeError(f"Bagging: loss must be CrossEntropyLoss (the members' class "
                            f"probabilities are averaged) or MSELoss (their outputs are "
                            f"averaged), got {type(probe).__name__}")
        if isinstance(probe, MSELoss) and self.mean == "geometric":
            raise ValueError("Bagging: mean='geometric' combines class probabilities; a "
                             "regression ensemble averages its members' outputs")
        return loss

    def fit(self, X: np.ndarray, y: np.ndarray, **fit_options: Any) -> Bagging:
        """Train every member with ``Trainer.fit(**fit_options)`` (epochs, batch_size, ...)."""
        X, y = np.asarray(X), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"Bagging.fit: X has {len(X)} examples but y has {len(y)}")
        loss = self._loss(y)
        self.is_classifier_ = isinstance(loss(), CrossEntropyLoss)
        self._flat_targets = not self.is_classifier_ and y.ndim == 1
        if self._flat_targets:
            y = y.reshape(-1, 1)
        task = {"X": X, "y": y, "build_model": self.build_model, "optimizer": self.optimizer,
                "loss": loss, "fit": fit_options, "bootstrap": self.bootstrap}
        members = [(i, task_seed(self.seed, i)) for i in range(self.n_models)]
        states = run_all(_train_member, members, self.executor, self.n_jobs, shared=task,
                         what="Bagging member")
        self.models_ = []
        with using_generator(np.random.default_rng(0)):  # weights replaced just below
            for state in states:
                model = self.build_model()
                model.load_state_dict(state)
                self.models_.append(model)
        return self

    def _check_fitted(self) -> None:
        if not self.models_:
            raise RuntimeError("Bagging: call fit before predicting")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The combined class probabilities (classification only)."""
        self._check_fitted()
        if not self.is_classifier_:
            raise TypeError("Bagging.predict_proba: a regression ensemble has no class "
                            "probabilities; use predict")
        return average(self.models_, X, self.mean)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class, or the mean of the members' outputs (regression)."""
        if self.is_classifier_:
            return self.predict_proba(X).argmax(axis=1)
        self._check_fitted()
        mean = np.mean([_outputs(m, X) for m in self.models_], axis=0)
        return mean.ravel() if self._flat_targets else mean

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of the ensemble, or R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² for regression."""
        y = np.asarray(y)
        predicted = self.predict(X)
        if self.is_classifier_:
            return float(np.mean(predicted == y))
        residual = np.sum((y - predicted) ** 2)
        return float(1.0 - residual / np.sum((y - y.mean(axis=0)) ** 2))
