"""The lectures' experiments, one function each; every result has ``.table()`` and
``.plot(path)``. ``retroprop experiment NAME`` runs them from the command line."""

from collections.abc import Callable

from retroprop.experiments.autoencoder import denoising_autoencoder
from retroprop.experiments.classic import delta_rule, gradient_descent, perceptron
from retroprop.experiments.depth import initialization, vanishing_gradients
from retroprop.experiments.result import ExperimentResult, Panel
from retroprop.experiments.training import (
    batch_norm,
    learning_rate,
    optimizer_paths,
    regularization,
    weight_perturbation,
)

EXPERIMENTS: dict[str, Callable[..., ExperimentResult]] = {
    "gradient-descent": gradient_descent, "delta-rule": delta_rule, "perceptron": perceptron,
    "vanishing-gradients": vanishing_gradients, "initialization": initialization,
    "learning-rate": learning_rate, "optimizer-paths": optimizer_paths,
    "weight-perturbation": weight_perturbation, "regularization": regularization,
    "batch-norm": batch_norm, "denoising-autoencoder": denoising_autoencoder,
}  # fmt: skip


def run(name: str, **options: object) -> ExperimentResult:
    """Run an experiment by its command-line name."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name](**options)


__all__ = ["EXPERIMENTS", "ExperimentResult", "Panel", "batch_norm", "delta_rule",
           "gradient_descent", "initialization", "learning_rate", "optimizer_paths",
           "perceptron", "regularization", "run", "vanishing_gradients",
           "weight_perturbation"]
