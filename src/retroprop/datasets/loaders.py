"""The data sets of the lectures: MNIST, Fashion-MNIST and scikit-learn's 8×8 digits.

Each loader returns ``(X_train, y_train), (X_test, y_test)`` with raw pixel
values as stored (uint8 images of shape (n, H, W)) and int64 labels; use
:func:`scale` to get float32 in [0, 1].
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from retroprop._optional import require
from retroprop.datasets.download import DownloadError, download
from retroprop.datasets.idx import read_idx

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# Mirrors and the SHA-256 of each published .gz file.
SOURCES: dict[str, tuple[list[str], dict[str, str]]] = {
    "mnist": (
        ["https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/"],
        {
            "train-images-idx3-ubyte":
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte":
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte":
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte":
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    ),
    "fashion-mnist": (
        ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        {
            "train-images-idx3-ubyte":
                "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
            "train-labels-idx1-ubyte":
                "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
            "t10k-images-idx3-ubyte":
                "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
            "t10k-labels-idx1-ubyte":
                "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        },
    ),
}

DIGITS_MAXIMUM = 16.0

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")


def cache_dir() -> Path:
    """Where downloads go: ``$XDG_CACHE_HOME/retroprop`` or ``~/.cache/retroprop``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "retroprop"


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def candidate_dirs(name: str, path: str | os.PathLike[str] | None) -> list[Path]:
    """The folders searched, in order: ``path``, ``$RETROPROP_DATA`` (and its ``name``
    sub-folder), ``/usr/share/datasets/<name>``, the user cache."""
    dirs: list[Path] = []
    if path is not None:
        dirs.append(Path(path))
    if os.environ.get("RETROPROP_DATA"):
        root = Path(os.environ["RETROPROP_DATA"])
        dirs += [root / name, root]
    dirs += [Path("/usr/share/datasets") / name, cache_dir() / name]
    return dirs


def _load_idx_set(name: str, path: str | os.PathLike[str] | None, allow_download: bool
                  ) -> Split:
    dirs = candidate_dirs(name, path)
    if path is not None and not Path(path).is_dir():
        raise FileNotFoundError(f"load_{name.replace('-', '_')}: path {path} is not a folder")
    for directory in dirs:
        found = [_find(directory, stem) for stem in FILES]
        if all(found):
            return _read(found)  # type: ignore[arg-type]
    if allow_download:
        mirrors, checksums = SOURCES[name]
        target = cache_dir() / name
        try:
            files = [_find(target, stem) or download(stem + ".gz", mirrors, checksums[stem],
                                                     target) for stem in FILES]
            return _read(files)
        except DownloadError as error:
            reason = f"the download failed ({error})"
    else:
        reason = "downloading was not allowed"
    searched = "\n  ".join(str(d) for d in dirs)
    raise FileNotFoundError(
        f"{name}: the four IDX files ({', '.join(f + '[.gz]' for f in FILES)}) were not found "
        f"in:\n  {searched}\nand {reason}. Put the files in one of these folders, or set "
        f"RETROPROP_DATA to a folder that holds them"
        + (" (on Debian: apt-get install dataset-fashion-mnist)" if name == "fashion-mnist"
           else "")
    )


def _read(files: list[Path]) -> Split:
    train_images, train_labels, test_images, test_labels = (read_idx(f) for f in files)
    for images, labels in ((train_images, train_labels), (test_images, test_labels)):
        if len(images) != len(labels):
            raise ValueError(
                f"{files[0].parent}: {len(images)} images but {len(labels)} labels"
            )
    return ((train_images, train_labels.astype(np.int64)),
            (test_images, test_labels.astype(np.int64)))


def load_mnist(path: str | os.PathLike[str] | None = None, download: bool = True) -> Split:
    """MNIST: 60 000 + 10 000 handwritten digits, 28×28 uint8 (0..255), labels 0..9.

    Looks in ``path``, ``$RETROPROP_DATA``, ``/usr/share/datasets/mnist``, the
    user cache, then downloads (giving up on a mirror silent for 10 s, SHA-256 checked).
    """
    return _load_idx_set("mnist", path, download)


def load_fashion_mnist(path: str | os.PathLike[str] | None = None, download: bool = True
                       ) -> Split:
    """Fashion-MNIST: 60 000 + 10 000 clothing images, 28×28 uint8, labels 0..9
    (:data:`FASHION_MNIST_CLASSES`). Debian's ``dataset-fashion-mnist`` installs it in
    ``/usr/share/datasets/fashion-mnist``; otherwise as :func:`load_mnist`."""
    return _load_idx_set("fashion-mnist", path, download)


def load_digits(test_size: float = 0.2, seed: int = 0) -> Split:
    """scikit-learn's bundled 8×8 digits (1797 images, values 0..16, uint8), split into
    train and test with a fixed, seeded, class-stratified shuffle."""
    sklearn_digits = require("sklearn.datasets", extra="digits").load_digits

    if not 0 < test_size < 1:
        raise ValueError(f"load_digits: test_size must be in (0, 1), got {test_size}")
    bunch = sklearn_digits()
    images = bunch.images.astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.concatenate([
        rng.permutation(np.flatnonzero(labels == c))[: round(test_size * (labels == c).sum())]
        for c in np.unique(labels)
    ])
    train = np.setdiff1d(np.arange(len(labels)), test)
    train, test = rng.permutation(train), rng.permutation(test)
    return (images[train], labels[train]), (images[test], labels[test])


def scale(images: np.ndarray, maximum: float = 255.0) -> np.ndarray:
    """Pixels as float32 in [0, 1]: ``images / maximum`` (255 for MNIST and Fashion-MNIST,
    :data:`DIGITS_MAXIMUM` = 16 for the digits)."""
    if maximum <= 0:
        raise ValueError(f"scale: maximum must be positive, got {maximum}")
    return (images / np.float32(maximum)).astype(np.float32)
