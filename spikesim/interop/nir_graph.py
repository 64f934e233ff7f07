"""Analysis of a NIR graph for the core: which nodes become populations, the projections
between them (linear nodes composed into one sparse matrix per path) and the delay of each.

**Time alignment.** NIR edges carry no delay; the core's smallest delay is one step. Every
population ("unit": the Input, each neuron node, and a readout for an Output fed through a
linear node) gets a *depth* d: 0 for the Input, and 1 + the largest depth among the units that
feed it along forward edges. Unit u's state at core step m is the graph's state at step
m - d(u): each feed-forward layer lags one step more than the one before. A path from unit s to
unit t then has the delay d(t) - d(s) + (Delay nodes on the path, in steps) + (one step for
each recurrent edge on it), which keeps every unit aligned. A recurrent edge is an edge that
closes a cycle in a depth-first walk from the Input (successors in edge order); it reads the
previous step's value, as nirtorch's graph executor does. A loop through k populations gets
one step from the graph but needs k steps in the core: such a graph is refused (add a Delay of
k - 1 steps to the recurrent edge) with an error naming the edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from spikesim.interop.nir_errors import NIRImportError
from spikesim.interop.nir_maps import as_array, node_map

NEURON_TYPES = ("LIF", "CubaLIF", "LI", "CubaLI", "IF", "I", "Threshold")
LINEAR_TYPES = ("Affine", "Linear", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Delay")
#: maps that keep each value at its index (a per-element Delay may move across them)
ELEMENTWISE = ("Scale", "Flatten", "Delay", "_Identity")
MAX_PATHS = 20000


class _Identity:
    """Stand-in for the Input / Output nodes of an inlined subgraph."""


def type_name(node) -> str:
    return type(node).__name__


@dataclass
class Contribution:
    """Values of unit ``src`` reaching unit ``dst``: y = x @ M, after ``delay`` steps (plus the
    per-element ``pre_delay`` of src's values or ``post_delay`` of dst's, when not None)."""
    src: str
    dst: str
    M: sp.csr_matrix
    delay: int
    n_back: int
    pre_delay: np.ndarray | None
    post_delay: np.ndarray | None
    path: tuple[str, ...]


@dataclass
class BiasPart:
    dst: str
    b: np.ndarray
    onset: int          # steps after the unit starts
    origin: str


@dataclass
class Analysis:
    nodes: dict
    edges: list
    units: dict = field(default_factory=dict)          # name -> (kind, n, node); kind input | neuron | readout
    depth: dict = field(default_factory=dict)
    contributions: list = field(default_factory=list)
    biases: list = field(default_factory=list)
    input: str = ""
    output: str = ""
    output_unit: str = ""
    dt: float = 1e-3


def _flatten(graph, prefix=""):
    """Nodes and edges with subgraphs inlined (their Input/Output nodes become identities)."""
    import nir
    nodes, edges = {}, []
    for name, node in graph.nodes.items():
        full = prefix + str(name)
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten(node, full + ".")
            for k, v in sub_nodes.items():
                nodes[k] = _Identity() if isinstance(v, (nir.Input, nir.Output)) else v
            edges.extend(sub_edges)
        else:
            nodes[full] = node
    subs = {prefix + str(k): v for k, v in graph.nodes.items() if isinstance(v, nir.NIRGraph)}

    def ends(name, kind):
        if name not in subs:
            return [name]
        inner = [f"{name}.{k}" for k, v in subs[name].nodes.items() if isinstance(v, kind)]
        if len(inner) != 1:
            raise NIRImportError(f"subgraph {name!r} has {len(inner)} {kind.__name__} nodes; spikesim inlines "
                                 "subgraphs with exactly one")
        return inner
    for edge in graph.edges:
        if len(edge) != 2:
            raise NIRImportError(f"edge {edge!r} is not a pair (source, target)")
        a, b = prefix + str(edge[0]), prefix + str(edge[1])
        for x in (a, b):
            if x not in nodes and x not in subs:
                raise NIRImportError(f"edge ({edge[0]!r}, {edge[1]!r}): node {x[len(prefix):]!r} is not in the graph")
        for aa in ends(a, nir.Output):
            for bb in ends(b, nir.Input):
                edges.append((aa, bb))
    return nodes, edges


def _check_types(nodes):
    import nir
    for name, node in nodes.items():
        t = type_name(node)
        if isinstance(node, (nir.Input, nir.Output, _Identity)):
            continue
        if t not in NEURON_TYPES + LINEAR_TYPES:
            raise NIRImportError(f"node {name!r} has type {t}, which spikesim does not import; supported: "
                                 f"Input, Output, {', '.join(NEURON_TYPES + LINEAR_TYPES)}")


def _back_edges(nodes, succ, start):
    """Edges that close a cycle in a depth-first walk from ``start``; nodes reached."""
    back, state = set(), {}
    stack = [(start, iter(succ[start]))]
    state[start] = 1
    while stack:
        node, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            state[node] = 2
            stack.pop()
            continue
        if state.get(nxt) == 1:
            back.add((node, nxt))
        elif nxt not in state:
            state[nxt] = 1
            stack.append((nxt, iter(succ[nxt])))
    return back, set(state)


def _topo(nodes, edges):
    """Kahn order of the DAG ``edges``."""
    indeg = {n: 0 for n in nodes}
    out = {n: [] for n in nodes}
    for a, b in edges:
        indeg[b] += 1
        out[a].append(b)
    order = [n for n in nodes if indeg[n] == 0]
    i = 0
    while i < len(order):
        for b in out[order[i]]:
            indeg[b] -= 1
            if indeg[b] == 0:
                order.append(b)
        i += 1
    return order


def _neuron_size(name, node):
    """The number of neurons a neuron node's parameters give (1 for scalars: broadcast later)."""
    sizes = {as_array(getattr(node, f)).size for f in _neuron_fields(node) if getattr(node, f, None) is not None}
    sizes.discard(1)
    if len(sizes) > 1:
        raise NIRImportError(f"node {name!r} ({type_name(node)}): its parameters have different sizes {sorted(sizes)}")
    return sizes.pop() if sizes else None


