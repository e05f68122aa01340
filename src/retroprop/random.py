"""One random generator for the whole library, so that ``manual_seed`` fixes every draw.

Initializers, dropout masks, noise, shuffling and augmentation all call
:func:`generator`; none of them touches NumPy's global state.
"""

from __future__ import annotations

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
