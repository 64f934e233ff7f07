"""Event-driven spiking self-attention as a core operation (``Network.attention``).

Spikformer's SSA (Zhou et al., ICLR 2023, Eq. 15 and section 3.3) on the spikes of three
populations Q, K, V of ``tokens x dim`` neurons each, laid out token-major (neuron
``t * dim + j`` is feature j of token t); the features split into ``heads`` groups of
d = dim / heads. Every step n, from the spikes of step n (binary Q, K, V [N, d] per head h)::

    Y_h = Q_h K_h^T V_h * scale          (no softmax)

is computed with additions only (see below) and delivered as a one-step current (a ``Pulse``
synapse) to neuron ``m * dim + h * d + j`` of the target population at step n + delay
(delay >= 1 step; default one step). It runs in the *propagation* phase of the step schedule
(:mod:`spikesim.core.network`), after the synaptic spikes are enqueued.

**Additions only**, with a sparse intermediate and one of two association orders per head and
step:

* order 0, Q (K^T V): for every pair of spikes K[n, i], V[n, j] of the same token,
  S[i, j] += 1; then for every spike Q[m, i] and every non-zero S[i, j], out[m, j] += S[i, j].
  Accumulations: sum_n |K_n| |V_n| + sum_{(m, i) in Q} nnz(S_i).
* order 1, (Q K^T) V: for every pair of spikes Q[m, i], K[n, i] of the same feature,
  A[m, n] += 1; then for every spike V[n, j] and every non-zero A[m, n], out[m, j] += A[m, n].
  Accumulations: sum_i |Q_:i| |K_:i| + sum_{(n, j) in V} nnz(A_:n).

``order="auto"`` picks, per head and step, the order with the smaller *estimated* cost from
quantities known before the intermediate is built: the exact stage-1 pair counts P0, P1 and the
expected stage-2 cost for uniformly spread pairs::

    est0 = P0 + |Q| d (1 - exp(-P0 / d^2)),    est1 = P1 + |V| N (1 - exp(-P1 / N^2))

(ties -> order 0). The accumulations performed are counted exactly (``Network.attention_ops``;
``last_run_stats["attention_ops"]`` for one run); the final multiplication by the scale (0.125
in Spikformer: a shift) is not an accumulation and is not counted. All sums are small integers,
so every backend computes the same values bit for bit.
"""
from __future__ import annotations

import numpy as np

from spikesim.backends.reference.attention import I_D, I_DELAY, I_H, I_MODE, I_N, ORDERS
from spikesim.core.validate import check_int, check_number


