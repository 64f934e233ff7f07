"""NumPy reference of the event-driven core: slow, written to be obviously right.

It walks the plan (:mod:`spikesim.core.plan`) one step at a time in the schedule documented in
:mod:`spikesim.core.network`, and calls each model's scalar functions as plain Python, neuron by
neuron, on Python floats: the same float64 arithmetic the compiled backends generate from the
same source. Spike propagation, the ring buffer and the random streams are NumPy. Its spikes,
state and weights are bit-identical to the Numba backend's.
"""
from __future__ import annotations

import numpy as np

from spikesim.backends.contract import (C_BAD_POP, C_EVENTS, C_SPIKES, C_SRC0, STATUS_BUFFER_FULL, STATUS_DONE,
                                        STATUS_NONFINITE)
from spikesim.backends.reference.conv import conv_targets
from spikesim.backends.reference.attention import attention_step
from spikesim.backends.reference.readout import add_terms, readout_step
from spikesim.backends.reference.readout import signals as readout_signals
from spikesim.neurons.base import arg_names, takes_conductances
from spikesim.rng.counter import binomial_from_uniform, counter_normal, uniform_array
from spikesim.rng.ziggurat import counter_normal_ziggurat
from spikesim.synapses.stp import tsodyks_markram_spike


class _RuleHooks:
    """A plastic projection's hooks with their arguments resolved (reference backend)."""

    def __init__(self, rp, plan=None):
        cls = rp.model
        self.rp = rp
        self.pops = plan.pops if plan is not None else []
        self.where = {"w": ("w", -1)}
        self.where.update({k: ("V", j) for j, k in enumerate(cls.state)})
        self.where.update({k: ("pre", j) for j, k in enumerate(cls.pre_traces)})
        self.where.update({k: ("post", rp.n_pre_traces + j) for j, k in enumerate(cls.post_traces)})
        self.where.update({k: ("U", j) for j, k in enumerate(rp.names)})
        self.where.update({"M": ("M", -1), "dt": ("dt", -1), "t": ("t", -1)})
        self.where.update({k: ("Spre" if side == "pre" else "Spost", row)
                           for k, (side, _, row) in rp.var_rows.items()})
        n_post = len(cls.post_sums)
        self.where.update({k: ("Ypost", j) for j, k in enumerate(cls.post_sums)})
        self.where.update({k: ("Ypre", n_post + j) for j, k in enumerate(cls.pre_sums)})
        self.hooks = {h: (getattr(cls, h), [self.where[a] for a in arg_names(getattr(cls, h))])
                      for h in cls.functions}

    def value(self, hook, syn, q, pre, post, w, step, dt):
        """The value ``hook`` returns for synapse ``syn`` (column q of V; neurons pre, post)."""
        fn, args = self.hooks[hook]
        rp = self.rp
        vals = []
        for src, j in args:
            if src == "w":
                vals.append(float(w[syn]))
            elif src == "V":
                vals.append(float(rp.V[j, q]))
            elif src == "pre":
                vals.append(float(rp.X[j, pre]))
            elif src == "post":
                vals.append(float(rp.X[j, post]))
            elif src == "U":
                vals.append(float(rp.U[j]))
            elif src == "M":
                vals.append(float(rp.M[step]))
            elif src == "Spre":
                pp = self.pops[rp.pre_pop]
                vals.append(float(pp.S[j, pre - pp.start]))
            elif src == "Spost":
                pp = self.pops[rp.post_pop]
                vals.append(float(pp.S[j, post - pp.start]))
            elif src == "Ypost":
                vals.append(float(rp.Y[j, post]))
            elif src == "Ypre":
                vals.append(float(rp.Y[j, pre]))
            else:
                vals.append(dt if src == "dt" else step * dt)
        return fn(*vals)

    def apply(self, hook, syn, q, pre, post, w, step, dt):
        """Run ``hook`` on synapse ``syn`` (column q of V; neurons pre, post) and store the result."""
        rp = self.rp
        out = self.value(hook, syn, q, pre, post, w, step, dt)
        w[syn] = float(out[0])
        for j in range(rp.V.shape[0]):
            rp.V[j, q] = float(out[1 + j])


