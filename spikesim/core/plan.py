"""Flatten a Network into the arrays every backend's driver takes (the "plan").

Global neuron index space: populations (neurons and spike sources) occupy contiguous ranges in
the order they were added. Each population carries its own arrays:

* neuron populations (:class:`NeuronPlan`): ``S`` (state, one row per state variable), their
  parameters and derived values split into ``P`` (per-neuron rows) and ``U`` (values shared by
  the whole population, passed as scalars so kernels read fewer arrays), the synapse models
  that feed them (:class:`SynapsePlan`, each with its own ``S``/``P``/``U``), constant and
  time-array currents, noise inputs;
* ``SpikeSource`` populations: their schedule (steps and global ids, sorted);
* ``Poisson`` populations: p = rate * dt per neuron and a random stream keyed by the name.

Synapses of all projections form one CSR by presynaptic global index (``indptr``, ``post``
(global index, for plasticity), ``cell``, ``w``, ``delay``). Within a row they are ordered by
(delay, cell) (:func:`synapse_order`, the one place that orders synapses; ``csr_pos`` maps a
projection's synapse to its CSR position); the order does not depend on the thread count. The
ring's cells are split into ``n_parts`` contiguous ranges balanced by in-degree
(``part_bounds``), one per thread of the numba backend; a row's synapses of one delay onto one
part's cells are contiguous, a *segment* (``seg_lo`` .. ``seg_hi``, ``seg_delay``; the segments
of row g and part t are ``seg_ptr[g * n_parts + t]`` to ``seg_ptr[g * n_parts + t + 1]``). A
thread that walks the step's spikes in order and adds its own segments therefore writes only
its own cells, and every cell receives the same additions in the same order (spike order, then
CSR order among a row's synapses onto that cell, which the stable sort keeps) whatever
``n_parts`` is: results are bit-identical for every thread count. A **receiver** is one place that
spikes are delivered to: (population, synapse model's target) or (population, state variable)
for a ``Delta``; receiver r owns ``ring_n[r]`` cells (one per neuron of its population) from
``recv_off[r]`` in every slot. The flat ``ring`` is slot-major with ``ring_cells`` cells per
slot and ``n_slots = max_delay + 1`` slots: a synapse adds its weight to
``ring[((step + delay) % n_slots) * ring_cells + cell]``, ``cell`` = its receiver's offset +
the local postsynaptic id, so a spike whose synapses share one delay computes the slot base once
whatever populations and synapse models they reach (one slot base per segment). Decay factors and other derived values are computed here once in float64, so
kernels only evaluate the models' arithmetic. ``w``, the convolutions' ``ent_w`` and ``ring`` have the
network's ``dtype`` (float64 or float32); everything else that holds a real number is float64.

``signature`` (a nested tuple) is everything a generated kernel depends on apart from sizes and
values: the models' identities and sources, which parameters are shared, the receivers, inputs
and monitors. Networks with equal signatures share one compiled kernel.
"""
from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass, field

import numpy as np

from spikesim.backends.contract import C_SRC0
from spikesim.core.channels import ChannelCurrent
from spikesim.core import conv as _conv
from spikesim.core.conv import ConvPull, conv_plan, make_pull
from spikesim.core.inputs import Poisson, PoissonInput, SpikeSource
from spikesim.core.noise import GaussianCurrent
from spikesim.rng.counter import stream_id


def model_source_hash(cls) -> str:
    """Hash of the source of a model class's contract functions (part of the kernel key)."""
    h = hashlib.sha1(f"{cls.__module__}.{cls.__qualname__}".encode())
    for name in tuple(cls.functions) + ("derived",):
        fn = getattr(cls, name, None)
        if fn is not None:
            try:
                h.update(inspect.getsource(fn).encode())
            except (OSError, TypeError):
                h.update(name.encode())
    return h.hexdigest()[:16]


def split_values(values: dict[str, np.ndarray]) -> tuple[tuple[str, ...], np.ndarray, tuple[str, ...], np.ndarray]:
    """Split named (n,) arrays into per-neuron rows P and shared scalars U."""
    shared = tuple(k for k, v in values.items() if v.size and np.all(v == v[0]))
    rows = tuple(k for k in values if k not in shared)
    n = next(iter(values.values())).size if values else 0
    P = np.array([values[k] for k in rows], dtype=np.float64).reshape(len(rows), n)
    U = np.array([values[k][0] for k in shared], dtype=np.float64)
    return rows, np.ascontiguousarray(P), shared, U


