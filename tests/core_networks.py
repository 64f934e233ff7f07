"""Small networks used by the core tests (and by backend comparison tests of other backends).

Each builder takes a backend name and returns a ready-to-run Network plus its duration (ms).
Every number comes from a seeded NumPy generator, so two calls build identical networks.
"""
from __future__ import annotations

import numpy as np

import spikesim as ss
from spikesim.models.izhikevich_2003 import build_network, draw_arrays


def izhikevich_2003(backend: str, n_exc: int = 160, n_inh: int = 40, duration: float = 300.0):
    arrays = draw_arrays(n_exc, n_inh, int(duration), seed=11)
    net = build_network(arrays, dt=1.0, seed=11, backend=backend, record_state=("v",))
    return net, duration


def _background(n, rate_hz, duration, rng, poisson):
    """A Poisson population, or (``poisson=False``) a SpikeSource with fixed random times at the
    same mean rates, so a network can be pinned independently of the Poisson stream keying."""
    if poisson:
        return ss.inputs.Poisson(n, rate_hz=rate_hz)
    rates = np.broadcast_to(np.asarray(rate_hz, dtype=float), (n,))
    counts = rng.poisson(rates * duration * 1e-3)
    ids = np.repeat(np.arange(n), counts)
    return ss.inputs.SpikeSource(n, times=rng.uniform(0, duration, ids.size), ids=ids)


def lif_delays(backend: str, n: int = 120, duration: float = 200.0, dt: float = 0.1, poisson: bool = True):
    """LIF network with heterogeneous delays on all three synapse targets, driven by Poisson and
    explicit spike sources; state recorded every 3 steps."""
    rng = np.random.default_rng(5)
    net = ss.Network(dt=dt, seed=7, backend=backend)
    exc = net.add(ss.neurons.LIF(n, tau_m=rng.uniform(8, 25, n), t_ref=2.0, tau_syn=rng.uniform(2, 8, n)), name="exc")
    inh = net.add(ss.neurons.LIF(n // 4, tau_m=10.0, t_ref=1.0, v_th=-52.0), name="inh")
    bg = net.add(_background(60, rng.uniform(10, 60, 60), duration, np.random.default_rng(55), poisson), name="bg")
    src = net.add(ss.inputs.SpikeSource(5, times=rng.uniform(0, duration, 80), ids=rng.integers(0, 5, 80)), name="cue")
    p = 0.1
    w_ee = np.where(rng.random((n, n)) < p, rng.uniform(0.5, 2.0, (n, n)), 0.0)
    net.connect(exc, exc, w_ee, delays=rng.uniform(dt, 5.0, (n, n)), target="I_syn")
    w_ei = np.where(rng.random((n, n // 4)) < 0.2, 2.0, 0.0)
    net.connect(exc, inh, w_ei, delays=1.0, target="v")
    w_ie = np.where(rng.random((n // 4, n)) < 0.3, -3.0, 0.0)
    net.connect(inh, exc, w_ie, delays=rng.uniform(0.5, 3.0, (n // 4, n)), target="v")
    net.connect(bg, exc, np.where(rng.random((60, n)) < 0.3, 4.0, 0.0), delays=rng.uniform(dt, 2.0, (60, n)),
                target="I_syn")
    pre, post = rng.integers(0, 5, 50), rng.integers(0, n, 50)
    net.connect(src, exc, (pre, post, rng.uniform(5, 15, 50)), delays=rng.uniform(1, 10, 50), target="I")
    net.inject(exc, rng.uniform(10.0, 14.0, n))
    net.inject(inh, rng.normal(5.0, 2.0, (int(round(duration / dt)), n // 4)))
    net.record(exc, spikes=True, state=("v", "I_syn"), every=3)
    net.record(inh, spikes=True, state="v")
    net.record(bg)
    net.record(src)
    return net, duration


def mixed_izhikevich_lif(backend: str, duration: float = 150.0, poisson: bool = True):
    """Izhikevich (Euler) and LIF populations in one network, I_syn and v targets both ways."""
    rng = np.random.default_rng(9)
    net = ss.Network(dt=0.5, seed=2, backend=backend)
    izh = net.add(ss.neurons.Izhikevich(50, a=0.02, b=0.2, c=rng.uniform(-65, -50, 50), d=rng.uniform(2, 8, 50),
                                        method="euler"), name="izh")
    lif = net.add(ss.neurons.LIF(30, tau_m=15.0, t_ref=3.0), name="lif")
    bg = net.add(_background(40, 30.0, duration, np.random.default_rng(99), poisson), name="bg")
    net.connect(bg, izh, np.where(rng.random((40, 50)) < 0.3, 6.0, 0.0), delays=0.5, target="I_syn")
    net.connect(izh, lif, np.where(rng.random((50, 30)) < 0.3, 4.0, 0.0), delays=rng.uniform(0.5, 4, (50, 30)),
                target="v")
    net.connect(lif, izh, np.where(rng.random((30, 50)) < 0.3, -2.0, 0.0), delays=2.0, target="I_syn")
    net.inject(izh, 3.0)
    net.inject(lif, rng.uniform(14.0, 16.0, 30))
    net.record(izh, state=("v", "u"), every=2)
    net.record(lif, state=("v", "ref"))
    return net, duration


NETWORKS = {"izhikevich_2003": izhikevich_2003, "lif_delays": lif_delays, "mixed": mixed_izhikevich_lif}


def assert_same_results(a, b, exact=True):
    assert a.populations == b.populations
    for pop in a.populations:
        if pop in a._spikes:
            ta, ia = a.spikes(pop)
            tb, ib = b.spikes(pop)
            np.testing.assert_array_equal(ta, tb, err_msg=f"spike times of {pop}")
            np.testing.assert_array_equal(ia, ib, err_msg=f"spike ids of {pop}")
        for var in a._state.get(pop, {}):
            if exact:
                np.testing.assert_array_equal(a.state(pop, var), b.state(pop, var), err_msg=f"{pop}.{var}")
            else:
                np.testing.assert_allclose(a.state(pop, var), b.state(pop, var), rtol=1e-9, atol=1e-9)
