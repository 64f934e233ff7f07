"""CIFAR-10 / CIFAR-100 from the user's local files in the official *binary* format
(never unpickled: the python-pickle version is refused).

* CIFAR-10 (``cifar-10-binary.tar.gz`` unpacked): ``data_batch_1.bin`` .. ``data_batch_5.bin`` and
  ``test_batch.bin``; each record is 1 label byte + 3072 pixel bytes (R, G, B planes of 32x32).
* CIFAR-100 (``cifar-100-binary.tar.gz`` unpacked): ``train.bin`` and ``test.bin``; each record is
  1 coarse-label byte + 1 fine-label byte + 3072 pixel bytes. The fine labels (100 classes) are used
  unless ``coarse=True``.

The folder may be the one holding the files or any parent of it (``cifar-10-batches-bin``,
``cifar-100-binary`` are searched). Returns :class:`spikesim.io.datasets.ImageSplit` with float32
images in [0, 1], shape (N, 3, 32, 32). ``CIFAR_MEAN``/``CIFAR_STD`` are the normalisation of the
Spikformer recipe.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spikesim.io.datasets import ImageSplit

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
_PIX = 3 * 32 * 32


def _locate(folder: Path, names: list[str]) -> Path:
    if not folder.is_dir():
        raise FileNotFoundError(f"CIFAR folder {folder} does not exist")
    for cand in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        if all((cand / n).exists() for n in names):
            return cand
    raise FileNotFoundError(f"no folder under {folder} holds the CIFAR binary files {names} "
                            "(download the 'binary version' of CIFAR and unpack it)")


def read_records(path: Path, label_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N, 3, 32, 32], label bytes [N, label_bytes]) of one binary CIFAR file."""
    raw = np.fromfile(path, dtype=np.uint8)
    rec = label_bytes + _PIX
    if raw.size == 0 or raw.size % rec:
        raise ValueError(f"{path}: size {raw.size} bytes is not a multiple of the record size {rec}; "
                         "is it a CIFAR binary file of the right dataset?")
    raw = raw.reshape(-1, rec)
    return raw[:, label_bytes:].reshape(-1, 3, 32, 32), raw[:, :label_bytes]


def cifar10(folder: str | os.PathLike) -> ImageSplit:
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    root = _locate(Path(folder), names)
    parts = [read_records(root / n, 1) for n in names]
    xtr = np.concatenate([p[0] for p in parts[:5]])
    ytr = np.concatenate([p[1][:, 0] for p in parts[:5]])
    xte, yte = parts[5][0], parts[5][1][:, 0]
    if ytr.max() > 9 or yte.max() > 9:
        raise ValueError(f"{root}: labels above 9; these are not CIFAR-10 files")
    f = lambda a: (a.astype(np.float32) / 255.0)  # noqa: E731
    return ImageSplit(f(xtr), ytr.astype(np.int64), f(xte), yte.astype(np.int64), "cifar10")


def cifar100(folder: str | os.PathLike, coarse: bool = False) -> ImageSplit:
    root = _locate(Path(folder), ["train.bin", "test.bin"])
    xtr, ltr = read_records(root / "train.bin", 2)
    xte, lte = read_records(root / "test.bin", 2)
    col = 0 if coarse else 1
    f = lambda a: (a.astype(np.float32) / 255.0)  # noqa: E731
    return ImageSplit(f(xtr), ltr[:, col].astype(np.int64), f(xte), lte[:, col].astype(np.int64),
                      "cifar100" + ("-coarse" if coarse else ""))
