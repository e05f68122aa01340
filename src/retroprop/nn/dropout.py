"""``Dropout``: switch units off at random during training (seed 003, seed 001).

Seed 003 writes r_j ~ Bernoulli(P), ỹ = r * y, with P the probability of
*keeping* a unit, and scales the weights by P at inference. Here, as in
PyTorch, ``p`` is the probability of *dropping* (P = 1 - p).
"""

from __future__ import annotations

import numpy as np

from retroprop.nn.module import Module
from retroprop.random import generator
from retroprop.tensor.tensor import Tensor

SCALES = ("train", "inference")


class Dropout(Module):
    """Multiply each input by an independent Bernoulli(1 - p) mask in training.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of dropping a unit (0.5 for hidden units; use a smaller
        one on inputs, seed 001).
    scale : {"train", "inference"}, default "train"
        "train" (inverted dropout, as PyTorch): kept units are divided by
        1 - p in training, and inference is the identity. "inference" (the
        lecture's form): training only masks, and inference multiplies by
        the keep probability P = 1 - p, which scales the next layer's
        weights by P. Both give the same expected output.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> layer = rp.nn.Dropout(0.5).eval()
    >>> layer(np.ones((2, 3))).data.tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    stochastic = True

    def __init__(self, p: float = 0.5, scale: str = "train") -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p (probability of dropping) must be in [0, 1), got {p!r}")
        if scale not in SCALES:
            raise ValueError(f"Dropout: scale must be one of {SCALES}, got {scale!r}")
        self.p, self.scale = float(p), scale

    def mask(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A fresh Bernoulli(1 - p) mask, scaled by 1/(1 - p) for inverted dropout."""
        keep = generator().random(shape, dtype=np.float32) >= self.p
        if self.scale == "train":
            return keep * dtype.type(1.0 / (1.0 - self.p))
        return keep.astype(dtype)

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0:
            return x
        if self.training:
            return x * self.mask(x.shape, x.dtype)
        return x if self.scale == "train" else x * (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", scale='inference'" if self.scale == "inference" else "")
