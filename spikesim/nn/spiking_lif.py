"""Multi-step LIF neuron on norse with Spikformer's semantics (SpikingJelly ``MultiStepLIFNode``).

Equations (Zhou et al., "Spikformer", ICLR 2023, Eqs. 1-3; tau = 2, V_reset = 0)::

    H[t] = V[t-1] + (X[t] - (V[t-1] - V_reset)) / tau          # = 0.5 V + 0.5 X for tau = 2
    S[t] = Theta(H[t] - V_th),   Theta(x) = 1 if x >= 0 else 0   # fires ON the threshold
    V[t] = H[t] (1 - S[t]) + V_reset S[t]                         # hard reset, S detached here
    V[-1] = 0

Surrogate gradient: dS/dH = alpha sigma(alpha x)(1 - sigma(alpha x)), x = H - V_th, alpha = 4
(SpikingJelly's ``Sigmoid``; peak 1 at the threshold).

How norse 1.1 reproduces it exactly (see ``shared/papers/spikformer.md`` section 6.2):

* ``lif_box_feed_forward_step`` with ``dt = 1`` and ``tau_mem_inv = 1/tau`` computes
  ``v + (x - v)/tau`` (``v_leak = 0``), the same float32 operations as the equation above.
* norse's Heaviside is strict (x > 0); firing on ``>=`` is obtained with
  ``v_th = nextafter(V_th, 0)`` in float32 (one ulp below). This matters for the attention
  neuron (threshold 0.5), whose inputs are multiples of the scale 0.125 and hit 0.5 exactly.
* method ``"tanh"`` with ``alpha = 2`` has backward ``1 - tanh(2x)^2 = 4 sigma(4x)(1 - sigma(4x))``,
  i.e. SpikingJelly's Sigmoid(alpha=4). (norse 1.1's ``"super"`` ignores alpha, so it is not used.)
* the reset is a custom ``reset_method`` that detaches the spike: ``(1 - z.detach()) v + z.detach() v_reset``.
* the state starts at 0 on every forward call (no ``reset_net`` needed).
* the dynamics always run in float32 (under float16 autocast too); spikes come back in the
  input's dtype.

The module takes time-first input ``[T, ...]`` and returns the spikes ``[T, ...]`` (float 0/1).
When ``record`` is True it accumulates spike and element counts for firing-rate statistics.

``backend``: ``"norse"`` runs the loop above over norse's ``lif_box_feed_forward_step`` (one
autograd graph of about a dozen ops per step); the default ``"auto"`` (and ``"numba"``,
``"torch"``, ``"compile"``) runs the same float32 arithmetic as one fused multi-step operation
with a hand-written surrogate backward (:mod:`spikesim.nn.fused_lif`): bit-identical spikes,
gradients equal to rounding. The environment variable ``SPIKESIM_LIF_BACKEND`` overrides
``"auto"``.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from norse.torch.functional.lif_box import (LIFBoxFeedForwardState, LIFBoxParameters,
                                            lif_box_feed_forward_step)

from spikesim.nn.fused_lif import FUSED_BACKENDS
from spikesim.nn.fused_lif import fused_lif

LIF_BACKENDS = ("norse",) + FUSED_BACKENDS


def _detached_reset(z: torch.Tensor, v: torch.Tensor, v_reset: torch.Tensor, v_th: torch.Tensor) -> torch.Tensor:
    zd = z.detach()
    return (1.0 - zd) * v + zd * v_reset


def box_lif_sequence(x: torch.Tensor, p: LIFBoxParameters) -> torch.Tensor:
    """norse's box LIF (``lif_box_feed_forward_step`` with dt = 1, parameters ``p``) over the
    leading time axis of ``x`` from ``v = 0``: the spikes ``[T, ...]``. The one norse loop of the
    training neurons (:class:`MultiStepLIF`'s ``"norse"`` backend and :class:`NorseBoxLIF`)."""
    if p.v_th.device != x.device:
        p = p._replace(**{k: getattr(p, k).to(x.device) for k in ("tau_mem_inv", "v_leak", "v_th", "v_reset")
                          if isinstance(getattr(p, k), torch.Tensor)})
    state = LIFBoxFeedForwardState(v=torch.zeros_like(x[0]))
    out = []
    for t in range(x.shape[0]):
        z, state = lif_box_feed_forward_step(x[t], state, p, dt=1.0)
        out.append(z)
    return torch.stack(out)


def threshold_just_below(v_th: float) -> float:
    """The largest float32 below ``v_th``: norse's strict ``>`` then fires on ``H >= v_th``."""
    return float(np.nextafter(np.float32(v_th), np.float32(-np.inf), dtype=np.float32))


class MultiStepLIF(nn.Module):
    """Spikformer's LIF neuron (tau 2, hard reset to ``v_reset``, detached reset, sigmoid
    surrogate with ``alpha`` = 4, fires on ``H >= v_th``) over the leading time axis.

    Parameters: ``tau`` (> 1), ``v_th`` (threshold), ``v_reset``, ``alpha`` (sigmoid surrogate
    slope, SpikingJelly convention), ``backend`` (``"auto"``: fused; ``"norse"``: norse's step loop).
    """

    def __init__(self, tau: float = 2.0, v_th: float = 1.0, v_reset: float = 0.0, alpha: float = 4.0,
                 backend: str = "auto"):
        super().__init__()
        if backend not in LIF_BACKENDS:
            raise ValueError(f"backend must be one of {LIF_BACKENDS}, got {backend!r}")
        self.backend = backend
        if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau >= 1.0):
            raise ValueError(f"tau must be a finite number >= 1, got {tau!r}")
        if not (isinstance(v_th, (int, float)) and math.isfinite(v_th)):
            raise ValueError(f"v_th must be a finite number, got {v_th!r}")
        if not (isinstance(alpha, (int, float)) and alpha > 0):
            raise ValueError(f"alpha must be > 0, got {alpha!r}")
        if v_reset >= v_th:
            raise ValueError(f"v_reset ({v_reset}) must be below v_th ({v_th})")
        self.tau, self.v_th, self.v_reset, self.alpha = float(tau), float(v_th), float(v_reset), float(alpha)
        self.p = LIFBoxParameters(
            tau_mem_inv=torch.as_tensor(1.0 / self.tau),
            v_leak=torch.as_tensor(self.v_reset),   # SJ: H = V + (X - (V - V_reset))/tau
            v_th=torch.as_tensor(threshold_just_below(self.v_th), dtype=torch.float32),
            v_reset=torch.as_tensor(self.v_reset),
            method="tanh",
            alpha=self.alpha / 2.0,     # norse tanh(k x) with k = alpha/2 == SJ sigmoid(alpha)
            reset_method=_detached_reset,
        )
        self._v_th_strict = threshold_just_below(self.v_th)
        self.record = False
        self.reset_counts()

    def reset_counts(self) -> None:
        self.spike_count = 0.0
        self.element_count = 0

    @property
    def firing_rate(self) -> float:
        """Spikes per neuron per time step since the last :meth:`reset_counts` (NaN if none)."""
        return self.spike_count / self.element_count if self.element_count else float("nan")

    def extra_repr(self) -> str:
        return f"tau={self.tau}, v_th={self.v_th}, v_reset={self.v_reset}, alpha={self.alpha}, backend={self.backend}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            raise ValueError(f"MultiStepLIF expects time-first input [T, ...], got shape {tuple(x.shape)}")
        p = self.p
        dtype = x.dtype
        if dtype != torch.float32:
            # the dynamics run in float32 even under float16 autocast: the threshold one float32
            # ulp below V_th (firing on >=) does not exist in float16
            x = x.float()
        if self.backend != "norse":
            s = fused_lif(x, self.tau, self._v_th_strict, self.v_reset, self.alpha / 2.0, self.backend).to(dtype)
            return self._count(s)
        return self._count(box_lif_sequence(x, p).to(dtype))

    def _count(self, s: torch.Tensor) -> torch.Tensor:
        if self.record:
            self.spike_count += float(s.detach().sum())
            self.element_count += s.numel()
        return s


