"""Core readouts (spikesim.core.readout) and channel currents: hand-checked arithmetic on a tiny
case, and bit-identity of the NumPy reference and the generated Numba loop."""
import numpy as np
import pytest

import spikesim as ss
from readout_networks import reservoir_net, run_trials
from spikesim.core.channels import ChannelCurrent
from spikesim.core.readout import Readout


@pytest.mark.parametrize("rule", ["nlms", "rls", "none"])
def test_readout_reference_equals_numba(rule):
    a = run_trials(*reservoir_net("numba", rule=rule))
    b = run_trials(*reservoir_net("reference", rule=rule))
    assert a.keys() == b.keys()
    assert a["0/exc/t"].size > 30
    if rule != "none":
        assert np.any(a["1/W"] != 0)
    assert np.any(a["1/z"] != 0) or rule == "none"
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_readout_hand_computed(backend):
    """A spike source drives one neuron: the features are the double-exponential filter of its
    spikes, the output w.r, and one NLMS step moves w as the formula says."""
    dt, steps = 1.0, 12
    net = ss.Network(dt=dt, seed=0, backend=backend)
    src = net.add(ss.inputs.SpikeSource(1, [2.0], [0]), "src")
    lif = net.add(ss.neurons.LIF(2, tau_m=10.0, v_rest=0.0, v_reset=0.0, v_th=1.0, t_ref=0.0, v0=0.0), "lif")
    net.connect(src, lif, (np.array([0, 0]), np.array([0, 1]), np.array([5.0, 0.0])), target="v")
    ro = net.add_readout(lif, Readout(1, steps, tau_r=2.0, tau_d=5.0, scale=10.0, rule="nlms", eta=0.5, eps=0.1))
    teacher = np.ones((steps, 1))
    gate = np.zeros((steps, 1))
    gate[6] = 1.0
    net.set_readout(ro, teacher=teacher, gate=gate, weights=np.array([[0.5, 0.0]]), window=(4, 8))
    net.run(steps * dt)
    got = net.readout_result(ro)
    # neuron 0 spikes at step 3 (source spike at step 2, delay one step); features by hand
    dr, dd, gain = np.exp(-dt / 2.0), np.exp(-dt / 5.0), 10.0 / (2.0 * 5.0)
    r = h = 0.0
    rs, w, z = [], 0.5, []
    for s in range(steps):
        r = r * dr + h * dt
        h = h * dd + (gain if s == 3 else 0.0)
        rs.append(r)
        z.append(w * r)
        if s == 6:
            w = w + 0.5 / (r * r + 0.1) * 1.0 * (1.0 - w * r) * r
    np.testing.assert_allclose(got["z"][:, 0], z, rtol=1e-12, atol=0)
    np.testing.assert_allclose(got["weights"][0, 0], w, rtol=1e-12)
    assert got["weights"][0, 1] == 0.0
    np.testing.assert_allclose(got["mean"][0], np.mean(rs[4:8]), rtol=1e-12)


def test_channel_current_window():
    """Amplitudes act from the step set_amplitudes was called, row j at step now + j, then 0."""
    net = ss.Network(dt=1.0, seed=0, backend="numba")
    pop = net.add(ss.neurons.LIF(2, tau_m=1e9, r_m=1e9, v_rest=0.0, v_reset=0.0, v_th=1e9, t_ref=0.0, v0=0.0), "p")
    ch = ChannelCurrent(np.array([[1.0, 2.0], [10.0, 0.0]]), 4)
    net.inject(pop, ch)
    net.record(pop, spikes=False, state="v")
    net.run(3.0)
    net.set_amplitudes(ch, np.array([[1.0, 0.0], [0.0, 1.0]]))
    res = net.run(8.0)
    v = res.state("p", "v")
    dv = np.diff(np.concatenate([[np.zeros(2)], v]), axis=0)
    assert np.allclose(dv[0], [1.0, 2.0], rtol=1e-6) and np.allclose(dv[1], [10.0, 0.0], rtol=1e-6)
    assert np.allclose(dv[2:], 0.0, atol=1e-6)


def test_readout_errors():
    net = ss.Network(dt=1.0)
    pop = net.add(ss.neurons.LIF(3), "p")
    with pytest.raises(ValueError, match="feature"):
        net.add_readout(pop, Readout(1, 5, feature="nope"))
    with pytest.raises(ValueError, match="columns"):
        net.add_readout(pop, Readout(1, 5, feedback=np.zeros((1, 4))))
    with pytest.raises(ValueError, match="rule"):
        Readout(1, 5, rule="hebb")
    ro = net.add_readout(pop, Readout(2, 5))
    with pytest.raises(ValueError, match="teacher"):
        net.set_readout(ro, teacher=np.zeros((6, 2)))
    with pytest.raises(ValueError, match="feedback weights"):
        net.set_readout(ro, feedback="closed")
    with pytest.raises(ValueError, match="does not belong"):
        ss.Network(dt=1.0).readout_result(ro)


def test_rate_readout_reference_equals_numba():
    from readout_networks import rate_net, run_rate_trials
    a = run_rate_trials(*rate_net("numba"))
    b = run_rate_trials(*rate_net("reference"))
    assert np.any(a["1/W"] != 0) and np.ptp(a["0/phi"]) > 0.1
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_brian2_translation_refuses_what_it_cannot_translate():
    pytest.importorskip("brian2")
    from spikesim.compare import brian2 as cb
    net, ro, cue, _ = reservoir_net("reference", n_exc=4, n_inh=2, steps=10)
    with pytest.raises(NotImplementedError, match="readouts"):
        cb.build(net, 5.0)
    net = ss.Network(dt=1.0)
    pop = net.add(ss.neurons.LIF(3), "p")
    net.inject(pop, ChannelCurrent(np.ones((1, 3)), 4))
    with pytest.raises(NotImplementedError, match="ChannelCurrent"):
        cb.build(net, 5.0)
    net = ss.Network(dt=1.0)
    pop = net.add(ss.neurons.LIF(3), "p")
    net.inject(pop, ss.inputs.GaussianCurrent(0.0, 1.0, method="ziggurat"))
    with pytest.raises(NotImplementedError, match="ziggurat"):
        cb.build(net, 5.0)
