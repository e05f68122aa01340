"""``retroprop tune CONFIG.toml``: a hyperparameter search of an ``rp.sklearn`` estimator
described by a TOML file, stored as it goes, with a results table, plots and the best model.
A feature table (a CSV file) is standardized in each trial with the mean and scale of the
rows that the trial trains on, never with those it is scored on.

.. code-block:: toml

    [search]
    method = "bayesian"     # grid, random, bayesian, genetic
    trials = 20
    cv = 3                  # or: validation_fraction = 0.2
    seed = 0

    [data]
    dataset = "digits"      # a name or a .csv/.npz file, as for retroprop train
    # label_column = "species", missing = "mean": a CSV file's, as for retroprop train

    [estimator]
    kind = "MLPClassifier"  # or MLPRegressor; the other keys are fixed parameters
    max_iter = 30
    # class_weight = "balanced": imbalanced classes (scikit-learn's n / (n_classes · count),
    # over the rows that each fold, trial and the refit train on)

    [space]
    learning_rate_init = { log_uniform = [1e-4, 1e-1] }
    hidden_layer_sizes = { choice = [[32], [64, 32]] }
    alpha = { uniform = [0.0, 0.01] }
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from retroprop.checks import check_count
from retroprop.cli.config import check_types, load_toml
from retroprop.parallel.executor import resolve_jobs

SEARCH_KEYS = {"method", "trials", "cv", "validation_fraction", "seed", "round_size",
               "workers", "metric"}
#: The data settings of ``retroprop train`` that a search takes (its validation split is
#: [search] validation_fraction).
DATA_KEYS = {"dataset", "label_column", "missing"}


def add_parser(commands: Any) -> None:
    """The ``tune`` subcommand and its flags."""
    tune = commands.add_parser(
        "tune", help="search hyperparameters of an MLP (grid, random, Bayesian, genetic)",
        description="Search the [space] of a TOML file; results go to --output.")
    tune.add_argument("config", help="TOML file with [search], [data], [estimator], [space]")
    tune.add_argument("--output", help="folder for search.db, trials.csv, the plots and the "
                                       "best model (default: CONFIG-tune next to the file)")
    tune.add_argument("--resume", action="store_true",
                      help="continue the search stored in OUTPUT/search.db")
    tune.add_argument("--scheduler", help="run trials on the Dask cluster at this address "
                                          "(tcp://host:port)")
    tune.add_argument("--workers", type=int, help="local worker processes (default 1; -1: "
                                                   "every CPU, -2: all but one, ...)")
    tune.add_argument("--quiet", action="store_true", help="no progress bar")


def read_config(path: str | Path) -> dict[str, Any]:
    """The four tables of a search file, checked."""
    config = load_toml(path, "tune")
    unknown = sorted(set(config) - {"search", "data", "estimator", "space"})
    if unknown or "space" not in config:
        raise ValueError(f"tune {path}: expected tables [search], [data], [estimator] and "
                         f"[space] (required); unknown: {unknown}")
    for table, known in (("search", SEARCH_KEYS), ("data", DATA_KEYS)):
        bad = sorted(set(config.get(table, {})) - known)
        if bad:
            raise ValueError(f"tune {path}: unknown [{table}] keys {bad}; known: "
                             f"{sorted(known)}")
    data = check_types(config.get("data", {}), f"tune {path}: [data]")
    csv_only = sorted(set(data) - {"dataset"})
    if csv_only and Path(data.get("dataset", "digits")).suffix.lower() != ".csv":
        raise ValueError(f"tune {path}: [data] gives {' and '.join(csv_only)}, which only a "
                         f"CSV file takes; dataset is {data.get('dataset', 'digits')!r}")
    return config


def check_search(search: dict[str, Any], path: str | Path, workers: int | None) -> None:
    """Check the [search] values and ``--workers`` by the names the user wrote, before
    anything is loaded or written; the search itself names them otherwise (n_trials,
    test_size), refuses a metric only once every trial has failed, and ignores a cv given
    beside validation_fraction."""
    where = f"tune {path}: [search]"
    if "cv" in search and "validation_fraction" in search:
        raise ValueError(f"{where} gives cv = {search['cv']!r} and validation_fraction = "
                         f"{search['validation_fraction']!r}; give one: cv scores each trial "
                         "by cross-validation, validation_fraction on one held-out part")
    if search.get("method", "random") != "grid" and "trials" not in search:
        raise ValueError(f"{where} needs trials = N, the number of trials (only method = "
                         f"\"grid\" can count them itself)")
    for key, least in (("trials", 1), ("round_size", 1), ("cv", 2), ("seed", 0)):
        check_count(search.get(key, least), f"{where} {key}", least)
    resolve_jobs(search.get("workers", 1), f"{where} workers")
    if workers is not None:
        resolve_jobs(workers, "tune: --workers")
    fraction = search.get("validation_fraction", 0.5)
    if not isinstance(fraction, int | float) or isinstance(fraction, bool) \
            or not 0 < fraction < 1:
        raise ValueError(f"{where} validation_fraction must be a fraction between 0 and 1 "
                         f"(exclusive), got {fraction!r}")
    if search.get("metric", "score") != "score":
        raise ValueError(f"{where} metric: an estimator is judged by its score (accuracy for "
                         f"MLPClassifier, R² for MLPRegressor): metric = \"score\" or none, "
                         f"got {search['metric']!r}")


def _data(table: dict[str, Any]) -> tuple[tuple[np.ndarray, ...], Any]:
    """Training and test sets of the [data] table, loaded as ``retroprop train`` loads them
    (a CSV file with its ``label_column`` and ``missing``), as flat float32 feature
    vectors, images scaled by their maximum; and the preprocessing that the search fits on
    each fold's training rows: a ``StandardScaler`` for a feature table, None for images."""
    import retroprop as rp

    settings = dict(table)
    data = rp.datasets.load_dataset(settings.pop("dataset", "digits"), **settings)
    (X, y), (X_test, y_test), maximum = data.train, data.test, data.maximum
    X, X_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)
    if maximum is not None:
        X, X_test = rp.datasets.scale(X, maximum), rp.datasets.scale(X_test, maximum)
    preprocess = rp.data.StandardScaler() if maximum is None else None
    return (np.asarray(X, np.float32), y, np.asarray(X_test, np.float32), y_test), preprocess


