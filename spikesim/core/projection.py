"""Projections: synapses from one population to another, stored as CSR by presynaptic neuron.

Accepted connectivity:
  * a dense (n_pre, n_post) array: every non-zero entry is a synapse;
  * a ``scipy.sparse`` matrix (n_pre, n_post): every stored entry is a synapse (explicit zeros too);
  * a triplet ``(pre, post, w)`` of equal-length 1-D arrays.
Delays (ms) are a scalar, an array of the same shape as the dense weights, a sparse matrix with
the same pattern, or a 1-D array aligned with the triplets. A plain *list* of three sequences is
refused as ambiguous (triplets must be a tuple). Every index array (triplet ids, scipy.sparse
``indices`` / ``indptr`` / ``row`` / ``col``) is checked against the population sizes before use;
NaN or fractional ids are refused; the arrays stored in the :class:`Projection` are read-only
copies. They are rounded to whole steps once
(``round(delay / dt)``), and must be at least one step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.core.validate import (check_array, check_index_array, check_number, check_ring_memory,
                                     freeze)

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
    plasticity: object = None  # a spikesim.plasticity.PlasticityRule, or None (static)
    name: str = ""             # "<pre>-><post>" (set by Network.connect): the key of its recordings

    @property
    def n_synapses(self) -> int:
        return int(self.weights.size)


def _sparse_entries(x, name: str, shape: tuple[int, int]):
    """(rows, cols, values) of every stored entry of a scipy.sparse matrix, in storage order.

    The index arrays are checked against ``shape`` before anything indexes with them: a matrix
    whose ``indices`` / ``indptr`` / ``row`` / ``col`` were edited by hand cannot smuggle an
    out-of-range id into a kernel. The user's matrix is not modified."""
    if len(x.shape) != 2 or tuple(x.shape) != shape:
        raise ValueError(f"{name} has shape {x.shape}, expected (n_pre, n_post) = {shape}")
    fmt = getattr(x, "format", "")
    try:
        if fmt in ("csr", "csc"):
            major_n, minor_n = shape if fmt == "csr" else shape[::-1]
            indptr = check_array(x.indptr, f"{name} indptr", dtype=np.int64, shape=(major_n + 1,),
                                 copy=False, readonly=False)
            if indptr[0] != 0 or np.any(np.diff(indptr) < 0):
                raise ValueError(f"{name} indptr must start at 0 and never decrease")
            nnz = int(indptr[-1])
            if nnz > min(np.size(x.indices), np.size(x.data)):
                raise ValueError(f"{name} indptr ends at {nnz} but only {min(np.size(x.indices), np.size(x.data))} "
                                 "entries are stored")
            major = np.repeat(np.arange(major_n, dtype=np.int64), np.diff(indptr))
            minor = check_index_array(np.asarray(x.indices).ravel()[:nnz], f"{name} indices", minor_n)
            data = np.asarray(x.data).ravel()[:nnz]
            rows, cols = (major, minor) if fmt == "csr" else (minor, major)
        else:
            coo = x if fmt == "coo" else x.tocoo()
            rows = check_index_array(coo.row, f"{name} row indices", shape[0])
            cols = check_index_array(coo.col, f"{name} column indices", shape[1])
            data = np.asarray(coo.data).ravel()
            if not (rows.size == cols.size == data.size):
                raise ValueError(f"{name} has {rows.size} row, {cols.size} column indices and {data.size} values")
    except (TypeError, ValueError):
        raise
    except Exception as exc:  # whatever a malformed scipy object raises on conversion
        raise ValueError(f"{name} is a malformed scipy.sparse matrix: {type(exc).__name__}: {exc}") from None
    values = check_array(data, f"{name} values", finite=False, readonly=False)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), values


def _ambiguous_list(weights) -> bool:
    """A plain list of three 1-D sequences could be (pre, post, w) or a 3-row dense matrix."""
    return (isinstance(weights, list) and len(weights) == 3
            and all(isinstance(r, (list, tuple, np.ndarray)) and np.ndim(r) == 1 for r in weights))


