"""``GradientMonitor``: watch the gradients layer by layer (FAMAF, Fuentes Pineda, Tobón &
Aguirre: vanishing and exploding gradients)."""

from __future__ import annotations

import warnings

import numpy as np

from retroprop.callbacks.base import Callback, Logs
from retroprop.nn.regularized import WeightLayer
from retroprop.stacklevel import user_stacklevel


class GradientMonitor(Callback):
    """Per layer with weights and per epoch, record in the logs (and so in the History):

    * ``grad_norm/<layer>.weight``, ``grad_mean_abs/<layer>.weight`` and the same for the
      bias: the Euclidean norm and mean |g| of the gradient, averaged over the epoch's
      batches;
    * ``weight_norm/<layer>``: ||W|| at the end of the epoch;
    * ``update_ratio/<layer>``: ||W_end - W_start|| / ||W_start|| over the epoch.

    It warns when the first layer's gradient norm falls below ``vanishing`` times the
    last layer's, or when any norm exceeds ``exploding`` or is not finite.
    """

    def __init__(self, vanishing: float = 1e-3, exploding: float = 1e3) -> None:
        self.vanishing, self.exploding = vanishing, exploding

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.layers = [(name, module) for name, module in self.model.named_modules()
                       if isinstance(module, WeightLayer)]
        if not self.layers:
            raise ValueError("GradientMonitor: the model has no layer with weights")

    def _params(self):
        for name, layer in self.layers:
            yield f"{name}.weight", layer.weight
            if layer.bias is not None:
                yield f"{name}.bias", layer.bias

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.sums: dict[str, float] = {}
        self.batches = 0
        self.start = {name: layer.weight.data.copy() for name, layer in self.layers}

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.batches += 1
        for name, param in self._params():
            if param.grad is None:
                continue
            grad = param.grad.astype(np.float64)
            for key, value in ((f"grad_norm/{name}", float(np.sqrt(np.sum(grad * grad)))),
                               (f"grad_mean_abs/{name}", float(np.abs(grad).mean()))):
                self.sums[key] = self.sums.get(key, 0.0) + value

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is None or not self.batches:
            return
        for key, total in self.sums.items():
            logs[key] = total / self.batches
        for name, layer in self.layers:
            norm = float(np.linalg.norm(layer.weight.data))
            logs[f"weight_norm/{name}"] = norm
            start = self.start[name]
            logs[f"update_ratio/{name}"] = float(np.linalg.norm(layer.weight.data - start)) / max(
                float(np.linalg.norm(start)), 1e-12)
        first = logs.get(f"grad_norm/{self.layers[0][0]}.weight")
        last = logs.get(f"grad_norm/{self.layers[-1][0]}.weight")
        if first is not None and last and first < self.vanishing * last:
            warnings.warn(f"GradientMonitor: epoch {epoch + 1}: the first layer's gradient norm "
                          f"{first:.3g} is below {self.vanishing:g} of the last layer's "
                          f"{last:.3g}: vanishing gradients", RuntimeWarning,
                          stacklevel=user_stacklevel())
        norms = [v for k, v in logs.items() if k.startswith("grad_norm/")]
        if any(not np.isfinite(v) or v > self.exploding for v in norms):
            warnings.warn(f"GradientMonitor: epoch {epoch + 1}: a gradient norm exceeds "
                          f"{self.exploding:g} or is not finite: exploding gradients",
                          RuntimeWarning, stacklevel=user_stacklevel())
