"""Small worked examples of the lectures, computed by the library: the chain rule of
Tobón & Aguirre, the six activation functions of FAMAF, Berzal's convolution and his
geometric mean of two models' outputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from retroprop import nn
from retroprop.ensemble import combine
from retroprop.experiments.result import (
    ExperimentResult,
    Panel,
    check_counts,
    check_positive,
    grad_of,
)
from retroprop.tensor.tensor import Tensor


def chain_rule(points: tuple[float, ...] = (0.5, 1.0, math.e, 4.0)) -> ExperimentResult:
    """Tobón & Aguirre, "Redes Neuronales Artificiales" (UNAL Manizales), section 4
    "Regla de la cadena y propagación hacia atrás": h(x) = f(g(x)) with f(u) = u² and
    g(x) = ln(x) + 4, so dh/dx = (df/dg)(dg/dx) = 2 (ln(x) + 4) (1/x). The table puts
    that formula beside the derivative that reverse-mode autograd computes.

    Examples
    --------
    >>> float(chain_rule(points=(1.0,)).data["autograd"][0])  # 2 (ln 1 + 4) / 1
    8.0
    """
    if len(points) == 0:
        raise ValueError("chain_rule: points must hold at least one x > 0, got ()")
    check_positive("chain_rule", **{f"points[{i}]": point for i, point in enumerate(points)})
    x = Tensor(np.array(points), dtype=np.float64, requires_grad=True)
    inner = x.log() + 4
    h = inner * inner
    h.sum().backward()
    autograd = grad_of(x)
    formula = 2 * (np.log(points) + 4) / np.array(points)
    rows = [[p, float(g), float(v), float(a), float(f)]
            for p, g, v, a, f in zip(points, inner.data, h.data, autograd, formula, strict=True)]
    grid = np.linspace(0.2, 6, 200)
    panel = Panel("h(x) = (ln x + 4)² and its derivative", xlabel="x",
                  curves={"h(x)": (grid.tolist(), ((np.log(grid) + 4) ** 2).tolist()),
                          "dh/dx = 2 (ln x + 4) / x": (
                              grid.tolist(), (2 * (np.log(grid) + 4) / grid).tolist())},
                  draw=lambda axis: axis.scatter(points, autograd, c="k", zorder=3,
                                                 label="dh/dx by autograd"))
    return ExperimentResult("chain-rule", ["x", "g(x) = ln x + 4", "h(x) = g²",
                                           "dh/dx (autograd)", "2 (ln x + 4) / x"], rows,
                            [panel], data={"autograd": autograd.copy(), "formula": formula})


ACTIVATIONS: dict[str, nn.Module] = {
    "sign": nn.Sign(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "ReLU": nn.ReLU(),
    "leaky ReLU (0.01)": nn.LeakyReLU(0.01), "ELU (α = 1)": nn.ELU(1.0)}
PROBES = (-2.0, 0.0, 2.0)


def activations(low: float = -4.0, high: float = 4.0, points: int = 401) -> ExperimentResult:
    """FAMAF, "Redes neuronales" 2024, clase 21, section "¿Por qué es difícil entrenar una
    red profunda?": the six activations signo, sigmoide, tanh, ReLU, leaky ReLU and ELU
    with their derivatives, computed by backpropagation through each layer. The sigmoid's
    derivative is at most 1/4 and tanh's at most 1, both vanishing for large |v| ("las
    funciones sigmoides tienen casi siempre derivada pequeña"); ReLU's is 1 for v > 0.
    At a kink the derivative is PyTorch's (ReLU'(0) = 0, sign' = 0)."""
    if not low < 0 < high:
        raise ValueError(f"activations: need low < 0 < high, got low={low!r}, high={high!r}")
    check_counts("activations", minimum=2, points=points)
    grid = np.unique(np.r_[np.linspace(low, high, points), PROBES])
    rows, panels = [], []
    data: dict[str, Any] = {}
    for name, layer in ACTIVATIONS.items():
        v = Tensor(grid, dtype=np.float64, requires_grad=True)
        out = layer(v)
        out.sum().backward()
        value, slope = out.data, grad_of(v)
        data[name] = {"value": value, "derivative": slope}
        at = [int(np.searchsorted(grid, p)) for p in PROBES]
        rows.append([name, *(float(value[i]) for i in at), *(float(slope[i]) for i in at),
                     float(np.abs(slope).max())])
        panels.append(Panel(name, xlabel="v", curves={
            "φ(v)": (grid.tolist(), value.tolist()), "φ'(v)": (grid.tolist(), slope.tolist())}))
    data["grid"] = grid
    columns = ["activation", *(f"φ({p:g})" for p in PROBES), *(f"φ'({p:g})" for p in PROBES),
               "max |φ'|"]
    return ExperimentResult("activations", columns, rows, panels, data=data)


# The 5 x 5 image and 3 x 3 kernel of the slide (from Stanford's UFLDL tutorial).
IMAGE = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]], dtype=np.float64)
KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float64)


