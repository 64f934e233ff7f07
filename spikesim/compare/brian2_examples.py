"""Brian2's benchmark networks written the Brian2 way, and the same networks in spikesim's models.

Brette et al. (2007), "Simulation of networks of spiking neurons: a review of tools and
strategies", J. Comput. Neurosci. 23:349, benchmarks 1-3, as in Brian2's ``examples/CUBA.py``
and ``examples/COBAHH.py`` and the Vogels & Abbott (2005) conductance network (benchmark 1):

* **CUBA** (benchmark 2): 4000 LIF (3200 exc / 800 inh), p = 0.02, tau_m = 20 ms, El = -49 mV,
  Vt = -50, Vr = -60 mV, refractory 5 ms (v clamped), exponential currents tau_e = 5 ms,
  tau_i = 10 ms, we = 1.62 mV, wi = -9 mV; Brian2: ``method="exact"``. spikesim: ``LIF`` +
  two ``Exponential`` synapses (exact charge).
* **COBA** (benchmark 1, Vogels & Abbott 2005): the same LIF with El = -60 mV and
  conductances in units of the leak conductance, ``dv/dt = (ge (Ee - v) + gi (Ei - v) -
  (v - El)) / tau_m``, Ee = 0, Ei = -80 mV, we = 0.6, wi = 6.7, v0 ~ N(-55, 5) mV,
  ge0 ~ N(4, 1.5), gi0 ~ N(20, 12) (the benchmark's initial state), and 50 ms of external
  Poisson input (100 Hz per neuron onto ge, :func:`coba_kick`) to start the self-sustained
  state, as in Vogels & Abbott (2005); Brian2 ``method="euler"``.
  spikesim: ``LIF`` + two ``Conductance`` synapses.
* **COBAHH** (benchmark 3): 4000 Hodgkin-Huxley (Traub-Miles) neurons, the same connectivity,
  conductance synapses we = 6 nS, wi = 67 nS, threshold -20 mV, refractory 3 ms
  (threshold-only), v0 = El + N(-5, 5) mV, ge0 ~ N(40, 15) nS, gi0 ~ N(200, 120) nS; Brian2
  ``method="exponential_euler"``. spikesim: ``HodgkinHuxley`` + ``Conductance``.

The Brian2 versions are scripts of Brian2's own kind (equation strings, units, its random
initialisation and ``connect(p=...)``), so they share only the statistics with the spikesim
networks, not the random draws. spikesim's synapse state starts at 0 by contract; the
initial conductances of COBA / COBAHH are written into the built network's synapse state
before the first run (``Network.set_state``).
"""
from __future__ import annotations

import numpy as np

import spikesim as ss

N_DEFAULT = 4000


# ------------------------------------------------------------------------------ Brian2 scripts
def _b2_setup(target: str, dt: float = 0.1):
    import brian2 as b2
    b2.set_device("runtime")
    b2.prefs.codegen.target = target
    b2.start_scope()
    b2.defaultclock.dt = dt * b2.ms
    return b2


def _b2_result(b2, net, mon, T_ms, namespace):
    net.run(T_ms * b2.ms, namespace=namespace)
    return np.asarray(mon.t / b2.ms), np.asarray(mon.i, dtype=np.int64)


def brian2_cuba(T_ms: float = 1000.0, N: int = N_DEFAULT, seed: int = 1, target: str = "numpy", dt: float = 0.1):
    """Brian2's examples/CUBA.py (benchmark 2); returns (spike times in ms, ids)."""
    b2 = _b2_setup(target, dt)
    from brian2 import mV, ms
    b2.seed(seed)
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV
    wi = (-20 * 4.5 / 10) * mV
    ne = int(0.8 * N)
    Ce = b2.Synapses(P, P, on_pre="ge += we")
    Ci = b2.Synapses(P, P, on_pre="gi += wi")
    Ce.connect(f"i<{ne}", p=0.02 * N_DEFAULT / N)
    Ci.connect(f"i>={ne}", p=0.02 * N_DEFAULT / N)
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, mon)
    return _b2_result(b2, net, mon, T_ms, dict(locals()))


def brian2_coba(T_ms: float = 1000.0, N: int = N_DEFAULT, seed: int = 1, target: str = "numpy", dt: float = 0.1):
    """The Vogels & Abbott (2005) COBA network (benchmark 1) in Brian2; (times ms, ids)."""
    b2 = _b2_setup(target, dt)
    from brian2 import mV, ms
    b2.seed(seed)
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -60 * mV
    Ee, Ei = 0 * mV, -80 * mV
    eqs = """
    dv/dt = (ge*(Ee-v) + gi*(Ei-v) - (v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : 1
    dgi/dt = -gi/taui : 1
    """
    P = b2.NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="euler")
    P.v = "(randn() * 5 - 55) * mV"
    P.ge = "randn() * 1.5 + 4"
    P.gi = "randn() * 12 + 20"
    we, wi = 6.0 / 10.0, 67.0 / 10.0
    ne = int(0.8 * N)
    Ce = b2.Synapses(P[:ne], P, on_pre="ge += we")
    Ci = b2.Synapses(P[ne:], P, on_pre="gi += wi")
    Ce.connect(p=0.02 * N_DEFAULT / N)
    Ci.connect(p=0.02 * N_DEFAULT / N)
    steps, ids = coba_kick(N, seed)
    K = b2.SpikeGeneratorGroup(N, ids, steps * dt * ms)
    Ck = b2.Synapses(K, P, on_pre="ge += we")
    Ck.connect(j="i")
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, K, Ck, mon)
    return _b2_result(b2, net, mon, T_ms, dict(locals()))


