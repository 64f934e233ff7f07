"""A core network as a NIR graph (:func:`spikesim.interop.nir.from_network`).

What exports: populations of :class:`~spikesim.neurons.nir_leaky.NIRLeaky` (LIF, LI, IF, I,
Threshold; a ``Readout`` with no outgoing projection becomes the Output node fed by Linear /
Affine nodes) and :class:`~spikesim.neurons.nir_cuba.NIRCuba` (CubaLIF, CubaLI), the one
population without incoming projections (a spike source, Poisson source or the importer's
input population) as the Input node, and projections with a
:class:`~spikesim.synapses.Pulse` synapse (spiking sources) or a
:class:`~spikesim.synapses.LinearCoupling` (non-spiking sources). Each projection becomes one
Linear node per distinct delay (Affine when the receiving population has a ``bias``), and a
Delay node before it holds whatever the delay exceeds the alignment lag that the importer
adds (see :mod:`spikesim.interop.nir_graph`): importing the graph back gives the same delays,
which is checked before the graph is returned. NIR's Linear holds a dense matrix, so a
projection exports as a dense (n_post, n_pre) array per distinct delay. The scheme (``exact``) goes into the graph's
metadata as ``"spikesim.scheme"``. Injected currents, initial state and ``t_on`` are not part
of a NIR graph and are not exported.
"""
from __future__ import annotations

import numpy as np

from spikesim.interop.nir_errors import NIRImportError


def _node(name, pop):
    import nir
    from spikesim.neurons.nir_cuba import NIRCuba
    from spikesim.neurons.nir_leaky import NIRLeaky
    p = pop.param_values
    if isinstance(pop, NIRLeaky):
        kind = pop.nir_kind
        if kind in ("LIF", "LI"):
            kw = dict(tau=p["tau"] * 1e-3, r=p["r"].copy(), v_leak=p["v_leak"].copy())
            if kind == "LIF":
                soft = np.unique(p["soft"])
                if soft.size > 1:
                    raise NIRImportError(f"population {name!r} mixes reset by value and by subtraction")
                meta = {"spikesim.reset": "subtract"} if soft[0] > 0 else {}
                return nir.LIF(**kw, v_threshold=p["v_th"].copy(), v_reset=p["v_reset"].copy(), metadata=meta)
            return nir.LI(**kw)
        if kind == "IF":
            return nir.IF(r=p["r"].copy(), v_threshold=p["v_th"].copy(), v_reset=p["v_reset"].copy())
        if kind == "I":
            return nir.I(r=p["r"].copy())
        if kind == "Threshold":
            return nir.Threshold(threshold=p["v_th"].copy())
        return None                                  # Readout: the Output node
    if isinstance(pop, NIRCuba):
        kw = dict(tau_syn=p["tau_syn"] * 1e-3, tau_mem=p["tau_mem"] * 1e-3, r=p["r"].copy(), v_leak=p["v_leak"].copy(),
                  w_in=p["w_in"].copy())
        if pop.nir_kind == "CubaLIF":
            return nir.CubaLIF(**kw, v_threshold=p["v_th"].copy(), v_reset=p["v_reset"].copy())
        return nir.CubaLI(**kw)
    raise NIRImportError(f"population {name!r} ({type(pop).__name__}) has no NIR equivalent; export networks of "
                         "NIRLeaky and NIRCuba populations (spikesim.neurons.nir_leaky / nir_cuba)")


