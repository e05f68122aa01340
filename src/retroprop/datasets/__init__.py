"""Data sets: MNIST, Fashion-MNIST, the 8×8 digits, IDX files, CSV and NPZ files."""

from retroprop.datasets.download import DownloadError
from retroprop.datasets.files import (
    NAMES,
    DataSet,
    canonical_name,
    load,
    load_csv,
    load_dataset,
    load_npz,
)
from retroprop.datasets.idx import IDXError, read_idx
from retroprop.datasets.loaders import (
    DIGITS_MAXIMUM,
    FASHION_MNIST_CLASSES,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    scale,
)
from retroprop.datasets.table import Table, read_table

__all__ = [
    "DIGITS_MAXIMUM",
    "FASHION_MNIST_CLASSES",
    "NAMES",
    "DataSet",
    "DownloadError",
    "IDXError",
    "Table",
    "canonical_name",
    "load",
    "load_csv",
    "load_dataset",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_npz",
    "read_idx",
    "read_table",
    "scale",
]
