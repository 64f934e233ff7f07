"""CUDA addressing of the readouts and channel currents (:mod:`spikesim.core.readout`,
:mod:`spikesim.core.channels`): their arrays in the flat ``f64`` buffer, offsets loaded into
``o<name>`` locals. The generated code itself comes from the CPU emitters
(:mod:`spikesim.backends.numba_cpu.readout`), so every float64 operation and its order are the
CPU loop's. The readout phase runs in one device thread (``readout_kernel``, after the step's
other kernels): its sums are sequential like the CPU's, which makes it bit-identical, and it is
O(K n) per step (O(K n^2) on an RLS step), meant for the small readouts of reservoir models.
"""
from __future__ import annotations

from spikesim.backends.numba_cpu.readout import ARRAYS


def readout_slots(plan) -> list[tuple]:
    """``pop_slots`` entries of the readouts and channel currents (ints, then arrays)."""
    out = []
    for pp in plan.neuron_pops:
        for j, ch in enumerate(pp.channels):
            p = pp.index
            out += [(f"lh{p}_{j}", int(ch.amplitudes.shape[0])), (f"HW{p}_{j}", ch.weights),
                    (f"HA{p}_{j}", ch.amplitudes), (f"HC{p}_{j}", ch.control)]
    for r, rp in enumerate(plan.readouts):
        ro = rp.ro
        out += [(f"nq{r}", int(ro.n)), (f"lq{r}", int(ro.T.shape[0])), (f"sq{r}", int(plan.pops[rp.pop].start))]
        arrays = {"F": ro.F, "W": ro.W, "P": ro.P, "K": ro.K, "T": ro.T, "G": ro.G, "Z": ro.Z, "ZP": ro.ZP,
                  "B": ro.B, "C": ro.C, "U": rp.U, "FB": ro.FB}
        out += [(f"Q{a}{r}", arrays[a]) for a in ARRAYS]
    return out


class CudaReadoutArrays:
    """Same methods as :class:`spikesim.backends.numba_cpu.readout.CpuReadoutArrays`."""

    def __init__(self, plan):
        self.K = [rp.ro.n_out for rp in plan.readouts]
        self.C = {(pp.index, j): ch.n_channels for pp in plan.neuron_pops for j, ch in enumerate(pp.channels)}

    def feat(self, r, j, i):
        return f"f64[oQF{r} + {j} * nq{r} + {i}]"

    def w(self, r, k, i):
        return f"f64[oQW{r} + {k} * nq{r} + {i}]"

    def p(self, r, k, i, j):
        return f"f64[oQP{r} + ({k} * nq{r} + {i}) * nq{r} + {j}]"

    def pk(self, r, i):
        return f"f64[oQK{r} + {i}]"

    def t(self, r, rel, k):
        return f"f64[oQT{r} + {rel} * {self.K[r]} + {k}]"

    def g(self, r, rel, k):
        return f"f64[oQG{r} + {rel} * {self.K[r]} + {k}]"

    def z(self, r, rel, k):
        return f"f64[oQZ{r} + {rel} * {self.K[r]} + {k}]"

    def zp(self, r, k):
        return f"f64[oQZP{r} + {k}]"

    def b(self, r, i):
        return f"f64[oQB{r} + {i}]"

    def c(self, r, j):
        return f"f64[oQC{r} + {j}]"

    def u(self, r, j):
        return f"f64[oQU{r} + {j}]"

    def rows(self, r):
        return f"lq{r}"

    def n(self, r, p):
        return f"nq{r}"

    def state(self, p, row, i):
        return f"f64[oS{p} + {row} * n{p} + {i}]"

    def spikes(self, pops, pad):
        """One loop over the step's spike list (any order: the body is element-wise)."""
        r = self._current
        return [[f"{pad}for qq in range(n_spk):", f"{pad}    i = i64[o_list + qq] - sq{r}",
                 f"{pad}    if i < 0 or i >= nq{r}:", f"{pad}        continue"]]

    def ch_start(self, p, j):
        return f"f64[oHC{p}_{j}]"

    def ch_rows(self, p, j):
        return f"lh{p}_{j}"

    def ch_amp(self, p, j, rel, c):
        return f"f64[oHA{p}_{j} + {rel} * {self.C[(p, j)]} + {c}]"


def branch_loads(plan, pp, slot) -> list[str]:
    """Lines at the start of population ``pp``'s branch of the neuron kernel: the offsets of its
    channel currents and feedback readouts, then the step's signals (``ha...``, ``qf...``)."""
    from spikesim.backends.numba_cpu.readout import emit_signals
    p, out = pp.index, []
    for j in range(len(pp.channels)):
        out += [f"        o{a}{p}_{j} = i64[{slot[f'{a}{p}_{j}']}]" for a in ("HW", "HA", "HC")]
        out.append(f"        lh{p}_{j} = i64[{slot[f'lh{p}_{j}']}]")
    for r, rp in enumerate(plan.readouts):
        if rp.has_feedback and p in rp.pops:
            out += [f"        o{a}{r} = i64[{slot[f'{a}{r}']}]" for a in ("QFB", "QC", "QZP", "QT")]
            out += [f"        {x}{r} = i64[{slot[f'{x}{r}']}]" for x in ("nq", "lq", "sq")]
            out.append(f"        qo{r}_{p} = i64[{slot[f's{p}']}] - sq{r}")
    emit_signals(out.append, " " * 8, plan, CudaReadoutArrays(plan), pops=[p])
    return out


def readout_kernel(plan, slot) -> list[str]:
    """Source lines of ``readout_kernel(step, f64, i64, rec)``: every readout's phase, thread 0."""
    from spikesim.backends.numba_cpu.readout import emit_readout
    A = CudaReadoutArrays(plan)
    lines = ["", "@cuda.jit", "def readout_kernel(step, f64, i64, rec):",
             '    """Generated: the readouts\' phase of the step, sequentially in thread 0."""',
             "    g = cuda.grid(1)",
             "    if i64[H_STATUS] != 0 and step >= i64[H_STOP]:",
             "        return",
             "    if g != 0:",
             "        return",
             "    dt = f64[F_DT]",
             "    t = step * dt",
             "    N = i64[L_N]",
             "    n_spk = i64[H_CNT0 + step % 2]",
             "    o_list = i64[O_SPIKELIST] + (step % 2) * N"]
    for r, rp in enumerate(plan.readouts):
        lines += [f"    o{x}{r} = i64[{slot[f'{x}{r}']}]" for x in [f"Q{a}" for a in ARRAYS]]
        lines += [f"    {x}{r} = i64[{slot[f'{x}{r}']}]" for x in ("nq", "lq", "sq")]
        if rp.feature_row >= 0:
            lines += [f"    oS{rp.pop} = i64[{slot[f'S{rp.pop}']}]", f"    n{rp.pop} = i64[{slot[f'n{rp.pop}']}]"]
    for r in range(len(plan.readouts)):
        A._current = r
        emit_readout(lines.append, "    ", plan, r, A)
    return lines
