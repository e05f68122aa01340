"""The lectures' experiments, one function each; every result has ``.table()`` and
``.plot(path)``. ``retroprop experiment NAME`` runs them from the command line."""

import inspect
from collections.abc import Callable

from retroprop.experiments.autoencoder import denoising_autoencoder
from retroprop.experiments.bayesian_fitting import bayesian_fitting
from retroprop.experiments.capacity import network_capacity, polynomial_fit
from retroprop.experiments.classic import delta_rule, gradient_descent
from retroprop.experiments.depth import initialization, vanishing_gradients
from retroprop.experiments.input_preprocessing import input_normalization, pca_compression
from retroprop.experiments.invariance import invariance
from retroprop.experiments.optimization_examples import (
    momentum_velocity,
    quadratic_steps,
    rprop_mini_batches,
)
from retroprop.experiments.perceptron import perceptron
from retroprop.experiments.perturbation import weight_perturbation
from retroprop.experiments.pretraining import generative_pretraining
from retroprop.experiments.regularization import regularization
from retroprop.experiments.result import ExperimentResult, Panel
from retroprop.experiments.training import (
    batch_norm,
    learning_rate,
    optimizer_paths,
)
from retroprop.experiments.worked_examples import (
    activations,
    chain_rule,
    convolution,
    geometric_mean,
)

EXPERIMENTS: dict[str, Callable[..., ExperimentResult]] = {
    "gradient-descent": gradient_descent, "delta-rule": delta_rule, "perceptron": perceptron,
    "vanishing-gradients": vanishing_gradients, "initialization": initialization,
    "learning-rate": learning_rate, "optimizer-paths": optimizer_paths,
    "weight-perturbation": weight_perturbation, "regularization": regularization,
    "batch-norm": batch_norm, "denoising-autoencoder": denoising_autoencoder,
    "rprop-mini-batches": rprop_mini_batches,
    "momentum-velocity": momentum_velocity, "quadratic-steps": quadratic_steps,
    "chain-rule": chain_rule, "activations": activations, "convolution": convolution,
    "geometric-mean": geometric_mean, "polynomial-fit": polynomial_fit,
    "network-capacity": network_capacity, "input-normalization": input_normalization,
    "pca-compression": pca_compression, "bayesian-fitting": bayesian_fitting,
    "generative-pretraining": generative_pretraining, "invariance": invariance,
}  # fmt: skip


# Experiments whose training passes go by another name than ``epochs``.
EPOCH_ALIASES = {"gradient-descent": "steps", "delta-rule": "weeks",
                 "input-normalization": "max_steps", "perceptron": "max_epochs",
                 "optimizer-paths": "steps",
                 "rprop-mini-batches": "rounds", "momentum-velocity": "steps"}


def trains(name: str) -> str | None:
    """The parameter that counts an experiment's training passes, or None if it has none."""
    if "epochs" in inspect.signature(EXPERIMENTS[name]).parameters:
        return "epochs"
    return EPOCH_ALIASES.get(name)


def run(name: str, epochs: int | None = None, **options: object) -> ExperimentResult:
    """Run an experiment by its command-line name; ``epochs`` sets its number of training
    passes (its ``steps``, ``weeks`` or ``max_epochs`` where it names them so), and is an
    error for the experiments that do not train."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    if epochs is not None:
        parameter = trains(name)
        if parameter is None:
            training = ", ".join(n for n in EXPERIMENTS if trains(n))
            raise ValueError(f"experiment {name!r} does not train, so it takes no epochs "
                             f"(got epochs={epochs!r}); these do: {training}")
        options[parameter] = epochs
    return EXPERIMENTS[name](**options)


__all__ = ["EXPERIMENTS", "ExperimentResult", "Panel", "activations", "batch_norm",
           "bayesian_fitting", "chain_rule",
           "convolution", "delta_rule", "denoising_autoencoder", "generative_pretraining",
           "geometric_mean",
           "gradient_descent", "initialization", "input_normalization", "invariance",
           "learning_rate",
           "momentum_velocity", "network_capacity", "optimizer_paths", "pca_compression",
           "perceptron", "polynomial_fit", "quadratic_steps", "regularization",
           "rprop_mini_batches", "run", "trains", "vanishing_gradients", "weight_perturbation"]
