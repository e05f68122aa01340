"""``axpy_`` (y ← y + α x) and ``axpby_`` (y ← β y + α x) through NumPy's OpenBLAS, or NumPy
where that is not possible."""

import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from retroprop.optim import blas


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("shape", [(7,), (256, 784), (3, 64, 64)])
@pytest.mark.parametrize("alpha", [1.0, -0.01, 2.5])
def test_axpy_matches_numpy(dtype, rtol, shape, alpha):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    expected = y + dtype(alpha) * x
    blas.axpy_(y, alpha, x)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=rtol, atol=rtol)


def test_axpy_on_strided_views_updates_only_the_view():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((200, 200)).astype(np.float32)
    x = rng.standard_normal((200, 100)).astype(np.float32)
    before = base.copy()
    blas.axpy_(base[:, ::2], 0.5, x)
    np.testing.assert_allclose(base[:, ::2], before[:, ::2] + 0.5 * x, rtol=1e-6)
    np.testing.assert_array_equal(base[:, 1::2], before[:, 1::2])


def test_numpy_openblas_is_used_when_numpy_ships_it():
    ships = any(info.get("prefix") == "libscipy_openblas" for info in threadpool_info())
    assert blas.uses_blas() == ships


def test_no_second_openblas_is_loaded():
    """Two OpenBLAS thread pools on the same cores slow each other down."""
    code = ("import numpy, threadpoolctl; before = len(threadpoolctl.threadpool_info()); "
            "import retroprop; print(before, len(threadpoolctl.threadpool_info()))")
    before, after = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                   text=True).stdout.split()
    assert before == after


def test_axpy_on_column_major_and_mixed_layouts():
    """Column-major arrays are one block of memory too (BLAS path); a row-major y with a
    column-major x must pair elements by index, not by memory position."""
    rng = np.random.default_rng(2)
    x = np.asfortranarray(rng.standard_normal((256, 784)).astype(np.float32))
    for y in (np.asfortranarray(rng.standard_normal((256, 784)).astype(np.float32)),
              rng.standard_normal((256, 784)).astype(np.float32)):
        expected = y + np.float32(-0.5) * x
        blas.axpy_(y, -0.5, x)
        np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("shape", [(7,), (256, 784), (3, 64, 64)])
@pytest.mark.parametrize("alpha, beta", [(1.0, 0.9), (-0.01, 1.0), (2.5, 0.0)])
def test_axpby_matches_numpy(dtype, rtol, shape, alpha, beta):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    expected = dtype(beta) * y + dtype(alpha) * x
    blas.axpby_(y, alpha, x, beta)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("y_order, x_order", [("F", "F"), ("C", "F"), ("F", "C")])
def test_axpby_on_views_and_mixed_layouts(y_order, x_order):
    """A strided view, or arrays whose memory orders differ, take the NumPy path and
    still pair elements by index."""
    rng = np.random.default_rng(4)
    base = rng.standard_normal((256, 1568)).astype(np.float32)
    view = base[:, ::2]
    x = np.asarray(rng.standard_normal((256, 784)).astype(np.float32), order=x_order)
    y = np.asarray(rng.standard_normal((256, 784)).astype(np.float32), order=y_order)
    for target in (view, y):
        before, untouched = target.copy(), base[:, 1::2].copy()
        blas.axpby_(target, -0.5, x, 0.9)
        np.testing.assert_allclose(target, np.float32(0.9) * before + np.float32(-0.5) * x,
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(base[:, 1::2], untouched)


@pytest.mark.parametrize("order", ["C", "F"])
def test_a_read_only_source_is_read_through_numpy_s_pointer(order):
    """ctypes views only writable buffers; a read-only x (a gradient the caller froze)
    takes the other way to its address, with the same result."""
    rng = np.random.default_rng(0)
    x = np.asarray(rng.normal(size=(64, 128)), dtype=np.float32, order=order)
    x.flags.writeable = False
    y = np.asarray(rng.normal(size=(64, 128)), dtype=np.float32, order=order)
    expected_axpy, expected_axpby = y + 0.5 * x, 0.9 * y + 0.5 * x
    blas.axpy_(got := y.copy(order="K"), 0.5, x)
    np.testing.assert_allclose(got, expected_axpy, rtol=1e-6)
    blas.axpby_(got := y.copy(order="K"), 0.5, x, 0.9)
    np.testing.assert_allclose(got, expected_axpby, rtol=1e-6)
