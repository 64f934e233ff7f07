"""Figures of the continual paradigm: accuracy-matrix heatmaps, ACC/BWT bars, task-1 curves.

Matplotlib with the Agg backend; every function writes a PNG and returns its path.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402,F401
import numpy as np  # noqa: E402

from spikesim.plot.common import save_figure  # noqa: E402


def accuracy_matrices(matrices: Mapping[str, np.ndarray], path) -> Path:
    """One heatmap of R[t, i] (percent) per method."""
    if not matrices:
        raise ValueError("accuracy_matrices needs at least one method")
    names = list(matrices)
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3.4), squeeze=False)
    for j, (ax, name) in enumerate(zip(axes[0], names)):
        R = np.asarray(matrices[name], dtype=float) * 100
        im = ax.imshow(R, vmin=0, vmax=100, cmap="viridis", aspect="auto")
        ax.set_title(name)
        ax.set_xlabel("evaluated task i")
        ax.set_ylabel("after training task t" if j == 0 else "")
        ax.set_xticks(range(R.shape[1]))
        ax.set_yticks(range(R.shape[0]))
        if R.shape[1] <= 10:
            for (r, c), v in np.ndenumerate(R):
                if np.isfinite(v):
                    ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=6,
                            color="w" if v < 60 else "k")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="accuracy (%)")
    return save_figure(fig, path)


def acc_bwt_bars(metrics: Mapping[str, Mapping[str, float]], path) -> Path:
    """Bars of ACC and BWT (percent) per method; a method without BWT gets no BWT bar."""
    names = list(metrics)
    if not names:
        raise ValueError("acc_bwt_bars needs at least one method")
    acc = [100 * metrics[n]["ACC"] for n in names]
    bwt = [100 * metrics[n].get("BWT", np.nan) for n in names]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(2 + 1.2 * len(names), 3.2))
    a1.bar(names, acc, color="tab:blue")
    a1.set_ylabel("ACC (%)")
    a1.set_ylim(0, 100)
    a2.bar(names, np.nan_to_num(bwt), color="tab:red")
    a2.axhline(0, color="k", lw=0.8)
    a2.set_ylabel("BWT (%)")
    for ax in (a1, a2):
        ax.tick_params(axis="x", rotation=45)
    return save_figure(fig, path)


def first_task_curves(matrices: Mapping[str, np.ndarray], path, task: int = 0) -> Path:
    """Accuracy on ``task`` after each training stage, one line per sequential method."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for name, R in matrices.items():
        R = np.asarray(R, dtype=float)
        if R.shape[0] < 2:
            ax.axhline(100 * R[-1, task], ls="--", lw=1, color="0.5", label=f"{name} (joint)")
            continue
        ax.plot(np.arange(task, R.shape[0]) + 1, 100 * R[task:, task], marker="o", ms=3, label=name)
    ax.set_xlabel("after training task")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylabel(f"accuracy on task {task + 1} (%)")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


