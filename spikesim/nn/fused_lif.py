"""Fused multi-step LIF: forward and surrogate backward over all T time steps in one operation.

The neuron is Spikformer's (SpikingJelly ``MultiStepLIFNode``: tau = 2, hard reset to
``v_reset``, detached reset, sigmoid surrogate), written in exactly the float32 operations of
norse 1.1's ``lif_box_feed_forward_step`` as :mod:`spikesim.nn.spiking_lif` configures it
(``a = dt / tau`` with ``dt = 1``, ``v_leak = v_reset``, ``v_th'`` = one float32 ulp below V_th,
method ``"tanh"`` with ``k = alpha / 2``), so the spikes are bit-identical to that path::

    H[t] = V[t-1] + a * ((X[t] + v_leak) - V[t-1])                 # a = 1/tau
    S[t] = 1 if H[t] - v_th' > 0 else 0                             # i.e. H >= V_th
    V[t] = (1 - S[t]) H[t] + S[t] v_reset,      V[-1] = 0

Backward (the reset's spike is detached, so only H carries gradient through time)::

    dL/dH[t]   = dL/dS[t] * (1 - tanh^2(k (H[t] - v_th'))) + dL/dV[t] * (1 - S[t])
    dL/dX[t]   = a * dL/dH[t]
    dL/dV[t-1] = (1 - a) * dL/dH[t],                 dL/dV[T-1] = 0

``1 - tanh^2(k x)`` with ``k = alpha/2`` equals SpikingJelly's ``alpha sigma(alpha x)(1 - sigma(alpha x))``.
Saved for the backward pass: ``z = k (H - v_th')`` (float32, the input's shape) and the spikes
(the output itself); the backward takes one vectorised ``tanh`` over all of ``z`` and then runs
the recurrence in one pass.

Kernels (``backend``):

* ``"numba"`` (CPU default): one parallel Numba loop over chunks of neurons, each running its T
  steps (forward) or the T steps in reverse (backward) with the per-neuron state in a small
  buffer, so the inner loop over neurons vectorises; no per-step tensor is allocated.
* ``"torch"`` (CUDA default, and CPU without Numba): a short loop over T of in-place vectorised
  tensor ops under ``no_grad`` (4 kernels a step forward, 6 backward) instead of norse's autograd
  graph of about 12 ops a step.
* ``"compile"``: the ``"torch"`` loops passed through ``torch.compile`` (one fused kernel per
  direction on CUDA with Triton; needs a C++ compiler on CPU).
"""
from __future__ import annotations

import os

import numpy as np
import torch

FUSED_BACKENDS = ("auto", "numba", "torch", "compile")

try:  # Numba is a core dependency of spikesim, but keep the torch path usable without it
    import numba
    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    _HAVE_NUMBA = False


# -- Numba kernels (CPU) ------------------------------------------------------------------------
_CHUNK = 2048      # neurons per parallel work item; the inner loop over them vectorises

if _HAVE_NUMBA:
    @numba.njit(parallel=True, cache=True, nogil=True)
    def _nb_forward(x, a, v_leak, v_th, v_reset, k, s_out, z_out):  # pragma: no cover - compiled
        """Spikes and the surrogate's argument z = k (H - v_th') of x [T, n]."""
        T, n = x.shape
        one = np.float32(1.0)
        zero = np.float32(0.0)
        for c in numba.prange((n + _CHUNK - 1) // _CHUNK):
            lo = c * _CHUNK
            m = min(n, lo + _CHUNK) - lo
            v = np.zeros(m, np.float32)
            for t in range(T):
                xt, st, zt = x[t], s_out[t], z_out[t]
                for j in range(m):
                    vj = v[j]
                    h = vj + a * ((xt[lo + j] + v_leak) - vj)
                    d = h - v_th
                    fired = d > zero
                    zt[lo + j] = d * k
                    st[lo + j] = one if fired else zero
                    v[j] = v_reset if fired else h

    @numba.njit(parallel=True, cache=True, nogil=True)
    def _nb_backward(g_s, th, s, a, g_x):  # pragma: no cover - compiled
        """g_x of the upstream gradient g_s, th = tanh(z) and the spikes s (all [T, n])."""
        T, n = th.shape
        one = np.float32(1.0)
        zero = np.float32(0.0)
        b = one - a
        for c in numba.prange((n + _CHUNK - 1) // _CHUNK):
            lo = c * _CHUNK
            m = min(n, lo + _CHUNK) - lo
            g_v = np.zeros(m, np.float32)
            for t in range(T - 1, -1, -1):
                gt, tt, st, ot = g_s[t], th[t], s[t], g_x[t]
                for j in range(m):
                    i = lo + j
                    u = tt[i]
                    g_h = gt[i] * (one - u * u) + (zero if st[i] > zero else g_v[j])
                    ot[i] = a * g_h
                    g_v[j] = b * g_h


def _numba_threads() -> None:
    n = max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS))
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)


