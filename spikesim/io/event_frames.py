"""Event streams (tonic-style structured arrays with fields x, y, t, p) binned into T frames.

``events_to_frames(ev, sensor_size=(W, H), T, split_by="number"|"time")`` returns float32
``[T, 2, H, W]`` spike counts per polarity: "number" splits the stream into T slices with equal
event counts (SpikingJelly's ``split_by='number'``, used by Spikformer for CIFAR10-DVS), "time"
into T equal time windows.

``event_folder(folder, T, ...)`` reads a dataset laid out as ``folder/<split>/<class>/*.npy`` (or
``.npz`` with one array), each a structured event array, where ``<split>`` is ``train``/``test``
(if there is no split level, the first 90 % of each class in file-name order train, the last 10 %
test, as in the Spikformer CIFAR10-DVS code). Nothing is unpickled.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spikesim.io.datasets import ImageSplit


def events_to_frames(events: np.ndarray, sensor_size: tuple[int, int], T: int, split_by: str = "number") -> np.ndarray:
    names = getattr(events.dtype, "names", None) or ()
    missing = [f for f in ("x", "y", "t", "p") if f not in names]
    if missing:
        raise ValueError(f"events must be a structured array with fields x, y, t, p; missing {missing}")
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    W, H = sensor_size
    frames = np.zeros((T, 2, H, W), dtype=np.float32)
    n = len(events)
    if n == 0:
        return frames
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    p = (events["p"].astype(np.int64) > 0).astype(np.int64)
    if x.min() < 0 or x.max() >= W or y.min() < 0 or y.max() >= H:
        raise ValueError(f"event coordinates outside sensor_size {sensor_size}")
    if split_by == "number":
        b = (np.arange(n) * T) // n
    elif split_by == "time":
        t = events["t"].astype(np.float64)
        span = t.max() - t.min()
        b = np.zeros(n, dtype=np.int64) if span == 0 else np.minimum(((t - t.min()) / span * T).astype(np.int64), T - 1)
    else:
        raise ValueError(f"split_by must be 'number' or 'time', got {split_by!r}")
    np.add.at(frames, (b, p, y, x), 1.0)
    return frames


def _load(path: Path) -> np.ndarray:
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return z[z.files[0]]
    return np.load(path, allow_pickle=False)


def event_folder(folder: str | os.PathLike, T: int, sensor_size: tuple[int, int] | None = None,
                 split_by: str = "number", train_fraction: float = 0.9) -> ImageSplit:
    """Event dataset -> ImageSplit with x of shape (N, T, 2, H, W)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"event dataset folder {folder} does not exist")
    splits = {s: folder / s for s in ("train", "test") if (folder / s).is_dir()}
    layout: dict[str, list[tuple[Path, str]]] = {"train": [], "test": []}
    if splits:
        for s, d in splits.items():
            for c in sorted(p for p in d.iterdir() if p.is_dir()):
                layout[s] += [(f, c.name) for f in sorted(c.glob("*.np[yz]"))]
    else:
        for c in sorted(p for p in folder.iterdir() if p.is_dir()):
            files = sorted(c.glob("*.np[yz]"))
            k = int(round(train_fraction * len(files)))
            layout["train"] += [(f, c.name) for f in files[:k]]
            layout["test"] += [(f, c.name) for f in files[k:]]
    classes = sorted({c for v in layout.values() for _, c in v})
    if not layout["train"] or not layout["test"]:
        raise FileNotFoundError(f"{folder}: expected <class>/*.npy event files (optionally under train/ and test/)")
    cidx = {c: i for i, c in enumerate(classes)}
    if sensor_size is None:
        mx = my = 0
        for f, _ in layout["train"] + layout["test"]:
            ev = _load(f)
            if len(ev):
                mx, my = max(mx, int(ev["x"].max())), max(my, int(ev["y"].max()))
        sensor_size = (mx + 1, my + 1)
    out = {}
    for s, items in layout.items():
        x = np.stack([events_to_frames(_load(f), sensor_size, T, split_by) for f, _ in items])
        out[s] = (x, np.array([cidx[c] for _, c in items], dtype=np.int64))
    return ImageSplit(out["train"][0], out["train"][1], out["test"][0], out["test"][1], folder.name)
