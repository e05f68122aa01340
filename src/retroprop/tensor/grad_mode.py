"""Switching the recording of the tape on and off (``rp.no_grad()``, as in PyTorch)."""

from __future__ import annotations

import contextlib
import threading


class _Mode(threading.local):
    """Whether new operations are recorded, per thread (as in PyTorch): each thread has its
    own, on in a new thread, and its own stack of the modes that ``with`` blocks put
    back, so that blocks in two threads do not undo each other."""

    enabled = True

    def __init__(self) -> None:
        self.previous: list[bool] = []


_mode = _Mode()


def is_grad_enabled() -> bool:
    """Whether new operations are recorded for ``backward`` (in this thread)."""
    return _mode.enabled


class _GradMode(contextlib.ContextDecorator, contextlib.AbstractContextManager[None]):
    """Sets recording on or off inside a ``with`` block (or a decorated function) and puts
    back what was there: a class rather than a generator, which costs a third as much per
    block (it matters around every batch-1 prediction). Re-entrant and usable from
    several threads at once: the modes to put back are kept per thread."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        mode = _mode
        mode.previous.append(mode.enabled)
        mode.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        mode = _mode
        mode.enabled = mode.previous.pop()


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager (and decorator) in which no operation is recorded.

    Examples
    --------
    >>> import retroprop as rp
    >>> w = rp.Tensor([1.0], requires_grad=True)
    >>> with rp.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _GradMode(False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager that records operations again inside a ``no_grad`` block."""
    return _GradMode(True)
