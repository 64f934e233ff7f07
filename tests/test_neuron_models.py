"""The built-in neuron models: one step computed by hand from the equations in each model's
docstring, reference and numba bit-identical on a small driven network, the threshold-only
refractory option, and the errors a user's model that does not fit the contract gets."""
import math

import numpy as np
import pytest

import spikesim as ss

DT = 0.1


def one_step(model, current, dt=DT, backend="reference"):
    """Run one step of ``model`` with a constant injected ``current``; return (state after the
    step, as recorded: after a reset if it spiked) and the local ids that spiked."""
    net = ss.Network(dt=dt, seed=1, backend=backend)
    pop = net.add(model, name="p")
    net.inject(pop, current)
    net.record(pop, state=tuple(type(model).state))
    res = net.run(dt)
    return {k: res.state("p", k)[0] for k in type(model).state}, res.spikes("p")[1]


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- one step by hand
@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_current_probe_shows_the_input_current_of_the_step(backend):
    I = np.array([-3.5, 0.0, 1e6])
    s, spk = one_step(ss.neurons.CurrentProbe(3), I, backend=backend)
    assert list(s["v"]) == list(I) and len(spk) == 0


def test_lif_step_by_hand():
    v0 = np.array([-65.0, -55.0, -50.1])
    I = np.array([12.0, 3.0, 60.0])
    s, spk = one_step(ss.neurons.LIF(3, tau_m=20.0, v0=v0, t_ref=2.0), I)
    v_inf = -65.0 + I
    v1 = v_inf + (v0 - v_inf) * math.exp(-DT / 20.0)
    assert v1[2] >= -50.0 and list(spk) == [2]          # the third one crosses and is reset
    close(s["v"][:2], v1[:2])
    assert s["v"][2] == -65.0 and s["ref"][2] == 20.0 and s["ref"][0] == 0.0


def test_izhikevich_step_by_hand():
    dt = 0.5
    a, b, c, d = 0.02, 0.2, -60.0, 6.0
    v0, u0, I = -64.0, -12.5, 7.0
    s, spk = one_step(ss.neurons.Izhikevich(1, a=a, b=b, c=c, d=d, v0=v0, u0=u0), I, dt=dt)
    v = v0
    for _ in range(2):                                   # net.m: two half steps of v, then u
        v = v + dt / 2 * (0.04 * v ** 2 + 5 * v + 140 - u0 + I)
    u = u0 + dt * a * (b * v - u0)
    assert spk.size == 0
    close(s["v"][0], v)
    close(s["u"][0], u)
    # Euler variant, and a spike: v0 above the peak after the step -> v <- c, u <- u + d
    s, spk = one_step(ss.neurons.Izhikevich(2, a=a, b=b, c=c, d=d, v0=[v0, 29.0], u0=u0, method="euler"),
                      I, dt=dt)
    dv = 0.04 * v0 ** 2 + 5 * v0 + 140 - u0 + I
    close(s["v"][0], v0 + dt * dv)
    close(s["u"][0], u0 + dt * a * (b * v0 - u0))
    assert list(spk) == [1] and s["v"][1] == c
    close(s["u"][1], u0 + dt * a * (b * 29.0 - u0) + d)