def brian2_cobahh(T_ms: float = 1000.0, N: int = N_DEFAULT, seed: int = 1, target: str = "numpy", dt: float = 0.1,
                  realization: dict | None = None):
    """Brian2's examples/COBAHH.py (benchmark 3); (times ms, ids). ``realization`` (from
    :func:`cobahh_realization`): use that network's connectivity and initial state instead of
    Brian2's own random draws (the model, its equations and integrator stay Brian2's), so the two
    simulators run the same random network; the rate of this network is a property of its
    realization (measured: 33-46 Hz over seeds 1-8, stable within a seed over 4 s)."""
    b2 = _b2_setup(target, dt)
    from brian2 import cm, mS, ms, mV, nS, siemens, ufarad, umetre  # noqa: F401 (used in the equations)
    b2.seed(seed)
    area = 20000 * umetre ** 2
    Cm = (1 * ufarad * cm ** -2) * area
    gl = (5e-5 * siemens * cm ** -2) * area
    El, EK, ENa = -60 * mV, -90 * mV, 50 * mV
    g_na = (100 * mS * cm ** -2) * area
    g_kd = (30 * mS * cm ** -2) * area
    VT = -63 * mV
    taue, taui = 5 * ms, 10 * ms
    Ee, Ei = 0 * mV, -80 * mV
    we, wi = 6 * nS, 67 * nS
    eqs = b2.Equations("""
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
             g_na*(m*m*m)*h*(v-ENa)-
             g_kd*(n*n*n*n)*(v-EK))/Cm : volt
    dm/dt = alpha_m*(1-m)-beta_m*m : 1
    dn/dt = alpha_n*(1-n)-beta_n*n : 1
    dh/dt = alpha_h*(1-h)-beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
    beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    """)
    P = b2.NeuronGroup(N, model=eqs, threshold="v>-20*mV", refractory=3 * ms, method="exponential_euler")
    ne = int(0.8 * N)
    Ce = b2.Synapses(P[:ne], P, on_pre="ge+=we")
    Ci = b2.Synapses(P[ne:], P, on_pre="gi+=wi")
    if realization is None:
        Ce.connect(p=0.02 * N_DEFAULT / N)
        Ci.connect(p=0.02 * N_DEFAULT / N)
        P.v = "El + (randn() * 5 - 5)*mV"
        P.ge = "(randn() * 1.5 + 4) * 10.*nS"
        P.gi = "(randn() * 12 + 20) * 10.*nS"
    else:
        Ce.connect(i=realization["e_pre"], j=realization["e_post"])
        Ci.connect(i=realization["i_pre"] - ne, j=realization["i_post"])
        P.v = realization["v"] * mV
        P.ge = realization["ge"] * nS
        P.gi = realization["gi"] * nS
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, mon)
    return _b2_result(b2, net, mon, T_ms, dict(locals()))


# ------------------------------------------------------------------------------ spikesim
def _pairs(rng, n_pre: int, n_post: int, p: float):
    i, j = np.nonzero(rng.random((n_pre, n_post)) < p)
    return i, j


def spikesim_cuba(N: int = N_DEFAULT, seed: int = 1, backend: str = "numba", p: float | None = None,
                  dt: float = 0.1) -> ss.Network:
    """CUBA in spikesim: LIF + Exponential(5 ms) and Exponential(10 ms), one-step delay."""
    rng = np.random.default_rng(seed)
    p = 0.02 * N_DEFAULT / N if p is None else p
    ne = int(0.8 * N)
    net = ss.Network(dt=dt, seed=seed, backend=backend)
    P = net.add(ss.neurons.LIF(N, tau_m=20.0, v_rest=-49.0, v_reset=-60.0, v_th=-50.0, t_ref=5.0,
                               v0=-60.0 + rng.random(N) * 10.0), name="P")
    ge, gi = ss.synapses.Exponential(5.0, name="ge"), ss.synapses.Exponential(10.0, name="gi")
    i, j = _pairs(rng, ne, N, p)
    net.connect(P, P, (i, j, np.full(i.size, 60 * 0.27 / 10)), synapse=ge)
    i, j = _pairs(rng, N - ne, N, p)
    net.connect(P, P, (i + ne, j, np.full(i.size, -20 * 4.5 / 10)), synapse=gi)
    net.record(P)
    return net


