"""Plasticity rules by contract (spikesim.plasticity.base): triplet, multiplicative and a user's
own rule, hand-computed single-synapse updates, reference == numba bit for bit on a network with
every rule, recording synaptic variables over time, and contract errors."""
import math

import numpy as np
import pytest

import spikesim as ss
from spikesim.neurons.base import ModelError
from spikesim.plasticity import (STDP, MultiplicativeSTDP, PlasticityRule, RewardModulatedSTDP, TripletSTDP,
                                 clip)


class HebbDecay(PlasticityRule):
    """A user's rule: Hebbian potentiation from a presynaptic trace, and weight decay every step."""

    params = {"tau": 20.0, "eta": 0.05, "lam": 1e-3, "w_max": 5.0}
    pre_traces = {"x": "tau"}

    @staticmethod
    def on_post(w, x, eta, w_max):
        return (min(w + eta * x, w_max),)

    @staticmethod
    def after(w, lam):
        return (w - lam * w,)


def _driven(backend, pre_times, post_times, rule, w0=0.5, duration=None, dt=0.1):
    """One plastic synapse pre -> post; post fires at ``post_times`` (forced by a strong static
    kick one step earlier); the plastic synapse's delay is long so that it never drives post."""
    duration = duration or max(list(pre_times) + list(post_times)) + 5.0
    net = ss.Network(dt=dt, backend=backend)
    pre = net.add(ss.inputs.SpikeSource(1, list(pre_times), [0] * len(pre_times)), name="pre")
    kick = net.add(ss.inputs.SpikeSource(1, [t - dt for t in post_times], [0] * len(post_times)), name="kick")
    post = net.add(ss.neurons.LIF(1, v_th=-50.0, t_ref=0.0), name="post")
    proj = net.connect(pre, post, np.array([[w0]]), delays=duration, target="v", plasticity=rule)
    net.connect(kick, post, np.array([[100.0]]), delays=dt, target="v")
    net.record(post)
    res = net.run(duration)
    np.testing.assert_allclose(res.spikes("post")[0], post_times, atol=1e-9)
    return net, proj


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_triplet_stdp_matches_the_paper_formulas(backend):
    rule = TripletSTDP(a2_plus=0.05, a3_plus=0.08, a2_minus=0.03, a3_minus=0.02, w_max=10.0)
    t_pre, posts = 10.0, (15.0, 22.0)
    net, proj = _driven(backend, [t_pre, 40.0], list(posts), rule)
    v = rule.values
    # post at 15: w += r1 (a2+ + a3+ o2(t-eps)), o2 = 0 (no earlier post spike)
    r1 = math.exp(-(15.0 - t_pre) / v["tau_plus"])
    w = 0.5 + r1 * (v["a2_plus"] + v["a3_plus"] * 0.0)
    # post at 22: o2 carries the spike at 15
    r1 = math.exp(-(22.0 - t_pre) / v["tau_plus"])
    o2 = math.exp(-(22.0 - 15.0) / v["tau_y"])
    w += r1 * (v["a2_plus"] + v["a3_plus"] * o2)
    # pre at 40: w -= o1 (a2- + a3- r2(t-eps)), o1 from both post spikes, r2 from the pre at 10
    o1 = sum(math.exp(-(40.0 - t) / v["tau_minus"]) for t in posts)
    r2 = math.exp(-(40.0 - t_pre) / v["tau_x"])
    w -= o1 * (v["a2_minus"] + v["a3_minus"] * r2)
    np.testing.assert_allclose(net.weights(proj)[0], w, rtol=1e-12)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_multiplicative_stdp_scales_with_the_room_to_the_bounds(backend):
    rule = MultiplicativeSTDP(tau_pre=10.0, tau_post=10.0, a_plus=0.5, a_minus=0.4, w_min=0.0, w_max=2.0)
    net, proj = _driven(backend, [10.0], [14.0], rule, w0=0.5)
    w = 0.5 + 0.5 * (2.0 - 0.5) * math.exp(-4.0 / 10.0)
    np.testing.assert_allclose(net.weights(proj)[0], w, rtol=1e-12)
    net, proj = _driven(backend, [14.0], [10.0], rule, w0=0.5)          # post first: depression
    w = 0.5 - 0.4 * 0.5 * math.exp(-4.0 / 10.0)
    np.testing.assert_allclose(net.weights(proj)[0], w, rtol=1e-12)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_user_rule_hebbian_with_decay(backend):
    rule = HebbDecay()
    dt = 0.1
    net, proj = _driven(backend, [10.0], [13.0], rule, w0=1.0, duration=20.0, dt=dt)
    # decay every step (after), potentiation at the post spike (step 130, before that step's decay)
    n_before = 130                     # steps 0..129 decay, then step 130: on_post then decay
    w = 1.0 * (1 - 1e-3) ** n_before
    w = min(w + 0.05 * math.exp(-3.0 / 20.0), 5.0)
    w = w * (1 - 1e-3) ** (200 - n_before)
    np.testing.assert_allclose(net.weights(proj)[0], w, rtol=1e-9)


