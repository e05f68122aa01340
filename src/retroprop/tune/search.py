"""``search``: hyperparameter search by grid, random sampling, Bayesian optimization with a
Gaussian process, or a genetic algorithm (Berzal, "Backpropagation": random search rather
than every combination; genetic algorithms; Bayesian optimization with Gaussian
processes and expected improvement, Snoek et al. 2012).

The samplers are Optuna's (``pip install retroprop[tune]``): ``GridSampler``,
``RandomSampler``, ``GPSampler`` (a Gaussian process with a log expected improvement
acquisition) and ``NSGAIISampler`` (an evolutionary algorithm: selection, crossover,
mutation). Trials run in rounds of ``round_size``: a round's parameters are asked before
any of its trials runs, so the search gives the same trials serially, on local worker
processes or on a Dask cluster. Each trial is stored as it ends (Optuna's storage on an
SQLite file), and a search killed mid-way resumes without rerunning finished trials.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from retroprop.checks import check_count
from retroprop.fold_weights import FoldWeights, check_weights
from retroprop.model_selection import (
    TRAINING,
    check_cv,
    check_inputs,
    check_preprocess,
    fit_and_score,
    fit_module,
    fitted_copy,
    folds,
    fresh_estimator,
    is_classification,
    is_estimator,
)
from retroprop.parallel.executor import INSTALL_HINT, check_executor, run_tasks
from retroprop.parallel.seeding import task_seed, using_generator
from retroprop.train.trainer import check_validation_data
from retroprop.train.weighted_loss import check_sample_weight
from retroprop.tune.result import TuneResult
from retroprop.tune.space import Domain, check_space

METHODS = ("grid", "random", "bayesian", "genetic")


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ImportError(f"rp.tune needs Optuna: {INSTALL_HINT}") from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


def _sampler(method: str, space: dict[str, Domain], seed: int, n_trials: int) -> Any:
    optuna = _optuna()
    if method in ("grid", "random"):  # grid: every point is enqueued (see ``_enqueue_grid``)
        return optuna.samplers.RandomSampler(seed=seed)
    if method == "bayesian":
        try:
            return optuna.samplers.GPSampler(seed=seed, n_startup_trials=min(10, n_trials // 3))
        except ImportError as error:
            raise ImportError(f"Bayesian search uses Optuna's GPSampler, which needs PyTorch "
                              f"({error}): pip install torch") from None
    population = max(4, min(10, n_trials // 3))
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=population)


def _grid(space: dict[str, Domain]) -> list[dict[str, Any]]:
    """Every combination of the space's values, the last parameter varying fastest."""
    import itertools

    names = list(space)
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(space[n].grid(n) for n in names))]


def _split_params(model: Any, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model arguments, training options) of a trial's parameters."""
    if is_estimator(model):
        return params, {}
    taken = inspect.signature(model).parameters
    build = {k: v for k, v in params.items() if k in taken}
    return build, {k: v for k, v in params.items() if k not in taken}


def _check_names(model: Any, names: list[str]) -> None:
    """Every parameter of the space must be one the model (or its training) takes."""
    if is_estimator(model):
        known = set(model.get_params())
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"search space: {type(model).__name__} has no parameter "
                             f"{', '.join(map(repr, unknown))}; its parameters: "
                             f"{', '.join(sorted(known))}")
        return
    taken = inspect.signature(model).parameters
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in taken.values())
    unknown = [n for n in names if n not in taken and n not in TRAINING and not accepts_any]
    if unknown:
        raise ValueError(
            f"search space: {', '.join(map(repr, unknown))} is neither an argument of "
            f"{getattr(model, '__name__', 'the model function')}({', '.join(taken)}) nor a "
            f"training option ({', '.join(TRAINING)})")


def _score(scores: dict[str, float], metric: str) -> float:
    if metric not in scores:
        raise ValueError(f"metric {metric!r} is not among the scores {sorted(scores)}")
    return float(scores[metric])