def spikesim_coba(N: int = N_DEFAULT, seed: int = 1, backend: str = "numba", dt: float = 0.1) -> ss.Network:
    """COBA in spikesim: LIF (currents in mV, conductances in units of g_leak) + Conductance."""
    rng = np.random.default_rng(seed)
    p = 0.02 * N_DEFAULT / N
    ne = int(0.8 * N)
    net = ss.Network(dt=dt, seed=seed, backend=backend)
    P = net.add(ss.neurons.LIF(N, tau_m=20.0, v_rest=-60.0, v_reset=-60.0, v_th=-50.0, t_ref=5.0,
                               v0=rng.standard_normal(N) * 5.0 - 55.0), name="P")
    i, j = _pairs(rng, ne, N, p)
    net.connect(P, P, (i, j, np.full(i.size, 0.6)), synapse=ss.synapses.Conductance(5.0, 0.0, name="ge"))
    i, j = _pairs(rng, N - ne, N, p)
    net.connect(P, P, (i + ne, j, np.full(i.size, 6.7)), synapse=ss.synapses.Conductance(10.0, -80.0, name="gi"))
    steps, ids = coba_kick(N, seed, dt=dt)
    kick = net.add(ss.inputs.SpikeSource(N, steps * dt, ids), name="kick")
    net.connect(kick, P, (np.arange(N), np.arange(N), np.full(N, 0.6)),
                synapse=ss.synapses.Conductance(5.0, 0.0, name="ge"))
    net.record(P)
    net.set_state("P", "ge.g", rng.standard_normal(N) * 1.5 + 4.0)
    net.set_state("P", "gi.g", rng.standard_normal(N) * 12.0 + 20.0)
    return net


def coba_kick(N: int, seed: int, rate_hz: float = 100.0, length_ms: float = 50.0, dt: float = 0.1):
    """(steps, ids) of the COBA network's starting stimulus: each neuron gets Poisson spikes at
    ``rate_hz`` for the first ``length_ms`` ms through its excitatory conductance (weight we), as
    Vogels & Abbott (2005) start the self-sustained state with 50 ms of external input (without
    it, whether the activity survives the first 100 ms depends on the random draws: measured 1
    of 4 seeds in spikesim and 1 of 3 in Brian2)."""
    rng = np.random.default_rng(10_000 + seed)
    n_steps = int(round(length_ms / dt))
    steps, ids = np.nonzero(rng.random((n_steps, N)) < rate_hz * dt * 1e-3)
    return steps.astype(np.int64), ids.astype(np.int64)


def spikesim_cobahh(N: int = N_DEFAULT, seed: int = 1, backend: str = "numba", dt: float = 0.1) -> ss.Network:
    """COBAHH in spikesim: HodgkinHuxley (pF, nS, mV, ms) + Conductance (nS)."""
    rng = np.random.default_rng(seed)
    p = 0.02 * N_DEFAULT / N
    ne = int(0.8 * N)
    net = ss.Network(dt=dt, seed=seed, backend=backend)
    P = net.add(ss.neurons.HodgkinHuxley(N, v=-60.0 + rng.standard_normal(N) * 5.0 - 5.0), name="P")
    i, j = _pairs(rng, ne, N, p)
    net.connect(P, P, (i, j, np.full(i.size, 6.0)), synapse=ss.synapses.Conductance(5.0, 0.0, name="ge"))
    i, j = _pairs(rng, N - ne, N, p)
    net.connect(P, P, (i + ne, j, np.full(i.size, 67.0)), synapse=ss.synapses.Conductance(10.0, -80.0, name="gi"))
    net.record(P)
    net.set_state("P", "ge.g", (rng.standard_normal(N) * 1.5 + 4.0) * 10.0)
    net.set_state("P", "gi.g", (rng.standard_normal(N) * 12.0 + 20.0) * 10.0)
    return net


def cobahh_realization(net: ss.Network) -> dict:
    """Connectivity (global ids) and initial state (mV, nS) of a :func:`spikesim_cobahh` network."""
    pe, pi = net.projections
    return {"e_pre": pe.pre_idx, "e_post": pe.post_idx, "i_pre": pi.pre_idx, "i_post": pi.post_idx,
            "v": net.populations["P"].initial["v"], "ge": net.initial_state[("P", "ge.g")],
            "gi": net.initial_state[("P", "gi.g")]}


BRIAN2 = {"cuba": brian2_cuba, "coba": brian2_coba, "cobahh": brian2_cobahh}
SPIKESIM = {"cuba": spikesim_cuba, "coba": spikesim_coba, "cobahh": spikesim_cobahh}

__all__ = ["BRIAN2", "SPIKESIM", "cobahh_realization", "brian2_cuba", "brian2_coba", "brian2_cobahh", "spikesim_cuba", "spikesim_coba",
           "spikesim_cobahh"]
