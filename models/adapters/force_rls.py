"""FORCE / recursive-least-squares readouts on the same Izhikevich reservoir (comparator).

Sussillo & Abbott (2009); Nicola & Clopath (2017) for FORCE in Izhikevich networks; used as the
global least-squares comparator by Yamada & Chao (2025, arXiv:2510.14382). Same reservoir, same
what x when factorisation, same gate; only the learning rules change:

    when (every ``rls_every`` steps while the gate is open), per channel k with its own P_k:
        k = P_k r ; c = 1/(1 + r.k) ; P_k <- P_k - c k k^T ; w_k <- w_k - c G_k (zhat_k - T_k) k
    what (at trial end): the same RLS step on rbar with error q_k - o_k (shared P).

P(0) = I / rls_alpha. Without reset, RLS weighs all past trials equally, so after a switch at
trial n0 the fit moves only as n0/(n0 + dn). ``reset_at_switch=True`` re-initialises P at every
block switch (the "FORCE with reset" control).
"""
from __future__ import annotations

from spikesim.models.izhikevich_reservoir import ReservoirConfig, ReservoirModel, config_with


class ForceReservoirModel(ReservoirModel):
    """The reservoir model with RLS when/what readouts; optional reset of P at block switches."""

    def __init__(self, cfg: ReservoirConfig | None = None, seed: int = 0, backend: str = "numba",
                 reset_at_switch: bool = False):
        cfg = config_with(cfg, when_rule="rls", what_rule="rls")
        self.reset_at_switch = bool(reset_at_switch)
        super().__init__(cfg, seed=seed, backend=backend)

    def on_switch(self) -> None:
        if self.reset_at_switch:
            self.reset_p()
