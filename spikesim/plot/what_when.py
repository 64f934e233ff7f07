"""Figures of the what-when paradigm (Yamada & Chao 2025), one call each, from a Result.

Built on ``matplotlib.figure.Figure`` (Agg canvas, no pyplot, never shows a window). Each
``fig_*`` function returns the Figure; ``all_figures`` writes the PNGs and returns their paths.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikesim.analysis.what_when import correlation
from spikesim.plot.common import save_figure

CHANNELS = ("A", "B")
COLORS = {"izhikevich-reservoir": "C0", "force": "C1", "force-reset": "C2", "rate-reservoir": "C3",
          "merged-readout": "C4", "no-gate": "C5", "no-feedback": "C6"}


def _models(result):
    """Model names in run order (the order of --model), falling back to the metrics' order."""
    names = [m for m in result.metrics if isinstance(result.metrics[m], dict)]
    order = str(result.groups.get("task", {}).get("models", "")).split(",")
    return [m for m in order if m in names] + [m for m in names if m not in order]


def fig_raster(result) -> Figure:
    """Spike raster of consecutive training trials with cue and event marks (E above I line)."""
    fig = Figure(figsize=(9, 4.5))
    ax = fig.add_subplot(111)
    if "reservoir" not in result.populations:
        ax.text(0.5, 0.5, "no spiking raster recorded", ha="center", transform=ax.transAxes)
        return fig
    t, i = result.spikes("reservoir")
    ax.plot(t, i, ",k", rasterized=True)
    r = result.groups["raster"]
    for s in np.atleast_1d(r["trial_starts_ms"]):
        ax.axvline(s, color="0.6", lw=0.8)
    for c in np.atleast_1d(r["cue_on_ms"]):
        ax.axvspan(c, c + float(r["cue_ms"]), color="C2", alpha=0.25, lw=0)
    for et, ev in zip(np.atleast_1d(r["event_ms"]), np.atleast_1d(r["event_ids"])):
        ax.axvline(et, color="C3" if ev == 0 else "C0", lw=1.5, ls="--")
        ax.text(et, 1.01, CHANNELS[int(ev)], transform=ax.get_xaxis_transform(), ha="center")
    ax.axhline(int(r["n_exc"]) - 0.5, color="C1", lw=0.8)
    ax.set(xlabel="time (ms)", ylabel="neuron (E below line, I above)", ylim=(-1, int(r["n"])),
           title="reservoir raster: green = cue, dashed = event (A red, B blue)")
    return fig


def fig_traces(result, model=None, n_levels=4) -> Figure:
    """Cue-only test outputs y_k(t) vs targets p(k) g(t - t_k) at several p(A) (first seed)."""
    model = model or _models(result)[0]
    g = result.groups["grid"][model]
    t = result.groups["task"]["t_ms"] - result.groups["task"]["cue_ms"]
    levels = np.asarray(g["levels"])
    pick = np.unique([int(np.argmin(np.abs(levels - p))) for p in np.linspace(0.1, 0.9, n_levels)])
    fig = Figure(figsize=(3.0 * len(pick), 3.2))
    for j, li in enumerate(pick):
        ax = fig.add_subplot(1, len(pick), j + 1)
        for k, col in zip(range(2), ("C3", "C0")):
            ax.plot(t, g["targets"][li][:, k], color=col, ls="--", lw=1)
            ax.plot(t, g["traces"][li][:, k], color=col, lw=1.5, label=f"y_{CHANNELS[k]}")
        ax.set(title=f"p(A) = {levels[li]:.2f}", xlabel="time from cue (ms)", xlim=(t[0], t[-1]))
        if j == 0:
            ax.set_ylabel("test output (solid) / target (dashed)")
            ax.legend(fontsize=7)
    fig.suptitle(f"{model}: readout traces vs targets")
    fig.tight_layout()
    return fig


