"""``retroprop train --cv K``: k-fold cross-validation of the configured network on the
training split, instead of one training run (Berzal, "Backpropagation": N subsets, N error
estimates)."""

from __future__ import annotations

from typing import Any

import numpy as np

from retroprop.cli.config import TrainConfig


def cross_validate_config(config: TrainConfig, cv: int, scheduler: str | None = None
                          ) -> dict[str, Any]:
    """Train one network per fold as ``config`` says; print each fold and the mean ± std."""
    import retroprop as rp
    from retroprop.cli.train import build_model, input_shape_for, optimizer_settings, prepare
    from retroprop.parallel import connect

    ((X, y), _), maximum = rp.datasets.load(config.dataset)
    if y.dtype.kind not in "iu":
        raise ValueError(f"{config.dataset}: retroprop train trains classifiers; the labels "
                         f"must be integers, got dtype {y.dtype}")
    if maximum is not None:
        preprocessing: dict[str, Any] = {"kind": "scale", "maximum": maximum}
    else:
        scaler = rp.data.StandardScaler().fit(X.reshape(len(X), -1))
        preprocessing = {"kind": "standardize", "mean": scaler.mean_, "scale": scaler.scale_}
    input_shape = input_shape_for(config, X.shape[1:])
    X = prepare(X, preprocessing, input_shape)
    classes = int(y.max()) + 1
    settings = optimizer_settings(config)
    executor = connect(scheduler) if scheduler else None
    try:
        result = rp.cross_validate(
            lambda: build_model(config, input_shape, classes), X, y, cv=cv, seed=config.seed,
            executor=executor, optimizer=config.optimizer, epochs=config.epochs,
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
