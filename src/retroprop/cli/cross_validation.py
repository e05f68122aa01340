"""``retroprop train --cv K``: k-fold cross-validation of the configured network on the
training split, instead of one training run (Berzal, "Backpropagation": N subsets, N error
estimates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retroprop.checks import check_count
from retroprop.cli.config import TrainConfig
from retroprop.cli.train import (
    build_model,
    check,
    is_tabular,
    load_prepared,
    optimizer_settings,
    prepare,
    standardization,
)


@dataclass
class FoldStandardization:
    """The standardization of ``retroprop train`` as a transformer that cross-validation
    fits on each fold's training rows only (so that no held-out row shapes the mean and
    scale it is scored with); ``transform`` also shapes the rows as the model's input."""

    input_shape: list[int]

    def fit(self, X: np.ndarray) -> FoldStandardization:
        self.preprocessing_ = standardization(X)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return prepare(X, self.preprocessing_, self.input_shape, "train --cv")


def cross_validate_config(config: TrainConfig, cv: int, scheduler: str | None = None,
                          given: set[str] | None = None) -> dict[str, Any]:
    """Train one network per fold as ``config`` says; print each fold and the mean ± std.

    The settings are checked as for a training run, before loading (``given`` names the
    settings that the user chose: those that ``--cv`` does not use are reported), and the
    data are loaded, labelled and preprocessed as :func:`retroprop.cli.train.train` does,
    except that a feature table is standardized in each fold with the mean and scale of
    that fold's training rows only (:class:`FoldStandardization`).
    """
    import retroprop as rp
    from retroprop.parallel import connect

    check_count(cv, "--cv (the number of folds)", 2)
    check(config, given or set(), is_tabular(config), cross_validation=True)
    prepared = load_prepared(config, standardize=False)
    preprocess = None if prepared.preprocessing else FoldStandardization(prepared.input_shape)
    settings = optimizer_settings(config)
    executor = connect(scheduler) if scheduler else None
    try:
        result = rp.cross_validate(
            lambda: build_model(config, prepared.input_shape, prepared.classes), prepared.X,
            prepared.y, cv=cv, seed=config.seed, preprocess=preprocess,
            executor=executor, class_weight=config.class_weight,
            optimizer=config.optimizer, epochs=config.epochs,
            batch_size=config.batch_size or None, **settings)
    finally:
        if executor is not None:
            executor.close()
    print(f"{cv}-fold cross-validation of {config.model} on {config.dataset}")
    print(result.table())
    accuracy = result.scores["accuracy"]
    print(f"accuracy {np.mean(accuracy):.4f} ± {np.std(accuracy):.4f}")
    return {"scores": {k: v.tolist() for k, v in result.scores.items()}, "mean": result.mean,
            "std": result.std}
