"""The sweep's table: one row per (point, seed, model, metric), written to ``DIR/sweep.h5``.

Format choice: HDF5 (h5py), not Parquet. Every point already writes an HDF5 ``result.h5`` and
h5py is a declared dependency, while Parquet would need pyarrow (not installed) or fastparquet,
and pandas, which is only present as someone else's dependency. The table is small (points x
metrics rows) and column-oriented HDF5 datasets read back with h5py or, when pandas is there,
straight into a DataFrame (:meth:`SweepTable.to_pandas`). The file is written to a temporary
name and renamed, like every result file.

Layout of ``sweep.h5``::

    attrs: format="spikesim-sweep", format_version, sweep (JSON: paradigm, preset, models, grid, seeds)
    /table/point   str    point hash (its folder under points/)
    /table/seed    int64
    /table/model   str    model the metric belongs to; "*" for metrics shared by several models
    /table/metric  str    path in the result's metrics tree, e.g. "exc/rate_hz"
    /table/value   float64
    /table/param/<key>    the grid value of the row's point (float64 if numeric, else str)
    /points/hash, /points/seed, /points/status ("done" | "error" | "missing"),
    /points/error (one line), /points/traceback, /points/param/<key>

Which metrics become rows: every numeric scalar leaf of ``result.metrics`` (arrays are left in
the point's result.h5). In multi-model paradigms the top level of the metrics tree is keyed by
model name (``metrics["hlop"]["ACC"]``); such a key gives the row's ``model``, other keys are
shared (model "*") unless only one model ran, whose name they then get.
"""
from __future__ import annotations

import json
import numbers
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import h5py
import numpy as np

from .runner import point_dir

FORMAT_NAME = "spikesim-sweep"
FORMAT_VERSION = 1
SHARED = "*"


