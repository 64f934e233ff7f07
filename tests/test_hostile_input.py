"""Hostile input to the core API: the checkers of spikesim.core.validate, every connectivity
format, and the inputs. Nothing out of range reaches a kernel; arrays are frozen copies."""
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import spikesim as ss
from spikesim.core import validate as V
from spikesim.core.projection import make_projection

pytestmark = pytest.mark.timeout(120)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NOT_NUMBERS = st.one_of(st.booleans(), st.text(max_size=5), st.complex_numbers(allow_nan=False).filter(lambda z: z.imag),
                        st.none(), st.lists(st.floats(), max_size=3), st.just(np.bool_(True)), st.just(b"1"),
                        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


# ------------------------------------------------------------------------------- checkers
@given(NOT_NUMBERS)
@FAST
def test_check_number_rejects_non_numbers(value):
    with pytest.raises(TypeError, match="my_arg"):
        V.check_number(value, "my_arg")


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(-10, 10), st.floats(-10, 10))
@FAST
def test_check_number_range_and_finiteness(x, a, b):
    low, high = min(a, b), max(a, b)
    ok = math.isfinite(x) and low <= x <= high
    if ok:
        assert V.check_number(x, "arg", low=low, high=high) == x
        assert V.check_number(np.float32(x), "arg", low=low - 1, high=high + 1) == float(np.float32(x))
    else:
        with pytest.raises(ValueError, match="arg"):
            V.check_number(x, "arg", low=low, high=high)


@given(st.one_of(st.integers(-2**70, 2**70), st.floats(), NOT_NUMBERS))
@FAST
def test_check_int_and_seed(value):
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if is_int and 0 <= value <= V.SEED_MAX:
        assert V.check_seed(value) == value
        assert V.check_seed(np.uint64(value)) == value
    else:
        with pytest.raises(TypeError if not is_int else ValueError, match="seed"):
            V.check_seed(value)


@given(hnp.arrays(np.float64, st.integers(0, 12), elements=st.one_of(st.floats(-3, 12), st.sampled_from([math.nan, math.inf, -math.inf]))),
       st.integers(1, 10))
@FAST
def test_check_index_array_property(a, n):
    ok = bool(np.all(np.isfinite(a)) and np.all(a == np.floor(a)) and np.all((a >= 0) & (a < n)))
    if ok:
        out = V.check_index_array(a, "ids", n)
        assert out.dtype == np.int64 and not out.flags.writeable
        np.testing.assert_array_equal(out, a)
        a[...] = -1                          # the caller's array changes; the checked copy does not
        assert out.size == 0 or out.min() >= 0
    else:
        with pytest.raises(ValueError, match="ids"):
            V.check_index_array(a, "ids", n)


@pytest.mark.parametrize("bad", [np.array([True, False]), np.array(["0", "1"]), np.array([1 + 1j]),
                                 np.array([object()]), "01", None, {0: 1}])
def test_check_index_array_types(bad):
    with pytest.raises(TypeError, match="ids"):
        V.check_index_array(bad, "ids", 5)


def test_check_index_array_unsigned_cannot_wrap():
    with pytest.raises(ValueError, match="0..4"):
        V.check_index_array(np.array([2**64 - 1], dtype=np.uint64), "ids", 5)


def test_check_array_copy_frozen_and_shape():
    src = np.arange(6.0).reshape(2, 3)
    out = V.check_array(src, "w", shape=(2, None))
    src[0, 0] = 99
    assert out[0, 0] == 0 and not out.flags.writeable
    with pytest.raises(ValueError, match="w has shape"):
        V.check_array(src, "w", shape=(3, None))
    with pytest.raises(ValueError, match="cannot be read"):
        V.check_array([[1.0], [1.0, 2.0]], "w")
    with pytest.raises(ValueError, match="NaN"):
        V.check_array([1.0, np.nan], "w")
    with pytest.raises(ValueError, match=">= 0"):
        V.check_array([1.0, -1.0], "w", low=0)


def test_check_memory_is_a_memory_error_and_value_error(monkeypatch):
    with pytest.raises(MemoryError, match="would need 1.0 TiB, more than the limit of 1.0 GiB"):
        V.check_memory(2**40, "the ring", limit=2**30)
    with pytest.raises(ValueError):
        V.check_memory(float("nan"), "x", limit=10)
    monkeypatch.setenv("SPIKESIM_MAX_BYTES", "1000")
    assert V.memory_limit() == 1000
    V.check_memory(1000, "x")


