"""``Dropout``: switch units off at random during training (Fuentes Pineda, UNAM, "Dropout";
Berzal, "Backpropagation", Granada, "Dropout").

Fuentes Pineda writes r_j ~ Bernoulli(P), ỹ = r * y, with P the probability of
*keeping* a unit. Here, as in PyTorch, ``p`` is the probability of *dropping*
(P = 1 - p). The two lectures scale differently at inference:

* Berzal halves the *outgoing weights* of each unit ("dejando en la mitad sus pesos de
  salida"): the next layer computes P Σ_j w_ij y_j + b_i, which is exactly the expected
  value over the masks of its training-time input Σ_j w_ij r_j y_j + b_i. ``Dropout(p,
  scale="inference")`` does this in ``eval()`` by multiplying its output by P, and
  :func:`scale_for_inference` bakes it into the weights.
* Fuentes Pineda scales *weights and biases*, θ_inferencia = P θ with θ = {W, b}: the next
  layer computes P (Σ_j w_ij y_j + b_i), which differs from the above by (1 - P) b_i; it
  is the expectation when the bias, the weight of the fixed input +1, is dropped with
  probability 1 - P as well. ``scale_for_inference(model, biases=True)`` gives it.

Both agree when the biases are zero. PyTorch's default, inverted dropout
(``scale="train"``), divides by P in training and leaves inference alone: in expectation
it is Berzal's rule.
"""

from __future__ import annotations

import copy

import numpy as np

from retroprop.checks import check_range
from retroprop.nn.container import Sequential
from retroprop.nn.module import Array, Module
from retroprop.nn.regularized import WeightLayer
from retroprop.random import generator
from retroprop.tensor.tensor import Tensor

SCALES = ("train", "inference")


def dropout_mask(shape: tuple[int, ...], p: float, dtype: np.dtype, inverted: bool = True,
                 where: str = "Dropout") -> np.ndarray:
    """A fresh mask r_j ~ Bernoulli(1 - p) in ``dtype``, divided by the keep probability
    1 - p when ``inverted`` (PyTorch's inverted dropout; all zeros for p = 1). An integer
    or boolean ``dtype`` is refused, as PyTorch refuses it: 1/(1 - p) would be truncated."""
    if dtype.kind != "f":
        raise TypeError(f"{where}: expected a floating-point input, got dtype {dtype}; "
                        "convert it first, e.g. x.float()")
    keep = generator().random(shape, dtype=np.float32) >= p
    if not inverted:
        return keep.astype(dtype)
    return keep * dtype.type(1.0 / (1.0 - p)) if p < 1 else np.zeros(shape, dtype)


class Dropout(Module):
    """Multiply each input by an independent Bernoulli(1 - p) mask in training.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of dropping a unit (0.5 for hidden units; use a smaller
        one on inputs, Berzal).
    scale : {"train", "inference"}, default "train"
        "train" (inverted dropout, as PyTorch): kept units are divided by
        1 - p in training, and inference is the identity. "inference" (the
        lectures' form): training only masks, and inference multiplies by
        the keep probability P = 1 - p, which scales the next layer's
        weights by P and not its biases (Berzal's rule; Fuentes Pineda's,
        which scales the biases too, is :func:`scale_for_inference` with
        ``biases=True``). Both give the same expected output.
    inplace : bool, default False
        Accepted (keyword only) so that PyTorch's ``nn.Dropout(p, inplace=True)`` runs
        unchanged; it changes nothing: the output is the same, and training keeps the
        input for the backward pass.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> layer = rp.nn.Dropout(0.5).eval()
    >>> layer(np.ones((2, 3))).data.tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    stochastic = True

    config_attributes = ("p", "scale")

    def __init__(self, p: float = 0.5, scale: str = "train", *, inplace: bool = False
                 ) -> None:
        super().__init__()
        self.inplace = bool(inplace)
        check_range(p, "Dropout: p (probability of dropping)", 0, 1)
        if scale not in SCALES:
            torch_flag = ("; PyTorch's second argument, inplace, is keyword-only here: "
                          "Dropout(p, inplace=True)") if isinstance(scale, bool) else ""
            raise ValueError(f"Dropout: scale must be one of {SCALES}, got {scale!r}"
                             + torch_flag)
        self.p, self.scale = float(p), scale

    def mask(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A fresh Bernoulli(1 - p) mask, scaled by 1/(1 - p) for inverted dropout."""
        return dropout_mask(shape, self.p, dtype, inverted=self.scale == "train")

    def forward(self, x: Tensor) -> Tensor:
        if self.training and self.p:
            return x * self.mask(x.shape, x.dtype)
        return self._evaluate(x)

    def _evaluate(self, x: Array) -> Array:
        """Evaluation mode: x, or (1 - p) x when the masks were not rescaled in training."""
        return x if self.p == 0 or self.scale == "train" else x * (1.0 - self.p)

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return self._evaluate(x)

    def extra_repr(self) -> str:
        return (f"p={self.p}" + (", scale='inference'" if self.scale == "inference" else "")
                + (", inplace=True" if self.inplace else ""))