def plasticity_step(p, hooks, step, fired, out_syn):
    """The plasticity phase of step ``step`` (schedule in :mod:`spikesim.plasticity.base`);
    ``out_syn``: the synapses of this step's spikes (CSR order), ``fired``: the neurons that spiked."""
    dt = p.dt
    for rp in p.rules:
        rp.X *= rp.decay[:, None]

    def every_synapse(hook):
        for h in hooks:
            if hook in h.hooks:
                for q, syn in enumerate(h.rp.syn):
                    h.apply(hook, syn, q, p.syn_pre[syn], p.post[syn], p.w, step, dt)

    every_synapse("before")
    for syn in out_syn:
        r = p.syn_rule[syn]
        if r >= 0 and "on_pre" in hooks[r].hooks:
            hooks[r].apply("on_pre", syn, p.syn_local[syn], p.syn_pre[syn], p.post[syn], p.w, step, dt)
    for g in fired:
        for syn in p.post_syn[p.post_indptr[g]:p.post_indptr[g + 1]]:
            r = p.syn_rule[syn]
            hooks[r].apply("on_post", syn, p.syn_local[syn], p.syn_pre[syn], g, p.w, step, dt)
    for rp in p.rules:
        rp.X[:, fired] += 1.0
    for h in hooks:
        if not h.rp.model.sums() or (h.rp.model.gated and h.rp.M[step] == 0.0):
            continue
        rule_sums(h, p, step, dt)
    for h in hooks:
        if "after" in h.hooks and not (h.rp.model.gated and h.rp.M[step] == 0.0):
            for q, syn in enumerate(h.rp.syn):
                h.apply("after", syn, q, p.syn_pre[syn], p.post[syn], p.w, step, dt)


def rule_sums(h, p, step, dt):
    """The sums of one rule (:mod:`spikesim.plasticity.base`): post sums, then pre sums, each from
    0.0 over the rule's synapses in ascending CSR order."""
    rp, cls = h.rp, h.rp.model
    rp.Y[:] = 0.0
    n_post = len(cls.post_sums)
    for row, name in enumerate(cls.sums()):
        hook = f"post_sum_{name}" if row < n_post else f"pre_sum_{name}"
        for q, syn in enumerate(rp.syn):
            pre, post = p.syn_pre[syn], p.post[syn]
            at = post if row < n_post else pre
            rp.Y[row, at] = float(rp.Y[row, at]) + float(h.value(hook, syn, q, pre, post, p.w, step, dt))


class _Bound:
    """A model function with its arguments resolved to (source, row) pairs of a population."""

    def __init__(self, model, fname, where):
        self.fn = getattr(model, fname)
        self.args = [where[a] for a in arg_names(self.fn)]

    def __call__(self, i, env):
        return self.fn(*[env[src][row][i] if row >= 0 else env[src] for src, row in self.args])


def _where(model, rows, shared, U, extra=()):
    """Map each bindable name to (env key, row); scalars have row -1."""
    where = {k: ("S", j) for j, k in enumerate(model.state)}
    where.update({k: ("P", j) for j, k in enumerate(rows)})
    where.update({k: (f"U:{k}", -1) for k in shared})
    where.update({"I": ("I", -1), "dt": ("dt", -1), "t": ("t", -1), "g_syn": ("g_syn", -1), "gE_syn": ("gE_syn", -1)})
    for j, k in enumerate(extra):                     # the postsynaptic neuron's state, unless the
        where.setdefault(k, ("post", j))              # synapse has a variable of the same name
    return where


