"""NumPy reference of the event-driven core: slow, written to be obviously right.

One step at a time, vectorised over the neurons of a population, in the schedule documented in
:mod:`spikesim.core.network`. It calls the same scalar neuron maths as the compiled backends
(those functions are plain arithmetic, so they accept NumPy arrays) and the same counter-based
random stream, so its spikes are bit-identical to the Numba backends'.
"""
from __future__ import annotations

import numpy as np

from spikesim.core.plan import (C_BAD_POP, C_EVENTS, C_SPIKES, C_SRC0, STATUS_BUFFER_FULL, STATUS_DONE,
                                STATUS_NONFINITE)
from spikesim.neurons.izhikevich import izhikevich_update
from spikesim.plasticity.stdp import (P_A_MINUS, P_A_PLUS, P_DECAY_ELIG, P_DECAY_POST, P_DECAY_PRE, P_ETA, P_KIND,
                                      P_W_MAX, P_W_MIN, RULE_RSTDP)
from spikesim.rng.counter import uniform_array


def plasticity_step(step, fired, out_syn, post, w, syn_rule, syn_pre, rules, x_pre, x_post, elig, modulator,
                    post_indptr, post_syn, mod_syn):
    """STDP / reward-modulated STDP phase; ``out_syn`` = the synapses of this step's spikes."""
    x_pre *= rules[:, P_DECAY_PRE, None]
    x_post *= rules[:, P_DECAY_POST, None]
    elig[mod_syn] *= rules[syn_rule[mod_syn], P_DECAY_ELIG]

    def apply(syn, dw):
        r = syn_rule[syn]
        modulated = rules[r, P_KIND] == RULE_RSTDP
        elig[syn[modulated]] += dw[modulated]
        s, rr = syn[~modulated], r[~modulated]
        w[s] = np.clip(w[s] + dw[~modulated], rules[rr, P_W_MIN], rules[rr, P_W_MAX])

    dep = out_syn[syn_rule[out_syn] >= 0]
    r = syn_rule[dep]
    apply(dep, -(rules[r, P_A_MINUS] * x_post[r, post[dep]]))
    inc = [post_syn[post_indptr[g]:post_indptr[g + 1]] for g in fired]
    pot = np.concatenate(inc) if inc else np.zeros(0, np.int64)
    r = syn_rule[pot]
    apply(pot, rules[r, P_A_PLUS] * x_pre[r, syn_pre[pot]])
    x_pre[:, fired] += 1.0
    x_post[:, fired] += 1.0
    if mod_syn.size == 0:
        return
    r = syn_rule[mod_syn]
    w[mod_syn] = np.clip(w[mod_syn] + rules[r, P_ETA] * modulator[r, step] * elig[mod_syn], rules[r, P_W_MIN],
                         rules[r, P_W_MAX])


def run_steps(step0, step1, seed, pop_kind, pop_start, pop_stop, pop_flag, params, state, I_const, I_time,
              I_time_gid, src_step, src_gid, src_off, indptr, post, w, delay, syn_ring, ring, ring_target,
              rec_spike, spk_step, spk_gid, rec_var, rec_gid, rec_every, rec_buf, rec_count, counters,
              spike_list, current, dt, syn_rule, syn_pre, rules, x_pre, x_post, elig, modulator, post_indptr,
              post_syn, mod_syn, row_delay=None, row_ring=None):
    """Same contract as :func:`spikesim.backends.numba_cpu.core.run_steps` (``row_delay`` /
    ``row_ring`` are a speed-up of the compiled loop and are not needed here)."""
    N = state.shape[1]
    n_slots = ring.shape[1]
    for step in range(step0, step1):
        if counters[C_SPIKES] + N > spk_step.size:
            return STATUS_BUFFER_FULL, step
        slot = step % n_slots

        # inputs: constant current, then time-array columns in order, then the ring slot
        current[:] = I_const
        for c in range(I_time.shape[1]):
            current[I_time_gid[c]] += I_time[step, c]
        for r in range(ring.shape[0]):
            x = ring[r, slot].copy()
            ring[r, slot] = 0.0
            if ring_target[r] == 0:
                state[0] += x
            elif ring_target[r] == 1:
                current += x
            else:
                state[2] += x

        # state update and threshold
        spikes = []
        for p in range(pop_kind.size):
            s, e, kind = pop_start[p], pop_stop[p], pop_kind[p]
            sl = slice(s, e)
            if kind in (0, 1):
                cur = current[sl] + state[2, sl]
                if kind == 0:
                    with np.errstate(over="ignore", invalid="ignore"):   # blow-ups are reported below
                            v, u = izhikevich_update(state[0, sl], state[1, sl], cur, params[0, sl], params[1, sl], dt,
                                                 int(pop_flag[p]))
                    ok = np.isfinite(v) & np.isfinite(u)
                else:
                    ref = state[1, sl]
                    v_inf = params[0, sl] + params[1, sl] * cur
                    free = v_inf + (state[0, sl] - v_inf) * params[2, sl]
                    v = np.where(ref > 0.0, params[3, sl], free)
                    u = np.where(ref > 0.0, ref - 1.0, ref)
                    ok = np.isfinite(v)
                state[0, sl], state[1, sl] = v, u
                state[2, sl] *= params[5, sl]
                if not ok.all():
                    counters[C_BAD_POP] = p
                    return STATUS_NONFINITE, step
                thresh = params[4, sl]
                spikes.append(s + np.flatnonzero(v >= thresh))
            elif kind == 2:
                lo, hi = counters[C_SRC0 + p], src_off[p + 1]
                block_steps = src_step[lo:hi]
                now = block_steps == step
                spikes.append(src_gid[lo:hi][now])
                counters[C_SRC0 + p] = lo + np.searchsorted(block_steps, step, side="right")
            else:
                u = uniform_array(seed, p, step, np.arange(e - s))
                spikes.append(s + np.flatnonzero(u < params[0, sl]))
        fired = np.concatenate(spikes).astype(np.int64) if spikes else np.zeros(0, np.int64)

        # propagation: gather the rows of all spiking neurons (ascending id, CSR order), then add
        rows = [np.arange(indptr[g], indptr[g + 1]) for g in fired]
        syn = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        np.add.at(ring, (syn_ring[syn], (step + delay[syn]) % n_slots, post[syn]), w[syn])
        counters[C_EVENTS] += syn.size

        # reset
        pop_of = np.searchsorted(pop_stop, fired, side="right")
        kinds = pop_kind[pop_of]
        izh, lif = fired[kinds == 0], fired[kinds == 1]
        state[0, izh] = params[2, izh]
        state[1, izh] = state[1, izh] + params[3, izh]
        state[0, lif] = params[3, lif]
        state[1, lif] = params[6, lif]

        # plasticity
        if rules.shape[0] > 0:
            plasticity_step(step, fired, syn, post, w, syn_rule, syn_pre, rules, x_pre, x_post, elig, modulator,
                            post_indptr, post_syn, mod_syn)

        # monitors
        rec = fired[rec_spike[fired]]
        m = counters[C_SPIKES]
        spk_step[m:m + rec.size] = step
        spk_gid[m:m + rec.size] = rec
        counters[C_SPIKES] = m + rec.size
        due = (step % rec_every) == 0
        cols = np.flatnonzero(due)
        rec_buf[rec_count[cols], cols] = state[rec_var[cols], rec_gid[cols]]
        rec_count[cols] += 1
    return STATUS_DONE, step1
