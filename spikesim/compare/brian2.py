"""Run a spikesim :class:`~spikesim.Network` in Brian2, with the same arrays and the same schedule.

``run(net, duration)`` builds the network once more in Brian2 (2.9) from the spikesim object
(connectivity, weights, delays, parameters, initial state, injected currents and input spikes
all taken from the same arrays), runs it, and returns a :class:`spikesim.Result` of the same
shape as ``net.run(duration)``: spikes of the recorded populations stamped ``step * dt`` in ms,
state samples ``(n_samples, n)``. It always simulates from t = 0 with the network's initial
state, whatever runs ``net`` has already done. Use it to validate a network of your own::

    ref = spikesim.compare.brian2.run(net, 200.0)           # Brian2, numpy target
    res = net.run(200.0)
    np.array_equal(ref.spikes("exc")[0], res.spikes("exc")[0])

How the spikesim schedule maps onto Brian2
------------------------------------------
spikesim step n runs: inputs (ring slot n) -> state update -> threshold -> propagation (a spike
of step n with delay d >= 1 steps is added to ring slot n + d) -> reset -> monitors. Brian2 runs
per step the slots ``start, groups, thresholds, synapses, resets, end``. The mapping:

* **One Brian2 NeuronGroup holds every population** (neurons, SpikeSources and Poisson
  sources), in spikesim's global order. The variables are dimensionless (mV, ms and the
  currents' units are spikesim's): ``v``, ``x1`` (``u`` of Izhikevich / the refractory
  countdown ``ref`` of LIF), ``isyn`` (the filtered current ``I_syn``) and three
  accumulators ``rv``, ``ri``, ``rs`` that play the part of the current ring slot of the
  targets ``"v"``, ``"I"`` and ``"I_syn"``.
* **Synapses**: one Brian2 ``Synapses`` object per synapse target, holding the synapses of
  all projections with that target, in spikesim's CSR order (by global presynaptic index,
  projections in ``connect`` order). Its ``on_pre`` adds ``w`` to the target's accumulator of
  the postsynaptic neuron, in the ``synapses`` slot, with Brian2 delay ``(d - 1) * dt``: the
  event lands in the accumulator at step n + d - 1, *after* that step's update, and is consumed
  at the start of step n + d's update, i.e. at "the inputs of step n + d". One object per
  target (rather than one per projection) keeps the order of the floating-point additions
  identical to spikesim's ring: by emission step, then presynaptic index, then synapse order
  (Brian2's spike queues are stable: mergesort in the numpy queue, push_back in C++).
* **State update** (slot ``groups``): one ``run_regularly`` per population on its Subgroup.
  It first consumes the accumulators (``v += rv``; ``isyn += rs``; current = external + ``ri``
  + ``isyn``; accumulators zeroed), then applies the model's step. The update is written as
  one binary operation per statement, in spikesim's evaluation order, so that Brian2's sympy
  pass cannot re-associate sums and products: the numpy target then reproduces spikesim's
  float64 arithmetic bit for bit. Decay factors are the ones spikesim precomputes
  (``math.exp(-dt / tau)``, :mod:`spikesim.core.plan`).
* **Threshold** (slot ``thresholds``): ``v >= vth or flag > 0.5``; sources have ``vth = inf``
  and spike through ``flag``. **Reset** (slot ``resets``): ``v = vafter; x1 = x1*keep1 + add1``
  (Izhikevich: c, u + d; LIF: v_reset, ref = ceil(t_ref / dt)), which is the same arithmetic.
* **Inputs**: constant currents are a parameter; time-array currents (with the constant part
  added in spikesim's order) a 2-D ``TimedArray`` per population, row n read at t = n*dt.
  SpikeSource spikes and the Poisson spikes (the same counter-based stream as spikesim's
  kernels: ``uniform(seed, population index, step, neuron) < rate*dt``, precomputed for the
  whole run) go into a ``SpikeGeneratorGroup`` (slot ``start``) whose pathway sets ``flag``
  of the source neuron in slot ``before_thresholds`` of the same step.
* **Monitors**: a SpikeMonitor / StateMonitor per recorded population on its Subgroup (slot
  ``end``, after the reset, every ``every`` steps from step 0). Times are converted back to
  steps and stamped ``step * dt``.

Exactness: with ``target="numpy"`` the spike trains are identical to spikesim's (tested on
Izhikevich and LIF networks with heterogeneous delays). The compiled targets (``"cython"``,
``"cpp_standalone"``) run the same statements, but a C compiler with ``-march=native`` may
contract ``a*b + c`` into a fused multiply-add, which differs in the last bit, so they are
statistically, not bitwise, equal; the benchmark uses them for speed. (In
benchmarks/core_vs_brian2.py they reproduced the CUBA and Brunel spike counts exactly and the
chaotic Izhikevich network to one spike in 14 782 over 2 s.)

Not supported (``NotImplementedError``): plastic projections (STDP rules) and populations of a
kind this module does not know. Mixed models (Izhikevich and LIF populations, different
Izhikevich integration methods) are fine: each population has its own update code. NaN/inf
blow-ups are not detected on the Brian2 side.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spikesim.core.plan import (KIND_IZHIKEVICH, KIND_LIF, KIND_POISSON, KIND_SPIKE_SOURCE, build_plan)
from spikesim.core.result import Result, now_iso
from spikesim.rng.counter import splitmix64

TARGETS = ("numpy", "cython", "cpp_standalone")
_ACC = {0: "rv", 1: "ri", 2: "rs"}          # synapse target code -> accumulator variable
_STATE_NAME = {KIND_IZHIKEVICH: {"v": "v", "u": "x1", "I_syn": "isyn"},
               KIND_LIF: {"v": "v", "ref": "x1", "I_syn": "isyn"}}

# Constants of the Izhikevich equation, passed as named constants so no printer touches them.
_IZH_NS = {"k_a": 0.04, "k_b": 5.0, "k_c": 140.0}


def _consume_inputs(iext: str) -> list[str]:
    """Inputs of step n: the ring slot (accumulators) and the external current, spikesim's order."""
    return [
        "v = v + rv", "rv = 0",
        "isyn = isyn + rs", "rs = 0",
        f"c0 = {iext}",
        "c1 = c0 + ri", "ri = 0",
        "cur = c1 + isyn",
    ]