class Attention:
    """One event-driven SSA operation of a network (see the module docstring); made by
    :meth:`spikesim.Network.attention`."""

    def __init__(self, q: str, k: str, v: str, target: str, tokens: int, dim: int, heads: int,
                 scale: float, delay_steps: int, order: str):
        self.q, self.k, self.v, self.target = q, k, v, target
        self.tokens, self.dim, self.heads = tokens, dim, heads
        self.d = dim // heads
        self.scale = float(scale)
        self.delay_steps = delay_steps
        self.order = order
        from spikesim.synapses.pulse import Pulse
        self.synapse = Pulse(name="attention")
        n, d, h = tokens, self.d, heads
        w = max(n, self.d)
        self.I = np.zeros(9, dtype=np.int64)                 # filled by the plan (starts, receiver cell)
        self.I[[I_N, I_D, I_H, I_MODE, I_DELAY]] = n, dim, h, ORDERS[order], delay_steps
        self.F = np.array([self.scale])
        self.ops = np.zeros(3, dtype=np.int64)               # accumulations, slices in order 0, in order 1
        # scratch of the kernels (kept zero between steps where stated)
        self.lp = np.zeros((3, h * n + 1), dtype=np.int64)   # spike lists of Q, K, V: CSR over (head, token)
        self.li = np.zeros((3, n * dim), dtype=np.int32)     # their features (local to the head)
        self.fill = np.zeros(max(h * n, d), dtype=np.int64)
        self.colk = np.zeros(d + 1, dtype=np.int64)
        self.ktok = np.zeros(n * d, dtype=np.int32)
        self.M = np.zeros((w, w), dtype=np.int32)            # intermediate counts (zero on entry and exit)
        self.cnt = np.zeros(w, dtype=np.int64)               # non-zeros per row (zero on entry and exit)
        self.lst = np.zeros((w, w), dtype=np.int32)          # their columns
        self.bits = np.zeros((2, w, (w + 63) // 64), dtype=np.uint64)  # token masks of K's, V's features (CPU; zero)
        # the CPU kernel's all-heads pass (every head in order 0; zero between steps)
        self.hb = np.zeros((2, h * d, (n + 63) // 64), dtype=np.uint64)   # K's, V's token masks per feature
        self.hm = np.zeros((h, d, d), dtype=np.int32)        # K^T V of every head (row i: feature h d + i)
        self.hc = np.zeros((h, d), dtype=np.int64)           # its non-zeros per row
        self.hn = np.zeros(h, dtype=np.int64)                # Q's spikes per head (all-heads pass scratch)
        self.hk = np.zeros((h, d), dtype=np.int64)           # K's spikes per feature
        self.hs = np.zeros((h, 2), dtype=np.int64)           # Q's pairs with K of the same feature, Q's spikes
        self.hd = np.arange(dim, dtype=np.int32) // self.d  # the head of each feature
        self.out = np.zeros((h, n, d), dtype=np.int32)       # Q K^T V counts of the step (zero between steps)

    def __repr__(self) -> str:
        return (f"Attention(q={self.q!r}, k={self.k!r}, v={self.v!r} -> {self.target!r}, tokens={self.tokens}, "
                f"dim={self.dim}, heads={self.heads}, scale={self.scale}, delay={self.delay_steps} steps, "
                f"order={self.order!r})")


def make_attention(pops: dict, names: tuple[str, str, str, str], tokens, heads, scale, delay, order, dt) -> Attention:
    """Validate the arguments of ``Network.attention`` (messages name the argument)."""
    from spikesim.core.inputs import Poisson, SpikeSource
    tokens = check_int(tokens, "attention tokens", low=1)
    heads = check_int(heads, "attention heads", low=1)
    qn, kn, vn, tn = names
    n = pops[qn].n
    for arg, name in zip(("q", "k", "v", "target"), names):
        if pops[name].n != n:
            raise ValueError(f"attention {arg}: population {name!r} has {pops[name].n} neurons, but q "
                             f"({qn!r}) has {n}; q, k, v and target must have tokens x dim neurons each")
    if n % tokens:
        raise ValueError(f"attention tokens={tokens} does not divide the {n} neurons of q ({qn!r})")
    dim = n // tokens
    if dim % heads:
        raise ValueError(f"attention heads={heads} does not divide dim = {dim} (= {n} neurons / {tokens} tokens)")
    if isinstance(pops[tn], (SpikeSource, Poisson)):
        raise ValueError(f"attention target {tn!r} is an input and cannot receive currents")
    check_number(scale, "attention scale")
    if not np.isfinite(scale):
        raise ValueError(f"attention scale must be finite, got {scale!r}")
    if order not in ORDERS:
        raise ValueError(f"attention order must be one of {list(ORDERS)}, got {order!r}")
    if delay is None:
        steps = 1
    else:
        check_number(delay, "attention delay")
        steps = int(round(float(delay) / dt))
        if not np.isfinite(delay) or steps < 1:
            raise ValueError(f"attention delay must be at least one step ({dt} ms), got {delay!r}")
    return Attention(qn, kn, vn, tn, tokens, dim, heads, scale, steps, order)


__all__ = ["Attention", "ORDERS", "make_attention"]
