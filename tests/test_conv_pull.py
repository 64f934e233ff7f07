"""The numba backend's arrival-order delivery of a convolution (``spikesim.core.conv.ConvPull``).

A convolution alone on its ring cells is delivered by the numba backend at the end of each step
for the next step's slot, gathered from a history of its input spikes, output channel by
channel. The order of additions per cell must stay that of the push order (by emission step,
then by input id), so the results are bit-identical to the reference and to the push loop,
which these tests check on dense input (every entry, every border), for every pair of layouts,
a 5-D kernel with a delay axis, a kernel wider than the frame, float32, 1-3 ring parts, runs in
chunks, ``clear_pending`` and a rebuilt plan (``set_param``) between runs. The summed input of
each step is read exactly: a non-spiking ``MaxReadout`` with one set has ``z = beta + a``.
"""
from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss
import spikesim.core.conv as conv_mod
from core_networks import assert_same_results
from spikesim.neurons.max_readout import MaxReadout

Conv2D = ss.connectivity.Conv2D
CASES = {
    "chw-chw": dict(layouts=("chw", "chw")),
    "chw-hwc": dict(layouts=("chw", "hwc")),
    "hwc-chw": dict(layouts=("hwc", "chw")),
    "hwc-hwc": dict(layouts=("hwc", "hwc")),
    "5d-delays": dict(five_d=True),
    "wider-than-frame": dict(kernel=(9, 7), frame=(3, 4)),
    "float32": dict(dtype="float32"),
}


def pull_network(backend, layouts=("chw", "chw"), five_d=False, kernel=(3, 5), frame=(6, 5), dtype="float64",
                 parts=None, seed=0, duration=40.0):
    """Spike source (2 x X x Y, dense random spikes: about 40 % of the inputs each step) ->
    MaxReadout (3 x X x Y) through a random sparse kernel with per-entry delays 1-4 ms."""
    rng = np.random.default_rng(seed)
    c_in, c_out = 2, 3
    (kx, ky), (nx, ny) = kernel, frame
    if five_d:
        k = rng.normal(0, 1, (c_out, c_in, 3, kx, ky)) * (rng.random((c_out, c_in, 3, kx, ky)) < 0.5)
        conv = Conv2D(k, frame, delays=[1.0, 2.0, 4.0], in_layout=layouts[0], out_layout=layouts[1])
    else:
        k = rng.normal(0, 1, (c_out, c_in, kx, ky)) * (rng.random((c_out, c_in, kx, ky)) < 0.7)
        conv = Conv2D(k, frame, delays=rng.integers(1, 5, k.shape) * 1.0, in_layout=layouts[0],
                      out_layout=layouts[1])
    net = ss.Network(dt=1.0, seed=1, backend=backend, dtype=dtype)
    n_in = c_in * nx * ny
    t, i = np.nonzero(rng.random((int(duration), n_in)) < 0.4)
    src = net.add(ss.inputs.SpikeSource(n_in, times=t * 1.0, ids=i), name="src")
    out = net.add(MaxReadout(c_out * nx * ny, beta=0.25, two_sets=False), name="out")
    net.connect(src, out, conv, synapse=ss.synapses.Delta("a"))
    net.record(out, state=("z",))
    if parts is not None:
        net.threads = parts      # ring parts, bypassing the thread-count check (as test_core_threads)
    return net


@pytest.mark.parametrize("case", sorted(CASES))
def test_pull_equals_reference_and_push(case, monkeypatch):
    kw = CASES[case]
    ref = pull_network("reference", **kw).run(40.0)
    assert np.count_nonzero(ref.state("out", "z") - 0.25) > 100            # the input reaches the readout
    for parts in (1, 2, 3):
        net = pull_network("numba", parts=parts, **kw)
        res = net.run(40.0)
        assert net._plan.convs[0].pull is not None                      # delivered in arrival order
        assert_same_results(ref, res)
        assert res.meta["synaptic_events"] == ref.meta["synaptic_events"]
    monkeypatch.setattr(conv_mod, "PULL_HISTORY_BYTES", 0)               # history not allowed: push order
    net = pull_network("numba", **kw)
    push = net.run(40.0)
    assert net._plan.convs[0].pull is None
    assert_same_results(ref, push)