def _estimator(table: dict[str, Any]) -> Any:
    from retroprop.sklearn import MLPClassifier, MLPRegressor

    kinds = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
    settings = dict(table)
    kind = settings.pop("kind", "MLPClassifier")
    if kind not in kinds:
        raise ValueError(f"tune: [estimator] kind must be one of {sorted(kinds)}, got {kind!r}")
    estimator = kinds[kind]()
    unknown = sorted(set(settings) - set(estimator.get_params()))
    if unknown:
        raise ValueError(f"tune: [estimator] {kind} has no parameters {unknown}")
    estimator.set_params(**{k: tuple(v) if isinstance(v, list) else v
                            for k, v in settings.items()})
    try:  # scikit-learn's own check of the values, before any trial runs
        estimator._validate_params()
    except ValueError as error:
        raise ValueError(f"tune: [estimator] {error}") from None
    return estimator


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run (or resume) the search of ``args.config`` and write its results."""
    import retroprop as rp
    from retroprop.model_selection import stratifies
    from retroprop.parallel import connect
    from retroprop.tune import parse_space
    from retroprop.tune import search as tune_search

    config = read_config(args.config)
    search = config.get("search", {})
    check_search(search, args.config, args.workers)
    estimator = _estimator(config.get("estimator", {}))
    space = parse_space(config["space"])
    (X, y, X_test, y_test), preprocess = _data(config.get("data", {}))
    output = Path(args.output or Path(args.config).with_suffix("").as_posix() + "-tune")
    output.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {"method": search.get("method", "random"),
                               "preprocess": preprocess,
                               "n_trials": search.get("trials"),
                               "seed": search.get("seed", 0),
                               "round_size": search.get("round_size", 4)}
    if "metric" in search:
        options["metric"] = search["metric"]
    if "validation_fraction" in search:
        from sklearn.model_selection import train_test_split

        X, X_val, y, y_val = train_test_split(
            X, y, test_size=search["validation_fraction"], random_state=options["seed"],
            stratify=y if stratifies(estimator, y) else None)
        options["validation_data"] = (X_val, y_val)
    else:
        options["cv"] = search.get("cv", 3)
    executor = connect(args.scheduler) if args.scheduler else None
    try:
        result = tune_search(estimator, space, X, y, storage=output / "search.db",
                             resume=args.resume, executor=executor,
                             n_jobs=search.get("workers", 1) if args.workers is None
                             else args.workers,
                             verbose=0 if args.quiet else 1, **options)
    finally:
        if executor is not None:
            executor.close()
    result.to_csv(output / "trials.csv")
    result.plot(output)
    if result.preprocess is not None:
        X_test = result.preprocess.transform(X_test)
    test_score = float(result.best_model.score(X_test, y_test))
    rp.save(result.best_model.model_, output / "best_model.rpz",
            metadata={"best_params": {k: repr(v) for k, v in result.best_params.items()},
                      "test_score": test_score})
    summary = {"best_params": {k: repr(v) for k, v in result.best_params.items()},
               "best_score": result.best_score, "test_score": test_score,
               "trials": len(result.trials)}
    (output / "best.json").write_text(json.dumps(summary, indent=2))
    print(result.table())
    print(f"best {result.metric} {result.best_score:.4f} with {result.best_params}; "
          f"retrained on all training data: test score {test_score:.4f}")
    print(f"wrote search.db, trials.csv, best_score.png, parameters.png, best_model.rpz and "
          f"best.json in {output}")
    return summary
