"""The core's event-driven attention (``Network.attention``, Spikformer's SSA): a hand-computed
case, the dense Q K^T V, the accumulation counts of both association orders, reference ==
numba bit for bit, a real target neuron, the delay, and bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikesim as ss
from spikesim.analysis.energy import ssa_auto_order, ssa_event_cost
from tests.attention_networks import attention_net, dense, run_attention


def _spikes(rng, shape, rates):
    return [(rng.random(shape) < r) for r in rates]


def _heads(x, heads):
    T, N, D = x.shape
    return x.reshape(T, N, heads, D // heads).transpose(0, 2, 1, 3)


def test_hand_computed_step():
    # one head, N = 2 tokens, d = 2: Q = [[1,0],[0,1]], K = [[1,1],[0,1]], V = [[1,0],[1,1]]
    q = np.array([[[1, 0], [0, 1]]], bool)
    k = np.array([[[1, 1], [0, 1]]], bool)
    v = np.array([[[1, 0], [1, 1]]], bool)
    # Q K^T = [[1, 0], [1, 1]];  (Q K^T) V = [[1, 0], [2, 1]];  * 0.5
    for backend in ("reference", "numba"):
        y, ops, n0, n1 = run_attention(q, k, v, 1, backend, scale=0.5, order="q_ktv")
        assert np.array_equal(y[0], [[0.5, 0.0], [1.0, 0.5]])
        # K^T V pairs: token 0: 2 x 1, token 1: 1 x 2 -> 4; S = [[1,0],[2,1]]: Q spike (0,0) adds 1 entry,
        # Q spike (1,1) adds 2 -> 3; total 7
        # (two steps run, the second without spikes: one more head in the forced order)
        assert (ops, n0, n1) == (7, 2, 0)
        y1, ops1, n0, n1 = run_attention(q, k, v, 1, backend, scale=0.5, order="qkt_v")
        # Q K^T pairs: Q(0,0)-K(0,0), Q(1,1)-K(0,1), Q(1,1)-K(1,1) -> 3; V spike (0,0): column 0 of A
        # has 2 non-zeros, V (1,0), (1,1): column 1 has 1 each -> 4; total 7
        assert np.array_equal(y1, y) and (ops1, n0, n1) == (7, 0, 2)


@pytest.mark.parametrize("rates", [(0.05, 0.05, 0.05), (0.3, 0.1, 0.6), (0.9, 0.8, 0.7)])
@pytest.mark.parametrize("order", ["auto", "q_ktv", "qkt_v"])
def test_reference_and_numba_equal_dense_and_count(rates, order):
    q, k, v = _spikes(np.random.default_rng(7), (3, 11, 10), rates)
    want = dense(q, k, v, 2)
    y_r, ops_r, a_r, b_r = run_attention(q, k, v, 2, "reference", order=order)
    y_n, ops_n, a_n, b_n = run_attention(q, k, v, 2, "numba", order=order)
    assert np.array_equal(y_r, want) and np.array_equal(y_n, want) and want.any()
    assert (ops_r, a_r, b_r) == (ops_n, a_n, b_n)
    c0, c1 = ssa_event_cost(_heads(q, 2), _heads(k, 2), _heads(v, 2))
    chosen = {"auto": ssa_auto_order(_heads(q, 2), _heads(k, 2), _heads(v, 2)), "q_ktv": 0, "qkt_v": 1}[order]
    assert ops_n == int(np.where(chosen == 0, c0, c1).sum())


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 9), d=st.integers(1, 6), h=st.integers(1, 3), rq=st.floats(0, 1), rk=st.floats(0, 1),
       rv=st.floats(0, 1), seed=st.integers(0, 2**16))
def test_numba_equals_dense_and_counts_any_shape(n, d, h, rq, rk, rv, seed):
    q, k, v = _spikes(np.random.default_rng(seed), (2, n, h * d), (rq, rk, rv))
    y, ops, n0, n1 = run_attention(q, k, v, h, "numba", scale=0.25)
    assert np.array_equal(y, dense(q, k, v, h, 0.25))
    hq, hk, hv = (_heads(x, h) for x in (q, k, v))
    c0, c1 = ssa_event_cost(hq, hk, hv)
    orders = ssa_auto_order(hq, hk, hv)
    assert ops == int(np.where(orders == 0, c0, c1).sum())
    # heads per order: those of the two steps, plus the empty step after them (a tie: order 0)
    assert (n0, n1) == (int((orders == 0).sum()) + h, int((orders == 1).sum()))


def test_lif_target_reference_equals_numba_and_delay():
    q, k, v = _spikes(np.random.default_rng(1), (6, 8, 12), (0.3, 0.3, 0.3))
    out = {}
    for backend in ("reference", "numba"):
        for delay in (None, 3.0):
            net, at, tgt = attention_net(q, k, v, 3, backend, scale=1.0, delay=delay,
                                         target=ss.neurons.LIF(8 * 12, tau_m=2.0, v_rest=0.0, v_reset=0.0,
                                                               v_th=0.5, t_ref=0.0))
            net.record(tgt, spikes=True, state="v")
            res = net.run(10.0)
            out[backend, delay] = (res.spikes("y"), res.state("y", "v"), net.attention_ops())
    for delay in (None, 3.0):
        (t_r, i_r), v_r, o_r = out["reference", delay]
        (t_n, i_n), v_n, o_n = out["numba", delay]
        assert np.array_equal(t_r, t_n) and np.array_equal(i_r, i_n) and np.array_equal(v_r, v_n) and o_r == o_n
        assert t_r.size > 0
    # a delay of 3 steps shifts the membrane trace by two steps against the default of one
    assert np.array_equal(out["numba", 3.0][1][2:], out["numba", None][1][:-2])
    assert out["numba", 3.0][1][:3].max() == 0.0


def test_ops_per_run_and_continued_runs():
    q, k, v = _spikes(np.random.default_rng(2), (4, 6, 8), (0.5, 0.5, 0.5))
    net, at, _ = attention_net(q, k, v, 2)
    net.run(2.0)
    first = net.last_run_stats["attention_ops"]
    net.run(3.0)
    assert first + net.last_run_stats["attention_ops"] == net.attention_ops(at) == run_attention(q, k, v, 2)[1]


def test_bad_input_names_the_argument():
    net = ss.Network(dt=1.0)
    a = net.add(ss.neurons.LIF(12), name="a")
    b = net.add(ss.neurons.LIF(10), name="b")
    src = net.add(ss.inputs.SpikeSource(n=12, times=[0.0], ids=[0]), name="s")
    with pytest.raises(ValueError, match="attention v: population 'b'"):
        net.attention(a, a, b, a, tokens=3, heads=2)
    with pytest.raises(ValueError, match="tokens=5"):
        net.attention(a, a, a, a, tokens=5, heads=1)
    with pytest.raises(ValueError, match="heads=3 does not divide dim = 4"):
        net.attention(a, a, a, a, tokens=3, heads=3)
    with pytest.raises(ValueError, match="target 's' is an input"):
        net.attention(a, a, a, src, tokens=3, heads=2)
    with pytest.raises(ValueError, match="order"):
        net.attention(a, a, a, a, tokens=3, heads=2, order="fast")
    with pytest.raises(ValueError, match="attention delay"):
        net.attention(a, a, a, a, tokens=3, heads=2, delay=0.0)
    with pytest.raises(TypeError, match="attention tokens"):
        net.attention(a, a, a, a, tokens=3.0, heads=2)
    with pytest.raises(TypeError, match="attention scale"):
        net.attention(a, a, a, a, tokens=3, heads=2, scale="1")
    short = ss.Network(dt=1.0, max_delay=2.0)
    c = short.add(ss.neurons.LIF(4), name="c")
    with pytest.raises(ValueError, match="attention delay 3.0 ms exceeds max_delay"):
        short.attention(c, c, c, c, tokens=2, heads=1, delay=3.0)


@pytest.mark.parametrize("n", [64, 70, 130])
def test_all_heads_pass_over_several_mask_words_equals_dense_and_reference(n):
    """The all-heads order-0 pass (token masks of one or more 64-bit words, each token's counts
    delivered as they are complete) against the dense product and the reference, counts included."""
    q, k, v = _spikes(np.random.default_rng(n), (2, n, 12), (0.2, 0.3, 0.25))
    want = dense(q, k, v, 3)
    y_n, ops_n, a_n, b_n = run_attention(q, k, v, 3, "numba", order="q_ktv")
    y_r, ops_r, a_r, b_r = run_attention(q, k, v, 3, "reference", order="q_ktv")
    assert np.array_equal(y_n, want) and np.array_equal(y_r, want) and want.any()
    assert (ops_n, a_n, b_n) == (ops_r, a_r, b_r) and a_n == 3 * 3   # every head of every step in order 0
