"""Paradigm ``what-when``: the multi-event expectation task (MEET) of Yamada & Chao (2025).

Yamada, Y. & Chao, Z. C. (2025). Joint encoding of "what" and "when" predictions through
error-modulated plasticity in reservoir spiking networks. arXiv:2510.14382. Task facts are from
third-party reading notes; numbers are the reconstruction in
``shared/papers/what_when_reservoir.md`` (section 3.5), each a config field.

Trial (dt = 1 ms): ``pre_cue_ms`` baseline, a cue of ``cue_ms`` on the cue channel, then exactly
one event: A at latency t_A after cue onset with probability p(A), else B at t_B. Targets are the
probability-weighted timing profiles Y*_k(t) = p(k) g(t - t_k), g a Gaussian of SD
``bump_sigma_ms``. Test probes: cue only, learning off, ``n_probes`` of them averaged.

Two experiments per model and seed:
  * grid: for each of ``levels`` p(A) in linspace(0, 1), learn ``grid_trials`` trials from zero
    weights with fixed latencies; probe after the trials in ``grid_test_trials``. Gives the
    amplitude-probability correlation, the test error vs trial and the peak-time error. The
    conditions (plus ``pca_levels`` at the swapped latencies) feed the readout-weight PCA.
  * switch: blocks of ``trials_per_block`` trials with (p(A), t_A, t_B) from ``block_pa``,
    ``block_lat_a``, ``block_lat_b`` (abrupt switches of probability, timing or both), probing
    every ``switch_test_every`` trials; gives recovery times after each switch.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import ConfigError, Paradigm

MODEL_NAMES = ("izhikevich-reservoir", "force", "force-reset", "rate-reservoir",
               "merged-readout", "no-gate", "no-feedback")


@dataclass
class WhatWhenConfig:
    """Defaults = the quick preset."""

    seeds: int = 1                              # number of seeds run (seed, seed+1, ...)
    seed: int = 0                               # first seed; seeds are seed, seed+1, ...
    backend: str = "numba"                      # "numba" | "reference" | "cuda" (the core's backends)
    # trial structure (ms)
    dt: float = 1.0
    pre_cue_ms: float = 100.0                   # baseline before the cue
    cue_ms: float = 50.0                        # duration of the cue input
    trial_ms: float = 600.0                     # total, incl. pre-cue
    latency_a_ms: float = 150.0                 # after cue onset (<= ~250 ms: reservoir memory)
    latency_b_ms: float = 250.0                 # event B's latency after cue onset
    bump_sigma_ms: float = 30.0                 # SD of the Gaussian timing profile g of the targets
    what_window_ms: float = 100.0               # post-cue window of the what readout; < min latency
    events_as_input: bool = False               # also deliver events A/B to the reservoir
    event_ms: float = 50.0                      # duration of an event's input (events_as_input)
    amp_window_ms: float = 30.0                 # amplitude = mean y_k over t_k +- this
    # grid experiment
    levels: int = 6                             # p(A) = linspace(0, 1, levels); full: 11
    grid_trials: int = 100                      # learning trials per p(A) level
    grid_test_trials: tuple = (1, 10, 20, 50, 100)   # trials after which the grid is probed
    n_probes: int = 2                           # cue-only probes averaged per test
    pca_levels: tuple = (0.2, 0.8)              # p(A) values also run at swapped latencies
    # switch experiment
    trials_per_block: int = 50                  # full: 100 (the paper's blocks)
    block_pa: tuple = (0.8, 0.2, 0.2, 0.8)      # probability switch, timing switch, both
    block_lat_a: tuple = (150.0, 150.0, 250.0, 150.0)   # t_A (ms) of each switch block
    block_lat_b: tuple = (250.0, 250.0, 150.0, 250.0)   # t_B (ms) of each switch block
    switch_test_every: int = 2                  # trials between test probes in the switch blocks
    # reservoir / readouts (see models.izhikevich_reservoir.ReservoirConfig)
    n_neurons: int = 500                        # full: 1000 (the paper's reservoir)
    reservoir: str = ""                          # JSON dict of further ReservoirConfig overrides
    record_raster_trials: int = 3               # consecutive training trials in the raster


class WhatWhenParadigm(Paradigm):
    name = "what-when"
    description = ("Yamada & Chao 2025: cue -> event A (p) at t_A or B at t_B; Izhikevich "
                   "reservoir with gated three-factor when and two-factor what readouts")
    Config = WhatWhenConfig
    presets = {
        "quick": {},   # the Config defaults
        "full": {"seeds": 5, "levels": 11, "grid_trials": 100,
                 "grid_test_trials": (1, 2, 5, 10, 20, 30, 50, 75, 100), "n_probes": 5,
                 "pca_levels": (0.2, 0.5, 0.8), "trials_per_block": 100, "switch_test_every": 2,
                 "n_neurons": 1000},
    }
    models = MODEL_NAMES
    default_models = ("izhikevich-reservoir", "force", "force-reset", "rate-reservoir")

    def validate(self, cfg: WhatWhenConfig) -> None:
        def bad(name, why):
            raise ConfigError(f"what-when: {name}={getattr(cfg, name)!r}: {why}")
        for name in ("dt", "trial_ms", "bump_sigma_ms", "cue_ms", "what_window_ms"):
            v = getattr(cfg, name)
            if not (np.isfinite(v) and v > 0):
                bad(name, "must be a positive finite number")
        for name in ("seeds", "levels", "grid_trials", "n_probes", "trials_per_block",
                     "switch_test_every", "n_neurons"):
            if int(getattr(cfg, name)) < 1:
                bad(name, "must be >= 1")
        if cfg.levels < 2:
            bad("levels", "need at least 2 probability levels")
        if cfg.backend not in ("numba", "reference", "cuda"):
            bad("backend", "use 'numba', 'reference' or 'cuda'")
        lat_all = [cfg.latency_a_ms, cfg.latency_b_ms, *cfg.block_lat_a, *cfg.block_lat_b]
        if min(lat_all) <= cfg.what_window_ms:
            bad("what_window_ms", f"the what window must end before the earliest event ({min(lat_all)} ms)")
        if cfg.pre_cue_ms + max(lat_all) >= cfg.trial_ms:
            bad("trial_ms", "every event must fall inside the trial")
        if not (len(cfg.block_pa) == len(cfg.block_lat_a) == len(cfg.block_lat_b)) or not cfg.block_pa:
            bad("block_pa", "block_pa, block_lat_a and block_lat_b must have the same non-zero length")
        if any(not (0.0 <= p <= 1.0) for p in (*cfg.block_pa, *cfg.pca_levels)):
            bad("block_pa", "probabilities must lie in [0, 1]")
        if any(t < 1 or t > cfg.grid_trials for t in cfg.grid_test_trials) or not cfg.grid_test_trials:
            bad("grid_test_trials", f"test trials must lie in 1..grid_trials={cfg.grid_trials}")
        if cfg.reservoir:
            try:
                d = json.loads(cfg.reservoir)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"what-when: reservoir={cfg.reservoir!r} is not JSON: {exc}") from None
            if not isinstance(d, dict):
                bad("reservoir", "must be a JSON object")

    # -------------------------------------------------------------------------------------------
    def run(self, cfg, models, progress: bool = True):
        from .what_when_task import run_what_when
        self.validate(cfg)
        return run_what_when(cfg, list(models), progress=progress)

    def figures(self, result, out_dir):
        from spikesim.plot.what_when import all_figures
        return all_figures(result, Path(out_dir))

    def summary(self, result):
        keys = ("r_A", "r_B", "error_trial_1", "error_trial_10", "error_trial_50", "error_trial_100",
                "peak_time_error_ms", "recovery90_trials", "angle_what_when_deg", "angle_random_deg")
        rows = []
        for model, m in result.metrics.items():
            if not isinstance(m, dict):
                continue
            for k in keys:
                if k in m:
                    rows.append((f"{model}/{k}", f"{float(m[k]):.4g}"))
        return rows


PARADIGM = WhatWhenParadigm()
