"""Raster plots and population rate histograms."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def raster(result, populations=None, ax=None, offsets=True, markersize=1.0):
    """Spike raster of ``populations`` of a Result (stacked, one colour each)."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    base = 0
    for k, pop in enumerate(populations or result.populations):
        t, i = result.spikes(pop)
        ax.plot(t, i + base, ".", ms=markersize, color=f"C{k}", label=pop, rasterized=True)
        if offsets:
            base += int(i.max()) + 1 if i.size else 0
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    ax.legend(loc="upper right", markerscale=8, fontsize="small")
    return ax


def rate_histogram(result, populations, sizes, bin_ms=5.0, t_max=None, ax=None):
    """Population firing rate (Hz) in bins of ``bin_ms``; ``sizes[pop]`` = number of neurons."""
    ax = ax or plt.subplots(figsize=(8, 2.5))[1]
    t_end = t_max or max((result.spikes(p)[0].max(initial=0.0) for p in populations), default=0.0) + bin_ms
    edges = np.arange(0.0, t_end + bin_ms, bin_ms)
    for k, pop in enumerate(populations):
        counts, _ = np.histogram(result.spikes(pop)[0], edges)
        ax.step(edges[:-1], counts / (sizes[pop] * bin_ms * 1e-3), where="post", color=f"C{k}", label=pop)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.legend(loc="upper right", fontsize="small")
    return ax
