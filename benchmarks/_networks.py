"""Benchmark networks, built once with seeded NumPy; the same arrays go to every simulator.

* ``izhikevich_2003``: Izhikevich (2003) net.m, 1000 neurons, dense (10^6 synapses, one-step
  current pulses, 1 ms delay), thalamic noise as a precomputed current array, dt = 1 ms.
* ``cuba``: Brette et al. (2007) benchmark 2 / Brian2's CUBA example, in spikesim's LIF:
  N = 4000 (80 % exc), connection probability p (K ~ p N inputs), dt = 0.1 ms, tau_m = 20 ms,
  El = -49 mV, Vt = -50 mV, Vr = -60 mV, t_ref = 5 ms, v0 uniform in [Vr, Vt], we = 1.62 mV,
  delay 0.1 ms (one step), synapses on the filtered current ``I_syn``. Our LIF has one synaptic
  time constant per neuron where the example has tau_e = 5 ms and tau_i = 10 ms: we use 5 ms
  for both and double the inhibitory weight (-18 mV instead of -9 mV) so each inhibitory spike
  injects the same charge. ``fixed_k`` gives every neuron exactly K inputs (the scaling sweep);
  ``silent`` sets El = -60 mV (no drive, no spikes) to measure the per-step floor.
* ``brunel``: Brunel (2000) model A, N = 10 000 (8000 exc / 2000 inh), fixed in-degree
  C_E = 800, C_I = 200 (10^7 synapses), J = 0.1 mV, g = 5, delay 1.5 ms, tau_m = 20 ms,
  theta = 20 mV, V_r = 10 mV, t_ref = 2 ms, delta synapses (jumps on v), dt = 0.1 ms. External
  drive: eta = 2 (nu_ext = 2 nu_thr), delivered by a pool of 1000 Poisson sources at 200 Hz,
  20 inputs of 0.5 mV per neuron (the same mean drive as 800 inputs of 0.1 mV at 25 Hz, with
  5x the variance, at 1/5 of the external synaptic events).
"""
from __future__ import annotations

import numpy as np

import spikesim as ss
from spikesim.models.izhikevich_2003 import build_network, draw_arrays


def izhikevich_2003(T_ms: int = 1000, seed: int = 1, backend: str = "numba") -> ss.Network:
    """The classic net.m network (spikesim.models.izhikevich_2003), thalamic input for T_ms."""
    return build_network(draw_arrays(800, 200, T_ms, seed=seed), dt=1.0, seed=seed, backend=backend)


def _fixed_indegree(rng, n_pre: int, n_post: int, k: int):
    """(pre, post) with exactly k presynaptic partners per postsynaptic neuron, drawn with
    replacement (multapses allowed, NEST's ``fixed_indegree`` default)."""
    pre = rng.integers(0, n_pre, size=(n_post, k), dtype=np.int64).ravel()
    return pre, np.repeat(np.arange(n_post, dtype=np.int64), k)


def cuba(N: int = 4000, p: float = 0.02, fixed_k: int | None = None, silent: bool = False, seed: int = 2,
         backend: str = "numba", record: bool = True, dtype: str = "float64") -> ss.Network:
    rng = np.random.default_rng(seed)
    Ne = int(round(0.8 * N))
    Ni = N - Ne
    Vt, Vr = -50.0, -60.0
    El = -60.0 if silent else -49.0
    net = ss.Network(dt=0.1, seed=seed, backend=backend, dtype=dtype)
    kw = dict(tau_m=20.0, v_rest=El, v_reset=Vr, v_th=Vt, t_ref=5.0, tau_syn=5.0)
    v0 = np.full(N, Vr) if silent else Vr + rng.random(N) * (Vt - Vr)
    exc = net.add(ss.neurons.LIF(Ne, v0=v0[:Ne], **kw), name="exc")
    inh = net.add(ss.neurons.LIF(Ni, v0=v0[Ne:], **kw), name="inh")
    we, wi = 60 * 0.27 / 10, -20 * 4.5 / 10 * (10.0 / 5.0)
    for pre, n_pre, w in ((exc, Ne, we), (inh, Ni, wi)):
        for post, n_post in ((exc, Ne), (inh, Ni)):
            if fixed_k is None:
                m = rng.random((n_pre, n_post)) < p
                i, j = np.nonzero(m)
            else:
                k = int(round(fixed_k * n_pre / N))
                i, j = _fixed_indegree(rng, n_pre, n_post, k)
            net.connect(pre, post, (i, j, np.full(i.size, w)), delays=0.1, target="I_syn")
    if record:
        net.record(exc)
        net.record(inh)
    return net


