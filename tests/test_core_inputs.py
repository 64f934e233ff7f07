"""Time-varying Poisson rates, PoissonInput and Tsodyks-Markram short-term plasticity:
hand-computed values, statistics, and reference == numba bit for bit."""
import math

import numpy as np
import pytest

import spikesim as ss
from test_synapse_models import Integrator

BACKENDS = ["reference", "numba"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_poisson_rate_over_time(backend):
    rate = np.zeros((400, 1))
    rate[200:] = 500.0
    net = ss.Network(dt=0.1, seed=2, backend=backend)
    bg = net.add(ss.inputs.Poisson(30, rate_hz=rate), name="bg")
    net.record(bg)
    t, i = net.run(40.0).spikes(bg)
    assert t.size and t.min() >= 20.0
    assert t.size == pytest.approx(30 * 500 * 0.02, rel=0.15)
    with pytest.raises(ValueError, match="cover 400 steps"):
        net.run(1.0)


def test_poisson_rate_over_time_backends_equal():
    def run(backend):
        net = ss.Network(dt=0.5, seed=4, backend=backend)
        rng = np.random.default_rng(0)
        bg = net.add(ss.inputs.Poisson(5, rate_hz=rng.uniform(0, 400, (60, 5))), name="bg")
        net.record(bg)
        return net.run(30.0).spikes(bg)
    a, b = run("reference"), run("numba")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def _poisson_input(backend, k=200, rate=20.0, w=0.5, synapse="v", steps=2000):
    net = ss.Network(dt=0.1, seed=8, backend=backend)
    probe = net.add(Integrator(40), name="probe")
    net.inject(probe, ss.inputs.PoissonInput(k=k, rate_hz=rate, weight=w, synapse=synapse))
    net.record(probe, spikes=False, state="v")
    return net.run(steps * 0.1).state("probe", "v")


def test_poisson_input_counts_and_backends():
    v = _poisson_input("numba")
    total = v[-1]                             # sum of jumps: w * Binomial counts over 2000 steps
    expected = 0.5 * 200 * 20.0 * 1e-3 * 200.0
    assert total.mean() == pytest.approx(expected, rel=0.03)
    assert total.std() == pytest.approx(math.sqrt(0.5 ** 2 * 200 * 0.002 * 0.998 * 2000), rel=0.25)
    ref = _poisson_input("reference", steps=100)
    np.testing.assert_array_equal(ref, v[:100])


def test_binomial_inversion_matches_distribution():
    from spikesim.rng.counter import binomial_from_uniform
    u = np.random.default_rng(1).random(20000)
    c = np.array([binomial_from_uniform(x, 10, 0.3) for x in u])
    assert c.mean() == pytest.approx(3.0, abs=0.05) and c.var() == pytest.approx(2.1, rel=0.05)
    assert binomial_from_uniform(0.9, 5, 0.0) == 0 and binomial_from_uniform(0.1, 5, 1.0) == 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_tsodyks_markram_hand_computed(backend):
    U, tau_d, tau_f, w, isi = 0.4, 100.0, 30.0, 10.0, 20.0
    times = np.arange(5) * isi
    net = ss.Network(dt=1.0, backend=backend)
    src = net.add(ss.inputs.SpikeSource(1, times=times, ids=np.zeros(5, int)), name="src")
    tgt = net.add(Integrator(2), name="tgt")
    net.connect(src, tgt, np.array([[w, 2 * w]]), delays=1.0, synapse=ss.synapses.Pulse(),
                stp=ss.synapses.TsodyksMarkram(U=U, tau_d=tau_d, tau_f=tau_f))
    net.record(tgt, spikes=False, state="last")
    last = net.run(100.0).state("tgt", "last")
    got = last[(times + 1).astype(int)]
    u, x, expected = 0.0, 1.0, []
    for k in range(5):                        # by hand, from the model's equations
        if k:
            u *= math.exp(-isi / tau_f)
            x = 1 - (1 - x) * math.exp(-isi / tau_d)
        u = u + U * (1 - u)
        expected.append(u * x)
        x -= u * x
    np.testing.assert_allclose(got[:, 0], w * np.array(expected), rtol=1e-12)
    np.testing.assert_allclose(got[:, 1], 2 * w * np.array(expected), rtol=1e-12)
    assert got[1, 0] < got[0, 0]               # depression at this rate


def test_stp_reference_equals_numba_in_a_network():
    def run(backend):
        rng = np.random.default_rng(3)
        net = ss.Network(dt=0.1, seed=1, backend=backend)
        bg = net.add(ss.inputs.Poisson(30, rate_hz=rng.uniform(20, 60, 30)), name="bg")
        lif = net.add(ss.neurons.LIF(20), name="lif")
        W = np.where(rng.random((30, 20)) < 0.3, 8.0, 0.0)
        net.connect(bg, lif, W, delays=rng.uniform(0.1, 3.0, W.shape), synapse=ss.synapses.Exponential(5.0),
                    stp=ss.synapses.TsodyksMarkram(U=0.2, tau_d=50.0, tau_f=500.0))
        net.connect(bg, lif, W[:, ::-1], delays=1.0, target="v")
        net.record(lif, state="v")
        return net.run(50.0)
    a, b = run("reference"), run("numba")
    np.testing.assert_array_equal(a.state("lif", "v"), b.state("lif", "v"))
    np.testing.assert_array_equal(a.spikes("lif")[0], b.spikes("lif")[0])


def test_bad_inputs():
    with pytest.raises(ValueError, match="U"):
        ss.synapses.TsodyksMarkram(U=1.5)
    with pytest.raises(ValueError, match="k"):
        ss.inputs.PoissonInput(k=0, rate_hz=1.0, weight=1.0)
    with pytest.raises(ValueError, match="over time"):
        ss.inputs.Poisson(3, rate_hz=np.ones((5, 2)))
    net = ss.Network()
    a = net.add(ss.inputs.Poisson(2, 10.0), name="a")
    b = net.add(ss.neurons.LIF(2), name="b")
    with pytest.raises(TypeError, match="stp"):
        net.connect(a, b, np.ones((2, 2)), stp="yes")
