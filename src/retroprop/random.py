"""One random generator for the whole library, so that ``manual_seed`` fixes every draw.

Initializers, dropout masks, noise, shuffling and augmentation all call
:func:`generator`; none of them touches NumPy's global state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random draw made by retroprop and return the new generator.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Examples
    --------
    >>> import retroprop as rp
    >>> _ = rp.manual_seed(0)
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The generator that every random draw in retroprop uses."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The state of the library's generator, a dict of numbers and strings (NumPy's
    ``bit_generator.state``), as ``torch.get_rng_state``: store it in a checkpoint
    (``rp.save({..., "rng": rp.get_rng_state()}, path)``) so that a resumed run draws
    what the uninterrupted one would have."""
    return dict(_generator.bit_generator.state)


def set_rng_state(state: dict[str, Any]) -> None:
    """Put the library's generator back in ``state``, a dict from :func:`get_rng_state`,
    as ``torch.set_rng_state``.

    Examples
    --------
    >>> import retroprop as rp
    >>> state = rp.get_rng_state()
    >>> first = rp.random.generator().random()
    >>> rp.set_rng_state(state)
    >>> rp.random.generator().random() == first
    True
    """
    expected = type(_generator.bit_generator).__name__
    if not isinstance(state, dict) or state.get("bit_generator") != expected:
        found = state.get("bit_generator") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"set_rng_state: state must be a dict from get_rng_state() of a "
                         f"{expected} generator, got {found!r:.80}")
    try:
        _generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValueError(f"set_rng_state: the state is corrupt ({error})") from None


@contextmanager
def using_generator(rng: np.random.Generator) -> Iterator[np.random.Generator]:
    """Inside the block every retroprop draw (initialization, shuffling, dropout, noise)
    comes from ``rng``, which keeps its state afterwards; the library's generator is left
    where it was. Tasks that must give the same results wherever they run (trials, folds,
    ensemble members) use it with a generator of their own."""
    global _generator
    saved = _generator
    _generator = rng
    try:
        yield rng
    finally:
        _generator = saved


@contextmanager
def fixed_draws(seed: int) -> Iterator[None]:
    """Inside the block every draw (dropout masks, noise) comes from a generator seeded with
    ``seed``, so running the same code twice draws the same values; the library's generator
    is left where it was. The full-batch step strategies use it so that each evaluation of
    the loss within one step sees the same noise."""
    with using_generator(np.random.default_rng(seed)):
        yield
