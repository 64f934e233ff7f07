"""The HLOP spiking MLP (:class:`spikesim.models.hlop_mlp.SpikingMLP`, BPTT variant) as a NIR graph,
which runs back in the core through :mod:`spikesim.interop.nir`.

The BPTT network's neuron is v <- (1 - dt/tau) v + I[t], z = v > 1, v <- v - z (norse's box LIF
with dt * tau_mem_inv = 1/tau = 0.5, fed I * tau). With one step per unit of time (dt = 1 s in
NIR's units) this is a NIR LIF with tau = 1/dt_tau, r = 1/dt_tau, v_leak = 0, v_threshold = 1,
run with the "norse" (forward Euler) scheme; its reset by subtraction is carried in the node's
``metadata["spikesim.reset"] = "subtract"`` (NIR 1.0 resets to a value only; other tools reading
the graph will reset to 0). The image enters as a constant input at every step (direct coding):
run the graph on ``np.repeat(x[None], T, 0)``; the Output is the head's value at each step,
whose mean over the T steps is the model's logits.

The DSR variant (threshold at alpha * Vth, spikes of height Vth/dt, weighted firing-rate
readout) is not a NIR LIF and is refused here; it runs in the core through
:mod:`spikesim.models.hlop_mlp_lowering` (DSR neurons, ``--set inference=core``).
"""
from __future__ import annotations

import numpy as np

DT = 1.0      # s: one network step per unit of NIR time


def mlp_to_nir(model, task: int = 0):
    """``(graph, dt)`` for a BPTT :class:`~spikesim.models.hlop_mlp.SpikingMLP`; ``task`` picks the
    head of a multi-head network."""
    import nir
    if getattr(model, "training_method", None) != "bptt":
        raise NotImplementedError("only the BPTT SpikingMLP exports to NIR: the DSR neuron (threshold alpha*Vth, "
                                  "spikes of height Vth/dt, weighted-rate readout) is not a NIR LIF; it runs in "
                                  "the core through spikesim.models.hlop_mlp_lowering.lower_mlp")
    if not 0 <= int(task) < model.n_heads:
        raise ValueError(f"task must be in [0, {model.n_heads}), got {task}")
    w = [lin.weight.detach().double().cpu().numpy() for lin in model.linears]
    head = w[2][int(task) * model.n_out:(int(task) + 1) * model.n_out]

    def lif(layer, n):
        k = layer.dt_tau
        p = layer.p
        return nir.LIF(tau=np.full(n, DT / k), r=np.full(n, 1.0 / k), v_leak=np.zeros(n),
                       v_threshold=np.full(n, float(p.v_th)), v_reset=np.zeros(n),
                       metadata={"spikesim.reset": "subtract"})
    h = model.hidden
    nodes = {"input": nir.Input(np.array([model.n_in])), "fc1": nir.Linear(w[0]), "lif1": lif(model.lif1, h),
             "fc2": nir.Linear(w[1]), "lif2": lif(model.lif2, h), "head": nir.Linear(head),
             "output": nir.Output(np.array([model.n_out]))}
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "head"), ("head", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"spikesim.scheme": "norse", "spikesim.dt_s": DT,
                                                              "source": "hlop SpikingMLP"}), DT


def nir_logits(graph, x, T: int, dt: float = DT, backend: str = "numba"):
    """The logits (n_out,) of one input vector ``x`` run through ``graph`` in the core for T
    steps, and the core's Result (its ``meta["synaptic_events"]``)."""
    from spikesim.interop import nir as snir
    xs = np.repeat(np.asarray(x, dtype=np.float64).reshape(1, -1), int(T), axis=0)
    out, res = snir.run(graph, xs, dt, backend=backend, return_result=True)
    return out.mean(axis=0), res