def _neuron_fields(node):
    return {"LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"), "LI": ("tau", "r", "v_leak"),
            "IF": ("r", "v_threshold", "v_reset"), "I": ("r",), "Threshold": ("threshold",),
            "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
            "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in")}[type_name(node)]


def _input_size(node):
    t = node.input_type.get("input") if isinstance(node.input_type, dict) else None
    if t is None:
        t = node.output_type.get("output") if isinstance(node.output_type, dict) else None
    if t is None or np.size(t) == 0:
        raise NIRImportError("the Input node has no shape (input_type)")
    shape = tuple(int(s) for s in np.asarray(t).ravel())
    return int(np.prod(shape)), shape


def analyse(graph, dt: float, strict: bool = True) -> Analysis:
    """Check ``graph`` and work out units, projections, biases and depths (``dt`` in seconds).
    ``strict=False`` skips the check that every delay is at least one step (the exporter reads
    the lags of a graph it has not yet given its Delay nodes)."""
    import nir
    if not isinstance(graph, nir.NIRGraph):
        raise NIRImportError(f"expected a nir.NIRGraph, got {type(graph).__name__}")
    nodes, edges = _flatten(graph)
    _check_types(nodes)
    if len(set(edges)) != len(edges):
        dup = next(e for e in edges if edges.count(e) > 1)
        raise NIRImportError(f"edge {dup!r} appears twice")
    inputs = [k for k, v in nodes.items() if isinstance(v, nir.Input)]
    outputs = [k for k, v in nodes.items() if isinstance(v, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NIRImportError(f"spikesim runs graphs with one Input and one Output node; this one has inputs "
                             f"{inputs} and outputs {outputs}")
    succ = {k: [] for k in nodes}
    pred = {k: [] for k in nodes}
    for a, b in edges:
        succ[a].append(b)
        pred[b].append(a)
    for k, v in nodes.items():
        if k != inputs[0] and not pred[k]:
            raise NIRImportError(f"node {k!r} ({type_name(v)}) has no incoming edge")
        if k != outputs[0] and not succ[k]:
            raise NIRImportError(f"node {k!r} ({type_name(v)}) has no outgoing edge")
    if pred[inputs[0]]:
        raise NIRImportError(f"the Input node {inputs[0]!r} has incoming edges from {pred[inputs[0]]}")
    if succ[outputs[0]]:
        raise NIRImportError(f"the Output node {outputs[0]!r} has outgoing edges to {succ[outputs[0]]}")
    back, reached = _back_edges(nodes, succ, inputs[0])
    missing = [k for k in nodes if k not in reached]
    if missing:
        raise NIRImportError(f"node {missing[0]!r} ({type_name(nodes[missing[0]])}) is not reachable from the Input "
                             f"node {inputs[0]!r}")
    forward = [e for e in edges if e not in back]
    order = _topo(nodes, forward)

    # sizes and per-node maps, in forward order
    size, shape, maps = {}, {}, {}
    n_in, in_shape = _input_size(nodes[inputs[0]])
    for k in order:
        node = nodes[k]
        if k == inputs[0]:
            size[k], shape[k] = n_in, in_shape
            continue
        got = {size[a] for a in pred[k] if (a, k) in forward}
        if len(got) > 1:
            raise NIRImportError(f"node {k!r} ({type_name(node)}) receives inputs of different sizes "
                                 f"{ {a: size[a] for a in pred[k] if a in size} }")
        n = got.pop()
        src_shape = next(shape[a] for a in pred[k] if (a, k) in forward)
        t = type_name(node)
        if t in NEURON_TYPES:
            own = _neuron_size(k, node)
            if own is not None and own != n:
                a = next(a for a in pred[k] if (a, k) in forward)
                raise NIRImportError(f"shape mismatch on edge ({a!r}, {k!r}): {a!r} ({type_name(nodes[a])}) gives {n} "
                                     f"values, {k!r} ({t}) has {own} neurons")
            size[k], shape[k] = n, src_shape if int(np.prod(src_shape)) == n else (n,)
        elif t == "Delay":
            d = as_array(node.delay).ravel()
            if d.size not in (1, n):
                raise NIRImportError(f"node {k!r} (Delay): {d.size} delays for {n} values")
            size[k], shape[k] = n, src_shape
        elif isinstance(node, (nir.Output, _Identity)):
            size[k], shape[k] = n, src_shape
        else:
            sh = src_shape
            if t in ("SumPool2d", "AvgPool2d", "Conv2d") and len(sh) == 4 and sh[0] == 1:
                sh = sh[1:]                                   # a leading batch dimension of 1
            try:
                M, b, out_shape = node_map(k, node, n, sh)
            except NIRImportError:
                raise
            except Exception as exc:          # a malformed parameter (shape, type) of the node
                raise NIRImportError(f"node {k!r} ({t}): {type(exc).__name__}: {exc}") from None
            if M.shape[0] != n:
                a = next(a for a in pred[k] if (a, k) in forward)
                raise NIRImportError(f"shape mismatch on edge ({a!r}, {k!r}): {a!r} gives {n} values, {k!r} ({t}) "
                                     f"takes {M.shape[0]}")
            maps[k] = (M.tocsr(), b)
            size[k], shape[k] = M.shape[1], tuple(out_shape)
    for a, b in back:
        want = maps[b][0].shape[0] if b in maps else size[b]
        if size[a] != want:
            raise NIRImportError(f"shape mismatch on recurrent edge ({a!r}, {b!r}): {a!r} ({type_name(nodes[a])}) gives "
                                 f"{size[a]} values, {b!r} ({type_name(nodes[b])}) takes {want}")

    an = Analysis(nodes=nodes, edges=edges, input=inputs[0], output=outputs[0], dt=dt)
    an.units[inputs[0]] = ("input", n_in, nodes[inputs[0]])
    for k in order:
        if type_name(nodes[k]) in NEURON_TYPES:
            an.units[k] = ("neuron", size[k], nodes[k])
    out_src = pred[outputs[0]]
    if len(out_src) == 1 and out_src[0] in an.units and an.units[out_src[0]][0] == "neuron":
        an.output_unit = out_src[0]
    else:
        an.units[outputs[0]] = ("readout", size[outputs[0]], nodes[outputs[0]])
        an.output_unit = outputs[0]

    _paths(an, succ, back, maps, size, dt)
    _depths(an, order)
    for c in an.contributions:
        base = an.depth[c.dst] - an.depth[c.src] + c.n_back + c.delay
        lo = base + min(int(c.pre_delay.min()) if c.pre_delay is not None else 0,
                        int(c.post_delay.min()) if c.post_delay is not None else 0)
        if lo < 1 and strict:
            path = " -> ".join(c.path)
            raise NIRImportError(f"the recurrent path {path} closes a loop through populations "
                                 f"{c.dst!r}..{c.src!r} that the core can run only with a delay of at least "
                                 f"{1 - lo + c.delay} more step(s): NIR gives the loop one step, the core one step per "
                                 f"population; add a Delay node of {(1 - lo) * dt:g} s to the recurrent edge")
        c.delay = base
    return an


def _delay_steps(name, node, dt):
    d = as_array(node.delay).ravel() / dt
    steps = np.rint(d).astype(np.int64)
    if np.any(np.abs(d - steps) > 1e-6 * np.maximum(1.0, np.abs(d))) or np.any(steps < 0):
        raise NIRImportError(f"node {name!r} (Delay): delays {as_array(node.delay).ravel()[:4]} s are not whole "
                             f"non-negative multiples of dt = {dt} s")
    return steps


def _paths(an, succ, back, maps, size, dt):
    """Every path unit -> linear nodes -> unit as a Contribution; every bias as BiasParts."""
    nodes = an.nodes
    count = [0]

    def is_unit(k):
        return k in an.units and an.units[k][0] != "input"

    def walk(origin, k, M, delay, n_back, pre_d, post_d, elementwise, seen, path, bias_mode):
        count[0] += 1
        if count[0] > MAX_PATHS:
            raise NIRImportError(f"the graph has more than {MAX_PATHS} paths between populations; spikesim does not "
                                 "expand it")
        for nxt in succ[k]:
            nb = n_back + ((k, nxt) in back)
            p = path + (nxt,)
            if is_unit(nxt):
                if bias_mode:
                    if pre_d is not None or post_d is not None:
                        raise NIRImportError(f"the bias of node {origin!r} passes a Delay with different delays per "
                                             "value; spikesim supports a uniform delay there")
                    an.biases.append(BiasPart(nxt, np.asarray(M).ravel().copy(), delay + nb, origin))
                else:
                    an.contributions.append(Contribution(origin, nxt, sp.csr_matrix(M), delay, nb, pre_d, post_d, p))
                continue
            if nxt in an.units or nxt == an.output:        # Output read straight from a neuron: not a path
                continue
            if nxt in seen:
                raise NIRImportError(f"the linear nodes {' -> '.join(p)} form a loop with no neuron in it (an algebraic "
                                     "loop), which has no discrete-time meaning")
            node = nodes[nxt]
            t = type_name(node)
            M2, d2, pre2, post2, el2 = M, delay, pre_d, post_d, elementwise and t in ELEMENTWISE
            if t == "Delay":
                steps = _delay_steps(nxt, node, dt)
                if steps.size == 1 or np.all(steps == steps[0]):
                    d2 = delay + int(steps[0])
                elif elementwise and not bias_mode:
                    pre2 = steps if pre_d is None else pre_d + steps
                else:
                    post2 = steps if post_d is None else post_d + steps
            elif t != "_Identity":
                if post_d is not None and t not in ELEMENTWISE:
                    raise NIRImportError(f"node {nxt!r} ({t}) follows a Delay with different delays per value "
                                         f"(on path {' -> '.join(p)}); spikesim needs such a Delay next to a "
                                         "population")
                Mw, b = maps[nxt]
                M2 = M @ Mw
            walk(origin, nxt, M2, d2, nb, pre2, post2, el2, seen | {nxt}, p, bias_mode)

    def walk_bias(origin, b):
        walk(origin, origin, b[None, :], 0, 0, None, None, False, {origin}, (origin,), True)

    for u, (kind, n, _) in list(an.units.items()):
        if kind == "readout":
            continue
        walk(u, u, sp.identity(n, format="csr"), 0, 0, None, None, True, set(), (u,), False)
    for k, (_, b) in maps.items():
        if b is not None:
            walk_bias(k, b)


def _depths(an, order):
    an.depth = {an.input: 0}
    forward = [c for c in an.contributions if c.n_back == 0]
    incoming = {}
    for c in forward:
        incoming.setdefault(c.dst, []).append(c.src)
    pending = [u for u in an.units if u != an.input]
    while pending:
        progressed = False
        for u in list(pending):
            srcs = incoming.get(u, [])
            if all(s in an.depth for s in srcs):
                an.depth[u] = 1 + max((an.depth[s] for s in srcs), default=0)
                pending.remove(u)
                progressed = True
        if not progressed:
            raise NIRImportError(f"populations {pending} are fed only through recurrent edges")
