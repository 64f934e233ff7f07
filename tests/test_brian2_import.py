"""ss.neurons.from_brian2: models built from Brian2 equations with Brian2's own parser and state
updaters give the spikes of the hand-written models, and unsupported features fail clearly."""
import math

import numpy as np
import pytest

import spikesim as ss

b2 = pytest.importorskip("brian2")
from brian2 import mV, ms, nA, nS, pA, pF, second  # noqa: E402

DT = 0.1

ADEX_EQS = """
dv/dt = (-g_L*(v - E_L) + g_L*Delta_T*exp((v - V_T)/Delta_T) - w + I)/C : volt (unless refractory)
dw/dt = (a*(v - E_L) - w)/tau_w : amp
"""
ADEX_PARAMS = dict(C=281 * pF, g_L=30 * nS, E_L=-70.6 * mV, V_T=-50.4 * mV, Delta_T=2 * mV, tau_w=144 * ms,
                   a=4 * nS, b=0.0805 * nA)
QIF_EQS = "dv/dt = ((v - v_rest)*(v - v_c)/(v_c - v_rest) + r_m*I)/tau_m : 1"


def brian2_adex():
    return ss.neurons.from_brian2(ADEX_EQS, threshold="v > V_T + 5*Delta_T", reset="v = E_L; w += b",
                                  refractory=0.5 * ms, method="euler", params=ADEX_PARAMS,
                                  initial=dict(v=-70.6 * mV), name="AdExFromBrian2")


def brian2_qif(**kw):
    return ss.neurons.from_brian2(QIF_EQS, threshold="v >= v_peak", reset="v = v_reset", name="QIFFromBrian2",
                                  params=dict(tau_m=10.0, v_rest=-65.0, v_c=-50.0, r_m=1.0, v_peak=30.0,
                                              v_reset=-70.0), initial=dict(v=-65.0), **kw)


def test_units_map_to_mv_ms_pa():
    cls = brian2_adex()
    assert cls.params == dict(C=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, tau_w=144.0, a=4.0, b=80.5,
                              t_ref=0.5)
    assert cls.state == dict(v=-70.6, w=0.0, ref=0.0)
    from spikesim.neurons.brian2_import import to_spikesim
    assert to_spikesim(1 * second, "x") == 1000.0 and to_spikesim(5 * b2.Hz, "x") == 0.005
    assert to_spikesim(2 * b2.Gohm, "x") == 2.0 and to_spikesim(3 * pF / ms, "x") == 3.0
    assert "def update(" in cls.generated_source and "math.exp" in cls.generated_source


def drive(n_steps, n, seed, mean, sd):
    return np.random.default_rng(seed).normal(mean, sd, (n_steps, n))


def side_by_side(backend, T):
    """Hand-written and Brian2-equation AdEx and QIF side by side, given the same input: a
    time-array current and Poisson spikes through the same synapses."""
    n, n_steps = 6, int(round(T / DT))
    net = ss.Network(dt=DT, seed=1, backend=backend)
    I_adex = drive(n_steps, n, 1, 1000.0, 400.0)
    I_qif = drive(n_steps, n, 2, 10.0, 20.0)
    b = np.linspace(20.0, 120.0, n)
    bg = net.add(ss.inputs.Poisson(8, 200.0), name="bg")
    w = np.random.default_rng(3).uniform(0, 1, (8, n))
    pops = [("adex_hand", ss.neurons.AdEx(n, b=b, t_ref=0.5), I_adex, 40.0, ss.synapses.Exponential(3.0)),
            ("adex_b2", brian2_adex()(n, b=b), I_adex, 40.0, ss.synapses.Exponential(3.0)),
            ("qif_hand", ss.neurons.QIF(n, t_ref=0.3, refractory="threshold"), I_qif, 0.05,
             ss.synapses.Conductance(2.0, E=0.0)),
            ("qif_b2", brian2_qif(method="euler", refractory=0.3 * ms)(n), I_qif, 0.05,
             ss.synapses.Conductance(2.0, E=0.0))]
    for name, model, current, scale, syn in pops:
        pop = net.add(model, name=name)
        net.inject(pop, current)
        net.connect(bg, pop, w * scale, delays=0.5, synapse=syn)
        net.record(pop, state=tuple(type(model).state))
    return net


