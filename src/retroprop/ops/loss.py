"""Fused, numerically stable losses (Berzal, Moreno, Fuentes Pineda).

Each returns the per-example losses reduced by ``reduction``: "mean"
(over examples), "sum", or "none". Targets are constants (no gradient).
"""

from __future__ import annotations

import numpy as np

from retroprop.tensor.function import Function, Gradients


def _reduce(losses: np.ndarray, reduction: str, count: float | None = None) -> np.ndarray:
    """The losses, their sum, or their mean: the sum divided by ``count`` (by default the
    number of losses; a sum of weights for a weighted mean), NaN for an empty batch or a
    zero ``count``, as PyTorch's."""
    if reduction == "none":
        return losses
    total = np.add.reduce(losses, axis=None)
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0
        return np.asarray(total / (losses.size if count is None else count))


def _per_example(grad: np.ndarray, reduction: str, count: float, ndim: int) -> np.ndarray:
    """dL/d(loss_i) for each loss, shaped to broadcast over ``ndim`` axes, the mean's
    divided by ``count`` (the number of losses, or the sum of their weights); when
    ``count`` is 0 (an empty batch, every example ignored) no loss counts, and the grad
    is passed on unscaled to losses of weight 0 (PyTorch's zero gradient)."""
    if reduction == "none":
        return grad.reshape(grad.shape + (1,) * (ndim - grad.ndim))
    if reduction == "mean" and count:
        return grad / grad.dtype.type(count)
    return grad


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(z) against labels or target probabilities t (Moreno):

        loss_i = -Σ_c t_ic log softmax(z_i)_c = log Σ_c e^(z_ic) - Σ_c t_ic z_ic,
        dloss_i/dz_i = softmax(z_i) Σ_c t_ic - t_i   ( = y - t, Fuentes Pineda ).

    ``target`` is an integer array of shape (N,) (class indices, one-hot t)
    or a float array of shape (N, C) (probabilities, or any weights t_ic >= 0: class
    weights w_c are folded in as w_c t_ic, an ignored example's row is 0).
    ``weights`` (N,), with labels only, multiply each loss_i and its gradient (the weight
    of example i's class, 0 for an ignored example). The mean divides the sum by
    ``count`` (default N; PyTorch's Σ_i w_{t_i} for weighted labels).
    """

    def forward(self, logits: np.ndarray, target: np.ndarray, reduction: str,
                weights: np.ndarray | None = None, count: float | None = None
                ) -> np.ndarray:
        n, classes = logits.shape
        # row-major, so that the flat indices below (and backward's write through
        # reshape(-1), a view only then) address z_ic: a flattened 1×1 pooling is column-major
        logits = np.ascontiguousarray(logits)
        firsts = np.arange(0, n * classes, classes)  # flat index of each row's first logit
        # z_i - max_c z_ic, the maxima picked by argmax (a max over a short axis is slower)
        shifted = logits - logits.reshape(-1)[firsts + logits.argmax(axis=1)][:, None]
        exp = np.exp(shifted)
        sums = exp @ np.ones(classes, dtype=exp.dtype)  # Σ_c, one BLAS call
        log_sums = np.log(sums)
        self.exp, self.sums, self.target, self.reduction = exp, sums, target, reduction
        self.weights, self.count = weights, n if count is None else count
        if target.ndim == 1:
            self.picked = firsts + target
            losses = log_sums - shifted.reshape(-1)[self.picked]
            if weights is not None:
                losses *= weights
        else:
            losses = -(target * (shifted - log_sums[:, None])).sum(axis=1)
        return _reduce(losses, reduction, count)

    def backward(self, grad: np.ndarray) -> Gradients:
        out = self.exp / self.sums[:, None]  # softmax(z)
        target = self.target
        if target.ndim == 1:
            out.reshape(-1)[self.picked] -= 1
        else:
            out *= target.sum(axis=1, keepdims=True)
            out -= target
        scale = _per_example(grad, self.reduction, self.count, out.ndim)
        out *= scale if self.weights is None else self.weights[:, None] * scale
        return out


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy of σ(z) against t, from the logit z (stable form):

        loss = max(z, 0) - z t + log(1 + e^(-|z|)),   dloss/dz = σ(z) - t;

    with ``pos_weight`` p (broadcast to z's shape, PyTorch's weight of the positives,
    loss = -[p t log σ(z) + (1 - t) log(1 - σ(z))]) and l = 1 + (p - 1) t:

        loss = (1 - t) z + l (max(-z, 0) + log(1 + e^(-|z|))),
        dloss/dz = (1 - t) - l (1 - σ(z)).
    """

    def forward(self, logits: np.ndarray, target: np.ndarray, reduction: str,
                pos_weight: np.ndarray | None = None) -> np.ndarray:
        self.logits, self.target, self.reduction = logits, target, reduction
        softplus = np.log1p(np.exp(-np.abs(logits)))
        if pos_weight is None:
            self.positive = None
            losses = np.maximum(logits, 0) - logits * target + softplus
        else:
            self.positive = 1 + (pos_weight - 1) * target  # l
            losses = (1 - target) * logits + self.positive * (np.maximum(-logits, 0) + softplus)
        return _reduce(losses, reduction)

    def backward(self, grad: np.ndarray) -> Gradients:
        sigmoid = 0.5 * (1 + np.tanh(0.5 * self.logits))
        logits = self.logits
        scale = _per_example(grad, self.reduction, logits.size, logits.ndim)
        if self.positive is None:
            return (sigmoid - self.target) * scale
        return ((1 - self.target) - self.positive * (1 - sigmoid)) * scale


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against t (logs clamped at -100 as in PyTorch):

        loss = -(t log p + (1 - t) log(1 - p)),   dloss/dp = (p - t) / (p (1 - p)).
    """

    def forward(self, probs: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
        self.probs, self.target, self.reduction = probs, target, reduction
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(probs), -100)
            log_q = np.maximum(np.log1p(-probs), -100)
        return _reduce(-(target * log_p + (1 - target) * log_q), reduction)

    def backward(self, grad: np.ndarray) -> Gradients:
        p = self.probs
        denominator = np.maximum(p * (1 - p), p.dtype.type(1e-12))
        return (p - self.target) / denominator * _per_example(grad, self.reduction, p.size, p.ndim)


class AbsoluteError(Function):
    """Absolute error of y against t (the L1 loss; its mean is the mean absolute error):

        loss = |y - t|,   dloss/dy = sign(y - t)   (0 where y = t, as PyTorch).
    """

    def forward(self, input: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
        self.difference, self.reduction = input - target, reduction
        return _reduce(np.abs(self.difference), reduction)

    def backward(self, grad: np.ndarray) -> Gradients:
        difference = self.difference
        scale = _per_example(grad, self.reduction, difference.size, difference.ndim)
        return np.sign(difference) * scale


class Huber(Function):
    """Huber's loss of y against t with threshold δ > 0, d = y - t:

        loss = ½ d²            if |d| < δ,
               δ (|d| - ½ δ)   otherwise;      dloss/dy = clip(d, -δ, δ).

    Quadratic near 0, linear (slope ±δ) far from it, continuous with its derivative at
    |d| = δ. The smooth L1 loss with threshold β is this loss with δ = β, divided by β.
    """

    def forward(self, input: np.ndarray, target: np.ndarray, delta: float,
                reduction: str) -> np.ndarray:
        difference = input - target
        self.difference, self.delta, self.reduction = difference, delta, reduction
        size = np.abs(difference)
        losses = np.where(size < delta, 0.5 * difference * difference,
                          delta * (size - 0.5 * delta))
        return _reduce(losses, reduction)

    def backward(self, grad: np.ndarray) -> Gradients:
        difference = self.difference
        scale = _per_example(grad, self.reduction, difference.size, difference.ndim)
        return np.clip(difference, -self.delta, self.delta) * scale


class NegativeLogLikelihood(Function):
    """Negative log-likelihood of log-probabilities x (N, C) at labels t, each example
    weighted by w_i (its class's weight, 0 for an ignored example):

        loss_i = -w_i x[i, t_i],   dloss_i/dx[i, t_i] = -w_i   (0 for the other classes),

    and the mean is weighted, Σ_i loss_i / Σ_i w_i, as PyTorch's (NaN when Σ w_i = 0,
    the gradient then 0).
    """

    def forward(self, input: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                reduction: str) -> np.ndarray:
        self.shape, self.labels, self.weights, self.reduction = (
            input.shape, labels, weights, reduction)
        self.total = np.add.reduce(weights, axis=None)
        return _reduce(-weights * input[np.arange(len(input)), labels], reduction, self.total)

    def backward(self, grad: np.ndarray) -> Gradients:
        out = np.zeros(self.shape, dtype=grad.dtype)
        scale = _per_example(grad, self.reduction, self.total, 1)
        out[np.arange(len(out)), self.labels] = -self.weights * scale
        return out