def derived_arrays(cls, dt: float, values: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """``cls.derived`` per neuron (once per distinct combination of parameter values)."""
    if cls.derived is None:
        return {}
    from spikesim.neurons.base import arg_names
    names = [a for a in arg_names(cls.derived) if a != "dt"]
    if not names:
        d = cls.compute_derived(dt, {})
        return {k: np.full(n, v) for k, v in d.items()}
    table = np.stack([values[a] for a in names], axis=1)
    if n and np.all(table == table[0]):        # one combination (the usual case): no row sort needed
        uniq, inverse = table[:1], np.zeros(n, dtype=np.int64)
    else:
        uniq, inverse = np.unique(table, axis=0, return_inverse=True)
    rows = [cls.compute_derived(dt, dict(zip(names, (float(x) for x in u)))) for u in uniq]
    keys = list(rows[0])
    return {k: np.array([r[k] for r in rows], dtype=np.float64)[inverse.ravel()] for k in keys}


@dataclass
class SynapsePlan:
    model: type
    name: str
    S: np.ndarray
    P: np.ndarray
    U: np.ndarray
    rows: tuple[str, ...]
    shared: tuple[str, ...]

    def signature(self):
        return (self.model.__qualname__, model_source_hash(self.model), self.rows, self.shared)


@dataclass
class NeuronPlan:
    name: str
    index: int
    start: int
    n: int
    model: type
    S: np.ndarray
    P: np.ndarray
    U: np.ndarray
    rows: tuple[str, ...]
    shared: tuple[str, ...]
    synapses: list[SynapsePlan] = field(default_factory=list)
    I_const: np.ndarray | None = None
    I_time: list[np.ndarray] = field(default_factory=list)
    noise: list[tuple[int, np.ndarray]] = field(default_factory=list)   # (stream, (2, n) mean/sd)
    channels: list = field(default_factory=list)        # spikesim.core.channels.ChannelCurrent, in order
    noise_methods: list = field(default_factory=list)   # per noise input: "box-muller" | "ziggurat"
    kind = "neuron"

    def signature(self):
        return ("neuron", self.model.__qualname__, model_source_hash(self.model), self.rows, self.shared,
                tuple(s.signature() for s in self.synapses), self.I_const is not None, len(self.I_time),
                len(self.noise), tuple(c.n_channels for c in self.channels), tuple(self.noise_methods))


@dataclass
class SourcePlan:
    name: str
    index: int
    start: int
    n: int
    kind: str                      # "spike_source" | "poisson"
    p_fire: np.ndarray | None = None      # (n,), or over time (n_steps, n) / (n_steps, 1)
    stream: int = 0

    @property
    def timed(self) -> bool:
        return self.p_fire is not None and self.p_fire.ndim == 2

    def signature(self):
        return (self.kind, self.timed, self.timed and self.p_fire.shape[1] == 1)


@dataclass
class Receiver:
    pop: int                       # index into Plan.pops
    syn: int                       # index into the population's synapses, or -1 for a neuron state variable
    row: int                       # row of that S array

    def signature(self):
        return (self.pop, self.syn, self.row)


@dataclass
class Monitor:
    pop: int
    syn: int                       # -1: neuron state; k: synapse k's state
    row: int                       # row of that state; for a synaptic monitor -1: the weight w, j: rule state j
    ids: np.ndarray                # local ids recorded (synaptic monitor: CSR positions for w, rule columns else)
    every: int
    col0: int = 0
    kind: str = "neuron"           # "neuron" | "synapse" (a plastic projection's w or rule state)
    rule: int = -1                 # synaptic monitor of a rule's state: the rule's index in Plan.rules

    def signature(self):
        return (self.kind, self.pop, self.syn, self.row, self.rule)


def is_continuous(pr) -> bool:
    from spikesim.synapses.continuous import ContinuousModel
    return isinstance(pr.synapse, ContinuousModel)


@dataclass
class ContinuousPlan:
    """A continuous projection, by postsynaptic neuron: the presynaptic ids and weights of post j
    are ``pre[indptr[j]:indptr[j+1]]``, ``w[...]`` (local ids); ``acc`` the step's summed current."""
    pre_pop: int
    post_pop: int
    model: type
    U: np.ndarray                     # the model's parameters, in declared order
    indptr: np.ndarray
    pre: np.ndarray
    w: np.ndarray
    acc: np.ndarray

    def signature(self):
        return (self.pre_pop, self.post_pop, self.model.__qualname__, model_source_hash(self.model))


@dataclass
class PoissonInputPlan:
    receiver: int
    k: int
    p: float
    weight: float
    stream: int

    def signature(self):
        return (self.receiver,)


@dataclass
class RulePlan:
    """A plastic projection's rule (:mod:`spikesim.plasticity.base`): ``U`` its parameters and
    derived values (``names``), ``X`` its traces over every neuron of the network (pre traces'
    rows first), ``decay`` exp(-dt/tau) per trace, ``V`` the per-synapse state (one row per
    variable, one column per synapse of the rule), ``syn`` the CSR positions of its synapses
    (ascending; column q of ``V`` is synapse ``syn[q]``), ``M`` its modulator (one value per step;
    empty when not modulated); for rules with neuron state or sums (``model.uses_neurons()``)
    ``pre_pop`` / ``post_pop`` the indices of the projection's populations and ``Y`` the sums
    over every neuron of the network (one row per sum, post sums first)."""
    model: type
    names: tuple[str, ...]
    U: np.ndarray
    X: np.ndarray
    decay: np.ndarray
    V: np.ndarray
    syn: np.ndarray
    M: np.ndarray
    pre_pop: int = -1
    post_pop: int = -1
    Y: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    var_rows: dict = field(default_factory=dict)      # pre/post_vars name -> ("pre"|"post", pop, state row)

    @property
    def n_pre_traces(self) -> int:
        return len(self.model.pre_traces)

    def signature(self):
        pops = (self.pre_pop, self.post_pop, tuple(sorted(self.var_rows.items()))) if self.model.uses_neurons() else ()
        return (self.model.__qualname__, model_source_hash(self.model), self.names) + pops


@dataclass
class ReadoutPlan:
    """A readout (:mod:`spikesim.core.readout`) of populations ``pops`` (consecutive; ``pop`` the
    first): ``ro`` holds its arrays, ``feature_row`` is the state row read as the feature (-1:
    filtered spikes), ``U`` its scalars (:meth:`Readout.values`)."""
    pop: int
    pops: tuple
    ro: object
    feature_row: int
    rule: int
    U: np.ndarray

    @property
    def has_feedback(self) -> bool:
        return self.ro.feedback is not None

    def signature(self):
        return (self.pops, self.ro.n_out, self.feature_row, self.rule, self.has_feedback)


@dataclass
class Plan:
    dt: float
    seed: int
    names: list[str]
    pops: list
    pop_start: np.ndarray
    pop_stop: np.ndarray
    receivers: list[Receiver]
    ring: np.ndarray
    recv_off: np.ndarray
    ring_n: np.ndarray
    ring_cells: int
    n_slots: int
    indptr: np.ndarray
    post: np.ndarray
    w: np.ndarray
    delay: np.ndarray
    cell: np.ndarray
    n_parts: int
    part_bounds: np.ndarray
    seg_ptr: np.ndarray
    seg_lo: np.ndarray
    seg_hi: np.ndarray
    seg_delay: np.ndarray
    out_degree: np.ndarray
    src_step: np.ndarray
    src_gid: np.ndarray
    src_off: np.ndarray
    monitors: list[Monitor] = field(default_factory=list)
    rec_spike: np.ndarray = field(default=None)
    poisson_inputs: list[PoissonInputPlan] = field(default_factory=list)
    continuous: list[ContinuousPlan] = field(default_factory=list)
    # short-term plasticity (spikesim.synapses.stp): slot of each CSR synapse (-1: none), per-slot
    # state u, x, step of the last spike, and parameters U, tau_f, tau_d
    stp_slot: np.ndarray = field(default=None)
    stp_state: np.ndarray = field(default=None)      # (4, n_slots): u, x, last spike step, r of that spike
    stp_params: np.ndarray = field(default=None)     # (3, n_slots): U, tau_f, tau_d
    stp_row_ptr: np.ndarray = field(default=None)    # CSR by presynaptic neuron of the STP slots its
    stp_row_slot: np.ndarray = field(default=None)   # synapses use, each once, ascending
    # plasticity (spikesim.plasticity): one RulePlan per plastic projection; per CSR synapse its rule
    # (-1: static), its index within the rule, its presynaptic neuron; the plastic synapses with an
    # on_post hook by postsynaptic neuron (see _add_plasticity)
    rules: list = field(default_factory=list)
    syn_rule: np.ndarray = field(default=None)
    syn_local: np.ndarray = field(default=None)
    syn_pre: np.ndarray = field(default=None)
    post_indptr: np.ndarray = field(default=None)
    post_syn: np.ndarray = field(default=None)
    csr_pos: np.ndarray = field(default=None)
    proj_offset: np.ndarray = field(default=None)
    counters: np.ndarray = field(default=None)
    readouts: list = field(default_factory=list)        # ReadoutPlan, in order of add_readout
    convs: list = field(default_factory=list)           # ConvPlan (spikesim.core.conv), in order of connect
    attentions: list = field(default_factory=list)      # spikesim.core.attention.Attention, I filled in

    @property
    def has_plasticity(self) -> bool:
        return bool(self.rules)

    @property
    def n_total(self) -> int:
        return int(self.pop_stop[-1]) if len(self.pop_stop) else 0

    @property
    def n_synapses(self) -> int:
        return int(self.w.size)

    @property
    def neuron_pops(self) -> list[NeuronPlan]:
        return [p for p in self.pops if p.kind == "neuron"]

    @property
    def has_stp(self) -> bool:
        return self.stp_params is not None and self.stp_params.shape[1] > 0

    def signature(self) -> tuple:
        return (tuple(p.signature() for p in self.pops), tuple(r.signature() for r in self.receivers),
                tuple(m.signature() for m in self.monitors), tuple(q.signature() for q in self.poisson_inputs),
                tuple(c.signature() for c in self.continuous), tuple(r.signature() for r in self.rules),
                self.has_stp, tuple(r.signature() for r in self.readouts), self.n_parts > 1, len(self.convs),
                len(self.attentions))

    def stream_keys(self) -> np.ndarray:
        """uint64 stream keys as the kernels index them: one per population (Poisson), then one per
        noise input, then one per PoissonInput, in order."""
        keys = [getattr(pp, "stream", 0) for pp in self.pops]
        keys += [stream for pp in self.neuron_pops for stream, _ in pp.noise]
        keys += [q.stream for q in self.poisson_inputs]
        return np.array(keys, dtype=np.uint64)

    # monitor tables for the kernels
    def monitor_arrays(self):
        ids = [m.ids for m in self.monitors]
        off = np.concatenate([[0], np.cumsum([i.size for i in ids])]).astype(np.int64)
        return (np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64), off,
                np.array([m.every for m in self.monitors], dtype=np.int64))


