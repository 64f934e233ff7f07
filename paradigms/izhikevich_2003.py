"""Paradigm ``izhikevich-2003``: the classic 1000-neuron network of Izhikevich (2003) on the
event-driven core. Metrics: mean rate and ISI CV per population, synaptic events, simulation
speed. Figures: raster and population rate histogram."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from spikesim.analysis.spike_stats import mean_isi_cv
from spikesim.core.result import Result
from spikesim.models.izhikevich_2003 import build_network, draw_arrays

from .base import ConfigError, Paradigm


@dataclass
class Config:
    n_exc: int = 800                # excitatory (regular-spiking family) neurons, >= 1
    n_inh: int = 200                # inhibitory (fast-spiking family) neurons, >= 1
    duration: float = 1000.0        # simulated time in ms (dt = 1 ms), > 0
    seed: int = 0                   # neuron parameters, weights and thalamic input
    backend: str = "numba"          # core backend: reference | numba | cuda
    method: str = "izhikevich2003"  # integrator: izhikevich2003 (two 0.5-ms v half-steps, the paper's code) | euler
    thalamic_sd_exc: float = 5.0    # sd of the Gaussian thalamic current to each excitatory neuron per step, >= 0
    thalamic_sd_inh: float = 2.0    # sd of the Gaussian thalamic current to each inhibitory neuron per step, >= 0


class Izhikevich2003(Paradigm):
    name = "izhikevich-2003"
    description = "Izhikevich (2003) 800 exc / 200 inh network, thalamic noise; rates, ISI CV, speed"
    Config = Config
    presets = {"quick": {}, "full": {"duration": 10000.0}}
    models = ("izhikevich-2003",)

    def validate(self, cfg) -> None:
        if cfg.n_exc < 1 or cfg.n_inh < 1:
            raise ConfigError("n_exc and n_inh must be >= 1")
        if not cfg.duration > 0:
            raise ConfigError("duration must be > 0 ms")
        if not (math.isfinite(cfg.thalamic_sd_exc) and math.isfinite(cfg.thalamic_sd_inh)
                and cfg.thalamic_sd_exc >= 0 and cfg.thalamic_sd_inh >= 0):
            raise ConfigError("thalamic_sd_exc and thalamic_sd_inh must be finite and >= 0")
        from spikesim.backends import check_name
        from spikesim.neurons.izhikevich import METHODS
        try:
            check_name(cfg.backend)
        except Exception as exc:
            raise ConfigError(f"backend {cfg.backend!r}: {' '.join(str(exc).split())}") from None
        if cfg.method not in METHODS:
            raise ConfigError(f"unknown method {cfg.method!r}; use one of {list(METHODS)}")

    def run(self, cfg, models, progress=True) -> Result:
        n_steps = int(round(cfg.duration))
        arrays = draw_arrays(cfg.n_exc, cfg.n_inh, n_steps, cfg.seed, cfg.thalamic_sd_exc, cfg.thalamic_sd_inh)
        net = build_network(arrays, dt=1.0, seed=cfg.seed, backend=cfg.backend, method=cfg.method)
        res = net.run(float(n_steps), progress=progress)
        sec = cfg.duration * 1e-3
        metrics = {}
        for pop, n in (("exc", cfg.n_exc), ("inh", cfg.n_inh)):
            t, i = res.spikes(pop)
            metrics[pop] = {"rate_hz": t.size / (n * sec), "isi_cv": mean_isi_cv(t, i, n)}
        stats = net.last_run_stats
        metrics["synaptic_events"] = stats["synaptic_events"]
        metrics["run_seconds"] = stats["run_seconds"]
        metrics["seconds_per_simulated_second"] = stats["run_seconds"] / sec
        res.metrics = metrics
        res.config = dataclasses.asdict(cfg)
        res.meta["model"] = models[0]
        return res

    def figures(self, result, out_dir) -> list[Path]:
        from spikesim.plot.common import save_figure
        from spikesim.plot.raster import rate_histogram, raster
        import matplotlib.pyplot as plt

        out_dir = Path(out_dir)
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        raster(result, ["exc", "inh"], ax=ax1)
        sizes = {"exc": result.config["n_exc"], "inh": result.config["n_inh"]}
        rate_histogram(result, ["exc", "inh"], sizes, t_max=result.config["duration"], ax=ax2)
        ax1.set_title("Izhikevich (2003) network")
        return [save_figure(fig, out_dir / "raster.png")]


PARADIGM = Izhikevich2003()
