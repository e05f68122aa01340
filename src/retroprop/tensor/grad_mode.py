"""Switching the recording of the tape on and off (``rp.no_grad()``, as in PyTorch)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations are recorded for ``backward``."""
    return _enabled


@contextlib.contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    global _enabled
    previous = _enabled
    _enabled = enabled
    try:
        yield
    finally:
        _enabled = previous


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
    return _grad_mode(False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager that records operations again inside a ``no_grad`` block."""
    return _grad_mode(True)
