"""Nested dictionaries of arrays, scalars and strings <-> HDF5 groups, and a safe reader.

Dicts become groups, numpy arrays and numbers become datasets, strings become UTF-8 string
datasets. Keys must read back unchanged: '/', '.', '' and NUL are refused at write.

Reading treats the file as hostile (:func:`open_readonly`, :func:`audit`, :func:`read_tree`):

* the path must be a regular file (a FIFO, device or socket is refused without blocking: it is
  opened with ``O_NONBLOCK`` and checked with ``fstat`` on the open descriptor), opened read-only;
* every link must be a hard link (external and soft links are refused, never followed);
* datasets must not be virtual or stored in external raw files, and their dtypes must be plain
  numbers, bools or strings (no object references, compound, opaque or variable-length
  non-string types); filters other than deflate and shuffle are refused (nothing can make the
  HDF5 library load a filter plugin);
* the declared sizes of all datasets are added up and compared with ``max_bytes`` before any
  data is read; every deflate-compressed chunk is inflated once with an output cap of its
  declared size, so a compression bomb is refused after at most one chunk's worth of output;
  strings (whose length HDF5 does not declare) are read one element at a time against the
  same budget.

Nothing is ever unpickled.
"""
from __future__ import annotations

import contextlib
import math
import numbers
import os
import stat
import zlib
from typing import Any, Callable, Iterator, Mapping

import h5py
import numpy as np

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ALLOWED_FILTERS = {h5py.h5z.FILTER_DEFLATE: "deflate", h5py.h5z.FILTER_SHUFFLE: "shuffle"}
MAX_DEPTH = 32          # nesting of groups (also stops hard-link cycles)
MAX_OBJECTS = 200_000   # groups + datasets in one file
MAX_CHUNKS = 1_000_000  # allocated chunks of filtered datasets in one file


class UnsafeHDF5Error(ValueError):
    """The file, or an object in it, is refused by the safe reader; the message says why."""


def check_key(key: Any, where: str) -> str:
    """The HDF5 name for a dict key; refuse names that would not read back unchanged."""
    key = str(key)
    if not key or key == "." or "/" in key or "\x00" in key:
        raise ValueError(f"HDF5 key {where}{key!r} must be a non-empty name without '/' or NUL and not '.'")
    return key


# ------------------------------------------------------------------------------------ write
def write_tree(group: h5py.Group, tree: Mapping[str, Any], where: str = "/",
               checkpoint: Callable[[], None] | None = None) -> None:
    """Write ``tree`` under ``group``; raise TypeError naming the key of an unsupported value.
    ``checkpoint`` (if given) is called after every dataset (the atomic saver uses it to act on
    a pending signal between writes)."""
    for key, value in tree.items():
        key = check_key(key, where)
        path = f"{where}{key}"
        if isinstance(value, Mapping):
            write_tree(group.create_group(key), value, path + "/", checkpoint)
            continue
        if isinstance(value, str):
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
        if checkpoint is not None:
            checkpoint()


