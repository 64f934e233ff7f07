"""NIR graphs in and out of the core: ``to_network``, ``run`` and ``from_network``.

NIR (the Neuromorphic Intermediate Representation, Pedersen et al. 2024, Nature Communications
15) is the graph format norse, snnTorch, sinabs, Lava, Rockpool and SpiNNaker2 read and write.
``dt`` is in seconds, NIR's unit (as ``norse.torch.from_nir(dt=...)``); the core runs in ms.

**Mapping.** The Input node, every neuron node (LIF, CubaLIF, LI, CubaLI, IF, I, Threshold) and
a readout for an Output fed through linear nodes become populations
(:class:`~spikesim.neurons.nir_leaky.NIRLeaky`, :class:`~spikesim.neurons.nir_cuba.NIRCuba`);
the linear nodes between two populations (Affine, Linear, Scale, Flatten, Conv1d, Conv2d,
SumPool2d, AvgPool2d) compose into one sparse projection per path, with a one-step
:class:`~spikesim.synapses.Pulse` synapse (the weights of the spikes of a step are the next
node's input of that step); a non-spiking node (LI, CubaLI, I) passes its value v on through a
:class:`~spikesim.synapses.LinearCoupling` (evaluated every step from the value at the start
of the step: the same one-step lag, no synaptic events counted); Delay nodes become synaptic delays; biases become a constant input
of the receiving population. Recurrent edges are projections like the others.

**Time.** The core's smallest delay is one step, so each population lags one step behind the
one that feeds it: population u runs ``d(u)`` steps behind the graph (its depth, see
:mod:`spikesim.interop.nir_graph`), delays are set so that every unit stays aligned, biases
start at the step a population starts, and :func:`run` simulates ``T + d(output)`` steps and
returns the output's steps ``d(output) .. d(output) + T - 1``: the graph's values at steps
0..T-1, as norse computes them in graph order within a step. ``io.lag`` holds d(output).

**Discretisation** (``scheme``): ``"norse"`` (default) is forward Euler as
``norse.torch.from_nir`` runs it; ``"exact"`` integrates the leaky nodes exactly for an input
held over the step. The equations are in the two model modules.

**Inputs.** ``x`` of shape (T, n_in). When every value is 0 or 1 (``input="spikes"``) the
Input node is a population that spikes where x is 1, so the first layer's synaptic events are
counted; otherwise (``input="current"``) x @ W of the first linear maps is injected as the
first populations' input current.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from spikesim.interop.nir_errors import NIRImportError
from spikesim.interop.nir_graph import analyse, type_name
from spikesim.interop.nir_maps import as_array

SCHEMES = ("norse", "exact")
__all__ = ["NIRIO", "NIRImportError", "from_network", "run", "run_batch", "to_network"]


@dataclass
class NIRIO:
    """How a network made by :func:`to_network` takes its input and gives its output."""
    input_node: str
    output_node: str
    populations: dict                 # NIR node -> population name
    input_pop: str | None             # None when the input is injected as a current
    output_pop: str
    output_kind: str                  # "spikes" or "v"
    lag: int                          # steps the output runs behind the graph
    depth: dict                       # population -> steps behind the graph
    dt_ms: float
    n_in: int
    n_out: int
    input_shape: tuple
    input_maps: list = field(default_factory=list)    # (population, csr (n_in, n), delays) in current mode

    def drive(self, net, x) -> int:
        """Inject the input ``x`` (T, n_in) into ``net`` (before its first run); returns the
        number of steps to run (T + lag)."""
        x = self._check_x(x)
        T = x.shape[0]
        steps = T + self.lag
        if self.input_pop is not None:
            if not np.all((x == 0) | (x == 1)):
                raise ValueError("this network takes spikes (0/1) as input; rebuild it with to_network(..., "
                                 "input='current') for other values")
            cur = np.zeros((steps, self.n_in))
            cur[:T] = x
            net.inject(self.input_pop, cur)
            return steps
        per_pop = {}
        for pop, M, pre_d, post_d, delay in self.input_maps:
            cur = per_pop.setdefault(pop, np.zeros((steps, M.shape[1])))
            for d_pre in (np.unique(pre_d) if pre_d is not None else [0]):
                Mi = M if pre_d is None else M.multiply((pre_d == d_pre)[:, None]).tocsr()
                y = np.asarray(Mi.T @ x.T).T                        # (T, n)
                if post_d is None:
                    cur[delay + d_pre:delay + d_pre + T] += y
                else:
                    for d_post in np.unique(post_d):
                        cols = post_d == d_post
                        lo = delay + d_pre + d_post
                        cur[lo:lo + T, cols] += y[:, cols]
        for pop, cur in per_pop.items():
            net.inject(pop, cur[:steps])
        return steps

    def read(self, result, T: int) -> np.ndarray:
        """The output node's values (T, n_out) at the graph's steps 0..T-1."""
        out = np.zeros((T, self.n_out))
        if self.output_kind == "spikes":
            t, ids = result.spikes(self.output_pop)
            step = np.rint(np.asarray(t) / self.dt_ms).astype(np.int64) - self.lag
            keep = (step >= 0) & (step < T)
            out[step[keep], ids[keep]] = 1.0
        else:
            v = result.state(self.output_pop, "v")
            out[:] = v[self.lag:self.lag + T]
        return out

    def _check_x(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim >= 2 and x.ndim != 2 and int(np.prod(x.shape[1:])) == self.n_in:
            x = x.reshape(x.shape[0], self.n_in)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"input must have shape (T, {self.n_in}) (node {self.input_node!r}), got {x.shape}")
        if x.shape[0] < 1 or not np.all(np.isfinite(x)):
            raise ValueError("input must have at least one step and finite values")
        return x


def _pop_name(node_name: str, used: set) -> str:
    base = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(node_name)) or "node"
    name, k = base, 1
    while name in used:
        name, k = f"{base}_{k}", k + 1
    used.add(name)
    return name


def _param(node, attr, n, default=None):
    value = getattr(node, attr, None)
    if value is None:
        if default is None:
            raise NIRImportError(f"node of type {type_name(node)} has no {attr}")
        value = default
    a = as_array(value).ravel()
    if a.size == 1:
        a = np.full(n, a[0])
    elif a.size != n and n % a.size == 0:           # a batch of copies of the node
        a = np.tile(a, n // a.size)
    if not np.all(np.isfinite(a)):
        raise NIRImportError(f"node of type {type_name(node)}: {attr} contains NaN or inf")
    return a


def _soft_reset(name, node) -> float:
    """1.0 for a LIF whose metadata asks for reset by subtraction (a spikesim extension)."""
    meta = getattr(node, "metadata", None) or {}
    how = meta.get("spikesim.reset", "value") if isinstance(meta, dict) else "value"
    if how not in ("value", "subtract"):
        raise NIRImportError(f"node {name!r} (LIF): metadata spikesim.reset is {how!r}, not 'value' or 'subtract'")
    return 1.0 if how == "subtract" else 0.0


def _neuron(name, node, n, exact, extra):
    """The population for NIR neuron node ``node`` (times converted s -> ms)."""
    from spikesim.neurons.nir_cuba import NIRCuba
    from spikesim.neurons.nir_leaky import NIRLeaky
    t = type_name(node)
    P = lambda a, d=None: _param(node, a, n, d)      # noqa: E731
    try:
        if t in ("LIF", "LI"):
            tau = P("tau") * 1e3
            kw = dict(tau=tau, r=P("r"), v_leak=P("v_leak"), v=P("v_leak"))
            if t == "LIF":
                kw.update(v_th=P("v_threshold"), v_reset=P("v_reset", 0.0), soft=_soft_reset(name, node))
            return NIRLeaky(n, t, exact=exact, **kw, **extra)
        if t == "IF":
            return NIRLeaky(n, "IF", exact=exact, r=P("r"), v_th=P("v_threshold"), v_reset=P("v_reset", 0.0),
                            v=P("v_reset", 0.0), **extra)
        if t == "I":
            return NIRLeaky(n, "I", exact=exact, r=P("r"), **extra)
        if t == "Threshold":
            return NIRLeaky(n, "Threshold", v_th=P("threshold"), **extra)
        if t in ("CubaLIF", "CubaLI"):
            kw = dict(tau_syn=P("tau_syn") * 1e3, tau_mem=P("tau_mem") * 1e3, r=P("r"), v_leak=P("v_leak"),
                      w_in=P("w_in", 1.0), v=P("v_leak"))
            if t == "CubaLIF":
                kw.update(v_th=P("v_threshold"), v_reset=P("v_reset", 0.0))
            return NIRCuba(n, t == "CubaLIF", exact=exact, **kw, **extra)
    except NIRImportError as exc:
        raise NIRImportError(f"node {name!r}: {exc}") from None
    except ValueError as exc:
        raise NIRImportError(f"node {name!r} ({t}): {exc}") from None
    raise NIRImportError(f"node {name!r} has type {t}, which is not a neuron node")


def _batched(an, batch: int):
    """``batch`` independent copies of the analysed graph side by side (block-diagonal maps)."""
    import scipy.sparse as sp
    an.units = {k: (kind, n * batch, node) for k, (kind, n, node) in an.units.items()}
    eye = sp.identity(batch, format="csr")
    for c in an.contributions:
        c.M = sp.kron(eye, c.M, format="csr")
        c.pre_delay = None if c.pre_delay is None else np.tile(c.pre_delay, batch)
        c.post_delay = None if c.post_delay is None else np.tile(c.post_delay, batch)
    for bp in an.biases:
        bp.b = np.tile(bp.b, batch)
    return an


def to_network(graph, dt: float, backend: str = "numba", scheme: str | None = None, input: str = "spikes",
               seed: int = 0, batch: int = 1):
    """Build a core :class:`~spikesim.Network` from NIR ``graph`` (a ``nir.NIRGraph`` or the path
    of a ``.nir`` file) with step ``dt`` seconds. Returns ``(net, io)``: :class:`NIRIO` names
    the input and output populations; ``io.drive(net, x)`` injects an input and returns the
    number of steps to run, ``io.read(result, T)`` gives the output values. The output
    population is recorded (spikes, or ``v`` every step for a non-spiking output).
    ``batch`` > 1 builds that many independent copies side by side (sample b's neurons are the
    b-th block of each population; inputs and outputs are (T, batch * n)): :func:`run_batch`."""
    import nir
    from spikesim.core.network import Network
    from spikesim.neurons.nir_leaky import NIRLeaky
    from spikesim.synapses.continuous import LinearCoupling
    from spikesim.synapses.pulse import Pulse
    if isinstance(graph, (str, bytes)) or hasattr(graph, "__fspath__"):
        graph = nir.read(graph)
    scheme = _scheme(graph, scheme)
    if input not in ("spikes", "current"):
        raise ValueError(f"input must be 'spikes' or 'current', got {input!r}")
    if not isinstance(dt, (int, float)) or isinstance(dt, bool) or not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive number of seconds, got {dt!r}")
    an = analyse(graph, float(dt))
    if not isinstance(batch, (int, np.integer)) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    if batch > 1:
        an = _batched(an, int(batch))
    dt_ms = float(dt) * 1e3
    net = Network(dt=dt_ms, seed=seed, backend=backend)
    used, names = set(), {}
    bias, late = {}, {}
    for bp in an.biases:
        if bp.onset == 0:
            bias[bp.dst] = bias.get(bp.dst, 0.0) + bp.b
        else:
            on, b = late.get(bp.dst, (bp.onset, 0.0))
            if on != bp.onset:
                raise NIRImportError(f"node {bp.dst!r} receives biases that start at {on} and {bp.onset} steps (through "
                                     "recurrent edges or Delay nodes); spikesim supports one late start")
            late[bp.dst] = (on, b + bp.b)
    for u, (kind, n, node) in an.units.items():
        if kind == "input" and input == "current":
            continue
        d = an.depth[u]
        extra = dict(bias=bias.get(u, 0.0), t_on=d * dt_ms)
        if u in late:
            extra.update(bias_late=late[u][1], t_late=(d + late[u][0]) * dt_ms)
        if kind == "input":
            pop = NIRLeaky(n, "Threshold", v_th=0.5)
        elif kind == "readout":
            pop = NIRLeaky(n, "Readout", **extra)
        else:
            pop = _neuron(u, node, n, scheme == "exact", extra)
        names[u] = _pop_name(u, used)
        net.add(pop, names[u])
    input_maps = []
    for c in an.contributions:
        M = c.M.tocoo()
        keep = M.data != 0
        pre, post, w = M.row[keep].astype(np.int64), M.col[keep].astype(np.int64), M.data[keep]
        if c.src == an.input and input == "current":
            input_maps.append((names[c.dst], c.M.tocsr(), c.pre_delay, c.post_delay, c.delay))
            continue
        if w.size == 0:
            continue
        if not _spiking(net.populations[names[c.src]]):
            if c.delay != 1 or c.pre_delay is not None or c.post_delay is not None:
                raise NIRImportError(f"path {' -> '.join(c.path)}: the values of non-spiking node {c.src!r} reach "
                                     f"{c.dst!r} after {c.delay} steps; the core passes a non-spiking value on in "
                                     "exactly one step (no Delay node on such a path)")
            net.connect(names[c.src], names[c.dst], (pre, post, w), synapse=LinearCoupling())
            continue
        steps = np.full(w.size, c.delay, dtype=np.int64)
        if c.pre_delay is not None:
            steps += c.pre_delay[pre]
        if c.post_delay is not None:
            steps += c.post_delay[post]
        net.connect(names[c.src], names[c.dst], (pre, post, w), delays=steps * dt_ms, synapse=Pulse())
    out_unit = an.output_unit
    spiking = _spiking(net.populations[names[out_unit]])
    net.record(names[out_unit], spikes=spiking, state=() if spiking else ("v",))
    in_n, in_shape = an.units[an.input][1], tuple(np.asarray(an.nodes[an.input].input_type["input"]).ravel())
    io = NIRIO(input_node=an.input, output_node=an.output, populations=names,
               input_pop=names.get(an.input), output_pop=names[out_unit], output_kind="spikes" if spiking else "v",
               lag=an.depth[out_unit], depth={names[k]: v for k, v in an.depth.items() if k in names}, dt_ms=dt_ms,
               n_in=in_n, n_out=an.units[out_unit][1], input_shape=in_shape, input_maps=input_maps)
    return net, io


def _spiking(pop) -> bool:
    return bool(pop.param_values["spiking"][0] > 0)


def _scheme(graph, scheme):
    if scheme is None:
        meta = getattr(graph, "metadata", None)
        scheme = meta.get("spikesim.scheme", "norse") if isinstance(meta, dict) else "norse"
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    return scheme


def run(graph, x, dt: float, backend: str = "numba", scheme: str | None = None, seed: int = 0,
        return_result: bool = False):
    """Run NIR ``graph`` on input ``x`` (T, n_in) with step ``dt`` seconds in the core; return
    the Output node's values (T, n_out) at the graph's steps 0..T-1 (spikes as 0/1, or the
    membrane value of a non-spiking output), and with ``return_result=True`` also the core's
    :class:`~spikesim.Result` (``result.meta["synaptic_events"]``: synaptic operations)."""
    xa = np.asarray(x, dtype=np.float64)
    mode = "spikes" if np.all((xa == 0) | (xa == 1)) else "current"
    net, io = to_network(graph, dt, backend=backend, scheme=scheme, input=mode, seed=seed)
    steps = io.drive(net, xa)
    result = net.run(steps * io.dt_ms)
    out = io.read(result, io._check_x(xa).shape[0])
    return (out, result) if return_result else out


def run_batch(graph, xs, dt: float, backend: str = "numba", scheme: str | None = None, seed: int = 0,
              return_result: bool = False):
    """:func:`run` on a batch ``xs`` (B, T, n_in) of inputs at once (B independent copies of the
    graph in one network); returns (B, T, n_out) (and the Result)."""
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim < 3:
        raise ValueError(f"xs must have shape (B, T, n_in), got {xs.shape}")
    B, T = xs.shape[:2]
    x = xs.reshape(B, T, -1).transpose(1, 0, 2).reshape(T, -1)
    mode = "spikes" if np.all((x == 0) | (x == 1)) else "current"
    net, io = to_network(graph, dt, backend=backend, scheme=scheme, input=mode, seed=seed, batch=B)
    steps = io.drive(net, x)
    result = net.run(steps * io.dt_ms)
    out = io.read(result, T).reshape(T, B, -1).transpose(1, 0, 2)
    return (out, result) if return_result else out


def from_network(net, input=None, output=None):
    """Export a core network made of NIR-expressible parts as a ``nir.NIRGraph`` (see
    :mod:`spikesim.interop.nir_export`). ``input`` / ``output``: the populations that become
    the Input and Output nodes (default: the one without incoming projections; the one without
    outgoing projections, or else the one recorded)."""
    from spikesim.interop.nir_export import export
    return export(net, input=input, output=output)
