"""``Callback``: hooks into training, with Keras's names and signatures.

Every hook is a no-op; a subclass overrides the ones it needs. The
trainer sets ``callback.trainer`` (and so ``callback.model``) before
``on_train_begin``; a callback stops training with
``self.trainer.stop_training = True``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.optim.improvement import Improvement

if TYPE_CHECKING:
    from retroprop.nn.module import Module
    from retroprop.train.trainer import Trainer

Logs = dict[str, Any]


class Callback:
    """Base class of the callbacks: Keras's hooks, each a no-op to override.

    Notes
    -----
    Which method calls each hook, and with which ``logs``, follows Keras 3
    (``keras.callbacks.Callback``):

    - ``fit``: ``on_train_begin`` and ``on_epoch_begin`` get ``{}``; ``on_epoch_end``
      the epoch's loss, metrics, ``val_`` values and ``lr``, and ``on_train_end`` (a copy
      of) the last epoch's (``{}`` if none ran);
      ``on_train_batch_begin`` (alias ``on_batch_begin``) ``{"size": rows}`` and
      ``on_train_batch_end`` (alias ``on_batch_end``) ``{"loss", "size"}``, every
      training batch.
    - ``evaluate``, and ``fit`` around its validation pass (after the epoch's training
      batches, before ``on_epoch_end``): ``on_test_begin`` gets ``{}``,
      ``on_test_batch_begin`` ``{"size": rows}``, ``on_test_batch_end``
      ``{"loss", "size"}``, and ``on_test_end`` the loss and metrics that ``evaluate``
      returns (without the ``val_`` prefix).
    - ``predict`` (and ``predict_proba``, ``predict_classes``): ``on_predict_begin``
      and ``on_predict_end`` get ``{}``, ``on_predict_batch_begin`` ``{"size": rows}``,
      ``on_predict_batch_end`` ``{"outputs": the batch's outputs, "size": rows}``.

    Batch indices count from 0 in each pass. A batch's ``"loss"`` is that batch's own loss
    (with the modules' penalties; NaN for non-finite outputs), in training and evaluation
    alike, where Keras 3 passes the mean of the batches so far (weigh each batch by its
    ``"size"`` for it). ``fit`` validates, and ``evaluate`` and ``predict`` run without
    ``batch_size``, in batches of ``PREDICT_BATCH`` rows (:mod:`retroprop.train.trainer`).
    An exception raised in a hook ends the method that called it.

    Examples
    --------
    >>> import retroprop as rp
    >>> class BatchLosses(rp.callbacks.Callback):
    ...     def on_test_begin(self, logs=None):
    ...         self.losses = []
    ...     def on_test_batch_end(self, batch, logs=None):
    ...         self.losses.append(logs["loss"])
    >>> model = rp.nn.Linear(3, 2)
    >>> trainer = rp.Trainer(model, rp.nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters()))
    >>> watch = BatchLosses()
    >>> result = trainer.evaluate([[1.0, 2.0, 3.0]] * 5, [0, 1, 0, 1, 0], batch_size=2,
    ...                           callbacks=[watch])
    >>> len(watch.losses)  # batches of 2, 2 and 1 examples
    3
    """

    _trainer: Trainer | None = None
    params: dict[str, Any]

    def set_trainer(self, trainer: Trainer) -> None:
        self._trainer = trainer

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    @property
    def trainer(self) -> Trainer:
        if self._trainer is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to a Trainer")
        return self._trainer

    @property
    def model(self) -> Module:
        return self.trainer.model

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_test_begin(self, logs: Logs | None = None) -> None: ...
    def on_test_end(self, logs: Logs | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_begin(self, logs: Logs | None = None) -> None: ...
    def on_predict_end(self, logs: Logs | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """What a resumed run needs of this callback: its plain attributes (numbers,
        strings, arrays, lists and dicts of them) and the ``state_dict()`` of attributes
        that have one (schedules, the improvement test). Saved in training checkpoints."""
        state: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            if name in ("_trainer", "params"):
                continue
            if hasattr(value, "state_dict") and hasattr(value, "load_state_dict"):
                state[name] = {"state_dict": value.state_dict()}
            elif _plain(value):
                state[name] = {"value": copy.deepcopy(value)}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, saved in state.items():
            if "state_dict" in saved:
                getattr(self, name).load_state_dict(saved["state_dict"])
            else:
                setattr(self, name, copy.deepcopy(saved["value"]))

    def on_interrupt(self) -> str | None:
        """Ctrl-C stopped training after a batch: a checkpointing callback asks for a
        checkpoint (``trainer.request_checkpoint``) and returns its path; None here."""
        return None

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs)


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks: list[Callback], trainer: Trainer, params: dict[str, Any]
                 ) -> None:
        for callback in callbacks:
            callback.set_trainer(trainer)
            callback.set_params(params)
        self.callbacks = callbacks

    def __getattr__(self, hook: str) -> Any:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        methods = [getattr(callback, hook) for callback in self.callbacks]

        def call(*args: Any) -> None:
            for method in methods:
                method(*args)

        setattr(self, hook, call)  # found directly from now on
        return call

    def defines(self, *hooks: str) -> bool:
        """Whether a callback overrides one of these no-op ``hooks`` (``on_test_*``,
        ``on_predict_*``): the Trainer prepares the logs of a batch hook only then."""
        return any(getattr(getattr(callback, hook), "__func__", None) is not
                   getattr(Callback, hook) for callback in self.callbacks for hook in hooks)


def check_callbacks(callbacks: Any, where: str) -> list[Callback]:
    """The ``callbacks=`` of ``fit``, ``evaluate`` and ``predict`` as a list: None (none)
    or a list of :class:`Callback` instances; a single callback, or anything else, is
    refused by name."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        name = type(callbacks).__name__
        raise TypeError(f"{where}: callbacks must be a list of callbacks, got one {name}: "
                        f"write callbacks=[{name}(...)]")
    if isinstance(callbacks, str | bytes) or not isinstance(callbacks, Iterable):
        raise TypeError(f"{where}: callbacks must be a list of callbacks, got "
                        f"{type(callbacks).__name__}")
    callbacks = list(callbacks)
    for index, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise TypeError(f"{where}: callbacks[{index}] must be a Callback, got "
                            f"{type(callback).__name__}")
    return callbacks


def monitor_mode(monitor: str, mode: str, where: str) -> str:
    """'min' or 'max' for ``mode='auto'``: accuracies and R² grow, losses and errors shrink."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if any(k in monitor for k in ("acc", "r2", "auc")) else "min"


def unvalidated(logs: Logs | None, params: dict[str, Any] | None) -> bool:
    """Whether these epoch logs lack the ``val_`` values because ``fit``'s
    ``validation_freq`` (in ``params``) skipped this epoch's validation."""
    return (params or {}).get("validation_freq", 1) > 1 and not any(
        key.startswith("val_") for key in logs or {})


def monitored(logs: Logs | None, monitor: str, where: str,
              params: dict[str, Any] | None = None) -> float | None:
    """The monitored value from the epoch's logs, or a clear error naming what is there;
    None for a ``val_`` value on an epoch that ran no validation (``fit``'s
    ``validation_freq`` > 1, in ``params``): the callback then skips the epoch, as Keras's
    do (without Keras's warning that the value is missing: fit asked for it)."""
    if monitor.startswith("val_") and unvalidated(logs, params):
        return None
    if not logs or monitor not in logs:
        raise ValueError(
            f"{where}: monitor={monitor!r} is not in the epoch's logs "
            f"{sorted(logs or {})}; 'val_' values need validation data"
        )
    return float(logs[monitor])


class MonitorCallback(Callback):
    """Base of the callbacks that watch one quantity of the epoch's logs (early stopping,
    checkpointing, the plateau rule): ``monitor``, ``mode`` and ``min_delta`` mean the same
    in all of them (:class:`~retroprop.optim.improvement.Improvement`), and a monitor that
    the run cannot produce (a ``val_`` value without validation data) is refused before
    the first epoch."""

    def __init__(self, monitor: str, mode: str = "auto", min_delta: float = 0.0) -> None:
        where = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{where}: monitor must be the name of a logged value such as "
                             f"'val_loss', got {monitor!r}")
        self.monitor = monitor
        self.mode = monitor_mode(monitor, mode, where)
        self.min_delta = min_delta
        self.improvement = Improvement(self.mode, min_delta, where=where)

    @property
    def best(self) -> float:
        return self.improvement.best

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.monitor.startswith("val_") and not getattr(self, "params", {}).get(
                "validation", True):
            raise ValueError(f"{type(self).__name__}: monitor={self.monitor!r} needs "
                             "validation data: pass validation_data= or validation_split= to "
                             f"fit, or monitor {self.monitor[4:]!r}")
        self.improvement.reset()

    def value(self, logs: Logs | None) -> float | None:
        """The monitored value in this epoch's logs (None on an epoch without validation,
        see :func:`monitored`)."""
        return monitored(logs, self.monitor, type(self).__name__, getattr(self, "params", None))


def _plain(value: Any) -> bool:
    """Numbers, strings, None, arrays, and lists, tuples and str-keyed dicts of them."""
    if value is None or isinstance(value, bool | int | float | str | np.ndarray | np.generic):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str | int) and _plain(v) for k, v in value.items())
    return False
