"""Event datasets that ``tonic`` has already saved on the user's disk, read through tonic's own
readers and binned into frames with tonic's ``ToFrame`` transform.

``tonic`` (optional extra ``spikesim[events]``) downloads datasets on first use; here nothing is
downloaded: a dataset that is not in ``root/<ClassName>/`` in tonic's extracted layout raises
``FileNotFoundError`` naming the folder tonic expects. Supported (name -> tonic class, splits):

* ``nmnist`` -> ``tonic.datasets.NMNIST`` (34 x 34; tonic's train / test)
* ``dvsgesture`` -> ``tonic.datasets.DVSGesture`` (128 x 128; tonic's train / test)
* ``cifar10dvs`` -> ``tonic.datasets.CIFAR10DVS`` (128 x 128; one set: the first
  ``train_fraction`` = 90 % of each class in tonic's file order train, the rest test, as the
  Spikformer CIFAR10-DVS code splits it)

``frames`` are float32 event counts ``[N, T, 2, H, W]`` (tonic's ``ToFrame`` with
``n_event_bins = T`` for ``split_by="number"`` (SpikingJelly's split, used by Spikformer) or
``n_time_bins = T`` for ``"time"``). Tonic's event arrays (fields x, y, t, p in any order, integer
or bool polarity) are accepted by :func:`spikesim.io.events.as_events` and everything built on it.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spikesim.io.datasets import ImageSplit

TONIC_DATASETS = {"nmnist": "NMNIST", "dvsgesture": "DVSGesture", "cifar10dvs": "CIFAR10DVS"}


def _tonic():
    try:
        import tonic
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("reading tonic datasets needs the 'tonic' package: pip install 'spikesim[events]'") from exc
    return tonic


def open_saved(name: str, root: str | os.PathLike, train: bool = True, transform=None):
    """The tonic dataset object for data already under ``root`` (never downloads)."""
    if name not in TONIC_DATASETS:
        raise ValueError(f"tonic dataset must be one of {sorted(TONIC_DATASETS)}, got {name!r}")
    tonic = _tonic()
    base = getattr(tonic.datasets, TONIC_DATASETS[name])

    class _Saved(base):                                     # tonic's reader, download refused
        def download(self):
            raise FileNotFoundError(
                f"{TONIC_DATASETS[name]} is not in {self.location_on_system} in tonic's extracted layout "
                f"(expected {self.filename!r} and its extracted files); nothing is downloaded: run tonic's own "
                f"download once, e.g. tonic.datasets.{TONIC_DATASETS[name]}(save_to={str(root)!r})")

    _Saved.__name__ = base.__name__                          # tonic's folder is root/<ClassName>
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"tonic data folder {root} does not exist")
    kw = {} if name == "cifar10dvs" else {"train": train}
    return _Saved(str(root), transform=transform, **kw)


def _frame_transform(sensor_size, T: int, split_by: str):
    tonic = _tonic()
    if split_by == "number":
        return tonic.transforms.ToFrame(sensor_size=sensor_size, n_event_bins=T)
    if split_by == "time":
        return tonic.transforms.ToFrame(sensor_size=sensor_size, n_time_bins=T)
    raise ValueError(f"split_by must be 'number' or 'time', got {split_by!r}")


def _stack(ds, indices) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for i in indices:
        f, y = ds[int(i)]
        xs.append(np.asarray(f, np.float32))
        ys.append(int(y))
    return np.stack(xs), np.asarray(ys, np.int64)


def _subset(n_have: int, n_want: int, rng: np.random.Generator) -> np.ndarray:
    if not n_want or n_want >= n_have:
        return np.arange(n_have)
    return np.sort(rng.choice(n_have, n_want, replace=False))


def tonic_frames(name: str, root: str | os.PathLike, T: int, split_by: str = "number", n_train: int = 0,
                 n_test: int = 0, train_fraction: float = 0.9, seed: int = 0) -> ImageSplit:
    """A saved tonic dataset as frames ``[N, T, 2, H, W]`` with labels (see the module docstring)."""
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction!r}")
    rng = np.random.default_rng(seed)
    probe = open_saved(name, root, True)
    tf = _frame_transform(probe.sensor_size, T, split_by)
    if name == "cifar10dvs":
        ds = open_saved(name, root, True, transform=tf)
        targets = np.asarray(ds.targets, np.int64)
        train_idx, test_idx = [], []
        for c in np.unique(targets):
            idx = np.flatnonzero(targets == c)
            k = int(round(train_fraction * len(idx)))
            train_idx.append(idx[:k])
            test_idx.append(idx[k:])
        tr, te = np.concatenate(train_idx), np.concatenate(test_idx)
        tr, te = tr[_subset(len(tr), n_train, rng)], te[_subset(len(te), n_test, rng)]
        xtr, ytr = _stack(ds, tr)
        xte, yte = _stack(ds, te)
    else:
        train, test = open_saved(name, root, True, transform=tf), open_saved(name, root, False, transform=tf)
        xtr, ytr = _stack(train, _subset(len(train), n_train, rng))
        xte, yte = _stack(test, _subset(len(test), n_test, rng))
    return ImageSplit(xtr, ytr, xte, yte, f"tonic:{name}")
