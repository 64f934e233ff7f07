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

Files: ``config`` (fields, presets, checks), ``run`` (trials, the grid and switch experiments,
metrics), ``figures``.
"""
from __future__ import annotations

from spikesim.paradigms.base import Paradigm

from . import config
from .config import MODEL_NAMES, WhatWhenConfig


class WhatWhenParadigm(Paradigm):
    name = "what-when"
    description = ("Yamada & Chao 2025: cue -> event A (p) at t_A or B at t_B; Izhikevich "
                   "reservoir with gated three-factor when and two-factor what readouts")
    Config = WhatWhenConfig
    presets = config.PRESETS
    models = MODEL_NAMES
    default_models = ("izhikevich-reservoir", "force", "force-reset", "rate-reservoir")
    package = __name__


PARADIGM = WhatWhenParadigm()

__all__ = ["WhatWhenConfig", "WhatWhenParadigm", "PARADIGM"]
