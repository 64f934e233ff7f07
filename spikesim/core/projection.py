"""Projections: synapses from one population to another, stored as CSR by presynaptic neuron.

Accepted connectivity:
  * a dense (n_pre, n_post) array: every non-zero entry is a synapse;
  * a ``scipy.sparse`` matrix (n_pre, n_post): every stored entry is a synapse (explicit zeros too);
  * a triplet ``(pre, post, w)`` of equal-length 1-D arrays.
Delays (ms) are a scalar, an array of the same shape as the dense weights, a sparse matrix with
the same pattern, or a 1-D array aligned with the triplets. They are rounded to whole steps once
(``round(delay / dt)``), and must be at least one step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TARGETS = ("v", "I", "I_syn")  # jump on v; one-step current pulse; exponentially filtered current


def _issparse(x) -> bool:
    """scipy.sparse.issparse without importing scipy (0.5-1 s) unless x comes from it."""
    if not type(x).__module__.startswith("scipy.sparse"):
        return False
    import scipy.sparse as sp
    return sp.issparse(x)


@dataclass
class Projection:
    pre: str
    post: str
    pre_idx: np.ndarray      # (n_syn,) local presynaptic ids
    post_idx: np.ndarray     # (n_syn,) local postsynaptic ids
    weights: np.ndarray      # (n_syn,)
    delay_steps: np.ndarray  # (n_syn,) int
    target: str
    plasticity: object = None  # a rule of spikesim.plasticity.stdp, or None (static)

    @property
    def n_synapses(self) -> int:
        return int(self.weights.size)


def _as_triplets(weights, n_pre: int, n_post: int):
    if isinstance(weights, tuple) and len(weights) == 3:
        pre, post, w = (np.asarray(a).ravel() for a in weights)
        if not (pre.size == post.size == w.size):
            raise ValueError(f"weights triplet (pre, post, w) must have equal lengths, got {pre.size}, {post.size}, {w.size}")
        if pre.size and (pre.min() < 0 or pre.max() >= n_pre):
            raise ValueError(f"triplet pre ids must lie in 0..{n_pre - 1}")
        if post.size and (post.min() < 0 or post.max() >= n_post):
            raise ValueError(f"triplet post ids must lie in 0..{n_post - 1}")
        return pre.astype(np.int64), post.astype(np.int64), w.astype(np.float64), "triplet"
    if _issparse(weights):
        if weights.shape != (n_pre, n_post):
            raise ValueError(f"weights has shape {weights.shape}, expected (n_pre, n_post) = ({n_pre}, {n_post})")
        coo = weights.tocoo()
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64), "sparse"
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_pre, n_post):
        raise ValueError(f"weights has shape {w.shape}, expected (n_pre, n_post) = ({n_pre}, {n_post})")
    pre, post = np.nonzero(w)
    return pre.astype(np.int64), post.astype(np.int64), w[pre, post], "dense"


def _delays_for(delays, kind: str, weights, pre, post) -> np.ndarray:
    if np.ndim(delays) == 0 and not _issparse(delays):
        return np.full(pre.size, float(delays))
    if kind == "triplet":
        d = np.asarray(delays, dtype=np.float64).ravel()
        if d.size != pre.size:
            raise ValueError(f"delays must be a scalar or one per synapse ({pre.size}), got {d.size}")
        return d
    if _issparse(delays):
        import scipy.sparse as sp
        d = sp.csr_matrix(delays)
        if d.shape != weights.shape:
            raise ValueError(f"delays has shape {d.shape}, expected {weights.shape}")
        return np.asarray(d[pre, post]).ravel().astype(np.float64)
    d = np.asarray(delays, dtype=np.float64)
    if d.shape != tuple(weights.shape):
        raise ValueError(f"delays has shape {d.shape}, expected a scalar or the weights' shape {tuple(weights.shape)}")
    return d[pre, post]


def make_projection(pre_name: str, n_pre: int, post_name: str, n_post: int, weights, delays, target: str,
                    dt: float, plasticity=None) -> Projection:
    """Validate and convert user connectivity into a :class:`Projection` (delays in steps)."""
    if target not in TARGETS:
        raise ValueError(f"unknown synapse target {target!r}; use one of {TARGETS}")
    pre, post, w, kind = _as_triplets(weights, n_pre, n_post)
    if not np.all(np.isfinite(w)):
        bad = int(np.flatnonzero(~np.isfinite(w))[0])
        raise ValueError(f"weights of {pre_name}->{post_name} contain NaN/inf (synapse {pre[bad]}->{post[bad]})")
    d_ms = _delays_for(delays, kind, weights, pre, post)
    if not np.all(np.isfinite(d_ms)):
        raise ValueError(f"delays of {pre_name}->{post_name} contain NaN/inf")
    steps = np.rint(d_ms / dt).astype(np.int64)
    if steps.size and steps.min() < 1:
        bad = int(np.argmin(steps))
        raise ValueError(f"delay {d_ms[bad]} ms of {pre_name}->{post_name} (synapse {pre[bad]}->{post[bad]}) is below "
                         f"one step (dt = {dt} ms); the minimum delay is dt")
    if plasticity is not None:
        from spikesim.plasticity.stdp import STDP
        if not isinstance(plasticity, STDP):
            raise TypeError(f"plasticity of {pre_name}->{post_name} must be a spikesim.plasticity rule "
                            f"(STDP, RewardModulatedSTDP), got {type(plasticity).__name__}")
        if w.size and (w.min() < plasticity.w_min or w.max() > plasticity.w_max):
            raise ValueError(f"initial weights of plastic projection {pre_name}->{post_name} lie outside the rule's "
                             f"[w_min, w_max] = [{plasticity.w_min}, {plasticity.w_max}]")
    return Projection(pre_name, post_name, pre, post, w, steps, target, plasticity)
