"""Loss modules (Berzal, "Backpropagation"; Fuentes Pineda, "Redes neuronales profundas"):
``loss = criterion(output, target)``.

Each loss also says what it means for training, so that the Trainer never asks which
loss it holds: whether it trains a classifier (``is_classifier``), how targets are
checked and converted once per ``fit`` (``prepare_targets``), how outputs become
probabilities and decisions (``probabilities``, ``decide``), and, for sums of squares,
the residuals that Levenberg–Marquardt minimizes (``residuals``).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from retroprop.checks import check_lr, check_rate
from retroprop.nn import functional as F
from retroprop.nn.module import Module
from retroprop.ops.activation import sigmoid, softmax
from retroprop.stacklevel import user_stacklevel
from retroprop.tensor.tensor import Tensor


class Loss(Module):
    """Base of the losses: a module ``loss(output, target)`` and its training contract."""

    #: Whether the loss trains a classifier (accuracy is then the default metric).
    is_classifier: ClassVar[bool] = False
    #: The output above which a one-column binary classifier says "1".
    threshold: ClassVar[float] = 0.5
    #: Whether every output is a yes/no decision of its own (``output > threshold``), as for
    #: the binary and multi-label cross-entropies: accuracy then judges each output.
    binary: ClassVar[bool] = False
    #: How ``reduction="mean"`` gathers the elements of one example: their "mean" (the
    #: mean over all elements, PyTorch's), or their "sum" (a mean over the examples of
    #: each one's sum, ``QuadraticLoss``); per-example weights need it
    #: (:mod:`retroprop.train.weighted_loss`).
    example_reduction: ClassVar[str] = "mean"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if isinstance(reduction, list | tuple | np.ndarray):  # nn.CrossEntropyLoss(w), ported
            F._check_reduction(reduction, type(self).__name__)
        if not isinstance(reduction, str):  # the class called as a loss: CrossEntropyLoss(y, t)
            name = type(self).__name__
            raise TypeError(f"{name}: reduction must be a string, got a "
                            f"{type(reduction).__name__}; a loss is created first, then "
                            f"called: {name}()(output, target), and a Trainer takes "
                            f"loss={name}(), not the class {name}")
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"

    def prepare_targets(self, y: np.ndarray, num_outputs: int | None, dtype: np.dtype,
                        where: str) -> np.ndarray:
        """Check the targets of a whole data set once and convert them: real-valued targets
        become ``dtype`` and must be finite."""
        if y.dtype.kind not in "biuf":
            raise TypeError(f"{where}: {type(self).__name__} needs numeric targets, got dtype "
                            f"{y.dtype}")
        y = y.astype(dtype, copy=False)
        F.check_finite(y, "y", where)
        return y

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Class probabilities from the model's outputs (classification losses only)."""
        raise TypeError(f"predict_proba: the loss {type(self).__name__} is not a "
                        "classification loss")

    def decide(self, outputs: np.ndarray) -> np.ndarray:
        """The predicted class of each example: the row's argmax, or ``outputs > threshold``
        for one column (also for squared errors on one-hot targets, as the lectures train)."""
        from retroprop.train.metrics import predicted_labels

        return predicted_labels(outputs, self.threshold)

    def residuals(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        """r with E = ½ Σ r², for Levenberg–Marquardt (sums of squares only)."""
        raise TypeError(f"Levenberg–Marquardt minimizes a sum of squares ½ Σ r²: train with "
                        f"MSELoss, not {type(self).__name__}")


def _one_column(y: np.ndarray, num_outputs: int | None) -> np.ndarray:
    """Targets of shape (n,) for a model with one output per example as (n, 1), as Keras
    takes them (PyTorch's ``MSELoss`` would broadcast them to (n, n), with a warning)."""
    return y.reshape(-1, 1) if y.ndim == 1 and num_outputs == 1 else y


class _RealTargets(Loss):
    """Losses of real-valued targets in the model's output shape."""

    def prepare_targets(self, y: np.ndarray, num_outputs: int | None, dtype: np.dtype,
                        where: str) -> np.ndarray:
        """Real-valued targets; those of shape (n,) for one output become (n, 1)."""
        return _one_column(super().prepare_targets(y, num_outputs, dtype, where), num_outputs)


class MSELoss(_RealTargets):
    """L = (1/n) Σ (y - t)² over all n elements: the quadratic error of the delta rule and of
    FAMAF's class 21 in PyTorch's convention, a mean without the ½ of Berzal's
    E = ½ Σ (t - y)². Its gradient is 2 (y - t)/n, so the lectures' learning rates do not
    carry over: use :class:`QuadraticLoss` for E, or halve η with this loss on a single
    output (the cafeteria's η = 1/35 is lr = 1/70 here).
    Levenberg–Marquardt minimizes the same error as ½ Σ r² with r = y - t."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)

    def residuals(self, outputs: Tensor, target: np.ndarray) -> Tensor:
        return outputs - target.reshape(outputs.shape)


class QuadraticLoss(MSELoss):
    """The lectures' quadratic error, with the ½ that makes its gradient y - t.

    * ``reduction="sum"`` (default): E = ½ Σ_n Σ_j (t_nj - y_nj)², the error of the delta
      rule and of backpropagation in Berzal, "Backpropagation" (Granada), "La regla delta"
      and "Backpropagation"; ∂E/∂y = y - t, so the lectures' η carries over unchanged.
    * ``reduction="mean"``: J = 1/(2m) Σ_n ‖t_n - y_n‖², the mean over the m examples (rows)
      of the sum over the outputs (Berzal, "Weight decay"; add λ/2 Σ w² with an L2 penalty);
      Tobón & Aguirre's cost C = (1/N) Σ_n H(y_n, g(x_n)) (UNAL, "Gradiente descendiente")
      with the per-example loss H = ½ ‖y_n - g(x_n)‖².
    * ``reduction="none"``: ½ (t - y)² element by element.

    :class:`MSELoss` keeps PyTorch's (1/n) Σ (y - t)² over all elements, without the ½.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> y = rp.Tensor(np.array([[850.0]]), requires_grad=True)
    >>> loss = rp.nn.QuadraticLoss()(y, np.array([[900.0]]))  # Berzal's cafeteria: 850 vs 900
    >>> loss.backward(); loss.item(), y.grad.tolist()
    (1250.0, [[-50.0]])
    """

    example_reduction: ClassVar[str] = "sum"

    def __init__(self, reduction: str = "sum") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        half_squares = F.mse_loss(input, target, "none") * 0.5
        if self.reduction == "none":
            return half_squares
        total = half_squares.sum()
        return total if self.reduction == "sum" else total * (1.0 / max(len(input), 1))


class L1Loss(_RealTargets):
    """Mean absolute error, as ``torch.nn.L1Loss``: L = (1/n) Σ |y - t| over all n
    elements (``reduction="sum"``: Σ |y - t|; ``"none"``: each |y - t|). Its gradient
    sign(y - t)/n is 0 where y = t, as PyTorch's. Not a loss of the lectures: Berzal,
    "Backpropagation" (Granada), "Weight decay: Tipos de penalización", puts the absolute
    values on the weights, the L1 penalty λ Σ |w| (``l1=`` of the layers).

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> rp.nn.L1Loss()(rp.Tensor(np.array([1.0, -2.0])), np.array([0.0, 0.0])).item()
    1.5
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_RealTargets):
    """Huber's loss, as ``torch.nn.HuberLoss``: with d = y - t and δ = ``delta`` > 0,

        ℓ = ½ d² if |d| < δ, else δ (|d| - ½ δ),   ∂ℓ/∂y = clip(d, -δ, δ),

    averaged over all elements (``reduction="mean"``), summed or each (``"none"``): the
    quadratic error for errors below δ, linear beyond, so outliers pull with at most δ.
    ``HuberLoss(delta=β)`` is β · ``SmoothL1Loss(beta=β)``.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> rp.nn.HuberLoss()(rp.Tensor(np.array([0.5, 3.0])), np.zeros(2)).item()  # (⅛ + 2.5)/2
    1.3125
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        check_lr(delta, "HuberLoss: delta")
        self.delta = float(delta)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, delta={self.delta}"


class SmoothL1Loss(_RealTargets):
    """The smooth L1 loss, as ``torch.nn.SmoothL1Loss``: with d = y - t and β = ``beta``,

        ℓ = ½ d²/β if |d| < β, else |d| - ½ β,   ∂ℓ/∂y = clip(d, -β, β)/β,

    averaged over all elements by default: :class:`HuberLoss` with δ = β divided by β, so
    the slope beyond β is ±1 whatever β; ``beta=0`` is :class:`L1Loss`.
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        check_rate(beta, "SmoothL1Loss: beta")
        self.beta = float(beta)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, beta={self.beta}"


