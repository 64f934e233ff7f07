"""Figures of the ``what-when`` paradigm (drawn by :mod:`spikesim.plot.what_when`)."""
from __future__ import annotations

from pathlib import Path


def figures(result, out_dir) -> list[Path]:
    from spikesim.plot.what_when import all_figures

    return all_figures(result, Path(out_dir))