@dataclass
class SweepTable:
    """Columns of the table (numpy arrays), the per-point status, and where they came from."""

    columns: dict[str, np.ndarray]
    params: list[str]
    points: dict[str, np.ndarray]
    sweep: dict[str, Any]
    path: Path | None = None
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.columns["value"])

    def rows(self) -> Iterator[dict[str, Any]]:
        names = list(self.columns)
        for i in range(len(self)):
            yield {n: _py(self.columns[n][i]) for n in names}

    def metric(self, metric: str, model: str | None = None) -> dict[str, np.ndarray]:
        """The rows of one metric (and model) as columns."""
        mask = self.columns["metric"] == metric
        if model is not None:
            mask &= self.columns["model"] == model
        return {k: v[mask] for k, v in self.columns.items()}

    def to_pandas(self):
        """The table as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame({k: v for k, v in self.columns.items()})

    @property
    def failed_points(self) -> list[str]:
        return [str(h) for h, s in zip(self.points["hash"], self.points["status"]) if s == "error"]


def _py(x):
    return x.item() if isinstance(x, np.generic) else x


def flatten_metrics(metrics: Mapping[str, Any], models: list[str]) -> list[tuple[str, str, float]]:
    """(model, metric path, value) for every numeric scalar leaf (see the module docstring)."""
    out: list[tuple[str, str, float]] = []

    def walk(model: str, prefix: str, tree: Mapping[str, Any]):
        for key, value in tree.items():
            if isinstance(value, Mapping):
                walk(model, f"{prefix}{key}/", value)
            elif isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, (bool, np.bool_)) \
                    and np.isrealobj(value):
                out.append((model, f"{prefix}{key}", float(value)))
            elif isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
                out.append((model, f"{prefix}{key}", float(value)))

    shared = models[0] if len(models) == 1 else SHARED
    for key, value in metrics.items():
        if key in models and isinstance(value, Mapping):
            walk(key, "", value)
        else:
            walk(shared, "", {key: value})
    return out


def read_metrics(path: Path) -> dict[str, Any]:
    """Only the /metrics tree of a result file (not its spikes)."""
    from spikesim.io.hdf5 import read_tree

    with h5py.File(path, "r") as f:
        return read_tree(f["metrics"])


def _param_column(values: list[Any]) -> np.ndarray:
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.float64)
    return np.asarray([str(v) for v in values], dtype=object)


def build(run) -> SweepTable:
    """Collect the table of a finished :class:`spikesim.sweep.runner.SweepRun` from the point folders."""
    spec = run.spec
    keys = list(spec.grid)
    rows: dict[str, list] = {"point": [], "seed": [], "model": [], "metric": [], "value": []}
    prow: dict[str, list] = {k: [] for k in keys}
    pts: dict[str, list] = {"hash": [], "seed": [], "status": [], "error": [], "traceback": []}
    ppar: dict[str, list] = {k: [] for k in keys}
    for p in spec.points:
        folder = point_dir(run.out, p.hash)
        status, error, tb = "missing", "", ""
        if (folder / "result.h5").is_file():
            status = "done"
            for model, metric, value in flatten_metrics(read_metrics(folder / "result.h5"), spec.models):
                for name, v in (("point", p.hash), ("seed", p.seed), ("model", model), ("metric", metric),
                                ("value", value)):
                    rows[name].append(v)
                for k in keys:
                    prow[k].append(p.params[k])
        elif (folder / "error.json").is_file():
            status = "error"
            rec = json.loads((folder / "error.json").read_text())
            error = f"{rec.get('type', 'Error')}: {rec.get('message', '')}".splitlines()[0]
            tb = rec.get("traceback", "")
        for name, v in (("hash", p.hash), ("seed", p.seed), ("status", status), ("error", error),
                        ("traceback", tb)):
            pts[name].append(v)
        for k in keys:
            ppar[k].append(p.params[k])
    columns = {
        "point": np.asarray(rows["point"], dtype=object),
        "seed": np.asarray(rows["seed"], dtype=np.int64),
        "model": np.asarray(rows["model"], dtype=object),
        "metric": np.asarray(rows["metric"], dtype=object),
        "value": np.asarray(rows["value"], dtype=np.float64),
    }
    for k in keys:
        columns[k] = _param_column(prow[k]) if prow[k] else np.asarray([], dtype=np.float64)
    points = {n: np.asarray(v, dtype=np.int64 if n == "seed" else object) for n, v in pts.items()}
    for k in keys:
        points[k] = _param_column(ppar[k])
    return SweepTable(columns, keys, points, spec.describe(), ran=list(run.ran), skipped=list(run.skipped),
                      failed=dict(run.failed))


def _dataset(group: h5py.Group, name: str, arr: np.ndarray) -> None:
    if arr.dtype == object:
        group.create_dataset(name, data=np.asarray([str(x) for x in arr], dtype=object),
                             dtype=h5py.string_dtype())
    else:
        group.create_dataset(name, data=arr)


def save(table: SweepTable, path: Path) -> Path:
    """Write ``table`` to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT_NAME
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["sweep"] = json.dumps(table.sweep, sort_keys=True)
            f.attrs["params"] = json.dumps(table.params)
            t = f.create_group("table")
            tp = t.create_group("param")
            for name, arr in table.columns.items():
                _dataset(tp if name in table.params else t, name, arr)
            g = f.create_group("points")
            gp = g.create_group("param")
            for name, arr in table.points.items():
                _dataset(gp if name in table.params else g, name, arr)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    table.path = path
    return path


def write(run) -> SweepTable:
    """Build the table of ``run`` and save it as ``run.out/sweep.h5``."""
    table = build(run)
    save(table, Path(run.out) / "sweep.h5")
    return table


def load(path: str | os.PathLike) -> SweepTable:
    """Read a ``sweep.h5`` (or the sweep folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "sweep.h5"
    if not path.is_file():
        raise FileNotFoundError(f"no sweep table at {path}")

    def read(d) -> np.ndarray:
        if h5py.check_string_dtype(d.dtype) is not None:
            return np.asarray(d.asstr()[()], dtype=object)
        return d[()]

    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT_NAME:
            raise ValueError(f"{path} is not a spikesim sweep table")
        params = json.loads(f.attrs["params"])
        sweep = json.loads(f.attrs["sweep"])
        columns = {n: read(f["table"][n]) for n in ("point", "seed", "model", "metric", "value")}
        columns.update({k: read(f["table/param"][k]) for k in params})
        points = {n: read(f["points"][n]) for n in ("hash", "seed", "status", "error", "traceback")}
        points.update({k: read(f["points/param"][k]) for k in params})
    return SweepTable(columns, params, points, sweep, path=path)
