"""Synapse models, noise and user-defined models on the open core: hand-computed steps, charge
conservation, shared state, and reference == numba bit for bit."""
import math

import numpy as np
import pytest

import spikesim as ss

BACKENDS = ["reference", "numba"]


class Integrator(ss.neurons.NeuronModel):
    """v integrates the input current (dv/dt = I, v in units of current * ms); ``last`` is the
    input of the last step. Never spikes."""

    state = {"v": 0.0, "last": 0.0}
    params = {}

    @staticmethod
    def update(v, I, dt):
        return v + I * dt, I

    @staticmethod
    def threshold(v):
        return False

    @staticmethod
    def reset(v, last):
        return v, last


def _one_spike(synapse, w=2.0, dt=0.1, duration=60.0, backend="numba", post=None, record=("v", "last")):
    net = ss.Network(dt=dt, seed=0, backend=backend)
    src = net.add(ss.inputs.SpikeSource(1, times=[0.0], ids=[0]), name="src")
    tgt = net.add(post or Integrator(1), name="tgt")
    net.connect(src, tgt, np.array([[w]]), delays=dt, synapse=synapse)
    net.record(tgt, spikes=False, state=record)
    return net.run(duration)


@pytest.mark.parametrize("backend", BACKENDS)
def test_exponential_current_delivers_exact_charge(backend):
    tau, w, dt = 0.325, 2.0, 0.1
    res = _one_spike(ss.synapses.Exponential(tau=tau), w=w, dt=dt, duration=20.0, backend=backend)
    charge = res.state("tgt", "v")[-1, 0]
    assert charge == pytest.approx(w * tau, rel=1e-12)
    # hand-computed first input: the spike of step 0 arrives at step 1, current w * (tau/dt)(1 - e^{-dt/tau})
    last = res.state("tgt", "last")[:, 0]
    assert last[0] == 0.0
    assert last[1] == pytest.approx(w * tau / dt * (1 - math.exp(-dt / tau)), rel=1e-15)
    assert last[2] == pytest.approx(last[1] * math.exp(-dt / tau), rel=1e-14)


def test_sampled_exponential_current_adds_charge():
    """Holding the start-of-step current over the step (the I_syn shorthand) adds charge."""
    tau, w, dt = 0.325, 2.0, 0.1
    res = _one_spike(ss.synapses.Exponential(tau=tau, charge="sample"), w=w, dt=dt, duration=20.0)
    excess = res.state("tgt", "v")[-1, 0] / (w * tau) - 1.0
    assert excess == pytest.approx(dt / tau / (1 - math.exp(-dt / tau)) - 1.0, rel=1e-9)
    assert 0.15 < excess < 0.17


