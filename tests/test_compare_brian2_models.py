"""Cross-validation of the model library against Brian2 (numpy target), from the same model source.

:mod:`spikesim.compare.brian2` translates each model's scalar functions into Brian2 abstract code;
these tests run small networks with every built-in synapse model (Exponential with exact
charge and two time constants per neuron, Alpha, Conductance, AlphaConductance), in-loop
Gaussian noise, LIF with threshold-only refractoriness, Hodgkin-Huxley and a user-defined model
(a per-neuron ``if`` whose other branch divides by zero, ``min``/``max``, ``t``), on spikesim
(numba) and on Brian2, and require identical spikes and state over the whole run.

Timing on the 2-core machine (loaded): about 40 s for the file (Brian2's numpy target runs one numpy
call per statement; Hodgkin-Huxley's libm functions are called element by element).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import spikesim as ss

pytest.importorskip("brian2")
from spikesim.compare import brian2 as cb  # noqa: E402


def _same(ours, theirs, pops, states=()):
    for pop in pops:
        (t1, i1), (t2, i2) = ours.spikes(pop), theirs.spikes(pop)
        assert t1.size > 0, f"{pop}: no spikes, the comparison would be empty"
        assert np.array_equal(t1, t2) and np.array_equal(i1, i2), f"{pop}: {t1.size} vs {t2.size} spikes"
    for pop, var in states:
        a, b = ours.state(pop, var), theirs.state(pop, var)
        assert a.shape == b.shape and a.size > 0
        assert np.any(a != a[0]), f"{pop}.{var} never changes"
        np.testing.assert_array_equal(a, b, err_msg=f"{pop}.{var}")


def synapse_zoo(seed: int = 3) -> ss.Network:
    """LIF populations fed by every synapse model, Poisson and Gaussian-noise inputs, dt 0.1 ms."""
    rng = np.random.default_rng(seed)
    net = ss.Network(dt=0.1, seed=seed)
    Ne, Ni, Nc, Np = 120, 30, 40, 60
    exc = net.add(ss.neurons.LIF(Ne, tau_m=20.0, v_rest=-49.0, v_reset=-60.0, v_th=-50.0, t_ref=5.0,
                                 v0=rng.uniform(-60, -50, Ne)), name="exc")
    inh = net.add(ss.neurons.LIF(Ni, tau_m=rng.uniform(15, 25, Ni), v_rest=-60.0, v_reset=-60.0, v_th=-50.0,
                                 t_ref=2.0, refractory="threshold", v0=rng.uniform(-60, -50, Ni)), name="inh")
    cob = net.add(ss.neurons.LIF(Nc, tau_m=20.0, v_rest=-60.0, v_reset=-60.0, v_th=-50.0, t_ref=5.0,
                                 v0=rng.uniform(-60, -50, Nc)), name="cob")
    bg = net.add(ss.inputs.Poisson(Np, rng.uniform(20, 60, Np)), name="bg")

    def conn(pre, post, n_pre, n_post, p, w, syn, dmax=2.0):
        m = rng.random((n_pre, n_post)) < p
        i, j = np.nonzero(m)
        net.connect(pre, post, (i, j, w * rng.uniform(0.5, 1.5, i.size)),
                    delays=np.round(rng.uniform(0.1, dmax, i.size), 1), synapse=syn)

    ampa, gaba = ss.synapses.Exponential(5.0, name="ampa"), ss.synapses.Exponential(10.0, name="gaba")
    conn(exc, exc, Ne, Ne, 0.05, 1.5, ampa)
    conn(exc, inh, Ne, Ni, 0.1, 1.5, ampa)
    conn(inh, exc, Ni, Ne, 0.1, -4.0, gaba)
    conn(bg, exc, Np, Ne, 0.1, 2.0, ss.synapses.Alpha(2.0, name="alpha"))
    conn(bg, inh, Np, Ni, 0.2, 3.0, ss.synapses.Alpha(1.0, name="alpha"))
    conn(exc, cob, Ne, Nc, 0.1, 0.6, ss.synapses.Conductance(5.0, 0.0, name="ge"))
    conn(inh, cob, Ni, Nc, 0.2, 0.8, ss.synapses.Conductance(10.0, -80.0, name="gi"))
    conn(bg, cob, Np, Nc, 0.1, 0.3, ss.synapses.AlphaConductance(3.0, 0.0, name="ga"))
    net.inject(inh, ss.inputs.GaussianCurrent(mean=rng.uniform(8, 11, Ni), sd=3.0))
    net.inject(cob, ss.inputs.GaussianCurrent(mean=5.0, sd=rng.uniform(1, 4, Nc)))
    net.inject(cob, 2.0)
    net.record(exc, state=("v", "ampa", "gaba", "alpha.g", "alpha.h"), every=7)
    net.record(inh, state=("v", "ref"), every=3)
    net.record(cob, state=("v", "ge", "gi", "ga.h"), ids=np.arange(0, Nc, 3))
    net.record(bg)
    return net


@pytest.fixture(scope="module")
def zoo():
    T = 200.0
    return synapse_zoo().run(T), cb.run(synapse_zoo(), T)


def test_synapse_models_and_noise_bit_identical(zoo):
    ours, theirs = zoo
    _same(ours, theirs, ["exc", "inh", "cob", "bg"],
          [("exc", "v"), ("exc", "ampa"), ("exc", "gaba"), ("exc", "alpha.g"), ("exc", "alpha.h"),
           ("inh", "v"), ("inh", "ref"), ("cob", "v"), ("cob", "ge"), ("cob", "gi"), ("cob", "ga.h")])
    np.testing.assert_array_equal(ours.state_times("cob"), theirs.state_times("cob"))
    assert theirs.state("cob", "v").shape[1] == 14


def hh_network(seed: int = 5, n: int = 100) -> ss.Network:
    """Hodgkin-Huxley (Traub-Miles) E/I network with conductance synapses (COBAHH in miniature)."""
    rng = np.random.default_rng(seed)
    net = ss.Network(dt=0.1, seed=seed)
    ne = int(0.8 * n)
    hh = net.add(ss.neurons.HodgkinHuxley(n, v=-60.0 + 10.0 * rng.standard_normal(n)), name="hh")
    bg = net.add(ss.inputs.Poisson(50, 40.0), name="bg")
    m = rng.random((n, n)) < 0.1
    i, j = np.nonzero(m[:ne])
    net.connect(hh, hh, (i, j, np.full(i.size, 6.0)), synapse=ss.synapses.Conductance(5.0, 0.0, name="ge"))
    i, j = np.nonzero(m[ne:])
    net.connect(hh, hh, (i + ne, j, np.full(i.size, 67.0)), synapse=ss.synapses.Conductance(10.0, -80.0, name="gi"))
    i, j = np.nonzero(rng.random((50, n)) < 0.2)
    net.connect(bg, hh, (i, j, np.full(i.size, 20.0)), delays=0.5, synapse=ss.synapses.Conductance(5.0, 0.0, name="ge"))
    net.inject(hh, rng.uniform(0.0, 400.0, n))
    net.record(hh, state=("v", "m", "n", "h", "ref", "ge"), every=4)
    return net


def test_hodgkin_huxley_bit_identical():
    T = 120.0
    ours, theirs = hh_network().run(T), cb.run(hh_network(), T)
    _same(ours, theirs, ["hh"], [("hh", v) for v in ("v", "m", "n", "h", "ref", "ge")])


class Clipped(ss.neurons.NeuronModel):
    """A user's model exercising the translator: an ``if`` block on a per-neuron value whose
    other branch divides by zero, a helper with an early return, min/max and the time t."""

    state = {"v": 0.0, "w": 0.0}
    params = {"tau": 10.0, "k": 0.5, "period": 25.0}

    @staticmethod
    def derived(dt, tau):
        return {"decay": math.exp(-dt / tau)}

    @staticmethod
    def update(v, w, I, t, decay, k, period):
        drive = I * (1.0 + 0.5 * math.sin(2.0 * math.pi * t / period))
        if v > 0.0:
            r = w / v
        else:
            r = 0.0
        v = v * decay + drive - k * min(r, 2.0)
        return v, _saturate(w + 0.1 * (v - w), 3.0)

    @staticmethod
    def threshold(v):
        return v >= 1.5

    @staticmethod
    def reset(v, w):
        return -0.5, max(w - 1.0, -2.0)


def _saturate(x, top):
    if x > top:
        return top
    return x


def test_user_model_with_branches_and_time():
    def build():
        net = ss.Network(dt=0.1, seed=1)
        a = net.add(Clipped(30, k=np.linspace(0.1, 0.9, 30), v=np.linspace(-1, 1, 30)), name="a")
        src = net.add(ss.inputs.Poisson(10, 100.0), name="src")
        net.connect(src, a, np.full((10, 30), 0.05), delays=0.3, synapse=ss.synapses.Exponential(2.0, name="s"))
        net.inject(a, np.linspace(0.05, 0.3, 30))
        net.record(a, state=("v", "w", "s"))
        return net
    ours, theirs = build().run(150.0), cb.run(build(), 150.0)
    _same(ours, theirs, ["a"], [("a", "v"), ("a", "w"), ("a", "s")])


def test_untranslatable_model_is_refused_with_its_name():
    class Looping(ss.neurons.NeuronModel):
        state = {"v": 0.0}
        params = {}

        @staticmethod
        def update(v, I):
            for _ in range(2):
                v = v + I
            return (v,)

        @staticmethod
        def threshold(v):
            return v > 1.0

        @staticmethod
        def reset(v):
            return (0.0,)

    net = ss.Network(dt=0.1)
    net.add(Looping(3), name="p")
    with pytest.raises(NotImplementedError, match=r"Looping\).update.*For"):
        cb.run(net, 1.0)
