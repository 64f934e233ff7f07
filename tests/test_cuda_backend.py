"""The cuda backend (numba-cuda) against the Numba CPU backend.

Three kinds of test live here:

* **simulator tests** (``sim``): the CUDA simulator must be switched on before numba is
  imported, so :func:`test_simulator_session` reruns this file in a subprocess with
  ``NUMBA_ENABLE_CUDASIM=1`` and the kernels' block size patched to 8 threads (grid of the
  delivery kernel capped at 3 blocks), so every multi-block and grid-stride path runs. Tens of
  neurons, tens of steps: the simulator runs one Python thread per CUDA thread.
* **host tests**: the error without a GPU, and the kernels compiled for a real GPU (sm_90 PTX
  through libNVVM, no device needed): they type-check outside the simulator and contain no
  fused multiply-add.
* **gpu tests** (``@pytest.mark.gpu``, run by ``benchmarks/gpu_check.sh`` on a machine with a
  GPU): the same comparisons at larger sizes, without the simulator.

What is compared. With the ordered delivery (default up to 2e7 synapses / 1e5 neurons) spikes, the
state of every neuron and synapse model, and learned weights must be bit-identical to the Numba CPU
backend, for the core networks (tests/core_networks.py) and for networks with every synapse model
(exponential with exact charge and two time constants, alpha, conductance, alpha conductance,
pulse, Delta on a variable other than v), GaussianCurrent noise, Hodgkin-Huxley, a user-defined
model (QIF, defined here), continuous projections (gap junctions, rate coupling), PoissonInput,
Tsodyks-Markram short-term plasticity and Poisson rates over time. With the atomic delivery (large networks, or ``DELIVERY = "atomic"``)
spike trains must be identical on these short runs and state may differ in the last bits where a
ring-buffer cell gets several spikes in one step (summation order): allowed
|diff| <= 1e-12 * (1 + |x|); without such collisions it must be bit-identical too (see
``spikesim.backends.numba_cuda.core``). The multapse, collision-free and NaN networks, whose CPU
kernels no other test compiles, are compared with the NumPy reference backend instead (the same
schedule written out plainly, bit-identical to numba; it needs no compilation, which keeps this
session short on a cold kernel cache).
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import spikesim as ss
from core_networks import NETWORKS, assert_same_results
from cuda_sim import run_under_simulator

INNER = os.environ.get("SPIKESIM_CUDA_SIM_SESSION") == "1"
ROOT = Path(__file__).resolve().parents[1]
sim = pytest.mark.skipif(not INNER, reason="runs in the simulator session of test_simulator_session")

SMALL = {"izhikevich_2003": dict(n_exc=40, n_inh=10, duration=60.0),
         "lif_delays": dict(n=16, duration=20.0, dt=0.5),
         "mixed": dict(duration=20.0)}


def _real_gpu() -> bool:
    if INNER or os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    try:
        from spikesim.backends.numba_cuda.core import unavailable_reason
        return unavailable_reason() is None
    except Exception:
        return False


gpu = [pytest.mark.gpu, pytest.mark.skipif(not _real_gpu(), reason="needs a CUDA GPU (not the simulator)")]


def assert_close_results(a, b):
    """Identical spikes; state equal to within the atomic-add reordering of ring cells."""
    assert a.populations == b.populations
    for pop in a.populations:
        if pop in a._spikes:
            np.testing.assert_array_equal(a.spikes(pop)[0], b.spikes(pop)[0], err_msg=f"spike times of {pop}")
            np.testing.assert_array_equal(a.spikes(pop)[1], b.spikes(pop)[1], err_msg=f"spike ids of {pop}")
        for var in a._state.get(pop, {}):
            x, y = a.state(pop, var), b.state(pop, var)
            assert x.shape == y.shape, f"{pop}.{var}"
            assert np.all(np.abs(x - y) <= 1e-12 * (1.0 + np.abs(x))), f"{pop}.{var}: max diff {np.abs(x - y).max()}"
            np.testing.assert_array_equal(a.state_times(pop), b.state_times(pop))


def n_spikes(res):
    return sum(len(res.spikes(p)[0]) for p in res.populations if p in res._spikes)


def plan_arrays(net) -> dict:
    """Everything a run changes in the plan: the state of every neuron and synapse model (after
    ``sync_to_host``), the weights, the plasticity traces, the short-term-plasticity state and the
    continuous projections' last sums."""
    p = net._plan
    out = {"w": p.w, "stp_state": p.stp_state}
    for r, rp in enumerate(p.rules):                 # each plastic projection's traces and synapse state
        out[f"rule{r}.X"], out[f"rule{r}.V"] = rp.X, rp.V
    out.update({f"continuous{c}": cp.acc for c, cp in enumerate(p.continuous)})
    for pp in p.neuron_pops:
        out[pp.name] = pp.S
        out.update({f"{pp.name}.{s.name}": s.S for s in pp.synapses})
    return out


def assert_same_plan(a, b, exact=True):
    x, y = plan_arrays(a), plan_arrays(b)
    assert x.keys() == y.keys()
    for k in x:
        if exact:
            np.testing.assert_array_equal(x[k], y[k], err_msg=k)
        else:
            np.testing.assert_allclose(x[k], y[k], rtol=1e-12, atol=1e-12, err_msg=k)


# ============================================================ networks with the open core's models
class QIF(ss.neurons.NeuronModel):
    """A user's model, defined here: the quadratic integrate-and-fire neuron (Latham et al. 2000),
    tau dv/dt = (v - v_r)(v - v_c) / (v_c - v_r) + I, forward Euler."""

    state = {"v": -65.0}
    params = {"tau": 10.0, "v_r": -65.0, "v_c": -50.0, "v_peak": 30.0, "v_reset": -70.0}

    @staticmethod
    def derived(dt, tau):
        return {"k": dt / tau}

    @staticmethod
    def update(v, I, k, v_r, v_c):
        return (v + k * ((v - v_r) * (v - v_c) / (v_c - v_r) + I),)

    @staticmethod
    def threshold(v, v_peak):
        return v >= v_peak

    @staticmethod
    def reset(v, v_reset):
        return (v_reset,)


