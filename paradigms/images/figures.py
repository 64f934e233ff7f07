"""Figures of the ``images`` paradigm (drawn by :mod:`spikesim.plot.images`): accuracy curves,
firing rates, operations and energy, attention maps."""
from __future__ import annotations

from pathlib import Path


def figures(result, out_dir) -> list[Path]:
    from spikesim.plot.images import all_figures

    return all_figures(result, out_dir)


__all__ = ["figures"]
