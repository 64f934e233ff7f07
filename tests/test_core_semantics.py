"""The core against independent, obviously-correct computations of the same models."""
import math

import numpy as np
import pytest

import spikesim as ss
from spikesim.models.izhikevich_2003 import build_network, draw_arrays


def netm_transliteration(arrays, n_steps):
    """Izhikevich's net.m loop written out directly in NumPy (spikes detected at the start of a
    step belong to the previous step in our convention)."""
    ne = arrays.w_ee.shape[0]
    p_e, p_i = arrays.exc_params, arrays.inh_params
    n = ne + arrays.w_ii.shape[0]
    bc = lambda x, m: np.broadcast_to(np.asarray(x, float), (m,))  # noqa: E731
    a = np.r_[bc(p_e["a"], ne), bc(p_i["a"], n - ne)]
    b = np.r_[bc(p_e["b"], ne), bc(p_i["b"], n - ne)]
    c = np.r_[bc(p_e["c"], ne), bc(p_i["c"], n - ne)]
    d = np.r_[bc(p_e["d"], ne), bc(p_i["d"], n - ne)]
    S = np.block([[arrays.w_ee, arrays.w_ei], [arrays.w_ie, arrays.w_ii]])  # (pre, post)
    thal = np.c_[arrays.thalamic_exc, arrays.thalamic_inh]
    v = -65.0 * np.ones(n)
    u = b * v
    fired_prev = np.zeros(0, int)
    out_t, out_i = [], []
    for t in range(n_steps):
        I = thal[t].copy()
        syn = np.zeros(n)
        for k in fired_prev:             # ascending presynaptic id, as the core's ring accumulates
            syn += S[k]
        I = I + syn
        v = v + 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + I)
        v = v + 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + I)
        u = u + 1.0 * a * (b * v - u)
        fired = np.flatnonzero(v >= 30.0)
        out_t += [t] * fired.size
        out_i += list(fired)
        v[fired] = c[fired]
        u[fired] = u[fired] + d[fired]
        fired_prev = fired
    return np.array(out_t, float), np.array(out_i)


def test_izhikevich_network_matches_netm_transliteration():
    arrays = draw_arrays(80, 20, 200, seed=4)
    res = build_network(arrays, backend="numba").run(200.0)
    t_ref, i_ref = netm_transliteration(arrays, 200)
    t = np.concatenate([res.spikes("exc")[0], res.spikes("inh")[0]])
    i = np.concatenate([res.spikes("exc")[1], res.spikes("inh")[1] + 80])
    order = np.lexsort((i, t))
    assert t.size > 100
    # same numbers in the same order of additions -> the same spikes, bit for bit
    np.testing.assert_array_equal(t[order], t_ref)
    np.testing.assert_array_equal(i[order], i_ref)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_lif_regular_firing_period_is_exact(backend):
    """Constant suprathreshold drive: the inter-spike interval equals the analytical crossing
    time rounded up to whole steps, plus the refractory steps."""
    dt, tau, R_I, th, t_ref = 0.1, 10.0, 20.0, 15.0, 2.0
    net = ss.Network(dt=dt, backend=backend)
    lif = net.add(ss.neurons.LIF(1, tau_m=tau, v_rest=0.0, v_reset=0.0, v_th=th, t_ref=t_ref), name="n")
    net.inject(lif, R_I)
    net.record(lif)
    t, _ = net.run(200.0).spikes("n")
    # from v_reset=0: v(k steps) = R_I (1 - exp(-k dt / tau)) >= th first at k*
    k_star = math.ceil(-tau * math.log(1 - th / R_I) / dt - 1e-9)
    n_ref = math.ceil(t_ref / dt - 1e-9)
    isi = np.round(np.diff(t) / dt).astype(int)
    assert t.size > 5
    assert np.all(isi == k_star + n_ref)


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("delay", [0.1, 0.7, 3.0])
def test_spike_acts_exactly_delay_later(backend, delay):
    """A source spike at 5 ms through a synapse of delay d makes a v-jump that fires the target
    in the step at 5 ms + d, not before."""
    dt = 0.1
    net = ss.Network(dt=dt, backend=backend)
    src = net.add(ss.inputs.SpikeSource(1, times=[5.0], ids=[0]), name="src")
    tgt = net.add(ss.neurons.LIF(1, v_rest=-65, v_th=-50), name="tgt")
    net.connect(src, tgt, np.array([[30.0]]), delays=delay, target="v")
    net.record(tgt)
    net.record(src)
    res = net.run(20.0)
    np.testing.assert_allclose(res.spikes("src")[0], [5.0])
    np.testing.assert_allclose(res.spikes("tgt")[0], [5.0 + delay], atol=1e-9)


def test_filtered_current_decays_exponentially():
    dt, tau_syn = 0.1, 4.0
    net = ss.Network(dt=dt, backend="numba")
    src = net.add(ss.inputs.SpikeSource(1, times=[1.0], ids=[0]), name="src")
    tgt = net.add(ss.neurons.LIF(1, v_th=1e9, tau_syn=tau_syn), name="tgt")
    net.connect(src, tgt, np.array([[2.0]]), delays=dt, target="I_syn")
    net.record(tgt, spikes=False, state="I_syn")
    res = net.run(10.0)
    I = res.state("tgt", "I_syn")[:, 0]
    t = res.state_times("tgt")
    after = t >= 1.1
    # sampled after the step's decay: value at step n = 2 exp(-(n - n_arrival + 1) dt / tau)
    expected = 2.0 * np.exp(-(t[after] - 1.1 + dt) / tau_syn)
    np.testing.assert_allclose(I[after], expected, rtol=1e-12)
    assert np.all(I[~after] == 0)