def _izh_half_step(h: str, tag: str) -> list[str]:
    # v + h * (((((0.04 * v) * v) + (5.0 * v)) + 140.0) - u + cur), one operation per statement
    return [f"q1{tag} = k_a * v", f"q2{tag} = q1{tag} * v", f"q3{tag} = k_b * v", f"q4{tag} = q2{tag} + q3{tag}",
            f"q5{tag} = q4{tag} + k_c", f"q6{tag} = q5{tag} - x1", f"q7{tag} = q6{tag} + cur",
            f"q8{tag} = {h} * q7{tag}", f"v = v + q8{tag}"]


def izhikevich_code(method: int, iext: str) -> str:
    """Brian2 abstract code of one spikesim Izhikevich step (see spikesim.neurons.izhikevich)."""
    lines = _consume_inputs(iext)
    if method == 1:   # izhikevich2003: two half-steps of v, then u with the new v
        lines += _izh_half_step("sim_h", "a") + _izh_half_step("sim_h", "b")
        lines += ["g1 = sim_dt * p0", "g2 = p1 * v", "g3 = g2 - x1", "g4 = g1 * g3", "x1 = x1 + g4"]
    else:             # euler: both from the old values
        lines += ["q1 = k_a * v", "q2 = q1 * v", "q3 = k_b * v", "q4 = q2 + q3", "q5 = q4 + k_c",
                  "q6 = q5 - x1", "dv = q6 + cur",
                  "g2 = p1 * v", "g3 = g2 - x1", "du = p0 * g3",
                  "e1 = sim_dt * dv", "v = v + e1", "e2 = sim_dt * du", "x1 = x1 + e2"]
    lines += ["isyn = isyn * dsyn"]
    return "\n".join(lines)


def lif_code(iext: str) -> str:
    """Brian2 abstract code of one spikesim LIF step (see spikesim.neurons.lif)."""
    lines = _consume_inputs(iext)
    lines += [
        "isr = int(x1 > 0)",
        "m1 = p1 * cur", "vinf = p0 + m1",          # v_inf = v_rest + r_m * I
        "dd = v - vinf", "dd2 = dd * p2", "vfree = vinf + dd2",
        "s1 = isr * p3", "nr = 1 - isr", "s2 = nr * vfree",
        "v = s1 + s2",                                # refractory: v_reset, else the exact step
        "x1 = x1 - isr",
        "isyn = isyn * dsyn",
    ]
    return "\n".join(lines)


