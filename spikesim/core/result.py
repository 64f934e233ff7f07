"""`Result`: what a simulation or a paradigm run returns, and its HDF5 file (DESIGN.md section 6).

File layout::

    /config                JSON string of the run's configuration
    /meta                  versions, seed, backend, start/end time, git revision
    /metrics/...           scalars and arrays, nested groups allowed (e.g. /metrics/hlop/ACC)
    /spikes/<pop>/times    float64 ms;  /spikes/<pop>/ids  int64
    /state/<pop>/<var>     (n_samples, n);  /state/<pop>/_times  sample times in ms
    /<group>/...           paradigm-specific groups (e.g. /accuracy_matrix/hlop)

Files are written to a temporary name in the same folder and renamed, so an interrupted run
never leaves a half-written file, and no temporary file survives an exception, SIGINT or SIGTERM
(:mod:`spikesim.io.atomic`). Loading treats the file as hostile and never unpickles
(:func:`load`, :mod:`spikesim.io.hdf5`).
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from spikesim.core.validate import check_array, check_index_array
from spikesim.io.atomic import atomic_write

# h5py (and spikesim.io.hdf5, which needs it) is imported by the functions that read or write a
# file, not here: ``import spikesim`` and a simulation that saves nothing never load it (0.04 s).

FORMAT_NAME = "spikesim-result"
FORMAT_VERSION = 1
_RESERVED = {"config", "meta", "metrics", "spikes", "state"}


class NotAResultFileError(ValueError):
    """Raised by :func:`load` for a file that is not a spikesim result."""


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"config value of type {type(obj).__name__} is not JSON-serialisable")


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=None)
def git_revision() -> str:
    """The git revision of the checkout spikesim runs from ("" if none); looked up once per
    process (a subprocess: too slow to repeat for every short ``Network.run``)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


@functools.lru_cache(maxsize=None)
def _platform() -> str:
    return platform.platform()


def make_meta(**extra: Any) -> dict[str, Any]:
    """Provenance for a result: package versions, platform, git revision, plus ``extra``."""
    import numba

    from spikesim import __version__

    meta: dict[str, Any] = {
        "spikesim_version": __version__,
        "numpy_version": np.__version__,
        "numba_version": numba.__version__,
        "python_version": platform.python_version(),
        "platform": _platform(),
        "git_revision": git_revision(),
    }
    meta.update({k: v for k, v in extra.items() if v is not None})
    return meta


def _spike_pair(pop, pair) -> tuple[np.ndarray, np.ndarray]:
    """(times float64, ids int64) of one population: 1-D, equal lengths, finite times,
    whole non-negative ids."""
    try:
        t, i = pair
    except (TypeError, ValueError):
        raise TypeError(f"spikes[{pop!r}] must be a pair (times, ids)") from None
    t = check_array(t, f"spikes[{pop!r}] times", copy=False, readonly=False)
    if t.ndim != 1 or np.ndim(i) != 1 or np.size(i) != t.size:
        raise ValueError(f"spikes[{pop!r}] times and ids must be 1-D of one length, got shapes {t.shape} and "
                         f"{np.shape(i)}")
    ids = np.asarray(i)
    if ids.dtype.kind in "iu" and (ids.size == 0 or ids.min() >= 0):
        return t, ids.astype(np.int64, copy=False)
    return t, check_index_array(ids, f"spikes[{pop!r}] ids", 2**63 - 1, readonly=False)


def _state_array(pop, var, a) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"state[{pop!r}][{var!r}] must be numeric, got dtype {arr.dtype}")
    return arr


def _pop_name(pop):
    """A population's name from a name or a ``PopulationHandle`` (anything with ``.name``)."""
    return pop if isinstance(pop, str) else getattr(pop, "name", pop)