class _Identity(Module):
    """Where a dropout layer was, once its scaling lives in the next layer's parameters."""

    def forward(self, x: Tensor) -> Tensor:
        return x


def scale_for_inference(model: Sequential, biases: bool = False) -> Sequential:
    """A deterministic copy of ``model`` for inference, each ``Dropout`` folded into the next
    layer with parameters: its ``weight`` multiplied by the keep probability P = 1 - p and,
    with ``biases=True``, its ``bias`` too.

    ``biases=False`` is Berzal's rule ("Backpropagation", Granada: halve the outgoing
    weights), the exact expected input of the next layer; ``biases=True`` is Fuentes
    Pineda's θ_inferencia = P θ, θ = {W, b} (UNAM, "Dropout en inferencia"). Use it on a
    model trained with ``Dropout(p, scale="inference")`` (masks only in training); the
    copy has no dropout layers and no randomness. Nested ``Sequential`` models are walked;
    a dropout layer must be followed, within its ``Sequential``, by a ``Linear`` or
    ``Conv2d``: a layer whose output is linear in its input, f(P y) = P (W y) + b. A batch
    or layer normalization is not (it standardizes P y back), so scaling its γ would change
    what the model computes: such a model is refused.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> model = rp.nn.Sequential(rp.nn.Dropout(0.5, scale="inference"), rp.nn.Linear(2, 1))
    >>> model[1].weight.data[...] = 1.0; model[1].bias.data[...] = 1.0
    >>> x = np.ones((1, 2))
    >>> rp.nn.scale_for_inference(model)(x).item()  # 0.5 * (1 + 1) + 1
    2.0
    >>> rp.nn.scale_for_inference(model, biases=True)(x).item()  # 0.5 * (1 + 1 + 1)
    1.5
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"scale_for_inference: model must be a Sequential, got "
                        f"{type(model).__name__}")
    layers = [copy.deepcopy(layer) for layer in model]
    keep = 1.0
    for index, layer in enumerate(layers):
        if isinstance(layer, Dropout):
            if layer.scale == "train" and layer.p:
                raise ValueError(f"scale_for_inference: layer {index} is inverted dropout "
                                 "(scale='train'), already scaled in training; only "
                                 "Dropout(p, scale='inference') layers can be folded")
            keep *= 1.0 - layer.p
            layers[index] = _Identity()
        elif isinstance(layer, Sequential):
            layers[index] = scale_for_inference(layer, biases)
        elif keep != 1.0:
            if not isinstance(layer, WeightLayer):
                raise ValueError(f"scale_for_inference: layer {index} "
                                 f"({type(layer).__name__}) follows a Dropout but is not a "
                                 "Linear or Conv2d, whose weights could take its scaling "
                                 "(its output is not linear in its input)")
            layer.weight.data *= keep
            if biases and layer.bias is not None:
                layer.bias.data *= keep
            keep = 1.0
    if keep != 1.0:
        raise ValueError("scale_for_inference: the last layer is a Dropout; there is no "
                         "next layer whose weights could take its scaling")
    return Sequential(*layers).eval()
