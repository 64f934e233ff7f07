"""Small networks with core readouts (spikesim.core.readout) and channel currents, shared by
tests/test_core_readout.py (reference == numba) and tests/test_cuda_backend.py (cuda == numba)."""
from __future__ import annotations

import numpy as np

import spikesim as ss
from spikesim.core.channels import ChannelCurrent
from spikesim.core.readout import Readout


def reservoir_net(backend: str, rule: str = "nlms", n_exc: int = 16, n_inh: int = 4, steps: int = 60,
                  feedback: str = "closed", dt: float = 1.0, seed: int = 3):
    """An Izhikevich E/I reservoir with noise, a cue channel and a learning readout with feedback."""
    rng = np.random.default_rng(seed)
    n = n_exc + n_inh
    net = ss.Network(dt=dt, seed=seed, backend=backend)
    E = net.add(ss.neurons.Izhikevich(n_exc, a=0.02, b=0.2, c=-65 + 15 * rng.random(n_exc) ** 2,
                                      d=8 - 6 * rng.random(n_exc) ** 2, tau_syn=20.0), "exc")
    I = net.add(ss.neurons.Izhikevich(n_inh, a=0.02 + 0.08 * rng.random(n_inh), b=0.25, c=-65.0, d=2.0,
                                      tau_syn=20.0), "inh")
    for pre, npre, sign in ((E, n_exc, 1.0), (I, n_inh, -2.0)):
        for post, npost in ((E, n_exc), (I, n_inh)):
            w = sign * 3.0 * rng.random((npre, npost)) * (rng.random((npre, npost)) < 0.4)
            net.connect(pre, post, w, target="I_syn")
    cue = ChannelCurrent(12.0 * (rng.random((2, n_exc)) < 0.5), steps)
    net.inject(E, cue)
    net.inject(E, 4.0)
    net.inject(E, ss.inputs.GaussianCurrent(0.0, 2.0, method="ziggurat"))
    net.inject(I, ss.inputs.GaussianCurrent(1.0, 2.0))
    ro = net.add_readout([E, I], Readout(2, steps, rule=rule, eta=0.5, rls_every=3,
                                         feedback=rng.uniform(-2, 2, (2, n))))
    net.record(E)
    net.record(I)
    amp = np.zeros((steps, 2))
    amp[5:15, 0] = 1.0
    amp[30:35, 1] = 1.0
    t = np.arange(steps)
    teacher = np.stack([np.exp(-0.5 * ((t - 25) / 6.0) ** 2), np.exp(-0.5 * ((t - 40) / 6.0) ** 2)], axis=1)
    gate = np.zeros((steps, 2))
    gate[5:, 0] = 1.0
    gate[10:, 1] = 0.5
    return net, ro, cue, (amp, teacher, gate, feedback)


def run_trials(net, ro, cue, sig, n_trials: int = 2):
    """``n_trials`` trials: window signals set, run, outputs read, features reset between trials."""
    amp, teacher, gate, feedback = sig
    steps = amp.shape[0]
    out = {}
    for j in range(n_trials):
        net.set_amplitudes(cue, amp)
        net.set_readout(ro, teacher=teacher, gate=gate, feedback=feedback if j == 0 else "teacher",
                        window=(5, 25), reset_features=True)
        res = net.run(steps * net.dt)
        got = net.readout_result(ro, rls=True)
        for pop in ("exc", "inh"):
            out[f"{j}/{pop}/t"], out[f"{j}/{pop}/i"] = res.spikes(pop)
        out[f"{j}/z"], out[f"{j}/mean"], out[f"{j}/W"] = got["z"], got["mean"], got["weights"]
        out[f"{j}/P"] = got["P"]
        out[f"{j}/v"] = net.get_state("exc", "v")
    return out


def rate_net(backend: str, n: int = 12, steps: int = 40, seed: int = 4):
    """A tanh rate reservoir (continuous coupling) read through its ``phi`` with an NLMS readout."""
    rng = np.random.default_rng(seed)
    net = ss.Network(dt=1.0, seed=seed, backend=backend)
    R = net.add(ss.neurons.TanhRate(n, tau=5.0, x0=rng.uniform(-0.1, 0.1, n)), "rate")
    w = rng.standard_normal((n, n)) * 1.3 / np.sqrt(n)
    net.connect(R, R, w, synapse=ss.synapses.LinearRateCoupling())
    cue = ChannelCurrent(rng.random((1, n)) < 0.5, steps)
    net.inject(R, cue)
    net.inject(R, ss.inputs.GaussianCurrent(0.0, 0.05, method="ziggurat"))
    ro = net.add_readout(R, Readout(2, steps, feature="phi", rule="nlms", eta=0.2,
                                    feedback=rng.uniform(-1, 1, (2, n))))
    net.record(R, spikes=False, state="phi")
    amp = np.zeros((steps, 1))
    amp[3:8, 0] = 1.0
    t = np.arange(steps)
    teacher = np.stack([np.exp(-0.5 * ((t - 15) / 4.0) ** 2), np.exp(-0.5 * ((t - 25) / 4.0) ** 2)], axis=1)
    gate = np.ones((steps, 2))
    return net, ro, cue, (amp, teacher, gate, "closed")


def run_rate_trials(net, ro, cue, sig, n_trials: int = 2):
    amp, teacher, gate, feedback = sig
    out = {}
    for j in range(n_trials):
        net.set_amplitudes(cue, amp)
        net.set_readout(ro, teacher=teacher, gate=gate, feedback=feedback, window=(3, 10), reset_features=True)
        res = net.run(amp.shape[0] * net.dt)
        got = net.readout_result(ro)
        out[f"{j}/phi"] = res.state("rate", "phi")
        out[f"{j}/z"], out[f"{j}/mean"], out[f"{j}/W"] = got["z"], got["mean"], got["weights"]
    return out
