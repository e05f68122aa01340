"""Experiments on deep networks: initialization and vanishing gradients (seeds 000, 002,
003)."""

from __future__ import annotations

import warnings

import numpy as np

from retroprop import nn
from retroprop.callbacks.gradient_monitor import GradientMonitor
from retroprop.datasets.loaders import load_fashion_mnist, load_mnist, scale
from retroprop.experiments.result import ExperimentResult, Panel, check_positive
from retroprop.optim.sgd import SGD
from retroprop.random import manual_seed
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer

INITS = {"N(0, 0.01)": nn.init.normal(std=0.1), "N(0, 1)": nn.init.normal(std=1.0),
         "LeCun": nn.init.lecun_normal(), "Glorot": nn.init.glorot_normal(),
         "He": nn.init.he_normal()}


def initialization(depth: int = 10, width: int = 50, batch: int = 1000, seed: int = 0
                   ) -> ExperimentResult:
    """Seed 002: Var[y] = n σ_w² σ_x² for a unit with n inputs, so the variance of the
    activations (and of the gradients) changes by n σ_w² per layer. A 10-layer tanh and a
    10-layer ReLU network of 50 units on N(0, 1) inputs: variance of activations and
    gradients layer by layer under N(0, 0.01) (variance 0.01: n σ² = 0.5 per layer, the
    activations vanish), N(0, 1) (n σ² = 50: tanh saturates), LeCun, Glorot and He."""
    check_positive("initialization", width=width, batch=batch)
    if not isinstance(depth, int) or depth < 2:
        raise ValueError(f"initialization: depth must be an integer >= 2, got {depth!r}")
    manual_seed(seed)
    x = np.random.default_rng(seed).standard_normal((batch, width))
    rows, panels, data = [], [], {}
    for activation in ("tanh", "relu"):
        panel = Panel(f"{activation}: activation variance per layer", xlabel="layer",
                      ylabel="Var[y]", log_y=True)
        for name, init in INITS.items():
            layers = [nn.Linear(width, width, init=init, activation=activation,
                                dtype=np.float64) for _ in range(depth)]
            outputs, h = [], Tensor(x, dtype=np.float64)
            for layer in layers:
                h = layer(h)
                outputs.append(h)
            h.backward(np.ones_like(h.data) / h.size)
            act = [float(o.data.var()) for o in outputs]
            grad = [float(layer.weight.grad.var()) for layer in layers]
            saturated = float(np.mean(np.abs(outputs[-1].data) > 0.99)) \
                if activation == "tanh" else float("nan")
            data[(activation, name)] = {"activation_var": act, "gradient_var": grad,
                                        "saturated": saturated}
            rows.append([activation, name, act[0], act[-1], grad[0], grad[-1], saturated])
            panel.curves[name] = (list(range(1, depth + 1)), act)
        panels.append(panel)
    return ExperimentResult(
        "initialization", ["network", "init", "Var[y] layer 1", f"Var[y] layer {depth}",
                           "Var[∂W] layer 1", f"Var[∂W] layer {depth}",
                           "saturated (tanh)"], rows, panels, data=data)


def _digits_for_vanishing(n: int) -> tuple[np.ndarray, np.ndarray, str]:
    try:
        (X, y), _ = load_mnist(download=False)
        name = "MNIST"
    except FileNotFoundError:
        (X, y), _ = load_fashion_mnist(download=False)
        name = "Fashion-MNIST (MNIST not found)"
    return scale(X[:n]).reshape(n, -1), y[:n], name


def _nielsen_network(hidden: int, width: int, mitigation: str | None) -> nn.Sequential:
    layers: list[nn.Module] = []
    fan_in = 784
    for _ in range(hidden):
        if mitigation == "relu+he":
            layers += [nn.Linear(fan_in, width, init="he_normal"), nn.ReLU()]
        elif mitigation == "batch_norm":
            layers += [nn.Linear(fan_in, width, init="lecun_normal"), nn.BatchNorm1d(width),
                       nn.Sigmoid()]
        elif mitigation == "residual" and fan_in == width:
            layers += [nn.Residual(nn.Sequential(nn.Linear(width, width, init="lecun_normal"),
                                                 nn.Sigmoid()))]
        else:
            layers += [nn.Linear(fan_in, width, init="lecun_normal"), nn.Sigmoid()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(width, 10, init="lecun_normal"))


def vanishing_gradients(hidden_layers: tuple[int, ...] = (2, 3, 4), epochs: int = 500,
                        n: int = 1000, width: int = 30, lr: float = 0.1, l2: float = 5.0,
                        mitigations: tuple[str, ...] = ("relu+he", "residual", "clipping"),
                        seed: int = 0) -> ExperimentResult:
    """Nielsen's experiment (seeds 000 and 003): sigmoid networks [784, 30, ..., 30, 10]
    with 2, 3 and 4 hidden layers, cross-entropy, weights N(0, 1/n_in), ``n`` training
    images, full-batch gradient descent with η = 0.1 and L2 λ = 5.0 (Nielsen's
    λ/(2n) Σ w²); per epoch the norm of the bias gradient of each hidden layer. Then the
    deepest network with the mitigations of seed 003: ReLU with He initialization, residual
    connections, gradient clipping (which bounds exploding gradients but cannot undo
    vanishing ones); "batch_norm" is possible too, but a linear layer followed by batch
    normalization gets no bias gradient at all (the normalization removes any shift), so
    its effect is shown by the ``batch-norm`` experiment instead."""
    check_positive("vanishing_gradients", epochs=epochs, n=n, width=width, lr=lr)
    X, y, source = _digits_for_vanishing(n)
    rows, panels, data = [], [], {}
    configs = [(h, None) for h in hidden_layers] + [(max(hidden_layers), m) for m in mitigations]
    for hidden, mitigation in configs:
        manual_seed(seed)
        model = _nielsen_network(hidden, width, None if mitigation == "clipping" else mitigation)
        nn.regularize(model, l2=l2 / n)
        monitor = GradientMonitor()
        trainer = Trainer(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr),
                          clip_grad_norm=0.1 if mitigation == "clipping" else None, metrics=[])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            history = trainer.fit(X, y, epochs=epochs, batch_size=None, verbose=0,
                                  callbacks=[monitor])
        names = [name for name, layer in monitor.layers][:-1]  # hidden layers only
        curves = {f"hidden layer {i + 1}": history.history[f"grad_norm/{name}.bias"]
                  for i, name in enumerate(names)}
        label = f"{hidden} hidden" + (f", {mitigation}" if mitigation else "")
        first, last = curves["hidden layer 1"], curves[f"hidden layer {len(names)}"]
        rows.append([label, first[0], first[-1], last[0], last[-1]])
        data[label] = curves
        panels.append(Panel(label, curves={k: (list(range(1, epochs + 1)), v)
                                           for k, v in curves.items()},
                            ylabel="||∂C/∂b||", log_y=True))
    return ExperimentResult(
        "vanishing-gradients", ["network", "layer 1 start", "layer 1 end", "last hidden start",
                                "last hidden end"], rows, panels,
        notes=[f"data: {n} training images of {source}"], data=data)
