"""NIR graphs into the core: the same spikes as norse on the same input (reference and numba)."""
import numpy as np
import pytest

pytest.importorskip("norse")
nir = pytest.importorskip("nir")

from nir_graphs import DT, cuba, f32, hand_graph, lif, norse_run, norse_run_delayed, spikes_in  # noqa: E402

from spikesim.interop import nir as snir  # noqa: E402

BACKENDS = ("reference", "numba")


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_graph_matches_norse_exactly(backend):
    g = hand_graph()
    x = spikes_in(150, 5)
    ref = norse_run(g, x)
    out, res = snir.run(g, x, DT, backend=backend, return_result=True)
    assert ref.sum() > 10
    np.testing.assert_array_equal(out, ref)
    assert res.meta["synaptic_events"] > 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_graph_with_delay_matches_norse_modules(backend):
    g = hand_graph(delay_steps=3)
    x = spikes_in(150, 5, seed=3)
    ref = norse_run_delayed(g, x, 3)
    assert ref.sum() > 10
    np.testing.assert_array_equal(snir.run(g, x, DT, backend=backend), ref)
    # the delay matters: without it the spikes differ
    assert not np.array_equal(norse_run_delayed(g, x, 0), ref)


def test_real_valued_input_is_injected_as_current():
    g = hand_graph()
    x = np.random.default_rng(2).normal(0.5, 0.5, (120, 5))
    ref = norse_run(g, x)
    assert ref.sum() > 10
    np.testing.assert_array_equal(snir.run(g, x, DT, backend="reference"), ref)


def test_norse_exported_graph():
    import torch
    import norse.torch as nt
    torch.manual_seed(0)
    model = nt.SequentialState(torch.nn.Linear(6, 10), nt.LIFBoxCell(nt.LIFBoxParameters(tau_mem_inv=torch.tensor(64.0))),
                               torch.nn.Linear(10, 4), nt.LIFBoxCell(nt.LIFBoxParameters(tau_mem_inv=torch.tensor(32.0))))
    with torch.no_grad():
        for lin in (model[0], model[2]):
            lin.weight.mul_(8.0)
    g = nt.to_nir(model, torch.zeros(1, 6), dt=DT)
    assert {type(v).__name__ for v in g.nodes.values()} >= {"Affine", "LIF", "Input", "Output"}
    x = spikes_in(200, 6, p=0.4, seed=5)
    ref = norse_run(g, x)
    assert ref.sum() > 10
    for backend in BACKENDS:
        np.testing.assert_array_equal(snir.run(g, x, DT, backend=backend), ref)


