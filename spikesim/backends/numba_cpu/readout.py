"""Generated readout phase of a step (:mod:`spikesim.core.readout`) and the window signals read
at the start of a step (channel amplitudes of :mod:`spikesim.core.channels`, readout feedback).

The emitters write plain scalar loops over an addressing object (:class:`CpuReadoutArrays`
here, the CUDA driver's flat-buffer one there), so both compiled backends run the same float64
operations in the same order as the NumPy reference (:mod:`spikesim.backends.reference.readout`):
sums are sequential in ascending neuron index.
"""
from __future__ import annotations


class CpuReadoutArrays:
    """How the generated CPU loop addresses readout r's arrays (``Q<name><r>``) and the channel
    currents' (``H<name><p>_<j>``)."""

    def feat(self, r, j, i):
        return f"QF{r}[{j}, {i}]"

    def w(self, r, k, i):
        return f"QW{r}[{k}, {i}]"

    def p(self, r, k, i, j):
        return f"QP{r}[{k}, {i}, {j}]"

    def pk(self, r, i):
        return f"QK{r}[{i}]"

    def t(self, r, rel, k):
        return f"QT{r}[{rel}, {k}]"

    def g(self, r, rel, k):
        return f"QG{r}[{rel}, {k}]"

    def z(self, r, rel, k):
        return f"QZ{r}[{rel}, {k}]"

    def zp(self, r, k):
        return f"QZP{r}[{k}]"

    def b(self, r, i):
        return f"QB{r}[{i}]"

    def c(self, r, j):
        return f"QC{r}[{j}]"

    def u(self, r, j):
        return f"QU{r}[{j}]"

    def rows(self, r):
        return f"QT{r}.shape[0]"

    def n(self, r, p):
        return f"QW{r}.shape[1]"

    def offset(self, r, p, p0):
        """Index of population p's first neuron among readout r's neurons (p0: its first population)."""
        return f"(pop_start[{p}] - pop_start[{p0}])"

    def state(self, p, row, i):
        return f"S{p}[{row}, {i}]"

    def spikes(self, pops, pad):
        """Lines setting ``i`` (index among the readout's neurons) to each neuron of the populations
        ``pops`` that spiked in this step; one loop per population, the body follows at pad + 4."""
        lines = []
        for p in pops:
            lines.append([f"{pad}for qq in range(sl{p}, sh{p}):", f"{pad}    i = spike_list[qq] - pop_start[{pops[0]}]"])
        return lines

    def ch_start(self, p, j):
        return f"HC{p}_{j}[0]"

    def ch_rows(self, p, j):
        return f"HA{p}_{j}.shape[0]"

    def ch_amp(self, p, j, rel, c):
        return f"HA{p}_{j}[{rel}, {c}]"


def emit_views(emit, pad, plan):
    """CPU only: 1-D views of the channel weights (``hw<p>_<j>_<c>``) and of each population's
    columns of the feedback weights (``qfb<r>_<k>_<p>``), made once per call of the loop."""
    for pp in plan.neuron_pops:
        for j, ch in enumerate(pp.channels):
            for c in range(ch.n_channels):
                emit(f"{pad}hw{pp.index}_{j}_{c} = HW{pp.index}_{j}[{c}]")
    for r, rp in enumerate(plan.readouts):
        if not rp.has_feedback:
            continue
        for p in rp.pops:
            emit(f"{pad}qo = pop_start[{p}] - pop_start[{rp.pops[0]}]")
            for k in range(rp.ro.n_out):
                emit(f"{pad}qfb{r}_{k}_{p} = QFB{r}[{k}, qo:qo + pop_n[{p}]]")


