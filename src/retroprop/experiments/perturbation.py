"""Learning by perturbation against backpropagation (Berzal, "Backpropagation" (Granada),
section "En la práctica: Optimización", slide "IDEA: Aprendizaje por perturbación de los
pesos")."""

from __future__ import annotations

import numpy as np

from retroprop import nn
from retroprop.experiments.digits import flat_digits
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_counts,
    check_positive,
)
from retroprop.models.mlp import mlp
from retroprop.optim.sgd import SGD
from retroprop.random import manual_seed
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer

SIZES = [64, 16, 10]


def _network(seed: int) -> nn.Sequential:
    manual_seed(seed)
    return mlp(SIZES, dtype=np.float64)


def _accuracy(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> float:
    with no_grad():
        return float(np.mean(model(Tensor(X, dtype=np.float64)).data.argmax(1) == y))


def _example_losses(model: nn.Sequential, X: np.ndarray, y: np.ndarray,
                    layer: nn.Linear | None = None, unit: int = 0, delta: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """One forward pass: the cross-entropy of every example, with ``delta`` added to the
    total input z_j of ``unit`` j of ``layer`` in every example; also that layer's input."""
    h, layer_input = Tensor(X, dtype=np.float64), None
    with no_grad():
        for module in model:
            out = module(h)
            if module is layer:
                layer_input = h.data
                out.data[:, unit] += delta
            h = out
    logits = h.data
    top = logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
    return log_norm - logits[np.arange(len(y)), y], layer_input


def _weight_perturbation(model: nn.Sequential, X: np.ndarray, y: np.ndarray, passes: int,
                         rng: np.random.Generator) -> list[float]:
    """Change one random weight by N(0, 0.1²); keep the change if the error fell."""
    params = list(model.parameters())
    best = float(_example_losses(model, X, y)[0].mean())
    losses = [best]
    for _ in range(passes - 1):
        param = params[rng.integers(len(params))]
        index = tuple(rng.integers(s) for s in param.shape)
        old = param.data[index]
        param.data[index] = old + rng.normal(0, 0.1)
        trial = float(_example_losses(model, X, y)[0].mean())
        if trial < best:
            best = trial
        else:
            param.data[index] = old
        losses.append(best)
    return losses


def _activity_perturbation(model: nn.Sequential, X: np.ndarray, y: np.ndarray, passes: int,
                           lr: float, delta: float = 1e-4) -> list[float]:
    """Unit after unit: perturb its activity z_j by δ in every example (one pass), read
    ∂E_n/∂z_j ≈ (E_n(z_j + δ) - E_n) / δ for every example n from the per-example
    errors, and change that unit's incoming weights by Δw_ij = -η mean_n y_i ∂E_n/∂z_j."""
    units = [(layer, j) for layer in model if isinstance(layer, nn.Linear)
             for j in range(layer.out_features)]
    losses = []
    for k in range(passes // 2):
        layer, j = units[k % len(units)]
        base, inputs = _example_losses(model, X, y, layer, j, 0.0)
        perturbed, _ = _example_losses(model, X, y, layer, j, delta)
        activity_grad = (perturbed - base) / delta
        layer.weight.data[j] -= lr * (activity_grad @ inputs) / len(X)
        if layer.bias is not None:
            layer.bias.data[j] -= lr * activity_grad.mean()
        losses += [float(base.mean())] * 2
    return losses


def weight_perturbation(epochs: int = 300, lr: float = 0.5, seed: int = 0
                        ) -> ExperimentResult:
    """Berzal, slide "IDEA: Aprendizaje por perturbación de los pesos": perturbing a random
    weight and keeping the change if the error falls needs one forward pass per weight
    tried ("demasiado ineficiente"). "Una alternativa menos mala": perturb the activities
    of the units instead; once the derivative of the error for a unit's activity is known,
    the change of its incoming weights follows, and there are fewer activities than
    weights (here 26 units against 1210 weights). "Pero backpropagation sigue siendo más
    eficiente": one forward and one backward pass give the derivatives for every weight.

    A 64-16-10 ReLU network on the digits (float64, the mean cross-entropy), the three
    methods with the same number of passes over the training set: ``epochs`` full-batch
    steps of backpropagation (2 passes each), as many activity updates (2 passes each:
    the errors, then with one unit's activity perturbed), and 2 x ``epochs`` trials of
    weight perturbation (1 pass each).
    """
    check_positive("weight_perturbation", lr=lr)
    check_counts("weight_perturbation", epochs=epochs)
    X, y, X_test, y_test = flat_digits(np.float64)
    passes = 2 * epochs
    rng = np.random.default_rng(seed)
    curves, rows = {}, []
    model = _network(seed)
    curves["weight perturbation"] = _weight_perturbation(model, X, y, passes, rng)
    rows.append(["weight perturbation", passes, 1, curves["weight perturbation"][-1],
                 _accuracy(model, X_test, y_test)])
    model = _network(seed)
    curves["activity perturbation"] = _activity_perturbation(model, X, y, passes, lr)
    fan_in = np.mean([layer.in_features + 1 for layer in model if isinstance(layer, nn.Linear)
                      for _ in range(layer.out_features)])
    rows.append(["activity perturbation", passes, fan_in / 2,
                 curves["activity perturbation"][-1], _accuracy(model, X_test, y_test)])
    model = _network(seed)
    trainer = Trainer(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr), metrics=[])
    history = trainer.fit(X, y, epochs=epochs, batch_size=None, verbose=0)
    curves["backpropagation"] = [v for v in history.history["loss"] for _ in range(2)]
    weights = sum(p.size for p in model.parameters())
    rows.append(["backpropagation", passes, weights / 2, curves["backpropagation"][-1],
                 _accuracy(model, X_test, y_test)])
    panel = Panel("training loss for the same number of passes", xlabel="passes",
                  ylabel="loss", log_y=True,
                  curves={k: (list(range(1, len(v) + 1)), v) for k, v in curves.items()})
    return ExperimentResult("weight-perturbation", ["method", "passes", "weights changed per "
                                                    "pass", "final loss", "test accuracy"],
                            rows, [panel], [f"network {SIZES}: {weights} weights, "
                                            f"{sum(SIZES[1:])} units"],
                            data={"curves": curves})