def _neuron_plan(name, index, start, obj, dt, synapses) -> NeuronPlan:
    cls = type(obj)
    values = dict(obj.param_values)
    values.update(derived_arrays(cls, dt, values, obj.n))
    rows, P, shared, U = split_values(values)
    S = np.ascontiguousarray(np.array([obj.initial[k] for k in cls.state], dtype=np.float64).reshape(len(cls.state), obj.n))
    plan = NeuronPlan(name, index, start, obj.n, cls, S, P, U, rows, shared)
    for syn in synapses:
        scls = type(syn)
        arrays = syn.bind(obj, obj.n)
        arrays.update(derived_arrays(scls, dt, arrays, obj.n))
        srows, sP, sshared, sU = split_values(arrays)
        sS = np.zeros((len(scls.state), obj.n))
        for j, (k, d) in enumerate(scls.state.items()):
            sS[j] = d
        plan.synapses.append(SynapsePlan(scls, syn.name or syn.default_name(), sS, sP, sU, srows, sshared))
    return plan


def build_plan(dt: float, seed: int, pops: dict, projections: list, injections: list, records: dict,
               max_delay_steps: int | None, readouts: list = (), n_parts: int = 1, convs: list = (),
               attentions: list = (), dtype=np.float64, conv_pull: bool = True) -> Plan:
    """The plan of a network; ``n_parts``: ranges of ring cells the synapses are split into
    (the numba backend's thread count; any value gives the same results); ``convs``: the
    convolutional projections (:mod:`spikesim.core.conv`), delivered after the CSR synapses;
    ``dtype``: the type of the weights (CSR and convolution entries) and of the ring;
    ``conv_pull``: plan the arrival-order delivery of a convolution alone on its ring cells
    (:class:`~spikesim.core.conv.ConvPull`; only the numba backend has it)."""
    dtype = np.dtype(dtype)
    continuous = [pr for pr in projections if is_continuous(pr)]
    projections = [pr for pr in projections if not is_continuous(pr)]
    names = list(pops)
    sizes = np.array([pops[k].n for k in names], dtype=np.int64)
    stop = np.cumsum(sizes)
    start = stop - sizes
    N = int(stop[-1]) if len(stop) else 0
    index = {k: i for i, k in enumerate(names)}

    # synapse models per population: Pulse-like (rank 0) first, then in order of first use
    syn_models: dict[str, dict] = {k: {} for k in names}
    for pr in [*projections, *convs]:
        if pr.synapse.neuron_target is None:
            syn_models[pr.post].setdefault(pr.synapse.key(), pr.synapse)
    for name, cur in injections:
        if isinstance(cur, PoissonInput) and cur.synapse_model.neuron_target is None:
            syn_models[name].setdefault(cur.synapse_model.key(), cur.synapse_model)
    for at in attentions:                       # an attention delivers one-step currents (Pulse)
        syn_models[at.target].setdefault(at.synapse.key(), at.synapse)
    for name, spec in records.items():          # recording "I_syn" makes the shorthand synapse exist
        if spec.get("projection"):
            continue
        obj = pops[name]
        if "I_syn" in spec["state"] and getattr(obj, "legacy_tau_syn", None):
            from spikesim.synapses.shorthand import legacy_synapse
            syn = legacy_synapse("I_syn", obj)
            syn_models[name].setdefault(syn.key(), syn)
    plans = []
    for i, name in enumerate(names):
        obj = pops[name]
        if isinstance(obj, SpikeSource):
            plans.append(SourcePlan(name, i, int(start[i]), obj.n, "spike_source"))
        elif isinstance(obj, Poisson):
            plans.append(SourcePlan(name, i, int(start[i]), obj.n, "poisson", p_fire=obj.rate_hz * dt * 1e-3,
                                    stream=stream_id(name)))
        else:
            ordered = sorted(syn_models[name].values(), key=lambda s: type(s).rank)   # stable: first use within a rank
            plans.append(_neuron_plan(name, i, int(start[i]), obj, dt, ordered))
    syn_index = {name: {s.key(): k for k, s in enumerate(sorted(syn_models[name].values(), key=lambda s: type(s).rank))}
                 for name in names}

    # spike-source schedules
    src_step_blocks, src_gid_blocks = [], []
    for i, name in enumerate(names):
        obj = pops[name]
        if isinstance(obj, SpikeSource):
            steps = np.rint(obj.times / dt).astype(np.int64)
            ids = obj.ids
            ds = np.diff(steps)
            if np.all((ds > 0) | ((ds == 0) & (ids[1:] >= ids[:-1]))):    # already by (step, id)
                st, gi = steps, ids + start[i]
            else:
                order = np.lexsort((ids, steps))
                st, gi = steps[order], ids[order] + start[i]
            keep = np.ones(st.size, dtype=bool)
            keep[1:] = (st[1:] != st[:-1]) | (gi[1:] != gi[:-1])
            src_step_blocks.append(st[keep])
            src_gid_blocks.append(gi[keep])
        else:
            src_step_blocks.append(np.zeros(0, np.int64))
            src_gid_blocks.append(np.zeros(0, np.int64))
    src_off = np.concatenate([[0], np.cumsum([b.size for b in src_step_blocks])]).astype(np.int64)

    # receivers, in order of first use
    receivers, recv_of = [], {}

    def receiver(post_name, syn) -> int:
        p = index[post_name]
        if syn.neuron_target is not None:
            key = (p, -1, list(type(pops[post_name]).state).index(syn.var))
        else:
            k = syn_index[post_name][syn.key()]
            key = (p, k, list(type(syn).state).index(type(syn).target))
        if key not in recv_of:
            recv_of[key] = len(receivers)
            receivers.append(Receiver(*key))
        return recv_of[key]

    recv_per_proj = [receiver(pr.post, pr.synapse) for pr in projections]
    recv_per_conv = [receiver(pr.post, pr.synapse) for pr in convs]
    recv_per_attention = [receiver(at.target, at.synapse) for at in attentions]
    poisson_inputs = []
    for name, cur in injections:
        if isinstance(cur, PoissonInput):
            poisson_inputs.append(PoissonInputPlan(receiver(name, cur.synapse_model), cur.k, cur.rate_hz * dt * 1e-3,
                                                   cur.weight, stream_id(name, 1000 + len(poisson_inputs))))

    # one CSR by presynaptic global index, stable within a projection
    cat = lambda parts, dt_: np.concatenate(parts).astype(dt_, copy=False) if parts else np.zeros(0, dt_)  # noqa: E731
    pre_all = cat([pr.pre_idx + start[index[pr.pre]] for pr in projections], np.int64)
    post_all = cat([pr.post_idx + start[index[pr.post]] for pr in projections], np.int64)
    w_all = cat([pr.weights for pr in projections], np.float64)
    d_all = cat([pr.delay_steps for pr in projections], np.int64)
    counts = np.bincount(pre_all, minlength=N)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    max_d = max([int(d_all.max()) if d_all.size else 1] + [int(pr.delay_steps.max()) for pr in convs if pr.n_entries]
                + [at.delay_steps for at in attentions])
    if max_delay_steps is not None:
        if max_d > max_delay_steps and (d_all.size or attentions):
            raise ValueError(f"a delay of {max_d * dt} ms exceeds the network's max_delay of {max_delay_steps * dt} ms")
        max_d = max_delay_steps
    n_slots = max_d + 1
    ring_n = np.array([plans[r.pop].n for r in receivers], dtype=np.int64)
    recv_off = np.concatenate([[0], np.cumsum(ring_n)]).astype(np.int64)
    ring_cells = int(recv_off[-1])
    ring = np.zeros(max(ring_cells * n_slots, 1), dtype=dtype)
    # ring cell of each synapse: its receiver's offset + the local postsynaptic id
    cell_all = cat([pr.post_idx + recv_off[r] for pr, r in zip(projections, recv_per_proj)], np.int64)
    n_parts = max(1, int(n_parts))
    part_bounds = partition_cells(cell_all, ring_cells, n_parts)
    order = synapse_order(pre_all, d_all, cell_all, N, n_slots, ring_cells)
    pre_csr = np.repeat(np.arange(N, dtype=np.int64), counts)      # = pre_all[order]
    d_csr = np.take(d_all.astype(np.int32), order)       # np.take: the same gather as [order], faster
    cell_csr = np.take(cell_all.astype(np.int32), order)
    part_csr = np.searchsorted(part_bounds, cell_csr, side="right") - 1 if n_parts > 1 else None
    seg_ptr, seg_lo, seg_hi, seg_delay = segments(pre_csr, part_csr, d_csr, N, n_parts)
    del part_csr

    # injected currents: constants summed, time arrays kept in injection order
    for name, cur in injections:
        plan = plans[index[name]]
        if isinstance(cur, PoissonInput):
            continue
        if isinstance(cur, ChannelCurrent):
            cur.arrays(plan.n)
            plan.channels.append(cur)
        elif isinstance(cur, GaussianCurrent):
            mean, sd = cur.arrays(plan.n)
            plan.noise.append((stream_id(name, 1 + len(plan.noise)), np.ascontiguousarray(np.stack([mean, sd]))))
            plan.noise_methods.append(cur.method)
        elif cur.ndim <= 1:
            plan.I_const = (np.zeros(plan.n) if plan.I_const is None else plan.I_const) + cur
        else:
            plan.I_time.append(np.ascontiguousarray(cur))

    plan = Plan(dt=dt, seed=int(seed), names=names, pops=plans, pop_start=start.astype(np.int64),
                pop_stop=stop.astype(np.int64), receivers=receivers, ring=ring, recv_off=recv_off[:-1], ring_n=ring_n,
                ring_cells=ring_cells,
                n_slots=n_slots, indptr=indptr, post=np.take(post_all.astype(np.int32), order),
                w=np.take(w_all, order).astype(dtype, copy=False),
                delay=d_csr, cell=cell_csr,
                n_parts=n_parts, part_bounds=part_bounds, seg_ptr=seg_ptr, seg_lo=seg_lo, seg_hi=seg_hi,
                seg_delay=seg_delay,
                out_degree=counts.astype(np.int64),
                src_step=cat(src_step_blocks, np.int64), src_gid=cat(src_gid_blocks, np.int64), src_off=src_off)
    plan.poisson_inputs = poisson_inputs
    plan.convs = [conv_plan(pr, int(start[index[pr.pre]]), int(recv_off[r]), dt, dtype)
                  for pr, r in zip(convs, recv_per_conv)]
    writers = np.bincount(np.array(recv_per_proj + recv_per_conv + recv_per_attention, dtype=np.int64),
                          minlength=len(receivers))
    for cp, pr, r in zip(plan.convs, convs, recv_per_conv):    # alone on its ring cells: arrival order
        if conv_pull and writers[r] == 1 and cp.ent_w.size and ConvPull.history_bytes(cp, n_slots) <= _conv.PULL_HISTORY_BYTES:
            cp.pull = make_pull(cp, pr.conv.c_out, n_slots)
    for pr in continuous:
        order_c = np.lexsort((pr.pre_idx, pr.post_idx))
        n_post = pops[pr.post].n
        cindptr = np.concatenate([[0], np.cumsum(np.bincount(pr.post_idx, minlength=n_post))]).astype(np.int64)
        U = np.array([pr.synapse.values[k] for k in type(pr.synapse).params], dtype=np.float64)
        plan.continuous.append(ContinuousPlan(index[pr.pre], index[pr.post], type(pr.synapse), U, cindptr,
                                              pr.pre_idx[order_c].astype(np.int64),
                                              np.asarray(pr.weights, dtype=np.float64)[order_c], np.zeros(n_post)))
    _add_stp(plan, projections, pre_csr, order)
    _add_plasticity(plan, projections, pre_csr, order, N, dt)
    _add_monitors(plan, pops, records, index, projections)
    for ro in readouts:
        obj = pops[ro.pops[0]]
        row = -1 if ro.feature == "spikes" else list(type(obj).state).index(ro.feature)
        from spikesim.core.readout import RULES
        plan.readouts.append(ReadoutPlan(index[ro.pops[0]], tuple(index[x] for x in ro.pops), ro, row,
                                         RULES[ro.rule], ro.values(dt)))
    from spikesim.backends.reference.attention import I_CELL0, I_K0, I_Q0, I_V0
    for at, r in zip(attentions, recv_per_attention):
        at.I[[I_Q0, I_K0, I_V0]] = start[index[at.q]], start[index[at.k]], start[index[at.v]]
        at.I[I_CELL0] = recv_off[r]
        plan.attentions.append(at)
    plan.counters = np.zeros(C_SRC0 + len(names), dtype=np.int64)
    plan.counters[C_SRC0:] = src_off[:-1]
    return plan