class Result:
    """Spikes, state samples, metrics and paradigm data of one run.

    ``res.spikes(pop) -> (times_ms, ids)``, ``res.state(pop, var) -> (n_samples, n)``,
    ``res.state_times(pop)``, ``res.metrics`` (nested dict), ``res.config`` (dict),
    ``res.meta`` (dict), ``res.groups`` (nested dict of paradigm-specific arrays).
    """

    def __init__(self, *, spikes: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
                 state: Mapping[str, Mapping[str, np.ndarray]] | None = None,
                 state_times: Mapping[str, np.ndarray] | None = None,
                 metrics: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None,
                 meta: Mapping[str, Any] | None = None, groups: Mapping[str, Any] | None = None):
        self._spikes = {k: _spike_pair(k, v) for k, v in (spikes or {}).items()}
        self._state = {k: {var: _state_array(k, var, a) for var, a in v.items()} for k, v in (state or {}).items()}
        self._state_times = {k: check_array(v, f"state_times[{k!r}]", shape=(None,), copy=False, readonly=False)
                             for k, v in (state_times or {}).items()}
        self.metrics: dict[str, Any] = dict(metrics or {})
        self.config: dict[str, Any] = dict(config or {})
        self.meta: dict[str, Any] = dict(meta or {})
        self.groups: dict[str, Any] = dict(groups or {})
        clash = _RESERVED & set(self.groups)
        if clash:
            raise ValueError(f"group names {sorted(clash)} are reserved for the result layout")

    # -- access -------------------------------------------------------------------------------
    @property
    def populations(self) -> list[str]:
        """Names of the populations with recorded spikes or state."""
        return sorted(set(self._spikes) | set(self._state))

    def spikes(self, pop) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms) and neuron ids of population ``pop`` (its name or the handle that
        ``Network.add`` returned), sorted by time then id."""
        pop = _pop_name(pop)
        try:
            return self._spikes[pop]
        except KeyError:
            raise KeyError(f"no spikes recorded for population {pop!r}; recorded: {sorted(self._spikes)}") from None

    def state(self, pop, var: str) -> np.ndarray:
        """Samples of state variable ``var`` of ``pop`` (name or handle), shape (n_samples, n)."""
        pop = _pop_name(pop)
        if pop not in self._state:
            raise KeyError(f"no state recorded for population {pop!r}; recorded: {sorted(self._state)}")
        if var not in self._state[pop]:
            raise KeyError(f"variable {var!r} of {pop!r} was not recorded; recorded: {sorted(self._state[pop])}")
        return self._state[pop][var]

    def state_times(self, pop: str) -> np.ndarray:
        """Times (ms) of the state samples of ``pop``."""
        pop = _pop_name(pop)
        return self._state_times[pop]

    def __repr__(self) -> str:
        n_spk = {k: len(v[0]) for k, v in self._spikes.items()}
        return (f"Result(spikes={n_spk}, state={ {k: sorted(v) for k, v in self._state.items()} }, "
                f"metrics={sorted(self.metrics)}, groups={sorted(self.groups)})")

    # -- files --------------------------------------------------------------------------------
    def _check_names(self) -> None:
        """Refuse names that would not read back unchanged (HDF5 reads '.' as the group itself
        and '/' as a path separator), before anything is written."""
        from spikesim.io.hdf5 import check_key
        for pop in self._spikes:
            check_key(pop, "/spikes/")
        for pop, vars_ in self._state.items():
            check_key(pop, "/state/")
            for var in vars_:
                check_key(var, f"/state/{pop}/")
                if var == "_times":
                    raise ValueError(f"state variable name {var!r} of {pop!r} is reserved for the sample times")
        for pop in self._state_times:
            check_key(pop, "/state/")
        for name in self.groups:
            if not isinstance(name, str):
                raise TypeError(f"group names must be strings, got {name!r}")
            check_key(name, "/")
        clash = _RESERVED & set(self.groups)
        if clash:
            raise ValueError(f"group names {sorted(clash)} are reserved for the result layout")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the result to ``path`` (HDF5) atomically; returns the path.

        The data go to ``<name>.<pid>-<random>.tmp`` next to ``path`` and are renamed over it
        at the end; an exception, SIGINT or SIGTERM during the write removes the temporary file
        (and the signal then acts as usual), and a temporary file left by a killed process is
        removed by the next save to the same path (see :mod:`spikesim.io.atomic`). The file gets
        the umask's permissions."""
        import h5py
        from spikesim.io.hdf5 import write_tree
        path = Path(path)
        self._check_names()
        config_text = json.dumps(self.config, default=_json_default, sort_keys=True)
        with atomic_write(path) as (tmp, checkpoint):
            with h5py.File(tmp, "w") as f:
                f.attrs["format"] = FORMAT_NAME
                f.attrs["format_version"] = FORMAT_VERSION
                f.create_dataset("config", data=config_text, dtype=h5py.string_dtype())
                write_tree(f.create_group("meta"), self.meta, "/meta/", checkpoint)
                write_tree(f.create_group("metrics"), self.metrics, "/metrics/", checkpoint)
                sp = f.create_group("spikes")
                for pop, (t, i) in self._spikes.items():
                    g = sp.create_group(pop)
                    g.create_dataset("times", data=t, compression="gzip" if t.size > 4096 else None)
                    g.create_dataset("ids", data=i, compression="gzip" if i.size > 4096 else None)
                    checkpoint()
                st = f.create_group("state")
                for pop, vars_ in self._state.items():
                    g = st.create_group(pop)
                    for var, arr in vars_.items():
                        g.create_dataset(var, data=arr, compression="gzip" if arr.size > 4096 else None)
                        checkpoint()
                    if pop in self._state_times:
                        g.create_dataset("_times", data=self._state_times[pop])
                for name, tree in self.groups.items():
                    if isinstance(tree, Mapping):
                        write_tree(f.create_group(name), tree, f"/{name}/", checkpoint)
                    else:
                        write_tree(f, {name: tree}, "/", checkpoint)
        return path

    # -- other formats (optional extras) ---------------------------------------------------------
    def to_nwb(self, path: str | os.PathLike, **kwargs) -> Path:
        """Write the result as an NWB file (units table, state TimeSeries, config/meta in the
        notes and scratch): :func:`spikesim.io.nwb.to_nwb`; needs ``pip install 'spikesim[nwb]'``."""
        from spikesim.io.nwb import to_nwb
        return to_nwb(self, path, **kwargs)

    def to_neo(self, **kwargs):
        """The result as a ``neo.Block`` of SpikeTrains and AnalogSignals: :func:`spikesim.io.neo.to_neo`;
        needs ``pip install 'spikesim[neo]'``."""
        from spikesim.io.neo import to_neo
        return to_neo(self, **kwargs)