class _BinaryLoss(_RealTargets):
    """What the two binary cross-entropies share in training: targets in [0, 1]."""

    is_classifier = True
    binary = True

    def prepare_targets(self, y: np.ndarray, num_outputs: int | None, dtype: np.dtype,
                        where: str) -> np.ndarray:
        """Targets in [0, 1] (labels 0 and 1, or probabilities), checked once per data set
        (PyTorch checks ``BCELoss``'s at every call and not ``BCEWithLogitsLoss``'s; labels
        such as 1 and 2 are a mistake for either). Labels of shape (n,) for a model with
        one output become (n, 1), as Keras takes them."""
        y = super().prepare_targets(y, num_outputs, dtype, where)
        outside = np.unique(y[(y < 0) | (y > 1)])
        if len(outside):
            raise ValueError(f"{where}: {type(self).__name__} needs targets in [0, 1] (labels "
                             f"0 and 1, or probabilities); got {outside[:10].tolist()}")
        return y


class BCELoss(_BinaryLoss):
    """Binary cross-entropy of probabilities ŷ (after a sigmoid) against targets y in [0, 1]:

        E = -Σ_i w_i [y_i log ŷ_i + (1 - y_i) log(1 - ŷ_i)]

    the loss of Fuentes Pineda, UNAM, "Penalización por norma ℓ1 y ℓ2" (before its
    penalty), and Berzal's J(θ) = -log L(θ) of logistic regression ("Softmax: una
    interpretación alternativa"). Both write the sum (``reduction="sum"``); the default,
    ``"mean"``, divides by the number of elements, as ``torch.nn.BCELoss``.
    ``weight`` w (keyword only; default 1) broadcasts to the output's shape, as PyTorch's
    (shape (C,): one weight per output column); the mean still divides by the number of
    elements, not by Σ w.
    """

    def __init__(self, reduction: str = "mean", *, weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction, weight=self.weight)

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        return outputs

    def extra_repr(self) -> str:
        return super().extra_repr() + _weights_repr(weight=self.weight)