def test_network_level_checkers():
    assert V.check_dt(np.float32(0.1)) == 0.1
    assert V.check_dt(0.25) == 0.25
    assert V.check_duration(100.0, V.check_dt(np.float32(0.1))) == 1000
    for bad in (True, "0.1", 0, -1.0, math.nan, math.inf, 1j, None):
        with pytest.raises((TypeError, ValueError), match="dt"):
            V.check_dt(bad)
    with pytest.raises(ValueError, match="chunk_steps"):
        V.check_chunk_steps(-5)
    with pytest.raises(TypeError, match="chunk_steps"):
        V.check_chunk_steps(2.5)
    assert V.check_chunk_steps(None) is None and V.check_chunk_steps(7) == 7
    with pytest.raises(TypeError, match="every"):
        V.check_every(True)
    with pytest.raises(ValueError, match="whole number"):
        V.check_duration(1.05, 0.1)
    with pytest.raises(TypeError, match="duration"):
        V.check_duration(True, 0.1)
    with pytest.raises(ValueError, match="duration"):
        V.check_duration(1e300, 0.1)
    assert V.check_max_delay(None, 0.1) is None and V.check_max_delay(2.0, 0.1) == 20
    with pytest.raises(ValueError, match="max_delay"):
        V.check_max_delay(0.01, 0.1)


def test_resolve_population_refuses_foreign_handles():
    net1, net2 = ss.Network(dt=0.1), ss.Network(dt=0.1)
    a1 = net1.add(ss.neurons.LIF(3), name="a")
    a2 = net2.add(ss.neurons.LIF(3), name="a")
    assert V.resolve_population(a2, net2.populations) == "a"
    assert V.resolve_population("a", net2.populations) == "a"
    with pytest.raises(ValueError, match="another network"):
        V.resolve_population(a1, net2.populations)
    with pytest.raises(KeyError, match="'b'"):
        V.resolve_population("b", net2.populations)
    with pytest.raises(TypeError, match="population"):
        V.resolve_population(3, net2.populations)


def test_merge_record():
    first = V.merge_record(None, True, ("v",), 2, "a")
    assert V.merge_record(first, False, ("u", "v"), 2, "a") == {"spikes": True, "state": ("v", "u"), "every": 2, "ids": None}
    assert V.merge_record({"spikes": True, "state": (), "every": 1}, False, ("v",), 5, "a")["every"] == 5
    with pytest.raises(ValueError, match="every"):
        V.merge_record(first, True, ("u",), 3, "a")
    with pytest.raises(TypeError, match="spikes"):
        V.merge_record(None, "yes", (), 1, "a")


def test_check_current():
    cur = V.check_current(2.0, 3, "a")
    assert cur.shape == (3,) and not cur.flags.writeable
    assert V.check_current(np.ones((5, 3)), 3, "a").shape == (5, 3)
    for bad, err in ((np.ones(4), ValueError), (np.ones((2, 2, 3)), ValueError), ([1.0, np.nan, 1.0], ValueError),
                     (True, TypeError), ("1", TypeError), (1j, TypeError)):
        with pytest.raises(err, match="current for 'a'"):
            V.check_current(bad, 3, "a")


def test_check_poisson_rate_and_inputs_at_build():
    V.check_poisson_rate(10_000.0, 0.1)                 # p = 1 per step: allowed
    with pytest.raises(ValueError, match="above 1/dt"):
        V.check_poisson_rate([5.0, 20_000.0], 0.1)
    pops = {"p": ss.inputs.Poisson(2, [1.0, 2e5]), "s": ss.inputs.SpikeSource(1, [1e30], [0])}
    with pytest.raises(ValueError, match="'p' rate_hz"):
        V.check_inputs_at_build(pops, 0.1)
    with pytest.raises(ValueError, match="'s' times"):
        V.check_inputs_at_build({"s": pops["s"]}, 0.1)


# ---------------------------------------------------------------------------- connectivity
def _proj(weights, n_pre=3, n_post=4, delays=0.1, **kw):
    return make_projection("a", n_pre, "b", n_post, weights, delays, "v", 0.1, **kw)


def _synapses(pr):
    return sorted(zip(pr.pre_idx.tolist(), pr.post_idx.tolist(), pr.weights.tolist(), pr.delay_steps.tolist()))


