"""Synaptic-operation (SOP) counting and the energy model of Spikformer (Zhou et al., ICLR 2023,
App. C.2, Eqs. 21-22; 45 nm figures of Horowitz 2014)::

    SOPs(l)  = fr_l x T x MACs(l)           fr_l: fraction of non-zero entries of layer l's input
    E_SNN    = E_MAC x MACs(conv1) x T  +  E_AC x ( sum_l SOPs(l) + sum_blocks SOPs(SSA) )
    E_ANN    = E_MAC x MACs
    E_MAC = 4.6 pJ,  E_AC = 0.9 pJ

The first conv sees real-valued pixels (direct encoding) and is counted as MACs, T times as in
the paper; every other Conv/Linear whose input is spikes counts fr x MACs accumulations.
Spiking self-attention Q K^T V on binary Q, K, V is counted by the accumulations the event-driven
kernel performs (sparse intermediate, association order chosen per head and time step; see
:func:`ssa_event_cost` and :func:`ssa_auto_order`).

Notes: the residual stream entering each block holds small integers (0, 1, 2, ...), not just
spikes; like the paper, a non-zero entry counts as one SOP per synapse. BatchNorm is folded into
the weights/thresholds at inference and is not counted; nor are max-pooling, softmax or the
activation functions of the ANN.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

E_MAC_PJ = 4.6
E_AC_PJ = 0.9


def energy_mj(macs: float, sops: float, e_mac_pj: float = E_MAC_PJ, e_ac_pj: float = E_AC_PJ) -> float:
    """Energy in millijoules of ``macs`` multiply-accumulates and ``sops`` accumulates."""
    if macs < 0 or sops < 0:
        raise ValueError(f"macs and sops must be >= 0, got macs={macs}, sops={sops}")
    return (macs * e_mac_pj + sops * e_ac_pj) * 1e-9


def conv2d_macs(c_in: int, c_out: int, kernel: int | tuple[int, int], h_out: int, w_out: int, groups: int = 1) -> int:
    """MACs of one Conv2d application to one image."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return (c_in // groups) * kh * kw * c_out * h_out * w_out


def linear_macs(d_in: int, d_out: int, rows: int = 1) -> int:
    """MACs of a Linear layer applied to ``rows`` vectors (e.g. tokens)."""
    return d_in * d_out * rows


def _prep(q, k, v):
    """Torch tensors stay on their device (float32 sums of 0/1 are exact); anything else -> float64 NumPy."""
    if all(hasattr(a, "detach") for a in (q, k, v)):
        q, k, v = (a.detach().float() for a in (q, k, v))
        tr, exp = (lambda a: a.transpose(-2, -1)), None
        import torch
        exp = torch.exp
    else:
        q, k, v = ((a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)).astype(np.float64)
                   for a in (q, k, v))
        tr, exp = (lambda a: np.swapaxes(a, -2, -1)), np.exp
    if not (tuple(q.shape) == tuple(k.shape) == tuple(v.shape)) or q.ndim < 2:
        raise ValueError(f"q, k, v must share a shape [..., N, d]; got {tuple(q.shape)}, {tuple(k.shape)}, "
                         f"{tuple(v.shape)}")
    return q, k, v, tr, exp


def _np(a) -> np.ndarray:
    return a.cpu().double().numpy() if hasattr(a, "cpu") else np.asarray(a, dtype=np.float64)


def ssa_event_cost(q, k, v) -> tuple[np.ndarray, np.ndarray]:
    """Accumulations of the event-driven Q K^T V on binary ``q, k, v`` ``[..., N, d]`` in each
    association order, per leading index (see :mod:`spikesim.core.attention`):

    * Q (K^T V): S = K^T V from spike pairs (sum_n |K_n||V_n|), then each Q spike (m, i) adds the
      non-zeros of row S_i: sum_i |Q_:i| nnz(S_i).
    * (Q K^T) V: A = Q K^T from spike pairs (sum_i |Q_:i||K_:i|), then each V spike (n, j) adds
      the non-zeros of column A_:n: sum_n |V_n| nnz(A_:n).

    Accepts NumPy arrays or torch tensors (computed on their device); returns NumPy float64
    arrays ``(cost_q_ktv, cost_qkt_v)``.
    """
    q, k, v, tr, _ = _prep(q, k, v)
    S = tr(k) @ v                                 # [..., d, d]
    A = q @ tr(k)                                 # [..., N, N]
    c0 = (k.sum(-1) * v.sum(-1)).sum(-1) + (q.sum(-2) * (S > 0).sum(-1)).sum(-1)
    c1 = (q.sum(-2) * k.sum(-2)).sum(-1) + (v.sum(-1) * (A > 0).sum(-2)).sum(-1)
    return _np(c0), _np(c1)


def ssa_auto_order(q, k, v) -> np.ndarray:
    """The order (0: Q (K^T V), 1: (Q K^T) V) the event-driven kernels choose per slice: the smaller
    estimate ``P0 + |Q| d (1 - exp(-P0/d^2))`` resp. ``P1 + |V| N (1 - exp(-P1/N^2))`` with the exact
    stage-1 pair counts P0, P1."""
    q, k, v, _, _ = _prep(q, k, v)
    n, d = q.shape[-2:]
    p0 = _np((k.sum(-1) * v.sum(-1)).sum(-1))
    p1 = _np((q.sum(-2) * k.sum(-2)).sum(-1))
    nq, nv = _np(q.sum((-2, -1))), _np(v.sum((-2, -1)))
    e0 = p0 + nq * d * (1 - np.exp(-p0 / (d * d)))
    e1 = p1 + nv * n * (1 - np.exp(-p1 / (n * n)))
    return np.where(e0 <= e1, 0, 1).astype(np.int8)


