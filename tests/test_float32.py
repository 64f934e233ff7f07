"""``Network(dtype="float32")``: weights and the ring buffer stored in float32.

* reference and numba stay bit-identical to each other in float32 (spikes, state, learned
  weights) with heterogeneous delays, short-term plasticity, STDP and reward-modulated STDP,
  convolutional projections and the attention operation (each addition into the ring computed in
  float64 and rounded to float32 on both backends): 1, 2 and 3 ring parts for two networks, 1 and
  2 with plasticity, one part for the rest (each parallel kernel compiles once per network);
* against float64 (the tolerance of the option): weights equal their float32 rounding, the spike
  trains of the core test networks are the same over their whole runs, and membrane potentials
  differ by at most ``ATOL`` (measured: 1.4e-7 mV (LIF), 4.9e-7 (LIF with short-term
  plasticity), 3.0e-4 mV (Izhikevich 2003, whose dynamics amplify the rounding));
* the plan's arrays have the chosen type; bad dtypes and float32 on cuda are refused by name.
"""
from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss
from attention_networks import attention_net
from core_networks import NETWORKS, assert_same_results
from spikesim.core.validate import check_dtype
from test_conv_projection import conv_network
from test_core_plasticity import plastic_network
from test_core_threads import stp_network

BUILDERS = {**NETWORKS, "stp": stp_network}
#: float32 against float64, per network: the largest difference of any recorded state variable
ATOL = {"izhikevich_2003": 1e-3, "lif_delays": 1e-5, "mixed": 1e-5, "stp": 1e-5}


def float32(net, parts=None):
    """The network, to be built with float32 weights and ring (and ``parts`` ring parts)."""
    net.dtype = check_dtype("float32", net.backend)
    if parts is not None:
        net.threads = parts        # ring parts, bypassing the thread-count check (as test_core_threads)
    return net


#: part counts per network: the parallel kernels compile once per network (tens of seconds on a
#: cold cache), so two networks take every count and the others one thread
PARTS = {"lif_delays": (1, 2, 3), "stp": (1, 2, 3)}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_reference_equals_numba_in_float32_for_every_part_count(name):
    net, T = BUILDERS[name]("reference")
    ref = float32(net).run(T)
    assert net._plan.w.dtype == np.float32 and net._plan.ring.dtype == np.float32
    for parts in PARTS.get(name, (1,)):
        net, T = BUILDERS[name]("numba")
        res = float32(net, parts).run(T)
        assert net._plan.n_parts == parts
        assert_same_results(ref, res)
        assert res.meta["synaptic_events"] == ref.meta["synaptic_events"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_float32_against_float64_same_spikes_state_within_tolerance(name):
    net, T = BUILDERS[name]("numba")
    r64 = net.run(T)
    net, T = BUILDERS[name]("numba")
    r32 = float32(net).run(T)
    n_spikes = 0
    for pop in r64.populations:
        if pop in r64._spikes:
            for a, b in zip(r64.spikes(pop), r32.spikes(pop)):
                np.testing.assert_array_equal(a, b, err_msg=f"spikes of {pop}")
            n_spikes += r64.spikes(pop)[0].size
        for var in r64._state.get(pop, {}):
            np.testing.assert_allclose(r32.state(pop, var), r64.state(pop, var), rtol=0, atol=ATOL[name],
                                       err_msg=f"{pop}.{var}")
    assert n_spikes > 50


def test_plasticity_in_float32_reference_equals_numba_and_weights_are_float32_values():
    out = {}
    for backend, parts in (("reference", None), ("numba", 1), ("numba", 2)):
        net, p1, p2, T = plastic_network(backend)
        res = float32(net, parts).run(T)
        out[backend, parts] = (res, net.weights(p1), net.weights(p2))
    ref = out["reference", None]
    assert not np.array_equal(ref[1], p1.weights), "STDP should have changed the weights"
    for key, (res, w1, w2) in out.items():
        assert_same_results(ref[0], res)
        for a, b in zip((w1, w2), ref[1:]):
            assert a.dtype == np.float64                        # weights() returns float64 copies ...
            np.testing.assert_array_equal(a, b, err_msg=str(key))
            np.testing.assert_array_equal(a, a.astype(np.float32))   # ... of float32 values


def test_static_weights_are_rounded_once_to_float32():
    net, T = NETWORKS["lif_delays"]("numba")
    float32(net)
    proj = net._projections[0]
    net.run(1.0)
    w = net.weights(proj)
    np.testing.assert_array_equal(w, np.asarray(proj.weights, np.float64).astype(np.float32))
    assert not np.array_equal(w, proj.weights), "these weights are not all float32 numbers"


def test_conv_projection_in_float32():
    net, T = conv_network("reference", True, extra=True)
    ref = float32(net).run(T)
    assert ref.spikes("out")[0].size > 10
    assert net._plan.convs[0].ent_w.dtype == np.float32
    for parts in (1,):                 # part counts: test_conv_projection (float64), PARTS above (float32)
        net, T = conv_network("numba", True, extra=True)
        assert_same_results(ref, float32(net, parts).run(T))


def test_attention_in_float32():
    rng = np.random.default_rng(4)
    q, k, v = ((rng.random((6, 8, 16)) < r).astype(np.uint8) for r in (0.3, 0.4, 0.5))
    res = {}
    for backend in ("reference", "numba"):
        net, at, tgt = attention_net(q, k, v, 2, backend, scale=0.1)     # 0.1: not a float32 number
        net.record(tgt, spikes=False, state="v")
        res[backend] = float32(net).run(7.0)
    y = res["numba"].state("y", "v")
    np.testing.assert_array_equal(res["reference"].state("y", "v"), y)
    assert np.any(y != 0)
    np.testing.assert_array_equal(y, y.astype(np.float32))       # what arrived went through the float32 ring


@pytest.mark.parametrize("bad", ["float16", "int32", np.int64, 32, True, "double precision", None])
def test_bad_dtype_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="dtype must be one of"):
        ss.Network(dtype=bad)


def test_float32_on_cuda_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="cuda.*float64"):
        check_dtype("float32", "cuda")
    assert check_dtype(np.float64, "cuda") == np.float64
    assert ss.Network(dtype=np.float32).dtype == np.float32
    assert ss.Network().dtype == np.float64