def _synapse_zoo(backend, T=15.0, noise=True):
    """Every synapse model at once, heterogeneous delays: LIF with two exponential currents (exact
    charge, tau 2 and 8 ms, as CUBA's tau_e / tau_i), an alpha current, pulses, jumps on v and
    GaussianCurrent noise; Izhikevich with an exponential and an alpha conductance, jumps on u
    (Delta on a variable other than v) and the I_syn shorthand. Poisson and spike-source inputs;
    synapse state recorded. ``noise=False``: the noise's mean as a constant current instead."""
    rng = np.random.default_rng(12)
    n1, n2, dt = 14, 12, 0.5
    net = ss.Network(dt=dt, seed=5, backend=backend)
    bg = net.add(ss.inputs.Poisson(20, rate_hz=rng.uniform(100, 400, 20)), name="bg")
    cue = net.add(ss.inputs.SpikeSource(5, times=rng.uniform(0, T, 30), ids=rng.integers(0, 5, 30)), name="cue")
    lif = net.add(ss.neurons.LIF(n1, tau_m=rng.uniform(8, 15, n1), t_ref=1.0, v0=rng.uniform(-65, -52, n1)), name="lif")
    izh = net.add(ss.neurons.Izhikevich(n2, d=rng.uniform(2, 8, n2), v0=rng.uniform(-70, -60, n2)), name="izh")
    S = ss.synapses

    def w(n_pre, n_post, p, lo, hi):
        return np.where(rng.random((n_pre, n_post)) < p, rng.uniform(lo, hi, (n_pre, n_post)), 0.0)

    def d(n_pre, n_post, hi):
        return rng.uniform(dt, hi, (n_pre, n_post))

    net.connect(bg, lif, w(20, n1, 0.4, 2, 6), delays=d(20, n1, 3.0), synapse=S.Exponential(tau=2.0, name="ampa"))
    net.connect(izh, lif, w(n2, n1, 0.4, 1, 4), delays=d(n2, n1, 2.0), synapse=S.Exponential(tau=2.0, name="ampa"))
    net.connect(lif, lif, w(n1, n1, 0.3, -6, -2), delays=d(n1, n1, 2.5), synapse=S.Exponential(tau=8.0, name="gaba"))
    net.connect(cue, lif, w(5, n1, 0.5, 3, 8), delays=d(5, n1, 4.0), synapse=S.Alpha(tau=3.0, name="alpha"))
    net.connect(bg, lif, w(20, n1, 0.2, 1, 3), delays=1.0, target="I")
    net.connect(cue, lif, w(5, n1, 0.3, 1, 4), delays=d(5, n1, 2.0), target="v")
    net.connect(bg, izh, w(20, n2, 0.4, 0.05, 0.2), delays=d(20, n2, 2.0),
                synapse=S.Conductance(tau=5.0, E=0.0, name="ge"))
    net.connect(lif, izh, w(n1, n2, 0.4, 0.1, 0.5), delays=d(n1, n2, 3.0),
                synapse=S.AlphaConductance(tau=4.0, E=-80.0, name="gi"))
    net.connect(cue, izh, w(5, n2, 0.5, -3, 3), delays=d(5, n2, 2.0), synapse=S.Delta("u"))
    net.connect(lif, izh, w(n1, n2, 0.3, 1, 3), delays=1.5, target="I_syn")
    mean = rng.uniform(8, 14, n1)
    net.inject(lif, ss.inputs.GaussianCurrent(mean=mean, sd=4.0) if noise else mean)
    net.inject(izh, 2.0)
    net.record(lif, state=("v", "ampa", "gaba", "alpha.g", "alpha.h"))
    net.record(izh, state=("v", "u", "ge", "gi.h", "I_syn"), every=2)
    net.record(bg)
    net.record(cue)
    return net, T


def _hh_qif(backend, T=5.0):
    """Hodgkin-Huxley (COBAHH's cell) with excitatory and inhibitory conductances and
    GaussianCurrent noise, and the user-defined QIF with an exponential current, jumps on v and
    two current inputs (constant and noise), driven by Poisson sources, dt = 0.1 ms."""
    rng = np.random.default_rng(4)
    net = ss.Network(dt=0.1, seed=9, backend=backend)
    bg = net.add(ss.inputs.Poisson(20, rate_hz=rng.uniform(200, 600, 20)), name="bg")
    hh = net.add(ss.neurons.HodgkinHuxley(12, v=rng.uniform(-65, -55, 12)), name="hh")
    q = net.add(QIF(10, tau=rng.uniform(8, 12, 10), v=rng.uniform(-70, -50, 10)), name="qif")
    ge = ss.synapses.Conductance(tau=5.0, E=0.0, name="ge")
    gi = ss.synapses.Conductance(tau=10.0, E=-80.0, name="gi")
    net.connect(bg, hh, np.where(rng.random((20, 12)) < 0.5, rng.uniform(5, 30, (20, 12)), 0.0),
                delays=rng.uniform(0.1, 1.0, (20, 12)), synapse=ge)
    net.connect(q, hh, np.where(rng.random((10, 12)) < 0.5, 20.0, 0.0), delays=0.5, synapse=gi)
    net.connect(hh, q, np.where(rng.random((12, 10)) < 0.5, 8.0, 0.0), delays=rng.uniform(0.1, 0.8, (12, 10)),
                synapse=ss.synapses.Exponential(tau=2.0, name="ampa"))
    net.connect(bg, q, np.where(rng.random((20, 10)) < 0.3, 3.0, 0.0), delays=0.2, target="v")
    net.inject(hh, ss.inputs.GaussianCurrent(mean=rng.uniform(600, 1200, 12), sd=300.0))
    net.inject(q, 2.0)
    net.inject(q, ss.inputs.GaussianCurrent(mean=0.0, sd=rng.uniform(0.5, 3.0, 10)))
    net.record(hh, state=("v", "m", "ge", "gi"))
    net.record(q, state=("v", "ampa"), every=2)
    net.record(bg)
    return net, T


