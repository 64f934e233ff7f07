"""Run a spikesim :class:`~spikesim.Network` in Brian2, with the same arrays and the same schedule.

``run(net, duration)`` builds the network once more in Brian2 (2.9) from the spikesim object
(connectivity, weights, delays, parameters, derived values, initial state, injected currents,
noise and input spikes all taken from the same plan, :mod:`spikesim.core.plan`), runs it, and
returns a :class:`spikesim.Result` of the same shape as ``net.run(duration)``: spikes of the
recorded populations stamped ``step * dt`` in ms, state samples ``(n_samples, n)``. It always
simulates from t = 0 with the network's initial state, whatever runs ``net`` has already done.
It works for **any** neuron and synapse model written to the contract
(:mod:`spikesim.neurons.base`, :mod:`spikesim.synapses.base`): the models' scalar functions
are translated into Brian2 abstract code by :mod:`spikesim.compare.brian2_code` (the same
source the kernels compile). Use it to validate a network of your own::

    ref = spikesim.compare.brian2.run(net, 200.0)           # Brian2, numpy target
    res = net.run(200.0)
    np.array_equal(ref.spikes("exc")[0], res.spikes("exc")[0])

What it validates: that Brian2, given the same model functions, arrays and schedule, computes
the same trajectories, i.e. spikesim's event queue (ring buffers, delays, the order in which
weights are summed), its input streams and its generated loop are right. It does not validate
that a model's equations are a good model (for that, compare with Brian2's own example
scripts, as tests/test_brian2_examples.py does).

How the spikesim schedule maps onto Brian2
------------------------------------------
spikesim step n runs: receivers' ring slot n added to their targets -> per population: input
current (constant, time arrays, noise, synapse currents in order), update, synapse updates,
threshold -> propagation (a spike of step n with delay d >= 1 steps lands in slot n + d) ->
resets -> monitors. Brian2 runs per step the slots ``start, groups, thresholds, synapses,
resets, end``. The mapping:

* **One Brian2 NeuronGroup holds every population** (neurons, SpikeSources and Poisson
  sources), in spikesim's global order, with dimensionless variables in spikesim's units:
  state slots ``x0, x1, ...`` (population p's state variables in declared order), synapse
  state slots ``y0, ...`` (its synapse models' state, in the population's synapse order),
  per-neuron parameter slots ``p0, ...`` (the plan's rows: parameters and derived values that
  differ between neurons; values shared by the population are folded into the code as named
  constants), accumulators ``a0, ...`` (one per receiver of the population: they play the
  ring slot), ``fire`` (threshold result), ``flag`` (input spike), ``pidx``, ``lidx``.
* **Synapses**: one Brian2 ``Synapses`` object per receiver, holding its synapses in
  spikesim's CSR order (by global presynaptic index, projections in ``connect`` order). Its
  ``on_pre`` adds ``w`` to the receiver's accumulator with Brian2 delay ``(d - 1) * dt``: the
  event lands at step n + d - 1, after that step's update, and is consumed at the start of step
  n + d's update. One object per receiver keeps the order of the floating-point additions
  identical to spikesim's ring: by emission step, then presynaptic index, then synapse order
  (Brian2's spike queues are stable).
* **State update** (slot ``groups``): one ``run_regularly`` per population on its Subgroup: it
  consumes the accumulators (``target = target + a_k; a_k = 0``), forms the input current (the
  external current of the step, then each synapse model's ``current`` in order), then the
  translated ``update``, each synapse model's ``update`` (reading the neuron's new state, as
  the kernel does) and ``fire = threshold(...)``. One binary operation per statement, in
  spikesim's evaluation order (see :mod:`spikesim.compare.brian2_code`), so the numpy target
  reproduces spikesim's float64 arithmetic bit for bit.
* **Threshold** (slot ``thresholds``): ``fire or flag > 0.5``. **Reset** (slot ``resets``):
  the translated ``reset`` of each population (if populations translate to different code,
  each value is selected by ``pidx``), ``flag = 0``.
* **Inputs**: constant currents are a variable; time-array currents and ``GaussianCurrent``
  noise are summed in spikesim's order into one 2-D ``TimedArray`` per population (row n read
  at t = n dt); the normal deviates are the kernels' counter-based stream, computed here with
  the same formula (:func:`normal_block`, libm ``log``/``cos``). SpikeSource spikes and the
  Poisson spikes (the kernels' counter-based uniforms, :func:`poisson_steps`) go into a
  ``SpikeGeneratorGroup`` (slot ``start``) whose pathway sets ``flag`` of the source neuron in
  slot ``before_thresholds`` of the same step.
* **Monitors**: a SpikeMonitor / StateMonitor per recorded population on its Subgroup (slot
  ``end``, after the reset, every ``every`` steps from step 0, the recorded ``ids`` only).
  Times are converted back to steps and stamped ``step * dt``.

Exactness: with ``target="numpy"`` (and ``exact_math=True``, its default) spikes and state are
identical to spikesim's (tested: Izhikevich 2003, heterogeneous-delay LIF, Exponential, Alpha
and conductance synapses, Gaussian noise, Hodgkin-Huxley). The compiled targets (``"cython"``,
``"cpp_standalone"``) run the same statements, but with ``-ffast-math``/``-march=native`` a C
compiler may contract ``a*b + c`` into a fused multiply-add and use its own ``exp``, which
differ in the last bit, so they are statistically, not bitwise, equal; the benchmark uses them
for speed. ``exact_math=False`` on the numpy target uses NumPy's ``exp`` etc. (fast; equal to
libm on many machines but not guaranteed).

Not supported (``NotImplementedError``): plastic projections, model functions using syntax the
translator does not know (loops, subscripts; the error names the model function). NaN/inf
blow-ups are not detected on the Brian2 side.
"""
from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spikesim.compare.brian2_code import Const, Constants, Emitter, Sym, brian2_functions, fast_function, translate
from spikesim.core.plan import build_plan, resolve_state
from spikesim.core.result import Result, now_iso
from spikesim.neurons.base import arg_names, takes_conductances
from spikesim.rng.counter import splitmix64

