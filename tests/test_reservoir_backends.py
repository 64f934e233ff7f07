"""The what-when reservoir (an ss.Network with a core readout) gives the same spikes, readout
outputs and learned weights on the numba and reference backends, for every rule and kind."""
import numpy as np
import pytest

from spikesim.models.izhikevich_reservoir import ReservoirModel, config_with
from spikesim.models.adapters.force_rls import ForceReservoirModel
from spikesim.models.adapters.rate_reservoir import RateReservoirModel

S, CUE = 260, 40


def _task():
    amp = np.zeros((S, 3))
    amp[CUE:CUE + 30, 0] = 1.0
    t = np.arange(S)
    prof = np.stack([np.exp(-0.5 * ((t - CUE - lat) / 20.0) ** 2) for lat in (100, 160)], axis=1)
    return amp, prof


def _run(model, events, learn=True, record=True):
    amp, prof = _task()
    outs = [model.trial(amp, prof, ev, cue_step=CUE, what_steps=(CUE, CUE + 60), latency_steps=(100, 160),
                        learn=learn, record_spikes=record) for ev in events]
    return outs


def _pair(cls, **kw):
    cfg = config_with(None, **{"n": 60, "p_conn": 0.3, **kw})
    return cls(cfg, seed=3, backend="numba"), cls(cfg, seed=3, backend="reference")


@pytest.mark.parametrize("feedback", ["closed", "none"])
def test_three_factor_numba_equals_reference(feedback):
    fast, ref = _pair(ReservoirModel, feedback=feedback, feedback_q=3.0, eta_when=0.2)
    events = [0, 1, 0, 0]
    a, b = _run(fast, events), _run(ref, events)
    n_spikes = sum(len(o.spike_times) for o in a)
    assert n_spikes > 100                      # the network is active
    for oa, ob in zip(a, b):
        np.testing.assert_array_equal(oa.spike_times, ob.spike_times)
        np.testing.assert_array_equal(oa.spike_ids, ob.spike_ids)
        np.testing.assert_array_equal(oa.zhat, ob.zhat)
    assert np.any(fast.w_when != 0)             # learning happened
    np.testing.assert_array_equal(fast.w_when, ref.w_when)
    np.testing.assert_array_equal(fast.v_what, ref.v_what)


def test_rls_numba_matches_reference():
    fast, ref = _pair(ForceReservoirModel, feedback="none", rls_every=3)
    a, b = _run(fast, [0, 1, 1]), _run(ref, [0, 1, 1])
    for oa, ob in zip(a, b):
        np.testing.assert_array_equal(oa.spike_ids, ob.spike_ids)
        np.testing.assert_array_equal(oa.zhat, ob.zhat)
    assert np.any(fast.w_when != 0)
    np.testing.assert_array_equal(fast.w_when, ref.w_when)
    np.testing.assert_array_equal(fast.p_when, ref.p_when)
    np.testing.assert_array_equal(fast.v_what, ref.v_what)


def test_rate_reservoir_numba_matches_reference():
    fast, ref = _pair(RateReservoirModel, eta_when=0.1)
    a, b = _run(fast, [0, 1, 0], record=False), _run(ref, [0, 1, 0], record=False)
    for oa, ob in zip(a, b):
        np.testing.assert_array_equal(oa.zhat, ob.zhat)
    assert np.any(fast.w_when != 0)
    np.testing.assert_array_equal(fast.w_when, ref.w_when)


def test_probe_does_not_learn():
    fast, _ = _pair(ReservoirModel)
    _run(fast, [0, 1])
    w, v = fast.w_when.copy(), fast.v_what.copy()
    _run(fast, [-1, -1], learn=False)
    np.testing.assert_array_equal(w, fast.w_when)
    np.testing.assert_array_equal(v, fast.v_what)


@pytest.mark.parametrize("bad", [{"n": 1}, {"p_conn": 0.0}, {"gate": "sometimes"}, {"dt": -1.0},
                                 {"eta_when": float("nan")}])
def test_bad_config_is_named(bad):
    key = next(iter(bad))
    with pytest.raises(ValueError, match=key):
        ReservoirModel(config_with(None, **bad))


def test_bad_backend_and_shapes():
    with pytest.raises(ValueError, match="backend"):
        ReservoirModel(config_with(None, n=20), backend="gpu")
    m = ReservoirModel(config_with(None, n=20))
    amp, prof = _task()
    with pytest.raises(ValueError, match="in_amp"):
        m.trial(amp[:, :2], prof, 0, cue_step=CUE, what_steps=(CUE, CUE + 10), latency_steps=(100, 160))
    with pytest.raises(ValueError, match="event"):
        m.trial(amp, prof, 2, cue_step=CUE, what_steps=(CUE, CUE + 10), latency_steps=(100, 160))
    m.trial(amp, prof, 0, cue_step=CUE, what_steps=(CUE, CUE + 10), latency_steps=(100, 160))
    with pytest.raises(ValueError, match="at most"):      # the first trial fixed the readout window
        m.trial(np.vstack([amp, amp]), np.vstack([prof, prof]), 0, cue_step=CUE, what_steps=(CUE, CUE + 10),
                latency_steps=(100, 160))


def test_netm_regime_by_config():
    """net.m's network (dense pulse synapses, noise SD 5 / 2, no bias) is a config of the same model:
    pulse synapses (target "I"), and it runs bit-identically on both backends."""
    netm = dict(p_conn=1.0, tau_syn=0.0, g_exc=0.5, g_inh=1.0, noise_exc=5.0, noise_inh=2.0, bias_exc=0.0,
                bias_inh=0.0)
    fast, ref = _pair(ReservoirModel, **netm)
    a, b = _run(fast, [0, 1]), _run(ref, [0, 1])
    assert all(type(pr.synapse).__name__ == "Pulse" for pr in fast.net.projections)
    for oa, ob in zip(a, b):
        np.testing.assert_array_equal(oa.spike_times, ob.spike_times)
        np.testing.assert_array_equal(oa.zhat, ob.zhat)
    assert sum(o.spike_times.size for o in a) > 200