def test_hodgkin_huxley_step_by_hand():
    v, m, n, h = -62.0, 0.05, 0.3, 0.6
    I = 150.0
    model = ss.neurons.HodgkinHuxley(1, v=v, m=m, n=n, h=h)          # the gate n is not the size
    s, spk = one_step(model, I)
    VT, C, gl, gna, gk, El, Ena, Ek = -63.0, 200.0, 10.0, 20000.0, 6000.0, -60.0, 50.0, -90.0
    # Traub-Miles rates in the COBAHH example's form x / (exp(x / k) - 1)
    am = 0.32 * (13 - v + VT) / (math.exp((13 - v + VT) / 4) - 1)
    bm = 0.28 * (v - VT - 40) / (math.exp((v - VT - 40) / 5) - 1)
    ah = 0.128 * math.exp((17 - v + VT) / 18)
    bh = 4 / (1 + math.exp((40 - v + VT) / 5))
    an = 0.032 * (15 - v + VT) / (math.exp((15 - v + VT) / 5) - 1)
    bn = 0.5 * math.exp((10 - v + VT) / 40)
    # exponential Euler: each variable relaxes exactly towards its steady state at the step's v
    def relax(x, al, be):
        return al / (al + be) + (x - al / (al + be)) * math.exp(-(al + be) * DT)
    g_na, g_k = gna * m ** 3 * h, gk * n ** 4
    G = gl + g_na + g_k
    v_inf = (gl * El + g_na * Ena + g_k * Ek + I) / G
    assert spk.size == 0
    np.testing.assert_allclose(s["v"][0], v_inf + (v - v_inf) * math.exp(-G * DT / C), rtol=1e-10)
    np.testing.assert_allclose(s["m"][0], relax(m, am, bm), rtol=1e-10)
    np.testing.assert_allclose(s["n"][0], relax(n, an, bn), rtol=1e-10)
    np.testing.assert_allclose(s["h"][0], relax(h, ah, bh), rtol=1e-10)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_hodgkin_huxley_integrates_synaptic_conductances_in_its_exponential_step(backend):
    """Conductance synapses enter HH's v step as conductances (g_syn, gE_syn), not as a current
    held at the starting v: G and v_inf include the step-mean conductances g q and g q E."""
    v, m, n, h = -62.0, 0.05, 0.3, 0.6
    ge0, gi0 = 40.0, 200.0
    net = ss.Network(dt=DT, seed=1, backend=backend)
    pop = net.add(ss.neurons.HodgkinHuxley(1, v=v, m=m, n=n, h=h), name="p")
    src = net.add(ss.inputs.SpikeSource(1, [50.0], [0]), name="src")      # only to create the synapses
    net.connect(src, pop, np.array([[1.0]]), synapse=ss.synapses.Conductance(5.0, 0.0, name="ge"))
    net.connect(src, pop, np.array([[1.0]]), synapse=ss.synapses.Conductance(10.0, -80.0, name="gi"))
    net.record(pop, state=("v",))
    net.set_state(pop, "ge.g", ge0)
    net.set_state(pop, "gi.g", gi0)
    res = net.run(DT)
    C, gl, gna, gk, El, Ena, Ek = 200.0, 10.0, 20000.0, 6000.0, -60.0, 50.0, -90.0
    q = lambda tau: tau / DT * (1 - math.exp(-DT / tau))           # noqa: E731  step mean of a decay
    g_na, g_k = gna * m ** 3 * h, gk * n ** 4
    gs = ge0 * q(5.0) + gi0 * q(10.0)
    G = gl + g_na + g_k + gs
    v_inf = (gl * El + g_na * Ena + g_k * Ek + ge0 * q(5.0) * 0.0 + gi0 * q(10.0) * -80.0) / G
    np.testing.assert_allclose(res.state("p", "v")[0, 0], v_inf + (v - v_inf) * math.exp(-G * DT / C), rtol=1e-10)
    # the explicit form (current g q (E - v) at the starting v) would differ measurably at gi = 200 nS
    v_inf_expl = (gl * El + g_na * Ena + g_k * Ek + gi0 * q(10.0) * (-80.0 - v) + ge0 * q(5.0) * (0.0 - v)) / (G - gs)
    expl = v_inf_expl + (v - v_inf_expl) * math.exp(-(G - gs) * DT / C)
    assert abs(expl - res.state("p", "v")[0, 0]) > 1e-3


def test_adex_step_by_hand():
    C, gL, EL, VT, DT_, tw, a, b, vr = 200.0, 10.0, -70.0, -50.0, 2.0, 100.0, 2.0, 60.0, -58.0
    v0 = np.array([-60.0, -35.0])                        # the second is past v_peak = VT + 5 DT = -40
    w0 = np.array([15.0, 40.0])
    I = 300.0
    s, spk = one_step(ss.neurons.AdEx(2, C=C, g_L=gL, E_L=EL, V_T=VT, Delta_T=DT_, tau_w=tw, a=a, b=b,
                                      v_reset=vr, v0=v0, w0=w0), I)
    dv = (-gL * (v0 - EL) + gL * DT_ * np.exp((v0 - VT) / DT_) - w0 + I) / C
    dw = (a * (v0 - EL) - w0) / tw
    assert list(spk) == [1]
    close(s["v"][0], v0[0] + DT * dv[0])
    close(s["w"][0], w0[0] + DT * dw[0])
    assert s["v"][1] == vr
    close(s["w"][1], w0[1] + DT * dw[1] + b)


def test_alif_step_by_hand():
    v0 = np.array([-60.0, -50.2])
    th0 = np.array([1.5, 0.1])
    I = 60.0
    s, spk = one_step(ss.neurons.ALIF(2, tau_m=10.0, tau_a=50.0, delta_theta=3.0, v0=v0, theta0=th0), I)
    v_inf = -65.0 + I
    v1 = v_inf + (v0 - v_inf) * math.exp(-DT / 10.0)
    th1 = th0 * math.exp(-DT / 50.0)
    assert v1[1] >= -50.0 + th1[1] and v1[0] < -50.0     # only the second crosses its raised threshold
    assert list(spk) == [1]
    close(s["v"][0], v1[0])
    close(s["theta"], th1 + np.array([0.0, 3.0]))
    assert s["v"][1] == -65.0 and s["ref"][1] == 20.0