def ssa_event_sops(q, k, v) -> float:
    """Total accumulations of event-driven SSA in the order the kernels choose per slice."""
    c0, c1 = ssa_event_cost(q, k, v)
    return float(np.where(ssa_auto_order(q, k, v) == 0, c0, c1).sum())


def ssa_expected_sops(T: int, heads: int, n: int, d: int, fr_q: float, fr_k: float, fr_v: float) -> dict[str, float]:
    """Expected accumulations per image for independent Bernoulli spikes at the given rates:
    an entry of K^T V is non-zero with probability 1 - (1 - fr_k fr_v)^N, one of Q K^T with
    1 - (1 - fr_q fr_k)^d. Also the dense-intermediate upper bounds (``*_dense``)."""
    ps = 1 - (1 - fr_k * fr_v) ** n
    pa = 1 - (1 - fr_q * fr_k) ** d
    c0 = T * heads * (n * d * d * fr_k * fr_v + n * d * fr_q * d * ps)
    c1 = T * heads * (d * n * n * fr_q * fr_k + n * d * fr_v * n * pa)
    c0_dense = T * heads * (n * d * d * fr_k * fr_v + n * d * fr_q * d)
    c1_dense = T * heads * (d * n * n * fr_q * fr_k + n * d * fr_v * n)
    return {"q_ktv": c0, "qkt_v": c1, "min": min(c0, c1), "q_ktv_dense": c0_dense, "qkt_v_dense": c1_dense}


@dataclass
class LayerOps:
    macs: float = 0.0
    sops: float = 0.0
    nonzero: float = 0.0
    elements: float = 0.0

    @property
    def input_rate(self) -> float:
        return self.nonzero / self.elements if self.elements else float("nan")


ExtraCounter = Callable[[Any, tuple, Any], tuple[float, float]]


@dataclass
class OpCounter:
    """Counts MACs and SOPs of a torch model with forward hooks.

    ``mac_modules``: names of the Conv2d/Linear modules counted as MACs (real-valued input);
    every other Conv2d/Linear is counted as ``input non-zero fraction x MACs`` SOPs, unless
    ``all_macs`` is True (an ANN). ``extra``: {module class: fn(module, inputs, output) -> (macs, sops)}
    for operations that are not Conv/Linear layers (attention products). Use as a context
    manager around the forward passes, then call :meth:`per_image`.
    """

    model: Any
    mac_modules: Iterable[str] = ()
    all_macs: bool = False
    extra: Mapping[type, ExtraCounter] = field(default_factory=dict)
    layers: dict[str, LayerOps] = field(default_factory=dict)

    def __post_init__(self):
        self.mac_modules = set(self.mac_modules)
        self._handles = []

    def _hook(self, name: str, kind: str):
        import torch

        def fn(module, inputs, output):
            rec = self.layers.setdefault(name, LayerOps())
            if kind == "extra":
                macs, sops = self.extra[type(module)](module, inputs, output)
                rec.macs += macs
                rec.sops += sops
                return
            x = inputs[0]
            if kind == "conv":
                macs = output.numel() * (module.in_channels // module.groups) * int(np.prod(module.kernel_size))
            else:
                macs = output.numel() * module.in_features
            if self.all_macs or name in self.mac_modules:
                rec.macs += macs
                return
            with torch.no_grad():
                nz = float((x != 0).sum())
            rate = nz / x.numel()
            rec.nonzero += nz
            rec.elements += x.numel()
            rec.sops += rate * macs
        return fn

    def __enter__(self):
        import torch.nn as nn
        for name, m in self.model.named_modules():
            if isinstance(m, nn.Conv2d):
                self._handles.append(m.register_forward_hook(self._hook(name, "conv")))
            elif isinstance(m, nn.Linear):
                self._handles.append(m.register_forward_hook(self._hook(name, "linear")))
            elif type(m) in self.extra:
                self._handles.append(m.register_forward_hook(self._hook(name, "extra")))
        unknown = self.mac_modules - {n for n, _ in self.model.named_modules()}
        if unknown:
            raise ValueError(f"mac_modules names not in the model: {sorted(unknown)}")
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        self._handles.clear()
        return False

    def per_image(self, n_images: int) -> dict[str, Any]:
        """Totals per image: ``macs``, ``sops``, ``energy_mj``, and per-layer arrays."""
        if n_images <= 0:
            raise ValueError(f"n_images must be > 0, got {n_images}")
        names = list(self.layers)
        macs = np.array([self.layers[n].macs for n in names]) / n_images
        sops = np.array([self.layers[n].sops for n in names]) / n_images
        rates = np.array([self.layers[n].input_rate for n in names])
        return {"macs": float(macs.sum()), "sops": float(sops.sum()),
                "energy_mj": energy_mj(float(macs.sum()), float(sops.sum())),
                "layer_names": names, "layer_macs": macs, "layer_sops": sops, "layer_input_rate": rates}
