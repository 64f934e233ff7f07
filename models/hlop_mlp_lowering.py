"""HLOP's DSR-trained spiking MLP (:class:`spikesim.models.hlop_mlp.SpikingMLP`) lowered to the
core: the same inference as the torch forward pass, event-driven, with the core counting its
synaptic events.

What becomes what (Xiao et al., ICLR 2024; the DSR neuron of Meng et al., CVPR 2022, equations
in :mod:`spikesim.nn.dsr_lif`):

* the first linear layer sees the analog image (direct coding): W1 x is computed outside the
  core (MACs, as the paper counts them) and held as the drive ``x`` of the first hidden layer
  for the T steps of a sample;
* each hidden layer -> a :class:`~spikesim.neurons.DSRNeuron` population with the layer's
  trained threshold (u <- beta u + (1 - beta) I, spike at u >= alpha V_th, u <- u - V_th);
* a spike of a DSR layer is an output V_th / dt_m, so fc2 becomes synapses of weight
  W2 V_th1 / dt_m (one-step ``Pulse`` currents) and the head synapses of weight
  W_head V_th2 / dt_m into n_out :class:`~spikesim.neurons.WindowRate` units with the DSR decay
  beta and a window of T steps: at the window's last step their state ``a`` is
  W_head wfr(o2), the model's logits (wfr: the weighted firing rate, sum_t beta^(T-t) o[t] /
  sum_t beta^(T-t));
* exact zeros of a weight matrix (pruned weights) are not synapses.

**Pipelining.** Every projection takes one step, so hidden layer l sees the model's step t at
core step t + l - 1 and the head at t + 2; one sample takes T + 2 steps. A hidden layer fires
only in its own T steps (``DSRNeuron``'s window). Between samples the state is set to zero and
pending spikes are dropped (no rebuild). A multi-head network is lowered for one task's head.

**Counts.** ``synaptic_events`` are the core's (spikes x out-degree); ``macs`` the first layer's
n_in x hidden, computed once per sample (the drive is constant over the T steps).
"""
from __future__ import annotations

import math

import numpy as np
import torch

import spikesim as ss
from spikesim.models.hlop_mlp import SpikingMLP
from spikesim.nn.dsr_lif import DSRLIF


def _synapses(W: np.ndarray, scale: float):
    """(pre, post, w) of the (n_post, n_pre) matrix ``W`` times ``scale``, exact zeros left out."""
    post, pre = np.nonzero(W)
    return pre.astype(np.int64), post.astype(np.int64), W[post, pre] * scale