def test_eif_step_by_hand():
    v0 = np.array([-60.0, -31.0])
    I = 10.0
    s, spk = one_step(ss.neurons.EIF(2, tau_m=15.0, v_T=-52.0, Delta_T=3.0, v0=v0), I)
    dv = (-(v0 + 65.0) + 3.0 * np.exp((v0 + 52.0) / 3.0) + I) / 15.0
    assert list(spk) == [1]
    close(s["v"][0], v0[0] + DT * dv[0])
    assert s["v"][1] == -68.0


def test_qif_step_by_hand():
    v0 = np.array([-60.0, -45.0, 29.0])
    I = 2.0
    s, spk = one_step(ss.neurons.QIF(3, tau_m=8.0, v_rest=-65.0, v_c=-50.0, v0=v0), I)
    dv = ((v0 + 65.0) * (v0 + 50.0) / 15.0 + I) / 8.0
    assert list(spk) == [2]
    close(s["v"][:2], v0[:2] + DT * dv[:2])
    assert s["v"][2] == -70.0


# ---------------------------------------------------------------- reference == numba
def driven_network(backend):
    """Every built-in model in one network: Poisson input through a different synapse type per
    population, a GaussianCurrent, constant currents and recurrent connections."""
    rng = np.random.default_rng(4)
    net = ss.Network(dt=DT, seed=9, backend=backend)
    n = 4
    pops = {
        "lif": (ss.neurons.LIF(n, tau_m=rng.uniform(8, 15, n)), 25.0, 6.0, ss.synapses.Exponential(5.0)),
        "izh": (ss.neurons.Izhikevich(n, d=rng.uniform(2, 8, n)), 8.0, 4.0, ss.synapses.Alpha(2.0)),
        "hh": (ss.neurons.HodgkinHuxley(n), 400.0, 200.0, ss.synapses.Conductance(5.0, E=0.0)),
        "adex": (ss.neurons.AdEx(n, t_ref=0.5, b=rng.uniform(20, 80, n)), 700.0, 300.0,
                 ss.synapses.Exponential(3.0, charge="sample")),
        "alif": (ss.neurons.ALIF(n, refractory="threshold", t_ref=1.0), 25.0, 8.0, ss.synapses.Pulse()),
        "eif": (ss.neurons.EIF(n, t_ref=1.0, refractory="threshold"), 13.0, 8.0, ss.synapses.Delta("v")),
        "qif": (ss.neurons.QIF(n, t_ref=0.3), 15.0, 10.0, ss.synapses.AlphaConductance(3.0, E=0.0)),
    }
    bg = net.add(ss.inputs.Poisson(10, rate_hz=rng.uniform(200, 400, 10)), name="bg")
    handles = {}
    for name, (model, mean, sd, syn) in pops.items():
        h = handles[name] = net.add(model, name=name)
        net.inject(h, mean)
        net.inject(h, ss.inputs.GaussianCurrent(0.0, sd))
        w = rng.uniform(0.5, 2.0, (10, n)) * (50.0 if name in ("hh", "adex") else 1.0)
        if isinstance(syn, (ss.synapses.Conductance, ss.synapses.AlphaConductance)):
            w = rng.uniform(0.5, 2.0, (10, n)) * (5.0 if name == "hh" else 0.02)
        net.connect(bg, h, w, delays=rng.uniform(0.1, 1.0, (10, n)), synapse=syn)
        net.record(h, state=tuple(type(model).state))
    names = list(pops)
    for a, b in zip(names, names[1:] + names[:1]):      # a ring of weak recurrent Delta("v") connections
        net.connect(handles[a], handles[b], rng.uniform(0.0, 1.0, (n, n)), delays=0.5, target="v")
    net.record(bg)
    return net, names


def test_every_model_reference_equals_numba():
    results = []
    for backend in ("reference", "numba"):
        net, names = driven_network(backend)
        results.append(net.run(8.0))
    ref, nb = results
    for name in names:
        t_ref, i_ref = ref.spikes(name)
        t_nb, i_nb = nb.spikes(name)
        np.testing.assert_array_equal(t_ref, t_nb, err_msg=name)
        np.testing.assert_array_equal(i_ref, i_nb, err_msg=name)
        for var in ref._state[name]:
            np.testing.assert_array_equal(ref.state(name, var), nb.state(name, var), err_msg=f"{name}.{var}")
    active = [name for name in names if ref.spikes(name)[0].size > 0]
    assert len(active) >= 6, f"the test network should drive the models to fire; active: {active}"


# ---------------------------------------------------------------- threshold-only refractoriness
REFRACTORY_MODELS = [          # (model, parameters, constant drive, one state variable besides ref)
    (ss.neurons.LIF, {}, 300.0, True),
    (ss.neurons.EIF, {}, 100.0, True),
    (ss.neurons.QIF, {}, 800.0, True),
    (ss.neurons.ALIF, {"delta_theta": 0.5}, 300.0, False),
    (ss.neurons.AdEx, {"v_reset": -55.0}, 4000.0, False),
]