@given(st.integers(1, 6), st.integers(1, 6), st.data())
@FAST
def test_formats_agree_and_stay_in_range(n_pre, n_post, data):
    w = data.draw(hnp.arrays(np.float64, (n_pre, n_post), elements=st.sampled_from([0.0, 0.5, -1.0, 2.0])))
    d = data.draw(hnp.arrays(np.float64, (n_pre, n_post), elements=st.sampled_from([0.1, 0.2, 0.5])))
    pre, post = np.nonzero(w)
    dense = _proj(w, n_pre, n_post, np.where(w != 0, d, 0.1))
    trip = _proj((pre, post, w[pre, post]), n_pre, n_post, d[pre, post])
    sparse_w = sp.csr_matrix(w)
    sparse = _proj(sparse_w, n_pre, n_post, sp.csr_matrix(np.where(w != 0, d, 0.0)))
    coo = _proj(sp.coo_matrix(w), n_pre, n_post, np.where(w != 0, d, 0.1))
    csc = _proj(sp.csc_matrix(w), n_pre, n_post, np.where(w != 0, d, 0.1))
    assert _synapses(dense) == _synapses(trip) == _synapses(sparse) == _synapses(coo) == _synapses(csc)
    for pr in (dense, trip, sparse, coo, csc):
        assert pr.pre_idx.size == 0 or (pr.pre_idx.min() >= 0 and pr.pre_idx.max() < n_pre)
        assert pr.post_idx.size == 0 or (pr.post_idx.min() >= 0 and pr.post_idx.max() < n_post)
        assert not (pr.pre_idx.flags.writeable or pr.weights.flags.writeable or pr.delay_steps.flags.writeable)


IDS = st.one_of(st.integers(-3, 8).map(float), st.floats(-3, 8), st.just(math.nan))


@given(st.lists(st.tuples(IDS, IDS), min_size=1, max_size=8))
@FAST
def test_triplet_ids_valid_or_refused(pairs):
    pre = np.array([p for p, _ in pairs])
    post = np.array([q for _, q in pairs])
    good = (np.all(np.isfinite(pre)) and np.all(np.isfinite(post)) and np.all(pre == np.floor(pre))
            and np.all(post == np.floor(post)) and np.all((pre >= 0) & (pre < 3)) and np.all((post >= 0) & (post < 4)))
    if good:
        pr = _proj((pre, post, np.ones(pre.size)))
        np.testing.assert_array_equal(pr.pre_idx, pre)
    else:
        with pytest.raises(ValueError, match="ids"):
            _proj((pre, post, np.ones(pre.size)))


@pytest.mark.parametrize("corrupt", ["indices_high", "indices_negative", "indptr_decreasing", "indptr_long",
                                     "indptr_past_end", "coo_row", "coo_col_negative", "coo_lengths"])
def test_tampered_scipy_matrices_are_refused(corrupt):
    m = sp.csr_matrix(np.ones((3, 4)))
    if corrupt == "indices_high":
        m.indices[2] = 40
    elif corrupt == "indices_negative":
        m.indices[0] = -1
    elif corrupt == "indptr_decreasing":
        m.indptr[1] = 9
    elif corrupt == "indptr_long":
        m.indptr = np.append(m.indptr, 12)
    elif corrupt == "indptr_past_end":
        m.indptr[-1] = 50
    elif corrupt.startswith("coo"):
        m = sp.coo_matrix(np.ones((3, 4)))
        if corrupt == "coo_row":
            m.row[0] = 3
        elif corrupt == "coo_col_negative":
            m.col[1] = -2
        else:
            m.row = m.row[:-1]
    with pytest.raises(ValueError, match="weights"):
        _proj(m)


def test_list_triplet_is_not_read_as_dense():
    with pytest.raises(ValueError, match="tuple"):
        _proj([[0, 1], [1, 2], [1.0, 1.0]], 3, 2)
    pr = _proj(([0, 1], [1, 1], [1.0, 1.0]), 3, 2)        # the tuple works
    assert _synapses(pr) == [(0, 1, 1.0, 1), (1, 1, 1.0, 1)]
    assert _proj(np.asarray([[0, 1], [1, 2], [1.0, 1.0]]), 3, 2).n_synapses == 5   # dense, explicitly


@pytest.mark.parametrize("weights,err", [
    (np.array([["1", "2", "3", "4"]] * 3), TypeError), (np.ones((3, 4)) * 1j, TypeError),
    (np.ones((3, 4), dtype=bool), TypeError), ("1", TypeError), (None, TypeError),
    (sp.csr_matrix(np.ones((3, 4)) * 1j), TypeError), (([0], [0], ["x"]), TypeError),
    (([0, 1], [0], [1.0, 1.0]), ValueError), (([[0]], [0], [1.0]), ValueError)])
def test_weights_of_the_wrong_kind(weights, err):
    with pytest.raises(err, match="weights|triplet"):
        _proj(weights)


