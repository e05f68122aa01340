"""Switching the recording of the tape on and off (``rp.no_grad()``, as in PyTorch)."""

from __future__ import annotations

import contextlib

_enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations are recorded for ``backward``."""
    return _enabled


class _GradMode(contextlib.ContextDecorator, contextlib.AbstractContextManager[None]):
    """Sets recording on or off inside a ``with`` block (or a decorated function) and puts
    back what was there: a class rather than a generator, which costs a third as much per
    block (it matters around every batch-1 prediction). Re-entrant: a stack of previous
    states, so one instance may decorate a recursive function."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        global _enabled
        self._previous.append(_enabled)
        _enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        global _enabled
        _enabled = self._previous.pop()


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