class CoreMLP:
    """The core network of a DSR :class:`SpikingMLP` for the head of ``task`` (module docstring).
    ``run(x)`` infers one input; ``predict(X)`` a batch, one sample after the other."""

    def __init__(self, model: SpikingMLP, task: int = 0, backend: str = "numba", threads: int | None = 1,
                 dtype="float64"):
        if not isinstance(model, SpikingMLP):
            raise TypeError(f"model must be a spikesim.models.hlop_mlp.SpikingMLP, got {type(model).__name__}")
        if model.training_method != "dsr" or not isinstance(model.lif1, DSRLIF):
            raise ValueError("only the DSR-trained SpikingMLP lowers to DSR neurons; a BPTT network runs in "
                             "the core through NIR (spikesim.models.hlop_nir.mlp_to_nir)")
        if isinstance(task, bool) or int(task) != task or not 0 <= int(task) < model.n_heads:
            raise ValueError(f"task must be an integer in [0, {model.n_heads}), got {task!r}")
        l1, l2 = model.lif1, model.lif2
        if (l1.tau, l1.dt, l1.alpha) != (l2.tau, l2.dt, l2.alpha):
            raise ValueError("the two DSR layers must share tau, dt and alpha")
        self.model, self.task, self.T = model, int(task), model.T
        self.dt_m = l1.dt
        self.beta = math.exp(-l1.dt / l1.tau)
        vth1, vth2 = float(l1.vth.detach()), float(l2.vth.detach())
        w = [lin.weight.detach().double().cpu().numpy() for lin in model.linears]
        self.W1 = w[0]
        lo = self.task * model.n_out
        head = w[2][lo:lo + model.n_out]
        T, h = self.T, model.hidden
        net = ss.Network(dt=1.0, seed=0, backend=backend, threads=threads, dtype=dtype)
        net.add(ss.neurons.DSRNeuron(h, beta=self.beta, v_th=vth1, alpha=l1.alpha, on=0.0, off=float(T)), name="lif1")
        net.add(ss.neurons.DSRNeuron(h, beta=self.beta, v_th=vth2, alpha=l2.alpha, on=1.0, off=float(T + 1)),
                name="lif2")
        net.add(ss.neurons.WindowRate(model.n_out, beta=self.beta, window=T), name="head")
        net.connect("lif1", "lif2", _synapses(w[1], vth1 / self.dt_m), delays=1.0, synapse=ss.synapses.Pulse())
        net.connect("lif2", "head", _synapses(head, vth2 / self.dt_m), delays=1.0, synapse=ss.synapses.Pulse())
        net.record("lif1", spikes=True)
        net.record("lif2", spikes=True)
        self.net = net
        self.n_steps = T + 2
        self.degree = {"lif1": np.count_nonzero(w[1], axis=0), "lif2": np.count_nonzero(head, axis=0)}

    def drive(self, x) -> np.ndarray:
        """W1 x of one input (any shape with n_in values), float64."""
        x = np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x, dtype=np.float64).reshape(-1)
        if x.size != self.model.n_in:
            raise ValueError(f"input has {x.size} values, the network expects {self.model.n_in}")
        if not np.all(np.isfinite(x)):
            raise ValueError("input has non-finite values")
        return self.W1 @ x

    def run(self, x) -> dict:
        """Infer one input: ``logits`` (n_out,), ``spikes`` ({"lif1", "lif2"} -> [T, hidden] bool,
        the model's steps), ``synaptic_events`` (the core's count), ``macs`` (the first layer)."""
        net = self.net
        drive = self.drive(x)
        for name in ("lif1", "lif2"):
            net.set_state(name, "u", 0.0)
            net.set_state(name, "age", 0.0)
        net.set_state("lif1", "x", drive)
        net.set_state("head", "acc", 0.0)
        net.set_state("head", "k", float((-2) % self.T))      # the head's window starts at core step 2
        net.clear_pending()
        t0 = net.t
        res = net.run(float(self.n_steps))
        spikes, events = {}, 0
        for lag, name in enumerate(("lif1", "lif2")):
            t, i = res.spikes(name)
            step = np.rint(t - t0).astype(np.int64) - lag
            if np.any((step < 0) | (step >= self.T)):
                raise AssertionError(f"layer {name} spiked outside its window")
            z = np.zeros((self.T, self.model.hidden), dtype=bool)
            z[step, i] = True
            spikes[name] = z
            events += int((z.sum(0) * self.degree[name]).sum())
        if events != net.last_run_stats["synaptic_events"]:
            raise AssertionError(f"events from the spikes {events} != the core's {net.last_run_stats['synaptic_events']}")
        return {"logits": net.get_state("head", "a"), "spikes": spikes, "synaptic_events": events,
                "macs": self.W1.size}

    def predict(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(logits (B, n_out), predicted classes (B,), synaptic events per sample (B,)) of the
        inputs ``X`` (B, ...)."""
        X = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
        if X.ndim < 1 or len(X) == 0:
            raise ValueError("X must hold at least one sample")
        out = [self.run(x) for x in X]
        logits = np.stack([o["logits"] for o in out])
        return logits, logits.argmax(1), np.array([o["synaptic_events"] for o in out], dtype=np.int64)

    def torch_run(self, x) -> tuple[np.ndarray, dict]:
        """(logits, {"lif1", "lif2"} -> [T, hidden] bool) of the torch forward pass on one input,
        in float64 (a double copy of the model as it was at the first call; the model itself is
        left as it is)."""
        if getattr(self, "_double", None) is None:       # one float64 copy, made on first use
            import copy
            self._double = copy.deepcopy(self.model).double().eval()
        m = self._double
        out, hooks = {}, []
        for name in ("lif1", "lif2"):
            hooks.append(getattr(m, name).register_forward_hook(
                lambda mod, i, o, name=name: out.__setitem__(name, (o[:, 0] > 0).cpu().numpy())))
        try:
            with torch.no_grad():
                xt = torch.as_tensor(np.asarray(x, dtype=np.float64).reshape(1, -1))
                logits, _ = m(xt, task=self.task if m.n_heads > 1 else None)
        finally:
            for hk in hooks:
                hk.remove()
        return logits[0].cpu().numpy(), out


def lower_mlp(model: SpikingMLP, task: int = 0, backend: str = "numba", threads: int | None = 1,
              dtype="float64") -> CoreMLP:
    """:class:`CoreMLP` of ``model`` for the head of ``task``; ``dtype``: of the core's weights and
    ring (``ss.Network``)."""
    return CoreMLP(model, task, backend=backend, threads=threads, dtype=dtype)
