"""Generated plasticity phase of a step (:mod:`spikesim.plasticity.base`): each plastic
projection's hooks included as source and called for its synapses, in the contract's schedule
(traces decay -> ``before`` -> ``on_pre`` -> ``on_post`` -> trace increments -> ``after``).

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


def emit_hook(emit, pad, rp, r, hook, src, prefix, A, syn, q, pre, post):
    """One call of ``rp.model.<hook>`` on synapse ``syn`` (column ``q`` of the rule's state; pre
    and postsynaptic neurons ``pre``, ``post``: expressions) and the stores of its result."""
    from spikesim.backends.numba_cpu.driver import _call
    cls = rp.model
    b = {"w": A.weight(syn), "dt": "dt", "t": "t"}
    b.update({k: A.state(r, j, q) for j, k in enumerate(cls.state)})
    b.update({k: A.trace(r, j, pre) for j, k in enumerate(cls.pre_traces)})
    b.update({k: A.trace(r, rp.n_pre_traces + j, post) for j, k in enumerate(cls.post_traces)})
    b.update({k: A.value(r, k) for k in rp.names})
    if cls.modulated:
        b["M"] = A.modulator(r)
    fn = src.function(cls, hook, prefix)
    outs = ["nw"] + [f"ns{j}" for j in range(len(cls.state))]
    emit(f"{pad}{', '.join(outs)}{',' if len(outs) == 1 else ''} = {_call(fn, cls, hook, b)}")
    emit(f"{pad}{A.weight(syn)} = nw")
    for j in range(len(cls.state)):
        emit(f"{pad}{A.state(r, j, q)} = ns{j}")


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
            emit(f"        for q in range(RS{r}.size):")
            emit(f"            syn = RS{r}[q]")
            emit_hook(emit, " " * 12, rp, r, hook, src, prefix_of(rp.model), A, "syn", "q", "syn_pre[syn]",
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
    every_synapse("after")
    return extra


def rule_arrays(plan) -> dict:
    out = {}
    for r, rp in enumerate(plan.rules):
        out.update({f"RX{r}": rp.X, f"RD{r}": rp.decay, f"RU{r}": rp.U, f"RV{r}": rp.V, f"RS{r}": rp.syn,
                    f"RM{r}": rp.M})
    return out