def _as_triplets(weights, n_pre: int, n_post: int):
    if isinstance(weights, tuple) and len(weights) == 3:
        pre, post, w = weights
        for part, label in ((pre, "pre ids"), (post, "post ids"), (w, "weights")):
            if np.ndim(part) > 1:
                raise ValueError(f"weights triplet {label} must be 1-D, got shape {np.shape(part)}")
        w = check_array(w, "weights triplet w", finite=False, readonly=False).ravel()
        pre_n, post_n = np.size(pre), np.size(post)
        if not (pre_n == post_n == w.size):
            raise ValueError(f"weights triplet (pre, post, w) must have equal lengths, got {pre_n}, {post_n}, {w.size}")
        pre = check_index_array(pre, "triplet pre ids", n_pre, readonly=False)
        post = check_index_array(post, "triplet post ids", n_post, readonly=False)
        return pre, post, w, "triplet"
    if _issparse(weights):
        pre, post, w = _sparse_entries(weights, "weights", (n_pre, n_post))
        return pre, post, w, "sparse"
    if _ambiguous_list(weights):
        raise ValueError("weights is a list of three sequences: pass a tuple (pre, post, w) for synapse triplets, "
                         "or np.asarray(weights) for a dense (n_pre, n_post) matrix")
    w = check_array(weights, "weights", finite=False, readonly=False)
    if w.shape != (n_pre, n_post):
        raise ValueError(f"weights has shape {w.shape}, expected (n_pre, n_post) = ({n_pre}, {n_post})")
    pre, post = np.nonzero(w)
    return pre.astype(np.int64), post.astype(np.int64), w[pre, post], "dense"


def _delays_for(delays, kind: str, weights, pre, post) -> np.ndarray:
    if _issparse(delays):
        shape = tuple(np.shape(weights)) if kind != "triplet" else None
        if shape is None:
            raise ValueError("delays for (pre, post, w) triplets must be a scalar or one per synapse, "
                             "not a sparse matrix")
        rows, cols, vals = _sparse_entries(delays, "delays", shape)
        if pre.size == 0:
            return np.zeros(0)
        import scipy.sparse as sp
        d = sp.csr_matrix((vals, (rows, cols)), shape=shape)
        return np.asarray(d[pre, post]).ravel().astype(np.float64)
    if np.ndim(delays) == 0:
        return np.full(pre.size, check_number(delays, "delays", finite=False))
    d = check_array(delays, "delays", finite=False, readonly=False)
    if kind == "triplet":
        if d.ndim != 1 or d.size != pre.size:
            raise ValueError(f"delays must be a scalar or one per synapse ({pre.size}), got shape {d.shape}")
        return d
    if d.shape != tuple(np.shape(weights)):
        raise ValueError(f"delays has shape {d.shape}, expected a scalar or the weights' shape {tuple(np.shape(weights))}")
    return d[pre, post]


def make_projection(pre_name: str, n_pre: int, post_name: str, n_post: int, weights, delays, target: str,
                    dt: float, plasticity=None) -> Projection:
    """Validate and convert user connectivity into a :class:`Projection` (delays in steps)."""
    if not isinstance(target, str) or target not in TARGETS:
        raise ValueError(f"unknown synapse target {target!r}; use one of {TARGETS}")
    pre, post, w, kind = _as_triplets(weights, n_pre, n_post)
    if not np.all(np.isfinite(w)):
        bad = int(np.flatnonzero(~np.isfinite(w))[0])
        raise ValueError(f"weights of {pre_name}->{post_name} contain NaN/inf (synapse {pre[bad]}->{post[bad]})")
    d_ms = _delays_for(delays, kind, weights, pre, post)
    if not np.all(np.isfinite(d_ms)):
        raise ValueError(f"delays of {pre_name}->{post_name} contain NaN/inf")
    if d_ms.size:
        # the ring buffer holds max_delay + 1 slots for at least the n_post target neurons: refuse an
        # absurd delay here, before the float -> int64 cast could wrap and before build allocates
        longest = float(d_ms.max())
        check_ring_memory(1, longest / dt, n_post if pre_name == post_name else n_pre + n_post,
                          f"the delay ring buffer for delay {longest} ms of {pre_name}->{post_name}")
    steps = np.rint(d_ms / dt).astype(np.int64)
    if steps.size and steps.min() < 1:
        bad = int(np.argmin(steps))
        raise ValueError(f"delay {d_ms[bad]} ms of {pre_name}->{post_name} (synapse {pre[bad]}->{post[bad]}) is below "
                         f"one step (dt = {dt} ms); the minimum delay is dt")
    if plasticity is not None:
        from spikesim.plasticity.base import PlasticityRule
        if not isinstance(plasticity, PlasticityRule):
            raise TypeError(f"plasticity of {pre_name}->{post_name} must be a spikesim.plasticity rule "
                            f"(STDP, RewardModulatedSTDP, TripletSTDP, a PlasticityRule of your own), got "
                            f"{type(plasticity).__name__}")
        if w.size and (w.min() < plasticity.w_min or w.max() > plasticity.w_max):
            raise ValueError(f"initial weights of plastic projection {pre_name}->{post_name} lie outside the rule's "
                             f"[w_min, w_max] = [{plasticity.w_min}, {plasticity.w_max}]")
    return Projection(pre_name, post_name, freeze(pre), freeze(post), freeze(w), freeze(steps), target, plasticity)