def _trial(job: dict[str, Any], params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train and score one configuration (in this process or on a worker)."""
    start = time.perf_counter()
    model, X, y = job["model"], job["X"], job["y"]
    build, options = _split_params(model, params)
    options = {**job["training"], **options}
    if job["validation"] is not None:
        X_val, y_val = job["validation"]
        X_all, y_all = np.concatenate([X, X_val]), np.concatenate([y, y_val])
        train, test = np.arange(len(X)), np.arange(len(X), len(X_all))
        scores, _ = fit_and_score(model, X_all, y_all, train, test, options, seed, build,
                                  job["preprocess"], job["weights"], "tune: the training rows")
        value = _score(scores, job["metric"])
    else:
        values = [_score(fit_and_score(model, X, y, train, test, options,
                                       task_seed(seed, fold), build, job["preprocess"],
                                       job["weights"], f"tune: fold {fold}")[0],
                         job["metric"])
                  for fold, (train, test) in enumerate(folds(X, y, job["cv"], None, seed, model))]
        value = float(np.mean(values))
    return {"value": value, "seconds": time.perf_counter() - start, "pid": os.getpid()}


def _refit(job: dict[str, Any], params: dict[str, Any], seed: int) -> tuple[Any, Any]:
    """The best configuration trained on the training and validation data together, and
    the ``preprocess`` transformer fitted on them (None without one)."""
    model, X, y = job["model"], job["X"], job["y"]
    if job["validation"] is not None:
        X, y = np.concatenate([X, job["validation"][0]]), np.concatenate([y,
                                                                          job["validation"][1]])
    weights: FoldWeights | None = job["refit_weights"]
    rows = np.arange(len(X))
    preprocess = None if job["preprocess"] is None else fitted_copy(job["preprocess"], X)
    if preprocess is not None:
        X = preprocess.transform(X)
    build, options = _split_params(model, params)
    with using_generator(np.random.default_rng(seed)):
        if is_estimator(model):
            if weights is not None:
                build = {**build, **weights.estimator_params()}
            fit = {} if weights is None else weights.estimator_fit(rows)
            return fresh_estimator(model, build, seed).fit(X, y, **fit), preprocess
        sample_weight = None if weights is None else weights.training(y, rows, "tune: refit")
        return fit_module(model, X, y, {**job["training"], **options}, build,
                          sample_weight=sample_weight)[0], preprocess


def _weights(model: Any, y: np.ndarray, validation: tuple[Any, ...] | None,
             sample_weight: Any, class_weight: Any, weighted_score: bool
             ) -> tuple[FoldWeights | None, FoldWeights | None]:
    """The weights of the trials and of the refit, checked. With ``validation`` (X_val,
    y_val, w_val or None) the trials train on the rows of y, which come first, and are
    scored on the validation rows (by w_val where given); the refit trains on all rows,
    the validation rows weighing w_val (1 without), the others ``sample_weight``."""
    weights = check_weights(model, y, sample_weight, class_weight, "tune",
                            weighted_score and validation is None)
    if weights is not None:  # a fold's rows are checked as it trains
        weights.training(y, np.arange(len(y)), "tune: X, y")
    if validation is None:
        return weights, weights
    if weighted_score:
        raise ValueError("tune: weighted_score=True weighs the held-out rows of cv folds; "
                         "with validation_data, give its weights as a triple (X_val, y_val, "
                         "w_val)")
    n, n_val = len(y), len(validation[1])
    w_val = None if validation[2] is None else check_sample_weight(
        validation[2], n_val, "tune: validation_data")
    ones = np.ones(n), np.ones(n_val)
    sample = None if weights is None else weights.sample
    given = sample is not None or w_val is not None
    trials = FoldWeights(None if sample is None else np.concatenate([sample, ones[1]]),
                         class_weight,
                         None if w_val is None else np.concatenate([ones[0], w_val]),
                         is_estimator(model))
    refit = FoldWeights(np.concatenate([ones[0] if sample is None else sample,
                                        ones[1] if w_val is None else w_val])
                        if given else None, class_weight, None, is_estimator(model))
    return trials, refit


def _study(storage: str | os.PathLike[str] | None, study_name: str, resume: bool,
           direction: str, sampler: Any) -> Any:
    optuna = _optuna()
    url = None
    if storage is not None:
        path = Path(storage)
        if path.exists() and not resume:
            names = optuna.get_all_study_names(f"sqlite:///{path}")
            if study_name in names:
                raise FileExistsError(f"storage {path} already holds a search named "
                                      f"{study_name!r}: pass resume=True (--resume) to continue "
                                      "it, or choose another file")
        if resume and not path.exists():
            raise FileNotFoundError(f"resume: no search storage at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    elif resume:
        raise ValueError("resume=True needs storage= (the SQLite file of the search)")
    return optuna.create_study(storage=url, study_name=study_name, direction=direction,
                               sampler=sampler, load_if_exists=resume)


def search(model: Callable[..., Any] | Any, space: dict[str, Domain], X: Any, y: Any, *,
           method: str = "random", n_trials: int | None = None,
           validation_data: tuple[Any, ...] | None = None, cv: int | None = None,
           metric: str | None = None, preprocess: Any = None, seed: int = 0,
           round_size: int = 4,
           storage: str | os.PathLike[str] | None = None, study_name: str = "retroprop",
           resume: bool = False, executor: Any = None, n_jobs: int | None = 1, refit: bool = True,
           verbose: int = 0, sample_weight: Any = None, class_weight: Any = None,
           weighted_score: bool = False, **training: Any) -> TuneResult:
    """Search ``space`` for the configuration of ``model`` that scores best.

    Parameters
    ----------
    model : function returning a Module, or a scikit-learn estimator
        A function's arguments named in ``space`` are searched; names of training options
        (``lr``, ``epochs``, ``batch_size``, ``optimizer``, ``momentum``, ``loss``) go to the
        training. An estimator (``rp.sklearn.MLPClassifier(...)``) is cloned with the
        trial's parameters.
    space : dict
        ``{name: choice([...]) | uniform(a, b) | log_uniform(a, b) | integer(a, b)}``.
    X, y : arrays
        Training data.
    method : {"grid", "random", "bayesian", "genetic"}
    n_trials : int
        The budget (default: the grid's size for "grid"; required otherwise); integers
        here and in ``cv`` and ``round_size`` may be Python's or NumPy's.
    validation_data : (X_val, y_val) or (X_val, y_val, w_val), optional
        Score each trial on this set (weighted by w_val, as Keras's triple weighs the
        validation loss: a Module's loss, an estimator's ``score``) ...
    cv : int, optional
        ... or by ``cv``-fold cross-validation of X, y (default 3 when no validation set),
        stratified as :func:`retroprop.cross_validate` stratifies by default.
    metric : str, optional
        What to optimize: ``"score"`` for an estimator; for a Module ``"accuracy"``
        (classes) or ``"loss"`` (minimized), or another metric of ``Trainer.evaluate``.
    preprocess : transformer, optional
        An object with ``fit`` and ``transform``, such as ``rp.data.StandardScaler()``,
        fitted (a copy) on each fold's or the validation split's training rows only, as in
        :func:`retroprop.cross_validate`; the refit fits it on all the rows it trains on
        and keeps it in ``result.preprocess``, whose ``transform`` gives ``best_model``'s
        inputs.
    seed : int
        Seeds the sampler and every trial (trial i uses its own stream).
    round_size : int, default 4
        Trials asked together, then run side by side.
    storage : path, optional
        SQLite file where the search is stored as it goes.
    study_name : str
    resume : bool
        Continue the search stored in ``storage``: finished trials are kept, trials that
        were running when the search stopped are run again, new ones fill the budget.
    executor, n_jobs
        Where trials run (see :mod:`retroprop.parallel`): a Dask client, or ``n_jobs``
        local processes (-1: every CPU, -2: all but one, ..., as joblib and scikit-learn;
        None: 1).
    refit : bool, default True
        Retrain the best configuration on training + validation data (``best_model``).
    verbose : int
        1 shows a progress bar.
    sample_weight : array, shape (n,), optional
        Each row's weight in the training (finite, >= 0), as scikit-learn's
        ``GridSearchCV.fit(X, y, sample_weight=w)`` routes it: every fold trains with the
        weights of its training rows (see :func:`retroprop.cross_validate`), a
        ``validation_data`` trial with all of them, and the refit with all of them (the
        validation rows weighing their w_val, 1 without). An estimator gets them in its
        ``fit``.
    class_weight : dict {label: weight} or "balanced", optional
        Multiplies each training row's weight by its class's, as
        :func:`retroprop.cross_validate` ("balanced": n / (n_classes · count(class)) over
        the rows that the fold, trial or refit trains on); an estimator takes it as its
        ``class_weight`` parameter.
    weighted_score : bool, default False
        With ``cv``: score each held-out fold with its rows' ``sample_weight``, as
        :func:`retroprop.cross_validate`. By default the folds are scored unweighted, as
        scikit-learn scores unless the scorer requests the weights.
    **training
        Fixed training options of a Module (as :func:`retroprop.cross_validate`); an
        estimator takes none (set its parameters on it).

    The inputs are checked before the search starts, as :func:`retroprop.cross_validate`
    checks them: X and y (and the validation set) of as many examples, ``cv`` >= 2, the
    training options' names.

    Returns
    -------
    TuneResult
        ``trials`` (a table), ``best_params``, ``best_score``, ``best_model``,
        ``preprocess``;
        ``to_csv(path)`` and ``plot(folder)``.
    """
    space = check_space(space)
    if method not in METHODS:
        raise ValueError(f"tune: method must be one of {METHODS}, got {method!r}")
    grid = _grid(space) if method == "grid" else None
    if n_trials is None and grid is not None:
        n_trials = len(grid)
    check_count(n_trials, "tune: n_trials (the budget)")
    check_count(round_size, "tune: round_size")
    n_trials, round_size = int(cast(int, n_trials)), int(round_size)  # checked integers
    n_jobs = check_executor(executor, n_jobs, "tune")
    X, y = check_inputs(model, X, y, training, "tune")
    check_preprocess(preprocess, "tune")
    _check_names(model, list(space))
    if class_weight is not None and "class_weight" in space:
        raise ValueError("tune: class_weight is given and searched in the space; give one")
    if validation_data is not None and cv is not None:
        raise ValueError("tune: give validation_data or cv, not both")
    validation_weights = None
    if validation_data is not None:
        check_validation_data(validation_data, "tune", weights=True)
        if len(validation_data) == 3:
            validation_weights = validation_data[2]
        validation_data = check_inputs(model, validation_data[0], validation_data[1],
                                       training, "tune: validation_data")
    else:
        cv = check_cv(3 if cv is None else cv)
    weights, refit_weights = _weights(
        model, y, None if validation_data is None else (*validation_data, validation_weights),
        sample_weight, class_weight, weighted_score)
    if metric is None:
        metric = "score" if is_estimator(model) else \
            "accuracy" if is_classification(y) else "loss"
    direction = "minimize" if metric == "loss" else "maximize"
    job = {"model": model, "X": X, "y": y, "validation": validation_data,
           "cv": cv, "metric": metric, "preprocess": preprocess, "training": training,
           "weights": weights, "refit_weights": refit_weights}
    sampler = _sampler(method, space, seed, n_trials)
    study = _study(storage, study_name, resume, direction, sampler)
    if grid is not None and not study.trials:
        for point in grid[:n_trials]:
            study.enqueue_trial(point)
    _run_search(study, space, job, n_trials, seed, round_size, executor, n_jobs, verbose)
    result = TuneResult.from_study(study, space, metric, direction)
    if refit and result.best_trial is not None:
        result.best_model, result.preprocess = _refit(job, result.best_params,
                                                      task_seed(seed, result.best_trial))
    return result


def _run_search(study: Any, space: dict[str, Domain], job: dict[str, Any], n_trials: int,
                seed: int, round_size: int, executor: Any, n_jobs: int, verbose: int) -> None:
    """Ask, run and tell trials in rounds until ``n_trials`` have ended."""
    from optuna.trial import Trial, TrialState
    from tqdm.auto import tqdm

    finished = [t for t in study.trials if t.state.is_finished()]
    orphans = [t.number for t in study.trials if t.state == TrialState.RUNNING]
    bar = tqdm(total=n_trials, initial=len(finished), disable=not verbose, unit="trial")
    while True:
        todo = n_trials - len(finished) - len(orphans)
        numbers = list(orphans)
        orphans = []
        for _ in range(max(0, min(round_size - len(numbers), todo))):
            trial = study.ask()
            for name, domain in space.items():
                domain.suggest(trial, name)
            numbers.append(trial.number)
        if not numbers:
            break
        frozen = {t.number: t for t in study.get_trials(deepcopy=False)}
        tasks = [({n: space[n].decode(v) for n, v in frozen[number].params.items()},
                  task_seed(seed, number)) for number in numbers]
        for outcome in run_tasks(_trial, tasks, executor, n_jobs, shared=job):
            number = numbers[outcome.index]
            trial = Trial(study, frozen[number]._trial_id)
            if outcome.ok:
                trial.set_user_attr("seconds", outcome.value["seconds"])
                trial.set_user_attr("pid", outcome.value["pid"])
                study.tell(trial, outcome.value["value"])
            else:
                trial.set_user_attr("error", outcome.error)
                study.tell(trial, state=TrialState.FAIL)
            finished.append(number)
            bar.update()
    bar.close()
    ended = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL))
    if ended and all(t.state == TrialState.FAIL for t in ended):
        raise RuntimeError(f"tune: every trial failed; the first error: "
                           f"{ended[0].user_attrs.get('error')}")
