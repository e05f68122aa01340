"""``History``: the per-epoch record that ``Trainer.fit`` returns."""

from __future__ import annotations

from retroprop.callbacks.base import Callback, Logs


class History(Callback):
    """``history[name]`` lists one value per epoch: ``loss``, the metrics, their ``val_``
    twins and ``lr``; ``epoch`` lists the epoch numbers."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History({len(self.epoch)} epochs: {last})"
