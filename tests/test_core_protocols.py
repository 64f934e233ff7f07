"""Stimulus protocols: callbacks during a run, state and parameter changes and injections
between runs, recording subsets; the state carries over exactly."""
import numpy as np
import pytest

import spikesim as ss
from core_networks import lif_delays


def test_chunked_callback_run_equals_one_run():
    net, duration = lif_delays("numba")
    whole = net.run(duration)
    net2, _ = lif_delays("numba")
    calls = []
    part = net2.run(duration, callback=lambda n: calls.append(n.t), every=25.0)
    assert calls == pytest.approx([25.0 * k for k in range(1, 9)])
    np.testing.assert_array_equal(whole.spikes("exc")[0], part.spikes("exc")[0])
    np.testing.assert_array_equal(whole.state("exc", "v"), part.state("exc", "v"))


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_set_state_in_callback_and_set_param_between_runs(backend):
    net = ss.Network(dt=0.5, backend=backend)
    lif = net.add(ss.neurons.LIF(4, tau_m=10.0, v_th=-50.0), name="lif")
    net.inject(lif, 10.0)                        # v_inf = -55: never spikes
    net.record(lif, state="v")

    def kick(n):
        if abs(n.t - 10.0) < 1e-9:
            n.set_state("lif", "v", np.array([-49.0, -60.0, -60.0, -60.0]))

    res = net.run(20.0, callback=kick, every=5.0)
    t, i = res.spikes("lif")
    assert list(i) == [0] and t[0] == pytest.approx(10.0)     # neuron 0 spikes in the step after the kick
    net.set_param(lif, "v_th", -56.0)                         # now the steady state lies above threshold
    v_before = net.get_state(lif, "v")
    res2 = net.run(20.0)
    # the state carried over: the first sample is one exact LIF step (v_inf = -55 mV) from it
    assert res2.state("lif", "v")[0] == pytest.approx(-55.0 + (v_before + 55.0) * np.exp(-0.5 / 10.0), rel=1e-14)
    assert set(res2.spikes("lif")[1]) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="tau_m"):
        net.set_param(lif, "tau_m", -1.0)


def test_inject_between_runs_starts_now():
    net = ss.Network(dt=1.0)
    lif = net.add(ss.neurons.LIF(2, tau_m=5.0), name="lif")
    net.record(lif, spikes=True)
    assert net.run(20.0).spikes(lif)[0].size == 0
    pulse = np.zeros((10, 2))
    pulse[:, 1] = 30.0
    net.inject(lif, pulse)                       # row 0 = the step at t = 20 ms
    t, i = net.run(10.0).spikes(lif)
    assert set(i) == {1} and t.min() >= 20.0
    with pytest.raises(ValueError, match="cover 30 steps"):
        net.run(5.0)


def test_record_subset_of_neurons():
    net = ss.Network(dt=0.1)
    lif = net.add(ss.neurons.LIF(10), name="lif")
    net.inject(lif, np.linspace(10, 30, 10))
    net.record(lif, spikes=True, state="v", ids=[7, 2])
    res = net.run(20.0)
    assert res.state(lif, "v").shape[1] == 2
    assert set(res.spikes(lif)[1]) <= {2, 7} and 7 in set(res.spikes(lif)[1])
    with pytest.raises(ValueError, match="ids"):
        net2 = ss.Network()
        net2.record(net2.add(ss.neurons.LIF(3), name="a"), ids=[3])


def test_rebuild_between_runs_carries_every_dynamic_array():
    """A no-op injection between two runs rebuilds the plan; the result equals one long run
    (pending spikes in the rings, STP state, plastic weights and traces all carried over)."""
    def build():
        rng = np.random.default_rng(4)
        net = ss.Network(dt=0.1, seed=2)
        bg = net.add(ss.inputs.Poisson(40, rate_hz=rng.uniform(20, 80, 40)), name="bg")
        lif = net.add(ss.neurons.LIF(25), name="lif")
        W = np.where(rng.random((40, 25)) < 0.3, 9.0, 0.0)
        net.connect(bg, lif, W, delays=rng.uniform(0.1, 4.0, W.shape), synapse=ss.synapses.Exponential(3.0),
                    stp=ss.synapses.TsodyksMarkram(U=0.3, tau_d=80.0, tau_f=200.0))
        net.connect(bg, lif, np.where(W > 0, 0.5, 0.0)[::-1], delays=2.0, target="v",
                    plasticity=ss.plasticity.STDP(a_plus=0.05, a_minus=0.05, w_max=2.0))
        net.record(lif, state="v")
        return net
    one = build().run(60.0)
    net = build()
    first = net.run(30.0)
    net.inject("lif", 0.0)
    second = net.run(30.0)
    np.testing.assert_array_equal(np.concatenate([first.state("lif", "v"), second.state("lif", "v")]),
                                  one.state("lif", "v"))


def test_initial_synapse_state_is_remembered_for_cross_validation():
    net = ss.Network(dt=0.1)
    src = net.add(ss.inputs.Poisson(3, 10.0), name="src")
    lif = net.add(ss.neurons.LIF(3), name="lif")
    net.connect(src, lif, np.eye(3), synapse=ss.synapses.Conductance(5.0, 0.0, name="ge"))
    net.set_state(lif, "ge.g", [1.0, 2.0, 3.0])
    assert list(net.initial_state[("lif", "ge.g")]) == [1.0, 2.0, 3.0]
    net.run(1.0)
    g = net.get_state(lif, "ge.g")
    assert np.all(g < [1.0, 2.0, 3.0]) and np.all(g > 0)       # decayed from the initial values
    net.set_state(lif, "ge.g", 0.0)                             # after a run: not an initial state
    assert list(net.initial_state[("lif", "ge.g")]) == [1.0, 2.0, 3.0]
