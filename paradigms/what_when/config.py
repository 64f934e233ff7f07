"""Config and presets of the ``what-when`` paradigm (defaults = the quick preset), its checks
and the model names."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from spikesim.paradigms.base import ConfigError

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


PRESETS = {
    "quick": {},   # the Config defaults
    "full": {"seeds": 5, "levels": 11, "grid_trials": 100,
             "grid_test_trials": (1, 2, 5, 10, 20, 30, 50, 75, 100), "n_probes": 5,
             "pca_levels": (0.2, 0.5, 0.8), "trials_per_block": 100, "switch_test_every": 2,
             "n_neurons": 1000},
}


def validate(cfg: WhatWhenConfig) -> None:
    """Raise :class:`ConfigError` for values the run cannot use."""
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


__all__ = ["MODEL_NAMES", "PRESETS", "WhatWhenConfig", "validate"]