def test_adex_and_qif_from_brian2_match_the_hand_written_models():
    """The Brian2-equation models: bit-identical on reference and numba (first 20 ms), and over
    300 ms the same spike trains as the hand-written models, state equal to rounding (Brian2's
    sympy pass re-associates sums, so not bit for bit)."""
    T0, T = 20.0, 300.0
    ref = side_by_side("reference", T).run(T0)
    net = side_by_side("numba", T)
    first = net.run(T0)
    for pop in ("adex_b2", "qif_b2", "adex_hand", "qif_hand"):
        np.testing.assert_array_equal(ref.spikes(pop)[0], first.spikes(pop)[0])
        np.testing.assert_array_equal(ref.spikes(pop)[1], first.spikes(pop)[1])
        for var in ref._state[pop]:
            np.testing.assert_array_equal(ref.state(pop, var), first.state(pop, var), err_msg=f"{pop}.{var}")
    rest = net.run(T - T0)
    for hand, brian in (("adex_hand", "adex_b2"), ("qif_hand", "qif_b2")):
        t1 = np.concatenate([first.spikes(hand)[0], rest.spikes(hand)[0]])
        i1 = np.concatenate([first.spikes(hand)[1], rest.spikes(hand)[1]])
        t2 = np.concatenate([first.spikes(brian)[0], rest.spikes(brian)[0]])
        i2 = np.concatenate([first.spikes(brian)[1], rest.spikes(brian)[1]])
        assert t1.size > 5 * 6, f"{hand} should fire: {t1.size} spikes"
        np.testing.assert_array_equal(t1, t2)
        np.testing.assert_array_equal(i1, i2)
        for res in (first, rest):
            np.testing.assert_allclose(res.state(hand, "v"), res.state(brian, "v"), rtol=1e-9, atol=1e-9)


def test_exact_method_matches_lif():
    """Brian2's exact (linear) updater on the LIF equation against the built-in exact LIF."""
    LIFb2 = ss.neurons.from_brian2("dv/dt = (v_rest - v + r_m*I)/tau_m : volt (unless refractory)",
                                   threshold="v >= v_th", reset="v = v_reset", refractory=2 * ms, method="exact",
                                   params=dict(tau_m=10 * ms, v_rest=-65 * mV, r_m=1.0, v_th=-50 * mV,
                                               v_reset=-65 * mV), initial=dict(v=-65 * mV), name="LIFFromBrian2")
    n, T = 5, 100.0
    net = ss.Network(dt=DT, seed=1, backend="reference")
    current = drive(int(T / DT), n, 3, 17.0, 10.0)
    for name, model in (("hand", ss.neurons.LIF(n)), ("b2", LIFb2(n))):
        pop = net.add(model, name=name)
        net.inject(pop, current)
        net.record(pop, state="v")
    res = net.run(T)
    assert res.spikes("hand")[0].size > 2 * n
    np.testing.assert_array_equal(res.spikes("hand")[0], res.spikes("b2")[0])
    np.testing.assert_array_equal(res.spikes("hand")[1], res.spikes("b2")[1])
    np.testing.assert_allclose(res.state("hand", "v"), res.state("b2", "v"), rtol=1e-12, atol=1e-10)


