"""Data sets: MNIST, Fashion-MNIST, the 8×8 digits, IDX files, CSV and NPZ files."""

from retroprop.datasets.download import DownloadError
from retroprop.datasets.files import NAMES, load, load_csv, load_npz
from retroprop.datasets.idx import IDXError, read_idx
from retroprop.datasets.loaders import (
    DIGITS_MAXIMUM,
    FASHION_MNIST_CLASSES,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    scale,
)

__all__ = [
    "DIGITS_MAXIMUM",
    "FASHION_MNIST_CLASSES",
    "NAMES",
    "DownloadError",
    "IDXError",
    "load",
    "load_csv",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_npz",
    "read_idx",
    "scale",
]
