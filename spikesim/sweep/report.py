"""Metric-vs-parameter curves with the spread over seeds, and the printed summary table.

For a metric m, a swept key k and one combination c of the other keys' values, the curve is

    mean_s m(k = x, c, s)   against x,   with error bars  sd_s m(k = x, c, s)   (ddof = 1)

over the seeds s (single seeds are drawn as dots too). One PNG per (model, metric), one panel per
swept key, one line per combination of the other keys. A sweep over seeds only draws each
metric against the seed. Figures are made as ``matplotlib.figure.Figure`` objects, never through
pyplot, so writing the report does not change the plotting backend of a notebook.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np

from .aggregate import SHARED, SweepTable


def _stats(values: np.ndarray) -> tuple[float, float, int]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan"), float("nan"), 0
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0, int(v.size)


def _grid_values(table: SweepTable, key: str) -> list[Any]:
    """The key's values in the sweep's order (numbers sorted)."""
    values = list(table.sweep["grid"][key])
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return values


def _same(col: np.ndarray, value: Any) -> np.ndarray:
    if col.dtype == object:
        return col == str(value)
    return col == float(value)


def metric_names(table: SweepTable) -> list[tuple[str, str]]:
    """(model, metric) pairs in first-seen order."""
    seen: dict[tuple[str, str], None] = {}
    for mo, me in zip(table.columns["model"], table.columns["metric"]):
        seen.setdefault((str(mo), str(me)), None)
    return list(seen)


def plot_metric(table: SweepTable, metric: str, model: str | None = None, axes=None):
    """Draw one metric against every swept key into ``axes`` (a list, one per key; made with
    pyplot if None). Returns the figure."""
    sel = table.metric(metric, model)
    keys = table.params or ["seed"]
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.2), squeeze=False)
        axes = list(axes[0])
    fig = axes[0].figure
    for ax, key in zip(axes, keys):
        if key == "seed":
            seeds = sel["seed"]
            ax.plot(seeds, sel["value"], "o")
            mean, sd, _ = _stats(sel["value"])
            ax.axhline(mean, color="k", lw=1)
            ax.set_title(f"mean {mean:.4g} +- {sd:.3g} (sd over seeds)", fontsize=9)
            ax.set_xlabel("seed")
        else:
            xs = _grid_values(table, key)
            numeric = sel[key].dtype != object
            pos = np.asarray(xs, dtype=float) if numeric else np.arange(len(xs), dtype=float)
            others = [k for k in table.params if k != key]
            for combo in itertools.product(*(_grid_values(table, k) for k in others)):
                mask = np.ones(len(sel["value"]), dtype=bool)
                for k, v in zip(others, combo):
                    mask &= _same(sel[k], v)
                if not mask.any():
                    continue
                stats = [_stats(sel["value"][mask & _same(sel[key], x)]) for x in xs]
                mean = np.array([s[0] for s in stats])
                sd = np.array([s[1] for s in stats])
                label = ", ".join(f"{k}={v}" for k, v in zip(others, combo)) or None
                line = ax.errorbar(pos, mean, yerr=sd, marker="o", capsize=3, label=label)
                for x, p in zip(xs, pos):  # the single seeds
                    vals = sel["value"][mask & _same(sel[key], x)]
                    ax.plot(np.full(vals.size, p), vals, ".", color=line[0].get_color(), alpha=0.35)
            if not numeric:
                ax.set_xticks(pos, [str(x) for x in xs])
            ax.set_xlabel(key)
            if others:
                ax.legend(fontsize=7)
        ax.set_ylabel(metric)
    fig.suptitle(f"{table.sweep['paradigm']}: {metric}" + (f" ({model})" if model and model != SHARED else "")
                 + f" - mean +- sd over {len(table.sweep['seeds'])} seed(s)", fontsize=10)
    return fig


def _file_name(model: str, metric: str) -> str:
    stem = f"{'shared' if model == SHARED else model}__{metric.replace('/', '.')}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem) + ".png"


def draw_curves(table: SweepTable, folder: str | Path) -> list[Path]:
    """One PNG per (model, metric) in ``folder``; returns the paths."""
    from matplotlib.figure import Figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    keys = table.params or ["seed"]
    paths = []
    for model, metric in metric_names(table):
        fig = Figure(figsize=(4.2 * len(keys), 3.4))
        axes = list(fig.subplots(1, len(keys), squeeze=False)[0])
        plot_metric(table, metric, model, axes=axes)
        path = folder / _file_name(model, metric)
        fig.savefig(path, dpi=100, bbox_inches="tight")
        paths.append(path)
    return paths


def format_table(table: SweepTable) -> str:
    """Mean +- sd over seeds of every metric at every grid combination, then the failed points."""
    keys = table.params
    head = [*keys, "model", "metric", "mean", "sd", "n"]
    body: list[list[str]] = []
    combos = list(itertools.product(*(_grid_values(table, k) for k in keys)))
    c = table.columns
    for model, metric in metric_names(table):
        base = (c["model"] == model) & (c["metric"] == metric)
        for combo in combos:
            mask = base.copy()
            for k, v in zip(keys, combo):
                mask &= _same(c[k], v)
            if not mask.any():
                continue
            mean, sd, n = _stats(c["value"][mask])
            body.append([*(str(v) for v in combo), model, metric, f"{mean:.4g}", f"{sd:.3g}", str(n)])
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(x.ljust(w) for x, w in zip(r, widths)) for r in body]
    pts = table.points
    bad = [(h, e) for h, s, e in zip(pts["hash"], pts["status"], pts["error"]) if s != "done"]
    n_done = int(np.sum(pts["status"] == "done"))
    lines.append(f"\n{n_done}/{len(pts['hash'])} points done" + (f", {len(bad)} not:" if bad else ""))
    for h, e in bad:
        lines.append(f"  {h}: {e or 'missing'}")
    return "\n".join(lines)
