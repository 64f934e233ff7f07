"""Generated plasticity phase of a step (:mod:`spikesim.plasticity.base`): each plastic
projection's hooks included as source and called for its synapses, in the contract's schedule
(traces decay -> ``before`` -> ``on_pre`` -> ``on_post`` -> trace increments -> sums ->
``after``; the sums and ``after`` of a ``gated`` rule only in steps with M != 0).

:func:`emit_hook` writes one hook call for one synapse over an addressing object
(:class:`CpuRuleArrays` here, the CUDA driver's flat-buffer one there), so both compiled
backends run the same float64 operations in the same order; :func:`emit_plasticity` writes the
CPU loops.
"""
from __future__ import annotations


class CpuRuleArrays:
    """How the generated CPU loop addresses rule r's arrays (see :class:`spikesim.core.plan.RulePlan`)."""

    def weight(self, syn):
        return f"w[{syn}]"

    def weight_value(self, syn):
        """The weight as a hook reads it: float64 also when ``w`` is float32 (the store rounds)."""
        return f"np.float64(w[{syn}])"

    def state(self, r, j, q):
        return f"RV{r}[{j}, {q}]"

    def trace(self, r, j, i):
        return f"RX{r}[{j}, {i}]"

    def value(self, r, name):
        return f"RU{r}_{name}"

    def modulator(self, r):
        return f"RM{r}[step]"

    def local(self, syn):
        return f"syn_local[{syn}]"

    def pop_state(self, p, j, g):
        return f"S{p}[{j}, {g} - pop_start[{p}]]"

    def sum(self, r, j, i):
        return f"RY{r}[{j}, {i}]"


def emit_hook(emit, pad, rp, r, hook, src, prefix, A, syn, q, pre, post):
    """One call of ``rp.model.<hook>`` on synapse ``syn`` (column ``q`` of the rule's state; pre
    and postsynaptic neurons ``pre``, ``post``: expressions) and the stores of its result."""
    from spikesim.backends.numba_cpu.driver import _call
    cls = rp.model
    b = hook_bindings(rp, r, A, syn, q, pre, post)
    fn = src.function(cls, hook, prefix)
    outs = ["nw"] + [f"ns{j}" for j in range(len(cls.state))]
    emit(f"{pad}{', '.join(outs)}{',' if len(outs) == 1 else ''} = {_call(fn, cls, hook, b)}")
    emit(f"{pad}{A.weight(syn)} = nw")
    for j in range(len(cls.state)):
        emit(f"{pad}{A.state(r, j, q)} = ns{j}")


def hook_bindings(rp, r, A, syn, q, pre, post) -> dict:
    """What the names of rule r's hooks bind to for synapse ``syn`` (state column ``q``, pre and
    postsynaptic neurons ``pre``, ``post``): the weight, state, traces, parameters, M, dt, t,
    neuron variables and sums."""
    cls = rp.model
    b = {"w": A.weight_value(syn), "dt": "dt", "t": "t"}
    b.update({k: A.state(r, j, q) for j, k in enumerate(cls.state)})
    b.update({k: A.trace(r, j, pre) for j, k in enumerate(cls.pre_traces)})
    b.update({k: A.trace(r, rp.n_pre_traces + j, post) for j, k in enumerate(cls.post_traces)})
    b.update({k: A.value(r, k) for k in rp.names})
    if cls.modulated:
        b["M"] = A.modulator(r)
    b.update(neuron_bindings(rp, r, A, pre, post))
    return b


def neuron_bindings(rp, r, A, pre, post) -> dict:
    """Bindings of a rule's ``pre_vars`` / ``post_vars`` and sums (post sums at ``post``, pre
    sums at ``pre``); check_contract decides which hooks may take the sums."""
    cls = rp.model
    b = {k: A.pop_state(pop, row, pre if side == "pre" else post) for k, (side, pop, row) in rp.var_rows.items()}
    n_post = len(cls.post_sums)
    b.update({k: A.sum(r, j, post) for j, k in enumerate(cls.post_sums)})
    b.update({k: A.sum(r, n_post + j, pre) for j, k in enumerate(cls.pre_sums)})
    return b


def emit_sums(pad, rp, r, src, prefix, A, syn, q, pre, post):
    """Lines accumulating rule r's sums for synapse ``syn`` (to be run in ascending ``q``):
    ``{"post": [...], "pre": [...]}``, each post sum at ``post`` and each pre sum at ``pre``; the
    pre sums go in a second sweep over the synapses, since they may read the post sums."""
    from spikesim.backends.numba_cpu.driver import _call
    cls = rp.model
    b = hook_bindings(rp, r, A, syn, q, pre, post)
    lines = {"post": [], "pre": []}
    n_post = len(cls.post_sums)
    for j, name in enumerate(cls.sums()):
        which = "post" if j < n_post else "pre"
        hook = f"{which}_sum_{name}"
        fn = src.function(cls, hook, prefix)
        at = A.sum(r, j, post if which == "post" else pre)
        lines[which].append(f"{pad}{at} = {at} + {_call(fn, cls, hook, b)}")
    return lines


