"""One-variable NIR neuron nodes in discrete time: LIF, LI, IF, Integrator and Threshold (and a
memoryless readout), for graphs imported with :mod:`spikesim.interop.nir`.

The continuous-time equations are those of the NIR specification (Pedersen et al. 2024, Nature
Communications 15, "Neuromorphic intermediate representation: a unified instruction set for
interoperable brain-inspired computing"), with time in ms here:

    LIF, LI:      tau dv/dt = (v_leak - v) + r I          (LIF also: z = v > v_th; then v <- v_reset)
    IF, I:            dv/dt = r I                          (IF also: z = v > v_th; then v <- v_reset)
    Threshold:            z = I > v_th                     (no memory)

``I`` is the step's input: the weights of the spikes that arrived (a :class:`~spikesim.synapses.Pulse`
synapse, one step long) plus a constant ``bias`` that acts from the step that starts at ``t_on``
(and a second one, ``bias_late``, from ``t_late``: a bias that reaches the node through a
recurrent edge or a Delay node arrives later). The input value is held over the step.

Two discretisations (``exact``):

* ``exact = 0`` (norse's ``from_nir``, forward Euler): ``v <- v + (dt/tau)((r I + v_leak) - v)``
  for LIF/LI and ``v <- v + r I`` for IF/I (norse, snnTorch and sinabs add the step's input
  as a charge, without dt);
* ``exact = 1``: LIF/LI integrated exactly for an input held over the step,
  ``v <- v + (1 - exp(-dt/tau))((r I + v_leak) - v)``, and IF/I as ``v <- v + r I dt`` with
  dt in seconds, NIR's time unit.

``leaky``, ``memory`` and ``spiking`` (1 or 0) select the node: LIF (1, 1, 1), LI (1, 1, 0),
IF (0, 1, 1), I (0, 1, 0), Threshold (0, 0, 1), readout v = I (0, 0, 0). The spike test is
strict (v > v_th), as NIR and norse define it. ``soft = 1`` resets by subtraction,
v <- v - v_th (norse's ``reset_subtract``, snnTorch's default), which NIR 1.0 cannot state: the
importer reads it from a node's ``metadata["spikesim.reset"] == "subtract"``.
"""
from __future__ import annotations

import math

from .base import NeuronModel, require_positive

#: (leaky, memory, spiking) of each NIR node type this model stands for
KINDS = {"LIF": (1.0, 1.0, 1.0), "LI": (1.0, 1.0, 0.0), "IF": (0.0, 1.0, 1.0), "I": (0.0, 1.0, 0.0),
         "Threshold": (0.0, 0.0, 1.0), "Readout": (0.0, 0.0, 0.0)}


class NIRLeaky(NeuronModel):
    """``n`` NIR one-variable neurons of ``kind`` (a key of :data:`KINDS`); times in ms."""

    state = {"v": 0.0}
    params = {"leaky": 1.0, "memory": 1.0, "spiking": 1.0, "exact": 0.0, "tau": 10.0, "r": 1.0, "v_leak": 0.0,
              "v_th": 1.0, "v_reset": 0.0, "bias": 0.0, "bias_late": 0.0, "t_on": 0.0, "t_late": 0.0, "soft": 0.0}
    finite_check = ("v",)

    def __init__(self, n, kind: str = "LIF", *, exact: bool = False, **values):
        if kind not in KINDS:
            raise ValueError(f"NIRLeaky kind must be one of {list(KINDS)}, got {kind!r}")
        leaky, memory, spiking = KINDS[kind]
        self.nir_kind = kind
        super().__init__(n, leaky=leaky, memory=memory, spiking=spiking, exact=float(bool(exact)), **values)

    def validate(self):
        require_positive(self, "tau")

    @staticmethod
    def derived(dt, leaky, memory, exact, tau, r):
        if leaky > 0.0:
            return {"k": -math.expm1(-dt / tau) if exact > 0.0 else dt / tau, "g": r, "h": 0.0}
        if memory > 0.0:
            return {"k": 0.0, "g": 0.0, "h": r * dt * 1e-3 if exact > 0.0 else r}
        return {"k": 0.0, "g": 0.0, "h": 1.0}

    @staticmethod
    def update(v, I, t, dt, memory, k, g, h, v_leak, bias, bias_late, t_on, t_late):
        u = I + (bias if t >= t_on - 0.5 * dt else 0.0) + (bias_late if t >= t_late - 0.5 * dt else 0.0)
        return (memory * v + k * ((g * u + v_leak) - v) + h * u,)

    @staticmethod
    def threshold(v, spiking, v_th):
        return (spiking > 0.0) & (v > v_th)

    @staticmethod
    def reset(v, v_th, v_reset, soft):
        return (v - v_th if soft > 0.0 else v_reset,)