def convolution() -> ExperimentResult:
    """Berzal, "Backpropagation" (Granada), section "En la práctica: Invarianza", slide
    "Redes convolutivas: Convolución": the 3 x 3 kernel [[1,0,1],[0,1,0],[1,0,1]] slides
    over the 5 x 5 binary image; its first position gives 4, the whole convolved feature
    is [[4,3,4],[2,4,3],[2,3,4]] (``nn.Conv2d``, a cross-correlation as in PyTorch and on
    the slide). Weight sharing, slide "Backpropagation con restricciones sobre los pesos":
    the gradient of the shared kernel is the sum of the gradients of its nine copies,
    here (for E = Σ outputs) the sum of the nine image patches.

    Examples
    --------
    >>> convolution().data["feature"].tolist()
    [[4.0, 3.0, 4.0], [2.0, 4.0, 3.0], [2.0, 3.0, 4.0]]
    """
    conv = nn.Conv2d(1, 1, kernel_size=3, bias=False, dtype=np.float64)
    conv.weight.data[...] = KERNEL
    image = Tensor(IMAGE[None, None], dtype=np.float64)
    feature = conv(image)
    feature.sum().backward()
    output = feature.data[0, 0]
    kernel_grad = grad_of(conv.weight)[0, 0]
    patches = np.array([IMAGE[i:i + 3, j:j + 3] for i in range(3) for j in range(3)])
    rows = [[f"row {i + 1}", *output[i]] for i in range(3)]
    panels = [Panel("image", xlabel="", ylabel="", draw=_matrix_drawer(IMAGE)),
              Panel("kernel", xlabel="", ylabel="", draw=_matrix_drawer(KERNEL)),
              Panel("convolved feature", xlabel="", ylabel="", draw=_matrix_drawer(output))]
    return ExperimentResult("convolution", ["convolved feature", "col 1", "col 2", "col 3"],
                            rows, panels,
                            [f"kernel gradient (E = Σ outputs), row-major: "
                             f"{kernel_grad.ravel().tolist()} = sum of the 9 patches"],
                            data={"feature": output, "kernel_grad": kernel_grad.copy(),
                                  "patch_sum": patches.sum(axis=0)})


def _matrix_drawer(matrix: np.ndarray):
    def draw(axis: Any) -> None:
        axis.imshow(matrix, cmap="Blues", vmin=0, vmax=max(matrix.max(), 1) * 1.5)
        for (i, j), value in np.ndenumerate(matrix):
            axis.text(j, i, f"{value:g}", ha="center", va="center")
        axis.set_xticks([])
        axis.set_yticks([])
    return draw


def geometric_mean(model_a: tuple[float, ...] = (0.3, 0.2, 0.5),
                   model_b: tuple[float, ...] = (0.1, 0.8, 0.1)) -> ExperimentResult:
    """Berzal, "Backpropagation" (Granada), section "Generalización", slide "Dropout":
    model A says (.3, .2, .5), model B (.1, .8, .1); their geometric mean is
    (√.03, √.16, √.05) / sum = (0.217, 0.502, 0.281), beside the arithmetic mean
    (0.2, 0.5, 0.3). ``rp.ensemble.combine`` computes both.

    Examples
    --------
    >>> geometric_mean().data["geometric"].round(3).tolist()
    [0.217, 0.502, 0.281]
    """
    a, b = np.array([model_a], dtype=np.float64), np.array([model_b], dtype=np.float64)
    for name, p in (("model_a", a), ("model_b", b)):
        if p.shape != a.shape or (p < 0).any() or not np.isclose(p.sum(), 1):
            raise ValueError(f"geometric_mean: {name} must be probabilities summing to 1 of "
                             f"the same length as model_a, got {p.ravel().tolist()}")
    geometric = combine([a, b], "geometric")[0]
    arithmetic = combine([a, b], "arithmetic")[0]
    products = np.sqrt(a[0] * b[0])
    rows = [["model A", *a[0]], ["model B", *b[0]], ["√(p_A p_B)", *products],
            ["geometric mean (/ sum)", *geometric], ["arithmetic mean", *arithmetic]]
    classes = list(range(1, a.shape[1] + 1))
    bars = {"model A": a[0], "model B": b[0], "geometric mean": geometric,
            "arithmetic mean": arithmetic}

    def draw(axis: Any) -> None:
        for k, (label, values) in enumerate(bars.items()):
            axis.bar(np.array(classes) + 0.2 * (k - 1.5), values, width=0.2, label=label)
        axis.set_xticks(classes)

    panel = Panel("two models and their combinations", xlabel="class", ylabel="probability",
                  draw=draw)
    return ExperimentResult("geometric-mean", ["", *(f"class {c}" for c in classes)], rows,
                            [panel], [f"sum of √(p_A p_B) = {products.sum():.4f}"],
                            data={"geometric": geometric, "arithmetic": arithmetic})