def resolve_state(obj, var: str, synapses: list) -> tuple[int, int]:
    """(syn, row) of a recorded variable name: a neuron state variable, ``"<synapse>.<var>"``,
    ``"<synapse>"`` for a one-variable synapse model, or the legacy ``"I_syn"``."""
    cls = type(obj)
    if var in cls.state:
        return -1, list(cls.state).index(var)
    syn_name, _, sub = var.partition(".")
    for k, s in enumerate(synapses):
        if s.name == syn_name:
            svars = list(s.model.state)
            if not sub and len(svars) == 1:
                return k, 0
            if sub in svars:
                return k, svars.index(sub)
    raise ValueError(f"{type(obj).__name__} population has no state variable {var!r}")


def _add_monitors(plan: Plan, pops: dict, records: dict, index: dict, projections: list) -> None:
    plan.rec_spike = np.zeros(plan.n_total, dtype=np.bool_)
    col = 0
    for name, spec in records.items():
        if spec.get("projection"):
            col = _add_synapse_monitors(plan, name, spec, projections, col)
            continue
        p = index[name]
        pp = plan.pops[p]
        ids = spec.get("ids")
        ids = np.arange(pp.n, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        if spec["spikes"]:
            plan.rec_spike[pp.start + ids] = True
        for var in spec["state"]:
            syn, row = resolve_state(pops[name], var, pp.synapses)
            plan.monitors.append(Monitor(p, syn, row, ids, spec["every"], col0=col))
            col += ids.size


def _add_synapse_monitors(plan: Plan, name: str, spec: dict, projections: list, col: int) -> int:
    """Monitors of a projection's weights / rule state (``Network.record(projection, ...)``);
    ids are synapse indices in the projection's own order."""
    k = next(i for i, pr in enumerate(projections) if pr.name == name)
    pr = projections[k]
    ids = spec.get("ids")
    ids = np.arange(pr.n_synapses, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    csr = plan.csr_pos[plan.proj_offset[k] + ids]
    for var in spec["state"]:
        if var == "w":
            plan.monitors.append(Monitor(-1, -1, -1, csr, spec["every"], col0=col, kind="synapse"))
        else:
            r = sum(1 for q in projections[:k] if q.plasticity is not None)      # its RulePlan
            row = list(plan.rules[r].model.state).index(var)
            plan.monitors.append(Monitor(-1, -1, row, plan.syn_local[csr].astype(np.int64), spec["every"], col0=col,
                                         kind="synapse", rule=r))
        col += ids.size
    return col


def _add_stp(plan: Plan, projections: list, pre_csr: np.ndarray, order: np.ndarray) -> None:
    """One short-term-plasticity slot per (projection with ``stp``, presynaptic neuron)."""
    slot_cat, params = [], []
    n = 0
    for pr in projections:
        stp = getattr(pr, "stp", None)
        if stp is None:
            slot_cat.append(np.full(pr.n_synapses, -1, dtype=np.int64))
            continue
        pres, local = np.unique(pr.pre_idx, return_inverse=True)
        slot_cat.append(n + local.ravel())
        params += [(stp.U, stp.tau_f, stp.tau_d)] * pres.size
        n += pres.size
    N = plan.indptr.size - 1
    if n == 0:
        plan.stp_slot = np.zeros(0, np.int32)
        plan.stp_state = np.zeros((4, 0))
        plan.stp_params = np.zeros((3, 0))
        plan.stp_row_ptr = np.zeros(N + 1, np.int64)
        plan.stp_row_slot = np.zeros(0, np.int32)
        return
    plan.stp_slot = np.concatenate(slot_cat)[order].astype(np.int32)
    keep = plan.stp_slot >= 0          # each slot belongs to one presynaptic neuron (and has synapses)
    row_of = np.zeros(n, dtype=np.int64)
    row_of[plan.stp_slot[keep]] = pre_csr[keep]
    plan.stp_row_slot = np.argsort(row_of, kind="stable").astype(np.int32)
    plan.stp_row_ptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=N))]).astype(np.int64)
    plan.stp_params = np.ascontiguousarray(np.array(params, dtype=np.float64).T)
    plan.stp_state = np.zeros((4, n))
    plan.stp_state[0] = 0.0           # u
    plan.stp_state[1] = 1.0           # x
    plan.stp_state[2] = -1.0          # step of the last spike (-1: none yet)