def _dispatch(emit, pad, plan, hook, src, prefix_of, A, syn, q, pre, post):
    """``if r == 0: ... elif r == 1: ...`` over the rules that have ``hook`` (r = syn_rule[syn])."""
    first = True
    for r, rp in enumerate(plan.rules):
        if getattr(rp.model, hook) is None:
            continue
        emit(f"{pad}{'if' if first else 'elif'} r == {r}:")
        emit(f"{pad}    {q} = {A.local(syn)}")
        emit_hook(emit, pad + "    ", rp, r, hook, src, prefix_of(rp.model), A, syn, q, pre, post)
        first = False


def emit_plasticity(emit, plan, src, prefix_of) -> list[str]:
    """The plasticity phase in the CPU loop (8 spaces in); returns the extra argument names."""
    A = CpuRuleArrays()
    extra = []
    for r, rp in enumerate(plan.rules):
        extra += [f"RX{r}", f"RD{r}", f"RU{r}", f"RV{r}", f"RS{r}", f"RM{r}"]
        for j, k in enumerate(rp.names):
            emit(f"        RU{r}_{k} = RU{r}[{j}]")
        emit(f"        for j in range(RX{r}.shape[0]):")
        emit(f"            d = RD{r}[j]")
        emit(f"            xr = RX{r}[j]")
        emit("            for i in range(xr.size):")
        emit("                xr[i] *= d")

    def every_synapse(hook):
        for r, rp in enumerate(plan.rules):
            if getattr(rp.model, hook) is None:
                continue
            pad = "        "
            if hook == "after" and rp.model.gated:
                emit(f"        if RM{r}[step] != 0.0:")
                pad += "    "
            emit(f"{pad}for q in range(RS{r}.size):")
            emit(f"{pad}    syn = RS{r}[q]")
            emit_hook(emit, pad + "    ", rp, r, hook, src, prefix_of(rp.model), A, "syn", "q", "syn_pre[syn]",
                      "post[syn]")

    every_synapse("before")
    if any(rp.model.on_pre is not None for rp in plan.rules):
        emit("        for k in range(n_spk):")
        emit("            g = spike_list[k]")
        emit("            for syn in range(indptr[g], indptr[g + 1]):")
        emit("                r = syn_rule[syn]")
        _dispatch(emit, " " * 16, plan, "on_pre", src, prefix_of, A, "syn", "q", "g", "post[syn]")
    if any(rp.model.on_post is not None for rp in plan.rules):
        emit("        for k in range(n_spk):")
        emit("            g = spike_list[k]")
        emit("            for jj in range(post_indptr[g], post_indptr[g + 1]):")
        emit("                syn = post_syn[jj]")
        emit("                r = syn_rule[syn]")
        _dispatch(emit, " " * 16, plan, "on_post", src, prefix_of, A, "syn", "q", "syn_pre[syn]", "g")
    emit("        for k in range(n_spk):")
    emit("            g = spike_list[k]")
    for r, rp in enumerate(plan.rules):
        for j in range(rp.X.shape[0]):
            emit(f"            RX{r}[{j}, g] += 1.0")
    for r, rp in enumerate(plan.rules):
        if not rp.model.sums():
            continue
        extra.append(f"RY{r}")
        pad = "        "
        if rp.model.gated:
            emit(f"        if RM{r}[step] != 0.0:")
            pad += "    "
        emit(f"{pad}RY{r}[:, :] = 0.0")
        lines = emit_sums(pad + "    ", rp, r, src, prefix_of(rp.model), A, "syn", "q", "syn_pre[syn]",
                          "post[syn]")
        for which in ("post", "pre"):
            if lines[which]:
                emit(f"{pad}for q in range(RS{r}.size):")
                emit(f"{pad}    syn = RS{r}[q]")
                for line in lines[which]:
                    emit(line)
    every_synapse("after")
    return extra


def rule_arrays(plan) -> dict:
    out = {}
    for r, rp in enumerate(plan.rules):
        out.update({f"RX{r}": rp.X, f"RD{r}": rp.decay, f"RU{r}": rp.U, f"RV{r}": rp.V, f"RS{r}": rp.syn,
                    f"RM{r}": rp.M})
        if rp.model.sums():
            out[f"RY{r}"] = rp.Y
    return out
