"""Multi-task learning (Fuentes Pineda): a shared trunk, one head per task, one loss per head."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from retroprop import ops
from retroprop.checks import check_count, is_real
from retroprop.nn.loss import CrossEntropyLoss, Loss, NLLLoss
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
        for name, module in [("trunk", trunk)] + [(f"head {i}", h) for i, h in enumerate(heads)]:
            if not isinstance(module, Module):
                raise TypeError(f"MultiTask: the {name} must be a Module (its parameters are "
                                f"trained and saved), got a {type(module).__name__}")
        self.trunk = trunk
        for index, head in enumerate(heads):
            setattr(self, f"head{index}", head)
        self.num_heads = len(heads)

    def heads(self) -> list[Module]:
        return [getattr(self, f"head{i}") for i in range(self.num_heads)]

    def forward(self, x: Tensor) -> Tensor:
        shared = self.trunk(x)
        return ops.concatenate([head(shared) for head in self.heads()], axis=-1)


#: Losses whose targets are one column of class labels.
LABEL_LOSSES = (CrossEntropyLoss, NLLLoss)


class MultiTaskLoss(Loss):
    """L = Σ_k w_k L_k(y_k, t_k): each loss on its head's output columns and its targets.

    Parameters
    ----------
    losses : sequence of loss modules (instances: ``CrossEntropyLoss()``)
    output_sizes : sequence of int
        Columns of the model output that belong to each head.
    weights : sequence of float, default all 1
    The targets are one array with, for each head in order, one column of class labels
    (for ``CrossEntropyLoss`` and ``NLLLoss``) or as many columns as its outputs. The
    Trainer checks each head's columns once per ``fit`` as that head's loss checks its own
    targets (labels 0..C-1 for a cross-entropy, targets in [0, 1] for a binary
    cross-entropy).
    """

    def __init__(self, losses: Sequence[Loss], output_sizes: Sequence[int],
                 weights: Sequence[float] | None = None) -> None:
        super().__init__()
        if not losses or len(losses) != len(output_sizes):
            raise ValueError(f"MultiTaskLoss: needs one output size per loss, at least one; "
                             f"got {len(losses)} losses and {len(output_sizes)} output sizes")
        for index, loss in enumerate(losses):
            if not isinstance(loss, Loss):
                raise TypeError(f"MultiTaskLoss: loss {index} must be a loss module such as "
                                f"CrossEntropyLoss(), got {loss!r}")
        for size in output_sizes:
            check_count(size, f"MultiTaskLoss: every output size in {list(output_sizes)}")
        self.weights = list(weights) if weights is not None else [1.0] * len(losses)
        if len(self.weights) != len(losses) or not all(
                is_real(w) and 0 <= w < np.inf for w in self.weights):
            raise ValueError(f"MultiTaskLoss: weights must be {len(losses)} finite numbers "
                             f">= 0, got {weights}")
        self.output_sizes = [int(size) for size in output_sizes]
        self.losses = list(losses)
        self.target_sizes = [1 if isinstance(loss, LABEL_LOSSES) else size
                             for loss, size in zip(losses, self.output_sizes, strict=True)]

    def _check_columns(self, outputs: int, target: np.ndarray, where: str) -> None:
        """The output columns of every head, and their target columns, side by side."""
        if outputs != sum(self.output_sizes) or target.shape[1] != sum(self.target_sizes):
            raise ValueError(
                f"{where}: expected {sum(self.output_sizes)} output and "
                f"{sum(self.target_sizes)} target columns, got {outputs} and "
                f"{target.shape[1]}")

    def _head_targets(self, target: np.ndarray) -> Iterator[tuple[Loss, int, np.ndarray]]:
        """(loss, output columns, targets) of each head in turn."""
        start = 0
        for loss, out_size, target_size in zip(self.losses, self.output_sizes,
                                               self.target_sizes, strict=True):
            head_target = target[:, start:start + target_size]
            yield loss, out_size, (head_target[:, 0] if isinstance(loss, LABEL_LOSSES)
                                   else head_target)
            start += target_size

    def prepare_targets(self, y: np.ndarray, num_outputs: int | None, dtype: np.dtype,
                        where: str) -> np.ndarray:
        """Numeric targets with each head's columns checked by that head's loss, with the
        head's own number of outputs (``num_outputs`` counts the columns of every head)."""
        y = super().prepare_targets(y, num_outputs, dtype, where)
        columns = y.reshape(len(y), -1)
        self._check_columns(sum(self.output_sizes), columns, where)
        for index, (loss, out_size, head_target) in enumerate(self._head_targets(columns)):
            loss.prepare_targets(head_target, out_size, dtype,
                                 f"{where} (task {index}, {type(loss).__name__})")
        return y

    def forward(self, input: Tensor, target: np.ndarray) -> Tensor:
        target = np.asarray(target.data if isinstance(target, Tensor) else target)
        target = target.reshape(len(target), -1)
        self._check_columns(input.shape[-1], target, "MultiTaskLoss")
        total: Tensor | None = None
        out_start = 0
        for weight, (loss, out_size, head_target) in zip(
                self.weights, self._head_targets(target), strict=True):
            term = loss(input[:, out_start:out_start + out_size], head_target) * weight
            total = term if total is None else total + term
            out_start += out_size
        return total  # type: ignore[return-value]