@pytest.mark.parametrize("backend", BACKENDS)
def test_alpha_current_peak_and_charge(backend):
    tau, w, dt = 2.0, 1.5, 0.05
    res = _one_spike(ss.synapses.Alpha(tau=tau), w=w, dt=dt, duration=80.0, backend=backend)
    assert res.state("tgt", "v")[-1, 0] == pytest.approx(w * math.e * tau, rel=1e-9)
    last = res.state("tgt", "last")[:, 0]
    k = int(np.argmax(last))
    assert last[k] == pytest.approx(w, rel=2e-3)          # mean over the step around the peak
    assert (k - 1) * dt == pytest.approx(tau, abs=dt)     # the spike arrives at step 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_conductance_current_hand_computed(backend):
    tau, E, w, dt = 5.0, 0.0, 3.0, 0.1
    lif = ss.neurons.LIF(1, tau_m=10.0, v_rest=-65.0, v_th=100.0)
    res = _one_spike(ss.synapses.Conductance(tau=tau, E=E), w=w, dt=dt, duration=1.0, backend=backend, post=lif,
                     record=("v",))
    v = res.state("tgt", "v")[:, 0]
    q = tau / dt * (1 - math.exp(-dt / tau))
    I = w * q * (E - (-65.0))                                  # at step 1, v = v_rest
    v_inf = -65.0 + I
    assert v[1] == pytest.approx(v_inf + (-65.0 - v_inf) * math.exp(-dt / 10.0), rel=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_delta_on_another_state_variable(backend):
    izh = ss.neurons.Izhikevich(1, v0=-70.0)
    res = _one_spike(ss.synapses.Delta("u"), w=4.0, dt=1.0, duration=3.0, backend=backend, post=izh,
                     record=("u",))
    free = ss.neurons.Izhikevich(1, v0=-70.0)
    net = ss.Network(dt=1.0, backend=backend)
    net.add(free, name="tgt")
    net.record("tgt", spikes=False, state="u")
    ref = net.run(3.0)
    du = res.state("tgt", "u")[:, 0] - ref.state("tgt", "u")[:, 0]
    assert du[0] == 0.0 and du[1] != 0.0

    def step(v, u):           # net.m (Izhikevich 2003): two half-steps of v, then u with the new v
        for _ in range(2):
            v = v + 0.5 * (0.04 * v * v + 5 * v + 140 - u)
        return v, u + 0.02 * (0.2 * v - u)

    v, u = step(-70.0, -14.0)            # step 0
    v, u = step(v, u + 4.0)              # the jump arrives at the start of step 1, before the update
    assert res.state("tgt", "u")[1, 0] == pytest.approx(u, rel=1e-12)


def test_pulse_lasts_one_step():
    res = _one_spike(ss.synapses.Pulse(), w=5.0, dt=0.5, duration=3.0)
    last = res.state("tgt", "last")[:, 0]
    np.testing.assert_array_equal(last, [0.0, 5.0, 0.0, 0.0, 0.0, 0.0])


class NamedLikePulse(ss.neurons.NeuronModel):
    """Integrator whose state has a variable ``x``, the name of the Pulse synapse's own state."""

    state = {"v": 0.0, "x": 7.0}
    params = {}

    @staticmethod
    def update(v, x, I):
        return v + I, x

    @staticmethod
    def threshold(v):
        return False

    @staticmethod
    def reset(v, x):
        return v, x


@pytest.mark.parametrize("backend", BACKENDS)
def test_synapse_variable_shadows_neuron_variable_of_same_name(backend):
    """The Pulse's ``current(x)`` reads the synapse's x (the arrived weight), not the neuron's x
    (the reference backend once bound the neuron's)."""
    res = _one_spike(ss.synapses.Pulse(), w=5.0, dt=0.5, duration=2.0, backend=backend,
                     post=NamedLikePulse(1), record=("v", "x"))
    np.testing.assert_array_equal(res.state("tgt", "v")[:, 0], [0.0, 5.0, 5.0, 5.0])
    np.testing.assert_array_equal(res.state("tgt", "x")[:, 0], [7.0] * 4)


def _two_tau_network(backend):
    net = ss.Network(dt=0.1, seed=3, backend=backend)
    rng = np.random.default_rng(1)
    exc = net.add(ss.neurons.LIF(30, tau_m=20.0, v_th=-50.0, refractory="threshold"), name="exc")
    bg = net.add(ss.inputs.Poisson(40, rate_hz=rng.uniform(20, 80, 40)), name="bg")
    w = np.where(rng.random((40, 30)) < 0.3, 1.0, 0.0)
    net.connect(bg, exc, 6 * w, delays=rng.uniform(0.1, 2.0, w.shape), synapse=ss.synapses.Exponential(5.0, name="ge"))
    net.connect(bg, exc, -3 * w[::-1], delays=0.4, synapse=ss.synapses.Exponential(10.0, name="gi"))
    net.connect(exc, exc, np.where(rng.random((30, 30)) < 0.2, 0.5, 0.0), delays=1.0,
                synapse=ss.synapses.Alpha(2.0))
    net.inject(exc, ss.inputs.GaussianCurrent(mean=10.0, sd=4.0))
    net.record(exc, state=("v", "ge", "gi", "alpha_tau2.h"), every=2)
    return net


def test_cuba_two_time_constants_reference_equals_numba():
    a = _two_tau_network("reference").run(40.0)
    b = _two_tau_network("numba").run(40.0)
    np.testing.assert_array_equal(a.spikes("exc")[0], b.spikes("exc")[0])
    np.testing.assert_array_equal(a.spikes("exc")[1], b.spikes("exc")[1])
    for var in ("v", "ge", "gi", "alpha_tau2.h"):
        np.testing.assert_array_equal(a.state("exc", var), b.state("exc", var), err_msg=var)
    assert a.spikes("exc")[0].size > 0
    ge, gi = b.state("exc", "ge"), b.state("exc", "gi")
    assert ge.max() > 0 and gi.min() < 0                # two separate conductances per neuron


def test_equal_synapse_models_share_state():
    net = ss.Network(dt=0.1)
    src = net.add(ss.inputs.SpikeSource(2, times=[0.0, 0.0], ids=[0, 1]), name="src")
    tgt = net.add(Integrator(1), name="tgt")
    net.connect(src, tgt, np.array([[1.0], [0.0]]), synapse=ss.synapses.Exponential(3.0))
    net.connect(src, tgt, np.array([[0.0], [2.0]]), synapse=ss.synapses.Exponential(3.0))
    net.record(tgt, spikes=False, state="exponential_tau3_charge1.g")
    g = net.run(0.3).state("tgt", "exponential_tau3_charge1.g")[:, 0]
    assert g[1] == pytest.approx(3.0 * math.exp(-0.1 / 3.0))


class NoiseProbe(ss.neurons.NeuronModel):
    state = {"x": 0.0}
    params = {}

    @staticmethod
    def update(I):
        return (I,)

    @staticmethod
    def threshold(x):
        return False

    @staticmethod
    def reset(x):
        return (x,)


def _noise(backend, extra_pop=False, steps=400):
    net = ss.Network(dt=0.1, seed=5, backend=backend)
    if extra_pop:
        net.add(ss.inputs.Poisson(10, rate_hz=5.0), name="other")
    p = net.add(NoiseProbe(50), name="probe")
    net.inject(p, ss.inputs.GaussianCurrent(mean=2.0, sd=3.0))
    net.record(p, spikes=False, state="x")
    return net.run(steps * 0.1).state("probe", "x")


def test_gaussian_current_statistics_and_backends():
    x = _noise("numba")
    ref = _noise("reference", steps=40)
    np.testing.assert_array_equal(ref, x[:ref.shape[0]])
    assert x[1:].mean() == pytest.approx(2.0, abs=0.05)
    assert x[1:].std() == pytest.approx(3.0, rel=0.03)
    # streams are keyed by population name: adding a population changes nothing
    np.testing.assert_array_equal(_noise("numba", extra_pop=True), x)


def test_poisson_stream_keyed_by_name():
    def spikes(extra):
        net = ss.Network(dt=0.1, seed=9)
        if extra:
            net.add(ss.inputs.Poisson(7, rate_hz=50.0), name="first")
        bg = net.add(ss.inputs.Poisson(20, rate_hz=40.0), name="bg")
        net.record(bg)
        return net.run(100.0).spikes("bg")
    a, b = spikes(False), spikes(True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# ---- user-defined models: module constants and helpers compile; bad definitions are named

V_SCALE = 2.0


def _drive(v, I, k):
    return v + k * I * V_SCALE


class Helped(ss.neurons.NeuronModel):
    state = {"v": 0.0}
    params = {"tau": 10.0, "v_th": 5.0}

    @staticmethod
    def derived(dt, tau):
        return {"k": dt / tau}

    @staticmethod
    def update(v, I, k):
        return (_drive(v, I, k),)

    @staticmethod
    def threshold(v, v_th):
        return v >= v_th

    @staticmethod
    def reset(v):
        return (0.0,)


@pytest.mark.parametrize("backend", BACKENDS)
def test_user_model_with_helpers(backend):
    net = ss.Network(dt=0.5, backend=backend)
    h = net.add(Helped(3, tau=np.array([5.0, 10.0, 20.0])), name="h")
    net.inject(h, 4.0)
    net.record(h)
    t, i = net.run(20.0).spikes(h)
    # v grows by dt/tau * 4 * 2 per step: 0.8, 0.4, 0.2 -> spikes every 7, 13, 25 steps
    assert list(np.bincount(i, minlength=3)) == [40 // 7, 40 // 13, 40 // 25]


def test_binding_errors_name_model_function_and_names():
    class Bad(ss.neurons.NeuronModel):
        state = {"v": 0.0}
        params = {"tau": 1.0}

        @staticmethod
        def update(v, I, tau_m):
            return (v,)

        @staticmethod
        def threshold(v):
            return False

        @staticmethod
        def reset(v):
            return (v,)

    with pytest.raises(ss.neurons.ModelError, match=r"Bad: update\(\) takes \['tau_m'\]"):
        Bad(3)

    class Missing(ss.neurons.NeuronModel):
        state = {"v": 0.0}

        @staticmethod
        def update(v):
            return (v,)

    with pytest.raises(ss.neurons.ModelError, match="Missing: the contract needs a function threshold"):
        Missing(2)


def test_synapse_binding_errors():
    net = ss.Network()
    a = net.add(ss.inputs.Poisson(2, 10.0), name="a")
    b = net.add(ss.neurons.LIF(2), name="b")
    with pytest.raises(ValueError, match="no state variable 'w'"):
        net.connect(a, b, np.ones((2, 2)), synapse=ss.synapses.Delta("w"))
    with pytest.raises(ValueError, match="synapse= or the shorthand target="):
        net.connect(a, b, np.ones((2, 2)), target="v", synapse=ss.synapses.Pulse())
    with pytest.raises(ValueError, match="tau"):
        net.connect(a, b, np.ones((2, 2)), synapse=ss.synapses.Exponential(tau=-1.0))
