"""Figures of the ``izhikevich-2003`` paradigm: raster and population rate histogram."""
from __future__ import annotations

from pathlib import Path


def figures(result, out_dir) -> list[Path]:
    import matplotlib.pyplot as plt

    from spikesim.plot.common import save_figure
    from spikesim.plot.raster import rate_histogram, raster

    out_dir = Path(out_dir)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    raster(result, ["exc", "inh"], ax=ax1)
    sizes = {"exc": result.config["n_exc"], "inh": result.config["n_inh"]}
    rate_histogram(result, ["exc", "inh"], sizes, t_max=result.config["duration"], ax=ax2)
    ax1.set_title("Izhikevich (2003) network")
    return [save_figure(fig, out_dir / "raster.png")]


__all__ = ["figures"]
