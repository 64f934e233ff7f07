"""NIR graphs for the interop tests, and norse running them step by step (float64).

Parameters are chosen so that norse (which stores its neuron parameters in float32) computes
the same float64 numbers as spikesim: dt and time constants are powers of two, weights are
float32 values. Spikes then agree exactly; membrane values to summation order (1e-12)."""
from __future__ import annotations

import logging
import warnings

import numpy as np

nir = __import__("pytest").importorskip("nir")

DT = 2.0 ** -10          # s


def f32(a):
    return np.asarray(a, np.float32).astype(np.float64)


def lif(n, tau=2.0 ** -6, th=1.0):
    return nir.LIF(tau=np.full(n, tau), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.full(n, th),
                   v_reset=np.zeros(n))


def cuba(n, th=0.5):
    return nir.CubaLIF(tau_syn=np.full(n, 2.0 ** -7), tau_mem=np.full(n, 2.0 ** -5), r=np.ones(n), v_leak=np.zeros(n),
                       v_threshold=np.full(n, th), v_reset=np.zeros(n))


def hand_graph(seed=1, n_in=5, n_h=8, n_o=3, delay_steps=0):
    """Input -> Affine -> LIF [-> Delay] -> Affine -> CubaLIF (recurrent Linear) -> Output."""
    rng = np.random.default_rng(seed)
    nodes = {"in": nir.Input(np.array([n_in])),
             "fc1": nir.Affine(f32(rng.normal(0, 6, (n_h, n_in))), f32(rng.normal(0.5, 0.5, n_h))),
             "lif": lif(n_h),
             "fc2": nir.Affine(f32(rng.normal(0, 8, (n_o, n_h))), f32(rng.normal(0, .2, n_o))),
             "cuba": cuba(n_o),
             "rec": nir.Linear(f32(rng.normal(0, 4, (n_o, n_o)))),
             "out": nir.Output(np.array([n_o]))}
    edges = [("in", "fc1"), ("fc1", "lif"), ("fc2", "cuba"), ("cuba", "rec"), ("rec", "cuba"), ("cuba", "out")]
    if delay_steps:
        nodes["delay"] = nir.Delay(np.full(n_h, delay_steps * DT))
        edges += [("lif", "delay"), ("delay", "fc2")]
    else:
        edges += [("lif", "fc2")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def spikes_in(T, n, p=0.3, seed=0):
    return (np.random.default_rng(seed).random((T, n)) < p).astype(np.float64)


def norse_run(graph, x, dt=DT):
    """norse.torch.from_nir(graph) run over the rows of x, in float64."""
    import torch
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import norse.torch as nt
    m = nt.from_nir(graph, dt=dt).double()
    state, outs = None, []
    with torch.no_grad():
        for t in range(x.shape[0]):
            o, state = m(torch.from_numpy(x[t][None]), state)
            outs.append(o.reshape(-1).numpy().copy())
    logging.disable(logging.NOTSET)
    return np.array(outs)


def norse_run_delayed(graph, x, delay_steps, dt=DT):
    """The hand graph with its Delay node, in norse: norse's own modules for every node (what
    ``from_nir`` builds), run in graph order, with the delay line (which norse's ``from_nir``
    lacks) as a queue of the LIF layer's spikes."""
    import torch
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    from norse.torch.utils.import_nir import _import_norse_module
    mods = {k: _import_norse_module(graph.nodes[k], dt=dt).double() for k in ("fc1", "lif", "fc2", "cuba", "rec")}
    s_lif = s_cuba = None
    line = [torch.zeros(1, graph.nodes["fc1"].weight.shape[0], dtype=torch.float64)] * delay_steps
    rec_prev, outs = None, []
    with torch.no_grad():
        for t in range(x.shape[0]):
            h = mods["fc1"](torch.from_numpy(x[t][None]))
            z, s_lif = mods["lif"](h, s_lif)
            line.append(z)
            zd = line.pop(0)
            u = mods["fc2"](zd)
            if rec_prev is not None:
                u = u + rec_prev
            zc, s_cuba = mods["cuba"](u, s_cuba)
            rec_prev = mods["rec"](zc)
            outs.append(zc.reshape(-1).numpy().copy())
    logging.disable(logging.NOTSET)
    return np.array(outs)