@pytest.mark.parametrize("delays,err,match", [
    (True, TypeError, "delays"), ("1", TypeError, "delays"), (None, TypeError, "delays"),
    (1j, TypeError, "delays"), (math.nan, ValueError, "NaN"), (np.full((3, 4), math.inf), ValueError, "NaN"),
    (1e12, MemoryError, "would need"), (1e300, MemoryError, "would need"), (np.ones(5), ValueError, "shape")])
def test_delays_of_the_wrong_kind(delays, err, match):
    with pytest.raises(err, match=match):
        _proj(np.ones((3, 4)), delays=delays)


def test_all_zero_sparse_weights_with_sparse_delays_are_accepted():
    pr = _proj(sp.csr_matrix((3, 4)), delays=sp.csr_matrix((3, 4)))
    assert pr.n_synapses == 0
    net = ss.Network(dt=0.1, backend="numba")
    a = net.add(ss.neurons.LIF(3), name="a")
    b = net.add(ss.neurons.LIF(4), name="b")
    net.connect(a, b, sp.csr_matrix((3, 4)), delays=sp.csr_matrix((3, 4)))
    net.record(b)
    assert net.run(1.0).spikes("b")[0].size == 0


def test_explicit_zero_in_sparse_keeps_its_delay():
    w = sp.csr_matrix((np.array([0.0, 2.0]), (np.array([0, 2]), np.array([1, 3]))), shape=(3, 4))
    d = sp.csr_matrix((np.array([0.3, 0.5]), (np.array([0, 2]), np.array([1, 3]))), shape=(3, 4))
    assert _synapses(_proj(w, delays=d)) == [(0, 1, 0.0, 3), (2, 3, 2.0, 5)]


@given(st.integers(1, 5), st.integers(1, 5), st.data())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_accepted_connectivity_runs_on_the_kernel(n_pre, n_post, data):
    """Whatever connect accepts runs on the Numba kernel and agrees with the reference."""
    pre = data.draw(st.lists(st.integers(-1, n_pre), min_size=0, max_size=10))
    post = data.draw(st.lists(st.integers(-1, n_post), min_size=len(pre), max_size=len(pre)))
    w = np.full(len(pre), 30.0)
    out = {}
    for backend in ("reference", "numba"):
        net = ss.Network(dt=0.5, backend=backend)
        src = net.add(ss.inputs.SpikeSource(n_pre, np.arange(n_pre) * 0.5, np.arange(n_pre)), name="src")
        tgt = net.add(ss.neurons.LIF(n_post), name="tgt")
        try:
            net.connect(src, tgt, (np.array(pre, dtype=np.int64), np.array(post, dtype=np.int64), w), delays=0.5)
        except ValueError as exc:
            assert "ids must lie" in str(exc)
            assert any(p < 0 or p >= n_pre for p in pre) or any(q < 0 or q >= n_post for q in post)
            return
        net.record(tgt)
        out[backend] = net.run(5.0).spikes("tgt")
    for a, b in zip(out["reference"], out["numba"]):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------- inputs
