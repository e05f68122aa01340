"""The per-channel sums of batch normalization (``channel_sum``: one ``np.einsum`` pass)
against NumPy's sums, in every layout the layers hand it."""

import numpy as np
import pytest

from retroprop.ops.normalization import channel_sum

SHAPES = [(5, 3), (4, 3, 7), (4, 3, 5, 6), (2, 3, 4, 2, 3)]


def layouts(shape, dtype, seed):
    """The array in C order, in Fortran order, with batch and channels swapped in memory
    (a convolution's input gradient), and as a strided slice of a larger array."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    swapped = np.ascontiguousarray(a.swapaxes(0, 1)).swapaxes(0, 1)
    sliced = np.repeat(a, 2, axis=-1)[..., ::2]
    return {"c": a, "f": np.asfortranarray(a), "swapped": swapped, "sliced": sliced}


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("shape", SHAPES)
def test_sums_over_every_axis_but_the_channels(shape, dtype, rtol):
    axes = (0, *range(2, len(shape)))
    for name, a in layouts(shape, dtype, 0).items():
        for other, b in layouts(shape, dtype, 1).items():
            np.testing.assert_allclose(channel_sum(a, b), (a * b).sum(axis=axes), rtol=rtol,
                                       atol=rtol, err_msg=f"{name} x {other}")
        total = channel_sum(a)
        assert total.shape == (shape[1],) and total.dtype == dtype
        np.testing.assert_allclose(total, a.sum(axis=axes), rtol=rtol, atol=rtol,
                                   err_msg=name)