def _features(backend, T=10.0):
    """The open core's other inputs and couplings: gap junctions and rate coupling (continuous
    projections), PoissonInput on a state variable, on a synapse model and as pulses, Tsodyks-
    Markram short-term plasticity on an exponential synapse (heterogeneous delays) and on jumps,
    Poisson rates over time ((n_steps, 1) and (n_steps, n)), dt = 0.25 ms."""
    rng = np.random.default_rng(21)
    dt, n = 0.25, 12
    steps = int(round(T / dt))
    net = ss.Network(dt=dt, seed=13, backend=backend)
    rate = np.zeros((steps, 1))
    rate[steps // 3:] = 600.0
    on = net.add(ss.inputs.Poisson(10, rate_hz=rate), name="on")
    bg = net.add(ss.inputs.Poisson(8, rate_hz=rng.uniform(0, 500, (steps, 8))), name="bg")
    a = net.add(ss.neurons.LIF(n, tau_m=rng.uniform(8, 14, n), t_ref=1.0, v0=rng.uniform(-66, -52, n)), name="a")
    b = net.add(ss.neurons.Izhikevich(6, v0=rng.uniform(-70, -60, 6)), name="b")
    G = np.where(rng.random((n, n)) < 0.4, rng.uniform(0.05, 0.3, (n, n)), 0.0)
    np.fill_diagonal(G, 0.0)
    net.connect(a, a, (G + G.T) / 2, synapse=ss.synapses.GapJunction())
    net.connect(a, b, rng.uniform(0, 0.5, (n, 6)), synapse=ss.synapses.RateCoupling(theta=-60.0))
    net.connect(on, a, np.where(rng.random((10, n)) < 0.5, 6.0, 0.0), delays=rng.uniform(dt, 2.0, (10, n)),
                synapse=ss.synapses.Exponential(tau=3.0, name="ampa"),
                stp=ss.synapses.TsodyksMarkram(U=0.3, tau_d=40.0, tau_f=200.0))
    net.connect(bg, a, np.where(rng.random((8, n)) < 0.4, 3.0, 0.0), delays=0.5, target="v",
                stp=ss.synapses.TsodyksMarkram(U=0.5, tau_d=100.0, tau_f=20.0))
    net.connect(bg, b, np.where(rng.random((8, 6)) < 0.5, 4.0, 0.0), delays=rng.uniform(dt, 1.5, (8, 6)), target="I")
    net.connect(a, b, np.where(rng.random((n, 6)) < 0.5, 5.0, 0.0), delays=rng.uniform(dt, 1.0, (n, 6)),
                target="I_syn")
    net.inject(a, ss.inputs.PoissonInput(k=50, rate_hz=40.0, weight=0.4, synapse="v"))
    net.inject(a, ss.inputs.PoissonInput(k=20, rate_hz=80.0, weight=1.5,
                                         synapse=ss.synapses.Exponential(tau=3.0, name="ampa")))
    net.inject(a, 9.0)
    net.inject(b, ss.inputs.PoissonInput(k=30, rate_hz=100.0, weight=2.0, synapse="I"))
    net.record(a, state=("v", "ampa"))
    net.record(b, state=("v", "u", "I_syn"), every=2)
    net.record(on)
    net.record(bg)
    return net, T


MODEL_NETWORKS = {"synapse_zoo": _synapse_zoo, "hh_qif": _hh_qif, "features": _features}


# ============================================================ outer session (no simulator)
def test_simulator_session():
    """Run the ``sim`` tests of this file under the CUDA simulator in a fresh interpreter."""
    if INNER:
        pytest.skip("this is the simulator session itself")
    proc = run_under_simulator(pytest_args=["-W", "ignore:overflow encountered:RuntimeWarning", "-W",
                                            "ignore:invalid value encountered:RuntimeWarning", str(Path(__file__).resolve())],
                               env={"SPIKESIM_CUDA_SIM_SESSION": "1"})
    out = proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "skipped" in proc.stdout, out   # the outer-only tests skip there


def test_cuda_without_gpu_says_how_to_install_or_simulate():
    if INNER or _real_gpu() or os.environ.get("NUMBA_ENABLE_CUDASIM"):
        pytest.skip("a GPU or the simulator is available here")
    from spikesim.backends import BackendUnavailableError
    with pytest.raises(BackendUnavailableError) as err:
        ss.Network(dt=0.1, backend="cuda")
    msg = str(err.value)
    assert 'pip install -e ".[cuda]"' in msg and "NUMBA_ENABLE_CUDASIM=1" in msg
    # the runner refuses with the same words (one hint for every place that finds no GPU)
    pytest.importorskip("numba_cuda", reason="numba-cuda (the [cuda] or [dev] extra) is not installed")
    from spikesim.backends.numba_cuda import core
    with pytest.raises(BackendUnavailableError) as err2:
        core.make_runner(None)
    assert str(err2.value) == msg and "cu12" in msg


PTX_SCRIPT = textwrap.dedent("""
    import types as _t, sys
    sys.path.insert(0, "tests")
    from numba import cuda, types
    from numba.cuda.cudadrv import nvvm
    try:
        nvvm.NVVM()
    except Exception as exc:
        print("NO-NVVM", exc); sys.exit(0)
    import numba.cuda.dispatcher as _d
    _d.get_current_device = lambda: _t.SimpleNamespace(compute_capability=(9, 0))  # no GPU needed
    import test_cuda_backend as T
    from test_core_plasticity import plastic_network
    from spikesim.backends.numba_cuda import kernels as K
    from spikesim.backends.numba_cuda.driver import neuron_kernel, rule_kernels, step_kernels
    from spikesim.backends.numba_cuda.strict_fp import strict_fp
    def kernel_of(net):
        net._build()                  # reference backend: builds the plan, compiles nothing
        return neuron_kernel(net._plan)
    a1f, a1i, a1u = (types.Array(t, 1, "C") for t in (types.float64, types.int64, types.uint64))
    a2f = types.Array(types.float64, 2, "C")
    neuron = (types.int64, a1f, a1i, a1u, a1i)
    sigs = {"neuron_stdp": (kernel_of(plastic_network("reference")[0]), neuron, False),
            "neuron_zoo": (kernel_of(T._synapse_zoo("reference", noise=False)[0]), neuron, True),
            "neuron_hh_qif": (kernel_of(T._hh_qif("reference")[0]), neuron, True),
            "deliver": (K.deliver_kernel, (types.int64, a1f, a1i, a2f), False)}
    from spikesim.backends.numba_cuda.conv import conv_kernel
    sigs["conv"] = (conv_kernel, (types.int64, a1f, a1i) + (a1i,) * 6 + (a1f,), False)
    net = plastic_network("reference")[0]
    net._build()
    for kern in rule_kernels(net._plan):         # STDP + R-STDP: before, on_pre, on_post, traces, after
        sigs[kern.py_func.__name__] = (kern, (types.int64, a1f, a1i, a2f), False)
    net = T._features("reference")[0]
    net._build()
    for kern, name in zip(step_kernels(net._plan), ("features_input", "features_coupling", "features_neuron")):
        sigs[name] = (kern, neuron, name == "features_coupling")
    from readout_networks import reservoir_net
    from spikesim.backends.numba_cuda.driver import readout_kernels
    for rule in ("nlms", "rls"):                 # readouts: signals in the neuron kernel, the readout kernel
        net = reservoir_net("reference", rule=rule)[0]
        net._build()
        sigs[f"readout_{rule}"] = (readout_kernels(net._plan)[0], (types.int64, a1f, a1i, a2f), False)
    sigs["readout_neuron"] = (neuron_kernel(net._plan), neuron, False)
    for name, (kern, sig, plain_too) in sigs.items():
        with strict_fp():
            ptx, _ = cuda.compile_ptx(kern.py_func, sig, cc=(9, 0))
        plain = cuda.compile_ptx(kern.py_func, sig, cc=(9, 0))[0] if plain_too else ""
        print(name, ptx.count("fma.rn.f64"), plain.count("fma.rn.f64"), ptx.count("atom.global.add.f64"))
""")


def test_kernels_compile_for_sm90_without_fma():
    """Type-check the generated and the fixed kernels for a real GPU (the simulator does not) and
    check that no multiply-add is contracted: none in the kernels of every synapse model, LIF,
    Izhikevich, STDP and the continuous couplings. The Hodgkin-Huxley / noise kernel calls
    libdevice's exp, expm1, log and cos, whose own code uses FMA explicitly: there, strict
    compilation must remove the contractions of the model's arithmetic (fewer FMA than the
    default); the same holds for STP's exp and PoissonInput's pow (only type-checked here)."""
    if INNER or os.environ.get("NUMBA_ENABLE_CUDASIM"):
        pytest.skip("needs the real CUDA target")
    pytest.importorskip("numba_cuda", reason="numba-cuda is not installed")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    proc = subprocess.run([sys.executable, "-c", PTX_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=500)
    assert proc.returncode == 0, proc.stderr[-4000:]
    if proc.stdout.startswith("NO-NVVM"):
        pytest.skip(f"libNVVM not found: {proc.stdout.strip()}")
    counts = {line.split()[0]: [int(x) for x in line.split()[1:]] for line in proc.stdout.splitlines()}
    assert len(counts) == 16, proc.stdout
    rules = ("rule_before_kernel", "rule_pre_kernel", "rule_post_kernel", "rule_trace_kernel", "rule_after_kernel")
    for name in ("neuron_stdp", "neuron_zoo", "deliver", "conv", "features_coupling", "readout_nlms",
                 "readout_rls") + rules:
        assert counts[name][0] == 0, (name, counts[name])            # strict: no fused multiply-add
    for name in ("neuron_zoo", "features_coupling"):
        assert counts[name][1] > 0, (name, counts[name])             # the default would fuse: the check can fail
    strict, plain = counts["neuron_hh_qif"][:2]
    assert plain > strict, counts["neuron_hh_qif"]
    assert counts["deliver"][2] > 0      # the atomic delivery is a float64 atomic add
    assert counts["conv"][2] > 0         # so is the convolutions' atomic delivery


def test_generated_source_depends_on_the_signature_only_and_imports_no_core():
    """Two networks with the same models but other sizes and values share one kernel source; the
    kernels import nothing from spikesim.core."""
    import ast

    from spikesim.backends.numba_cuda import driver
    srcs = []
    for n, dur in ((16, 20.0), (24, 10.0)):
        net, _ = NETWORKS["lif_delays"]("reference", n=n, duration=dur, dt=0.5)
        net._build()
        srcs.append(driver.generate(net._plan))
    assert srcs[0] == srcs[1]
    net, _ = _synapse_zoo("reference")
    net._build()
    other = driver.generate(net._plan)
    assert other != srcs[0] and "def m0_update" in other and "@cuda.jit" in other
    kernels = (ROOT / "spikesim" / "backends" / "numba_cuda" / "kernels.py").read_text()
    for text in (other, kernels):
        tree = ast.parse(text)
        mods = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not any(m.startswith("spikesim.core") for m in mods), mods


# ============================================================ simulator session
@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch):
    if INNER:
        from spikesim.backends.numba_cuda import core
        monkeypatch.setattr(core, "BLOCK", 8)
        monkeypatch.setattr(core, "DELIVER_BLOCK", 8)
        monkeypatch.setattr(core, "MAX_BLOCKS", 3)
        monkeypatch.setattr(core, "CHECK_EVERY", 7)
    yield


@sim
@pytest.mark.parametrize("name,delivery", [(n, "exact") for n in sorted(SMALL)] + [("izhikevich_2003", "atomic")])
def test_sim_core_networks_match_numba(name, delivery, monkeypatch):
    from spikesim.backends.numba_cuda import core
    monkeypatch.setattr(core, "DELIVERY", delivery)
    kw = SMALL[name]
    net_cpu, T = NETWORKS[name]("numba", **kw)
    net_gpu, _ = NETWORKS[name]("cuda", **kw)
    cpu, gpu_res = net_cpu.run(T), net_gpu.run(T)
    assert n_spikes(cpu) > 10, "the test network should be active"
    assert math.ceil(net_gpu._plan.n_total / 8) > 3, "several blocks, grid-stride delivery"
    assert net_cpu.last_run_stats["synaptic_events"] == net_gpu.last_run_stats["synaptic_events"] > 0
    if delivery == "exact":
        assert_same_results(cpu, gpu_res, exact=True)
    else:
        assert_close_results(cpu, gpu_res)
    assert_same_plan(net_cpu, net_gpu, exact=delivery == "exact")


@sim
@pytest.mark.parametrize("name,delivery", [("synapse_zoo", "exact"), ("synapse_zoo", "atomic"), ("hh_qif", "exact"),
                                            ("features", "exact"), ("features", "atomic")])
def test_sim_model_networks_match_numba(name, delivery, monkeypatch):
    """Every synapse model, noise, Hodgkin-Huxley and a user's QIF, continuous projections,
    PoissonInput, short-term plasticity, Poisson rates over time: spikes, recorded neuron and
    synapse state, and the final state of everything in the plan as on the CPU."""
    from spikesim.backends.numba_cuda import core
    monkeypatch.setattr(core, "DELIVERY", delivery)
    net_cpu, T = MODEL_NETWORKS[name]("numba")
    net_gpu, _ = MODEL_NETWORKS[name]("cuda")
    cpu, gpu_res = net_cpu.run(T), net_gpu.run(T)
    for pop in {"synapse_zoo": ("lif", "izh"), "hh_qif": ("hh", "qif"), "features": ("a", "b")}[name]:
        assert cpu.spikes(pop)[0].size > 5, f"{pop} should be active"
    assert net_gpu._runner.exact == (delivery == "exact")
    assert net_cpu.last_run_stats["synaptic_events"] == net_gpu.last_run_stats["synaptic_events"] > 0
    if delivery == "exact":
        assert_same_results(cpu, gpu_res, exact=True)
    else:
        assert_close_results(cpu, gpu_res)
    assert_same_plan(net_cpu, net_gpu, exact=delivery == "exact")


def _multapses(backend):
    """Fixed in-degree drawn with replacement (multapses), a second projection onto the same
    cells, equal delays: many ring cells get several inputs per step, some from one row."""
    rng = np.random.default_rng(8)
    n, dt, T = 30, 0.5, 20.0
    net = ss.Network(dt=dt, seed=3, backend=backend)
    bg = net.add(ss.inputs.Poisson(20, 150.0), name="bg")
    lif = net.add(ss.neurons.LIF(n, tau_m=10.0, t_ref=1.0, v0=rng.uniform(-65, -51, n)), name="lif")
    pre = rng.integers(0, 20, 6 * n)
    post = np.repeat(np.arange(n), 6)
    net.connect(bg, lif, (pre, post, rng.uniform(0.5, 3.0, pre.size)), delays=1.0, target="v")
    net.connect(bg, lif, (pre[::2], post[::2], rng.uniform(0.1, 1.0, pre[::2].size)), delays=1.0, target="v")
    pre_r, post_r = rng.integers(0, n, 4 * n), np.repeat(np.arange(n), 4)
    net.connect(lif, lif, (pre_r, post_r, rng.uniform(-2.0, 4.0, pre_r.size)), delays=0.5, target="I_syn")
    net.inject(lif, 12.0)
    net.record(lif, state=("v", "I_syn"))
    net.record(bg)
    return net, T


@sim
def test_sim_ordered_delivery_is_bit_identical_with_multapses():
    a, T = _multapses("reference")
    b, _ = _multapses("cuda")
    ra, rb = a.run(T), b.run(T)
    assert ra.spikes("lif")[0].size > 10
    assert b._runner.exact, "ordered delivery in use"
    assert_same_results(ra, rb, exact=True)
    assert_same_plan(a, b)


def test_multapse_chains():
    from spikesim.backends.numba_cuda.core import multapse_chains
    indptr = np.array([0, 4, 4, 7])
    code = np.array([5, 3, 5, 5, 3, 3, 9])      # row 0: cells 5,3,5,5 ; row 2: 3,3,9
    ch = multapse_chains(indptr, code)
    first, nxt = ch & 1, (ch >> 1) - 1
    np.testing.assert_array_equal(first, [1, 1, 0, 0, 1, 0, 1])
    np.testing.assert_array_equal(nxt, [2, -1, 3, -1, 5, -1, -1])


def _collision_free(backend):
    """Poisson and spike-source inputs, one-to-one synapses with heterogeneous delays on all three
    targets, a time-array current and constant currents: no ring cell ever gets two spikes in a
    step, so the GPU must be bit-identical."""
    rng = np.random.default_rng(3)
    n, dt, T = 12, 0.5, 15.0
    net = ss.Network(dt=dt, seed=21, backend=backend)
    bg = net.add(ss.inputs.Poisson(n, rate_hz=rng.uniform(100, 400, n)), name="bg")
    src = net.add(ss.inputs.SpikeSource(n, times=rng.uniform(0, T, 40), ids=rng.integers(0, n, 40)), name="cue")
    izh = net.add(ss.neurons.Izhikevich(n, a=0.02, b=0.2, c=rng.uniform(-65, -50, n), d=8.0), name="izh")
    lif = net.add(ss.neurons.LIF(n, tau_m=rng.uniform(5, 20, n), t_ref=1.0, v0=rng.uniform(-65, -51, n)), name="lif")
    eye = np.eye(n)
    net.connect(bg, izh, 12.0 * eye, delays=rng.uniform(0.5, 3.0, (n, n)), target="I_syn")
    net.connect(src, lif, 9.0 * eye, delays=rng.uniform(0.5, 4.0, (n, n)), target="v")
    net.connect(izh, lif, 30.0 * eye[::-1], delays=1.5, target="I")
    net.inject(izh, rng.normal(4.0, 2.0, (int(T / dt), n)))
    net.inject(lif, rng.uniform(13.0, 17.0, n))
    net.record(izh, state=("v", "u", "I_syn"), every=2)
    net.record(lif, state=("v", "ref"))
    net.record(bg)
    net.record(src)
    return net, T


@sim
def test_sim_collision_free_network_is_bit_identical_and_poisson_stream_matches():
    a, T = _collision_free("reference")
    b, _ = _collision_free("cuda")
    ra, rb = a.run(T), b.run(T)
    assert ra.spikes("bg")[0].size > 20 and ra.spikes("izh")[0].size > 0 and ra.spikes("lif")[0].size > 0
    assert_same_results(ra, rb, exact=True)        # includes the Poisson spikes: same random stream
    assert_same_plan(a, b)


@sim
def test_sim_hdsnn_lowering_matches_reference():
    """The HD-SNN lowered onto the core (:mod:`spikesim.models.hd_snn_lowering`: a SpikeSource, a
    weight-shared Conv2D projection with heterogeneous delays onto two state variables,
    MaxReadout units with a threshold), two movies through one network: logits, spikes and
    counts as on the reference."""
    from spikesim.models.hd_snn_lowering import lower_delay_layer, movie_period

    rng = np.random.default_rng(3)
    w = rng.standard_normal((2, 2, 3, 3, 3)) * (rng.random((2, 2, 3, 3, 3)) < 0.5)
    ev = (rng.random((2, 2, 6, 5, 5)) < 0.2).astype(np.uint8)
    for synapses in ("conv",):         # explicit synapses: the other simulator tests
        out = {}
        for backend in ("reference", "cuda"):
            net = lower_delay_layer(w, np.array([0.1, -0.2]), True, ev, backend=backend, theta=0.5, synapses=synapses)
            out[backend] = [net.run(movie_period(6, 3)) for _ in range(2)]
        for a, b in zip(out["reference"], out["cuda"]):
            assert_same_results(a, b, exact=True)
            assert a.meta["synaptic_events"] == b.meta["synaptic_events"] > 0
            assert a.spikes("readout")[0].size > 0


@sim
def test_sim_continuation_and_state_every_k():
    full, T = NETWORKS["lif_delays"]("cuda", **SMALL["lif_delays"])
    part, _ = NETWORKS["lif_delays"]("cuda", **SMALL["lif_delays"])
    cpu, _ = NETWORKS["lif_delays"]("numba", **SMALL["lif_delays"])
    rf = full.run(T)
    r1 = part.run(T / 2)
    r2 = part.run(T / 2)
    rc = cpu.run(T)
    for pop in ("exc", "inh", "bg", "cue"):
        for k in (0, 1):
            np.testing.assert_array_equal(rf.spikes(pop)[k], np.concatenate([r1.spikes(pop)[k], r2.spikes(pop)[k]]))
    v = np.concatenate([r1.state("exc", "v"), r2.state("exc", "v")])
    assert np.all(np.abs(v - rf.state("exc", "v")) <= 1e-12 * (1 + np.abs(v)))
    times = np.concatenate([r1.state_times("exc"), r2.state_times("exc")])
    np.testing.assert_array_equal(times, rc.state_times("exc"))
    assert rf.state("exc", "v").shape[0] == len(range(0, int(round(T / 0.5)), 3))   # every 3 steps
    assert_close_results(rc, rf)


def _blow_up(backend):
    net = ss.Network(dt=0.5, seed=4, backend=backend)
    lif = net.add(ss.neurons.LIF(6, r_m=1e300), name="lif")
    izh = net.add(ss.neurons.Izhikevich(9), name="izh")
    bg = net.add(ss.inputs.Poisson(10, 300.0), name="bg")
    net.connect(bg, izh, np.full((10, 9), 4.0), delays=0.5, target="I_syn")
    cur = np.zeros((30, 9))
    cur[:, :] = 12.0
    cur[17:, 4] = 1e300                      # izh neuron 4 overflows at step 17
    net.inject(izh, cur)
    cur_l = np.zeros((30, 6))
    cur_l[17:, 5] = 1e10                     # so does LIF neuron 5 (r_m * I = inf): the first population wins
    net.inject(lif, cur_l)
    net.record(izh, state="v")
    net.record(bg)
    return net


@sim
def test_sim_nan_blow_up_raises_like_cpu():
    from spikesim.core.network import SimulationError
    errs = []
    for backend in ("reference", "cuda"):
        with pytest.raises(SimulationError) as err:
            _blow_up(backend).run(15.0)
        errs.append(err.value)
    assert "'lif'" in str(errs[0]) and "step 17" in str(errs[0])
    assert str(errs[0]) == str(errs[1])
    assert errs[0].result.spikes("bg")[0].size > 0
    assert_close_results(errs[0].result, errs[1].result)


@sim
def test_sim_spike_buffer_full_stops_and_resumes_like_cpu():
    """Drive both runners with a tiny spike record: same stops, same spikes after growing it."""
    from spikesim.backends.contract import C_SPIKES, STATUS_BUFFER_FULL
    kw = SMALL["mixed"]
    runs = []
    for backend in ("numba", "cuda"):
        net, T = NETWORKS["mixed"](backend, **kw)
        net._build()
        p, N = net._plan, net._plan.n_total
        n_cols = sum(m.ids.size for m in p.monitors)
        spk_step, spk_gid = np.zeros(N + 6, np.int64), np.zeros(N + 6, np.int64)
        rec_buf, rec_count = np.zeros((41, n_cols)), np.zeros(len(p.monitors), np.int64)
        p.counters[C_SPIKES] = 0
        step, stops = 0, []
        while step < 40:
            status, step = net._runner.run_steps(step, 40, spk_step, spk_gid, rec_buf, rec_count)
            if status == STATUS_BUFFER_FULL:
                stops.append(step)
                spk_step = np.concatenate([spk_step, np.zeros(N // 2, np.int64)])
                spk_gid = np.concatenate([spk_gid, np.zeros(N // 2, np.int64)])
        m = int(p.counters[C_SPIKES])
        net._runner.sync_to_host()
        runs.append((stops, spk_step[:m], spk_gid[:m], rec_buf, rec_count, net))
    (s0, t0, g0, b0, c0, n0), (s1, t1, g1, b1, c1, n1) = runs
    assert len(s0) >= 2 and s0 == s1
    np.testing.assert_array_equal(t0, t1)
    np.testing.assert_array_equal(g0, g1)
    np.testing.assert_array_equal(c0, c1)
    np.testing.assert_array_equal(b0, b1)
    assert_same_plan(n0, n1)


@sim
def test_sim_host_changes_between_runs_reach_the_device():
    """``sync_to_device`` after the host changed state and weights: the next run continues from
    them, as the CPU runner (which works on the plan's arrays) does."""
    nets = []
    for backend in ("numba", "cuda"):
        net, T = NETWORKS["lif_delays"](backend, **SMALL["lif_delays"])
        first = net.run(T / 2)
        p = net._plan
        p.pops[0].S[0] += 3.0                     # depolarise exc
        p.pops[0].synapses[0].S[0] *= 0.5         # halve its filtered current
        p.w[:] *= 1.5
        getattr(net._runner, "sync_to_device", lambda: None)()   # the CPU runner works on the plan itself
        nets.append((net, first, net.run(T / 2)))
    (a, a1, a2), (b, b1, b2) = nets
    assert a2.spikes("exc")[0].size > 0
    assert_close_results(a1, b1)
    assert_close_results(a2, b2)
    assert_same_plan(a, b, exact=False)


@sim
def test_sim_set_state_and_set_param_between_runs_match_numba():
    """The public protocol: ``set_state`` (copies to and from the device) and ``set_param`` (the
    plan is rebuilt, carrying state and the spikes pending in the rings) between two runs."""
    out = []
    for backend in ("numba", "cuda"):
        net, T = NETWORKS["lif_delays"](backend, **SMALL["lif_delays"])
        r1 = net.run(T / 2)
        net.set_state("exc", "v", net.get_state("exc", "v") + 4.0)
        net.set_param("exc", "tau_m", 12.0)
        out.append((net, r1, net.run(T / 2)))
    (a, a1, a2), (b, b1, b2) = out
    assert a2.spikes("exc")[0].size > 0
    assert_same_results(a1, b1, exact=True)
    assert_same_results(a2, b2, exact=True)
    assert_same_plan(a, b)


@sim
def test_sim_plasticity_stdp_and_reward_modulated_match_numba():
    """STDP and reward-modulated STDP (tests/test_core_plasticity.py's network): same spikes and
    bit-identical learned weights."""
    from test_core_plasticity import plastic_network
    nets = {b: plastic_network(b, duration=30.0) for b in ("numba", "cuda")}   # exc first fires at 25 ms
    res = {b: n[0].run(n[3]) for b, n in nets.items()}
    assert res["numba"].spikes("exc")[0].size + res["numba"].spikes("izh")[0].size > 10
    assert_same_results(res["numba"], res["cuda"], exact=True)
    assert_same_plan(nets["numba"][0], nets["cuda"][0])      # weights, eligibilities, traces, state
    for k in (1, 2):
        w_cpu, w_gpu = nets["numba"][0].weights(nets["numba"][k]), nets["cuda"][0].weights(nets["cuda"][k])
        assert not np.array_equal(w_cpu, nets["numba"][k].weights), "weights should have changed"
        np.testing.assert_array_equal(w_cpu, w_gpu)


@sim
@pytest.mark.parametrize("rule", ["nlms", "rls"])
def test_sim_readout_reservoir_matches_numba(rule):
    """A core readout (filtered spikes of two populations, gated NLMS or RLS toward a teacher,
    closed-loop then teacher feedback) with a channel current and ziggurat noise: spikes, outputs,
    window means, learned weights and RLS matrices bit-identical to numba over two trials."""
    from readout_networks import reservoir_net, run_trials
    kw = dict(rule=rule, n_exc=8, n_inh=3, steps=30)
    a = run_trials(*reservoir_net("numba", **kw))
    b = run_trials(*reservoir_net("cuda", **kw))
    assert a["0/exc/t"].size > 5 and np.any(a["1/W"] != 0)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@sim
def test_sim_what_when_reservoir_model_matches_numba():
    """The what-when ReservoirModel itself on the cuda backend: two training trials and a probe of
    a 14-neuron reservoir, bit-identical spikes, when outputs and learned weights."""
    from spikesim.models.izhikevich_reservoir import ReservoirModel, config_with
    cfg = config_with(None, n=14, p_conn=0.4, eta_when=0.2, feedback_q=3.0)
    S, cue = 40, 5
    amp = np.zeros((S, 3))
    amp[cue:cue + 8, 0] = 1.0
    t = np.arange(S)
    prof = np.stack([np.exp(-0.5 * ((t - cue - lat) / 5.0) ** 2) for lat in (12, 20)], axis=1)
    out = {}
    for backend in ("numba", "cuda"):
        m = ReservoirModel(cfg, seed=2, backend=backend)
        out[backend] = ([m.trial(amp, prof, ev, cue_step=cue, what_steps=(cue, cue + 8), latency_steps=(12, 20),
                                 learn=ev >= 0, record_spikes=True) for ev in (0, 1, -1)], m.readout_weights())
    (ta, wa), (tb, wb) = out["numba"], out["cuda"]
    assert sum(o.spike_times.size for o in ta) > 10 and np.any(wa["when"] != 0)
    for oa, ob in zip(ta, tb):
        for f in ("spike_times", "spike_ids", "zhat", "y", "rbar"):
            np.testing.assert_array_equal(getattr(oa, f), getattr(ob, f), err_msg=f)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)


@sim
def test_sim_rate_readout_matches_numba():
    """A rate reservoir (TanhRate, continuous coupling) read through phi: bit-identical to numba."""
    from readout_networks import rate_net, run_rate_trials
    a = run_rate_trials(*rate_net("numba", n=6, steps=20))
    b = run_rate_trials(*rate_net("cuda", n=6, steps=20))
    assert np.any(a["1/W"] != 0)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@sim
def test_sim_every_plasticity_rule_and_synaptic_monitors_match_numba():
    """Triplet, multiplicative, reward-modulated, additive STDP and a user's rule on one network
    (tests/test_plasticity_rules.py), with recorded weights and eligibilities: bit-identical."""
    from test_plasticity_rules import zoo
    nets = {b: zoo(b, duration=40.0) for b in ("numba", "cuda")}
    res = {b: n[0].run(n[2]) for b, n in nets.items()}
    assert res["numba"].spikes("a")[0].size + res["numba"].spikes("b")[0].size > 10
    assert_same_results(res["numba"], res["cuda"], exact=True)
    assert_same_plan(nets["numba"][0], nets["cuda"][0])
    name = nets["numba"][1][2].name
    for var in ("w", "c"):
        np.testing.assert_array_equal(res["numba"].state(name, var), res["cuda"].state(name, var))
    assert np.any(np.diff(res["cuda"].state(name, "w"), axis=0) != 0)
    for pn, pc in zip(nets["numba"][1], nets["cuda"][1]):
        np.testing.assert_array_equal(nets["numba"][0].weights(pn), nets["cuda"][0].weights(pc))


@sim
def test_sim_stdp_pair_and_reward_gating_on_cuda():
    """Single synapse: the exponential STDP window and the reward-gated eligibility on the GPU."""
    from test_core_plasticity import _pair

    from spikesim.plasticity import STDP, RewardModulatedSTDP
    rule = STDP(tau_pre=10.0, tau_post=20.0, a_plus=0.1, a_minus=0.05, w_min=0.0, w_max=1.0)
    np.testing.assert_allclose(_pair("cuda", 2.0, 7.0, rule, duration=8.0), 0.5 + 0.1 * np.exp(-0.5), rtol=1e-12)
    np.testing.assert_allclose(_pair("cuda", 7.0, 2.0, rule, duration=8.0), 0.5 - 0.05 * np.exp(-0.25), rtol=1e-12)
    reward = np.zeros(150)
    reward[100:] = 1.0                                  # dopamine from 10 ms on
    rule = RewardModulatedSTDP(reward, tau_elig=50.0, eta=1.0, tau_pre=10.0, a_plus=0.1, a_minus=0.0, w_max=10.0)
    w = _pair("cuda", 2.0, 7.0, rule, duration=15.0)
    k = np.arange(100, 150) - 70                        # steps since the postsynaptic spike
    np.testing.assert_allclose(w, 0.5 + 0.1 * np.sum(0.1 * np.exp(-0.5) * np.exp(-k * 0.1 / 50.0)), rtol=1e-9)
    assert w == _pair("numba", 2.0, 7.0, rule, duration=15.0)


# ============================================================ real GPU (benchmarks/gpu_check.sh)
@pytest.mark.parametrize("delivery", ["exact", "atomic"])
@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.gpu
@pytest.mark.skipif(not _real_gpu(), reason="needs a CUDA GPU (not the simulator)")
def test_gpu_core_networks_match_numba(name, delivery, monkeypatch):
    """Full-size core networks. Ordered delivery: bit-identical. Atomic delivery: identical spikes
    expected, but a chaotic network may drift after summation-order rounding, so if spikes
    differ the first difference must come late and the spike count must agree within 2 %."""
    from spikesim.backends.numba_cuda import core
    monkeypatch.setattr(core, "DELIVERY", delivery)
    net_cpu, T = NETWORKS[name]("numba")
    net_gpu, _ = NETWORKS[name]("cuda")
    cpu, gpu_res = net_cpu.run(T), net_gpu.run(T)
    assert net_cpu.last_run_stats["synaptic_events"] > 0
    if delivery == "exact":
        assert_same_results(cpu, gpu_res, exact=True)
        assert net_cpu.last_run_stats["synaptic_events"] == net_gpu.last_run_stats["synaptic_events"]
    elif not _same_or_late_divergence(cpu, gpu_res, T):
        assert_close_results(cpu, gpu_res)


def _same_or_late_divergence(a, b, T):
    """False when the spike trains are identical; True when they differ only after T/2 with spike
    counts within 2 % (atomic-order rounding in a chaotic network); fails otherwise."""
    same = True
    for pop in a.populations:
        if pop in a._spikes:
            (ta, ia), (tb, ib) = a.spikes(pop), b.spikes(pop)
            if np.array_equal(ta, tb) and np.array_equal(ia, ib):
                continue
            same = False
            n = min(ta.size, tb.size)
            k = next((j for j in range(n) if ta[j] != tb[j] or ia[j] != ib[j]), n)
            t_first = min(ta[k] if k < ta.size else np.inf, tb[k] if k < tb.size else np.inf)
            assert t_first > 0.5 * T, f"{pop}: spikes differ from t = {t_first} ms"
            assert abs(ta.size - tb.size) <= 0.02 * ta.size + 2, f"{pop}: {ta.size} vs {tb.size} spikes"
    return not same


@pytest.mark.gpu
@pytest.mark.skipif(not _real_gpu(), reason="needs a CUDA GPU (not the simulator)")
def test_gpu_model_networks_match_numba():
    """The open core's models on a real GPU. Without transcendental functions in the step (every
    synapse model, LIF, Izhikevich; noise off) the ordered delivery is bit-identical. Hodgkin-
    Huxley's rates, the noise's Box-Muller, STP's and PoissonInput's exp / pow call libdevice,
    which may differ from the CPU's libm in the last bit: same spikes on these short runs, state
    within 1e-9."""
    for build, exact in ((lambda be: _synapse_zoo(be, noise=False), True), (_synapse_zoo, False), (_hh_qif, False),
                         (_features, False)):
        net_cpu, T = build("numba")
        net_gpu, _ = build("cuda")
        cpu, gpu_res = net_cpu.run(T), net_gpu.run(T)
        assert_same_results(cpu, gpu_res, exact=exact)
        if exact:
            assert_same_plan(net_cpu, net_gpu)
        else:
            x, y = plan_arrays(net_cpu), plan_arrays(net_gpu)
            for k in x:
                np.testing.assert_allclose(x[k], y[k], rtol=1e-9, atol=1e-9, err_msg=k)


@pytest.mark.gpu
@pytest.mark.skipif(not _real_gpu(), reason="needs a CUDA GPU (not the simulator)")
def test_gpu_collision_free_bit_identical_and_large_poisson():
    a, T = _collision_free("numba")
    b, _ = _collision_free("cuda")
    assert_same_results(a.run(T), b.run(T), exact=True)
    res = []
    for backend in ("numba", "cuda"):
        net = ss.Network(dt=0.1, seed=5, backend=backend)
        bg = net.add(ss.inputs.Poisson(100_000, 20.0), name="bg")
        net.record(bg)
        res.append(net.run(50.0).spikes("bg"))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])


@pytest.mark.gpu
@pytest.mark.skipif(not _real_gpu(), reason="needs a CUDA GPU (not the simulator)")
def test_gpu_plasticity_matches_numba():
    from test_core_plasticity import plastic_network
    nets = {b: plastic_network(b) for b in ("numba", "cuda")}
    res = {b: n[0].run(n[3]) for b, n in nets.items()}        # ordered delivery (auto at this size)
    assert_same_results(res["numba"], res["cuda"], exact=True)
    for k in (1, 2):
        np.testing.assert_array_equal(nets["numba"][0].weights(nets["numba"][k]), nets["cuda"][0].weights(nets["cuda"][k]))


@pytest.mark.gpu
@pytest.mark.skipif(not _real_gpu(), reason="needs a CUDA GPU (not the simulator)")
def test_gpu_nan_and_spike_buffer_growth():
    from spikesim.core.network import SimulationError
    errs = []
    for backend in ("numba", "cuda"):
        with pytest.raises(SimulationError) as err:
            _blow_up(backend).run(15.0)
        errs.append(str(err.value))
    assert errs[0] == errs[1]
    net = ss.Network(dt=0.1, seed=0, backend="cuda")
    lif = net.add(ss.neurons.LIF(3000, t_ref=0.0), name="lif")
    net.inject(lif, 400.0)
    net.record(lif)
    res = net.run(100.0)
    counts = np.bincount(res.spikes("lif")[1], minlength=3000)
    assert res.spikes("lif")[0].size > (1 << 16) and np.all(counts == counts[0])