def poisson_steps(seed: int, stream: int, p_fire: np.ndarray, step0: int, step1: int,
                  chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(steps, local ids) of the spikes of a spikesim Poisson population over [step0, step1):
    the same counter-based draws as :func:`spikesim.rng.counter.uniform_array`, vectorised over
    (step, neuron)."""
    n = p_fire.size
    with np.errstate(over="ignore"):
        hidx = splitmix64(np.arange(n, dtype=np.uint64))[None, :]
        seed_u, stream_u = np.uint64(seed), np.uint64(stream)
        out_s, out_i = [], []
        for a in range(step0, step1, chunk):
            st = np.arange(a, min(step1, a + chunk), dtype=np.uint64)[:, None]
            h = splitmix64(seed_u ^ splitmix64(stream_u ^ splitmix64(st ^ hidx)))
            u = (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
            s, i = np.nonzero(u < p_fire[None, :])
            out_s.append(s + a)
            out_i.append(i)
    if not out_s:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_s).astype(np.int64), np.concatenate(out_i).astype(np.int64)


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
    timings: dict = field(default_factory=dict)
    _ran: bool = False

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
        if self.target == "cpp_standalone":
            dev = b2.get_device()
            w0, c0 = time.perf_counter(), _cpu_all()
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
            # the binary's own loop time: std::clock() without OpenMP, i.e. CPU time of the loop
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
        dt_s = self.dt * 1e-3
        spikes, state, state_times = {}, {}, {}
        for name, mon in self.spike_monitors.items():
            steps = np.rint(np.asarray(mon.t_) / dt_s).astype(np.int64)
            ids = np.asarray(mon.i, dtype=np.int64)
            order = np.lexsort((ids, steps))
            spikes[name] = (steps[order] * self.dt, ids[order])
        for name, (mon, var_map) in self.state_monitors.items():
            state[name] = {}
            for ours, theirs in var_map.items():
                state[name][ours] = np.asarray(getattr(mon, theirs)).T.copy()
            state_times[name] = np.rint(np.asarray(mon.t_) / dt_s).astype(np.int64) * self.dt
        import brian2 as b2
        meta = {"simulator": "brian2", "brian2_version": b2.__version__, "brian2_target": self.target,
                "dt": self.dt, "t_start": 0.0, "steps": self.n_steps, "end_time": now_iso(),
                **{f"brian2_{k}": float(v) for k, v in self.timings.items()}}
        return Result(spikes=spikes, state=state, state_times=state_times, meta=meta,
                      config={"dt": self.dt, "backend": f"brian2-{self.target}"})


def _cpu_all() -> float:
    """CPU seconds of this process and its finished children (compilers, the standalone binary)."""
    r = os.times()
    return r.user + r.system + r.children_user + r.children_system


def build(net, duration: float, target: str = "numpy", record: dict | None = None,
          directory: str | None = None) -> Brian2Model:
    """Build ``net`` in Brian2 for ``duration`` ms (see the module docstring); does not run it.

    ``target``: ``"numpy"``, ``"cython"`` (Brian2 runtime mode) or ``"cpp_standalone"`` (the
    device is (re)initialised here; ``directory`` is where the C++ project goes, a temporary
    folder by default). ``record``: ``{population: {"spikes": bool, "state": (vars...),
    "every": k}}``, by default what ``net.record`` asked for.
    """
    import brian2 as b2

    if target not in TARGETS:
        raise ValueError(f"unknown Brian2 target {target!r}; use one of {TARGETS}")
    dt = float(net.dt)
    n_steps = int(round(duration / dt))
    if n_steps < 1 or abs(n_steps * dt - duration) > 1e-9 * max(1.0, duration):
        raise ValueError(f"duration {duration} ms is not a positive whole number of steps of dt = {dt} ms")
    pops = net.populations
    for name, obj in pops.items():
        if getattr(obj, "kind", None) not in ("izhikevich", "lif", "spike_source", "poisson"):
            raise NotImplementedError(f"population {name!r} of type {type(obj).__name__} has no Brian2 "
                                      "translation in spikesim.compare.brian2")
    for pr in net.projections:
        if getattr(pr, "plasticity", None) is not None:
            raise NotImplementedError(f"projection {pr.pre}->{pr.post} is plastic ({type(pr.plasticity).__name__}); "
                                      "spikesim.compare.brian2 translates static synapses only")
    record = net.records if record is None else record
    for name in record:
        if name not in pops:
            raise KeyError(f"record names unknown population {name!r}")
    plan = build_plan(dt, net.seed, pops, net.projections, net.injections, None)
    if plan.I_time.shape[1] > 0 and plan.I_time.shape[0] < n_steps:
        raise ValueError(f"the injected current arrays cover {plan.I_time.shape[0]} steps but the run needs "
                         f"{n_steps}")

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
    kinds = {nm: int(plan.pop_kind[k]) for k, nm in enumerate(names)}
    clock = b2.Clock(dt=dt * b2.ms, name="spikesim_clock*")

    # ---- the one group ----------------------------------------------------------------------
    eqs = """
    v : 1
    x1 : 1
    isyn : 1
    rv : 1
    ri : 1
    rs : 1
    flag : 1
    vth : 1 (constant)
    vafter : 1 (constant)
    keep1 : 1 (constant)
    add1 : 1 (constant)
    p0 : 1 (constant)
    p1 : 1 (constant)
    p2 : 1 (constant)
    p3 : 1 (constant)
    dsyn : 1 (constant)
    iconst : 1 (constant)
    lidx : integer (constant)
    """
    # ---- per-population state update code (and the time-array currents) --------------------
    namespace = dict(_IZH_NS, sim_dt=dt, sim_h=0.5 * dt)
    codes = {}
    for p, nm in enumerate(names):
        k = kinds[nm]
        if k not in (KIND_IZHIKEVICH, KIND_LIF):
            continue
        s, e = starts[nm], stops[nm]
        cols = np.flatnonzero((plan.I_time_gid >= s) & (plan.I_time_gid < e)) if plan.I_time.size else []
        if len(cols):
            # the external current of each step, summed in spikesim's order: constant, then columns
            ext = np.repeat(plan.I_const[s:e][None, :], n_steps, axis=0)
            for c in cols:
                ext[:, plan.I_time_gid[c] - s] += plan.I_time[:n_steps, c]
            namespace[f"iext_{p}"] = b2.TimedArray(ext, dt=dt * b2.ms, name=f"iext_{p}_*")
            iext = f"iext_{p}(t, lidx)"
        else:
            iext = "iconst"
        codes[nm] = izhikevich_code(int(plan.pop_flag[p]), iext) if k == KIND_IZHIKEVICH else lif_code(iext)

    G = b2.NeuronGroup(N, eqs, threshold="v >= vth or flag > 0.5",
                       reset="v = vafter\nx1 = x1 * keep1 + add1\nflag = 0", clock=clock,
                       name="spikesim_all*", namespace=namespace)
    P = plan.params
    vth = np.full(N, np.inf)
    vafter, keep1, add1 = np.zeros(N), np.ones(N), np.zeros(N)
    lidx = np.zeros(N, dtype=np.int64)
    for nm in names:
        s, e, k = starts[nm], stops[nm], kinds[nm]
        lidx[s:e] = np.arange(e - s)
        if k == KIND_IZHIKEVICH:
            vth[s:e], vafter[s:e], add1[s:e] = P[4, s:e], P[2, s:e], P[3, s:e]
        elif k == KIND_LIF:
            vth[s:e], vafter[s:e], add1[s:e] = P[4, s:e], P[3, s:e], P[6, s:e]
            keep1[s:e] = 0.0
    G.v = plan.state[0]
    G.x1 = plan.state[1]
    G.isyn = plan.state[2]
    G.vth = vth
    G.vafter = vafter
    G.keep1 = keep1
    G.add1 = add1
    G.p0, G.p1, G.p2, G.p3 = P[0], P[1], P[2], P[3]
    G.dsyn = P[5]
    G.iconst = plan.I_const
    G.lidx = lidx
    objects: list = [G]
    for p, nm in enumerate(names):
        if nm in codes:
            objects.append(G[starts[nm]:stops[nm]].run_regularly(codes[nm], when="groups", order=0, clock=clock,
                                                                   name=f"update_{p}*"))


    # ---- input spikes -----------------------------------------------------------------------
    src_steps, src_ids = [], []
    for p, nm in enumerate(names):
        s, e, k = starts[nm], stops[nm], kinds[nm]
        if k == KIND_SPIKE_SOURCE:
            lo, hi = plan.src_off[p], plan.src_off[p + 1]
            st, gi = plan.src_step[lo:hi], plan.src_gid[lo:hi]
            keep = st < n_steps
            src_steps.append(st[keep])
            src_ids.append(gi[keep])
        elif k == KIND_POISSON:
            st, li = poisson_steps(plan.seed, p, P[0, s:e], 0, n_steps)
            src_steps.append(st)
            src_ids.append(li + s)
    if src_steps:
        st, gi = np.concatenate(src_steps), np.concatenate(src_ids)
        order = np.lexsort((gi, st))
        st, gi = st[order], gi[order]
        src_gids = np.unique(np.concatenate([np.arange(starts[nm], stops[nm]) for nm in names
                                             if kinds[nm] in (KIND_SPIKE_SOURCE, KIND_POISSON)]))
        sgg = b2.SpikeGeneratorGroup(N, gi, st * dt * b2.ms, clock=clock, when="start", order=0, sorted=True,
                                     name="spikesim_inputs*")
        relay = b2.Synapses(sgg, G, on_pre="flag_post = 1", clock=clock, name="spikesim_relay*", namespace={})
        relay.connect(i=src_gids, j=src_gids)
        relay.pre.when = "before_thresholds"
        objects += [sgg, relay]

    # ---- synapses: one Synapses per target, CSR order ----------------------------------------
    pre_of = np.repeat(np.arange(N, dtype=np.int64), np.diff(plan.indptr))
    n_syn = 0
    for r, tcode in enumerate(plan.ring_target):
        sel = np.flatnonzero(plan.syn_ring == r)
        if sel.size == 0:
            continue
        d = plan.delay[sel]
        acc = _ACC[int(tcode)]
        homogeneous = bool(np.all(d == d[0]))
        kwargs = {"delay": (int(d[0]) - 1) * dt * b2.ms} if homogeneous else {}
        S = b2.Synapses(G, G, "w : 1 (constant)", on_pre=f"{acc}_post += w", clock=clock,
                        name=f"spikesim_syn_{acc}*", namespace={}, **kwargs)
        S.connect(i=pre_of[sel], j=plan.post[sel])
        S.w = plan.w[sel]
        if not homogeneous:
            S.delay = (d - 1) * dt * b2.ms
        S.pre.order = r
        objects.append(S)
        n_syn += sel.size

    # ---- monitors ---------------------------------------------------------------------------
    spike_mons, state_mons = {}, {}
    for nm, spec in record.items():
        s, e, k = starts[nm], stops[nm], kinds[nm]
        if spec.get("spikes", True):
            spike_mons[nm] = b2.SpikeMonitor(G[s:e], name=f"spikes_{names.index(nm)}*")
            objects.append(spike_mons[nm])
        vars_ = tuple(spec.get("state", ()))
        if vars_:
            if k not in _STATE_NAME:
                raise ValueError(f"population {nm!r} has no state variables to record")
            var_map = {}
            for var in vars_:
                if var not in _STATE_NAME[k]:
                    raise ValueError(f"population {nm!r} has no state variable {var!r}")
                var_map[var] = _STATE_NAME[k][var]
            every = int(spec.get("every", 1))
            mon = b2.StateMonitor(G[s:e], sorted(set(var_map.values())), record=True, dt=every * dt * b2.ms,
                                  when="end", order=100, name=f"state_{names.index(nm)}*")
            state_mons[nm] = (mon, var_map)
            objects.append(mon)

    bnet = b2.Network(*objects)
    return Brian2Model(net=bnet, target=target, n_steps=n_steps, dt=dt, names=names, starts=starts, kinds=kinds,
                       spike_monitors=spike_mons, state_monitors=state_mons, directory=directory, n_synapses=n_syn)


def run(net, duration: float, target: str = "numpy", record: dict | None = None) -> Result:
    """Build ``net`` in Brian2, run ``duration`` ms from t = 0, return a :class:`spikesim.Result`
    (same populations, variables and time stamps as ``net.run``). Timings are in
    ``result.meta`` (``brian2_prep_wall``, ``brian2_sim_wall``, ...)."""
    model = build(net, duration, target=target, record=record)
    model.run()
    return model.result()