def zoo(backend, duration=200.0, one_step=False):
    """Every built-in rule and the user's rule on one network, a static projection, recorded
    synaptic variables. Each plastic projection has its receiver (synapse target) to itself;
    ``one_step``: every delay one step (the Brian2 cross-validation's conditions)."""
    rng = np.random.default_rng(11)
    dt = 0.5
    n_steps = int(duration / dt)
    net = ss.Network(dt=dt, seed=2, backend=backend)
    bg = net.add(ss.inputs.Poisson(60, rate_hz=rng.uniform(5, 40, 60)), name="bg")
    a = net.add(ss.neurons.LIF(30, tau_m=15.0, t_ref=2.0), name="a")
    b = net.add(ss.neurons.Izhikevich(20, d=rng.uniform(2, 8, 20)), name="b")
    mk = lambda p, lo, hi, shape: np.where(rng.random(shape) < p, rng.uniform(lo, hi, shape), 0.0)  # noqa: E731
    d = (lambda lo, hi, shape: dt) if one_step else (lambda lo, hi, shape: rng.uniform(lo, hi, shape))  # noqa: E731
    projs = [
        net.connect(bg, a, mk(0.3, 0, 4, (60, 30)), delays=d(0.5, 4, (60, 30)), target="I_syn",
                    plasticity=TripletSTDP(a2_plus=0.05, a3_plus=0.05, a2_minus=0.04, a3_minus=0.01, w_max=6)),
        net.connect(bg, b, mk(0.2, 0, 2, (60, 20)), delays=d(0.5, 3, (60, 20)), target="I",
                    plasticity=MultiplicativeSTDP(a_plus=0.1, a_minus=0.1, w_max=3.0)),
        net.connect(a, b, mk(0.5, 0, 3, (30, 20)), delays=d(0.5, 2, (30, 20)), target="v",
                    plasticity=RewardModulatedSTDP(np.cos(np.arange(n_steps) * 0.02), tau_elig=100, eta=0.05,
                                                   a_plus=0.5, a_minus=0.5, w_max=5)),
        net.connect(a, b, mk(0.3, 0, 2, (30, 20)), delays=d(0.5, 2, (30, 20)),
                    synapse=ss.synapses.Exponential(tau=3.0), plasticity=HebbDecay()),
        net.connect(b, a, mk(0.3, 0, 1, (20, 30)), delays=d(0.5, 3, (20, 30)), target="v",
                    plasticity=STDP(w_max=2.0)),
    ]
    net.connect(b, b, -0.5 * np.ones((20, 20)), delays=d(0.5, 1.5, (20, 20)),               # static
                synapse=ss.synapses.Exponential(tau=2.0, name="inh"))
    net.inject(a, 8.0)
    net.inject(b, 4.0)
    net.record(a)
    net.record(b, state=("v",), every=4)
    net.record(projs[2], state=("w", "c"), every=4, ids=np.arange(0, projs[2].n_synapses, 3))
    net.record(projs[0], state="w", every=10)
    return net, projs, duration