def partition_cells(cell: np.ndarray, ring_cells: int, n_parts: int) -> np.ndarray:
    """Bounds (n_parts + 1,) of contiguous ranges of ring cells holding about equal numbers of
    synapses (part t owns the cells ``bounds[t]`` to ``bounds[t + 1] - 1``)."""
    bounds = np.zeros(n_parts + 1, dtype=np.int64)
    bounds[-1] = ring_cells
    if n_parts > 1 and cell.size:
        cum = np.cumsum(np.bincount(cell, minlength=ring_cells))
        bounds[1:-1] = np.searchsorted(cum, cell.size * np.arange(1, n_parts) / n_parts, side="left")
        np.maximum.accumulate(bounds, out=bounds)
    elif n_parts > 1:
        bounds[1:-1] = (ring_cells * np.arange(1, n_parts)) // n_parts
    return bounds


def synapse_order(pre, delay, cell, N: int, n_slots: int, ring_cells: int) -> np.ndarray:
    """The CSR order of the synapses (indices into the concatenated projections): by presynaptic
    neuron, then delay and cell; stable, so synapses of one row onto one cell with one delay
    (multapses) keep their order.

    Fast paths: keys (pre, delay, cell) already in order give the identity; otherwise the key
    shifted left by the bits of the synapse count, with the synapse's index in those bits, is
    unique, so sorting the keys (``np.sort``, several times faster than ``argsort``) and keeping
    the low bits gives the stable order."""
    span = [N, n_slots, max(ring_cells, 1)]
    size = float(np.prod(span, dtype=np.float64))
    if size >= 2.0 ** 62:
        return np.lexsort((cell, delay, pre))
    key = pre * (n_slots * span[2])
    key += delay * span[2]
    key += cell
    S = key.size
    if S < 2 or not np.any(key[1:] < key[:-1]):     # already in order (a dense matrix, connectivity.*)
        return np.arange(S, dtype=np.int64)
    bits = max(int(S - 1).bit_length(), 1)
    if size * 2.0 ** bits < 2.0 ** 62:
        key <<= bits
        key |= np.arange(S, dtype=np.int64)
        key.sort()
        key &= (1 << bits) - 1
        return key
    return np.argsort(key, kind="stable")


