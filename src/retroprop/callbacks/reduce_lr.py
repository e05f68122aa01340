"""``ReduceLROnPlateau``: lower the learning rate when the validation error stalls
(Berzal, "Backpropagation")."""

from __future__ import annotations

from retroprop.callbacks.base import Logs, MonitorCallback
from retroprop.optim import lr_scheduler


class ReduceLROnPlateau(MonitorCallback):
    """Multiply every group's ``lr`` by ``factor`` when ``monitor`` has not improved by more
    than ``min_delta`` (absolute) for more than ``patience`` epochs, then wait ``cooldown``
    epochs; never below ``min_lr``.

    It drives :class:`retroprop.optim.lr_scheduler.ReduceLROnPlateau` (built at the start
    of training with ``threshold=min_delta, threshold_mode="abs"``), the library's one
    plateau rule, so ``LearningRateScheduler(ReduceLROnPlateau(opt, ...))`` gives the same
    rates. Patience counts as in ``EarlyStopping``: ``patience`` bad epochs are tolerated
    (PyTorch's convention; Keras lowers the rate one epoch earlier).
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0,
                 mode: str = "auto", verbose: int = 0) -> None:
        lr_scheduler.check_plateau("ReduceLROnPlateau", factor, patience, cooldown, min_lr)
        super().__init__(monitor, mode, min_delta)
        self.factor, self.patience, self.cooldown, self.min_lr = (
            float(factor), int(patience), int(cooldown), float(min_lr))
        self.verbose = verbose
        self.rule: lr_scheduler.ReduceLROnPlateau | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        super().on_train_begin(logs)
        self.rule = lr_scheduler.ReduceLROnPlateau(
            self.trainer.optimizer, mode=self.mode, factor=self.factor, patience=self.patience,
            threshold=self.min_delta, threshold_mode="abs", cooldown=self.cooldown,
            min_lr=self.min_lr)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.rule is None:
            raise RuntimeError("ReduceLROnPlateau: on_epoch_end called before on_train_begin")
        value = self.value(logs)
        if value is None:  # an epoch without validation (fit's validation_freq)
            return
        before = self.trainer.optimizer.param_groups[0]["lr"]
        self.rule.step(value)
        after = self.trainer.optimizer.param_groups[0]["lr"]
        if self.verbose and after != before:
            print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {after}.")