#: Default for ``load(..., max_bytes=)``: the most data (declared dataset sizes, strings as read)
#: one load may allocate.
MAX_LOAD_BYTES = 4 * 2**30


def load(path: str | os.PathLike, max_bytes: int | None = None) -> Result:
    """Read a result written by :meth:`Result.save`, treating the file as untrusted.

    The file is opened read-only and must be a regular file; external/soft links, external
    storage, virtual datasets, references and other non-numeric, non-string dtypes are refused
    before anything is read, as are files whose datasets declare more than ``max_bytes``
    (default :data:`MAX_LOAD_BYTES`, 4 GiB) or whose compressed chunks inflate past their
    declared size (see :mod:`spikesim.io.hdf5`). The layout is checked: ``config`` a JSON
    object, paired ``times`` / ``ids`` 1-D of one length, state samples 2-D with one row per
    sample time. Raises :class:`NotAResultFileError` (a ValueError) naming the path and the
    problem for anything else, and FileNotFoundError for a missing file. Never unpickles."""
    from spikesim.io.hdf5 import Budget, UnsafeHDF5Error, audit, open_readonly
    path = Path(path)
    limit = MAX_LOAD_BYTES if max_bytes is None else int(max_bytes)

    def bad(why: str) -> NotAResultFileError:
        return NotAResultFileError(f"{path} is not a spikesim result file: {why}")

    try:
        with open_readonly(path) as f:
            _check_format(f, bad)
            audit(f, limit)
            budget = Budget(limit)
            return _read_result(f, budget, bad)
    except FileNotFoundError:
        raise
    except NotAResultFileError:
        raise
    except UnsafeHDF5Error as exc:
        raise bad(str(exc)) from None
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:  # h5py/HDF5 errors on corrupt internals, decoding errors, ...
        raise bad(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None


def _read_attr(f: h5py.File, name: str, bad):
    """A root attribute, read only if it is a small scalar number or string."""
    import h5py
    if name not in f.attrs:
        return None
    aid = h5py.h5a.open(f.id, name.encode())
    if aid.shape not in ((), None) or aid.get_storage_size() > 4096:
        raise bad(f"attribute {name!r} is not a small scalar")
    problem = h5py.check_string_dtype(aid.dtype) is None and aid.dtype.kind not in "iuf"
    if problem:
        raise bad(f"attribute {name!r} has dtype {aid.dtype}")
    value = f.attrs[name]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _check_format(f: h5py.File, bad) -> None:
    fmt = _read_attr(f, "format", bad)
    if fmt != FORMAT_NAME:
        raise bad(f"missing format attribute {FORMAT_NAME!r}")
    version = _read_attr(f, "format_version", bad)
    if version is None or isinstance(version, str) or not float(version).is_integer():
        raise bad(f"format_version {version!r} is not an integer")
    if int(version) > FORMAT_VERSION:
        raise bad(f"it has result format version {int(version)}; this spikesim reads up to {FORMAT_VERSION}")


def _member(group: h5py.Group, name: str, kind: type, bad, where: str):
    if name not in group:
        raise bad(f"{where}{name} is missing")
    item = group[name]
    if not isinstance(item, kind):
        raise bad(f"{where}{name} is a {type(item).__name__}, expected a {kind.__name__}")
    return item


def _numeric(d: h5py.Dataset, kinds: str, ndim: int, bad, what: str) -> None:
    if d.shape is None or len(d.shape) != ndim or d.dtype.kind not in kinds:
        raise bad(f"{d.name} must be a {ndim}-D {what} array, got shape {d.shape} dtype {d.dtype}")


def _read_result(f: h5py.File, budget: Budget, bad) -> Result:
    import h5py
    from spikesim.io.hdf5 import read_dataset, read_tree
    cfg = _member(f, "config", h5py.Dataset, bad, "/")
    if cfg.shape != () or h5py.check_string_dtype(cfg.dtype) is None:
        raise bad("/config must be a scalar string")
    text = read_dataset(cfg, budget)
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise bad(f"/config is not JSON ({' '.join(str(exc).split())[:100]})") from None
    if not isinstance(config, dict):
        raise bad(f"/config must be a JSON object, got {type(config).__name__}")
    meta = read_tree(_member(f, "meta", h5py.Group, bad, "/"), budget)
    metrics = read_tree(_member(f, "metrics", h5py.Group, bad, "/"), budget)
    spikes = {}
    for pop in _member(f, "spikes", h5py.Group, bad, "/"):
        g = _member(f["spikes"], pop, h5py.Group, bad, "/spikes/")
        t = _member(g, "times", h5py.Dataset, bad, f"/spikes/{pop}/")
        i = _member(g, "ids", h5py.Dataset, bad, f"/spikes/{pop}/")
        _numeric(t, "f", 1, bad, "float")
        _numeric(i, "iu", 1, bad, "integer")
        if t.shape != i.shape:
            raise bad(f"/spikes/{pop}: {t.shape[0]} times but {i.shape[0]} ids")
        spikes[pop] = (read_dataset(t, budget), read_dataset(i, budget))
    state, state_times = {}, {}
    for pop in _member(f, "state", h5py.Group, bad, "/"):
        g = _member(f["state"], pop, h5py.Group, bad, "/state/")
        rows = None
        if "_times" in g:
            tt = _member(g, "_times", h5py.Dataset, bad, f"/state/{pop}/")
            _numeric(tt, "f", 1, bad, "float")
            rows = tt.shape[0]
        shapes = {}
        for var in g:
            if var == "_times":
                continue
            d = _member(g, var, h5py.Dataset, bad, f"/state/{pop}/")
            _numeric(d, "iuf", 2, bad, "numeric")
            shapes[var] = d.shape
        if len(set(shapes.values())) > 1:
            raise bad(f"/state/{pop}: variables have different shapes {shapes}")
        if rows is not None and shapes and next(iter(shapes.values()))[0] != rows:
            raise bad(f"/state/{pop}: {next(iter(shapes.values()))[0]} samples but {rows} sample times")
        state[pop] = {var: read_dataset(g[var], budget) for var in shapes}
        if rows is not None:
            state_times[pop] = read_dataset(g["_times"], budget)
    groups = {}
    for name in f:
        if name in _RESERVED:
            continue
        item = f[name]
        groups[name] = read_tree(item, budget) if isinstance(item, h5py.Group) else read_dataset(item, budget)
    return Result(spikes=spikes, state=state, state_times=state_times, metrics=metrics, config=config,
                  meta=meta, groups=groups)