def segments(pre, part, delay, N: int, n_parts: int):
    """(seg_ptr, seg_lo, seg_hi, seg_delay) of synapses in CSR order: the runs of one (row,
    delay, part), listed by (row, part) then delay (``part`` None: one part)."""
    S = pre.size
    new = np.ones(S, dtype=bool)
    if S > 1:
        new[1:] = (pre[1:] != pre[:-1]) | (delay[1:] != delay[:-1])
        if part is not None:
            new[1:] |= part[1:] != part[:-1]
    lo = np.flatnonzero(new)
    hi = np.append(lo[1:], S)
    gt = pre[lo] * n_parts + part[lo] if part is not None else pre[lo]
    by = np.argsort(gt, kind="stable") if part is not None else slice(None)
    seg_ptr = np.zeros(N * n_parts + 1, dtype=np.int64)
    np.cumsum(np.bincount(gt, minlength=N * n_parts), out=seg_ptr[1:])
    return seg_ptr, lo[by].astype(np.int64), hi[by].astype(np.int64), delay[lo][by].astype(np.int32)


def _add_plasticity(plan: Plan, projections: list, pre_csr: np.ndarray, order: np.ndarray, N: int, dt: float) -> None:
    """One :class:`RulePlan` per plastic projection; empty tables when every projection is static
    (no per-synapse plasticity arrays at all: memory per synapse)."""
    n_syn = order.size
    plan.csr_pos = np.empty(n_syn, dtype=np.int64)
    plan.csr_pos[order] = np.arange(n_syn)
    plan.proj_offset = np.concatenate([[0], np.cumsum([pr.n_synapses for pr in projections])]).astype(np.int64)
    plastic = [k for k, pr in enumerate(projections) if pr.plasticity is not None]
    if not plastic:
        plan.syn_rule = plan.syn_local = plan.syn_pre = np.zeros(0, np.int32)
        plan.post_indptr = np.zeros(N + 1, np.int64)
        plan.post_syn = np.zeros(0, np.int64)
        return
    plan.syn_rule = np.full(n_syn, -1, dtype=np.int32)
    plan.syn_local = np.full(n_syn, -1, dtype=np.int32)
    plan.syn_pre = pre_csr.astype(np.int32)
    for r, k in enumerate(plastic):
        rule = projections[k].plasticity
        cls = type(rule)
        syn = np.sort(plan.csr_pos[plan.proj_offset[k]:plan.proj_offset[k + 1]])
        plan.syn_rule[syn] = r
        plan.syn_local[syn] = np.arange(syn.size)
        names, U = rule.table(dt)
        V = np.zeros((len(cls.state), syn.size))
        for j, d in enumerate(cls.state.values()):
            V[j] = d
        plan.rules.append(RulePlan(cls, names, U, np.zeros((len(cls.traces()), N)), rule.decays(dt), V,
                                   syn.astype(np.int64), np.ascontiguousarray(rule.modulator_array)))
        if cls.uses_neurons():
            _rule_neurons(plan, plan.rules[-1], projections[k], N)
    with_post = np.array([r.model.on_post is not None for r in plan.rules])
    by_post = np.flatnonzero((plan.syn_rule >= 0) & with_post[np.maximum(plan.syn_rule, 0)])
    post_of = plan.post[by_post]
    plan.post_syn = by_post[np.lexsort((by_post, post_of))].astype(np.int64)
    plan.post_indptr = np.concatenate([[0], np.cumsum(np.bincount(post_of, minlength=N))]).astype(np.int64)


