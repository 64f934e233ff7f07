"""STDP and reward-modulated STDP in the core: reference vs numba, and exact single-pair updates."""
import numpy as np
import pytest

import spikesim as ss
from spikesim.plasticity import STDP, RewardModulatedSTDP


def plastic_network(backend, duration=300.0):
    rng = np.random.default_rng(3)
    dt = 0.5
    net = ss.Network(dt=dt, seed=4, backend=backend)
    bg = net.add(ss.inputs.Poisson(80, rate_hz=rng.uniform(5, 40, 80)), name="bg")
    exc = net.add(ss.neurons.LIF(40, tau_m=15.0, t_ref=2.0), name="exc")
    izh = net.add(ss.neurons.Izhikevich(20, d=rng.uniform(2, 8, 20)), name="izh")
    w0 = np.where(rng.random((80, 40)) < 0.3, rng.uniform(0, 6, (80, 40)), 0.0)
    p1 = net.connect(bg, exc, w0, delays=rng.uniform(0.5, 4, (80, 40)), target="I_syn",
                     plasticity=STDP(tau_pre=15, tau_post=25, a_plus=0.3, a_minus=0.33, w_min=0, w_max=8))
    n_steps = int(duration / dt)
    mod = np.sin(np.arange(n_steps) * 0.01)
    w1 = np.where(rng.random((40, 20)) < 0.5, rng.uniform(0, 3, (40, 20)), 0.0)
    p2 = net.connect(exc, izh, w1, delays=1.0, target="v",
                     plasticity=RewardModulatedSTDP(mod, tau_elig=200, eta=0.05, a_plus=0.5, a_minus=0.5, w_max=5))
    net.connect(izh, exc, -np.ones((20, 40)) * 0.5, delays=2.0, target="v")          # static
    net.inject(exc, 10.0)
    net.inject(izh, 4.0)
    net.record(exc)
    net.record(izh)
    return net, p1, p2, duration


def test_plastic_network_numba_equals_reference():
    nets = {b: plastic_network(b) for b in ("reference", "numba")}
    res = {b: n[0].run(n[3]) for b, n in nets.items()}
    for pop in ("exc", "izh"):
        assert res["reference"].spikes(pop)[0].size > 20
        for a, b in zip(res["reference"].spikes(pop), res["numba"].spikes(pop)):
            np.testing.assert_array_equal(a, b)
    for k in (1, 2):
        w_ref = nets["reference"][0].weights(nets["reference"][k])
        w_nb = nets["numba"][0].weights(nets["numba"][k])
        np.testing.assert_array_equal(w_ref, w_nb)
        assert not np.array_equal(w_ref, nets["reference"][k].weights), "weights should have changed"


def _pair(backend, t_pre, t_post, rule, duration=60.0):
    """One plastic synapse src->post; post is forced to fire at t_post by a strong static input."""
    dt = 0.1
    net = ss.Network(dt=dt, backend=backend)
    pre = net.add(ss.inputs.SpikeSource(1, [t_pre], [0]), name="pre")
    kick = net.add(ss.inputs.SpikeSource(1, [t_post - dt], [0]), name="kick")
    post = net.add(ss.neurons.LIF(1, v_th=-50.0, t_ref=0.0), name="post")
    proj = net.connect(pre, post, np.array([[0.5]]), delays=30.0, target="v", plasticity=rule)  # arrives late
    net.connect(kick, post, np.array([[100.0]]), delays=dt, target="v")
    net.record(post)
    res = net.run(duration)
    np.testing.assert_allclose(res.spikes("post")[0], [t_post], atol=1e-9)
    return net.weights(proj)[0]


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("lag", [1.0, 5.0, 12.3])
def test_stdp_pair_updates_match_the_exponential_window(backend, lag):
    tau = 10.0
    rule = STDP(tau_pre=tau, tau_post=2 * tau, a_plus=0.1, a_minus=0.05, w_min=0.0, w_max=1.0)
    w_pot = _pair(backend, 10.0, 10.0 + lag, rule)
    np.testing.assert_allclose(w_pot, 0.5 + 0.1 * np.exp(-lag / tau), rtol=1e-12)
    w_dep = _pair(backend, 10.0 + lag, 10.0, rule)
    np.testing.assert_allclose(w_dep, 0.5 - 0.05 * np.exp(-lag / (2 * tau)), rtol=1e-12)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_reward_modulation_gates_learning(backend):
    dt, n = 0.1, 600
    zero = RewardModulatedSTDP(np.zeros(n), tau_elig=50.0, eta=1.0, a_plus=0.1, a_minus=0.0)
    assert _pair(backend, 10.0, 15.0, zero) == 0.5
    reward = np.zeros(n)
    reward[300:] = 1.0                                 # dopamine from 30 ms on
    rule = RewardModulatedSTDP(reward, tau_elig=50.0, eta=1.0, tau_pre=10.0, a_plus=0.1, a_minus=0.0, w_max=10.0)
    w = _pair(backend, 10.0, 15.0, rule)
    # eligibility 0.1 exp(-5/10) at 15 ms, decaying with tau 50 ms; w grows by dt * sum(c) over [30, 60) ms
    c15 = 0.1 * np.exp(-5.0 / 10.0)
    k = np.arange(300, 600) - 150
    expected = 0.5 + dt * np.sum(c15 * np.exp(-k * dt / 50.0))
    np.testing.assert_allclose(w, expected, rtol=1e-9)


def test_bad_plasticity_input():
    net = ss.Network(dt=0.1)
    a = net.add(ss.neurons.LIF(2), name="a")
    with pytest.raises(ValueError, match="outside the rule"):
        net.connect(a, a, np.full((2, 2), 2.0), plasticity=STDP(w_max=1.0))
    with pytest.raises(TypeError, match="plasticity"):
        net.connect(a, a, np.ones((2, 2)), plasticity="stdp")
    with pytest.raises(ValueError, match="tau_pre"):
        STDP(tau_pre=0.0)
    with pytest.raises(ValueError, match="modulator"):
        RewardModulatedSTDP(np.ones((3, 3)))
    net.connect(a, a, np.ones((2, 2)) * 0.5, plasticity=RewardModulatedSTDP(np.zeros(10)))
    with pytest.raises(ValueError, match="modulator of a RewardModulatedSTDP projection covers 10 steps"):
        net.run(5.0)
