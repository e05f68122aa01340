"""Cross-validation that trains (Berzal, "Backpropagation": "validación cruzada", N subsets
and N error estimates): one model per fold, each fold's scores, their mean and standard
deviation, and the fitted models if asked.

The model is either a function that returns a fresh retroprop ``Module`` (trained here by a
:class:`~retroprop.train.Trainer`) or a scikit-learn-compatible estimator such as
``rp.sklearn.MLPClassifier`` (cloned for every fold).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retroprop.checks import check_count
from retroprop.data.split import KFold, StratifiedKFold
from retroprop.fold_weights import FoldWeights, check_weights
from retroprop.nn.loss import CrossEntropyLoss, MSELoss
from retroprop.nn.module import Module
from retroprop.optim.registry import create
from retroprop.parallel.executor import run_all
from retroprop.parallel.seeding import task_seed, using_generator
from retroprop.train.trainer import Trainer

#: Options of the training of a Module (each fold, each trial), with their defaults.
TRAINING = {"loss": None, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": False,
            "epochs": 10, "batch_size": 32}


def is_estimator(model: Any) -> bool:
    """A scikit-learn-style estimator (``get_params`` and ``fit``), not a model builder."""
    return hasattr(model, "get_params") and hasattr(model, "fit")


def is_classification(y: np.ndarray) -> bool:
    """Integer labels of shape (n,) mean classes."""
    return y.ndim == 1 and y.dtype.kind in "biu"


def module_targets(y: np.ndarray) -> np.ndarray:
    """The targets as a Module's loss takes them: a 1-D regression target of shape (n,)
    becomes (n, 1), one output per target; class labels and 2-D targets are unchanged."""
    if not is_classification(y) and y.ndim == 1:
        return y.reshape(-1, 1)
    return y


def _optimizer_settings(options: dict[str, Any]) -> dict[str, Any]:
    """The training options that the named optimizer's constructor takes; an unknown name,
    or a sampler (SGLD: one of its weight vectors is no fit), is a ValueError."""
    name = str(options["optimizer"]).lower().replace("-", "_")
    from retroprop.optim.registry import OPTIMIZERS, SAMPLERS

    if name in SAMPLERS:
        raise ValueError(f"optimizer: {options['optimizer']!r} draws weight vectors from the "
                         "posterior, to be averaged (rp.callbacks.PosteriorSamples), and "
                         "cross-validation and tuning score the last one: train it with "
                         "rp.Trainer and PosteriorSamples")
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer: unknown optimizer {options['optimizer']!r}; known: "
                         f"{', '.join(sorted(set(OPTIMIZERS) - SAMPLERS))}")
    taken = inspect.signature(OPTIMIZERS[name]).parameters
    return {key: options[key] for key in ("lr", "momentum", "nesterov") if key in taken}


def fit_module(build_model: Callable[..., Module], X: np.ndarray, y: np.ndarray,
               options: dict[str, Any], build_args: dict[str, Any] | None = None,
               validation: tuple[np.ndarray, np.ndarray] | None = None,
               sample_weight: np.ndarray | None = None) -> tuple[Module, Trainer]:
    """Build ``build_model(**build_args)`` and train it with ``options`` (keys of
    :data:`TRAINING`) on ``X`` and ``module_targets(y)``, each row weighted by
    ``sample_weight`` where given (``Trainer.fit``'s); returns the model and its
    trainer."""
    unknown = sorted(set(options) - set(TRAINING))
    if unknown:
        raise ValueError(f"unknown training options {unknown}; known: {sorted(TRAINING)}")
    given = options
    options = {**TRAINING, **options}
    y = module_targets(y)
    model = build_model(**(build_args or {}))
    if not isinstance(model, Module):
        raise TypeError(f"build_model must return a retroprop Module, got "
                        f"{type(model).__name__}")
    loss = options["loss"] or (CrossEntropyLoss() if is_classification(y) else MSELoss())
    if isinstance(loss, type):
        loss = loss()
    optimizer = create(options["optimizer"], model.parameters(), **_optimizer_settings(options))
    if optimizer.full_batch and "batch_size" not in given:
        options["batch_size"] = None  # its contract: the whole training set in every step
    trainer = Trainer(model, loss, optimizer)
    trainer.fit(X, y, epochs=int(options["epochs"]), batch_size=options["batch_size"],
                validation_data=validation, verbose=0, sample_weight=sample_weight)
    return model, trainer


def check_preprocess(preprocess: Any, where: str) -> None:
    """``preprocess`` is None or a transformer with ``fit`` and ``transform``."""
    if preprocess is not None and not (callable(getattr(preprocess, "fit", None))
                                       and callable(getattr(preprocess, "transform", None))):
        raise TypeError(f"{where}: preprocess must be None or a transformer with fit and "
                        f"transform, such as rp.data.StandardScaler(), got "
                        f"{type(preprocess).__name__}")


def fitted_copy(preprocess: Any, X: np.ndarray) -> Any:
    """A copy of the transformer ``preprocess`` fitted on ``X``; ``preprocess`` itself is
    left as it was, so that every fold and trial starts from the same one."""
    return copy.deepcopy(preprocess).fit(X)


def fresh_estimator(estimator: Any, params: dict[str, Any] | None, seed: int) -> Any:
    """An unfitted copy of the scikit-learn ``estimator`` (``sklearn.base.clone``) with
    ``params`` set, and its ``random_state`` (where it has one) drawn from ``seed``."""
    from sklearn.base import clone

    fresh = clone(estimator).set_params(**(params or {}))
    if "random_state" in fresh.get_params():
        fresh.set_params(random_state=seed % 2**31)
    return fresh


def fit_and_score(model: Any, X: np.ndarray, y: np.ndarray, train: np.ndarray,
                  test: np.ndarray, options: dict[str, Any], seed: int,
                  build_args: dict[str, Any] | None = None, preprocess: Any = None,
                  weights: FoldWeights | None = None, where: str = "fold"
                  ) -> tuple[dict[str, float], Any]:
    """Train on ``train`` rows, score on ``test`` rows, with draws from ``seed``: the
    scores (``loss`` and metrics for a Module, ``score`` for an estimator) and the model.
    A ``preprocess`` transformer is fitted (a copy) on the ``train`` rows only, unweighted,
    and transforms both, so that nothing of the ``test`` rows leaks into the training.
    ``weights`` weigh the ``train`` rows in the training and, where it says so, the
    ``test`` rows in the scores (:class:`~retroprop.fold_weights.FoldWeights`; a weighted
    score of a Module weighs its loss, not its metrics, as ``Trainer.evaluate``); their
    errors name ``where``."""
    train_weights = None if weights is None else weights.training(y, train, where)
    test_weights = None if weights is None else weights.scoring(test, where)
    X_train, X_test = X[train], X[test]
    if preprocess is not None:
        fitted = fitted_copy(preprocess, X_train)
        X_train, X_test = fitted.transform(X_train), fitted.transform(X_test)
    if not is_estimator(model):
        y = module_targets(y)
    with using_generator(np.random.default_rng(seed)):
        if is_estimator(model):
            fit = {} if weights is None else weights.estimator_fit(train)
            params = {**(build_args or {}), **({} if weights is None
                                               else weights.estimator_params())}
            estimator = fresh_estimator(model, params, seed).fit(X_train, y[train], **fit)
            scored = {} if test_weights is None else {"sample_weight": test_weights}
            return {"score": float(estimator.score(X_test, y[test], **scored))}, estimator
        module, trainer = fit_module(model, X_train, y[train], options, build_args,
                                     sample_weight=train_weights)
        return trainer.evaluate(X_test, y[test], sample_weight=test_weights), module


def _fold_task(data: tuple[Any, ...], fold: int, train: np.ndarray, test: np.ndarray,
               seed: int) -> tuple[dict[str, float], Any]:
    model, X, y, options, return_model, preprocess, weights = data
    scores, fitted = fit_and_score(model, X, y, train, test, options, seed,
                                   preprocess=preprocess, weights=weights,
                                   where=f"cross_validate: fold {fold}")
    return scores, fitted if return_model else None


@dataclass
class CrossValidation:
    """Scores of each fold (``scores[name]``, one value per fold), their ``mean`` and
    ``std``, and the fitted ``models`` when asked for."""

    scores: dict[str, np.ndarray]
    models: list[Any] | None = None
    mean: dict[str, float] = field(init=False)
    std: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.mean = {k: float(np.mean(v)) for k, v in self.scores.items()}
        self.std = {k: float(np.std(v)) for k, v in self.scores.items()}

    def table(self) -> str:
        """One row per fold, then mean and standard deviation."""
        names = list(self.scores)
        rows = [f"{'fold':>6} " + " ".join(f"{n:>12}" for n in names)]
        for fold in range(len(self.scores[names[0]])):
            rows.append(f"{fold + 1:>6} " + " ".join(f"{self.scores[n][fold]:>12.4f}"
                                                       for n in names))
        rows.append(f"{'mean':>6} " + " ".join(f"{self.mean[n]:>12.4f}" for n in names))
        rows.append(f"{'std':>6} " + " ".join(f"{self.std[n]:>12.4f}" for n in names))
        return "\n".join(rows)


def check_inputs(model: Any, X: Any, y: Any, training: dict[str, Any], where: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` as arrays of as many examples, once ``model`` is known to be a
    function returning a Module or an estimator and ``training`` to hold only options of
    :data:`TRAINING` for a function, none for an estimator (which takes its settings as
    parameters); the errors begin with ``where``."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} examples but y has {len(y)}")
    if isinstance(model, Module):  # callable too, but one network for every fold
        raise TypeError(f"{where}: model must be a function returning a fresh Module "
                        f"(lambda: rp.models.mlp([...])), got a {type(model).__name__}: "
                        "each fold (trial) trains a network of its own")
    if not (callable(model) or is_estimator(model)):
        raise TypeError(f"{where}: model must be a function returning a Module or a "
                        f"scikit-learn estimator, got {type(model).__name__}")
    if not is_estimator(model):
        unknown = sorted(set(training) - set(TRAINING))
        if unknown:
            raise ValueError(f"{where}: unknown training options {unknown}; known: "
                             f"{sorted(TRAINING)}")
        _optimizer_settings({**TRAINING, **training})  # its name, before any fold trains
        if y.dtype.kind in "OSU":
            raise ValueError(f"{where}: y holds labels of dtype {y.dtype} (such as "
                             f"{y.flat[0].item()!r}), and a model function trains on integer "
                             "class labels 0..C-1 or numeric targets: encode them (labels = "
                             "np.unique(y, return_inverse=True)[1]) or use an rp.sklearn "
                             "estimator, which encodes them")
    elif training:
        raise ValueError(f"{where}: training options {sorted(training)} are for a "
                         "model-building function; set an estimator's parameters on it")
    return X, y


def check_cv(cv: Any) -> int:
    """``cv``, a number of folds: an integer >= 2 (Python's or NumPy's), as an int."""
    return check_count(cv, "cv (the number of folds)", 2)


def stratifies(model: Any, y: np.ndarray) -> bool:
    """Whether the folds of ``y`` keep each class's share by default: labels of shape (n,)
    that are classes of any dtype (integers, bools, strings, objects), or any labels of shape
    (n,) when ``model`` is a scikit-learn classifier (``sklearn.base.is_classifier``), as
    scikit-learn's ``cross_val_score`` stratifies for classifiers."""
    if y.ndim != 1:
        return False
    if y.dtype.kind in "biuOSU":
        return True
    if not is_estimator(model):
        return False
    from sklearn.base import is_classifier

    return bool(is_classifier(model))


def folds(X: np.ndarray, y: np.ndarray, cv: int, stratify: bool | None, seed: int,
          model: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of a shuffled k-fold of ``model``'s data, stratified when ``stratify`` is
    True, or when it is None and :func:`stratifies` says so."""
    cv = check_cv(cv)
    stratify = stratifies(model, y) if stratify is None else stratify
    splitter = (StratifiedKFold if stratify else KFold)(cv, shuffle=True, seed=seed)
    return list(splitter.split(X, y))


def cross_validate(model: Any, X: Any, y: Any, cv: int = 5, *, stratify: bool | None = None,
                   seed: int = 0, return_models: bool = False, preprocess: Any = None,
                   executor: Any = None, n_jobs: int | None = 1, sample_weight: Any = None,
                   class_weight: Any = None, weighted_score: bool = False, **training: Any
                   ) -> CrossValidation:
    """Train one model per fold of a k-fold split and score it on the held-out fold.

    Parameters
    ----------
    model : callable returning a Module, or a scikit-learn estimator
        A fresh network per fold (``lambda: rp.models.mlp([64, 32, 10])``), or an
        estimator such as ``rp.sklearn.MLPClassifier(...)``, cloned per fold.
    X, y : arrays
    cv : int, default 5
        Number of folds.
    stratify : bool, optional
        Keep the class shares in every fold; by default, when y holds class labels of
        any dtype (integers, bools, strings) or ``model`` is a scikit-learn classifier
        (see :func:`stratifies`).
    seed : int, default 0
        Seeds the split and each fold's training (fold i uses its own stream), so the
        result is the same serially, on local processes or on a Dask cluster.
    return_models : bool, default False
        Keep the fitted models in ``result.models`` (with ``preprocess``, they take
        transformed inputs).
    preprocess : transformer, optional
        An object with ``fit`` and ``transform``, such as ``rp.data.StandardScaler()``: a
        copy is fitted on each fold's training rows only and transforms that fold's
        training and held-out rows (fitted on all rows, it would let the held-out rows
        leak into the training).
    executor : dask.distributed.Client or concurrent.futures.Executor, optional
        Where the folds run (see :mod:`retroprop.parallel`); local processes by default.
    n_jobs : int or None, default 1
        Local worker processes when no executor is given; -1 uses every CPU, -2 all but
        one, ... (as joblib and scikit-learn); None is 1.
    sample_weight : array, shape (n,), optional
        Each row's weight (finite, >= 0): every fold trains with the weights of its
        training rows (``Trainer.fit``'s ``sample_weight``, or the estimator's ``fit``),
        as scikit-learn's ``cross_validate(..., params={"sample_weight": w})`` routes
        them. The split and ``preprocess`` do not use them (scikit-learn's defaults: the
        folds are drawn from the rows, the scaler is fitted unweighted); the weights
        travel with X and y (once to each Dask worker), and each fold takes its rows'. A
        fold whose training rows weigh zero in all is refused, naming the fold.
    class_weight : dict {label: weight} or "balanced", optional
        Multiplies each training row's weight by its class's (1 for a label not named),
        as ``Trainer.fit``'s (Keras's) ``class_weight``; "balanced" is scikit-learn's
        n / (n_classes · count(class)), counted over each fold's own training rows. An
        estimator takes it as its ``class_weight`` parameter (``rp.sklearn.MLPClassifier``
        has one).
    weighted_score : bool, default False
        Score each held-out fold with its rows' ``sample_weight`` (the Module's loss, as
        ``Trainer.evaluate(sample_weight=)``, not its metrics; the estimator's ``score``
        with ``sample_weight``). By default the held-out rows are scored unweighted, as
        scikit-learn scores unless the scorer requests the weights
        (``set_score_request(sample_weight=True)``); ``class_weight`` never weighs the
        scores (Keras weighs only the training by it).
    **training
        For a Module: ``loss`` (default cross-entropy for integer labels, else MSE),
        ``optimizer`` (a name, default "sgd"), ``lr`` (0.05), ``momentum`` (0.9),
        ``nesterov`` (False), ``epochs`` (10), ``batch_size`` (32; None, the full batch,
        by default for the optimizers whose contract needs it).

    Returns
    -------
    CrossValidation
        ``scores`` per fold (for a Module: the loss and the metrics of
        ``Trainer.evaluate``; for an estimator: its ``score``), ``mean``, ``std``,
        ``models``.

    Examples
    --------
    >>> import retroprop as rp
    >>> (X, y), _ = rp.datasets.load_digits()
    >>> X = X.reshape(len(X), -1) / 16
    >>> result = rp.cross_validate(lambda: rp.models.mlp([64, 32, 10]), X, y, cv=3,
    ...                            epochs=3)
    >>> result.mean["accuracy"] > 0.85
    True
    """
    X, y = check_inputs(model, X, y, training, "cross_validate")
    check_preprocess(preprocess, "cross_validate")
    weights = check_weights(model, y, sample_weight, class_weight, "cross_validate",
                            weighted_score)
    splits = folds(X, y, cv, stratify, seed, model)
    if weights is not None:  # every fold's training rows weigh something, before any trains
        for i, (train, test) in enumerate(splits):
            weights.training(y, train, f"cross_validate: fold {i}")
            weights.scoring(test, f"cross_validate: fold {i}")
    tasks = [(i, train, test, task_seed(seed, i)) for i, (train, test) in enumerate(splits)]
    shared = (model, X, y, copy.copy(training), return_models, preprocess, weights)
    results = run_all(_fold_task, tasks, executor, n_jobs, shared, what="fold")
    names = list(results[0][0])
    scores = {n: np.array([r[0][n] for r in results]) for n in names}
    return CrossValidation(scores, [r[1] for r in results] if return_models else None)
