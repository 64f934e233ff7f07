"""The DSR neuron of HLOP's spiking MLP (:class:`spikesim.models.hlop_mlp.SpikingMLP`) and the
weighted firing rate it is read out by.

**DSR** (Meng et al., CVPR 2022, "Training high-performance low-latency SNNs by
differentiation on spike representation"; the neuron of HLOP's ``modules/neuron_dsr.py``)::

    beta = exp(-dt/tau);  u <- beta u + (1 - beta) I[t];  s = Vth * 1[u >= alpha Vth];
    u <- u - s;  o[t] = s / dt                      (tau=1, dt=0.05, alpha=0.3, Vth=0.3 trainable)
    backward: r = wfr(I), g = T wfr(dL/do)
              dL/dI[t] = g / tau * 1[0 < r < Vth tau / dt] / T
              dL/dVth  = dt * sum g * 1[r > Vth tau / dt]
    wfr(z) = sum_t w_t z[t] / sum_t w_t,   w_t = exp(-(T dt - t dt) / tau),  t = 1..T
    logits = W_out wfr(o2)
"""
from __future__ import annotations

import math

import torch
from torch import nn



def wfr_weights(T: int, dt: float, tau: float, device=None, dtype=torch.float32) -> torch.Tensor:
    t = torch.arange(1, T + 1, device=device, dtype=dtype)
    w = torch.exp(-(T * dt - t * dt) / tau)
    return w / w.sum()


def weighted_rate(z: torch.Tensor, dt: float, tau: float) -> torch.Tensor:
    """wfr over the leading time axis of ``z`` (T, ...)."""
    w = wfr_weights(z.shape[0], dt, tau, z.device, z.dtype)
    return torch.tensordot(w, z, dims=([0], [0]))


class _DSRLIF(torch.autograd.Function):
    @staticmethod
    def forward(ctx, current, vth, tau, dt, alpha):
        T = current.shape[0]
        beta = math.exp(-dt / tau)
        u = torch.zeros_like(current[0])
        out = torch.empty_like(current)
        for t in range(T):
            u = beta * u + (1.0 - beta) * current[t]
            s = (u >= alpha * vth).to(current.dtype) * vth
            u = u - s
            out[t] = s / dt
        ctx.save_for_backward(current, vth)
        ctx.consts = (tau, dt)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        current, vth = ctx.saved_tensors
        tau, dt = ctx.consts
        T = current.shape[0]
        r = weighted_rate(current, dt, tau)
        g = weighted_rate(grad_out, dt, tau) * T
        upper = vth * tau / dt
        mask = ((r > 0) & (r < upper)).to(g.dtype)
        grad_i = (g / tau * mask / T).unsqueeze(0).expand_as(current).contiguous()
        grad_vth = (dt * (g * (r > upper).to(g.dtype)).sum()).reshape(vth.shape)
        return grad_i, grad_vth, None, None, None


class DSRLIF(nn.Module):
    """LIF neurons trained by DSR; input (T, B, n) currents, output o[t] = s[t] / dt."""

    def __init__(self, vth: float = 0.3, tau: float = 1.0, dt: float = 0.05, alpha: float = 0.3,
                 vth_bound: float = 5e-4):
        super().__init__()
        for name, v in (("vth", vth), ("tau", tau), ("dt", dt), ("alpha", alpha)):
            if not (v > 0 and math.isfinite(v)):
                raise ValueError(f"DSRLIF {name} must be positive, got {v!r}")
        self.vth = nn.Parameter(torch.tensor(float(vth)))
        self.tau, self.dt, self.alpha, self.vth_bound = float(tau), float(dt), float(alpha), float(vth_bound)

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        return _DSRLIF.apply(current, self.vth, self.tau, self.dt, self.alpha)

    def rate(self, o: torch.Tensor) -> torch.Tensor:
        return weighted_rate(o, self.dt, self.tau)

    @torch.no_grad()
    def clamp_(self) -> None:
        self.vth.clamp_(min=self.vth_bound)


__all__ = ["DSRLIF", "weighted_rate", "wfr_weights"]
