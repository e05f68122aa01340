"""Multi-task learning (Fuentes Pineda): a shared trunk, one head per task, one loss per head."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retroprop import ops
from retroprop.nn.loss import CrossEntropyLoss, Loss
from retroprop.nn.module import Module
from retroprop.tensor.tensor import Tensor


class MultiTask(Module):
    """y = [head_1(h), ..., head_K(h)] with h = trunk(x), concatenated on the last axis, so
    that one Trainer trains every task; :class:`MultiTaskLoss` splits it again.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> net = rp.nn.MultiTask(rp.nn.Linear(4, 8, activation="relu"),
    ...                       rp.nn.Linear(8, 3), rp.nn.Linear(8, 1))
    >>> net(np.ones((2, 4))).shape
    (2, 4)
    """

    def __init__(self, trunk: Module, *heads: Module) -> None:
        super().__init__()
        if not heads:
            raise ValueError("MultiTask: needs at least one head")
        self.trunk = trunk
        for index, head in enumerate(heads):
            setattr(self, f"head{index}", head)
        self.num_heads = len(heads)

    def heads(self) -> list[Module]:
        return [getattr(self, f"head{i}") for i in range(self.num_heads)]

    def forward(self, x: Tensor) -> Tensor:
        shared = self.trunk(x)
        return ops.concatenate([head(shared) for head in self.heads()], axis=-1)


class MultiTaskLoss(Loss):
    """L = Σ_k w_k L_k(y_k, t_k): each loss on its head's output columns and its targets.

    Parameters
    ----------
    losses : sequence of loss modules
    output_sizes : sequence of int
        Columns of the model output that belong to each head.
    weights : sequence of float, default all 1
    The targets are one array with, for each head in order, one column of class labels
    (for ``CrossEntropyLoss``) or as many columns as its outputs.
    """

    def __init__(self, losses: Sequence[Module], output_sizes: Sequence[int],
                 weights: Sequence[float] | None = None) -> None:
        super().__init__()
        if len(losses) != len(output_sizes):
            raise ValueError(f"MultiTaskLoss: {len(losses)} losses but {len(output_sizes)} "
                             "output sizes")
        self.weights = list(weights) if weights is not None else [1.0] * len(losses)
        if len(self.weights) != len(losses) or any(w < 0 for w in self.weights):
            raise ValueError(f"MultiTaskLoss: weights must be {len(losses)} numbers >= 0, got "
                             f"{weights}")
        self.output_sizes = list(output_sizes)
        self.losses = list(losses)
        self.target_sizes = [1 if isinstance(loss, CrossEntropyLoss) else size
                             for loss, size in zip(losses, output_sizes, strict=True)]

    def forward(self, input: Tensor, target: np.ndarray) -> Tensor:
        target = np.asarray(target.data if isinstance(target, Tensor) else target)
        target = target.reshape(len(target), -1)
        if input.shape[-1] != sum(self.output_sizes) or target.shape[1] != sum(self.target_sizes):
            raise ValueError(
                f"MultiTaskLoss: expected {sum(self.output_sizes)} output and "
                f"{sum(self.target_sizes)} target columns, got {input.shape[-1]} and "
                f"{target.shape[1]}")
        total: Tensor | None = None
        out_start = target_start = 0
        for loss, out_size, target_size, weight in zip(
                self.losses, self.output_sizes, self.target_sizes, self.weights, strict=True):
            head = input[:, out_start:out_start + out_size]
            head_target = target[:, target_start:target_start + target_size]
            if isinstance(loss, CrossEntropyLoss):
                head_target = head_target[:, 0]
            term = loss(head, head_target) * weight
            total = term if total is None else total + term
            out_start, target_start = out_start + out_size, target_start + target_size
        return total  # type: ignore[return-value]