def test_spike_source_is_a_frozen_copy():
    times, ids = np.array([1.0, 2.0]), np.array([0, 1])
    src = ss.inputs.SpikeSource(2, times, ids)
    ids[0] = 999                     # mutating the caller's arrays does not reach the source
    times[0] = -5.0
    assert src.ids[0] == 0 and src.times[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        src.ids[0] = 10**9           # the segfault of issue 15
    with pytest.raises(AttributeError, match="immutable"):
        src.ids = np.array([10**9, 0])
    with pytest.raises(AttributeError, match="immutable"):
        src.n = 1
    net = ss.Network(dt=0.5, backend="numba")
    s = net.add(src, name="s")
    net.record(s)
    t, i = net.run(3.0).spikes("s")
    np.testing.assert_array_equal(t, [1.0, 2.0])
    np.testing.assert_array_equal(i, [0, 1])


def test_poisson_is_a_frozen_copy():
    rate = np.array([5.0, 10.0])
    p = ss.inputs.Poisson(2, rate)
    rate[0] = -1.0
    assert p.rate_hz[0] == 5.0 and not p.rate_hz.flags.writeable
    with pytest.raises(AttributeError):
        p.rate_hz = np.array([1e9, 1e9])


@pytest.mark.parametrize("kw,err,match", [
    (dict(n=3, times=[1.0], ids=[np.nan]), ValueError, "ids"), (dict(n=3, times=[1.0], ids=[0.5]), ValueError, "ids"),
    (dict(n=3, times=[1.0], ids=[True]), TypeError, "ids"), (dict(n=3, times=[1.0], ids=[-1]), ValueError, "ids"),
    (dict(n=3, times=[np.nan], ids=[0]), ValueError, "NaN"), (dict(n=3, times=["1"], ids=[0]), TypeError, "times"),
    (dict(n=True, times=[1.0], ids=[0]), ValueError, "n must"), (dict(n=2.0, times=[1.0], ids=[0]), ValueError, "n must"),
    (dict(n=3, times=[1.0, 2.0], ids=0), ValueError, "same length"),
    (dict(n=3, times=[1.0, 2.0], ids=[0, 1, 2]), ValueError, "same length")])
def test_bad_spike_sources(kw, err, match):
    with pytest.raises(err, match=match):
        ss.inputs.SpikeSource(**kw)


@pytest.mark.parametrize("n,rate,err", [(3, True, TypeError), (3, "5", TypeError), (3, 1j, TypeError),
                                        (3, np.nan, ValueError), (3, [1.0, 2.0], ValueError), (0, 1.0, ValueError),
                                        (np.int64(3), -1.0, ValueError)])
def test_bad_poisson(n, rate, err):
    with pytest.raises(err, match="Poisson"):
        ss.inputs.Poisson(n, rate)


# --------------------------------------------- Network-level checks (wired by the lead)


def test_network_seed_range_at_construction():
    with pytest.raises(ValueError, match="seed"):
        ss.Network(dt=0.1, seed=2**64)


@pytest.mark.timeout(3)
def test_negative_chunk_steps_is_refused():
    net = ss.Network(dt=0.1)
    net.add(ss.neurons.LIF(2), name="a")
    with pytest.raises(ValueError, match="chunk_steps"):
        net.run(1.0, chunk_steps=-5)


def test_float32_dt_runs_round_durations():
    net = ss.Network(dt=np.float32(0.1))
    net.add(ss.neurons.LIF(2), name="a")
    net.run(100.0)


def test_second_record_merges():
    net = ss.Network(dt=0.1)
    a = net.add(ss.neurons.Izhikevich(2), name="a")
    net.record(a, spikes=False, state="v")
    net.record(a, spikes=False, state="u")
    res = net.run(1.0)
    assert res.state("a", "v").shape[1] == 2 and res.state("a", "u").shape[1] == 2


def test_handle_from_another_network_is_refused():
    other = ss.Network(dt=0.1)
    foreign = other.add(ss.neurons.LIF(5), name="a")
    net = ss.Network(dt=0.1)
    net.add(ss.neurons.LIF(2), name="a")
    with pytest.raises(ValueError, match="another network"):
        net.record(foreign)


def test_poisson_rate_above_one_over_dt_is_refused_at_build():
    net = ss.Network(dt=1.0)
    net.add(ss.inputs.Poisson(2, 5000.0), name="p")
    with pytest.raises(ValueError, match="1/dt"):
        net.run(1.0)


@pytest.mark.parametrize("call", ["duration_bool", "every_bool", "inject_bool", "inject_str"])
def test_bools_and_strings_refused_by_network(call):
    net = ss.Network(dt=0.1)
    a = net.add(ss.neurons.LIF(2), name="a")
    with pytest.raises(TypeError):
        if call == "duration_bool":
            net.run(True)
        elif call == "every_bool":
            net.record(a, state="v", every=True)
        elif call == "inject_bool":
            net.inject(a, True)
        else:
            net.inject(a, "1.0")


# ---------------------------------------------------------------------------------- Result
@pytest.mark.parametrize("spikes,err", [
    ({"a": ([1.0, 2.0], [0])}, ValueError), ({"a": ([1.0], [0.5])}, ValueError), ({"a": ([1.0], [-1])}, ValueError),
    ({"a": ([np.nan], [0])}, ValueError), ({"a": (["x"], [0])}, TypeError), ({"a": [1.0]}, TypeError),
    ({"a": ([[1.0]], [[0]])}, ValueError)])
def test_result_refuses_bad_spikes(spikes, err):
    with pytest.raises(err, match="spikes\\['a'\\]"):
        ss.Result(spikes=spikes)


def test_result_keeps_valid_arrays_exactly():
    t, i = np.array([0.1, 0.2]), np.array([3, 1], dtype=np.int64)
    res = ss.Result(spikes={"a": (t, i)}, state_times={"a": np.arange(2.0)})
    assert res.spikes("a")[0] is t and res.spikes("a")[1] is i       # no copy for what is already right
    with pytest.raises(TypeError, match="numeric"):
        ss.Result(state={"a": {"v": np.array(["x"])}})