class ReferenceRunner:
    def __init__(self, plan):
        self.plan = plan
        self.streams = plan.stream_keys()
        self.bound = {}
        self.rule_hooks = [_RuleHooks(rp, plan) for rp in plan.rules]
        for pp in plan.neuron_pops:
            w = _where(pp.model, pp.rows, pp.shared, pp.U)
            syns = []
            for s in pp.synapses:
                sw = _where(s.model, s.rows, s.shared, s.U, extra=tuple(pp.model.state))
                own = takes_conductances(pp.model) and s.model.is_conductance()
                cur = (_Bound(s.model, "conductance", sw), sw[s.model.reversal]) if own else _Bound(s.model, "current", sw)
                syns.append((cur, _Bound(s.model, "update", sw)))
            self.bound[pp.index] = (_Bound(pp.model, "update", w), _Bound(pp.model, "threshold", w),
                                    _Bound(pp.model, "reset", w), syns)

    def sync_to_host(self):
        pass

    def _env(self, obj, t):
        env = {"S": obj.S.tolist(), "P": obj.P.tolist(), "dt": self.plan.dt, "t": t}
        env.update({f"U:{k}": float(u) for k, u in zip(obj.shared, obj.U)})
        return env

    def run_steps(self, step0, step1, spk_step, spk_gid, rec_buf, rec_count):
        with np.errstate(over="ignore"):            # uint64 wrap-around in the counter-based stream
            return self._run_steps(step0, step1, spk_step, spk_gid, rec_buf, rec_count)

    def _run_steps(self, step0, step1, spk_step, spk_gid, rec_buf, rec_count):
        p = self.plan
        counters, ring, n_slots = p.counters, p.ring, p.n_slots
        for step in range(step0, step1):
            if counters[C_SPIKES] + p.n_total > spk_step.size:
                return STATUS_BUFFER_FULL, step
            slot = step % n_slots
            t = step * p.dt
            # inputs: each receiver's ring slot is added to its state row and cleared
            for r, rc in enumerate(p.receivers):
                pp = p.pops[rc.pop]
                lo = slot * p.ring_cells + p.recv_off[r]
                x = ring[lo:lo + pp.n].copy()
                ring[lo:lo + pp.n] = 0.0
                target = pp.S if rc.syn < 0 else pp.synapses[rc.syn].S
                target[rc.row] += x
            n_streams = len(p.pops) + sum(len(pp.noise) for pp in p.neuron_pops)
            for q, pin in enumerate(p.poisson_inputs):           # Binomial(k, rate dt) counts
                rc = p.receivers[pin.receiver]
                pp = p.pops[rc.pop]
                target = pp.S if rc.syn < 0 else pp.synapses[rc.syn].S
                u = uniform_array(p.seed, int(self.streams[n_streams + q]), step, np.arange(pp.n))
                for i in range(pp.n):
                    target[rc.row, i] += pin.weight * binomial_from_uniform(float(u[i]), pin.k, pin.p)
            # continuous projections, from the state at the start of the step
            for cp in p.continuous:
                pre_s, post_s = p.pops[cp.pre_pop].S, p.pops[cp.post_pop].S
                names = arg_names(cp.model.coupling)
                pre_rows = {f"{k}_pre": j for j, k in enumerate(p.pops[cp.pre_pop].model.state)}
                post_rows = {f"{k}_post": j for j, k in enumerate(p.pops[cp.post_pop].model.state)}
                params = dict(zip(cp.model.params, (float(u) for u in cp.U)))
                for jj in range(cp.acc.size):
                    acc = 0.0
                    for q in range(cp.indptr[jj], cp.indptr[jj + 1]):
                        i = cp.pre[q]
                        env = {"w": float(cp.w[q]), "dt": p.dt, "t": t, **params}
                        env.update({k: float(pre_s[r, i]) for k, r in pre_rows.items()})
                        env.update({k: float(post_s[r, jj]) for k, r in post_rows.items()})
                        acc = acc + cp.model.coupling(*[env[a] for a in names])
                    cp.acc[jj] = acc
            # state update and threshold, population by population
            fired_parts, fired_by_pop = [], {}
            for pp in p.pops:
                if pp.kind == "spike_source":
                    lo, hi = counters[C_SRC0 + pp.index], p.src_off[pp.index + 1]
                    block = p.src_step[lo:hi]
                    fired_parts.append(p.src_gid[lo:hi][block == step])
                    counters[C_SRC0 + pp.index] = lo + np.searchsorted(block, step, side="right")
                    continue
                if pp.kind == "poisson":
                    u = uniform_array(p.seed, pp.stream, step, np.arange(pp.n))
                    rate = pp.p_fire[step] if pp.timed else pp.p_fire       # a (1,) row broadcasts
                    fired_parts.append(pp.start + np.flatnonzero(u < rate))
                    continue
                update, threshold, _, syns = self.bound[pp.index]
                env = self._env(pp, t)
                senv = [self._env(s, t) for s in pp.synapses]
                for e in senv:
                    e["post"] = env["S"]
                newS = [[0.0] * pp.n for _ in pp.model.state]
                newG = [[[0.0] * pp.n for _ in s.model.state] for s in pp.synapses]
                spikes = []
                chans, fbs = readout_signals(p, pp, step) if (pp.channels or p.readouts) else ((), ())
                for i in range(pp.n):
                    current = float(pp.I_const[i]) if pp.I_const is not None else 0.0
                    for T in pp.I_time:
                        current = current + float(T[step, i])
                    for (stream, ms), method in zip(pp.noise, pp.noise_methods):
                        draw = counter_normal_ziggurat if method == "ziggurat" else counter_normal
                        z = draw(np.uint64(p.seed), np.uint64(stream), np.uint64(step), np.uint64(i))
                        current = current + (float(ms[0, i]) + float(ms[1, i]) * float(z))
                    gs = gEs = 0.0
                    for (cur, _), e in zip(syns, senv):
                        if isinstance(cur, tuple):                 # a conductance the neuron integrates
                            gq = cur[0](i, e)
                            src, row = cur[1]
                            E = e[src][row][i] if row >= 0 else e[src]
                            gs, gEs = gs + gq, gEs + gq * E
                        else:
                            current = current + cur(i, e)
                    env["g_syn"], env["gE_syn"] = gs, gEs
                    for cp in p.continuous:
                        if cp.post_pop == pp.index:
                            current = current + float(cp.acc[i])
                    if chans or fbs:
                        current = add_terms(current, i, chans, fbs)
                    env["I"] = current
                    new = update(i, env)
                    for j, val in enumerate(new):
                        newS[j][i] = float(val)
                    for k, ((_, supd), e) in enumerate(zip(syns, senv)):
                        for j, val in enumerate(supd(i, e)):
                            newG[k][j][i] = float(val)
                S = np.array(newS, dtype=np.float64).reshape(pp.S.shape)
                pp.S[:] = S
                for k, s in enumerate(pp.synapses):
                    s.S[:] = np.array(newG[k], dtype=np.float64).reshape(s.S.shape)
                checked = [j for j, k in enumerate(pp.model.state)
                           if pp.model.finite_check is None or k in pp.model.finite_check]
                if not np.all(np.isfinite(S[checked])):
                    counters[C_BAD_POP] = pp.index
                    return STATUS_NONFINITE, step
                env["S"] = S.tolist()
                for i in range(pp.n):
                    if threshold(i, env):
                        spikes.append(pp.start + i)
                fired_parts.append(np.array(spikes, dtype=np.int64))
                fired_by_pop[pp.index] = fired_parts[-1]
            fired = np.concatenate(fired_parts).astype(np.int64) if fired_parts else np.zeros(0, np.int64)

            # propagation: the rows of this step's spikes (ascending by population, CSR order), then add
            rows = [np.arange(p.indptr[g], p.indptr[g + 1]) for g in fired]
            syn = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
            cell = ((step + p.delay[syn].astype(np.int64)) % n_slots) * p.ring_cells + p.cell[syn]
            weight = p.w[syn]
            if p.has_stp:                  # Tsodyks-Markram: w * r of the spike, in float64 whatever the ring's dtype
                weight = weight.astype(np.float64)
                for k, s_ in enumerate(syn):
                    sl = p.stp_slot[s_]
                    if sl < 0:
                        continue
                    st = p.stp_state
                    if st[2, sl] != step:
                        U, tau_f, tau_d = p.stp_params[:, sl]
                        u_, x_, r_ = tsodyks_markram_spike(float(st[0, sl]), float(st[1, sl]),
                                                           (step - float(st[2, sl])) * p.dt, float(U), float(tau_f),
                                                           float(tau_d))
                        st[:, sl] = u_, x_, step, r_
                    weight[k] = weight[k] * st[3, sl]
            np.add.at(ring, cell, weight)
            counters[C_EVENTS] += syn.size
            for cp in p.convs:          # convolutional projections: each spike's in-frame entries, spikes in order
                for g in fired[(fired >= cp.pre_start) & (fired < cp.pre_start + cp.n_pre)]:
                    e, post = conv_targets(cp, int(g) - cp.pre_start)
                    slots = (step + cp.ent_delay[e]) % n_slots
                    np.add.at(ring, slots * p.ring_cells + cp.cell0 + post, cp.ent_w[e])
                    counters[C_EVENTS] += e.size
            if p.attentions:                                     # spikesim.core.attention
                attention_step(p, step, fired)

            # reset
            for index, ids in fired_by_pop.items():
                pp = p.pops[index]
                _, _, reset, _ = self.bound[index]
                env = self._env(pp, t)
                for g in ids:
                    i = int(g) - pp.start
                    for j, val in enumerate(reset(i, env)):
                        pp.S[j, i] = float(val)

            # plasticity
            if p.has_plasticity:
                plasticity_step(p, self.rule_hooks, step, fired, syn)
            if p.readouts:
                readout_step(p, step, fired_by_pop)

            # monitors
            rec = fired[p.rec_spike[fired]]
            m = counters[C_SPIKES]
            spk_step[m:m + rec.size] = step
            spk_gid[m:m + rec.size] = rec
            counters[C_SPIKES] = m + rec.size
            for k, mon in enumerate(p.monitors):
                if step % mon.every == 0:
                    if mon.kind == "synapse":
                        vals = p.w[mon.ids] if mon.row < 0 else p.rules[mon.rule].V[mon.row, mon.ids]
                    else:
                        pp = p.pops[mon.pop]
                        arr = pp.S if mon.syn < 0 else pp.synapses[mon.syn].S
                        vals = arr[mon.row, mon.ids]
                    rec_buf[rec_count[k], mon.col0:mon.col0 + mon.ids.size] = vals
                    rec_count[k] += 1
        return STATUS_DONE, step1


def make_runner(plan):
    return ReferenceRunner(plan)
