"""Non-spiking comparator: a tanh echo-state (rate) reservoir with the same what/when readouts.

Jaeger (2001) echo-state network; the readouts and rules are those of Yamada & Chao (2025,
arXiv:2510.14382) as implemented in :mod:`spikesim.models.izhikevich_reservoir`:

    tau dx/dt = -x + sum_j W_ij tanh(x_j) + sum_c A_c(t) w_in_c + U zhat + sigma xi(t)
    W_ij ~ N(0, lambda^2 / (p N)) with probability p ;  features e = tanh(x)

Only the reservoir changes (kind="rate"); the gated three-factor when rule, the two-factor what
rule, the feedback and the task are identical, so the metrics are directly comparable.
"""
from __future__ import annotations

from spikesim.models.izhikevich_reservoir import ReservoirConfig, ReservoirModel, config_with


class RateReservoirModel(ReservoirModel):
    """ReservoirModel with ``kind="rate"``."""

    def __init__(self, cfg: ReservoirConfig | None = None, seed: int = 0, backend: str = "numba"):
        super().__init__(config_with(cfg, kind="rate"), seed=seed, backend=backend)
