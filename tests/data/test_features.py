"""fourier_magnitude: invariance by feature extraction (Berzal, "En la práctica:
Invarianza"): the formula, the invariance it promises and the information it gives up."""

import numpy as np
import pytest

from retroprop.data import fourier_magnitude


def strokes(n=5, side=8, seed=0):
    """Random images whose ink lies in the middle (rows and columns 2 to 5 of 8): they can
    move by up to 2 pixels either way without losing any."""
    images = np.zeros((n, side, side))
    images[:, 2:side - 2, 2:side - 2] = np.random.default_rng(seed).random(
        (n, side - 4, side - 4))
    return images


def test_the_formula():
    images = np.random.default_rng(1).random((2, 3, 4))
    P, Q = 5, 6
    r, c = np.arange(3)[:, None], np.arange(4)[None, :]
    u, v = np.arange(P)[:, None, None, None], np.arange(Q // 2 + 1)[None, :, None, None]
    basis = np.exp(-2j * np.pi * (u * r / P + v * c / Q))  # (P, Q//2+1, 3, 4)
    expected = np.abs(np.einsum("uvrc,nrc->nuv", basis, images)).reshape(2, -1)
    np.testing.assert_allclose(fourier_magnitude(images, size=(P, Q)), expected, atol=1e-12)


@pytest.mark.parametrize("size", [(8, 8), (11, 9), None])
@pytest.mark.parametrize("move", [(1, 0), (0, -3), (5, 7), (-2, 2)])
def test_circular_shifts_leave_the_features_exactly_as_they_were(size, move):
    images = np.random.default_rng(2).random((4, 8, 8))
    canvas = (16, 16) if size is None else size
    padded = np.zeros((4, *canvas))
    padded[:, :8, :8] = images
    moved = np.roll(padded, move, axis=(1, 2))  # circularly, on the padded canvas
    np.testing.assert_allclose(fourier_magnitude(moved, size=canvas),
                               fourier_magnitude(images, size=size), rtol=1e-10, atol=1e-10)
    assert not np.allclose(moved[:, :8, :8], images)


@pytest.mark.parametrize("move", [(1, 1), (-2, 0), (0, 2), (2, -2)])
def test_shifts_with_zero_fill_that_crop_no_ink_are_invisible(move):
    images = strokes()
    dy, dx = move  # output (r, c) takes the input's (r - dy, c - dx), zeros outside
    moved = np.pad(images, ((0, 0), (2, 2), (2, 2)))[:, 2 - dy:10 - dy, 2 - dx:10 - dx]
    assert moved.sum() == pytest.approx(images.sum())  # no ink lost
    np.testing.assert_allclose(fourier_magnitude(moved), fourier_magnitude(images),
                               rtol=1e-10, atol=1e-10)
    assert np.abs(moved - images).max() > 0.5  # the pixels themselves did change


def test_cropped_ink_changes_the_features():
    images = strokes(side=8)
    images[:, 0, :] = 1.0  # ink on the top row, lost by moving up
    moved = np.concatenate([images[:, 1:], np.zeros((5, 1, 8))], axis=1)
    assert not np.allclose(fourier_magnitude(moved), fourier_magnitude(images), atol=1e-3)


def test_the_phase_is_lost_an_image_and_its_half_turn_look_the_same():
    images = np.random.default_rng(3).random((3, 8, 8))
    np.testing.assert_allclose(fourier_magnitude(images[:, ::-1, ::-1]),
                               fourier_magnitude(images), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8])
def test_rows_and_images_agree_shape_and_dtype(dtype):
    images = (strokes(n=3) * 16).astype(dtype)
    features = fourier_magnitude(images)
    assert features.shape == (3, 16 * 9)
    assert features.dtype == (dtype if np.dtype(dtype).kind == "f" else np.float64)
    np.testing.assert_array_equal(fourier_magnitude(images.reshape(3, 64)), features)
    assert fourier_magnitude(images, size=(8, 10)).shape == (3, 8 * 6)
    assert features[:, 0] == pytest.approx(images.sum(axis=(1, 2)))  # F(0, 0): all the ink


@pytest.mark.parametrize(("images", "size", "message"), [
    (np.zeros((2, 8, 8, 1)), None, r"must be a non-empty array \(N, H, W\).*got shape "
                                   r"\(2, 8, 8, 1\)"),
    (np.zeros((0, 8, 8)), None, r"got shape \(0, 8, 8\)"),
    (np.zeros((2, 60)), None, "must be square, got rows of 60 values"),
    (np.array([["a"]]), None, "images must hold numbers, got dtype <U1"),
    (np.full((1, 4, 4), np.nan), None, "NaN or infinite"),
    (np.zeros((2, 8, 8)), (4, 8), r"size\[0\].*must be an integer >= 8, got 4"),
    (np.zeros((2, 8, 8)), (8, 8.5), r"size\[1\].*must be an integer >= 8, got 8.5"),
    (np.zeros((2, 8, 8)), 16, r"size must be a pair \(P, Q\), got 16"),
])
def test_bad_input_is_named(images, size, message):
    with pytest.raises(ValueError, match=message):
        fourier_magnitude(images, size=size)
