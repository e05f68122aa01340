"""Switching the recording of the tape on and off (``rp.no_grad()``, as in PyTorch)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


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

    def __call__(self, func: F) -> F:
        """Decorate ``func``; a generator function runs each step of its body in the mode
        (as PyTorch's), not only the call that makes the generator."""
        if not inspect.isgeneratorfunction(func):
            return super().__call__(func)

        @functools.wraps(func)
        def generator(*args: Any, **kwargs: Any) -> Any:
            return (yield from self._stepped(func(*args, **kwargs)))

        return generator  # type: ignore[return-value]

    def _stepped(self, gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
        try:
            with self:
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with self:
                        gen.close()
                    raise
                except BaseException as error:
                    with self:
                        response = gen.throw(error)
                else:
                    with self:
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value


def no_grad(func: F | None = None) -> Any:
    """Context manager (and decorator, with or without parentheses) in which no operation
    is recorded.

    Examples
    --------
    >>> import retroprop as rp
    >>> w = rp.Tensor([1.0], requires_grad=True)
    >>> with rp.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _GradMode(False) if func is None else _GradMode(False)(func)


def enable_grad(func: F | None = None) -> Any:
    """Context manager (and decorator) that records operations again inside a ``no_grad``
    block."""
    return _GradMode(True) if func is None else _GradMode(True)(func)


class set_grad_enabled(_GradMode):  # PyTorch's name
    """Turn recording on or off, as ``torch.set_grad_enabled``: called, it sets the mode at
    once (``rp.set_grad_enabled(False)``); in a ``with`` block (or as a decorator) the mode
    holds inside and the one before comes back after, so that
    ``with rp.set_grad_enabled(training):`` records only when ``training`` is true.

    Examples
    --------
    >>> import retroprop as rp
    >>> w = rp.ones(2, requires_grad=True)
    >>> with rp.set_grad_enabled(False):
    ...     y = w * 2
    >>> y.requires_grad, rp.is_grad_enabled()
    (False, True)
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        super().__init__(mode)
        self.previous = _mode.enabled
        _mode.enabled = mode

    def __call__(self, func: F) -> F:
        _mode.enabled = self.previous  # a decorator changes nothing until the call
        return super().__call__(func)

    def __enter__(self) -> None:
        _mode.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        _mode.enabled = self.previous