class BCEWithLogitsLoss(_BinaryLoss):
    """Binary cross-entropy of ŷ = σ(z) from the logits z: sigmoid and loss fused, stable
    for large |z|. Its gradient is ∂E/∂z = ŷ - y (``reduction="sum"``), so that Berzal's
    logistic regression, z = θᵀx, has ∂J/∂θ = Σ_i x_i (h_θ(x_i) - y_i) ("Softmax: una
    interpretación alternativa"). Mean over the elements by default, as PyTorch.

    With ``weight`` w and ``pos_weight`` p (keywords only; default 1, both broadcast to
    the output's shape, as ``torch.nn.BCEWithLogitsLoss``'s),

        ℓ = -w [p y log ŷ + (1 - y) log(1 - ŷ)]:

    p of shape (C,) weighs the positives of each output column (the number of negatives
    over the number of positives balances a rare label); the mean divides by the number
    of elements.
    """

    threshold = 0.0

    def __init__(self, reduction: str = "mean", *, weight: Any = None,
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction,
                                                  weight=self.weight, pos_weight=self.pos_weight)

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        return sigmoid(Tensor._wrap(outputs)).data

    def extra_repr(self) -> str:
        return super().extra_repr() + _weights_repr(weight=self.weight,
                                                    pos_weight=self.pos_weight)


def _weights_repr(**weights: Any) -> str:
    """", weight=[...]" for each weight given (as lists, however given)."""
    return "".join(f", {name}={np.asarray(value).tolist()}"
                   for name, value in weights.items() if value is not None)


class CrossEntropyLoss(Loss):
    """Softmax and categorical cross-entropy fused (Berzal, "Backpropagation" (Granada),
    appendix "Softmax"): y_i = e^(z_i) / Σ_j e^(z_j), C = -Σ_j t_j log y_j, and

        ∂C/∂z_i = y_i - t_i

    (the slope of C compensates the small slope of the softmax). With ``reduction="sum"``
    the gradient is exactly y - t; the default, ``"mean"`` (PyTorch's), divides it by the
    number of examples N.

    The input is logits (N, C) (no softmax layer before it); the target is
    integer labels (N,) or probabilities (N, C) whose rows sum to 1.

    ``weight`` (C,), class weights w as ``torch.nn.CrossEntropyLoss``'s (for imbalanced
    classes): each example's loss is -Σ_j w_j t_j log y_j, and the mean over labels is
    weighted, Σ_i ℓ_i / Σ_i w_{t_i} (over probabilities: divided by N); below,
    (0.3408 + 3 · 1.3863) / (1 + 3). Examples labelled
    ``ignore_index`` count for nothing. Both are keywords only, after ``reduction`` and
    ``label_smoothing`` (PyTorch's weight comes first: ``nn.CrossEntropyLoss(w)`` is
    ``CrossEntropyLoss(weight=w)`` here); see :func:`~retroprop.nn.functional.cross_entropy`.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> loss = rp.nn.CrossEntropyLoss()(rp.Tensor(np.zeros((2, 4))), np.array([0, 3]))
    >>> round(loss.item(), 4)  # log 4
    1.3863
    >>> z, labels = rp.Tensor(np.array([[2.0, 0, 0, 0], [0, 0, 0, 0]])), np.array([0, 3])
    >>> [round(v, 4) for v in rp.nn.CrossEntropyLoss(reduction="none")(z, labels).tolist()]
    [0.3408, 1.3863]
    >>> round(rp.nn.CrossEntropyLoss(weight=[1.0, 1.0, 1.0, 3.0])(z, labels).item(), 4)
    1.1249
    """

    is_classifier = True

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0, *,
                 weight: Any = None, ignore_index: int = -100) -> None:
        super().__init__(reduction)
        self.label_smoothing = label_smoothing
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        _warn_if_probabilities(input)
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing,
                               weight=self.weight, ignore_index=self.ignore_index)

    def prepare_targets(self, y: np.ndarray, num_outputs: int | None, dtype: np.dtype,
                        where: str) -> np.ndarray:
        """Integer labels 0..C-1 (checked against the model's C outputs when known) or
        ``ignore_index``, or probability rows."""
        if y.ndim != 1:
            return super().prepare_targets(y, num_outputs, dtype, where)
        return _class_labels(y, num_outputs, where, self.ignore_index)

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        return softmax(Tensor._wrap(outputs), 1).data

    def extra_repr(self) -> str:
        text = super().extra_repr()
        if self.label_smoothing:
            text += f", label_smoothing={self.label_smoothing}"
        return text + _weights_repr(weight=self.weight) + _ignore_repr(self.ignore_index)


