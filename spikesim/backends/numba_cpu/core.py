"""Numba CPU driver of the event-driven core: the whole time loop in one compiled function.

Schedule of one step n (documented once, shared by every backend; see spikesim.core.network):
inputs (ring-buffer slot n, constant and time-array currents) -> state update -> threshold ->
spike propagation (enqueue w into slot (n + delay) of the target's ring) -> reset -> monitors.
Per-neuron maths comes from :mod:`spikesim.neurons` (compiled here with ``njit(inline="always")``),
the Poisson draws from :mod:`spikesim.rng.counter`. The loop returns to Python only when the
requested steps are done, the spike buffer might overflow in the next step, or a state
variable became NaN/inf.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from spikesim.backends.scalar import compile_scalar
from spikesim.core.plan import (C_BAD_POP, C_EVENTS, C_SPIKES, C_SRC0, STATUS_BUFFER_FULL, STATUS_DONE,
                                STATUS_NONFINITE)
from spikesim.neurons.izhikevich import izhikevich_reset, izhikevich_update
from spikesim.neurons.lif import lif_update
from spikesim.plasticity.stdp import (P_A_MINUS, P_A_PLUS, P_DECAY_ELIG, P_DECAY_POST, P_DECAY_PRE, P_ETA, P_KIND,
                                      P_W_MAX, P_W_MIN, RULE_RSTDP, clip_weight)
from spikesim.rng.counter import counter_uniform, splitmix64

_inline = njit(inline="always", cache=True)
_splitmix64 = compile_scalar(splitmix64, _inline)
_uniform = compile_scalar(counter_uniform, _inline, splitmix64=_splitmix64)
_izh_update = compile_scalar(izhikevich_update, _inline)
_izh_reset = compile_scalar(izhikevich_reset, _inline)
_lif_update = compile_scalar(lif_update, _inline)
_clip = compile_scalar(clip_weight, _inline)


@njit(inline="always", cache=True)
def _deliver(target, slot_row):
    """Add one ring-buffer slot to its target and clear the slot (1-D loops from 0 vectorise)."""
    for i in range(target.size):
        target[i] += slot_row[i]
        slot_row[i] = 0.0


@njit(inline="always", cache=True)
def _update_izhikevich(v, u, isyn, cur, a, b, decay_syn, dt, method):
    """State update of one Izhikevich population (views); False if any value became NaN/inf."""
    finite = True
    for i in range(v.size):
        vi, ui = _izh_update(v[i], u[i], cur[i] + isyn[i], a[i], b[i], dt, method)
        v[i] = vi
        u[i] = ui
        isyn[i] *= decay_syn[i]
        finite &= np.isfinite(vi) & np.isfinite(ui)
    return finite


@njit(inline="always", cache=True)
def _update_lif(v, ref, isyn, cur, v_rest, r_m, decay_m, v_reset, decay_syn):
    """State update of one LIF population (views); False if any value became NaN/inf."""
    finite = True
    for i in range(v.size):
        vi, ri = _lif_update(v[i], ref[i], cur[i] + isyn[i], v_rest[i], r_m[i], decay_m[i], v_reset[i])
        v[i] = vi
        ref[i] = ri
        isyn[i] *= decay_syn[i]
        finite &= np.isfinite(vi)
    return finite


@njit(inline="always", cache=True)
def _update_lif_uniform(v, ref, isyn, cur, v_rest, r_m, decay_m, v_reset, decay_syn):
    """:func:`_update_lif` for a population whose parameters are all equal (scalars): it reads
    4 instead of 9 arrays per neuron, which matters once a network outgrows the caches."""
    finite = True
    for i in range(v.size):
        vi, ri = _lif_update(v[i], ref[i], cur[i] + isyn[i], v_rest, r_m, decay_m, v_reset)
        v[i] = vi
        ref[i] = ri
        isyn[i] *= decay_syn
        finite &= np.isfinite(vi)
    return finite


@njit(inline="always", cache=True)
def _threshold_uniform(v, v_th, offset, spike_list, n_spk):
    """:func:`_threshold` with one threshold for the population."""
    for i in range(v.size):
        spike_list[n_spk] = offset + i
        n_spk += v[i] >= v_th
    return n_spk


@njit(inline="always", cache=True)
def _uniform_params(params, s, e):
    """True when every parameter row is constant over neurons s..e-1."""
    for r in range(params.shape[0]):
        first = params[r, s]
        for i in range(s + 1, e):
            if params[r, i] != first:
                return False
    return True


@njit(inline="always", cache=True)
def _threshold(v, v_th, offset, spike_list, n_spk):
    """Append offset + i for every v[i] >= v_th[i] (branch-free compaction); new count."""
    for i in range(v.size):
        spike_list[n_spk] = offset + i
        n_spk += v[i] >= v_th[i]
    return n_spk


@njit(cache=True, nogil=True)
def plasticity_step(step, spike_list, n_spk, indptr, post, w, syn_rule, syn_pre, rules, x_pre, x_post, elig,
                    modulator, post_indptr, post_syn, mod_syn):
    """The plasticity phase of one step (order documented in spikesim.plasticity.stdp)."""
    n_rules = rules.shape[0]
    N = x_pre.shape[1]
    for r in range(n_rules):
        d_pre = rules[r, P_DECAY_PRE]
        d_post = rules[r, P_DECAY_POST]
        for i in range(N):
            x_pre[r, i] *= d_pre
            x_post[r, i] *= d_post
    for k in range(mod_syn.size):
        syn = mod_syn[k]
        elig[syn] *= rules[syn_rule[syn], P_DECAY_ELIG]
    for k in range(n_spk):                       # depression: this step's presynaptic spikes
        g = spike_list[k]
        for syn in range(indptr[g], indptr[g + 1]):
            r = syn_rule[syn]
            if r >= 0:
                dw = -(rules[r, P_A_MINUS] * x_post[r, post[syn]])
                if rules[r, P_KIND] == RULE_RSTDP:
                    elig[syn] += dw
                else:
                    w[syn] = _clip(w[syn] + dw, rules[r, P_W_MIN], rules[r, P_W_MAX])
    for k in range(n_spk):                       # potentiation: this step's postsynaptic spikes
        g = spike_list[k]
        for j in range(post_indptr[g], post_indptr[g + 1]):
            syn = post_syn[j]
            r = syn_rule[syn]
            dw = rules[r, P_A_PLUS] * x_pre[r, syn_pre[syn]]
            if rules[r, P_KIND] == RULE_RSTDP:
                elig[syn] += dw
            else:
                w[syn] = _clip(w[syn] + dw, rules[r, P_W_MIN], rules[r, P_W_MAX])
    for k in range(n_spk):                       # trace increments
        g = spike_list[k]
        for r in range(n_rules):
            x_pre[r, g] += 1.0
            x_post[r, g] += 1.0
    for k in range(mod_syn.size):                # third factor: modulated weight change
        syn = mod_syn[k]
        r = syn_rule[syn]
        w[syn] = _clip(w[syn] + rules[r, P_ETA] * modulator[r, step] * elig[syn], rules[r, P_W_MIN],
                       rules[r, P_W_MAX])


@njit(cache=True, nogil=True)
def run_steps(step0, step1, seed, pop_kind, pop_start, pop_stop, pop_flag, params, state, I_const, I_time,
              I_time_gid, src_step, src_gid, src_off, indptr, post, w, delay, syn_ring, ring, ring_target,
              rec_spike, spk_step, spk_gid, rec_var, rec_gid, rec_every, rec_buf, rec_count, counters,
              spike_list, current, dt, syn_rule, syn_pre, rules, x_pre, x_post, elig, modulator, post_indptr,
              post_syn, mod_syn, row_delay, row_ring):
    """Advance from global step ``step0`` up to ``step1``; returns (status, next_step)."""
    n_pops = pop_kind.size
    N = state.shape[1]
    n_slots = ring.shape[1]
    ring_v = -1                      # ring row of each synapse target, -1 when unused
    ring_i = -1
    ring_s = -1
    for r in range(ring.shape[0]):
        if ring_target[r] == 0:
            ring_v = r
        elif ring_target[r] == 1:
            ring_i = r
        else:
            ring_s = r
    has_time = I_time.shape[1] > 0
    cur_in = current if (has_time or ring_i >= 0) else I_const
    seed_u = np.uint64(seed)
    pop_uniform = np.zeros(n_pops, dtype=np.bool_)    # LIF populations with scalar parameters
    for p in range(n_pops):
        if pop_kind[p] == 1:
            pop_uniform[p] = _uniform_params(params, pop_start[p], pop_stop[p])
    cap = spk_step.size
    ring_flat = ring.reshape(ring.size)    # ring[r, t, i] = ring_flat[(r * n_slots + t) * N + i]
    for step in range(step0, step1):
        if counters[C_SPIKES] + N > cap:
            return STATUS_BUFFER_FULL, step
        slot = step % n_slots
        # ---- inputs: ring slot -> v / I_syn / current; time-array currents ---------------
        if ring_v >= 0:
            _deliver(state[0], ring[ring_v, slot])
        if ring_s >= 0:
            _deliver(state[2], ring[ring_s, slot])
        if has_time:
            for i in range(N):
                current[i] = I_const[i]
            for c in range(I_time.shape[1]):
                current[I_time_gid[c]] += I_time[step, c]
            if ring_i >= 0:
                _deliver(current, ring[ring_i, slot])
        elif ring_i >= 0:
            for i in range(N):
                current[i] = I_const[i]
            _deliver(current, ring[ring_i, slot])
        # ---- state update and threshold, population by population ------------------------
        n_spk = 0
        for p in range(n_pops):
            kind = pop_kind[p]
            s = pop_start[p]
            e = pop_stop[p]
            if kind == 0:
                if not _update_izhikevich(state[0, s:e], state[1, s:e], state[2, s:e], cur_in[s:e], params[0, s:e],
                                          params[1, s:e], params[5, s:e], dt, pop_flag[p]):
                    counters[C_BAD_POP] = p
                    return STATUS_NONFINITE, step
                n_spk = _threshold(state[0, s:e], params[4, s:e], s, spike_list, n_spk)
            elif kind == 1 and pop_uniform[p]:
                if not _update_lif_uniform(state[0, s:e], state[1, s:e], state[2, s:e], cur_in[s:e], params[0, s],
                                           params[1, s], params[2, s], params[3, s], params[5, s]):
                    counters[C_BAD_POP] = p
                    return STATUS_NONFINITE, step
                n_spk = _threshold_uniform(state[0, s:e], params[4, s], s, spike_list, n_spk)
            elif kind == 1:
                if not _update_lif(state[0, s:e], state[1, s:e], state[2, s:e], cur_in[s:e], params[0, s:e],
                                   params[1, s:e], params[2, s:e], params[3, s:e], params[5, s:e]):
                    counters[C_BAD_POP] = p
                    return STATUS_NONFINITE, step
                n_spk = _threshold(state[0, s:e], params[4, s:e], s, spike_list, n_spk)
            elif kind == 2:
                ptr = counters[C_SRC0 + p]
                end = src_off[p + 1]
                while ptr < end and src_step[ptr] < step:
                    ptr += 1
                while ptr < end and src_step[ptr] == step:
                    spike_list[n_spk] = src_gid[ptr]
                    n_spk += 1
                    ptr += 1
                counters[C_SRC0 + p] = ptr
            else:
                stream = np.uint64(p)
                step_u = np.uint64(step)
                for i in range(s, e):
                    if _uniform(seed_u, stream, step_u, np.uint64(i - s)) < params[0, i]:
                        spike_list[n_spk] = i
                        n_spk += 1
        # ---- propagation: each spike scatters its row into the rings ---------------------
        ev = 0
        for k in range(n_spk):
            g = spike_list[k]
            a = np.uint64(indptr[g])           # unsigned indices: no wraparound checks (~2.5x)
            b = np.uint64(indptr[g + 1])
            d = row_delay[g]
            if d >= 0:                         # the whole row shares one delay and one target ring
                t = slot + d
                if t >= n_slots:
                    t -= n_slots
                base = np.uint64((np.int64(row_ring[g]) * n_slots + t) * N)
                for syn in range(a, b):
                    ring_flat[base + np.uint64(post[syn])] += w[syn]
            else:
                for syn in range(a, b):
                    t = slot + delay[syn]      # delay < n_slots: one subtraction replaces a modulo
                    if t >= n_slots:
                        t -= n_slots
                    ring_flat[np.uint64((np.int64(syn_ring[syn]) * n_slots + t) * N + post[syn])] += w[syn]
            ev += indptr[g + 1] - indptr[g]
        counters[C_EVENTS] += ev
        # ---- reset ------------------------------------------------------------------------
        for k in range(n_spk):
            g = spike_list[k]
            p = 0
            while g >= pop_stop[p]:
                p += 1
            kind = pop_kind[p]
            if kind == 0:
                v, u = _izh_reset(state[0, g], state[1, g], params[2, g], params[3, g])
                state[0, g] = v
                state[1, g] = u
            elif kind == 1:
                state[0, g] = params[3, g]
                state[1, g] = params[6, g]
        # ---- plasticity -------------------------------------------------------------------
        if rules.shape[0] > 0:
            plasticity_step(step, spike_list, n_spk, indptr, post, w, syn_rule, syn_pre, rules, x_pre, x_post, elig,
                            modulator, post_indptr, post_syn, mod_syn)
        # ---- monitors -----------------------------------------------------------------------
        m = counters[C_SPIKES]
        for k in range(n_spk):
            g = spike_list[k]
            if rec_spike[g]:
                spk_step[m] = step
                spk_gid[m] = g
                m += 1
        counters[C_SPIKES] = m
        for c in range(rec_var.size):
            if step % rec_every[c] == 0:
                rec_buf[rec_count[c], c] = state[rec_var[c], rec_gid[c]]
                rec_count[c] += 1
    return STATUS_DONE, step1
