"""Ensembles (Berzal, "Backpropagation": "Combinando modelos"): bagging, for classes and for
regression, and averaging the predictions of any trained models with the arithmetic or
the geometric mean."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from retroprop.checks import check_count
from retroprop.nn.loss import CrossEntropyLoss, MSELoss
from retroprop.nn.module import Module, evaluating
from retroprop.ops.activation import softmax
from retroprop.optim.optimizer import Optimizer
from retroprop.optim.sgd import SGD
from retroprop.parallel.executor import check_executor, run_all
from retroprop.parallel.seeding import task_seed, using_generator
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.metrics import r2_score
from retroprop.train.trainer import Trainer, check_validation_data
from retroprop.train.weighted_loss import check_sample_weight

MEANS = ("arithmetic", "geometric")


def combine(probabilities: Sequence[np.ndarray], mean: str = "arithmetic") -> np.ndarray:
    """Combine class probabilities of several models, each (n, C).

    * arithmetic: (1/M) Σ_m p_m
    * geometric: (Π_m p_m)^(1/M), renormalized to sum to one (Berzal's example:
      √(.3·.1), √(.2·.8), √(.5·.1), divided by their sum). A probability of 0 counts as
      the smallest positive number of its dtype, so that classes every model rules out
      share the mass instead of giving 0/0.
    """
    if mean not in MEANS:
        raise ValueError(f"mean must be one of {MEANS}, got {mean!r}")
    if not probabilities:
        raise ValueError("combine: no predictions to combine (an ensemble of zero models)")
    shapes = [np.shape(p) for p in probabilities]
    if len(set(shapes)) > 1:
        raise ValueError(f"combine: every model's predictions must have the same shape "
                         f"(n, C), got {shapes}")
    stacked = np.stack(probabilities)
    if stacked.dtype.kind != "f":
        stacked = stacked.astype(np.float64)
    if mean == "arithmetic":
        return stacked.mean(axis=0)
    log_mean = np.log(np.maximum(stacked, np.finfo(stacked.dtype).tiny)).mean(axis=0)
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
    X, y, sample_weight = task["X"], task["y"], task["sample_weight"]
    with using_generator(np.random.default_rng(seed)) as rng:
        rows = rng.integers(0, len(X), len(X)) if task["bootstrap"] else np.arange(len(X))
        model = task["build_model"]()
        trainer = Trainer(model, task["loss"](), task["optimizer"](model.parameters()),
                          metrics=[])
        trainer.fit(X[rows], y[rows], **task["fit"], sample_weight=None
                    if sample_weight is None else sample_weight[rows])
    return model.state_dict()


def _default_optimizer(params: Any) -> Optimizer:
    return SGD(params, lr=0.05, momentum=0.9)


def _classes(y: np.ndarray, num_outputs: int) -> np.ndarray:
    """The class of each output column, as scikit-learn's ``classes_``: the sorted labels
    when there are as many as outputs (labels 1, 2, 3; -1, 1; strings), or 0..C-1 when the
    labels are already column indices (a class may then be missing from the data)."""
    classes = np.unique(y)
    if len(classes) == num_outputs:
        return classes
    if (y.dtype.kind in "iuf" and np.all(classes == np.round(classes)) and classes.min() >= 0
            and classes.max() < num_outputs):
        return np.arange(num_outputs).astype(y.dtype)
    raise ValueError(f"Bagging.fit: y has {len(classes)} classes {classes[:10].tolist()} but "
                     f"the model has {num_outputs} outputs: build one output (logit) per class")


class Bagging:
    """Bootstrap aggregating: train ``n_models`` networks, each on a bootstrap sample of the
    training set (drawn with replacement) and from its own initialization, and combine
    them: the mean of their class probabilities (classification, ``CrossEntropyLoss``) or
    of their outputs (regression, ``MSELoss``).

    Class labels may be any values (1, 2, 3; -1 and 1; strings): as in scikit-learn,
    ``classes_`` holds them sorted, output column j of every member is class
    ``classes_[j]`` and ``predict`` gives labels back. Real-valued targets train a
    regression, also 0.0 and 1.0: pass integer labels or ``loss=CrossEntropyLoss`` for
    classes. ``score`` is the accuracy, or R² averaged over the outputs (scikit-learn's
    ``r2_score``).

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
        Default: ``CrossEntropyLoss`` for labels of shape (n,) (integers, booleans,
        strings), ``MSELoss`` for real-valued targets.
    mean : {"arithmetic", "geometric"}
        How class probabilities are combined; regression averages arithmetically.
    n_jobs : int or None, default 1
        Train members in that many local worker processes; -1 uses every CPU, -2 all but
        one, ... (as joblib and scikit-learn); None is 1.
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
                 n_jobs: int | None = 1, executor: Any = None, seed: int = 0) -> None:
        if isinstance(build_model, Module) or not callable(build_model):
            raise TypeError(f"Bagging: build_model must be a function that returns a fresh "
                            f"model (lambda: rp.models.mlp([...])), got a "
                            f"{type(build_model).__name__}")
        check_count(n_models, "Bagging: n_models")
        check_count(seed, "Bagging: seed", low=0)
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
        labels = y.ndim == 1 and y.dtype.kind in "biuUSO"
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

    def _probe(self, X: np.ndarray) -> np.ndarray:
        """The outputs of one untrained member for the first example: the members' output
        shape, known before any member trains."""
        with using_generator(np.random.default_rng(0)):
            model = self.build_model()
        if not isinstance(model, Module):
            raise TypeError(f"Bagging: build_model() must return a Module, got a "
                            f"{type(model).__name__}")
        return _outputs(model, X[:1])

    def _targets(self, y: Any, where: str) -> np.ndarray:
        """``y`` as the members train on it: labels as column indices (``classes_``),
        regression targets of shape (n,) as one column."""
        y = np.asarray(y)
        if not self.is_classifier_:
            return y.reshape(-1, 1) if self._flat_targets else y
        if y.ndim != 1:
            return y
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(f"{where}: labels {unseen[:10].tolist()} are not among the "
                             f"classes of y {self.classes_[:10].tolist()}")
        return np.searchsorted(self.classes_, y)

    def fit(self, X: np.ndarray, y: np.ndarray, **fit_options: Any) -> Bagging:
        """Train every member with ``Trainer.fit(**fit_options)`` (epochs, batch_size,
        validation_data, ...; ``verbose`` is 0 unless given). A ``sample_weight`` follows
        its rows into each bootstrap sample (a row drawn k times counts k times, as in
        scikit-learn's bagging); ``class_weight`` names the classes by their labels in y
        (``classes_``)."""
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim < 2 or len(X) == 0:
            raise ValueError(f"Bagging.fit: X must hold examples in rows, shape (n, ...) with "
                             f"n >= 1, got shape {X.shape}")
        if len(X) != len(y):
            raise ValueError(f"Bagging.fit: X has {len(X)} examples but y has {len(y)}")
        fit_options = {"verbose": 0, **fit_options}
        try:
            inspect.signature(Trainer.fit).bind(None, X, y, **fit_options)
        except TypeError as error:
            raise TypeError(f"Bagging.fit: {error} (the options go to Trainer.fit)") from None
        loss = self._loss(y)
        outputs = self._probe(X)
        self.is_classifier_ = isinstance(loss(), CrossEntropyLoss)
        self._flat_targets = not self.is_classifier_ and y.ndim == 1
        if self.is_classifier_:
            self.classes_ = (_classes(y, outputs.shape[-1]) if y.ndim == 1
                             else np.arange(outputs.shape[-1]))
        elif outputs.shape[1:] != (y.shape[1:] or (1,)):
            hint = (" (y is real-valued, so the members learn a regression with MSELoss; for "
                    "classes pass integer labels or loss=CrossEntropyLoss)"
                    if y.ndim == 1 else "")
            raise ValueError(f"Bagging.fit: the model gives outputs of shape "
                             f"{outputs.shape[1:]} per example but y has targets of shape "
                             f"{y.shape[1:] or (1,)}{hint}")
        validation = fit_options.get("validation_data")
        if validation is not None:
            check_validation_data(validation, "Bagging.fit", weights=True)
            fit_options["validation_data"] = (validation[0],
                                              self._targets(validation[1], "Bagging.fit"),
                                              *validation[2:])
        sample_weight = fit_options.pop("sample_weight", None)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(X), "Bagging.fit")
        if fit_options.get("class_weight") is not None and self.is_classifier_:
            fit_options["class_weight"] = self._class_weight(fit_options["class_weight"])
        task = {"X": X, "y": self._targets(y, "Bagging.fit"), "build_model": self.build_model,
                "optimizer": self.optimizer, "loss": loss, "fit": fit_options,
                "bootstrap": self.bootstrap, "sample_weight": sample_weight}
        members = [(i, task_seed(self.seed, i)) for i in range(self.n_models)]
        states = run_all(_train_member, members, self.executor, self.n_jobs, shared=task,
                         what="Bagging member")
        self.models_ = []
        with using_generator(np.random.default_rng(0)):  # weights replaced just below
            for state in states:
                model = self.build_model()
                model.load_state_dict(state)
                self.models_.append(model)
        self._example_shape = X.shape[1:]
        return self

    def _class_weight(self, class_weight: Any) -> dict[int, Any]:
        """``class_weight`` by the members' output columns: its keys are labels of y."""
        if not isinstance(class_weight, Mapping):
            raise TypeError(f"Bagging.fit: class_weight must be a dict {{label: weight}}, "
                            f"got {type(class_weight).__name__}")
        unknown = [key for key in class_weight if key not in self.classes_]
        if unknown:
            raise ValueError(f"Bagging.fit: class_weight names {unknown[:10]}, which are not "
                             f"classes of y {self.classes_[:10].tolist()}")
        return {int(np.searchsorted(self.classes_, key)): value
                for key, value in class_weight.items()}

    def _inputs(self, X: np.ndarray, where: str) -> np.ndarray:
        """X, checked: fitted, and examples of the shape the members were trained on."""
        if not self.models_:
            raise RuntimeError("Bagging: call fit before predicting")
        X = np.asarray(X)
        if X.shape[1:] != self._example_shape:
            raise ValueError(f"{where}: X must hold examples of shape {self._example_shape} "
                             f"in rows, as in fit, got shape {X.shape} (one example: "
                             f"X[None])")
        return X

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The combined class probabilities (classification only); column j is class
        ``classes_[j]``."""
        X = self._inputs(X, "Bagging.predict_proba")
        if not self.is_classifier_:
            raise TypeError("Bagging.predict_proba: a regression ensemble has no class "
                            "probabilities; use predict")
        return average(self.models_, X, self.mean)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class, or the mean of the members' outputs (regression)."""
        if self.is_classifier_:
            probabilities = self.predict_proba(X)
            return self.classes_[probabilities.argmax(axis=1)]
        X = self._inputs(X, "Bagging.predict")
        mean = np.mean([_outputs(m, X) for m in self.models_], axis=0)
        return mean.ravel() if self._flat_targets else mean

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of the ensemble, or for regression R²_j = 1 − Σ(y_j − ŷ_j)² /
        Σ(y_j − ȳ_j)² averaged over the outputs j (scikit-learn's ``r2_score``; targets of
        shape (n,) and (n, 1) alike)."""
        y = np.asarray(y)
        predicted = self.predict(X)
        if len(y) != len(predicted):
            raise ValueError(f"Bagging.score: X has {len(predicted)} examples but y has "
                             f"{len(y)}")
        if not self.is_classifier_:
            if y.size != predicted.size:
                raise ValueError(f"Bagging.score: y has targets of shape {y.shape[1:]} but "
                                 f"the ensemble predicts {predicted.shape[1:]}")
            return r2_score(y, predicted)
        truth = y.ravel() if y.ndim == 1 or y.shape[1:] == (1,) else \
            self.classes_[y.argmax(axis=1)]
        return float(np.mean(predicted == truth))
