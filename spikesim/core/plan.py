"""Flatten a Network into plain arrays (the "plan") that every backend's kernels take.

Global neuron index space: populations (neurons and spike sources) occupy contiguous ranges in
the order they were added. Kind codes and the meaning of the rows of ``params`` / ``state``:

    kind 0  Izhikevich   params: a, b, c, d, v_peak, decay_syn, -    state: v, u,   I_syn
    kind 1  LIF          params: v_rest, r_m, decay_m, v_reset, v_th, decay_syn, ref_steps
                                                                     state: v, ref, I_syn
    kind 2  SpikeSource  (spike steps/ids in src_step/src_gid, one sorted block per population)
    kind 3  Poisson      params: p_fire = rate * dt, -, ...

Synapses of all projections form one CSR by presynaptic global index (``indptr``, ``post``,
``w``, ``delay``, ``syn_ring``). Each synapse target in use ("v", "I", "I_syn") has one ring
buffer row ``ring[r, slot, neuron]`` with ``n_slots = max_delay + 1``; ``ring_target[r]`` says
which target row r feeds (0 = v jump, 1 = one-step current, 2 = filtered current).
Exponential decay factors are computed here once (``math.exp``), so kernels only add and
multiply and every backend gets bit-identical arithmetic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from spikesim.neurons.izhikevich import METHODS

KIND_IZHIKEVICH, KIND_LIF, KIND_SPIKE_SOURCE, KIND_POISSON = 0, 1, 2, 3
KIND_CODES = {"izhikevich": 0, "lif": 1, "spike_source": 2, "poisson": 3}
TARGET_CODES = {"v": 0, "I": 1, "I_syn": 2}
STATE_ROWS = {0: {"v": 0, "u": 1, "I_syn": 2}, 1: {"v": 0, "ref": 1, "I_syn": 2}}
N_PARAMS = 7

STATUS_DONE, STATUS_BUFFER_FULL, STATUS_NONFINITE = 0, 1, 2
# counters[] slots
C_SPIKES, C_EVENTS, C_BAD_POP, C_SRC0 = 0, 1, 2, 3


@dataclass
class Plan:
    dt: float
    seed: int
    names: list[str]
    pop_kind: np.ndarray
    pop_start: np.ndarray
    pop_stop: np.ndarray
    pop_flag: np.ndarray
    params: np.ndarray
    state: np.ndarray
    I_const: np.ndarray
    I_time: np.ndarray          # (rows, cols) current arrays, row = global step
    I_time_gid: np.ndarray      # (cols,) neuron receiving each column
    src_step: np.ndarray
    src_gid: np.ndarray
    src_off: np.ndarray         # (n_pops + 1,) block of each population in src_*
    indptr: np.ndarray
    post: np.ndarray
    w: np.ndarray
    delay: np.ndarray
    syn_ring: np.ndarray
    ring: np.ndarray
    ring_target: np.ndarray
    out_degree: np.ndarray
    # plasticity (spikesim.plasticity.stdp): rule of each CSR synapse (-1 = static), its global
    # presynaptic index, the rule table, traces per rule and neuron, eligibilities, modulators,
    # the incoming (by post, then synapse id) index of plastic synapses, the modulated synapses
    syn_rule: np.ndarray = field(default=None)
    syn_pre: np.ndarray = field(default=None)
    rules: np.ndarray = field(default=None)
    x_pre: np.ndarray = field(default=None)
    x_post: np.ndarray = field(default=None)
    elig: np.ndarray = field(default=None)
    modulator: np.ndarray = field(default=None)
    post_indptr: np.ndarray = field(default=None)
    post_syn: np.ndarray = field(default=None)
    mod_syn: np.ndarray = field(default=None)
    row_delay: np.ndarray = field(default=None)      # per presynaptic row: its one delay, or -1 if mixed
    row_ring: np.ndarray = field(default=None)       # per row with one delay: its one target ring
    csr_pos: np.ndarray = field(default=None)        # CSR position of the k-th synapse in connect order
    proj_offset: np.ndarray = field(default=None)    # first synapse of each projection in connect order
    counters: np.ndarray = field(default=None)

    @property
    def has_plasticity(self) -> bool:
        return self.rules is not None and self.rules.shape[0] > 0

    @property
    def n_total(self) -> int:
        return int(self.pop_stop[-1]) if len(self.pop_stop) else 0

    @property
    def n_slots(self) -> int:
        return int(self.ring.shape[1])

    @property
    def n_synapses(self) -> int:
        return int(self.w.size)


def build_plan(dt: float, seed: int, pops: dict, projections: list, injections: list,
               max_delay_steps: int | None) -> Plan:
    names = list(pops)
    sizes = np.array([pops[k].n for k in names], dtype=np.int64)
    stop = np.cumsum(sizes)
    start = stop - sizes
    N = int(stop[-1]) if len(stop) else 0
    index = {k: i for i, k in enumerate(names)}
    kind = np.array([KIND_CODES[pops[k].kind] for k in names], dtype=np.int64)
    flag = np.zeros(len(names), dtype=np.int64)
    params = np.zeros((N_PARAMS, N))
    state = np.zeros((3, N))
    src_step_blocks, src_gid_blocks = [], []
    for p, name in enumerate(names):
        obj, s, e = pops[name], start[p], stop[p]
        if kind[p] == KIND_IZHIKEVICH:
            pr = obj.params
            for row, key in enumerate(("a", "b", "c", "d", "v_peak")):
                params[row, s:e] = pr[key]
            params[5, s:e] = [math.exp(-dt / t) for t in pr["tau_syn"]]
            flag[p] = METHODS[obj.method]
            state[0, s:e], state[1, s:e], state[2, s:e] = obj.initial["v"], obj.initial["u"], obj.initial["I_syn"]
        elif kind[p] == KIND_LIF:
            pr = obj.params
            params[0, s:e] = pr["v_rest"]
            params[1, s:e] = pr["r_m"]
            params[2, s:e] = [math.exp(-dt / t) for t in pr["tau_m"]]
            params[3, s:e] = pr["v_reset"]
            params[4, s:e] = pr["v_th"]
            params[5, s:e] = [math.exp(-dt / t) for t in pr["tau_syn"]]
            params[6, s:e] = np.ceil(pr["t_ref"] / dt - 1e-9)
            state[0, s:e], state[1, s:e], state[2, s:e] = obj.initial["v"], obj.initial["ref"], obj.initial["I_syn"]
        elif kind[p] == KIND_POISSON:
            params[0, s:e] = obj.rate_hz * dt * 1e-3
        if kind[p] == KIND_SPIKE_SOURCE:
            steps = np.rint(obj.times / dt).astype(np.int64)
            order = np.lexsort((obj.ids, steps))
            st, gi = steps[order], obj.ids[order] + s
            keep = np.ones(st.size, dtype=bool)
            keep[1:] = (st[1:] != st[:-1]) | (gi[1:] != gi[:-1])
            src_step_blocks.append(st[keep])
            src_gid_blocks.append(gi[keep])
        else:
            src_step_blocks.append(np.zeros(0, np.int64))
            src_gid_blocks.append(np.zeros(0, np.int64))
    src_off = np.concatenate([[0], np.cumsum([b.size for b in src_step_blocks])]).astype(np.int64)
    src_step = np.concatenate(src_step_blocks) if src_step_blocks else np.zeros(0, np.int64)
    src_gid = np.concatenate(src_gid_blocks) if src_gid_blocks else np.zeros(0, np.int64)

    # -- synapses: one CSR by presynaptic global index, stable within a projection ------------
    used_targets = sorted({TARGET_CODES[pr.target] for pr in projections})
    ring_of_target = {t: r for r, t in enumerate(used_targets)}
    pre_g = [pr.pre_idx + start[index[pr.pre]] for pr in projections]
    post_g = [pr.post_idx + start[index[pr.post]] for pr in projections]
    cat = lambda parts, dt_: np.concatenate(parts).astype(dt_) if parts else np.zeros(0, dt_)  # noqa: E731
    pre_all = cat(pre_g, np.int64)
    post_all = cat(post_g, np.int64)
    w_all = cat([pr.weights for pr in projections], np.float64)
    d_all = cat([pr.delay_steps for pr in projections], np.int64)
    r_all = cat([np.full(pr.n_synapses, ring_of_target[TARGET_CODES[pr.target]]) for pr in projections], np.int64)
    order = np.argsort(pre_all, kind="stable")
    counts = np.bincount(pre_all, minlength=N)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    max_d = int(d_all.max()) if d_all.size else 1
    if max_delay_steps is not None:
        if d_all.size and max_d > max_delay_steps:
            raise ValueError(f"a delay of {max_d * dt} ms exceeds the network's max_delay of {max_delay_steps * dt} ms")
        max_d = max_delay_steps
    n_slots = max_d + 1
    ring = np.zeros((max(len(used_targets), 1), n_slots, N))
    ring_target = np.array(used_targets or [0], dtype=np.int64)

    # -- injected currents ------------------------------------------------------------------
    I_const = np.zeros(N)
    cols, gids = [], []
    for name, cur in injections:
        p = index[name]
        if cur.ndim <= 1:
            I_const[start[p]:stop[p]] += cur
        else:
            for j in range(cur.shape[1]):
                cols.append(cur[:, j])
                gids.append(start[p] + j)
    if cols:
        rows = min(c.size for c in cols)
        I_time = np.ascontiguousarray(np.stack([c[:rows] for c in cols], axis=1))
    else:
        I_time = np.zeros((0, 0))
    plan = Plan(dt=dt, seed=int(seed), names=names, pop_kind=kind, pop_start=start.astype(np.int64),
                pop_stop=stop.astype(np.int64), pop_flag=flag, params=params, state=state, I_const=I_const,
                I_time=I_time, I_time_gid=np.array(gids, dtype=np.int64), src_step=src_step, src_gid=src_gid,
                src_off=src_off, indptr=indptr, post=post_all[order].astype(np.int32), w=w_all[order],
                delay=d_all[order].astype(np.int32), syn_ring=r_all[order].astype(np.int8), ring=ring,
                ring_target=ring_target, out_degree=counts.astype(np.int64))
    _add_row_summaries(plan, N)
    _add_plasticity(plan, projections, pre_all[order], order, N, dt)
    plan.counters = np.zeros(C_SRC0 + len(names), dtype=np.int64)
    plan.counters[C_SRC0:] = src_off[:-1]
    return plan


def _add_row_summaries(plan: Plan, N: int) -> None:
    """Rows whose synapses share one delay and one ring get them stored once per row, so the
    propagation loop reads only (post, w) per synapse for them."""
    plan.row_delay = np.full(N, -1, dtype=np.int32)
    plan.row_ring = np.zeros(N, dtype=np.int8)
    counts = np.diff(plan.indptr)
    rows = np.flatnonzero(counts > 0)
    if rows.size == 0:
        return
    first = plan.indptr[rows]
    key = plan.delay.astype(np.int64) * 8 + plan.syn_ring
    lo = np.minimum.reduceat(key, first)
    hi = np.maximum.reduceat(key, first)
    uniform = rows[lo == hi]
    plan.row_delay[uniform] = plan.delay[plan.indptr[uniform]]
    plan.row_ring[uniform] = plan.syn_ring[plan.indptr[uniform]]
    plan.row_delay[counts == 0] = 0          # empty rows: nothing to deliver either way


def _add_plasticity(plan: Plan, projections: list, pre_csr: np.ndarray, order: np.ndarray, N: int, dt: float) -> None:
    """Fill the plasticity fields of ``plan`` (empty tables when every projection is static)."""
    from spikesim.plasticity.stdp import N_RULE_PARAMS, P_KIND, RULE_RSTDP

    rules, rows, syn_rule_cat = [], [], []
    for pr in projections:
        r = -1
        if pr.plasticity is not None:
            r = len(rules)
            rules.append(pr.plasticity)
            rows.append(pr.plasticity.table_row(dt))
        syn_rule_cat.append(np.full(pr.n_synapses, r, dtype=np.int64))
    n_rules = len(rules)
    if n_rules == 0:   # static network: no per-synapse plasticity arrays at all (memory per synapse)
        syn_rule_cat = []
    syn_rule = np.concatenate(syn_rule_cat)[order].astype(np.int32) if syn_rule_cat else np.zeros(0, np.int32)
    plan.rules = np.array(rows).reshape(n_rules, N_RULE_PARAMS)
    plan.syn_rule = syn_rule
    plan.syn_pre = pre_csr.astype(np.int32) if n_rules else np.zeros(0, np.int32)
    plan.x_pre = np.zeros((n_rules, N))
    plan.x_post = np.zeros((n_rules, N))
    plan.elig = np.zeros(syn_rule.size)
    mod_lengths = [r.modulator(0).size for r in rules if r.kind == RULE_RSTDP]
    n_mod = min(mod_lengths) if mod_lengths else 0
    plan.modulator = np.zeros((n_rules, n_mod))
    for k, r in enumerate(rules):
        if r.kind == RULE_RSTDP:
            plan.modulator[k] = r.modulator(0)[:n_mod]
    plastic = np.flatnonzero(syn_rule >= 0)  # empty for a static network
    post_of = plan.post[plastic]
    by_post = plastic[np.lexsort((plastic, post_of))]
    plan.post_syn = by_post.astype(np.int64)
    plan.post_indptr = np.concatenate([[0], np.cumsum(np.bincount(post_of, minlength=N))]).astype(np.int64)
    kinds = plan.rules[:, P_KIND].astype(np.int64) if n_rules else np.zeros(0, np.int64)
    plan.mod_syn = plastic[kinds[syn_rule[plastic]] == RULE_RSTDP].astype(np.int64) if n_rules else np.zeros(0, np.int64)
    plan.csr_pos = np.empty(order.size, dtype=np.int64)
    plan.csr_pos[order] = np.arange(order.size)
    plan.proj_offset = np.concatenate([[0], np.cumsum([pr.n_synapses for pr in projections])]).astype(np.int64)