def brunel(N: int = 10000, seed: int = 3, backend: str = "numba", record: bool = True,
           dtype: str = "float64") -> ss.Network:
    rng = np.random.default_rng(seed)
    Ne, Ni = int(0.8 * N), N - int(0.8 * N)
    CE, CI = int(0.1 * Ne), int(0.1 * Ni)
    J, g, delay = 0.1, 5.0, 1.5
    net = ss.Network(dt=0.1, seed=seed, backend=backend, dtype=dtype)
    kw = dict(tau_m=20.0, v_rest=0.0, v_reset=10.0, v_th=20.0, t_ref=2.0)
    exc = net.add(ss.neurons.LIF(Ne, v0=rng.uniform(0.0, 20.0, Ne), **kw), name="exc")
    inh = net.add(ss.neurons.LIF(Ni, v0=rng.uniform(0.0, 20.0, Ni), **kw), name="inh")
    n_pool, k_ext, rate_ext, j_ext = 1000, 20, 200.0, 0.5
    pool = net.add(ss.inputs.Poisson(n_pool, rate_ext), name="ext")
    for post, n_post in ((exc, Ne), (inh, Ni)):
        for pre, n_pre, c, w in ((exc, Ne, CE, J), (inh, Ni, CI, -g * J)):
            i, j = _fixed_indegree(rng, n_pre, n_post, c)
            net.connect(pre, post, (i, j, np.full(i.size, w)), delays=delay, target="v")
        i, j = _fixed_indegree(rng, n_pool, n_post, k_ext)
        net.connect(pool, post, (i, j, np.full(i.size, j_ext)), delays=delay, target="v")
    if record:
        net.record(exc)
        net.record(inh)
        net.record(pool)
    return net


def izhikevich_hetero(N: int = 4000, K: int = 200, dt: float = 0.5, T_ms: float = 2000.0, seed: int = 4,
                      backend: str = "numba", threads: int | None = None, record: bool = True,
                      dtype: str = "float64") -> ss.Network:
    """Izhikevich (2003) cells (80 % regular-spiking excitatory with c, d spread as in net.m, 20 %
    fast-spiking inhibitory), each neuron projecting to K random targets (drawn with replacement)
    with its own delay per synapse, uniform in 0.5-5 ms (rounded to dt = 0.5 ms: 10 distinct
    delays); synapses on the exponential current ``I_syn`` (tau 5 ms), weights uniform in
    [0, 0.5] (exc) and [-1, 0] (inh) scaled by 1000 / (5 K), so a neuron receives the charge of
    net.m's pulses; noisy drive as in net.m, a precomputed current array (T_ms / dt steps x N,
    128 MB for the defaults) of sd 5 (exc) / 2 (inh) per sqrt(ms), i.e. sd / sqrt(dt) per step."""
    rng = np.random.default_rng(seed)
    Ne = int(0.8 * N)
    Ni = N - Ne
    re, ri = rng.random(Ne), rng.random(Ni)
    a = np.concatenate([np.full(Ne, 0.02), 0.02 + 0.08 * ri])
    b = np.concatenate([np.full(Ne, 0.2), 0.25 - 0.05 * ri])
    c = np.concatenate([-65.0 + 15.0 * re ** 2, np.full(Ni, -65.0)])
    d = np.concatenate([8.0 - 6.0 * re ** 2, np.full(Ni, 2.0)])
    net = ss.Network(dt=dt, seed=seed, backend=backend, threads=threads, dtype=dtype)
    pop = net.add(ss.neurons.Izhikevich(N, a=a, b=b, c=c, d=d, v0=-65.0), name="izh")
    pre = np.repeat(np.arange(N, dtype=np.int64), K)
    post = rng.integers(0, N, size=N * K, dtype=np.int64)
    scale = 1000.0 / (5.0 * K)
    w = np.where(pre < Ne, 0.5 * rng.random(N * K), -rng.random(N * K)) * scale
    delays = np.round(rng.uniform(0.5, 5.0, N * K) / dt) * dt
    net.connect(pop, pop, (pre, post, w), delays=delays, target="I_syn")
    sd = np.concatenate([np.full(Ne, 5.0), np.full(Ni, 2.0)]) / np.sqrt(dt)
    n_steps = int(round(T_ms / dt))
    net.inject(pop, rng.standard_normal((n_steps, N)) * sd)
    if record:
        net.record(pop)
    return net
