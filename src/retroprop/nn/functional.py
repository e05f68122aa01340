"""Loss functions, with the checks that turn bad targets into clear errors, and the
functional forms of layers, for users of ``torch.nn.functional``.

The numerics live in :mod:`retroprop.ops.loss` (fused, stable forms);
activations are in :mod:`retroprop.ops` and re-exported here. ``dropout``,
``conv2d``, ``max_pool2d`` and ``avg_pool2d`` run the ops of the layers
:class:`~retroprop.nn.Dropout`, :class:`~retroprop.nn.Conv2d`,
:class:`~retroprop.nn.MaxPool2d` and :class:`~retroprop.nn.AvgPool2d`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from retroprop.checks import check_count, check_lr, check_range, check_rate
from retroprop.nn.conv import Pair, check_images, pair
from retroprop.nn.dropout import dropout_mask
from retroprop.nn.pooling import AvgPool2d, MaxPool2d
from retroprop.ops import (  # noqa: F401 - re-exported for ``F.relu`` style use
    elu,
    leaky_relu,
    lecun_tanh,
    linear,
    log_softmax,
    relu,
    sigmoid,
    sign,
    softmax,
    step,
    tanh,
    tanh_linear,
)
from retroprop.ops.conv import Conv2d, output_size
from retroprop.ops.loss import (
    AbsoluteError,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    Huber,
    NegativeLogLikelihood,
    SoftmaxCrossEntropy,
)
from retroprop.tensor.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


#: from this many floats, :func:`all_finite` sums by a BLAS matrix–vector product
BLAS_SUM_SIZE = 1 << 16


def all_finite(values: np.ndarray) -> bool:
    """Whether no value is NaN or infinite, in one pass: a sum is finite only if every term
    is (a sum that overflows is checked element by element). Large float arrays in C order
    with rows of at least 16 values sum their rows with one matrix–vector product, which
    BLAS runs on every core: 4 ms instead of 10 ms for the 47 M pixels of Fashion-MNIST's
    training set."""
    if (values.size >= BLAS_SUM_SIZE and values.ndim > 1 and values.dtype.kind == "f"
            and values.flags.c_contiguous and values.size >= 16 * len(values)):
        rows = values.reshape(len(values), -1)
        total = np.dot(rows, np.ones(rows.shape[1], values.dtype))
    else:
        total = np.add.reduce(values, axis=None)
    return bool(np.isfinite(total).all() or np.isfinite(values).all())


def check_finite(values: np.ndarray, what: str, where: str) -> None:
    """Raise a ValueError that counts NaN and inf values, if any."""
    if not all_finite(values):
        nan, inf = int(np.isnan(values).sum()), int(np.isinf(values).sum())
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(
            f"{where}: {what} holds {nan} NaN and {inf} infinite values "
            f"(first at index {first}); the model or the data diverged or is corrupt"
        )


#: The losses whose ``weight`` comes first in PyTorch (``nn.CrossEntropyLoss(w)``,
#: ``F.cross_entropy(z, t, w)``) and is a keyword after ``reduction`` here.
WEIGHT_FIRST = ("CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss")


def _check_reduction(reduction: str, where: str) -> None:
    if not isinstance(reduction, str):
        hint = "; PyTorch's weight is a keyword here: write weight=..." \
            if where in WEIGHT_FIRST else ""
        raise TypeError(f"{where}: reduction must be one of {REDUCTIONS}, got a "
                        f"{type(reduction).__name__}{hint}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _as_target(target: Any, dtype: np.dtype) -> np.ndarray:
    array = target.data if isinstance(target, Tensor) else np.asarray(target)
    return array.astype(dtype, copy=False) if array.dtype.kind in "biuf" else array


def _check_input(input: Tensor, where: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: input must be a Tensor, got {type(input).__name__}")
    check_finite(input.data, "the input (model output)", where)


def _matching_target(input: Tensor, target: Any, where: str) -> np.ndarray:
    target = _as_target(target, input.dtype)
    if target.shape != input.shape:
        raise ValueError(
            f"{where}: target has shape {target.shape} but the input has shape {input.shape}; "
            "they must be equal"
        )
    check_finite(target, "the target", where)
    return target


def _elementwise(input: Tensor, target: Any, reduction: str, where: str) -> np.ndarray:
    """The checked target of a loss that compares input and target element by element:
    a known reduction, a finite input Tensor, a finite target of the input's shape."""
    _check_reduction(reduction, where)
    _check_input(input, where)
    return _matching_target(input, target, where)


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: L = (1/n) Σ (y - t)² over all n elements (Berzal)."""
    diff = input - _elementwise(input, target, reduction, "MSELoss")
    squared = diff * diff
    return squared.mean() if reduction == "mean" else squared.sum() if reduction == "sum" \
        else squared


def l1_loss(input: Tensor, target: Any, reduction: str = "mean", weight: Any = None
            ) -> Tensor:
    """Mean absolute error: L = (1/n) Σ |y - t| over all n elements, as
    ``torch.nn.functional.l1_loss``; ∂L/∂y = sign(y - t)/n, 0 where y = t (PyTorch's
    choice at the kink). ``reduction``: "mean", "sum" or "none" (the |y - t|).

    ``weight`` (the input's shape), as PyTorch's: each |y - t| multiplied by its weight,
    and the mean is Σ w |y - t| / Σ w.
    """
    where = "L1Loss"
    target = _elementwise(input, target, reduction, where)
    if weight is None:
        return AbsoluteError.apply(input, target=target, reduction=reduction)
    weights = _element_weights(weight, input, where)
    weighted = AbsoluteError.apply(input, target=target, reduction="none") * weights
    return weighted.sum() * (1.0 / weights.sum()) if reduction == "mean" else \
        weighted.sum() if reduction == "sum" else weighted


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """Huber's loss, as ``torch.nn.functional.huber_loss``: with d = y - t and δ > 0,

        ℓ = ½ d² if |d| < δ, else δ (|d| - ½ δ);   ∂ℓ/∂y = clip(d, -δ, δ),

    averaged over the elements (``reduction="mean"``), summed, or each (``"none"``):
    squared error for small errors, absolute error (scaled by δ) for outliers.
    ``weight`` (the input's shape), as PyTorch's: each ℓ multiplied by its weight, and the
    mean is still over the n elements, (1/n) Σ w ℓ (unlike ``l1_loss``'s).
    """
    where = "HuberLoss"
    check_lr(delta, f"{where}: delta")
    target = _elementwise(input, target, reduction, where)
    if weight is None:
        return Huber.apply(input, target=target, delta=float(delta), reduction=reduction)
    return _weighted(Huber.apply(input, target=target, delta=float(delta), reduction="none"),
                     _element_weights(weight, input, where), reduction)


def _element_weights(weight: Any, input: Tensor, where: str) -> np.ndarray:
    """One finite weight per element of the input, in its dtype."""
    values = _as_target(weight, input.dtype)
    if values.shape != input.shape or values.dtype.kind != "f":
        raise ValueError(f"{where}: weight must have the input's shape {input.shape}, got "
                         f"shape {values.shape} and dtype {values.dtype}")
    check_finite(values, "weight", where)
    return values


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """The smooth L1 loss, as ``torch.nn.functional.smooth_l1_loss``: with d = y - t,

        ℓ = ½ d²/β if |d| < β, else |d| - ½ β;   ∂ℓ/∂y = clip(d, -β, β)/β,

    the Huber loss with δ = β divided by β (slope ±1 for large errors, whatever β);
    β = 0 gives the L1 loss |d|, as in PyTorch.
    """
    check_rate(beta, "SmoothL1Loss: beta")
    target = _elementwise(input, target, reduction, "SmoothL1Loss")
    if beta == 0:
        return AbsoluteError.apply(input, target=target, reduction=reduction)
    huber = Huber.apply(input, target=target, delta=float(beta), reduction=reduction)
    return huber * (1.0 / beta)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean", *,
                         weight: Any = None) -> Tensor:
    """Binary cross-entropy of probabilities p in [0, 1], as
    ``torch.nn.functional.binary_cross_entropy``:

        ℓ = -w [t log p + (1 - t) log(1 - p)],

    averaged over all n elements (``reduction="mean"``: (1/n) Σ ℓ, not divided by Σ w),
    summed, or each (``"none"``). ``weight`` w (default 1) broadcasts to the input's shape,
    as PyTorch's (one weight per output column: shape (C,)); it is a keyword, after
    ``reduction``.
    """
    where = "BCELoss"
    target = _elementwise(input, target, reduction, where)
    if input.data.min(initial=0) < 0 or input.data.max(initial=1) > 1:
        raise ValueError(
            f"{where}: input must hold probabilities in [0, 1], got values in "
            f"[{input.data.min():.4g}, {input.data.max():.4g}]; apply a sigmoid or use "
            "BCEWithLogitsLoss"
        )
    if target.min(initial=0) < 0 or target.max(initial=1) > 1:
        raise ValueError(f"{where}: target must hold probabilities in [0, 1] (as PyTorch "
                         f"requires), got values in [{target.min():.4g}, {target.max():.4g}]")
    if weight is None:
        return BinaryCrossEntropy.apply(input, target=target, reduction=reduction)
    return _weighted(BinaryCrossEntropy.apply(input, target=target, reduction="none"),
                     _broadcast_weights(weight, input, "weight", where), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean", *,
                                     weight: Any = None, pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of σ(z), computed from the logits z without overflow, as
    ``torch.nn.functional.binary_cross_entropy_with_logits``:

        ℓ = -w [p t log σ(z) + (1 - t) log(1 - σ(z))],

    averaged over all n elements (``reduction="mean"``: (1/n) Σ ℓ), summed, or each
    (``"none"``). ``weight`` w and ``pos_weight`` p (default 1) broadcast to the input's
    shape, as PyTorch's: w rescales each element, p the positive term of each output
    column (shape (C,): p_c > 1 favours recall of class c, the number of negatives over
    the number of positives balances it). Both are keywords, after ``reduction``.
    """
    where = "BCEWithLogitsLoss"
    target = _elementwise(input, target, reduction, where)
    positive = None if pos_weight is None else \
        _broadcast_weights(pos_weight, input, "pos_weight", where)
    if weight is None:
        return BinaryCrossEntropyWithLogits.apply(input, target=target, reduction=reduction,
                                                  pos_weight=positive)
    losses = BinaryCrossEntropyWithLogits.apply(input, target=target, reduction="none",
                                                pos_weight=positive)
    return _weighted(losses, _broadcast_weights(weight, input, "weight", where), reduction)


def _broadcast_weights(weight: Any, input: Tensor, name: str, where: str) -> np.ndarray:
    """Finite weights >= 0 in the input's dtype, of a shape that broadcasts to the
    input's (PyTorch's rule for ``weight`` and ``pos_weight``)."""
    values = _as_target(weight, input.dtype)
    try:
        fits = np.broadcast_shapes(values.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits or values.dtype.kind != "f":
        raise ValueError(f"{where}: {name} must broadcast to the input's shape {input.shape} "
                         f"(one number per output column: shape ({input.shape[-1]},)), got "
                         f"shape {values.shape} and dtype {values.dtype}")
    return _nonnegative(values, name, where)


def _nonnegative(values: np.ndarray, name: str, where: str) -> np.ndarray:
    """Finite weights >= 0: a negative weight rewards the loss it multiplies, which then
    has no minimum (PyTorch accepts it)."""
    check_finite(values, name, where)
    if values.size and values.min() < 0:
        raise ValueError(f"{where}: {name} must be >= 0 (a negative weight makes the loss "
                         f"unbounded below), got {values[values < 0][:5].tolist()}")
    return values


def _weighted(losses: Tensor, weights: np.ndarray, reduction: str) -> Tensor:
    """w ℓ element by element, then PyTorch's reduction over all n elements: (1/n) Σ w ℓ
    (not divided by Σ w), Σ w ℓ, or each."""
    weighted = losses * weights
    return weighted.mean() if reduction == "mean" else weighted.sum() if reduction == "sum" \
        else weighted


def nll_loss(input: Tensor, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) (a ``LogSoftmax``'s output) at
    integer labels t (N,), as ``torch.nn.functional.nll_loss``:

        ℓ_i = -w_{t_i} x[i, t_i],   L = Σ_i ℓ_i / Σ_i w_{t_i}   (``reduction="mean"``),

    with w the class weights ``weight`` (C,) (all 1 by default); ``"sum"`` gives Σ_i ℓ_i
    and ``"none"`` each ℓ_i. Examples labelled ``ignore_index`` count for nothing (ℓ_i = 0,
    left out of Σ w). ``log_softmax`` followed by this loss is ``cross_entropy``: the
    categorical cross-entropy C = -Σ_j t_j log y_j of Berzal, "Backpropagation" (Granada),
    appendix "Softmax". ``ignore_index`` and ``reduction`` are keywords only (PyTorch's
    deprecated ``size_average`` sits between them).
    """
    where = "NLLLoss"
    _check_reduction(reduction, where)
    _check_input(input, where)
    _check_ignore_index(ignore_index, where)
    if input.ndim != 2:
        raise ValueError(f"{where}: input must be log-probabilities of shape (N, C), got "
                         f"shape {input.shape}")
    n, classes = input.shape
    raw = target.data if isinstance(target, Tensor) else np.asarray(target)
    labels, ignored = _labels_or_ignored(raw, ignore_index, n, classes, where)
    weights = _example_weights(_class_weights(weight, classes, input.dtype, where), labels,
                               ignored)
    return NegativeLogLikelihood.apply(input, labels=labels, weights=weights,
                                       reduction=reduction)


def _check_ignore_index(ignore_index: Any, where: str) -> None:
    if type(ignore_index) is not int and (  # (a plain int passes at once; a bool does not)
            isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral)):
        raise TypeError(f"{where}: ignore_index must be an integer, got {ignore_index!r}")


def _labels_or_ignored(raw: np.ndarray, ignore_index: int, n: int, classes: int, where: str,
                       also: str = "") -> tuple[np.ndarray, np.ndarray | None]:
    """The checked labels (an ignored one becomes 0) and which examples are ignored (None
    when none is). Integer labels with an ``ignore_index`` that is no class (-100) are
    checked once: if all are classes, none is ignored (no extra work in the common case)."""
    if raw.dtype.kind in "iu" and not 0 <= ignore_index < classes:
        try:
            return _labels(raw, n, classes, where, also), None
        except ValueError:  # labels outside the classes: ignored ones, or an error below
            pass
    ignored = raw == ignore_index if raw.dtype.kind in "biuf" else np.zeros(raw.shape, bool)
    if not ignored.any():
        return _labels(raw, n, classes, where, also), None
    return _labels(np.where(ignored, 0, raw), n, classes, where, also), ignored


def _example_weights(class_weights: np.ndarray, labels: np.ndarray,
                     ignored: np.ndarray | None) -> np.ndarray:
    """w_{t_i} for each example, 0 for an ignored one."""
    weights = class_weights[labels]
    if ignored is not None:
        weights[ignored] = 0
    return weights


def _class_weights(weight: Any, classes: int, dtype: np.dtype, where: str) -> np.ndarray:
    """One finite weight >= 0 per class (ones when ``weight`` is None), in ``dtype``."""
    if weight is None:
        return np.ones(classes, dtype=dtype)
    values = _as_target(weight, dtype)
    if values.shape != (classes,) or values.dtype.kind != "f":
        raise ValueError(f"{where}: weight must hold one number per class, shape ({classes},), "
                         f"got shape {values.shape} and dtype {values.dtype}")
    return _nonnegative(values, "weight", where)


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean",
                  label_smoothing: float = 0.0, *, weight: Any = None,
                  ignore_index: int = -100) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against integer labels (N,) or probabilities
    (N, C), as ``torch.nn.functional.cross_entropy``:

        ℓ_i = -Σ_c w_c t_ic log softmax(z_i)_c,

    with t_i the one-hot row of label y_i or the target probabilities, smoothed by
    ``label_smoothing`` ε to (1 - ε) t_i + ε/C (noise on the outputs, Fuentes Pineda), and
    w the class weights ``weight`` (C,) (all 1 by default). ``reduction="mean"`` divides
    Σ_i ℓ_i by Σ_i w_{y_i} for labels (PyTorch's weighted mean, also with smoothing,
    whose ε/C Σ_c w_c term is weighted as well) and by N for probabilities; ``"sum"``
    gives Σ_i ℓ_i and ``"none"`` each ℓ_i. Examples labelled ``ignore_index`` (labels
    only; one >= 0 with probability targets is refused, as by PyTorch) count for nothing:
    ℓ_i = 0, left out of Σ w; all ignored, the mean is NaN.
    ``weight`` and ``ignore_index`` are keywords, after ``reduction`` (PyTorch's weight
    comes first).
    """
    where = "CrossEntropyLoss"
    _check_reduction(reduction, where)
    _check_input(input, where)
    _check_ignore_index(ignore_index, where)
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1), got {label_smoothing}")
    if input.ndim != 2:
        raise ValueError(
            f"{where}: input must be logits of shape (N, C), got shape {input.shape}"
        )
    n, classes = input.shape
    raw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if raw.shape == (n, 1) and classes > 1:
        raise ValueError(
            f"{where}: target of shape {raw.shape} is a column, but it takes integer labels "
            f"of shape ({n},) or probabilities of shape ({n}, {classes}); for a column of "
            "labels pass y.ravel()")
    ignored = None
    if raw.ndim == 2:
        if ignore_index >= 0:  # a negative one can match no label: PyTorch passes it
            raise ValueError(f"{where}: ignore_index={ignore_index} applies to integer "
                             f"labels, not to probability targets of shape {raw.shape} (as "
                             "PyTorch's)")
        target = _matching_target(input, raw, where)
        sums = target.sum(axis=1)
        if np.any(target < 0) or np.any(np.abs(sums - 1) > 1e-3):
            row = int(np.argmax((target < 0).any(axis=1) | (np.abs(sums - 1) > 1e-3)))
            raise ValueError(f"{where}: probability targets must be >= 0 with rows summing to 1; "
                             f"row {row} sums to {float(sums[row]):.6g} (min "
                             f"{float(target[row].min()):.3g})")
    else:
        target, ignored = _labels_or_ignored(
            raw, ignore_index, n, classes, where, f" or probabilities of shape ({n}, {classes})")
    if target.ndim == 1 and not label_smoothing and weight is None and ignored is None:
        return SoftmaxCrossEntropy.apply(input, target=target, reduction=reduction)
    class_weights = _class_weights(weight, classes, input.dtype, where)
    count = None  # probabilities: the mean divides by N
    if target.ndim == 1:
        weights = _example_weights(class_weights, target, ignored)
        if not label_smoothing:
            return SoftmaxCrossEntropy.apply(input, target=target, reduction=reduction,
                                             weights=weights, count=weights.sum())
        target, count = np.eye(classes, dtype=input.dtype)[target], weights.sum()
    if label_smoothing:
        target = target * input.dtype.type(1 - label_smoothing) + \
            input.dtype.type(label_smoothing / classes)
    if weight is not None:
        target = target * class_weights
    if ignored is not None:
        target[ignored] = 0
    return SoftmaxCrossEntropy.apply(input, target=target, reduction=reduction, count=count)


def _labels(raw: np.ndarray, n: int, classes: int, where: str, also: str = "") -> np.ndarray:
    """Integer class labels of shape (n,), each in [0, classes) (``also`` names the other
    targets the loss takes)."""
    if raw.shape != (n,):
        raise ValueError(
            f"{where}: target must be integer labels of shape ({n},){also}, got shape "
            f"{raw.shape}"
        )
    if raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
            bad = raw[~np.isfinite(raw) | (raw != np.round(raw))]
            raise ValueError(f"{where}: labels must be integers, got values such as {bad[:5]}")
    elif raw.dtype.kind not in "iu":
        raise TypeError(f"{where}: labels must be integers, got dtype {raw.dtype}")
    labels = raw.astype(np.intp, copy=False)
    # as unsigned integers, negative labels wrap around to huge values: one test for both ends
    if n and np.maximum.reduce(labels.astype(np.uintp)) >= classes:
        bad = np.unique(labels[(labels < 0) | (labels >= classes)])
        raise ValueError(
            f"{where}: labels must be in [0, {classes - 1}] for {classes} classes, got "
            f"{bad[:10].tolist()}"
        )
    return labels


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices (any shape) as one-hot rows: an int64 Tensor of shape
    ``tensor.shape + (num_classes,)``, 1 at each index and 0 elsewhere, without gradient,
    as ``torch.nn.functional.one_hot``; ``num_classes=-1`` takes the largest index + 1."""
    where = "one_hot"
    indices = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{where}: tensor must hold integer class indices, got dtype "
                        f"{indices.dtype}")
    if num_classes == -1:
        if not indices.size:
            raise ValueError(f"{where}: cannot infer the number of classes of an empty tensor: "
                             "give num_classes")
        num_classes = max(int(indices.max()) + 1, 0)
    num_classes = check_count(num_classes, f"{where}: num_classes", low=0, also="or -1")
    outside = (indices < 0) | (indices >= num_classes)
    if outside.any():
        bad = np.unique(indices[outside])[:10].tolist()
        raise ValueError(f"{where}: class indices must be in [0, {num_classes - 1}] for "
                         f"num_classes={num_classes}, got {bad}")
    out = np.zeros((*indices.shape, num_classes), dtype=np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._wrap(out)


def _tensor(value: Any, name: str, where: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{where}: {name} must be a Tensor, got {type(value).__name__}")
    return value


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """Inverted dropout, as ``torch.nn.functional.dropout``: in training each element is
    kept with probability 1 - p and divided by 1 - p (zeroed with p = 1), so the expected
    output is the input; with ``training=False`` the input itself.

    ``training`` defaults to True, as PyTorch's functional form (the module
    :class:`~retroprop.nn.Dropout` follows ``model.train()`` and ``model.eval()``): inside a
    module's ``forward``, pass ``training=self.training``. Same masks as the module from
    the same seed; the lectures' form, masks without rescaling and the next layer's weights
    scaled at inference (Berzal, "Backpropagation" (Granada), "Dropout"; Fuentes Pineda,
    UNAM, "Dropout"), is ``Dropout(p, scale="inference")``. ``inplace=True`` is refused.
    """
    where = "dropout"
    check_range(p, f"{where}: p (probability of dropping)", 0, 1, high_open=False)
    if inplace:
        raise ValueError(f"{where}: inplace=True is not supported: retroprop's dropout "
                         "returns a new tensor (pass inplace=False)")
    input = _tensor(input, "input", where)
    if not training or p == 0:
        return input
    return input * dropout_mask(input.shape, p, input.dtype, where=where)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Pair = 1,
           padding: Pair = 0, dilation: Pair = 1, groups: int = 1) -> Tensor:
    """2-D convolution of NCHW images by the weight (out_channels, in_channels/groups, kh,
    kw), as ``torch.nn.functional.conv2d`` and the layer :class:`~retroprop.nn.Conv2d`
    (the same op):

        y[n, o, i, j] = b_o + Σ_{c, u, v} w[o, c, u, v] x[n, c, s·i + d·u - p, s·j + d·v - p]

    (Berzal, "Backpropagation" (Granada), "Invarianza": local receptive fields with shared
    weights). ``stride``, ``padding`` and ``dilation`` are integers or pairs; padding by
    name ("same", "valid") is refused.
    """
    where = "conv2d"
    input, weight = _tensor(input, "input", where), _tensor(weight, "weight", where)
    check_images(input, where)
    groups = check_count(groups, f"{where}: groups")
    if weight.ndim != 4:
        raise ValueError(f"{where}: weight must have shape (out_channels, in_channels / groups, "
                         f"kh, kw), got shape {weight.shape}")
    out_channels, per_group = weight.shape[:2]
    if input.shape[1] != per_group * groups or out_channels % groups:
        raise ValueError(f"{where}: a weight of shape {weight.shape} with groups={groups} "
                         f"takes {per_group * groups} input channels into {out_channels} "
                         f"(a multiple of groups), got an input of shape {input.shape}")
    if bias is not None and _tensor(bias, "bias", where).shape != (out_channels,):
        raise ValueError(f"{where}: bias must have shape ({out_channels},), one per output "
                         f"channel, got shape {bias.shape}")
    strides, paddings = pair(stride, "stride", where), pair(padding, "padding", where, 0)
    dilations = pair(dilation, "dilation", where)
    sizes = tuple(output_size(*sides) for sides in zip(
        input.shape[2:], weight.shape[2:], strides, paddings, dilations, strict=True))
    if min(sizes) <= 0:
        raise ValueError(f"{where}: the kernel {weight.shape[2:]} (dilation {dilations}) does "
                         f"not fit the input of shape {input.shape} padded by {paddings}: "
                         f"output size {sizes}")
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return Conv2d.apply(*inputs, stride=strides, padding=paddings, dilation=dilations,
                        groups=groups)


def _only_default(where: str, **options: tuple[Any, Any]) -> None:
    """Refuse PyTorch options that retroprop's pooling layers do not have: each given as
    (value, the one value supported)."""
    for name, (value, supported) in options.items():
        if value is not supported and value != supported:
            raise ValueError(f"{where}: {name}={value!r} is not supported; retroprop's "
                             f"pooling computes {name}={supported!r} only")


def max_pool2d(input: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
               dilation: Pair = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Tensor:
    """The largest value of each window, as ``torch.nn.functional.max_pool2d`` and the layer
    :class:`~retroprop.nn.MaxPool2d` (the same op; ``stride`` defaults to the kernel
    size, padding counts as -∞); ``ceil_mode`` and ``return_indices`` are refused."""
    _only_default("max_pool2d", ceil_mode=(ceil_mode, False),
                  return_indices=(return_indices, False))
    return MaxPool2d(kernel_size, stride, padding, dilation)(input)


def avg_pool2d(input: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each window, zero padding included, as
    ``torch.nn.functional.avg_pool2d`` and the layer :class:`~retroprop.nn.AvgPool2d` (the
    same op; LeNet-5's subsampling); ``ceil_mode``, ``count_include_pad=False`` and
    ``divisor_override`` are refused."""
    _only_default("avg_pool2d", ceil_mode=(ceil_mode, False),
                  count_include_pad=(count_include_pad, True),
                  divisor_override=(divisor_override, None))
    return AvgPool2d(kernel_size, stride, padding)(input)