def emit_signals(emit, pad, plan, A, pops=None):
    """Per-step scalars read by the neuron update: ``ha<p>_<j>_<c>`` (channel amplitudes) and
    ``qf<r>_<k>`` (feedback signals) for the populations ``pops`` (default all)."""
    for pp in plan.neuron_pops:
        if pops is not None and pp.index not in pops:
            continue
        p = pp.index
        for j, ch in enumerate(pp.channels):
            emit(f"{pad}rel = step - np.int64({A.ch_start(p, j)})")
            emit(f"{pad}if rel >= 0 and rel < {A.ch_rows(p, j)}:")
            for c in range(ch.n_channels):
                emit(f"{pad}    ha{p}_{j}_{c} = {A.ch_amp(p, j, 'rel', c)}")
            emit(f"{pad}else:")
            for c in range(ch.n_channels):
                emit(f"{pad}    ha{p}_{j}_{c} = 0.0")
    for r, rp in enumerate(plan.readouts):
        if not rp.has_feedback or (pops is not None and not set(rp.pops) & set(pops)):
            continue
        emit(f"{pad}rel = step - np.int64({A.c(r, 0)})")
        emit(f"{pad}mode = {A.c(r, 1)}")
        for k in range(rp.ro.n_out):
            emit(f"{pad}if mode == 1.0:")
            emit(f"{pad}    qf{r}_{k} = {A.zp(r, k)}")
            emit(f"{pad}elif mode == 2.0 and rel >= 0 and rel < {A.rows(r)}:")
            emit(f"{pad}    qf{r}_{k} = {A.t(r, 'rel', k)}")
            emit(f"{pad}else:")
            emit(f"{pad}    qf{r}_{k} = 0.0")


def current_terms(plan, pp, arrays) -> list[str]:
    """The input-current terms of the window signals for population ``pp`` (neuron ``i``), in
    order: each channel current's channels, then each feedback readout's outputs."""
    p, out = pp.index, []
    for j, ch in enumerate(pp.channels):
        out += [f"ha{p}_{j}_{c} * {arrays.channel_w(p, j, c)}" for c in range(ch.n_channels)]
    for r, rp in enumerate(plan.readouts):
        if rp.has_feedback and p in rp.pops:
            out += [f"{arrays.feedback_w(p, r, k, rp.pops[0])} * qf{r}_{k}" for k in range(rp.ro.n_out)]
    return out