def test_conv_pool_flatten_if_graph_matches_norse():
    rng = np.random.default_rng(7)
    c_in, h = 2, 8
    g = nir.NIRGraph(nodes={
        "in": nir.Input(np.array([c_in, h, h])),
        "conv": nir.Conv2d(input_shape=(h, h), weight=f32(rng.normal(0, 0.8, (3, c_in, 3, 3))), stride=1, padding=1,
                           dilation=1, groups=1, bias=f32(rng.normal(0.1, 0.1, 3))),
        "if1": nir.IF(r=np.ones((3, h, h)), v_threshold=np.ones((3, h, h)), v_reset=np.zeros((3, h, h))),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([3, h // 2, h // 2])}, start_dim=0),
        "fc": nir.Affine(f32(rng.normal(0, 0.5, (4, 3 * (h // 2) ** 2))), np.zeros(4, np.float32)),
        "lif": lif(4, tau=2.0 ** -5, th=0.5),
        "out": nir.Output(np.array([4]))},
        edges=[("in", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "lif"),
               ("lif", "out")], type_check=False)
    x = spikes_in(60, c_in * h * h, p=0.3, seed=8).reshape(60, c_in, h, h)
    ref = norse_run(g, x)
    assert ref.sum() > 5
    np.testing.assert_array_equal(snir.run(g, x.reshape(60, -1), DT, backend="reference"), ref)


def _exact_lif_reference(I, tau, dt, th):
    v, out = 0.0, []
    for u in I:
        v = u + (v - u) * np.exp(-dt / tau)
        z = v > th
        out.append(float(z))
        v = 0.0 if z else v
    return np.array(out)


def test_exact_scheme_lif_is_exponential_integration():
    n = 1
    g = nir.NIRGraph(nodes={"in": nir.Input(np.array([1])), "fc": nir.Affine(np.array([[1.5]]), np.array([0.0])),
                            "lif": lif(n, tau=0.004), "out": nir.Output(np.array([1]))},
                     edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")])
    x = np.full((300, 1), 0.8)
    out = snir.run(g, x, 1e-3, backend="reference", scheme="exact")
    ref = _exact_lif_reference(1.5 * x[:, 0], 0.004, 1e-3, 1.0)
    assert ref.sum() > 3
    np.testing.assert_array_equal(out[:, 0], ref)
    # Euler (norse) spikes at other steps
    assert not np.array_equal(snir.run(g, x, 1e-3, backend="reference")[:, 0], ref)


@pytest.mark.parametrize("backend", BACKENDS)
def test_li_cubali_threshold_integrator_scale_nodes(backend):
    """Nodes norse's from_nir lacks, against their discrete equations written out here."""
    rng = np.random.default_rng(3)
    W = f32(rng.normal(0, 1, (3, 2)))
    s = np.array([0.5, 2.0, -1.0])
    dt, tau, ts, tm = 1e-3, 0.01, 0.004, 0.008
    g = nir.NIRGraph(nodes={
        "in": nir.Input(np.array([2])), "lin": nir.Linear(W), "scale": nir.Scale(s),
        "thr": nir.Threshold(np.full(3, 0.2)),
        "fc": nir.Linear(np.ones((3, 3))),
        "integ": nir.I(r=np.full(3, 0.5)),
        "li": nir.LI(tau=np.full(3, tau), r=np.ones(3), v_leak=np.zeros(3)),
        "cli": nir.CubaLI(tau_syn=np.full(3, ts), tau_mem=np.full(3, tm), r=np.full(3, 2.0), v_leak=np.zeros(3)),
        "sum": nir.Linear(np.eye(3)), "out": nir.Output(np.array([3]))},
        edges=[("in", "lin"), ("lin", "scale"), ("scale", "thr"), ("thr", "fc"), ("fc", "integ"), ("fc", "li"),
               ("fc", "cli"), ("integ", "sum"), ("li", "sum"), ("cli", "sum"), ("sum", "out")])
    T = 80
    x = rng.normal(0.2, 1.0, (T, 2))
    out = snir.run(g, x, dt, backend=backend)
    # graph-order evaluation of the same discrete equations
    vi = np.zeros(3); vl = np.zeros(3); ic = np.zeros(3); vc = np.zeros(3); ref = []
    for t in range(T):
        z = ((x[t] @ W.T) * s > 0.2).astype(float)
        u = np.ones((3, 3)) @ z
        vi = vi + 0.5 * u
        vl = vl + dt / tau * ((u + 0.0) - vl)
        ic = ic + dt / ts * (u - ic)
        vc = vc + dt / tm * ((2.0 * ic + 0.0) - vc)
        ref.append(vi + vl + vc)
    ref = np.array(ref)
    assert np.abs(ref).max() > 1
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_conv_and_pool_maps_equal_torch():
    import torch
    import torch.nn.functional as F
    from spikesim.interop.nir_maps import node_map
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 9, 7))
    for kw in (dict(stride=1, padding=1, dilation=1, groups=1), dict(stride=2, padding=0, dilation=2, groups=2),
               dict(stride=1, padding="same", dilation=1, groups=1)):
        w = rng.normal(size=(6, 4 // kw["groups"], 3, 2))
        b = rng.normal(size=6)
        node = nir.Conv2d(input_shape=(9, 7), weight=w, bias=b, **kw)
        M, bias, shape = node_map("c", node, x.size, x.shape)
        y = torch.nn.functional.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b),
                                       **kw)[0].numpy()
        assert tuple(shape) == y.shape
        np.testing.assert_allclose(x.ravel() @ M + bias, y.ravel(), atol=1e-12)
    w1 = rng.normal(size=(3, 4, 3))
    node = nir.Conv1d(input_shape=9, weight=w1, stride=2, padding=1, dilation=1, groups=1, bias=np.zeros(3))
    M, _, shape = node_map("c1", node, 36, (4, 9))
    y = F.conv1d(torch.from_numpy(x[:, :, 0].copy())[None], torch.from_numpy(w1), stride=2, padding=1)[0].numpy()
    np.testing.assert_allclose(x[:, :, 0].ravel() @ M, y.ravel(), atol=1e-12)
    node = nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 1]), padding=np.array([1, 0]))
    M, _, shape = node_map("p", node, x.size, x.shape)
    y = F.avg_pool2d(torch.from_numpy(x)[None], (2, 2), (2, 1), (1, 0))[0].numpy()
    np.testing.assert_allclose(x.ravel() @ M, y.ravel(), atol=1e-12)


# ------------------------------------------------------------------ bad graphs
def _edges(g, edges):
    return nir.NIRGraph(nodes=dict(g.nodes), edges=edges, type_check=False)


def test_missing_edge_names_the_node():
    g = hand_graph()
    edges = [e for e in g.edges if e != ("fc2", "cuba")]
    with pytest.raises(snir.NIRImportError, match=r"'fc2' \(Affine\) has no outgoing edge"):
        snir.to_network(_edges(g, edges), DT)
    with pytest.raises(snir.NIRImportError, match=r"edge \('lif', 'nowhere'\): node 'nowhere' is not in the graph"):
        snir.to_network(_edges(g, list(g.edges) + [("lif", "nowhere")]), DT)


def test_shape_mismatch_names_edge_and_types():
    g = hand_graph()
    nodes = dict(g.nodes)
    nodes["cuba"] = cuba(4)
    with pytest.raises(snir.NIRImportError, match=r"shape mismatch on edge \('fc2', 'cuba'\).*Affine.*3 values.*CubaLIF"):
        snir.to_network(nir.NIRGraph(nodes=nodes, edges=g.edges, type_check=False), DT)


def test_unknown_node_names_node_and_type():
    g = hand_graph()
    nodes = dict(g.nodes)
    nodes["lif"] = nir.AdaptiveLIF(tau_mem=np.ones(8), tau_adp=np.ones(8), r=np.ones(8), v_leak=np.zeros(8),
                                   v_threshold=np.ones(8), v_reset=np.zeros(8), beta=np.ones(8),
                                   adapt_a=np.zeros(8)) if hasattr(nir, "AdaptiveLIF") else object()
    with pytest.raises(snir.NIRImportError, match=r"node 'lif' has type \w+, which spikesim does not import"):
        snir.to_network(nir.NIRGraph(nodes=nodes, edges=g.edges, type_check=False), DT)


def test_loop_too_short_for_the_core_is_refused():
    rng = np.random.default_rng(0)
    g = nir.NIRGraph(nodes={"in": nir.Input(np.array([2])), "a_w": nir.Linear(f32(rng.normal(size=(3, 2)))),
                            "a": lif(3), "b_w": nir.Linear(np.eye(3)), "b": lif(3), "back": nir.Linear(np.eye(3)),
                            "out": nir.Output(np.array([3]))},
                     edges=[("in", "a_w"), ("a_w", "a"), ("a", "b_w"), ("b_w", "b"), ("b", "back"), ("back", "a"),
                            ("b", "out")])
    with pytest.raises(snir.NIRImportError, match=r"recurrent path b -> back -> a .*Delay"):
        snir.to_network(g, DT)
    nodes = dict(g.nodes)
    nodes["d"] = nir.Delay(np.full(3, DT))
    g2 = nir.NIRGraph(nodes=nodes, edges=[e for e in g.edges if e != ("back", "a")] + [("back", "d"), ("d", "a")])
    snir.to_network(g2, DT)          # one step of Delay makes the loop runnable


def test_input_shape_and_values_checked():
    net, io = snir.to_network(hand_graph(), DT)
    with pytest.raises(ValueError, match=r"shape \(T, 5\)"):
        io.drive(net, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="spikes"):
        io.drive(net, np.full((10, 5), 0.5))


def test_norse_in_float32_with_arbitrary_values_gives_the_same_spikes():
    """norse as users run it (float32, dt = 1 ms, time constants not powers of two) against the
    core's float64: measured 519 of 519 output spikes equal over seeds 0..9; seeds 0..2 here."""
    import logging
    import warnings

    import norse.torch as nt
    import torch
    total = 0
    for seed in range(3):
        rng = np.random.default_rng(seed)
        g = nir.NIRGraph(nodes={
            "in": nir.Input(np.array([5])), "fc1": nir.Affine(rng.normal(0, 6, (8, 5)), rng.normal(0.5, .5, 8)),
            "lif": nir.LIF(tau=np.full(8, 0.013), r=np.ones(8), v_leak=np.zeros(8), v_threshold=np.ones(8),
                           v_reset=np.zeros(8)),
            "fc2": nir.Affine(rng.normal(0, 8, (3, 8)), rng.normal(0, .2, 3)),
            "cuba": nir.CubaLIF(tau_syn=np.full(3, 0.007), tau_mem=np.full(3, 0.03), r=np.ones(3), v_leak=np.zeros(3),
                                v_threshold=np.full(3, .5), v_reset=np.zeros(3)),
            "rec": nir.Linear(rng.normal(0, 4, (3, 3))), "out": nir.Output(np.array([3]))},
            edges=[("in", "fc1"), ("fc1", "lif"), ("lif", "fc2"), ("fc2", "cuba"), ("cuba", "rec"), ("rec", "cuba"),
                   ("cuba", "out")])
        x = spikes_in(300, 5, seed=seed)
        warnings.filterwarnings("ignore")
        logging.disable(logging.WARNING)
        m = nt.from_nir(g, dt=1e-3)
        logging.disable(logging.NOTSET)
        state, ref = None, []
        with torch.no_grad():
            for t in range(300):
                o, state = m(torch.from_numpy(x[t][None]).float(), state)
                ref.append(o[0].numpy())
        ref = np.array(ref)
        np.testing.assert_array_equal(snir.run(g, x, 1e-3, backend="reference"), ref)
        total += ref.sum()
    assert total > 100


def test_run_batch_equals_runs_one_by_one():
    g = hand_graph(delay_steps=2)
    xs = np.stack([spikes_in(60, 5, seed=s) for s in range(4)])
    one = np.stack([snir.run(g, x, DT, backend="reference") for x in xs])
    assert one.sum() > 10
    np.testing.assert_array_equal(snir.run_batch(g, xs, DT, backend="reference"), one)
    xr = np.random.default_rng(0).normal(0.5, 0.5, (3, 40, 5))
    np.testing.assert_array_equal(snir.run_batch(g, xr, DT, backend="reference"),
                                  np.stack([snir.run(g, x, DT, backend="reference") for x in xr]))


def test_subgraph_is_inlined():
    """A subgraph node (its own Input/Output) behaves as the nodes it holds."""
    g = hand_graph()
    inner = nir.NIRGraph(nodes={"i": nir.Input(np.array([8])), "fc2": g.nodes["fc2"], "o": nir.Output(np.array([3]))},
                         edges=[("i", "fc2"), ("fc2", "o")])
    nodes = {k: v for k, v in g.nodes.items() if k != "fc2"}
    nodes["sub"] = inner
    edges = [("sub" if a == "fc2" else a, "sub" if b == "fc2" else b) for a, b in g.edges]
    g2 = nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
    x = spikes_in(100, 5, seed=4)
    ref = snir.run(g, x, DT, backend="reference")
    assert ref.sum() > 5
    np.testing.assert_array_equal(snir.run(g2, x, DT, backend="reference"), ref)
