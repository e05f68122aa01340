"""Data augmentation for images, applied on the fly to each batch (Berzal, "Invarianza":
more data by distorting the training images; Simard, Steinkraus and Platt 2003, the
distortions behind the 35-error MNIST result).

Every transform takes a batch of images, shaped (N, H, W), (N, C, H, W), or flattened
(N, H·W) with ``image_shape`` (a square is assumed when it is not given), and returns a
distorted batch of the same shape and dtype. The whole batch is warped in one vectorized
call (bilinear interpolation, zeros outside), with random draws from the library
generator, so ``rp.manual_seed`` fixes them. Float64 images are warped in float64, others
in float32; integer images (uint8 pixels) are rounded to the nearest integer.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

from retroprop._optional import require
from retroprop.checks import check_lr, check_rate
from retroprop.random import generator


def _ndimage() -> ModuleType:
    """``scipy.ndimage``, imported on first use: importing SciPy loads SciPy's own OpenBLAS,
    whose threads would compete for the cores with NumPy's (see ``optim.blas``)."""
    return require("scipy.ndimage", extra="augment")


class Distortion:
    """Base: a per-image displacement field (dy, dx): output pixel (r, c) takes the input's
    value at (r + dy, c + dx), by bilinear interpolation."""

    def __init__(self, image_shape: tuple[int, int] | None = None) -> None:
        self.image_shape = image_shape

    def displacement(self, n: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _images(self, batch: np.ndarray) -> np.ndarray:
        name = type(self).__name__
        if batch.ndim in (3, 4):
            return batch.reshape(-1, *batch.shape[-2:])
        if batch.ndim == 2:
            if self.image_shape is not None:
                shape = tuple(self.image_shape)
            else:
                side = math.isqrt(batch.shape[1])
                if side * side != batch.shape[1]:
                    raise ValueError(
                        f"{name}: augmentation needs images; rows of {batch.shape[1]} values "
                        "are not square images: pass image_shape=(H, W)")
                shape = (side, side)
            if math.prod(shape) != batch.shape[1]:
                raise ValueError(f"{name}: image_shape {shape} does not hold "
                                 f"{batch.shape[1]} values")
            return batch.reshape(-1, *shape)
        raise ValueError(f"{name}: augmentation needs images (N, H, W), (N, C, H, W) or "
                         f"(N, H·W); got an array of shape {batch.shape}")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch)
        images = self._images(batch)
        n, height, width = images.shape
        dy, dx = self.displacement(len(batch) if batch.ndim == 4 else n, height, width)
        if batch.ndim == 4:  # the same field for every channel of an image
            channels = batch.shape[1]
            dy, dx = np.repeat(dy, channels, axis=0), np.repeat(dx, channels, axis=0)
        index, rows, cols = np.meshgrid(np.arange(n), np.arange(height), np.arange(width),
                                        indexing="ij")
        coordinates = np.stack([index, rows + dy, cols + dx])
        precision = np.float64 if batch.dtype == np.float64 else np.float32
        warped = _ndimage().map_coordinates(images.astype(precision, copy=False),
                                            coordinates, order=1, mode="constant", cval=0.0)
        if batch.dtype.kind in "iub":
            warped = np.rint(warped)  # a cast alone would truncate: darker images
        return warped.reshape(batch.shape).astype(batch.dtype, copy=False)


class RandomShift(Distortion):
    """Translate each image by up to ``max_shift`` pixels in each direction."""

    def __init__(self, max_shift: float = 2.0, image_shape: tuple[int, int] | None = None
                 ) -> None:
        super().__init__(image_shape)
        check_rate(max_shift, "RandomShift: max_shift")
        self.max_shift = max_shift

    def displacement(self, n: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        shifts = generator().uniform(-self.max_shift, self.max_shift, (2, n, 1, 1))
        return (np.broadcast_to(shifts[0], (n, height, width)),
                np.broadcast_to(shifts[1], (n, height, width)))


class RandomRotation(Distortion):
    """Rotate each image about its centre by up to ``max_degrees`` either way."""

    def __init__(self, max_degrees: float = 10.0, image_shape: tuple[int, int] | None = None
                 ) -> None:
        super().__init__(image_shape)
        check_rate(max_degrees, "RandomRotation: max_degrees")
        self.max_degrees = max_degrees

    def displacement(self, n: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        angles = np.deg2rad(generator().uniform(-self.max_degrees, self.max_degrees,
                                                (n, 1, 1)))
        return rotation_field(angles, height, width)


def rotation_field(radians: np.ndarray | float, height: int, width: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The displacement field (dy, dx) that rotates images of ``height`` × ``width`` about
    their centre by ``radians`` (shape (n, 1, 1), one angle per image, giving fields of
    shape (n, H, W); or one angle, giving fields of shape (H, W)): the output pixel at
    (y, x) from the centre takes the input's at (y cos θ + x sin θ, x cos θ - y sin θ)."""
    y, x = np.meshgrid(np.arange(height) - (height - 1) / 2,
                       np.arange(width) - (width - 1) / 2, indexing="ij")
    cos, sin = np.cos(radians), np.sin(radians)
    return (cos * y + sin * x) - y, (cos * x - sin * y) - x


class ElasticDistortion(Distortion):
    """Simard et al. (2003): random displacements uniform in [-1, 1] per pixel, smoothed by a
    Gaussian of width ``sigma`` and scaled by ``alpha`` (34 and 4 for MNIST in the paper)."""

    def __init__(self, alpha: float = 34.0, sigma: float = 4.0,
                 image_shape: tuple[int, int] | None = None) -> None:
        super().__init__(image_shape)
        check_rate(alpha, "ElasticDistortion: alpha")
        check_lr(sigma, "ElasticDistortion: sigma")
        self.alpha, self.sigma = alpha, sigma

    def displacement(self, n: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        fields = generator().uniform(-1, 1, (2, n, height, width))
        smooth = _ndimage().gaussian_filter(fields, sigma=(0, 0, self.sigma, self.sigma),
                                            mode="constant")
        return self.alpha * smooth[0], self.alpha * smooth[1]


class Compose:
    """Apply transforms one after the other."""

    def __init__(self, *transforms: Distortion) -> None:
        self.transforms = transforms

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        for transform in self.transforms:
            batch = transform(batch)
        return batch
