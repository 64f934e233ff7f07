"""Config and presets of the ``izhikevich-2003`` paradigm (defaults = the quick preset)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from spikesim.paradigms.base import ConfigError


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


PRESETS = {"quick": {}, "full": {"duration": 10000.0}}


def validate(cfg: Config) -> None:
    """Raise :class:`ConfigError` for values the run cannot use."""
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


__all__ = ["Config", "PRESETS", "validate"]
