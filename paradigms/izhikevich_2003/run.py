"""Running the ``izhikevich-2003`` paradigm: the network on the core, rates, ISI CV, speed."""
from __future__ import annotations

import dataclasses

from spikesim.analysis.spike_stats import mean_isi_cv
from spikesim.core.result import Result
from spikesim.models.izhikevich_2003 import build_network, draw_arrays

from .config import Config


def run(cfg: Config, models, progress: bool = True) -> Result:
    """Simulate ``cfg.duration`` ms; metrics per population (``rate_hz``, ``isi_cv``), the core's
    ``synaptic_events``, ``run_seconds`` and ``seconds_per_simulated_second``."""
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


__all__ = ["run"]