@pytest.mark.parametrize("parts", [1, 2])
def test_runs_in_chunks_clear_pending_and_a_rebuilt_plan(parts):
    """The history crosses run boundaries and a rebuilt plan; clear_pending forgets it, as the
    reference's ring forgets the spikes in flight."""
    def scripted(backend):
        net = pull_network(backend, parts=parts if backend == "numba" else None, duration=60.0)
        z = [net.run(c).state("out", "z") for c in (7.0, 13.0)]
        net.set_param("out", "beta", 0.5)          # rebuilds the plan between runs
        z.append(net.run(11.0).state("out", "z"))
        net.clear_pending()
        z += [net.run(c).state("out", "z") for c in (9.0, 20.0)]
        return np.concatenate(z)

    ref, got = scripted("reference"), scripted("numba")
    np.testing.assert_array_equal(ref, got)
    whole = pull_network("numba", parts=parts, duration=60.0).run(60.0).state("out", "z")
    np.testing.assert_array_equal(got[:20], whole[:20])                 # two chunks = one run
    assert not np.array_equal(got[20:31], whole[20:31])                 # beta changed
    np.testing.assert_allclose(got[20:31] - 0.5, whole[20:31] - 0.25, atol=1e-12)   # ... and nothing else


def test_push_beside_other_synapses_and_pull_elsewhere():
    """A convolution sharing its cells with CSR synapses keeps the push order; a second one onto
    another receiver of the same population is delivered in arrival order; both as the reference."""
    def build(backend):
        rng = np.random.default_rng(3)
        net = ss.Network(dt=1.0, seed=1, backend=backend)
        t, i = np.nonzero(rng.random((30, 2 * 5 * 4)) < 0.4)
        src = net.add(ss.inputs.SpikeSource(40, times=t * 1.0, ids=i), name="src")
        out = net.add(MaxReadout(3 * 5 * 4, beta=0.0, two_sets=True), name="out")
        ka = rng.normal(0, 1, (3, 2, 3, 3)) * (rng.random((3, 2, 3, 3)) < 0.7)
        net.connect(src, out, np.where(rng.random((40, 60)) < 0.1, 0.3, 0.0), delays=2.0, synapse=ss.synapses.Delta("a"))
        net.connect(src, out, Conv2D(ka, (5, 4), delays=2.0), synapse=ss.synapses.Delta("a"))
        net.connect(src, out, Conv2D(ka[::-1], (5, 4), delays=3.0), synapse=ss.synapses.Delta("b"))
        net.record(out, state=("a", "b", "z"))
        return net
    ref = build("reference").run(30.0)
    net = build("numba")
    res = net.run(30.0)
    assert [cp.pull is not None for cp in net._plan.convs] == [False, True]
    assert_same_results(ref, res)
    assert res.meta["synaptic_events"] == ref.meta["synaptic_events"]


def test_in_frame_counts_by_hand():
    """Synaptic events per input neuron: entries (ox, oy) in {(0, 0), (1, 0), (0, -2)} on a
    3 x 4 frame; the neuron at (x, y) counts the entries whose target (x + ox, y + oy) is inside."""
    k = np.zeros((1, 1, 3, 5))
    k[0, 0, 1, 2] = 1.0          # ox = 0, oy = 0
    k[0, 0, 0, 2] = 1.0          # ox = 1, oy = 0
    k[0, 0, 1, 4] = 1.0          # ox = 0, oy = -2
    net = ss.Network(dt=1.0, backend="numba")
    src = net.add(ss.inputs.SpikeSource(12, times=[0.0], ids=[0]), name="src")
    out = net.add(MaxReadout(12, two_sets=False), name="out")
    net.connect(src, out, Conv2D(k, (3, 4)), synapse=ss.synapses.Delta("a"))
    net.run(0.0)
    cp = net._plan.convs[0]
    x, y = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
    want = 1 + (x + 1 < 3) + (y - 2 >= 0)
    np.testing.assert_array_equal(conv_mod.in_frame_counts(cp).reshape(3, 4), want)


@pytest.mark.parametrize("layouts", [("chw", "chw"), ("hwc", "chw")])
def test_out_degree_counts_the_explicit_synapses(layouts):
    """``Conv2D.out_degree()``: per input neuron, the synapses of ``Conv2D.synapses``."""
    rng = np.random.default_rng(4)
    k = rng.normal(0, 1, (3, 2, 5, 3)) * (rng.random((3, 2, 5, 3)) < 0.6)
    conv = Conv2D(k, (4, 6), in_layout=layouts[0], out_layout=layouts[1])
    pre = conv.synapses(1.0)[0]
    np.testing.assert_array_equal(conv.out_degree(), np.bincount(pre, minlength=conv.n_in))
