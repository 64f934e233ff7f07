"""Nested dictionaries of arrays, scalars and strings <-> HDF5 groups.

Dicts become groups, numpy arrays and numbers become datasets, strings become UTF-8 string
datasets. Reading never unpickles: only plain numeric and string datasets are accepted.
"""
from __future__ import annotations

import numbers
from typing import Any, Mapping

import h5py
import numpy as np


def write_tree(group: h5py.Group, tree: Mapping[str, Any], where: str = "/") -> None:
    """Write ``tree`` under ``group``; raise TypeError naming the key of an unsupported value."""
    for key, value in tree.items():
        key = str(key)
        if "/" in key:
            raise ValueError(f"HDF5 key {where}{key!r} must not contain '/'")
        path = f"{where}{key}"
        if isinstance(value, Mapping):
            write_tree(group.create_group(key), value, path + "/")
        elif isinstance(value, str):
            group.create_dataset(key, data=value, dtype=h5py.string_dtype())
        elif value is None:
            group.create_dataset(key, data=h5py.Empty("f8"))
        elif isinstance(value, (numbers.Number, np.generic, np.ndarray, list, tuple)):
            arr = np.asarray(value)
            if arr.dtype.kind in "OUS":
                if arr.dtype.kind == "O" and not all(isinstance(x, str) for x in arr.ravel()):
                    raise TypeError(f"cannot store {path}: object arrays are not supported")
                group.create_dataset(key, data=arr.astype(object), dtype=h5py.string_dtype())
            else:
                group.create_dataset(key, data=arr)
        else:
            raise TypeError(f"cannot store {path}: unsupported type {type(value).__name__}")


def read_tree(group: h5py.Group | Mapping[str, Any]) -> dict[str, Any]:
    """Read a group (or a mapping of name -> h5py item) written by :func:`write_tree`;
    0-d datasets come back as Python scalars."""
    out: dict[str, Any] = {}
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            out[key] = read_tree(item)
            continue
        if item.shape is None:
            out[key] = None
            continue
        if h5py.check_string_dtype(item.dtype) is not None:
            data = item.asstr()[()]
            out[key] = data if isinstance(data, str) else np.asarray(data, dtype=object)
            continue
        if item.dtype.kind not in "biufc":
            raise ValueError(f"refusing to read dataset {item.name!r} of dtype {item.dtype}")
        data = item[()]
        out[key] = data.item() if np.ndim(data) == 0 else np.asarray(data)
    return out