def test_every_rule_reference_equals_numba_and_records_synapses():
    out = {}
    for backend in ("reference", "numba"):
        net, projs, duration = zoo(backend)
        res = net.run(duration)
        out[backend] = (net, projs, res)
    (nr, pr, rr), (nn, pn, rn) = out["reference"], out["numba"]
    for pop in ("a", "b"):
        assert rr.spikes(pop)[0].size > 20
        for x, y in zip(rr.spikes(pop), rn.spikes(pop)):
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(rr.state("b", "v"), rn.state("b", "v"))
    for k in range(5):
        w_ref, w_nb = nr.weights(pr[k]), nn.weights(pn[k])
        np.testing.assert_array_equal(w_ref, w_nb)
        assert not np.array_equal(w_ref, pr[k].weights), f"rule {k} should have changed the weights"
    name = pr[2].name
    assert name == "a->b"
    for var in ("w", "c"):
        np.testing.assert_array_equal(rr.state(name, var), rn.state(name, var))
    w_rec = rn.state(name, "w")
    ids = np.arange(0, pn[2].n_synapses, 3)
    assert w_rec.shape == (100, ids.size)
    np.testing.assert_array_equal(rn.state_times(name), np.arange(100) * 2.0)
    assert np.any(np.diff(w_rec, axis=0) != 0), "the recorded weights should change over time"
    # the last sample (step 396) and the final weights differ only by the last steps' learning
    w0 = rn.state("bg->a", "w")
    assert w0.shape == (40, pn[0].n_synapses)
    np.testing.assert_array_equal(w0[0], pn[0].weights)          # sampled after step 0: no spike has arrived yet


def test_recording_weights_after_a_run_continues_the_grid():
    net, projs, _ = zoo("numba", duration=100.0)
    r1 = net.run(50.0)
    r2 = net.run(50.0)
    name = projs[2].name
    assert r1.state(name, "w").shape[0] == 25 and r2.state(name, "w").shape[0] == 25
    np.testing.assert_array_equal(r2.state_times(name), 50.0 + np.arange(25) * 2.0)


def test_rule_contract_errors_name_the_rule_hook_and_names():
    class Bad(PlasticityRule):
        params = {"tau": 10.0}
        pre_traces = {"x": "tau"}

        @staticmethod
        def on_pre(w, x, y):
            return (w + x * y,)

    with pytest.raises(ModelError, match=r"Bad: on_pre\(\) takes \['y'\]"):
        Bad()

    class NoTau(PlasticityRule):
        pre_traces = {"x": "tau"}

        @staticmethod
        def on_pre(w, x):
            return (w + x,)

    with pytest.raises(ModelError, match="time constant from 'tau'"):
        NoTau()

    class NeedsM(PlasticityRule):
        @staticmethod
        def after(w, M):
            return (w + M,)

    with pytest.raises(ModelError, match="M needs modulated = True"):
        NeedsM()
    with pytest.raises(ValueError, match="not modulated"):
        STDP(modulator=np.zeros(3))
    with pytest.raises(ValueError, match="must be a positive number of ms"):
        TripletSTDP(tau_x=-1.0)
    with pytest.raises(TypeError, match="no parameter"):
        TripletSTDP(tau=3.0)
    assert clip(5.0, 0.0, 1.0) == 1.0 and clip(-1.0, 0.0, 1.0) == 0.0


def test_record_projection_bad_input():
    net = ss.Network(dt=0.1)
    a = net.add(ss.neurons.LIF(3), name="a")
    p_static = net.connect(a, a, np.ones((3, 3)) * 0.1)
    p = net.connect(a, a, np.ones((3, 3)) * 0.1, plasticity=STDP())
    assert (p_static.name, p.name) == ("a->a", "a->a#2")
    with pytest.raises(ValueError, match="no synaptic variable 'c'"):
        net.record(p, state="c")
    with pytest.raises(ValueError, match="needs state="):
        net.record(p)
    with pytest.raises(ValueError, match="synapse indices in 0..8"):
        net.record(p, state="w", ids=[9])
    with pytest.raises(ValueError, match="already used"):
        net.connect(a, a, np.ones((3, 3)), name="a")