def test_rk4_step_by_hand():
    """One rk4 step of the QIF equation, computed by hand with the classical Runge-Kutta formulas."""
    cls = brian2_qif(method="rk4")
    v0, I = -52.0, 3.0
    net = ss.Network(dt=DT, backend="reference")
    pop = net.add(cls(1, v=v0), name="q")
    net.inject(pop, I)
    net.record(pop, state="v")
    v1 = net.run(DT).state("q", "v")[0, 0]
    f = lambda v: ((v + 65.0) * (v + 50.0) / 15.0 + I) / 10.0   # noqa: E731
    k1 = f(v0)
    k2 = f(v0 + DT / 2 * k1)
    k3 = f(v0 + DT / 2 * k2)
    k4 = f(v0 + DT * k3)
    assert v1 == pytest.approx(v0 + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4), rel=1e-13)


def test_subexpressions_powers_functions_and_namespace():
    """A subexpression used by the update and the threshold, an integer power, a Brian2 function
    (exprel) and a namespace constant; rk2 against a hand-computed midpoint step."""
    cls = ss.neurons.from_brian2("""
        dv/dt = (g*(E - v) + k*v**2 + I)/tau : 1
        g = g0*exprel(v/10) : 1
        """, threshold="g > g_max", reset="v = 0", method="rk2", params=dict(g0=0.5, E=2.0, k=0.01),
        namespace=dict(tau=4 * ms, g_max=100.0), name="Sub")
    assert set(cls.params) == {"g0", "E", "k"} and "tau = 4.0" in cls.generated_source
    v0, I = 1.5, 0.7
    net = ss.Network(dt=DT, backend="reference")
    pop = net.add(cls(1, v=v0), name="s")
    net.inject(pop, I)
    net.record(pop, state="v")
    v1 = net.run(DT).state("s", "v")[0, 0]
    exprel = lambda x: math.expm1(x) / x                           # noqa: E731
    f = lambda v: (0.5 * exprel(v / 10) * (2.0 - v) + 0.01 * v * v + I) / 4.0   # noqa: E731
    assert v1 == pytest.approx(v0 + DT * f(v0 + DT / 2 * f(v0)), rel=1e-13)


@pytest.mark.parametrize("kwargs,match", [
    (dict(equations="dv/dt = -v/tau + sigma*xi*tau**-0.5 : 1", params=dict(tau=10.0, sigma=1.0)), "stochastic"),
    (dict(equations="dv/dt = -v/tau : 1", params=dict(tau=10.0), refractory="v > 0.5"), "condition"),
    (dict(equations="dv/dt = -v/tau + foo : 1", params=dict(tau=10.0)), r"\['foo'\] bind to nothing"),
    (dict(equations="dv/dt = -v/tau : 1\ntau : second", params={}), r"parameters \['tau'\].*default"),
    (dict(equations="dv/dt = -v/tau : 1", params=dict(tau=10.0, tua=3.0)), r"params \['tua'\] are not used"),
    (dict(equations="dv/dt = -v/tau + rand() : 1", params=dict(tau=10.0)), "rand"),
    (dict(equations="dv/dt = -v/tau : 1\nx : 1 (linked)", params=dict(tau=10.0)), "linked"),
    (dict(equations="dv/dt = -v**2/tau : 1", params=dict(tau=10.0), method="exact"), "exact"),
    (dict(equations="dv/dt = -v/tau : 1\nI = 2*v : 1", params=dict(tau=10.0)), "'I' is spikesim's input"),
    (dict(equations="dv/dt = -v/tau : 1", params=dict(tau=10.0), reset="tau = 3"), "reset assigns 'tau'"),
    (dict(equations="dv/dt = -v/tau : 1", params=dict(tau=10.0), threshold="v > I"), "uses I"),
    (dict(equations="dv/dt = -v/tau : 1", params=dict(tau=10.0), method="milstein"), "method"),
])
def test_unsupported_features_give_clear_errors(kwargs, match):
    kw = dict(threshold="v > 1", reset="v = 0")
    kw.update(kwargs)
    with pytest.raises((ss.neurons.ModelError, ValueError), match=match):
        ss.neurons.from_brian2(name="Bad", **kw)