class NorseBoxLIF(nn.Module):
    """HLOP's BPTT neuron (Xiao et al., ICLR 2024; :mod:`spikesim.models.hlop_mlp`) on norse's box LIF:
    ``v <- (1 - dt_tau) v + I[t]`` (the input is fed as ``I / dt_tau``), ``z = v > v_th``, soft
    reset ``v <- v - v_th`` (norse's ``reset_subtract``, not detached), SuperSpike surrogate
    ``1 / (alpha |v - v_th| + 1)^2``. Input currents ``[T, ...]``, output spikes ``[T, ...]``."""

    def __init__(self, v_th: float = 1.0, dt_tau: float = 0.5, surrogate_alpha: float = 4.0):
        super().__init__()
        from norse.torch.functional.reset import reset_subtract

        if not (0 < dt_tau <= 1):
            raise ValueError(f"dt_tau must be in (0, 1], got {dt_tau!r}")
        self.dt_tau = float(dt_tau)
        self.p = LIFBoxParameters(tau_mem_inv=torch.tensor(float(dt_tau)), v_leak=torch.tensor(0.0),
                                  v_th=torch.tensor(float(v_th)), v_reset=torch.tensor(0.0),
                                  method="super", alpha=torch.tensor(float(surrogate_alpha)),
                                  reset_method=reset_subtract)

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        return box_lif_sequence(current / self.dt_tau, self.p)


__all__ = ["LIF_BACKENDS", "MultiStepLIF", "NorseBoxLIF", "box_lif_sequence", "threshold_just_below"]
