"""Figures of the ``continual`` paradigm: accuracy matrices, ACC / BWT bars, first-task curves."""
from __future__ import annotations

from pathlib import Path


def figures(result, out_dir) -> list[Path]:
    from spikesim.plot import continual as cplot

    out = Path(out_dir)
    mats = result.groups.get("accuracy_matrix", {})
    if not mats:
        return []
    return [cplot.accuracy_matrices(mats, out / "accuracy_matrix.png"),
            cplot.acc_bwt_bars({k: v for k, v in result.metrics.items() if "ACC" in v}, out / "acc_bwt.png"),
            cplot.first_task_curves(mats, out / "task1_accuracy.png")]


__all__ = ["figures"]
