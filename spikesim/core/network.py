"""`Network`: build a spiking network, run it on a backend, get a `Result`.

Time is in ms with a fixed step ``dt``. **The schedule of one step n** (t = n * dt), the same on
every backend:

1. *inputs*: constant currents, time-array currents (row n), channel currents and readout
   feedback (:mod:`spikesim.core.channels`, :mod:`spikesim.core.readout`), and the ring-buffer
   slot n of each synapse target: jumps on ``v``, one-step current pulses ``I``, increments of
   the filtered current ``I_syn``;
2. *state update* of every neuron (its model's equations over [t, t + dt]); ``I_syn`` then
   decays by exp(-dt / tau_syn);
3. *threshold*: neurons with v >= threshold spike; spike sources emit their spikes of step n;
4. *propagation*: each spike adds w to slot n + delay of its target's ring (delay >= 1 step);
5. *reset* of the neurons that spiked;
6. *plasticity* of the plastic projections (:mod:`spikesim.plasticity.base`: traces decay,
   ``before``, ``on_pre`` of this step's spikes, ``on_post``, trace increments, ``after``);
7. *readouts* (:mod:`spikesim.core.readout`): features from this step's spikes or state,
   outputs, their learning rule, window sums;
8. *monitors*: spikes stamped t = n * dt; state and synaptic variables sampled after the reset
   and the plasticity, stamped n * dt.

A spike of step n with delay d steps therefore acts at the inputs of step n + d, as in
Izhikevich's net.m for d = 1. Runs can be continued: a second ``run`` starts where the first
stopped (state, pending spikes in the rings, time).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from spikesim import backends as _backends
from spikesim.backends.contract import (C_BAD_POP, C_EVENTS, C_SPIKES, STATUS_BUFFER_FULL, STATUS_DONE,
                                        STATUS_NONFINITE)
from spikesim.core.inputs import Poisson, PoissonInput, SpikeSource
from spikesim.core.channels import ChannelCurrent
from spikesim.core.noise import GaussianCurrent
from spikesim.core.readout import FEEDBACK, Readout
from spikesim.core.plan import build_plan
from spikesim.core.projection import Projection, make_projection
from spikesim.core.result import Result, make_meta, now_iso
from spikesim.core.threads import default_threads
from spikesim.core.validate import (check_chunk_steps, check_current, check_dt, check_dtype, check_duration,
                                    check_every, check_inputs_at_build, check_max_delay, check_name,
                                    check_recording_memory, check_record_ids, check_ring_memory, check_seed,
                                    check_threads, merge_record, resolve_population)
from spikesim.neurons.base import NeuronModel
from spikesim.synapses.base import SynapseModel
from spikesim.synapses.shorthand import legacy_synapse


class SimulationError(RuntimeError):
    """A run stopped early (e.g. state blew up to NaN/inf). ``.result`` holds what was recorded."""

    def __init__(self, message: str, result: Result):
        super().__init__(message)
        self.result = result


class PopulationHandle:
    """What ``Network.add`` returns: a named reference to a population."""

    def __init__(self, name: str, obj: Any):
        self.name = name
        self.obj = obj

    @property
    def n(self) -> int:
        return self.obj.n

    def __repr__(self) -> str:
        return f"<population {self.name!r}: {self.obj!r}>"


class Network:
    """A spiking network. ``backend`` is ``"reference"`` (NumPy), ``"numba"`` (CPU) or ``"cuda"``.

    ``max_delay`` (ms) optionally fixes the ring-buffer length; by default it is the longest
    delay of any projection. ``threads``: threads of the numba backend; ``None`` (default)
    chooses by size, at most Numba's thread count (``NUMBA_NUM_THREADS``, the cores available):
    one thread per 10,000 neurons or 2,000,000 synapses (:mod:`spikesim.core.threads`), so a
    small network runs on one. Spikes, state and weights are bit-identical for every thread count.

    ``dtype``: how synaptic weights and the delay ring buffer are stored, ``"float64"`` (default)
    or ``"float32"`` (reference and numba backends). float32 cuts what spike propagation streams
    per event from 12 to 8 bytes (weight + int32 ring cell) and halves the ring; every
    weight is rounded to float32 once, each addition into the ring is computed in float64 and
    rounded to float32, and the neurons still integrate in float64 (their state, parameters, the
    plasticity rules' arithmetic, traces and readouts are float64). reference and numba stay
    bit-identical to each other in float32, for every thread count; against float64 the inputs
    differ by float32 rounding (about 6e-8 relative per weight and per addition), so spike trains
    agree until a membrane sits within that rounding of its threshold (see tests/test_float32.py).
    """

    def __init__(self, dt: float = 0.1, seed: int = 0, backend: str = "numba", max_delay: float | None = None,
                 threads: int | None = None, dtype="float64"):
        dt = check_dt(dt)
        self.seed = check_seed(seed)
        self.backend = _backends.check_name(backend)
        self._threads = check_threads(threads, self.backend)     # the count, or the most for None
        self._auto_threads = threads is None and self.backend == "numba"
        self.max_delay_steps = check_max_delay(max_delay, dt)
        self.dtype = check_dtype(dtype, self.backend)
        self.dt = dt
        self._pops: dict[str, Any] = {}
        self._projections = []
        self._convs = []                  # convolutional projections (spikesim.core.conv)
        self._injections: list[tuple[str, np.ndarray]] = []
        self._records: dict[str, dict] = {}
        self._readouts: list[Readout] = []
        self._attentions: list = []
        self._plan = None
        self._dirty = False
        self.initial_state: dict[tuple[str, str], np.ndarray] = {}    # set_state before the first run
        self._step = 0
        self.last_run_stats: dict[str, float] = {}

    # ---------------------------------------------------------------- building
    def _check_open(self, what: str) -> None:
        if self._plan is not None:
            raise RuntimeError(f"cannot {what} after the network has run; build a new Network")

    def _name_of(self, pop) -> str:
        return resolve_population(pop, self._pops)

    def add(self, population, name: str | None = None) -> PopulationHandle:
        """Add a neuron group (``spikesim.neurons.*``) or an input (``spikesim.inputs.*``)."""
        self._check_open("add populations")
        if not isinstance(population, (NeuronModel, SpikeSource, Poisson)):
            raise TypeError(f"cannot add {type(population).__name__}: expected a spikesim neuron model "
                            "(ss.neurons.*) or input (ss.inputs.*)")
        name = name or f"{population.kind}{len(self._pops)}"
        check_name(name, "population name")
        if name in self._pops:
            raise ValueError(f"population name {name!r} is already used")
        self._pops[name] = population
        return PopulationHandle(name, population)

    def connect(self, pre, post, weights, delays=None, target: str | None = None, plasticity=None,
                synapse: SynapseModel | None = None, stp=None, name: str | None = None):
        """Connect ``pre`` -> ``post``; see :mod:`spikesim.core.projection` for the formats.
        ``delays`` in ms (default: one step). ``synapse``: a postsynaptic model from
        :mod:`spikesim.synapses` (``Delta``, ``Pulse``, ``Exponential``, ``Alpha``,
        ``Conductance``, ...) or a user's own; ``target="v" | "I" | "I_syn"`` are shorthands for
        ``Delta("v")``, ``Pulse()`` and the post's ``tau_syn`` exponential current (default "v").
        ``plasticity``: a :class:`spikesim.plasticity.PlasticityRule` (``STDP``,
        ``RewardModulatedSTDP``, ``MultiplicativeSTDP``, ``TripletSTDP`` or a user's own) or None
        (static); read the learned weights back with :meth:`weights`, or record them over time
        with :meth:`record` on the projection. ``name``: the key of the projection's recordings
        (default ``"<pre>-><post>"``, with ``#2``, ``#3`` ... for further projections between the
        same populations). ``weights`` may also be a :class:`spikesim.connectivity.Conv2D`: one
        kernel shared by every position of a frame (:mod:`spikesim.core.conv`; its delays are part
        of it)."""
        self._check_open("connect")
        pre_n, post_n = self._name_of(pre), self._name_of(post)
        post_obj = self._pops[post_n]
        if isinstance(post_obj, (SpikeSource, Poisson)):
            raise ValueError(f"population {post_n!r} is an input and cannot receive synapses")
        if synapse is not None and target is not None:
            raise ValueError("give either synapse= or the shorthand target=, not both")
        from spikesim.core.conv import Conv2D
        if isinstance(weights, Conv2D):
            return self._connect_conv(pre_n, post_n, weights, delays, target, synapse, plasticity, stp, name)
        from spikesim.synapses.continuous import ContinuousModel
        if isinstance(synapse, ContinuousModel):
            return self._connect_continuous(pre_n, post_n, weights, delays, synapse, plasticity, stp)
        if synapse is None:
            synapse = legacy_synapse("v" if target is None else target, post_obj)
        elif not isinstance(synapse, SynapseModel):
            raise TypeError(f"synapse must be a spikesim.synapses model, got {type(synapse).__name__}")
        synapse.bind(post_obj, post_obj.n)               # contract and parameter checks, at the call
        proj = make_projection(pre_n, self._pops[pre_n].n, post_n, post_obj.n, weights,
                               self.dt if delays is None else delays, target or "v", self.dt, plasticity)
        proj.synapse = synapse
        if stp is not None:
            from spikesim.synapses.stp import TsodyksMarkram
            if not isinstance(stp, TsodyksMarkram):
                raise TypeError(f"stp must be ss.synapses.TsodyksMarkram(...), got {type(stp).__name__}")
            if plasticity is not None:
                raise ValueError("a projection takes either stp= or plasticity=, not both")
        proj.stp = stp
        proj.name = self._projection_name(pre_n, post_n, name)
        if self.max_delay_steps is not None and proj.delay_steps.size and proj.delay_steps.max() > self.max_delay_steps:
            raise ValueError(f"delay {proj.delay_steps.max() * self.dt} ms of {pre_n}->{post_n} exceeds "
                             f"max_delay = {self.max_delay_steps * self.dt} ms")
        self._projections.append(proj)
        return proj

    def _connect_conv(self, pre_n, post_n, conv, delays, target, synapse, plasticity, stp, name):
        """A convolutional projection (:mod:`spikesim.core.conv`)."""
        from spikesim.core.conv import ConvProjection
        from spikesim.synapses.continuous import ContinuousModel
        if delays is not None:
            raise ValueError("a Conv2D carries its delays (Conv2D(..., delays=)); do not pass delays= to connect")
        if plasticity is not None or stp is not None:
            raise ValueError("a Conv2D projection is static: its kernel is shared by every position, so plasticity= "
                             "and stp= do not apply (connect its explicit synapses, Conv2D.synapses(dt), instead)")
        if isinstance(synapse, ContinuousModel):
            raise ValueError(f"{type(synapse).__name__} is a continuous coupling; a Conv2D projection carries spikes")
        for side, pop, n in (("pre", pre_n, conv.n_in), ("post", post_n, conv.n_out)):
            if self._pops[pop].n != n:
                raise ValueError(f"{side} population {pop!r} has {self._pops[pop].n} neurons; the Conv2D's frame "
                                 f"{conv.frame} with {conv.c_in if side == 'pre' else conv.c_out} channels needs {n}")
        post_obj = self._pops[post_n]
        if synapse is None:
            synapse = legacy_synapse("v" if target is None else target, post_obj)
        elif not isinstance(synapse, SynapseModel):
            raise TypeError(f"synapse must be a spikesim.synapses model, got {type(synapse).__name__}")
        synapse.bind(post_obj, post_obj.n)
        steps = conv.entries(self.dt)[4]
        if conv.kernel.ndim == 5:
            axis = np.rint(np.asarray(conv.axis_delays) / self.dt).astype(np.int64)
            if np.unique(axis).size != axis.size:
                raise ValueError(f"Conv2D delays {list(conv.axis_delays)} ms are not distinct in steps of {self.dt} ms: "
                                 "two kernel slices with one delay would hit the same cells (sum them into one)")
        if steps.size and steps.min() < 1:
            raise ValueError(f"Conv2D delays must be at least one step ({self.dt} ms); got {steps.min() * self.dt} ms")
        if self.max_delay_steps is not None and steps.size and steps.max() > self.max_delay_steps:
            raise ValueError(f"delay {steps.max() * self.dt} ms of {pre_n}->{post_n} exceeds "
                             f"max_delay = {self.max_delay_steps * self.dt} ms")
        proj = ConvProjection(pre_n, post_n, conv, synapse, self._projection_name(pre_n, post_n, name), steps,
                              int(steps.size))
        self._convs.append(proj)
        return proj

    def _projection_name(self, pre_n: str, post_n: str, name: str | None) -> str:
        taken = {pr.name for pr in self._projections} | {pr.name for pr in self._convs} | set(self._pops)
        if name is not None:
            check_name(name, "projection name")
            if name in taken:
                raise ValueError(f"projection name {name!r} is already used")
            return name
        base, k = f"{pre_n}->{post_n}", 2
        name = base
        while name in taken:
            name, k = f"{base}#{k}", k + 1
        return name

    def _connect_continuous(self, pre_n, post_n, weights, delays, model, plasticity, stp):
        """A coupling evaluated every step (``ss.synapses.GapJunction`` ...): no spikes, no delay."""
        pre_obj, post_obj = self._pops[pre_n], self._pops[post_n]
        if not isinstance(pre_obj, NeuronModel):
            raise ValueError(f"a continuous projection needs neuron state on both sides; {pre_n!r} is an input")
        if delays is not None or plasticity is not None or stp is not None:
            raise ValueError(f"{type(model).__name__} acts every step without delay; delays, plasticity and stp "
                             "do not apply")
        model.bind(pre_obj, post_obj)
        proj = make_projection(pre_n, pre_obj.n, post_n, post_obj.n, weights, self.dt, "v", self.dt, None)
        proj.synapse, proj.stp = model, None
        proj.name = self._projection_name(pre_n, post_n, None)
        self._projections.append(proj)
        return proj

    def inject(self, pop, current) -> None:
        """Inject a current: scalar, per-neuron (n,), over time (n_steps, n) with row k at step k
        ((n_steps, 1) drives every neuron alike; a 1-D array must have one value per neuron), or an input object such as
        ``ss.inputs.GaussianCurrent(mean, sd)`` (noise drawn in the loop)."""
        name = self._name_of(pop)
        n = self._pops[name].n
        if isinstance(self._pops[name], (SpikeSource, Poisson)):
            raise ValueError(f"population {name!r} is an input; inject currents into neurons")
        self._dirty = self._plan is not None          # between runs: the plan is rebuilt, the state kept
        if isinstance(current, PoissonInput):
            syn = current.synapse
            syn = legacy_synapse(syn, self._pops[name]) if isinstance(syn, str) else syn
            if not isinstance(syn, SynapseModel):
                raise TypeError(f"PoissonInput synapse must be a target string or a spikesim.synapses model, got "
                                f"{type(syn).__name__}")
            syn.bind(self._pops[name], n)
            if self._plan is not None:
                raise ValueError("a PoissonInput adds a synapse target; inject it before the first run")
            current.synapse_model = syn
            self._injections.append((name, current))
            return
        if isinstance(current, ChannelCurrent):
            self._check_open("inject a ChannelCurrent")
            current.arrays(n)                        # shape check at the call
            self._injections.append((name, current))
            return
        if isinstance(current, GaussianCurrent):
            current.arrays(n)                        # shape check at the call
            self._injections.append((name, current))
            return
        cur = check_current(current, n, name)
        if cur.ndim == 2 and self._step:             # rows are global steps: a protocol starts now
            cur = np.concatenate([np.zeros((self._step, n)), cur])
        self._injections.append((name, cur))

    def record(self, pop, spikes: bool = True, state: tuple[str, ...] | str = (), every: int = 1,
               ids=None) -> None:
        """Record spikes and/or state variables of ``pop`` (state every ``every`` steps), of all
        its neurons or of the local ``ids`` given. A state variable is one of the neuron
        model's, ``"<synapse name>.<var>"`` (or ``"<synapse name>"`` for a one-variable synapse
        model; ``"I_syn"`` for the shorthand), checked when the network is built."""
        self._check_open("add monitors")
        if isinstance(pop, Projection):
            return self._record_projection(pop, spikes, state, every, ids)
        name = self._name_of(pop)
        obj = self._pops[name]
        state = (state,) if isinstance(state, str) else tuple(state)
        syn_names = {(pr.synapse.name or pr.synapse.default_name()) for pr in self._projections
                     if pr.post == name and isinstance(pr.synapse, SynapseModel)}
        for var in state:
            if not isinstance(var, str) or (var not in obj.state_vars and var.partition(".")[0] not in syn_names):
                raise ValueError(f"population {name!r} ({type(obj).__name__}) has no state variable {var!r}; "
                                 f"it has {obj.state_vars} and synapses {sorted(syn_names)} (connect before record)")
        every = check_every(every)
        ids = check_record_ids(ids, obj.n, repr(name))
        self._records[name] = merge_record(self._records.get(name), spikes, state, every, name, ids)

    def _record_projection(self, proj, spikes, state, every, ids) -> None:
        """Record a projection's weights ``"w"`` and/or its rule's per-synapse state over time
        (every ``every`` steps, after the step's plasticity), of all its synapses or of the
        synapse indices ``ids`` (its own order, as :meth:`weights`)."""
        if not any(pr is proj for pr in self._projections):
            raise ValueError("record(projection): this projection does not belong to the network")
        from spikesim.core.plan import is_continuous
        if is_continuous(proj):
            raise ValueError(f"projection {proj.name!r} is continuous; record the state of its populations instead")
        if spikes is not True and spikes is not False:
            raise TypeError(f"record spikes must be True or False, got {spikes!r}")
        state = (state,) if isinstance(state, str) else tuple(state)
        allowed = ("w",) + (tuple(type(proj.plasticity).state) if proj.plasticity is not None else ())
        if not state:
            raise ValueError(f"record(projection) needs state=, one or more of {allowed}")
        for var in state:
            if var not in allowed:
                raise ValueError(f"projection {proj.name!r} has no synaptic variable {var!r}; it has {allowed}")
        every = check_every(every)
        ids = check_record_ids(ids, proj.n_synapses, f"projection {proj.name!r}", " of synapse indices")
        spec = merge_record(self._records.get(proj.name), False, state, every, proj.name, ids)
        spec["projection"] = True
        self._records[proj.name] = spec

    def add_readout(self, pop, readout: Readout) -> Readout:
        """Attach a :class:`spikesim.core.readout.Readout` to a neuron population, or to a list of
        populations added one after the other (their neurons in order); returns it."""
        self._check_open("add readouts")
        if not isinstance(readout, Readout):
            raise TypeError(f"add_readout needs a spikesim.core.readout.Readout, got {type(readout).__name__}")
        if readout.pops is not None:
            raise ValueError("this Readout is already attached to a population")
        names = [self._name_of(q) for q in (pop if isinstance(pop, (list, tuple)) else [pop])]
        order = list(self._pops)
        if not names or [order.index(x) for x in names] != list(range(order.index(names[0]),
                                                                      order.index(names[0]) + len(names))):
            raise ValueError(f"a Readout reads populations added one after the other, in that order; got {names}")
        objs = [self._pops[x] for x in names]
        for x, obj in zip(names, objs):
            if not isinstance(obj, NeuronModel):
                raise ValueError(f"population {x!r} is an input; a readout reads neurons")
        readout.check_populations(names, objs)
        readout.pops = tuple(names)
        readout.allocate(sum(o.n for o in objs))
        self._readouts.append(readout)
        return readout

    def attention(self, q, k, v, target, tokens: int, heads: int, scale: float = 0.125, delay: float | None = None,
                  order: str = "auto"):
        """Event-driven spiking self-attention (Spikformer's SSA) as a core operation: every step,
        Y = Q K^T V * ``scale`` per head from this step's spikes of populations ``q``, ``k``, ``v``
        (``tokens`` x dim neurons each, token-major, dim split into ``heads``), computed with
        additions only and delivered as a one-step current to ``target`` (same size) after
        ``delay`` ms (default one step). ``order``: "auto" (cheaper association order per head
        and step), "q_ktv" or "qkt_v". See :mod:`spikesim.core.attention`; returns the
        operation, whose accumulations :meth:`attention_ops` reports."""
        self._check_open("add an attention")
        from spikesim.core.attention import make_attention
        names = tuple(self._name_of(x) for x in (q, k, v, target))
        at = make_attention(self._pops, names, tokens, heads, scale, delay, order, self.dt)
        if self.max_delay_steps is not None and at.delay_steps > self.max_delay_steps:
            raise ValueError(f"attention delay {at.delay_steps * self.dt} ms exceeds max_delay = "
                             f"{self.max_delay_steps * self.dt} ms")
        self._attentions.append(at)
        return at

    def attention_ops(self, attention=None) -> int:
        """Accumulations performed by ``attention`` (or by every attention of the network) since
        the network was built."""
        ats = self._attentions if attention is None else [attention]
        if attention is not None and not any(a is attention for a in self._attentions):
            raise ValueError("this attention does not belong to the network (add it with Network.attention)")
        if self._plan is not None:
            self._runner.sync_to_host()
        return int(sum(int(a.ops[0]) for a in ats))

    def _own_readout(self, readout) -> None:
        if not any(r is readout for r in self._readouts):
            raise ValueError("this Readout does not belong to the network (add it with add_readout)")

    def _host_edit(self):
        """Bring device arrays to the host before the host edits them in place (cuda); before
        the first run the arrays live on the host only."""
        if self._plan is not None:
            self._runner.sync_to_host()

    def _device_edit(self):
        if self._plan is not None and hasattr(self._runner, "sync_to_device"):
            self._runner.sync_to_device()

    def set_readout(self, readout: Readout, *, teacher=None, gate=None, feedback: str | None = None,
                    window: tuple[int, int] | None = None, reset_features: bool = False, weights=None,
                    reset_rls: bool = False) -> None:
        """Prepare ``readout`` for the next run(s), without rebuilding the network: ``teacher`` and
        ``gate`` (rows = steps from now, K columns; a new window starts now, rows not given are 0),
        the feedback mode (``"none"``, ``"closed"``, ``"teacher"``), the window steps [a, b) whose
        features are summed (the sum restarts), ``reset_features`` (filtered traces and last output
        to 0), ``weights`` (K, n), ``reset_rls`` (P = I / rls_alpha)."""
        self._own_readout(readout)
        self._host_edit()
        ro = readout
        L, K = ro.T.shape
        if teacher is not None or gate is not None:
            for arr, val, what in ((ro.T, teacher, "teacher"), (ro.G, gate, "gate")):
                arr[:] = 0.0
                if val is None:
                    continue
                v = np.asarray(val, dtype=np.float64)
                if v.ndim != 2 or v.shape[1] != K or v.shape[0] > L or not np.all(np.isfinite(v)):
                    raise ValueError(f"readout {what} must be a finite (steps <= {L}, {K}) array, got shape {v.shape}")
                arr[:v.shape[0]] = v
            ro.Z[:] = 0.0
            ro.C[0] = self._step
        if feedback is not None:
            if feedback not in FEEDBACK:
                raise ValueError(f"readout feedback={feedback!r} is not one of {list(FEEDBACK)}")
            if feedback != "none" and ro.feedback is None:
                raise ValueError("this Readout has no feedback weights (Readout(feedback=...))")
            ro.C[1] = FEEDBACK[feedback]
        if window is not None:
            a, b = (int(x) for x in window)
            if not (0 <= a <= b):
                raise ValueError(f"readout window must be 0 <= a <= b steps, got {window!r}")
            ro.C[2], ro.C[3] = a, b
            ro.C[4] = 0.0
            ro.B[:] = 0.0
        if reset_features:
            ro.F[:] = 0.0
            ro.ZP[:] = 0.0
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != ro.W.shape or not np.all(np.isfinite(w)):
                raise ValueError(f"readout weights must be a finite {ro.W.shape} array, got shape {w.shape}")
            ro.W[:] = w
        if reset_rls:
            ro.P[:] = np.eye(ro.P.shape[1]) / ro.rls_alpha
        self._device_edit()

    def readout_result(self, readout: Readout, rls: bool = False) -> dict[str, np.ndarray]:
        """``z`` (window rows, K): the outputs of the window's steps so far; ``mean``: the mean
        feature over the window steps [a, b) run so far (zeros if none); ``weights`` (K, n);
        with ``rls=True`` also ``P`` (the RLS matrices, (K, n, n))."""
        self._own_readout(readout)
        self._host_edit()
        ro = readout
        rows = int(min(max(self._step - ro.C[0], 0), ro.Z.shape[0]))
        count = ro.C[4]
        mean = ro.B / count if count > 0 else np.zeros_like(ro.B)
        out = {"z": ro.Z[:rows].copy(), "mean": mean, "weights": ro.W.copy()}
        if rls:
            out["P"] = ro.P.copy()
        return out

    def set_amplitudes(self, current: ChannelCurrent, amplitudes) -> None:
        """The amplitudes of a :class:`ChannelCurrent` from now on (rows = steps, one column per
        channel; rows not given and steps past them are 0), without rebuilding the network."""
        if not any(c is current for _, c in self._injections):
            raise ValueError("this ChannelCurrent is not injected into the network")
        self._host_edit()
        a = np.asarray(amplitudes, dtype=np.float64)
        L, C = current.amplitudes.shape
        if a.ndim != 2 or a.shape[1] != C or a.shape[0] > L or not np.all(np.isfinite(a)):
            raise ValueError(f"amplitudes must be a finite (steps <= {L}, {C}) array, got shape {a.shape}")
        current.amplitudes[:] = 0.0
        current.amplitudes[:a.shape[0]] = a
        current.control[0] = self._step
        self._device_edit()

    def clear_pending(self) -> None:
        """Drop the spikes still in flight (the ring buffers), e.g. between independent trials."""
        if self._plan is None:
            return                                   # nothing has been sent yet
        self._host_edit()
        self._plan.ring[:] = 0.0
        for cp in self._plan.convs:        # a convolution delivered in arrival order keeps its input spikes
            cp.clear_history()
        self._device_edit()

    # ---------------------------------------------------------------- between runs and in callbacks
    def _state_array(self, pop, var: str):
        from spikesim.core.plan import resolve_state
        name = self._name_of(pop)
        if self._plan is None:
            self._build()
        pp = self._plan.pops[self._plan.names.index(name)]
        if pp.kind != "neuron":
            raise ValueError(f"population {name!r} is an input and has no state")
        syn, row = resolve_state(self._pops[name], var, pp.synapses)
        return (pp.S if syn < 0 else pp.synapses[syn].S), row

    def get_state(self, pop, var: str) -> np.ndarray:
        """Current values (n,) of a state variable (a neuron's, or ``"<synapse>.<var>"``)."""
        arr, row = self._state_array(pop, var)
        self._runner.sync_to_host()
        return arr[row].copy()

    def set_state(self, pop, var: str, values) -> None:
        """Set a state variable (scalar or (n,)) before a run, between runs or in a ``run`` callback.
        Values set before the first run are the network's initial state (``initial_state``:
        e.g. initial synaptic conductances ``"ge.g"``), which cross-validation reruns start from."""
        from spikesim.neurons.base import per_neuron
        arr, row = self._state_array(pop, var)
        self._runner.sync_to_host()
        arr[row] = per_neuron(var, values, arr.shape[1], "state")
        if self._step == 0:
            self.initial_state[(self._name_of(pop), var)] = arr[row].copy()
        if hasattr(self._runner, "sync_to_device"):
            self._runner.sync_to_device()

    def set_param(self, pop, name: str, values) -> None:
        """Change a neuron parameter (scalar or (n,)) between runs or in a callback; derived
        values are recomputed and the state is kept."""
        from spikesim.neurons.base import per_neuron
        pname = self._name_of(pop)
        obj = self._pops[pname]
        if not isinstance(obj, NeuronModel) or name not in type(obj).params:
            raise ValueError(f"population {pname!r} has no parameter {name!r}")
        old = obj.param_values[name]
        obj.param_values[name] = per_neuron(name, values, obj.n)
        try:
            obj.validate()
        except ValueError:
            obj.param_values[name] = old
            raise
        self._dirty = self._plan is not None

    def _refresh(self) -> None:
        """Rebuild the plan after inject/set_param between runs, carrying over every dynamic
        array (state, rings, weights, traces, counters)."""
        self._runner.sync_to_host()
        old = self._plan
        self._plan = None
        self._build(runner=False)          # the runner is made once the old state is copied in
        new = self._plan
        for a, b in zip(old.pops, new.pops):
            if a.kind == "neuron":
                b.S[:] = a.S
                for sa, sb in zip(a.synapses, b.synapses):
                    sb.S[:] = sa.S
        for attr in ("ring", "w", "stp_state", "counters"):
            getattr(new, attr)[...] = getattr(old, attr)
        for ca, cb in zip(old.convs, new.convs):        # the input spikes an arrival-order convolution kept
            if ca.pull is not None and cb.pull is not None and ca.pull.hist_rows is not None:
                for arr, hist in zip(cb.pull.history(cb), ca.pull.history(ca)):
                    arr[...] = hist
        for ra, rb in zip(old.rules, new.rules):        # traces and per-synapse state of each rule
            rb.X[...] = ra.X
            rb.V[...] = ra.V
        self._runner = _backends.make_runner(self.backend, new)
        self._dirty = False

    def weights(self, projection) -> np.ndarray:
        """Current weights of ``projection`` (what ``connect`` returned), one per synapse in the
        order of its ``pre_idx`` / ``post_idx`` arrays; after a run they include plasticity (a
        :class:`~spikesim.connectivity.Conv2D` projection: a copy of its kernel)."""
        from spikesim.core.plan import is_continuous
        if any(pr is projection for pr in self._convs):
            return np.array(projection.conv.kernel, copy=True)      # static and shared: the kernel itself
        spiking = [pr for pr in self._projections if not is_continuous(pr)]
        if not any(pr is projection for pr in self._projections):
            raise KeyError("this projection does not belong to the network")
        if self._plan is None or is_continuous(projection):
            return np.array(projection.weights, copy=True)
        k = next(i for i, pr in enumerate(spiking) if pr is projection)
        p = self._plan
        return p.w[p.csr_pos[p.proj_offset[k]:p.proj_offset[k + 1]]].astype(np.float64)   # a copy; exact from float32

    @property
    def populations(self) -> dict[str, Any]:
        return dict(self._pops)

    @property
    def projections(self) -> list:
        return list(self._projections)

    @property
    def injections(self) -> list:
        return list(self._injections)

    @property
    def records(self) -> dict:
        return dict(self._records)

    @property
    def threads(self) -> int:
        """Threads of the numba backend: the count given, or for ``threads=None`` the most the
        size rule may choose (the count the network runs with: :attr:`threads_used`)."""
        return self._threads

    @threads.setter
    def threads(self, k: int) -> None:
        """An explicit count, as ``threads=k``; only before the network is built (the plan orders
        each row's synapses by thread part)."""
        if self._plan is not None and int(k) != self._plan.n_parts:
            raise ValueError("threads cannot change once the network is built (its first run or get_state)")
        self._threads = int(k)
        self._auto_threads = False

    @property
    def threads_used(self) -> int:
        """Threads (ring parts) of the built network (built if needed)."""
        if self._plan is None:
            self._build()
        return self._plan.n_parts

    @property
    def t(self) -> float:
        """Current simulated time in ms."""
        return self._step * self.dt

    # ---------------------------------------------------------------- running
    def _build(self, runner: bool = True) -> None:
        """Plan the network and (``runner``) make the backend's runner for it."""
        if not self._pops:
            raise ValueError("the network has no populations")
        check_inputs_at_build(self._pops, self.dt)
        n_total = sum(obj.n for obj in self._pops.values())
        every = self._projections + self._convs
        longest = max((int(pr.delay_steps.max()) for pr in every if pr.delay_steps.size), default=1)
        check_ring_memory(len({(pr.post, repr(pr.synapse.key())) for pr in every
                               if hasattr(pr.synapse, "key")}),
                          self.max_delay_steps if self.max_delay_steps is not None else longest, n_total,
                          itemsize=self.dtype.itemsize)
        threads = self._threads
        if self._auto_threads:
            n_syn = sum(pr.n_synapses for pr in self._projections) + sum(  # a Conv2D: its entries at every position
                pr.n_entries * pr.conv.frame[0] * pr.conv.frame[1] for pr in self._convs)
            threads = default_threads(threads, n_total, n_syn)
        self._plan = build_plan(self.dt, self.seed, self._pops, self._projections, self._injections, self._records,
                                self.max_delay_steps, self._readouts, n_parts=threads, convs=self._convs,
                                attentions=self._attentions, dtype=self.dtype, conv_pull=self.backend == "numba")
        # the backend's runner owns its working arrays (on the device for "cuda") across chunks and runs
        if runner:
            self._runner = _backends.make_runner(self.backend, self._plan)

    def run(self, duration: float, progress: bool = False, chunk_steps: int | None = None,
            callback=None, every: float | None = None) -> Result:
        """Simulate ``duration`` ms from the current time and return what was recorded.

        ``callback(net)`` is called every ``every`` ms of simulated time (Brian2's
        ``network_operation``): it may read and write state (:meth:`get_state`,
        :meth:`set_state`), change parameters (:meth:`set_param`) and inject currents. Cost:
        the compiled loop returns to Python at each call (about 10 us on the CPU backends plus
        what the callback does; state access on "cuda" copies between device and host; a changed
        parameter or current rebuilds the plan, and a kernel of a new kind compiles once).

        Raises :class:`SimulationError` (with ``.result`` holding everything recorded up to the
        failing step) when a state variable becomes NaN/inf.
        """
        n_steps = check_duration(duration, self.dt)
        chunk_steps = check_chunk_steps(chunk_steps)
        if callback is not None:
            if not callable(callback):
                raise TypeError(f"callback must be callable, got {type(callback).__name__}")
            every_steps = check_duration(every, self.dt, "every") if every is not None else 0
            if every_steps < 1:
                raise ValueError("run(callback=...) needs every= (ms, at least one step)")
            chunk_steps = every_steps
        elif every is not None:
            raise ValueError("every= is the interval of the callback; give callback= too")
        started = now_iso()
        t_build = time.perf_counter()
        if self._plan is None:
            self._build()
        elif self._dirty:
            self._refresh()
        build_s = time.perf_counter() - t_build
        p = self._plan
        step0, step1 = self._step, self._step + n_steps
        self._check_coverage(step1)
        # monitors for this run
        every = [m.every for m in p.monitors]
        n_cols = sum(m.ids.size for m in p.monitors)
        if every:
            check_recording_memory(n_steps, min(every), n_cols)
        n_rows = (n_steps // min(every) + 1) if every else 0
        rec_buf = np.zeros((n_rows, n_cols))
        rec_count = np.zeros(len(p.monitors), dtype=np.int64)
        cap = max(4 * p.n_total, 1 << 16)
        spk_step = np.zeros(cap, dtype=np.int64)
        spk_gid = np.zeros(cap, dtype=np.int64)
        p.counters[0] = 0
        events0 = int(p.counters[C_EVENTS])
        attention0 = self.attention_ops() if self._attentions else 0
        chunk = chunk_steps or (max(1, min(n_steps, 2000)) if progress else max(n_steps, 1))
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=n_steps, unit="step", delay=1.0, desc="simulating", leave=False)
        t_run = time.perf_counter()
        step, failure = step0, None
        try:
            while step < step1:
                target = min(step1, step + chunk)
                status, reached = self._runner.run_steps(step, target, spk_step, spk_gid, rec_buf, rec_count)
                if callback is not None and status == STATUS_DONE:
                    self._step = int(reached)
                    callback(self)
                    if self._dirty:
                        self._refresh()
                        self._check_coverage(step1)
                        p = self._plan
                if bar is not None:
                    bar.update(int(reached) - step)
                step = int(reached)
                if status == STATUS_BUFFER_FULL:
                    spk_step = np.concatenate([spk_step, np.zeros_like(spk_step)])
                    spk_gid = np.concatenate([spk_gid, np.zeros_like(spk_gid)])
                elif status == STATUS_NONFINITE:
                    failure = (p.names[int(p.counters[C_BAD_POP])], step)
                    break
        finally:
            if bar is not None:
                bar.close()
        self._runner.sync_to_host()
        run_s = time.perf_counter() - t_run
        self._step = step      # after a failure: the start of the failing step, which did not complete
        self.last_run_stats = {"build_seconds": build_s, "run_seconds": run_s, "steps": step - step0,
                               "synaptic_events": int(p.counters[C_EVENTS]) - events0}
        if self._attentions:
            self.last_run_stats["attention_ops"] = self.attention_ops() - attention0
        result = self._collect(spk_step, spk_gid, rec_buf, rec_count, step0, started)
        if failure is not None:
            pop, bad = failure
            raise SimulationError(f"state of population {pop!r} became NaN/inf at step {bad} (t = {bad * self.dt} ms); "
                                  "the recording up to that step is in the exception's .result", result)
        return result

    def _check_coverage(self, step1: int) -> None:
        """Time arrays (currents, modulators) must cover every step of the run."""
        p = self._plan
        for pp in p.neuron_pops:
            for T in pp.I_time:
                if step1 > T.shape[0]:
                    raise ValueError(f"the current injected into {pp.name!r} arrays cover {T.shape[0]} steps "
                                     f"({T.shape[0] * self.dt} ms) but the run needs steps up to {step1}")
        for pp in p.pops:
            if pp.kind == "poisson" and pp.timed and step1 > pp.p_fire.shape[0]:
                raise ValueError(f"the rates of Poisson {pp.name!r} cover {pp.p_fire.shape[0]} steps but the run "
                                 f"needs steps up to {step1}")
        for rp in p.rules:
            if rp.model.modulated and rp.M.size < step1:
                raise ValueError(f"the modulator of a {rp.model.__name__} projection covers {rp.M.size} steps but "
                                 f"the run needs steps up to {step1}")

    def _collect(self, spk_step, spk_gid, rec_buf, rec_count, step0, started) -> Result:
        p = self._plan
        m = int(p.counters[C_SPIKES])
        steps, gids = spk_step[:m], spk_gid[:m]
        start = dict(zip(p.names, p.pop_start))
        spikes, state, state_times = {}, {}, {}
        monitors = iter(zip(p.monitors, rec_count))
        for name, spec in self._records.items():
            s, n = int(start.get(name, 0)), (0 if spec.get("projection") else self._pops[name].n)
            if spec["spikes"]:
                sel = (gids >= s) & (gids < s + n)
                spikes[name] = (steps[sel] * self.dt, gids[sel] - s)
            for var in spec["state"]:
                mon, rows = next(monitors)
                state.setdefault(name, {})[var] = rec_buf[:int(rows), mon.col0:mon.col0 + mon.ids.size].copy()
                first = step0 + ((-step0) % mon.every)
                state_times[name] = (first + mon.every * np.arange(int(rows))) * self.dt
        meta = make_meta(seed=self.seed, backend=self.backend, dt=self.dt, dtype=self.dtype.name,
                         t_start=step0 * self.dt,
                         start_time=started, end_time=now_iso(), **self.last_run_stats)
        return Result(spikes=spikes, state=state, state_times=state_times, meta=meta,
                      config={"dt": self.dt, "seed": self.seed, "backend": self.backend, "dtype": self.dtype.name})