def emit_readout(emit, pad, plan, r, A):
    """The readout phase of readout r (see :mod:`spikesim.core.readout` for the arithmetic)."""
    rp = plan.readouts[r]
    p, K = rp.pop, rp.ro.n_out
    n = A.n(r, p)
    emit(f"{pad}rel = step - np.int64({A.c(r, 0)})")
    emit(f"{pad}inwin = rel >= 0 and rel < {A.rows(r)}")
    if rp.feature_row < 0:
        emit(f"{pad}for i in range({n}):")
        emit(f"{pad}    {A.feat(r, 0, 'i')} = {A.feat(r, 0, 'i')} * {A.u(r, 0)} + {A.feat(r, 1, 'i')} * dt")
        emit(f"{pad}    {A.feat(r, 1, 'i')} = {A.feat(r, 1, 'i')} * {A.u(r, 1)}")
        for lines in A.spikes(rp.pops, pad):
            for line in lines:
                emit(line)
            emit(f"{pad}    {A.feat(r, 1, 'i')} = {A.feat(r, 1, 'i')} + {A.u(r, 2)}")
        e = lambda i: A.feat(r, 0, i)  # noqa: E731
    else:
        e = lambda i: A.state(p, rp.feature_row, i)  # noqa: E731
    emit(f"{pad}norm2 = 0.0")
    emit(f"{pad}for i in range({n}):")
    emit(f"{pad}    norm2 += {e('i')} * {e('i')}")
    emit(f"{pad}for k in range({K}):")
    emit(f"{pad}    acc = 0.0")
    emit(f"{pad}    for i in range({n}):")
    emit(f"{pad}        acc += {A.w(r, 'k', 'i')} * {e('i')}")
    emit(f"{pad}    {A.zp(r, 'k')} = acc")
    emit(f"{pad}    if inwin:")
    emit(f"{pad}        {A.z(r, 'rel', 'k')} = acc")
    if rp.rule == 1:                   # gated three-factor NLMS
        emit(f"{pad}if inwin:")
        emit(f"{pad}    lr = {A.u(r, 3)} / (norm2 + {A.u(r, 4)})")
        emit(f"{pad}    for k in range({K}):")
        emit(f"{pad}        gk = {A.g(r, 'rel', 'k')}")
        emit(f"{pad}        if gk > 0.0:")
        emit(f"{pad}            a = lr * gk * ({A.t(r, 'rel', 'k')} - {A.zp(r, 'k')})")
        emit(f"{pad}            for i in range({n}):")
        emit(f"{pad}                {A.w(r, 'k', 'i')} = {A.w(r, 'k', 'i')} + a * {e('i')}")
    elif rp.rule == 2:                 # RLS every rls_every steps of the window
        emit(f"{pad}if inwin and rel % np.int64({A.u(r, 5)}) == 0:")
        emit(f"{pad}    for k in range({K}):")
        emit(f"{pad}        gk = {A.g(r, 'rel', 'k')}")
        emit(f"{pad}        if gk > 0.0:")
        emit(f"{pad}            err = gk * ({A.zp(r, 'k')} - {A.t(r, 'rel', 'k')})")
        emit(f"{pad}            rk = 0.0")
        emit(f"{pad}            for i in range({n}):")
        emit(f"{pad}                acc = 0.0")
        emit(f"{pad}                for j in range({n}):")
        emit(f"{pad}                    acc += {A.p(r, 'k', 'i', 'j')} * {e('j')}")
        emit(f"{pad}                {A.pk(r, 'i')} = acc")
        emit(f"{pad}                rk += {e('i')} * acc")
        emit(f"{pad}            cg = 1.0 / (1.0 + rk)")
        emit(f"{pad}            for i in range({n}):")
        emit(f"{pad}                ci = cg * {A.pk(r, 'i')}")
        emit(f"{pad}                for j in range({n}):")
        emit(f"{pad}                    {A.p(r, 'k', 'i', 'j')} = {A.p(r, 'k', 'i', 'j')} - ci * {A.pk(r, 'j')}")
        emit(f"{pad}                {A.w(r, 'k', 'i')} = {A.w(r, 'k', 'i')} - cg * err * {A.pk(r, 'i')}")
    emit(f"{pad}if inwin and rel >= np.int64({A.c(r, 2)}) and rel < np.int64({A.c(r, 3)}):")
    emit(f"{pad}    for i in range({n}):")
    emit(f"{pad}        {A.b(r, 'i')} = {A.b(r, 'i')} + {e('i')}")
    emit(f"{pad}    {A.c(r, 4)} = {A.c(r, 4)} + 1.0")


def emit_readouts(emit, plan) -> None:
    """Every readout's phase in the CPU loop (8 spaces in); its arrays are the arguments
    ``Q<name><r>`` (:data:`ARRAYS`), named by the driver."""
    A = CpuReadoutArrays()
    for r in range(len(plan.readouts)):
        emit(f"        # ---- readout {r}")
        emit_readout(emit, " " * 8, plan, r, A)


ARRAYS = ("F", "W", "P", "K", "T", "G", "Z", "ZP", "B", "C", "U", "FB")


def readout_arrays(plan) -> dict:
    out = {}
    for r, rp in enumerate(plan.readouts):
        ro = rp.ro
        out.update({f"QF{r}": ro.F, f"QW{r}": ro.W, f"QP{r}": ro.P, f"QK{r}": ro.K, f"QT{r}": ro.T, f"QG{r}": ro.G,
                    f"QZ{r}": ro.Z, f"QZP{r}": ro.ZP, f"QB{r}": ro.B, f"QC{r}": ro.C, f"QU{r}": rp.U,
                    f"QFB{r}": ro.FB})
    for pp in plan.neuron_pops:
        for j, ch in enumerate(pp.channels):
            out.update({f"HW{pp.index}_{j}": ch.weights, f"HA{pp.index}_{j}": ch.amplitudes,
                        f"HC{pp.index}_{j}": ch.control})
    return out