def export(net, input=None, output=None):
    import nir
    from spikesim.core.inputs import Poisson, SpikeSource
    from spikesim.interop.nir_graph import analyse
    from spikesim.synapses.continuous import LinearCoupling
    from spikesim.synapses.pulse import Pulse
    pops = net.populations
    projs = net.projections
    if getattr(net, "_convs", None):
        raise NIRImportError(f"projection {net._convs[0].name!r} is a Conv2D: its export to NIR is not implemented; "
                             "connect its explicit synapses (Conv2D.synapses(dt)) to export the network")
    has_in = {pr.post for pr in projs}
    has_out = {pr.pre for pr in projs}
    sources = [k for k in pops if k not in has_in] if input is None else [net._name_of(input)]
    if len(sources) != 1:
        raise NIRImportError(f"a NIR graph has one Input node; populations without incoming projections: {sources}")
    src = sources[0]
    if src in has_in:
        raise NIRImportError(f"input population {src!r} receives projections")
    if not isinstance(pops[src], (SpikeSource, Poisson)) and getattr(pops[src], "nir_kind", None) != "Threshold":
        raise NIRImportError(f"population {src!r} ({type(pops[src]).__name__}) has no incoming projection; only a "
                             "spike source can be the Input node")
    sinks = [k for k in pops if k not in has_out and k != src]
    if output is not None:
        sinks = [net._name_of(output)]
    elif len(sinks) != 1:
        sinks = [k for k in net.records if k != src] if not sinks else sinks
    if len(sinks) != 1:
        raise NIRImportError(f"a NIR graph has one Output node; candidates (populations without outgoing projections, "
                             f"or else recorded ones): {sinks}; name it with output=")
    sink = sinks[0]
    exact = {float(pops[k].param_values["exact"][0]) for k in pops if k != src and hasattr(pops[k], "param_values")
             and "exact" in pops[k].param_values}
    if len(exact) > 1:
        raise NIRImportError("the populations mix the 'norse' and 'exact' schemes; a NIR graph is run with one")
    nodes = {src: nir.Input(np.array([pops[src].n]))}
    for k, pop in pops.items():
        if k == src:
            continue
        node = _node(k, pop)
        if node is None and (k != sink or k in has_out):
            raise NIRImportError(f"population {k!r} (NIRLeaky Readout) has outgoing projections; a readout can only be "
                                 "the output")
        if node is not None:
            nodes[k] = node
        late = pop.param_values.get("bias_late")
        if late is not None and np.any(late != 0):
            raise NIRImportError(f"population {k!r} has a bias_late; it is not exported")
    out_name = "output" if "output" not in nodes else "output_"
    readout = _node(sink, pops[sink]) is None
    nodes[out_name] = nir.Output(np.array([pops[sink].n]))
    edges = [] if readout else [(sink, out_name)]
    target = {k: (out_name if (k == sink and readout) else k) for k in pops}
    links = []                                   # (linear node, pre, post target, delay steps)
    biased = set()
    for j, pr in enumerate(projs):
        syn = pr.synapse
        if not isinstance(syn, (Pulse, LinearCoupling)):
            raise NIRImportError(f"projection {pr.pre}->{pr.post} has a {type(syn).__name__} synapse; NIR edges "
                                 "export from Pulse (spiking) or LinearCoupling (non-spiking) projections")
        w = net.weights(pr)
        steps = np.asarray(pr.delay_steps) if isinstance(syn, Pulse) else np.ones(w.size, np.int64)
        for d in np.unique(steps):
            sel = steps == d
            W = np.zeros((pops[pr.post].n, pops[pr.pre].n))
            np.add.at(W, (pr.post_idx[sel], pr.pre_idx[sel]), w[sel])
            name = f"{pr.pre}->{pr.post}#{j}" + (f"d{int(d)}" if len(np.unique(steps)) > 1 else "")
            bias = pops[pr.post].param_values.get("bias")
            if pr.post not in biased and bias is not None and np.any(bias != 0):
                nodes[name] = nir.Affine(W, bias.copy())
                biased.add(pr.post)
            else:
                nodes[name] = nir.Linear(W)
            links.append((name, pr.pre, target[pr.post], int(d)))
    for k, pop in pops.items():
        b = getattr(pop, "param_values", {}).get("bias")
        if b is not None and np.any(b != 0) and k not in biased:
            raise NIRImportError(f"population {k!r} has a bias but no incoming projection to carry it")
    edges += [(pre, name) for name, pre, _, _ in links] + [(name, post) for name, _, post, _ in links]
    metadata = {"spikesim.scheme": "exact" if exact == {1.0} else "norse", "spikesim.dt_ms": net.dt}
    dt_s = net.dt * 1e-3
    graph = nir.NIRGraph(nodes=dict(nodes), edges=list(edges), metadata=metadata, type_check=False)
    # the lag the importer adds on each path, from the graph without Delay nodes
    lag = {(c.src, c.path[1]): c.delay for c in analyse(graph, dt_s, strict=False).contributions}
    for name, pre, post, d in links:
        extra = d - lag[(pre, name)]
        if extra < 0:
            raise NIRImportError(f"projection {pre}->{post} has a delay of {d} step(s), less than the {lag[(pre, name)]} "
                                 "that the graph's structure implies in the core; it cannot be exported")
        if extra > 0:
            dname = f"{name}.delay"
            nodes[dname] = nir.Delay(np.full(pops[pre].n, extra * dt_s))
            edges.remove((pre, name))
            edges += [(pre, dname), (dname, name)]
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)
    check = analyse(graph, dt_s)
    got = {}
    for c in check.contributions:
        got.setdefault((c.src, c.dst), set()).add(c.delay)
    for name, pre, post, d in links:
        if d not in got.get((pre, post), set()):
            raise NIRImportError(f"projection {pre}->{post}: the exported graph would import with delays "
                                 f"{sorted(got.get((pre, post), set()))}, not {d}")
    return graph