# ------------------------------------------------------------------------------------- open
@contextlib.contextmanager
def open_readonly(path: str | os.PathLike) -> Iterator[h5py.File]:
    """Open ``path`` read-only as HDF5, refusing anything but a regular HDF5 file.

    Raises FileNotFoundError for a missing path and :class:`UnsafeHDF5Error` for a non-regular
    file, a file without the HDF5 signature at offset 0, or one HDF5 cannot open."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such result file: {path}") from None
    except IsADirectoryError:
        raise UnsafeHDF5Error("it is a directory, not a file") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode))
                    else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise UnsafeHDF5Error(f"it is {kind}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        fobj = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fobj:
        if fobj.read(8) != HDF5_MAGIC:
            raise UnsafeHDF5Error("not HDF5 (no HDF5 signature at the start of the file)")
        fobj.seek(0)
        try:
            f = h5py.File(fobj, "r")
        except Exception as exc:
            raise UnsafeHDF5Error(f"HDF5 cannot open it ({type(exc).__name__}: {_one_line(exc)})") from None
        with f:
            yield f


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


# ------------------------------------------------------------------------------------ audit
def _dtype_problem(dt: np.dtype) -> str | None:
    """None if ``dt`` is a plain number / bool / string dtype, else what is wrong with it."""
    if h5py.check_ref_dtype(dt) is not None:
        return "object or region references"
    if h5py.check_string_dtype(dt) is not None:
        return None
    if h5py.check_vlen_dtype(dt) is not None:
        return "variable-length sequences"
    if dt.subdtype is not None:
        return f"array elements {dt}"
    if dt.kind in "biuf" or (dt.kind == "c" and dt.fields is None):
        return None
    return f"dtype {dt}"


def _declared_bytes(dset: h5py.Dataset) -> int:
    if dset.shape is None:
        return 0
    return int(math.prod(dset.shape)) * int(dset.dtype.itemsize)


class Budget:
    """Bytes the reader may still allocate for data; :meth:`take` raises when exceeded."""

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self.left = int(max_bytes)

    def take(self, n: int, what: str) -> None:
        self.left -= int(n)
        if self.left < 0:
            raise UnsafeHDF5Error(f"{what} takes the data read past the limit of {self.max_bytes} bytes "
                                  "(pass a larger max_bytes to load it)")


def _check_filters_and_chunks(dset: h5py.Dataset, state: dict) -> None:
    dcpl = dset.id.get_create_plist()
    codes = []
    for i in range(dcpl.get_nfilters()):
        code = dcpl.get_filter(i)[0]
        if code not in ALLOWED_FILTERS:
            raise UnsafeHDF5Error(f"dataset {dset.name!r} uses HDF5 filter {code}; only deflate and shuffle are read")
        codes.append(code)
    if h5py.h5z.FILTER_DEFLATE not in codes or dset.chunks is None or dset.shape is None:
        return
    chunk_bytes = int(math.prod(dset.chunks)) * int(dset.dtype.itemsize)
    if chunk_bytes > state["budget"].max_bytes:
        raise UnsafeHDF5Error(f"dataset {dset.name!r} declares chunks of {chunk_bytes} bytes, above the limit")
    n_chunks = dset.id.get_num_chunks()
    state["chunks"] += n_chunks
    if state["chunks"] > MAX_CHUNKS:
        raise UnsafeHDF5Error(f"more than {MAX_CHUNKS} compressed chunks")
    deflate_pos = codes.index(h5py.h5z.FILTER_DEFLATE)
    if deflate_pos != len(codes) - 1:     # on read, the last filter of the pipeline is undone first
        raise UnsafeHDF5Error(f"dataset {dset.name!r} has filters after deflate")
    offsets: list[tuple[int, ...]] = []
    dset.id.chunk_iter(lambda info: offsets.append(info.chunk_offset))
    for off in offsets:
        mask, raw = dset.id.read_direct_chunk(off)
        if (mask >> deflate_pos) & 1:      # deflate was skipped for this chunk: stored as is
            out_len = len(raw)
        else:
            inflater = zlib.decompressobj()
            try:
                out = inflater.decompress(raw, chunk_bytes + 1)
            except zlib.error as exc:
                raise UnsafeHDF5Error(f"dataset {dset.name!r}: corrupt compressed chunk at {off} ({exc})") from None
            out_len = len(out)
            del out
        if out_len > chunk_bytes:
            raise UnsafeHDF5Error(f"dataset {dset.name!r}: a compressed chunk at {off} inflates past its declared "
                                  f"{chunk_bytes} bytes (a compression bomb)")


def audit(f: h5py.File, max_bytes: int) -> int:
    """Walk every link of ``f`` without following any, apply the rules of the module
    docstring, and return the total declared data size in bytes (checked against
    ``max_bytes`` before anything is read)."""
    state = {"objects": 0, "bytes": 0, "chunks": 0, "budget": Budget(max_bytes)}

    def walk(group: h5py.Group, depth: int) -> None:
        if depth > MAX_DEPTH:
            where = group.name if len(group.name) <= 80 else "..." + group.name[-77:]
            raise UnsafeHDF5Error(f"groups nested deeper than {MAX_DEPTH} levels at {where!r} (or a link cycle)")
        for name in group:
            link = group.get(name, getlink=True)
            where = f"{group.name.rstrip('/')}/{name}"
            if isinstance(link, h5py.ExternalLink):
                raise UnsafeHDF5Error(f"{where!r} is an external link (to {link.filename!r}); external links are "
                                      "never followed")
            if isinstance(link, h5py.SoftLink):
                raise UnsafeHDF5Error(f"{where!r} is a soft link (to {link.path!r}); only hard links are read")
            if not isinstance(link, h5py.HardLink):
                raise UnsafeHDF5Error(f"{where!r} is a user-defined link")
            state["objects"] += 1
            if state["objects"] > MAX_OBJECTS:
                raise UnsafeHDF5Error(f"more than {MAX_OBJECTS} objects")
            obj = group[name]
            if isinstance(obj, h5py.Group):
                walk(obj, depth + 1)
            elif isinstance(obj, h5py.Dataset):
                if obj.is_virtual:
                    raise UnsafeHDF5Error(f"dataset {where!r} is a virtual dataset (it maps other files); refused")
                if obj.external:
                    raise UnsafeHDF5Error(f"dataset {where!r} keeps its data in external files "
                                          f"{[e[0] for e in obj.external]}; refused")
                problem = _dtype_problem(obj.dtype)
                if problem:
                    raise UnsafeHDF5Error(f"dataset {where!r} holds {problem}; only numbers and strings are read")
                state["bytes"] += _declared_bytes(obj)
                if state["bytes"] > max_bytes:
                    raise UnsafeHDF5Error(f"its datasets declare more than {max_bytes} bytes (at {where!r}, total so "
                                          f"far {state['bytes']}); pass a larger max_bytes to load it")
                _check_filters_and_chunks(obj, state)
            else:
                raise UnsafeHDF5Error(f"{where!r} is a {type(obj).__name__}, not a group or dataset")

    walk(f, 0)
    return int(state["bytes"])


# ------------------------------------------------------------------------------------- read
def read_dataset(item: h5py.Dataset, budget: Budget | None = None) -> Any:
    """A dataset's value: a Python scalar for 0-d, an array otherwise, None for an empty one.
    Strings are decoded; a string array comes back as an object array of str."""
    if item.shape is None:
        return None
    if h5py.check_string_dtype(item.dtype) is not None:
        if item.ndim == 0:
            data = item.asstr()[()]
            if budget is not None:
                budget.take(len(data), f"string {item.name!r}")
            return data
        out = np.empty(item.shape, dtype=object)
        flat = out.reshape(-1)
        for k, idx in enumerate(np.ndindex(*item.shape)):
            s = item.asstr()[idx]
            if budget is not None:
                budget.take(len(s) + 8, f"strings of {item.name!r}")
            flat[k] = s
        return out
    problem = _dtype_problem(item.dtype)
    if problem:
        raise UnsafeHDF5Error(f"refusing to read dataset {item.name!r}: {problem}")
    if budget is not None:
        budget.take(_declared_bytes(item), f"dataset {item.name!r}")
    data = item[()]
    return data.item() if np.ndim(data) == 0 else np.asarray(data)


def read_tree(group: h5py.Group | Mapping[str, Any], budget: Budget | None = None) -> dict[str, Any]:
    """Read a group (or a mapping of name -> h5py item) written by :func:`write_tree`.
    Links other than hard links are refused (call :func:`audit` first for the full checks)."""
    out: dict[str, Any] = {}
    for key in group:
        if isinstance(group, h5py.Group) and not isinstance(group.get(key, getlink=True), h5py.HardLink):
            raise UnsafeHDF5Error(f"{key!r} in {group.name!r} is not a hard link")
        item = group[key]
        if isinstance(item, h5py.Group):
            out[key] = read_tree(item, budget)
        elif isinstance(item, h5py.Dataset):
            out[key] = read_dataset(item, budget)
        else:
            raise UnsafeHDF5Error(f"{key!r} is a {type(item).__name__}, not a group or dataset")
    return out
