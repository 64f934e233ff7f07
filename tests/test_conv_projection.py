"""Convolutional (weight-shared) projections, ``ss.connectivity.Conv2D`` (spikesim.core.conv).

* a hand-computed delivery: one spike, a 3x3 kernel, the output currents and the border;
* the same network with the kernel expanded into explicit synapses (``Conv2D.synapses``): spikes,
  state and synaptic-event counts bit-identical (beside ordinary synapses onto the same cells:
  within 1e-9, another order of additions), for both layouts and a 5-D kernel with a delay axis;
  reference and numba with 1, 2 and 3 ring parts bit-identical; the CUDA kernel is compared
  under the simulator in a subprocess;
* against ``torch.nn.functional.conv2d`` (the cross-correlation convention of the docstring);
* bad input named at the call.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import spikesim as ss
from core_networks import assert_same_results
from cuda_sim import run_under_simulator

Conv2D = ss.connectivity.Conv2D
INNER = os.environ.get("SPIKESIM_CONV_CUDA_SIM") == "1"


def conv_network(backend, conv_mode, parts=None, layouts=("chw", "hwc"), five_d=False, extra=False, seed=0):
    """Spike source (C_in x X x Y) -> LIF (C_out x X x Y) through a random sparse kernel with
    per-entry delays: as a Conv2D (``conv_mode=True``) or as its explicit synapses."""
    rng = np.random.default_rng(seed)
    c_in, c_out, nx, ny = 2, 3, 6, 5
    if five_d:
        k = 12 * rng.normal(0, 1, (c_out, c_in, 3, 3, 3)) * (rng.random((c_out, c_in, 3, 3, 3)) < 0.5)
        conv = Conv2D(k, (nx, ny), delays=[1.0, 2.0, 4.0], in_layout=layouts[0], out_layout=layouts[1])
    else:
        k = 12 * rng.normal(0, 1, (c_out, c_in, 3, 3)) * (rng.random((c_out, c_in, 3, 3)) < 0.7)
        conv = Conv2D(k, (nx, ny), delays=rng.integers(1, 4, k.shape) * 1.0, in_layout=layouts[0],
                      out_layout=layouts[1])
    net = ss.Network(dt=1.0, seed=1, backend=backend)
    times, ids = rng.integers(0, 40, 300) * 1.0, rng.integers(0, c_in * nx * ny, 300)
    src = net.add(ss.inputs.SpikeSource(c_in * nx * ny, times=times, ids=ids), name="src")
    out = net.add(ss.neurons.LIF(c_out * nx * ny), name="out")
    syn = ss.synapses.Exponential(tau=5.0)
    if extra:      # ordinary synapses onto the same ring cells, connected first
        W = np.where(rng.random((src.n, out.n)) < 0.05, 3.0, 0.0)
        net.connect(src, out, W, delays=2.0, synapse=syn)
    if conv_mode:
        net.connect(src, out, conv, synapse=syn)
    else:
        pre, post, w, d = conv.synapses(1.0)
        net.connect(src, out, (pre, post, w), delays=d, synapse=syn)
    net.record(out, spikes=True, state=("v",))
    if parts is not None:
        net.threads = parts      # ring parts, bypassing the thread-count check (as test_core_threads)
    return net, 60.0


CASES = {"4d": {}, "5d-delays": {"five_d": True}, "chw-chw": {"layouts": ("chw", "chw")},
         "hwc-chw": {"layouts": ("hwc", "chw")}, "beside-csr": {"extra": True}}


@pytest.mark.parametrize("case", sorted(CASES))
def test_conv_equals_explicit_synapses(case):
    """Bit-identical to the explicit synapses when the convolution alone writes its cells; beside
    other synapses onto the same cells the additions come in another order (CSR synapses first,
    then the convolution's), so there within 1e-9, and bit-identical across backends and parts."""
    kw = CASES[case]
    net, T = conv_network("reference", False, **kw)
    explicit = net.run(T)
    assert explicit.spikes("out")[0].size > 10
    net, T = conv_network("reference", True, **kw)
    base = net.run(T)
    assert_same_results(explicit, base, exact=not kw.get("extra"))
    assert base.meta["synaptic_events"] == explicit.meta["synaptic_events"]
    for parts in (1, 2, 3):
        net, T = conv_network("numba", True, parts=parts, **kw)
        res = net.run(T)
        assert_same_results(base, res)
        assert res.meta["synaptic_events"] == base.meta["synaptic_events"], parts


def test_hand_computed_delivery():
    """One spike at (channel 0, x=0, y=1) of a 1-channel 3x4 frame through a 3x3 kernel: the
    output (x + 1 - i, y + 1 - j) gets K[i, j] one step later, entries outside the frame are
    dropped and not counted."""
    k = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    net = ss.Network(dt=1.0, backend="reference")
    src = net.add(ss.inputs.SpikeSource(12, times=[0.0], ids=[1]), name="src")
    out = net.add(ss.neurons.LIF(12, tau_m=1e9, v_rest=0.0, v_reset=0.0, v_th=1e9, v0=0.0), name="out")
    net.connect(src, out, Conv2D(k, (3, 4)), target="v")
    net.record(out, state=("v",))
    res = net.run(3.0)
    v = res.state("out", "v")[-1].reshape(3, 4)
    expect = np.zeros((3, 4))
    for i in range(3):
        for j in range(3):
            tx, ty = 0 + 1 - i, 1 + 1 - j
            if 0 <= tx < 3 and 0 <= ty < 4:
                expect[tx, ty] += k[0, 0, i, j]
    np.testing.assert_allclose(v, expect, rtol=1e-7)         # tau_m = 1e9 ms: a leak of 2e-9 over two steps
    assert np.array_equal(v != 0, expect != 0)
    assert res.meta["synaptic_events"] == np.count_nonzero(expect)


def test_matches_torch_conv2d():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    k = rng.normal(0, 1, (4, 2, 3, 5))
    frame = rng.random((2, 7, 6)) < 0.3
    net = ss.Network(dt=1.0, backend="numba", threads=1)
    src = net.add(ss.inputs.SpikeSource(frame.size, times=np.zeros(frame.sum()), ids=np.flatnonzero(frame)),
                  name="src")
    out = net.add(ss.neurons.LIF(4 * 7 * 6, tau_m=1e9, v_rest=0.0, v_reset=0.0, v_th=1e9, v0=0.0), name="out")
    net.connect(src, out, Conv2D(k, (7, 6)), target="v")
    net.record(out, state=("v",))
    v = net.run(2.0).state("out", "v")[-1].reshape(4, 7, 6)
    ref = torch.nn.functional.conv2d(torch.tensor(frame[None], dtype=torch.float64), torch.tensor(k),
                                     padding=(1, 2))[0].numpy()
    np.testing.assert_allclose(v, ref, rtol=1e-7, atol=1e-12)      # the LIF's leak over one step


def test_bad_input_is_named():
    net = ss.Network(dt=1.0)
    a = net.add(ss.inputs.SpikeSource(2 * 4 * 4, times=[0.0], ids=[0]), name="a")
    b = net.add(ss.neurons.LIF(3 * 4 * 4), name="b")
    k = np.ones((3, 2, 3, 3))
    with pytest.raises(ValueError, match="kernel must have shape"):
        Conv2D(np.ones((3, 3)), (4, 4))
    with pytest.raises(ValueError, match="frame"):
        Conv2D(k, (4, 0))
    with pytest.raises(ValueError, match="layout"):
        Conv2D(k, (4, 4), in_layout="whc")
    with pytest.raises(ValueError, match="needs delays"):
        Conv2D(np.ones((3, 2, 2, 3, 3)), (4, 4))
    with pytest.raises(ValueError, match="delays has 3 values"):
        Conv2D(np.ones((3, 2, 2, 3, 3)), (4, 4), delays=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="finite|NaN"):
        Conv2D(np.full((3, 2, 3, 3), np.nan), (4, 4))
    with pytest.raises(ValueError, match="has 32 neurons.*needs 40"):
        net.connect(a, b, Conv2D(k, (4, 5)))
    with pytest.raises(ValueError, match="static"):
        net.connect(a, b, Conv2D(k, (4, 4)), plasticity=ss.plasticity.STDP())
    with pytest.raises(ValueError, match="carries its delays"):
        net.connect(a, b, Conv2D(k, (4, 4)), delays=2.0)
    with pytest.raises(ValueError, match="not distinct"):
        net.connect(a, b, Conv2D(np.ones((3, 2, 2, 3, 3)), (4, 4), delays=[1.0, 1.2]))
    with pytest.raises(ValueError, match="at least one step"):
        net.connect(a, b, Conv2D(k, (4, 4), delays=0.2))
    proj = net.connect(a, b, Conv2D(k, (4, 4)))
    np.testing.assert_array_equal(net.weights(proj), k)
    assert proj.n_synapses == k.size and proj.name == "a->b"


# ---------------------------------------------------------------- CUDA under the simulator
def test_cuda_simulator_session():
    """The ``cuda`` backend (ordered and atomic delivery) equals numba under the simulator."""
    if INNER:
        pytest.skip("this is the simulator session itself")
    proc = run_under_simulator(pytest_args=[f"{Path(__file__).resolve()}::test_cuda_equals_numba"],
                               env={"SPIKESIM_CONV_CUDA_SIM": "1"})
    assert " passed" in proc.stdout, proc.stdout[-2000:]


@pytest.mark.skipif(not INNER, reason="runs in the simulator session of test_cuda_simulator_session")
@pytest.mark.parametrize("delivery", ["exact", "atomic"])
def test_cuda_equals_numba(delivery, monkeypatch):
    from spikesim.backends.numba_cuda import core as cuda_core
    monkeypatch.setattr(cuda_core, "DELIVERY", delivery)
    monkeypatch.setattr(cuda_core, "DELIVER_BLOCK", 8)
    monkeypatch.setattr(cuda_core, "MAX_BLOCKS", 3)
    for kw in ({"extra": True}, {"five_d": True}):
        net, T = conv_network("numba", True, parts=1, **kw)
        base = net.run(T)
        net, T = conv_network("cuda", True, **kw)
        res = net.run(T)
        assert res.meta["synaptic_events"] == base.meta["synaptic_events"]
        if delivery == "exact":
            assert_same_results(base, res)
        else:      # atomic adds: the summation order of a cell may differ in the last bits
            assert_same_results(base, res, exact=False)


def test_brian2_runs_the_explicit_synapses():
    """``ss.compare.brian2`` translates a Conv2D projection as its explicit synapses: the same
    spikes and state as spikesim (numpy target, exact maths)."""
    pytest.importorskip("brian2")
    from spikesim.compare import brian2 as cb
    net, T = conv_network("reference", True, five_d=True)
    ref = cb.run(net, T, target="numpy")
    net, T = conv_network("numba", True, five_d=True)
    res = net.run(T)
    assert res.spikes("out")[0].size > 10
    np.testing.assert_array_equal(res.spikes("out")[0], ref.spikes("out")[0])
    np.testing.assert_array_equal(res.spikes("out")[1], ref.spikes("out")[1])
    np.testing.assert_allclose(res.state("out", "v"), ref.state("out", "v"), rtol=1e-12, atol=1e-12)


def test_nir_export_refuses_a_conv_projection():
    pytest.importorskip("nir")
    from spikesim.interop.nir import NIRImportError, from_network
    net, _ = conv_network("reference", True)
    with pytest.raises(NIRImportError, match="Conv2D"):
        from_network(net)