# -- torch kernels ------------------------------------------------------------------------------
def _torch_forward(x: torch.Tensor, a: float, v_leak: float, v_th: float, v_reset: float, k: float):
    """(spikes, z = k (H - v_th')) of ``x`` [T, ...] float32 with a few vectorised ops per step."""
    z_all = torch.empty_like(x)
    s_all = torch.empty_like(x)
    v = torch.zeros_like(x[0])
    a_t = torch.tensor(a, dtype=x.dtype, device=x.device)
    vr = torch.tensor(v_reset, dtype=x.dtype, device=x.device)
    for t in range(x.shape[0]):
        h = torch.add(x[t], v_leak)
        h.sub_(v).mul_(a_t).add_(v)                          # v + a * ((x + v_leak) - v)
        d = torch.sub(h, v_th, out=z_all[t])
        fired = d > 0
        s_all[t].copy_(fired)
        v = torch.where(fired, vr, h)
        d.mul_(k)
    return s_all, z_all


def _torch_backward(g_s: torch.Tensor, th: torch.Tensor, s: torch.Tensor, a: float) -> torch.Tensor:
    c = th.square().neg_().add_(1.0).mul_(g_s)                  # dL/dS * (1 - tanh^2 z), all t
    keep = 1.0 - s
    g_v = torch.zeros_like(th[0])
    for t in range(th.shape[0] - 1, -1, -1):
        g_h = c[t].addcmul_(keep[t], g_v)                      # + dL/dV[t] (1 - S[t])
        g_v = g_h * (1.0 - a)
        g_h.mul_(a)
    return c


_compiled: dict[str, object] = {}


def _compiled_fn(name: str):
    if name not in _compiled:
        fn = _torch_forward if name == "forward" else _torch_backward
        _compiled[name] = torch.compile(fn, dynamic=True)
    return _compiled[name]


def resolve_backend(backend: str, device: torch.device) -> str:
    if backend not in FUSED_BACKENDS:
        raise ValueError(f"backend must be one of {FUSED_BACKENDS}, got {backend!r}")
    if backend == "auto":
        env = os.environ.get("SPIKESIM_LIF_BACKEND", "")
        if env:
            return resolve_backend(env, device)
        return "numba" if (device.type == "cpu" and _HAVE_NUMBA) else "torch"
    if backend == "numba" and (device.type != "cpu" or not _HAVE_NUMBA):
        raise ValueError(f"backend 'numba' runs on CPU tensors only (got a {device.type} tensor)"
                         if _HAVE_NUMBA else "backend 'numba' needs the numba package")
    return backend


class FusedLIFFunction(torch.autograd.Function):
    """``apply(x, a, v_leak, v_th, v_reset, k, backend)`` -> spikes [T, ...] (float32)."""

    @staticmethod
    def forward(ctx, x, a, v_leak, v_th, v_reset, k, backend):
        x = x.contiguous()
        T = x.shape[0]
        if backend == "numba":
            x2 = x.view(T, -1)
            s = torch.empty_like(x2)
            z = torch.empty_like(x2)
            _numba_threads()
            f32 = np.float32
            _nb_forward(x2.numpy(), f32(a), f32(v_leak), f32(v_th), f32(v_reset), f32(k), s.numpy(), z.numpy())
            s, z = s.view_as(x), z.view_as(x)
        elif backend == "compile":
            s, z = _compiled_fn("forward")(x, a, v_leak, v_th, v_reset, k)
        else:
            s, z = _torch_forward(x, a, v_leak, v_th, v_reset, k)
        ctx.save_for_backward(z, s)
        ctx.params = (a, backend)
        return s

    @staticmethod
    def backward(ctx, g_s):
        z, s = ctx.saved_tensors
        a, backend = ctx.params
        g_s = g_s.contiguous().float()
        th = torch.tanh(z)                     # vectorised; the recurrence below is one pass
        if backend == "numba":
            T = th.shape[0]
            g_x = torch.empty_like(th)
            _numba_threads()
            _nb_backward(g_s.view(T, -1).numpy(), th.view(T, -1).numpy(), s.view(T, -1).numpy(), np.float32(a),
                         g_x.view(T, -1).numpy())
        elif backend == "compile":
            g_x = _compiled_fn("backward")(g_s, th, s, a)
        else:
            g_x = _torch_backward(g_s, th, s, a)
        return g_x, None, None, None, None, None, None


def fused_lif(x: torch.Tensor, tau: float = 2.0, v_th_strict: float = 1.0, v_reset: float = 0.0,
              k: float = 2.0, backend: str = "auto") -> torch.Tensor:
    """Spikes [T, ...] of float32 input ``x`` [T, ...] (see the module docstring).

    ``v_th_strict`` is the strict threshold ``v_th'`` (fires on ``H > v_th'``); ``k`` the tanh
    surrogate slope (``alpha / 2`` for SpikingJelly's sigmoid ``alpha``)."""
    if x.dtype != torch.float32:
        raise TypeError(f"fused_lif expects float32 input, got {x.dtype}")
    if x.dim() < 2:
        raise ValueError(f"fused_lif expects time-first input [T, ...], got shape {tuple(x.shape)}")
    be = resolve_backend(backend, x.device)
    a = float(np.float32(1.0) * np.float32(1.0 / tau))     # norse: dt * tau_mem_inv in float32
    return FusedLIFFunction.apply(x, a, float(v_reset), float(v_th_strict), float(v_reset), float(k), be)