def _ignore_repr(ignore_index: int) -> str:
    return "" if ignore_index == -100 else f", ignore_index={ignore_index}"


def _class_labels(y: np.ndarray, num_outputs: int | None, where: str,
                  ignore_index: int | None = None) -> np.ndarray:
    """Integer labels 0..C-1 (checked against the model's C outputs when known) as int64;
    labels equal to ``ignore_index`` pass unchecked."""
    values = np.unique(y)
    if ignore_index is not None and values.dtype.kind in "biuf":
        values = values[values != ignore_index]
    bad = values[(values != np.round(values)) | (values < 0)] if values.dtype.kind == "f" \
        else values[values < 0] if values.dtype.kind in "iu" else values
    if values.dtype.kind not in "biuf" or len(bad):
        raise ValueError(f"{where}: a classifier needs integer labels 0..C-1; unexpected "
                         f"values {(bad if len(bad) else values)[:10].tolist()}")
    if num_outputs is not None and len(values) and values.max() >= num_outputs:
        raise ValueError(
            f"{where}: the model has {num_outputs} outputs, so labels must be in "
            f"0..{num_outputs - 1}; unexpected values "
            f"{values[values >= num_outputs][:10].tolist()}")
    return y.astype(np.int64, copy=False)  # int64 labels are used as they are


class NLLLoss(Loss):
    """Negative log-likelihood of log-probabilities, as ``torch.nn.NLLLoss``: the input is
    (N, C) log-probabilities (a :class:`LogSoftmax`'s output), the target integer labels
    (N,), and with class weights w (``weight``, all 1 by default)

        ℓ_i = -w_{t_i} x[i, t_i],   L = Σ_i ℓ_i / Σ_i w_{t_i}   (``reduction="mean"``),

    ``"sum"``: Σ_i ℓ_i; ``"none"``: each ℓ_i. Examples labelled ``ignore_index`` count
    for nothing. ``LogSoftmax`` followed by this loss is :class:`CrossEntropyLoss`, the
    categorical cross-entropy C = -Σ_j t_j log y_j (Berzal, "Backpropagation" (Granada),
    appendix "Softmax"). ``ignore_index`` and ``reduction`` are keywords only.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> log_probs = rp.nn.LogSoftmax(dim=1)(rp.Tensor(np.zeros((2, 4))))
    >>> round(rp.nn.NLLLoss()(log_probs, np.array([0, 3])).item(), 4)  # log 4
    1.3863
    """

    is_classifier = True

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def prepare_targets(self, y: np.ndarray, num_outputs: int | None, dtype: np.dtype,
                        where: str) -> np.ndarray:
        """Integer labels 0..C-1 (checked against the model's C outputs when known), or
        ``ignore_index``."""
        if y.ndim != 1:
            raise ValueError(f"{where}: NLLLoss needs integer labels of shape (n,), got "
                             f"shape {y.shape}")
        return _class_labels(y, num_outputs, where, self.ignore_index)

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        return np.exp(outputs)

    def extra_repr(self) -> str:
        return super().extra_repr() + _weights_repr(weight=self.weight) + \
            _ignore_repr(self.ignore_index)


def _warn_if_probabilities(input: Tensor) -> None:
    """Rows that are non-negative and sum to 1 look like a softmax's output: the softmax
    would then be applied twice, and the network learns slowly."""
    data = input.data
    if np.ndim(data) == 2 and data.size and data.shape[1] > 1 and data.min() >= 0 and np.allclose(
            data.sum(axis=1), 1, atol=1e-4):
        warnings.warn("CrossEntropyLoss takes logits and applies the softmax itself, but its "
                      "input rows are non-negative and sum to 1, as a softmax's output: "
                      "remove the Softmax layer before the loss", UserWarning,
                      stacklevel=user_stacklevel())