def fig_amplitude(result) -> Figure:
    """Anticipatory amplitude vs p(A), per channel, every model (mean over seeds), with r."""
    fig = Figure(figsize=(8, 3.5))
    for k in range(2):
        ax = fig.add_subplot(1, 2, k + 1)
        for m in _models(result):
            g = result.groups["grid"][m]
            amp = np.asarray(g["amplitudes"]).mean(axis=0)[:, k]
            r = correlation(g["levels"], amp)
            ax.plot(g["levels"], amp, "o-", color=COLORS.get(m), ms=4, label=f"{m} r={r:.3f}")
        ax.set(xlabel="p(A)", ylabel=f"amplitude in {CHANNELS[k]} window", title=f"channel {CHANNELS[k]}")
        ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def fig_errors(result) -> Figure:
    """Left: test RMSE vs training trial (grid, mean over levels and seeds). Right: test RMSE vs
    trial through the switch blocks (mean over seeds), switches marked."""
    fig = Figure(figsize=(11, 3.8))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for m in _models(result):
        g = result.groups["grid"][m]
        ax1.plot(g["test_trials"], np.asarray(g["errors"]).mean(axis=(0, 1)), "o-", ms=3,
                 color=COLORS.get(m), label=m)
        s = result.groups["switch"][m]
        ax2.plot(s["trials"], np.asarray(s["errors"]).mean(axis=0), color=COLORS.get(m), lw=1.2, label=m)
    paper = ([1, 10, 50, 100], [0.192, 0.136, 0.092, 0.085])
    ax1.plot(*paper, "k*", ms=8, label="paper (Yamada & Chao)")
    ax1.set(xlabel="training trial", ylabel="test RMSE", title="learning from zero weights")
    ax1.legend(fontsize=6)
    task = result.groups["task"]
    starts = np.asarray(result.groups["switch"][_models(result)[0]]["block_starts"])
    for b, st in enumerate(starts):
        if b:
            ax2.axvline(st, color="k", lw=0.8, ls=":")
        lab = f" p(A)={task['block_pa'][b]:.1f}\n t={task['block_lat_a'][b]:.0f}/{task['block_lat_b'][b]:.0f}"
        ax2.text(st, 0.98, lab, transform=ax2.get_xaxis_transform(), fontsize=6, va="top")
    ax2.set(xlabel="trial", ylabel="test RMSE", title="abrupt switches (probability / timing / both)")
    ax2.set_ylim(top=ax2.get_ylim()[1] * 1.15)
    ax2.legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    return fig


def fig_geometry(result) -> Figure:
    """Left: what/when principal angles per model beside the shuffled baseline. Right: condition
    PCA of the first model's readout weights (colour p(A), marker latency)."""
    fig = Figure(figsize=(10, 3.8))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    models = _models(result)
    for x, m in enumerate(models):
        mt = result.metrics[m]
        ax1.bar(x - 0.2, mt["angle_what_when_deg"], 0.4, color=COLORS.get(m))
        ax1.errorbar(x + 0.2, mt["angle_random_deg"], yerr=mt["angle_random_sd_deg"], fmt="s", color="0.4")
    ax1.set_xticks(range(len(models)), models, rotation=30, ha="right", fontsize=7)
    ax1.set(ylabel="mean principal angle (deg)", ylim=(0, 95),
            title="what vs when subspaces (bar) / shuffled (grey)")
    geo = result.groups["geometry"][models[0]]
    sc = np.asarray(geo["pca_scores"])
    if sc.ndim == 2 and sc.shape[1] >= 2:
        lat = np.asarray(geo["pca_latency"])
        for L, mk in zip(np.unique(lat), "os^v"):
            sel = lat == L
            h = ax2.scatter(sc[sel, 0], sc[sel, 1], c=np.asarray(geo["pca_p"])[sel], cmap="viridis",
                            vmin=0, vmax=1, marker=mk, label=f"t_A={L:.0f} ms")
        fig.colorbar(h, ax=ax2, label="p(A)")
        ax2.legend(fontsize=7)
    ax2.set(xlabel="PC1", ylabel="PC2", title=f"{models[0]}: readout weights across conditions")
    fig.tight_layout()
    return fig


FIGURES = {"raster": fig_raster, "traces": fig_traces, "amplitude": fig_amplitude,
           "errors": fig_errors, "geometry": fig_geometry}


def all_figures(result, out_dir) -> list[Path]:
    """Write every figure as ``what_when_<name>.png`` in ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fn in FIGURES.items():
        fig = fn(result)
        paths.append(save_figure(fig, out_dir / f"what_when_{name}.png"))
    return paths
