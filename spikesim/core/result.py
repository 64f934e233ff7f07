"""`Result`: what a simulation or a paradigm run returns, and its HDF5 file (DESIGN.md section 6).

File layout::

    /config                JSON string of the run's configuration
    /meta                  versions, seed, backend, start/end time, git revision
    /metrics/...           scalars and arrays, nested groups allowed (e.g. /metrics/hlop/ACC)
    /spikes/<pop>/times    float64 ms;  /spikes/<pop>/ids  int64
    /state/<pop>/<var>     (n_samples, n);  /state/<pop>/_times  sample times in ms
    /<group>/...           paradigm-specific groups (e.g. /accuracy_matrix/hlop)

Files are written to a temporary name in the same folder and renamed, so an interrupted run
never leaves a half-written file. Loading never unpickles.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np

from spikesim.io.hdf5 import read_tree, write_tree

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


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def make_meta(**extra: Any) -> dict[str, Any]:
    """Provenance for a result: package versions, platform, git revision, plus ``extra``."""
    import numba

    from spikesim import __version__

    meta: dict[str, Any] = {
        "spikesim_version": __version__,
        "numpy_version": np.__version__,
        "numba_version": numba.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "git_revision": git_revision(),
    }
    meta.update({k: v for k, v in extra.items() if v is not None})
    return meta


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
        self._spikes = {k: (np.asarray(t, dtype=np.float64), np.asarray(i, dtype=np.int64))
                        for k, (t, i) in (spikes or {}).items()}
        self._state = {k: {var: np.asarray(a) for var, a in v.items()} for k, v in (state or {}).items()}
        self._state_times = {k: np.asarray(v, dtype=np.float64) for k, v in (state_times or {}).items()}
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

    def spikes(self, pop: str) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms) and neuron ids of population ``pop``, sorted by time then id."""
        try:
            return self._spikes[pop]
        except KeyError:
            raise KeyError(f"no spikes recorded for population {pop!r}; recorded: {sorted(self._spikes)}") from None

    def state(self, pop: str, var: str) -> np.ndarray:
        """Samples of state variable ``var`` of ``pop``, shape (n_samples, n)."""
        if pop not in self._state:
            raise KeyError(f"no state recorded for population {pop!r}; recorded: {sorted(self._state)}")
        if var not in self._state[pop]:
            raise KeyError(f"variable {var!r} of {pop!r} was not recorded; recorded: {sorted(self._state[pop])}")
        return self._state[pop][var]

    def state_times(self, pop: str) -> np.ndarray:
        """Times (ms) of the state samples of ``pop``."""
        return self._state_times[pop]

    def __repr__(self) -> str:
        n_spk = {k: len(v[0]) for k, v in self._spikes.items()}
        return (f"Result(spikes={n_spk}, state={ {k: sorted(v) for k, v in self._state.items()} }, "
                f"metrics={sorted(self.metrics)}, groups={sorted(self.groups)})")

    # -- files --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the result to ``path`` (HDF5) atomically; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            with h5py.File(tmp, "w") as f:
                f.attrs["format"] = FORMAT_NAME
                f.attrs["format_version"] = FORMAT_VERSION
                f.create_dataset("config", data=json.dumps(self.config, default=_json_default, sort_keys=True),
                                 dtype=h5py.string_dtype())
                write_tree(f.create_group("meta"), self.meta, "/meta/")
                write_tree(f.create_group("metrics"), self.metrics, "/metrics/")
                sp = f.create_group("spikes")
                for pop, (t, i) in self._spikes.items():
                    g = sp.create_group(pop)
                    g.create_dataset("times", data=t, compression="gzip" if t.size > 4096 else None)
                    g.create_dataset("ids", data=i, compression="gzip" if i.size > 4096 else None)
                st = f.create_group("state")
                for pop, vars_ in self._state.items():
                    g = st.create_group(pop)
                    for var, arr in vars_.items():
                        g.create_dataset(var, data=arr, compression="gzip" if arr.size > 4096 else None)
                    if pop in self._state_times:
                        g.create_dataset("_times", data=self._state_times[pop])
                for name, tree in self.groups.items():
                    if isinstance(tree, Mapping):
                        write_tree(f.create_group(name), tree, f"/{name}/")
                    else:
                        write_tree(f, {name: tree})
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        return path


def load(path: str | os.PathLike) -> Result:
    """Read a result written by :meth:`Result.save`. Raises :class:`NotAResultFileError`
    (a ValueError) for anything else, and FileNotFoundError for a missing file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such result file: {path}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise NotAResultFileError(f"{path} is not a spikesim result file (not HDF5: {exc})") from None
    with f:
        if f.attrs.get("format") != FORMAT_NAME:
            raise NotAResultFileError(f"{path} is not a spikesim result file (missing format attribute "
                                      f"{FORMAT_NAME!r})")
        version = int(f.attrs.get("format_version", 0))
        if version > FORMAT_VERSION:
            raise NotAResultFileError(f"{path} has result format version {version}; this spikesim reads "
                                      f"up to {FORMAT_VERSION}")
        config = json.loads(f["config"].asstr()[()])
        meta = read_tree(f["meta"])
        metrics = read_tree(f["metrics"])
        spikes = {pop: (g["times"][()], g["ids"][()]) for pop, g in f["spikes"].items()}
        state, state_times = {}, {}
        for pop, g in f["state"].items():
            state[pop] = {var: d[()] for var, d in g.items() if var != "_times"}
            if "_times" in g:
                state_times[pop] = g["_times"][()]
        groups = read_tree({k: v for k, v in f.items() if k not in _RESERVED})
    return Result(spikes=spikes, state=state, state_times=state_times, metrics=metrics, config=config,
                  meta=meta, groups=groups)
