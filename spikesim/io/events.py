"""Event streams as tonic-style structured arrays, and conversion to/from dense ON/OFF tensors.

Conventions (those of the ``tonic`` package, so recorded event-camera data can be fed in):

* an event stream is a NumPy structured array with fields ``x`` (int16, column),
  ``y`` (int16, row), ``t`` (int64, microseconds) and ``p`` (bool, True = ON);
* a dense event tensor, as used by the delay layer, is ``uint8`` of shape ``(2, T, X, Y)``:
  channel 0 = OFF, channel 1 = ON, ``T`` time bins, ``X`` rows, ``Y`` columns (the layout of
  Grimaldi & Perrinet's code, where ``x`` is the row axis). So tensor row = event ``y`` and
  tensor column = event ``x``.

Nothing here unpickles: ``.npy`` files are read with ``allow_pickle=False``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)])


def make_structured_array(x, y, t, p) -> np.ndarray:
    """Events with fields x, y, t (us), p from four equally long 1-D sequences."""
    arrays = [np.asarray(a).ravel() for a in (x, y, t, p)]
    n = arrays[0].size
    for name, a in zip("xytp", arrays):
        if a.size != n:
            raise ValueError(f"make_structured_array: field {name!r} has {a.size} entries, field 'x' has {n}")
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["x"], ev["y"], ev["t"] = arrays[0], arrays[1], arrays[2]
    ev["p"] = arrays[3].astype(bool)
    return ev


def as_events(events) -> np.ndarray:
    """Any structured event array with fields x, y, t, p (tonic's dtypes: any field order, int or
    unsigned coordinates and times, bool or integer polarity) as an :data:`EVENT_DTYPE` array.
    Polarity > 0 is ON; times are kept as given (tonic uses microseconds)."""
    events = _check_events(events)
    if events.dtype == EVENT_DTYPE:
        return events
    return make_structured_array(events["x"], events["y"], events["t"].astype(np.int64), events["p"].astype(np.int64) > 0)


def _check_events(events, name: str = "events") -> np.ndarray:
    events = np.asarray(events)
    if events.dtype.names is None or not {"x", "y", "t", "p"} <= set(events.dtype.names):
        raise ValueError(f"{name} must be a structured array with fields x, y, t, p; got dtype {events.dtype}")
    return events


def tensor_to_events(tensor, dt_us: int = 1000) -> np.ndarray:
    """Events of a dense ``(2, T, X, Y)`` tensor (channel 0 = OFF, 1 = ON), sorted by time.

    A bin ``k`` becomes time ``k * dt_us``; the row index becomes ``y``, the column ``x``.
    """
    a = np.asarray(tensor)
    if a.ndim != 4 or a.shape[0] != 2:
        raise ValueError(f"tensor must have shape (2, T, X, Y); got {a.shape}")
    if dt_us <= 0:
        raise ValueError(f"dt_us must be positive; got {dt_us}")
    pol, t, row, col = np.nonzero(a)
    order = np.lexsort((col, row, pol, t))
    return make_structured_array(col[order], row[order], t[order].astype(np.int64) * int(dt_us), pol[order] == 1)


def events_to_tensor(events, sensor_size: tuple[int, int] | tuple[int, int, int], n_time_bins: int,
                     time_window_us: int = 1000, start_time_us: int = 0) -> np.ndarray:
    """Bin events into a binary ``uint8`` tensor ``(2, T, X, Y)``.

    ``sensor_size`` is tonic's ``(W, H[, P])``: W columns (event ``x``), H rows (event ``y``).
    Bins are half-open ``[start + k*w, start + (k+1)*w)``; events outside ``[0, T)`` bins or
    outside the sensor are dropped. Counts are clamped to 1 (the layer takes binary input).
    """
    events = _check_events(events)
    if len(sensor_size) not in (2, 3) or min(sensor_size[:2]) <= 0:
        raise ValueError(f"sensor_size must be (W, H) or (W, H, P) with positive W, H; got {sensor_size}")
    if n_time_bins <= 0:
        raise ValueError(f"n_time_bins must be positive; got {n_time_bins}")
    if time_window_us <= 0:
        raise ValueError(f"time_window_us must be positive; got {time_window_us}")
    w, h = int(sensor_size[0]), int(sensor_size[1])
    k = (events["t"].astype(np.int64) - int(start_time_us))
    valid = k >= 0
    k = np.where(valid, k // int(time_window_us), 0)
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    valid &= (k < n_time_bins) & (x >= 0) & (x < w) & (y >= 0) & (y < h)
    out = np.zeros((2, n_time_bins, h, w), dtype=np.uint8)
    out[events["p"][valid].astype(np.int64), k[valid], y[valid], x[valid]] = 1
    return out


def load_events(path: str | os.PathLike) -> np.ndarray:
    """Read events from a ``.npy`` file: a structured array with fields x, y, t, p, or a plain
    ``(N, 4)`` numeric array with columns x, y, t (us), p. Never unpickles."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load_events: no such file: {path}")
    if path.suffix != ".npy":
        raise ValueError(f"load_events: only .npy files are supported; got {path.name}")
    try:
        a = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"load_events: {path} holds pickled objects, which are not loaded ({exc})") from None
    if a.dtype.names is not None:
        return make_structured_array(*(a[f] for f in ("x", "y", "t", "p"))) if {"x", "y", "t", "p"} <= set(
            a.dtype.names) else _check_events(a, f"events in {path}")
    if a.ndim != 2 or a.shape[1] != 4:
        raise ValueError(f"load_events: {path} must hold a structured array or an (N, 4) array; got shape {a.shape}")
    return make_structured_array(a[:, 0], a[:, 1], a[:, 2], a[:, 3] > 0)


def save_events(path: str | os.PathLike, events) -> Path:
    """Write events as a structured ``.npy`` file readable by :func:`load_events`."""
    events = _check_events(events)
    path = Path(path)
    np.save(path, make_structured_array(*(events[f] for f in ("x", "y", "t", "p"))), allow_pickle=False)
    return path


__all__ = ["EVENT_DTYPE", "as_events", "make_structured_array", "tensor_to_events", "events_to_tensor", "load_events",
           "save_events"]