@pytest.mark.parametrize("cls,kw,drive,one_d", REFRACTORY_MODELS, ids=[m[0].__name__ for m in REFRACTORY_MODELS])
def test_threshold_only_refractory_keeps_integrating(cls, kw, drive, one_d):
    """"clamp" holds v at the reset value for the t_ref updates after a spike; "threshold" lets v
    integrate from the reset on and only blocks spikes. For a model whose only variable is v,
    with T the free time from reset to threshold (in steps): the clamped interval is
    ref_steps + T and the threshold-only one max(T, ref_steps)."""
    t_ref, ref_steps = 1.0, 10
    runs = {}
    for mode in ("clamp", "threshold"):
        net = ss.Network(dt=DT, seed=0, backend="reference")
        pop = net.add(cls(1, t_ref=t_ref, refractory=mode, **kw), name="p")
        net.inject(pop, drive)
        net.record(pop, state="v")
        res = net.run(12.0)
        runs[mode] = np.round(res.spikes("p")[0] / DT).astype(int), res.state("p", "v")[:, 0]
    reset_v = kw.get("v_reset", cls.params["v_reset"])
    steps_c, v_c = runs["clamp"]
    steps_t, v_t = runs["threshold"]
    assert steps_c.size >= 2 and steps_t.size >= 3
    for n in steps_c[:-1]:
        assert np.all(v_c[n:n + ref_steps + 1] == reset_v)      # held through the t_ref updates
        assert v_c[n + ref_steps + 1] != reset_v
    for n in steps_t[:-1]:
        assert v_t[n] == reset_v and v_t[n + 1] > reset_v      # integrates right after the reset
    isi_c, isi_t = np.diff(steps_c), np.diff(steps_t)
    assert np.all(isi_t >= ref_steps) and isi_t.mean() < isi_c.mean()
    if one_d:
        free = isi_c - ref_steps
        np.testing.assert_array_equal(isi_t[:free.size], np.maximum(free, ref_steps))
    if cls is ss.neurons.LIF:
        assert np.all(isi_t == ref_steps)                      # v passed threshold during t_ref


def test_refractory_option_is_validated():
    for cls in (ss.neurons.AdEx, ss.neurons.ALIF, ss.neurons.EIF, ss.neurons.QIF):
        with pytest.raises(ValueError, match="refractory"):
            cls(2, refractory="hold")
    with pytest.raises(ValueError, match="t_ref"):
        ss.neurons.EIF(2, t_ref=-1.0)
    with pytest.raises(ValueError, match="v_c"):
        ss.neurons.QIF(2, v_rest=-50.0, v_c=-60.0)
    with pytest.raises(ValueError, match="tau_w"):
        ss.neurons.AdEx(2, tau_w=0.0)


# ---------------------------------------------------------------- a user's model that does not fit
def test_unbound_name_names_model_function_and_names():
    class Leaky(ss.neurons.NeuronModel):
        state = {"v": 0.0}
        params = {"tau": 10.0}

        @staticmethod
        def update(v, I, tau, gain, dt):
            return (v + dt * (gain * I - v) / tau,)

        @staticmethod
        def threshold(v):
            return v > 1.0

        @staticmethod
        def reset(v):
            return (0.0,)

    with pytest.raises(ss.neurons.ModelError) as err:
        Leaky(3)
    msg = str(err.value)
    assert "Leaky" in msg and "update()" in msg and "'gain'" in msg and "'tau'" in msg


def test_threshold_or_reset_may_not_take_the_input_current():
    class Peeks(ss.neurons.NeuronModel):
        state = {"v": 0.0}
        params = {}

        @staticmethod
        def update(v, I):
            return (v + I,)

        @staticmethod
        def threshold(v, I):
            return v + I > 1.0

        @staticmethod
        def reset(v):
            return (0.0,)

    with pytest.raises(ss.neurons.ModelError, match=r"Peeks: threshold\(\) takes \['I'\]"):
        Peeks(1)


def test_undefined_global_in_model_function():
    class UsesGlobal(ss.neurons.NeuronModel):
        state = {"v": 0.0}
        params = {"tau": 10.0}

        @staticmethod
        def update(v, I, tau, dt):
            return (v + dt * (GAIN_NOT_DEFINED * I - v) / tau,)   # noqa: F821

        @staticmethod
        def threshold(v):
            return v > 1.0

        @staticmethod
        def reset(v):
            return (0.0,)

    net = ss.Network(dt=DT, backend="numba")
    net.add(UsesGlobal(2), name="u")
    with pytest.raises(ss.neurons.ModelError, match="UsesGlobal.*update.*GAIN_NOT_DEFINED"):
        net.run(1.0)