TARGETS = ("numpy", "cython", "cpp_standalone")


# ------------------------------------------------------------------------------ random streams
def _uniform_block(seed: int, stream: int, steps: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """counter_uniform over a (steps, idx) grid, exactly as the kernels compute it."""
    with np.errstate(over="ignore"):
        hidx = splitmix64(idx.astype(np.uint64))[None, :]
        st = steps.astype(np.uint64)[:, None]
        h = splitmix64(np.uint64(seed) ^ splitmix64(np.uint64(stream) ^ splitmix64(st ^ hidx)))
        return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def poisson_steps(seed: int, stream: int, p_fire: np.ndarray, step0: int, step1: int,
                  chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(steps, local ids) of the spikes of a spikesim Poisson population over [step0, step1):
    the kernels' draws ``counter_uniform(seed, stream, step, i) < p_fire[i]``, vectorised."""
    n = p_fire.size
    idx = np.arange(n)
    out_s, out_i = [], []
    for a in range(step0, step1, chunk):
        u = _uniform_block(seed, stream, np.arange(a, min(step1, a + chunk)), idx)
        s, i = np.nonzero(u < p_fire[None, :])
        out_s.append(s + a)
        out_i.append(i)
    if not out_s:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_s).astype(np.int64), np.concatenate(out_i).astype(np.int64)


_LOG = np.frompyfunc(math.log, 1, 1)
_COS = np.frompyfunc(math.cos, 1, 1)


def normal_block(seed: int, stream: int, n: int, step0: int, step1: int) -> np.ndarray:
    """(step1 - step0, n) standard normals of :func:`spikesim.rng.counter.counter_normal`: the
    Box-Muller transform of the uniforms at indices 2i and 2i + 1, with libm's log and cos (what
    ``math.log``/``math.cos`` compile to in the kernels) and IEEE sqrt, so bit-identical."""
    steps = np.arange(step0, step1)
    u1 = _uniform_block(seed, stream, steps, 2 * np.arange(n))
    u2 = _uniform_block(seed, stream, steps, 2 * np.arange(n) + 1)
    lg = _LOG(1.0 - u1).astype(np.float64)
    cs = _COS(6.283185307179586 * u2).astype(np.float64)
    return np.sqrt(-2.0 * lg) * cs


# ------------------------------------------------------------------------------ the model
@dataclass
class Brian2Model:
    """A spikesim network built in Brian2, ready to run. ``timings`` (seconds) fills as it goes."""

    net: Any
    target: str
    n_steps: int
    dt: float
    names: list
    starts: dict
    kinds: dict
    spike_monitors: dict
    state_monitors: dict
    directory: str | None
    n_synapses: int
    code: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    plastic: list = field(default_factory=list)      # (Brian2 Synapses, CSR positions of its synapses)
    plan: Any = None
    projections: list = field(default_factory=list)
    _ran: bool = False

    def weights(self, projection) -> np.ndarray:
        """Weights of a spikesim ``projection`` in Brian2 after the run (the order of
        ``Network.weights``): learned ones for plastic projections."""
        p = self.plan
        w = np.array(p.w, copy=True)
        for S, sel in self.plastic:
            w[sel] = np.asarray(S.w[:], dtype=np.float64)
        from spikesim.core.plan import is_continuous
        spiking = [pr for pr in self.projections if not is_continuous(pr)]
        k = next(i for i, pr in enumerate(spiking) if pr is projection)
        return w[p.csr_pos[p.proj_offset[k]:p.proj_offset[k + 1]]]

    def run(self) -> dict:
        """Run the whole duration. Runtime targets: ``run(0 ms)`` (preparation: code generation,
        compilation, loading caches) is timed apart from the simulation proper. cpp_standalone:
        code generation + compilation (``device.build``) apart from the binary's own
        simulation time (``device._last_run_time``, measured with ``std::clock()``, i.e. CPU
        time, in the single-threaded build), plus the whole binary's wall and CPU time."""
        import brian2 as b2
        if self._ran:
            raise RuntimeError("this Brian2Model has already run; build a new one")
        self._ran = True
        dur = self.n_steps * self.dt * b2.ms
        # Brian2's loop-invariant optimisation rewrites x / c into x * (1 / c) for a scalar c, which is
        # not the same float64 number: on the numpy target (the exact one) it is switched off for the
        # code of this network only; the compiled targets keep it (they are not bitwise exact anyway)
        lio = b2.prefs.codegen.loop_invariant_optimisations
        b2.prefs.codegen.loop_invariant_optimisations = self.target != "numpy" and lio
        try:
            return self._run(b2, dur)
        finally:
            b2.prefs.codegen.loop_invariant_optimisations = lio

    def _run(self, b2, dur) -> dict:
        with np.errstate(all="ignore"):      # the branch not taken of a where() may overflow or divide by 0
            if self.target == "cpp_standalone":
                dev = b2.get_device()
                w0 = time.perf_counter()
                self.net.run(dur, namespace={})
                self.timings["codegen_wall"] = time.perf_counter() - w0
                w1, c1 = time.perf_counter(), _cpu_all()
                dev.build(directory=self.directory, compile=True, run=False, with_output=False)
                self.timings["compile_wall"] = time.perf_counter() - w1
                self.timings["compile_cpu"] = _cpu_all() - c1
                w2, c2 = time.perf_counter(), _cpu_all()
                dev.run(directory=self.directory, with_output=False, run_args=None)
                self.timings["binary_wall"] = time.perf_counter() - w2
                self.timings["binary_cpu"] = _cpu_all() - c2
                self.timings["sim_cpu"] = float(dev._last_run_time)
                self.timings["prep_wall"] = self.timings["codegen_wall"] + self.timings["compile_wall"]
            else:
                w0, c0 = time.perf_counter(), time.process_time()
                self.net.run(0 * b2.ms, namespace={})
                self.timings["prep_wall"] = time.perf_counter() - w0
                self.timings["prep_cpu"] = time.process_time() - c0
                w1, c1 = time.perf_counter(), time.process_time()
                self.net.run(dur, namespace={})
                self.timings["sim_wall"] = time.perf_counter() - w1
                self.timings["sim_cpu"] = time.process_time() - c1
        return self.timings

    def result(self) -> Result:
        """The recorded spikes and state as a spikesim :class:`Result`."""
        import brian2 as b2
        dt_s = self.dt * 1e-3
        spikes, state, state_times = {}, {}, {}
        for name, (mon, ids) in self.spike_monitors.items():
            steps = np.rint(np.asarray(mon.t_) / dt_s).astype(np.int64)
            idx = np.asarray(mon.i, dtype=np.int64)
            if ids is not None:
                keep = np.isin(idx, ids)
                steps, idx = steps[keep], idx[keep]
            order = np.lexsort((idx, steps))
            spikes[name] = (steps[order] * self.dt, idx[order])
        for name, (mon, var_map) in self.state_monitors.items():
            state[name] = {ours: np.asarray(getattr(mon, theirs)).T.copy() for ours, theirs in var_map.items()}
            state_times[name] = np.rint(np.asarray(mon.t_) / dt_s).astype(np.int64) * self.dt
        meta = {"simulator": "brian2", "brian2_version": b2.__version__, "brian2_target": self.target,
                "dt": self.dt, "t_start": 0.0, "steps": self.n_steps, "end_time": now_iso(),
                **{f"brian2_{k}": float(v) for k, v in self.timings.items()}}
        return Result(spikes=spikes, state=state, state_times=state_times, meta=meta,
                      config={"dt": self.dt, "backend": f"brian2-{self.target}"})


def _cpu_all() -> float:
    """CPU seconds of this process and its finished children (compilers, the standalone binary)."""
    r = os.times()
    return r.user + r.system + r.children_user + r.children_system


# ------------------------------------------------------------------------------ translation
def _store(em: Emitter, slots: list[str], values, label: str) -> None:
    """Assign a model function's returned tuple to group variables, as a tuple assignment."""
    if not isinstance(values, tuple):
        values = (values,)
    if len(values) != len(slots):
        raise NotImplementedError(f"{label} returns {len(values)} values for {len(slots)} state variables")
    vals = []
    for v in values:
        if isinstance(v, Const) and v.value is None:
            raise NotImplementedError(f"{label} returns None")
        if isinstance(v, Sym) and not v.name.startswith(em.prefix):     # a group variable: copy first
            v = em.temp(v.name, v.kind)
        if isinstance(v, Sym) and v.kind == "bool":
            v = em.temp(f"int({v.name})")
        vals.append(v)
    for s, v in zip(slots, vals):
        em.assign(s, v)


def _as_fire(em: Emitter, v) -> str:
    if isinstance(v, Const):
        return "True" if v.value else "False"
    if v.kind == "bool":
        return v.name
    return em.temp(f"{v.name} != 0", "bool").name


class _Layout:
    """Where each population's variables live in the one NeuronGroup."""

    def __init__(self, plan):
        self.x, self.y, self.p, self.syn_y, self.syn_p = {}, {}, {}, {}, {}
        self.acc = {}                                     # global receiver -> accumulator name
        n_acc = {}
        for r, rc in enumerate(plan.receivers):
            k = n_acc.get(rc.pop, 0)
            n_acc[rc.pop] = k + 1
            self.acc[r] = f"a{k}"
        for pp in plan.neuron_pops:
            p = pp.index
            self.x[p] = [f"x{j}" for j in range(len(pp.model.state))]
            self.p[p] = {name: f"p{j}" for j, name in enumerate(pp.rows)}
            yo, po = 0, len(pp.rows)
            for k, sp in enumerate(pp.synapses):
                self.syn_y[p, k] = [f"y{yo + j}" for j in range(len(sp.model.state))]
                self.syn_p[p, k] = {name: f"p{po + j}" for j, name in enumerate(sp.rows)}
                yo += len(sp.model.state)
                po += len(sp.rows)
        self.nx = max([len(v) for v in self.x.values()], default=0)
        self.ny = max([sum(len(self.syn_y[p, k]) for k in range(len(plan.pops[p].synapses))) for p in self.x],
                      default=0)
        self.np_ = max([len(plan.pops[p].rows) + sum(len(sp.rows) for sp in plan.pops[p].synapses) for p in self.x],
                       default=0)
        self.na = max(n_acc.values(), default=0)

    def target(self, plan, r) -> str:
        rc = plan.receivers[r]
        return self.x[rc.pop][rc.row] if rc.syn < 0 else self.syn_y[rc.pop, rc.syn][rc.row]


def _binding(model, state_syms: dict, rows: dict, shared, U, dt: float, t_sym, I_sym=None, extra: dict | None = None):
    b = dict(state_syms)
    b.update({name: Sym(slot) for name, slot in rows.items()})
    b.update({name: Const(float(u)) for name, u in zip(shared, U)})
    b["dt"] = Const(dt)
    b["t"] = t_sym
    if I_sym is not None:
        b["I"] = I_sym
    for k, v in (extra or {}).items():
        b.setdefault(k, v)
    return b


def _uses_t(models_fns) -> bool:
    return any("t" in arg_names(getattr(m, f)) for m, f in models_fns)


def translate_population(plan, pp, layout: _Layout, consts: Constants, exact_math: bool, ext_sym):
    """(update code, reset emitter output) of one neuron population."""
    p, m = pp.index, pp.model
    em = Emitter(consts, prefix="tq")
    em.exact_math = exact_math
    fns = [(m, "update"), (m, "threshold")] + [(sp.model, f) for sp in pp.synapses for f in ("current", "update")]
    t_sym = em.temp(f"t_in_timesteps * {consts.name(plan.dt)}") if _uses_t(fns) else Const(None)
    label = f"population {pp.name!r} ({m.__name__})"
    # receivers: the ring slot of this step
    for r, rc in enumerate(plan.receivers):
        if rc.pop == p:
            tgt, acc = layout.target(plan, r), layout.acc[r]
            em.lines += [f"{tgt} = {tgt} + {acc}", f"{acc} = 0"]
    xs = {name: Sym(slot) for name, slot in zip(m.state, layout.x[p])}
    # input current: external, then each synapse model's current
    current = ext_sym
    syn_bind = []
    own_g = takes_conductances(m)
    gs, gEs = Const(0.0), Const(0.0)

    def add(a, c, op="+"):
        if isinstance(a, Const) and isinstance(c, Const):
            return Const(a.value + c.value if op == "+" else a.value * c.value)
        return em.temp(f"{em.ref(a)} {op} {em.ref(c)}")

    for k, sp in enumerate(pp.synapses):
        ys = {name: Sym(slot) for name, slot in zip(sp.model.state, layout.syn_y[p, k])}
        syn_bind.append(ys)
        b = _binding(sp.model, ys, layout.syn_p[p, k], sp.shared, sp.U, plan.dt, t_sym, extra=xs)
        slabel = f"{label} synapse {sp.name!r} {sp.model.__name__}"
        if own_g and sp.model.is_conductance():          # the neuron integrates this conductance itself
            c = translate(em, sp.model, "conductance", b, slabel)
            gs = add(gs, c)
            gEs = add(gEs, add(c, b[sp.model.reversal], "*"))
            continue
        current = add(current, translate(em, sp.model, "current", b, slabel))
    b = _binding(m, xs, layout.p[p], pp.shared, pp.U, plan.dt, t_sym, I_sym=current,
                 extra={"g_syn": gs, "gE_syn": gEs})
    new = translate(em, m, "update", b, label)
    _store(em, layout.x[p], new, f"{label}: update()")
    for k, sp in enumerate(pp.synapses):
        b = _binding(sp.model, syn_bind[k], layout.syn_p[p, k], sp.shared, sp.U, plan.dt, t_sym, extra=xs)
        new = translate(em, sp.model, "update", b, f"{label} synapse {sp.name!r} {sp.model.__name__}")
        _store(em, layout.syn_y[p, k], new, f"{label} synapse {sp.name!r}: update()")
    b = _binding(m, xs, layout.p[p], pp.shared, pp.U, plan.dt, t_sym)
    fire = translate(em, m, "threshold", b, label)
    em.lines.append(f"fire = {_as_fire(em, fire)}")
    update_code = list(em.lines)

    # reset: values only (the caller assigns, possibly selecting by population)
    er = Emitter(consts, prefix=f"rq{p}_")
    er.exact_math = exact_math
    t_r = er.temp(f"t_in_timesteps * {consts.name(plan.dt)}") if _uses_t([(m, "reset")]) else Const(None)
    b = _binding(m, xs, layout.p[p], pp.shared, pp.U, plan.dt, t_r)
    vals = translate(er, m, "reset", b, label)
    if not isinstance(vals, tuple):
        vals = (vals,)
    if len(vals) != len(m.state):
        raise NotImplementedError(f"{label}: reset() returns {len(vals)} values for {len(m.state)} state variables")
    return update_code, er, vals, em.math_used | er.math_used


def _reset_code(pieces: list, layout: _Layout) -> str:
    """One reset for the whole group. Populations whose reset translates to the same text share
    it; otherwise every written slot is selected by population index."""
    texts = []
    for p, er, vals in pieces:
        e2 = Emitter(er.consts, prefix="rq_")
        e2.lines = [ln.replace(er.prefix, "rq_") for ln in er.lines]
        e2.k = er.k
        vv = tuple(Sym(v.name.replace(er.prefix, "rq_"), v.kind) if isinstance(v, Sym) else v for v in vals)
        _store(e2, layout.x[p], vv, "reset()")
        texts.append("\n".join(e2.lines))
    if len(set(texts)) <= 1:
        return (texts[0] + "\n" if texts else "") + "flag = 0"
    lines = []
    for _, er, _ in pieces:
        lines += er.lines
    sel = Emitter(pieces[0][1].consts, prefix="rs")
    final = {}
    for j in range(layout.nx):
        cur = f"x{j}"
        for p, er, vals in reversed(pieces):
            if j < len(vals):
                c = f"rp{p}"
                v = vals[j]
                ref = sel.ref(v) if not (isinstance(v, Sym) and v.kind == "bool") else f"int({v.name})"
                cur = sel.temp(f"ss_where({c}, {ref}, {cur})").name
        final[f"x{j}"] = cur
    head = [f"rp{p} = pidx == {sel.consts.name(p)}" for p, _, _ in pieces]
    return "\n".join(lines + head + sel.lines + [f"{k} = {v}" for k, v in final.items()] + ["flag = 0"])


def _records(net, record):
    records = net.records if record is None else record
    out = {}
    for name, spec in records.items():
        if spec.get("projection"):          # synaptic variables: compared through net.weights, not recorded
            continue
        if name not in net.populations:
            raise KeyError(f"record names unknown population {name!r}")
        state = spec.get("state", ())
        state = (state,) if isinstance(state, str) else tuple(state)
        ids = spec.get("ids")
        out[name] = {"spikes": bool(spec.get("spikes", True)), "state": state, "every": int(spec.get("every", 1)),
                     "ids": None if ids is None else np.unique(np.asarray(ids, dtype=np.int64))}
    return out


def build(net, duration: float, target: str = "numpy", record: dict | None = None,
          directory: str | None = None, exact_math: bool | None = None) -> Brian2Model:
    """Build ``net`` in Brian2 for ``duration`` ms (see the module docstring); does not run it.

    ``target``: ``"numpy"``, ``"cython"`` (Brian2 runtime mode) or ``"cpp_standalone"`` (the
    device is (re)initialised here; ``directory`` is where the C++ project goes, a temporary
    folder by default). ``record``: ``{population: {"spikes": bool, "state": (vars...),
    "every": k, "ids": ...}}``, by default what ``net.record`` asked for. ``exact_math``: libm
    transcendental functions on the numpy target (default: True there, False elsewhere).
    """
    import brian2 as b2

    if target not in TARGETS:
        raise ValueError(f"unknown Brian2 target {target!r}; use one of {TARGETS}")
    exact_math = (target == "numpy") if exact_math is None else bool(exact_math)
    dt = float(net.dt)
    if not isinstance(duration, (int, float, np.floating)) or not math.isfinite(duration):
        raise ValueError(f"duration must be a finite number of ms, got {duration!r}")
    n_steps = int(round(duration / dt))
    if n_steps < 1 or abs(n_steps * dt - duration) > 1e-9 * max(1.0, duration):
        raise ValueError(f"duration {duration} ms is not a positive whole number of steps of dt = {dt} ms")
    pops = net.populations
    for pr in net.projections:
        if getattr(pr, "plasticity", None) is not None and pr.delay_steps.size and np.any(pr.delay_steps != 1):
            raise NotImplementedError(
                f"projection {pr.name} is plastic with delays longer than one step: Brian2 reads a synapse's weight "
                "when a delayed spike arrives, spikesim when it is emitted (README, conventions), so only plastic "
                "projections with one-step delays are cross-validated")
    if getattr(net, "_readouts", None):
        raise NotImplementedError("the network has readouts (ss.Readout): they have no Brian2 translation here")
    records = _records(net, record)
    # convolutional projections become their explicit synapses (the same network; CSR order)
    projections = list(net.projections) + [cv.explicit(dt) for cv in getattr(net, "_convs", ())]
    plan = build_plan(dt, net.seed, pops, projections, net.injections, records, net.max_delay_steps)
    for pp in plan.neuron_pops:
        if pp.channels:
            raise NotImplementedError(f"population {pp.name!r} has a ChannelCurrent: no Brian2 translation here; "
                                      "inject its current as a time array to compare with Brian2")
        for T in pp.I_time:
            if T.shape[0] < n_steps:
                raise ValueError(f"the injected current arrays cover {T.shape[0]} steps of population {pp.name!r} "
                                 f"but the run needs {n_steps}")

    # ---- device ------------------------------------------------------------------------------
    if target == "cpp_standalone":
        directory = directory or tempfile.mkdtemp(prefix="spikesim_brian2_")
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        b2.get_device().reinit()
        b2.get_device().activate(directory=directory, build_on_run=False)
    else:
        b2.set_device("runtime")
        b2.prefs.codegen.target = target
        directory = None

    N = plan.n_total
    names = plan.names
    starts = {nm: int(plan.pop_start[k]) for k, nm in enumerate(names)}
    stops = {nm: int(plan.pop_stop[k]) for k, nm in enumerate(names)}
    kinds = {pp.name: (pp.model.__name__ if pp.kind == "neuron" else pp.kind) for pp in plan.pops}
    clock = b2.Clock(dt=dt * b2.ms, name="spikesim_clock*")
    from spikesim.core.plan import resolve_state
    for (pop, var), values in net.initial_state.items():          # Network.set_state before the first run
        pp = plan.pops[plan.names.index(pop)]
        k, row = resolve_state(net.populations[pop], var, pp.synapses)
        (pp.S if k < 0 else pp.synapses[k].S)[row] = values
    layout = _Layout(plan)
    consts = Constants()
    namespace: dict = {}

    # ---- external currents and translated code per population -------------------------------
    codes, resets, math_used = {}, [], set()
    any_iconst = False
    for pp in plan.neuron_pops:
        p = pp.index
        if pp.I_time or pp.noise:
            ext = np.repeat((pp.I_const if pp.I_const is not None else np.zeros(pp.n))[None, :], n_steps, axis=0)
            for T in pp.I_time:                              # the kernel's order: constant, arrays, noise
                ext = ext + T[:n_steps]
            if any(m != "box-muller" for m in pp.noise_methods):
                raise NotImplementedError(f"population {pp.name!r}: GaussianCurrent(method='ziggurat') has no Brian2 "
                                 "translation here; use the default Box-Muller noise to compare with Brian2")
            for stream, ms in pp.noise:
                ext = ext + (ms[0][None, :] + ms[1][None, :] * normal_block(plan.seed, stream, pp.n, 0, n_steps))
            if target == "numpy":        # a table read by (step, local index), without Brian2's unit wrapper
                namespace[f"iext_{p}"] = fast_function(lambda step, i, _tab=ext: _tab[step, i], 2,
                                                       arg_types=["integer", "integer"])
                ext_sym = Sym(f"iext_{p}(t_in_timesteps, lidx)")
            else:
                namespace[f"iext_{p}"] = b2.TimedArray(ext, dt=dt * b2.ms, name=f"iext_{p}_*")
                ext_sym = Sym(f"iext_{p}(t, lidx)")
        elif pp.I_const is not None:
            ext_sym, any_iconst = Sym("iconst"), True
        else:
            ext_sym = Const(0.0)
        code, er, vals, used = translate_population(plan, pp, layout, consts, exact_math, ext_sym)
        if isinstance(ext_sym, Sym) and ext_sym.name.startswith("iext"):
            code = [ln.replace(ext_sym.name, "tqext") for ln in code]
            code.insert(0, f"tqext = {ext_sym.name}")
        codes[pp.name] = "\n".join(code)
        resets.append((p, er, vals))
        math_used |= used
    reset_code = _reset_code(resets, layout)
    rule_code = []
    for r, rp in enumerate(plan.rules):                  # plasticity: hooks translated like the models
        code, used = translate_rule(plan, r, rp, consts, exact_math)
        rule_code.append(code)
        math_used |= used
        if rp.model.modulated:
            namespace[f"mod_{r}"] = b2.TimedArray(rp.M, dt=dt * b2.ms, name=f"mod_{r}_*")
    trace_decay = [f"tr{r}_{j} = tr{r}_{j} * {consts.name(float(d))}" for r, rp in enumerate(plan.rules)
                   for j, d in enumerate(rp.decay)]
    namespace.update(consts.values)
    namespace.update(brian2_functions(exact_math, math_used))

    eqs = [f"x{j} : 1" for j in range(layout.nx)] + [f"y{j} : 1" for j in range(layout.ny)]
    eqs += [f"p{j} : 1 (constant)" for j in range(layout.np_)] + [f"a{j} : 1" for j in range(layout.na)]
    eqs += ["fire : boolean", "flag : 1", "lidx : integer (constant)", "pidx : integer (constant)"]
    if any_iconst:
        eqs.append("iconst : 1 (constant)")
    eqs += [f"tr{r}_{j} : 1" for r, rp in enumerate(plan.rules) for j in range(rp.X.shape[0])]
    G = b2.NeuronGroup(N, "\n".join(eqs), threshold="fire or flag > 0.5", reset=reset_code, clock=clock,
                       name="spikesim_all*", namespace=namespace)
    init = {f"x{j}": np.zeros(N) for j in range(layout.nx)}
    init.update({f"y{j}": np.zeros(N) for j in range(layout.ny)})
    init.update({f"p{j}": np.zeros(N) for j in range(layout.np_)})
    lidx, pidx = np.zeros(N, np.int64), np.zeros(N, np.int64)
    iconst = np.zeros(N)
    for pp in plan.pops:
        s, e = pp.start, pp.start + pp.n
        lidx[s:e] = np.arange(pp.n)
        pidx[s:e] = pp.index
        if pp.kind != "neuron":
            continue
        p = pp.index
        for j, slot in enumerate(layout.x[p]):
            init[slot][s:e] = pp.S[j]
        for j, name in enumerate(pp.rows):
            init[layout.p[p][name]][s:e] = pp.P[j]
        for k, sp in enumerate(pp.synapses):
            for j, slot in enumerate(layout.syn_y[p, k]):
                init[slot][s:e] = sp.S[j]
            for j, name in enumerate(sp.rows):
                init[layout.syn_p[p, k][name]][s:e] = sp.P[j]
        if pp.I_const is not None:
            iconst[s:e] = pp.I_const
    for k, v in init.items():
        setattr(G, k, v)
    G.lidx = lidx
    G.pidx = pidx
    if any_iconst:
        G.iconst = iconst
    objects: list = [G]
    for pp in plan.neuron_pops:
        objects.append(G[pp.start:pp.start + pp.n].run_regularly(codes[pp.name], when="groups", order=pp.index,
                                                                 clock=clock, name=f"update_{pp.index}*"))

    # ---- input spikes -----------------------------------------------------------------------
    src_steps, src_ids, src_gids = [], [], []
    for pp in plan.pops:
        if pp.kind == "spike_source":
            lo, hi = plan.src_off[pp.index], plan.src_off[pp.index + 1]
            st, gi = plan.src_step[lo:hi], plan.src_gid[lo:hi]
            keep = st < n_steps
            src_steps.append(st[keep])
            src_ids.append(gi[keep])
        elif pp.kind == "poisson":
            st, li = poisson_steps(plan.seed, pp.stream, pp.p_fire, 0, n_steps)
            src_steps.append(st)
            src_ids.append(li + pp.start)
        else:
            continue
        src_gids.append(np.arange(pp.start, pp.start + pp.n))
    if src_steps:
        st, gi = np.concatenate(src_steps), np.concatenate(src_ids)
        order = np.lexsort((gi, st))
        st, gi = st[order], gi[order]
        gids = np.concatenate(src_gids)
        sgg = b2.SpikeGeneratorGroup(N, gi, st * dt * b2.ms, clock=clock, when="start", order=0, sorted=True,
                                     name="spikesim_inputs*")
        relay = b2.Synapses(sgg, G, on_pre="flag_post = 1", clock=clock, name="spikesim_relay*", namespace={})
        relay.connect(i=gids, j=gids)
        relay.pre.when = "before_thresholds"
        objects += [sgg, relay]

    # ---- synapses: one Synapses per receiver, CSR order --------------------------------------
    pre_of = np.repeat(np.arange(N, dtype=np.int64), np.diff(plan.indptr))
    n_syn = 0
    if hasattr(plan, "syn_ring"):
        syn_recv = plan.syn_ring
    else:                                    # receiver of each synapse from its ring cell
        syn_recv = np.searchsorted(plan.recv_off, plan.cell, side="right") - 1
    group_of = plan.syn_rule if plan.has_plasticity else np.full(plan.w.size, -1)
    plastic = []
    for r in range(len(plan.receivers)):
        for g in np.unique(group_of[syn_recv == r]):          # static synapses, then each rule's
            sel = np.flatnonzero((syn_recv == r) & (group_of == g))
            if sel.size == 0:
                continue
            d = plan.delay[sel]
            acc = layout.acc[r]
            homogeneous = bool(np.all(d == d[0]))
            tag = f"r{r}" if g < 0 else f"r{r}_rule{g}"
            if g < 0:
                S = b2.Synapses(G, G, "w : 1 (constant)", on_pre=f"{acc}_post += w", clock=clock,
                                name=f"spikesim_syn_{tag}*", namespace={},
                                **({"delay": (int(d[0]) - 1) * dt * b2.ms} if homogeneous else {}))
            else:
                S = _plastic_synapses(b2, G, plan, int(g), rule_code[g], acc, clock, namespace, tag)
            S.connect(i=pre_of[sel], j=plan.post[sel].astype(np.int64))
            S.w = plan.w[sel]
            if g >= 0:
                for j in range(plan.rules[g].V.shape[0]):
                    setattr(S, f"s{j}", plan.rules[g].V[j, plan.syn_local[sel]])
            if g >= 0 or not homogeneous:
                S.pre.delay = (d - 1) * dt * b2.ms
            S.pre.order = r
            objects.append(S)
            n_syn += sel.size
            if g >= 0:
                plastic.append((S, sel))
    if plan.has_plasticity:
        # the rules' traces decay first in the plasticity phase ("end" slot, before the hooks) and
        # grow after every hook: a one-to-one relay whose pathway runs after the on_post ones
        objects.append(G.run_regularly("\n".join(trace_decay), when="end", order=0, clock=clock,
                                       name="trace_decay*"))
        incr = "\n".join(f"tr{r}_{j}_post += 1" for r, rp in enumerate(plan.rules) for j in range(rp.X.shape[0]))
        relay = b2.Synapses(G, G, on_pre=incr or "flag_post += 0", clock=clock, name="trace_increments*",
                            namespace={})
        relay.connect(i=np.arange(N), j=np.arange(N))
        relay.pre.when, relay.pre.order = "end", 4
        objects.append(relay)

    # ---- monitors ---------------------------------------------------------------------------
    spike_mons, state_mons = {}, {}
    for nm, spec in records.items():
        s, e = starts[nm], stops[nm]
        k = names.index(nm)
        if spec["spikes"]:
            spike_mons[nm] = (b2.SpikeMonitor(G[s:e], name=f"spikes_{k}*"), spec["ids"])
            objects.append(spike_mons[nm][0])
        if spec["state"]:
            pp = plan.pops[k]
            if pp.kind != "neuron":
                raise ValueError(f"population {nm!r} has no state variables to record")
            var_map = {}
            for var in spec["state"]:
                syn, row = resolve_state(pops[nm], var, pp.synapses)
                var_map[var] = layout.x[k][row] if syn < 0 else layout.syn_y[k, syn][row]
            ids = True if spec["ids"] is None else spec["ids"]
            mon = b2.StateMonitor(G[s:e], sorted(set(var_map.values())), record=ids, dt=spec["every"] * dt * b2.ms,
                                  when="end", order=100, name=f"state_{k}*")
            state_mons[nm] = (mon, var_map)
            objects.append(mon)

    bnet = b2.Network(*objects)
    return Brian2Model(net=bnet, target=target, n_steps=n_steps, dt=dt, names=names, starts=starts, kinds=kinds,
                       spike_monitors=spike_mons, state_monitors=state_mons, directory=directory, n_synapses=n_syn,
                       code={"update": codes, "reset": reset_code, "rules": rule_code}, plastic=plastic,
                       plan=plan, projections=projections)


def translate_rule(plan, r, rp, consts: Constants, exact_math: bool) -> tuple[dict, set]:
    """Brian2 code of each hook of plastic projection r (in the context of its Synapses object:
    ``w``, state ``s0, s1, ...``, traces ``tr<r>_<j>_pre`` / ``_post`` of the G group)."""
    cls = rp.model
    if cls.uses_neurons() or cls.gated:
        what = [k for k, on in (("pre_vars", cls.pre_vars), ("post_vars", cls.post_vars), ("pre_sums", cls.pre_sums),
                                ("post_sums", cls.post_sums), ("gated", cls.gated)) if on]
        raise NotImplementedError(f"plasticity rule {cls.__name__} uses {', '.join(what)} (neuron state, sums over "
                                  f"synapses or a gate): no Brian2 translation here; run it on spikesim's backends")
    out, used = {}, set()
    for hook in cls.functions:
        em = Emitter(consts, prefix=f"pq{r}")
        em.exact_math = exact_math
        b = {"w": Sym("w"), "dt": Const(plan.dt)}
        b["t"] = em.temp(f"t_in_timesteps * {consts.name(plan.dt)}") if "t" in arg_names(getattr(cls, hook)) \
            else Const(None)
        b.update({k: Sym(f"s{j}") for j, k in enumerate(cls.state)})
        b.update({k: Sym(f"tr{r}_{j}_pre") for j, k in enumerate(cls.pre_traces)})
        b.update({k: Sym(f"tr{r}_{rp.n_pre_traces + j}_post") for j, k in enumerate(cls.post_traces)})
        b.update({k: Const(float(u)) for k, u in zip(rp.names, rp.U)})
        if cls.modulated and "M" in arg_names(getattr(cls, hook)):
            b["M"] = em.temp(f"mod_{r}(t)")
        label = f"plasticity rule {cls.__name__} ({hook})"
        vals = translate(em, cls, hook, b, label)
        _store(em, ["w"] + [f"s{j}" for j in range(len(cls.state))], vals, label)
        out[hook] = "\n".join(em.lines)
        used |= em.math_used
    return out, used


def _plastic_synapses(b2, G, plan, r, code: dict, acc: str, clock, namespace, tag):
    """The Synapses object of rule r's synapses onto one receiver: transmission (pathway ``pre``)
    and the rule's hooks in the plasticity phase ("end" slot): ``before`` (order 1), ``on_pre``
    (pathway ``plast``, 2), ``on_post`` (3), the trace increments (4, a relay), ``after`` (5)."""
    cls = plan.rules[r].model
    model = "\n".join(["w : 1"] + [f"s{j} : 1" for j in range(len(cls.state))])
    on_pre = {"pre": f"{acc}_post += w"}
    if "on_pre" in code:
        on_pre["plast"] = code["on_pre"]
    S = b2.Synapses(G, G, model, on_pre=on_pre, on_post=code.get("on_post"), clock=clock,
                    name=f"spikesim_syn_{tag}*", namespace=namespace)
    if "on_pre" in code:
        S.plast.when, S.plast.order = "end", 2
    if "on_post" in code:
        S.post.when, S.post.order = "end", 3
    for hook, order in (("before", 1), ("after", 5)):
        if hook in code:
            S.run_regularly(code[hook], when="end", order=order, clock=clock, name=f"{hook}_{tag}*")
    return S


def run(net, duration: float, target: str = "numpy", record: dict | None = None,
        exact_math: bool | None = None) -> Result:
    """Build ``net`` in Brian2, run ``duration`` ms from t = 0, return a :class:`spikesim.Result`
    (same populations, variables and time stamps as ``net.run``). Timings are in
    ``result.meta`` (``brian2_prep_wall``, ``brian2_sim_wall``, ...)."""
    model = build(net, duration, target=target, record=record, exact_math=exact_math)
    model.run()
    return model.result()