def _rule_neurons(plan: Plan, rp: RulePlan, pr, N: int) -> None:
    """The populations and the sum table of a rule that reads neuron state or sums; a state
    variable that the population lacks is an error naming the rule."""
    index = {pp.name: pp.index for pp in plan.pops}
    rp.pre_pop, rp.post_pop = index[pr.pre], index[pr.post]
    rp.Y = np.zeros((len(rp.model.sums()), N))
    for side, names, pop in (("pre", rp.model.pre_vars, rp.pre_pop), ("post", rp.model.post_vars, rp.post_pop)):
        pp = plan.pops[pop]
        have = list(pp.model.state) if pp.kind == "neuron" else []
        bad = [v for v in names.values() if v not in have]
        if bad:
            raise ValueError(f"plasticity rule {rp.model.__name__} on {pr.name or pr.pre + '->' + pr.post}: "
                             f"{side}_vars {bad} are not state variables of population {pp.name!r} "
                             f"(its state: {have})")
        rp.var_rows.update({k: (side, pop, have.index(v)) for k, v in names.items()})


__all__ = ["ReadoutPlan", "RulePlan", "ContinuousPlan", "is_continuous", "Plan", "NeuronPlan", "SourcePlan", "SynapsePlan", "Receiver", "Monitor", "build_plan"]
