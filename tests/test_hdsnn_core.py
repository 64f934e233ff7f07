"""The HD-SNN's event-driven inference (Grimaldi & Perrinet 2023): pinned decisions and synaptic
operations of a fixed model on fixed movies.

The pinned values were produced by the event path before it moved onto the core (commit
c953a49, the private ``LoweredDelayLayer`` ring-buffer scatter, numba): the same seeds must give
the same decisions whatever engine runs the lowered layer."""
import numpy as np
import pytest
import torch

from spikesim.io.motion_stimuli import MotionWorld
from spikesim.models.hd_snn import HDSNN, HDSNNEvent, oracle_kernels

KERNEL = (7, 5, 5)
DROP = 7
# decisions of the event path at c953a49 (identical to the dense torch pass), 12 movies
PINNED = {True: [5, 9, 9, 9, 5, 0, 5, 5, 4, 4, 5, 18], False: [5, 0, 9, 9, 5, 1, 5, 5, 5, 5, 5, 18]}
# its synaptic operations per movie: events x non-zero weights met, targets outside the frame included
PINNED_SOPS = {True: [2224698, 2015125, 2114154, 2572451, 2475725, 2289182, 2765903, 1987489, 2708328, 2328333,
                      2450392, 2514876],
               False: [1113470, 1008949, 1060440, 1285016, 1237066, 1144768, 1382273, 994423, 1354695, 1159594,
                       1223780, 1256966]}


@pytest.fixture(scope="module")
def movies():
    world = MotionWorld(n_x=16, n_y=16, n_t=24, seed=5, block_length=float("inf"))
    ev, lab = world.dataset(12, constant=True)
    return world, ev, lab[:, 0]


def _model(world, symmetric):
    """Oracle delay lines with 20 % of their taps removed and sparse noise added, bias 0."""
    w = oracle_kernels(world.phi, world.speed, KERNEL)
    g = np.random.default_rng(11)
    w = w * (g.random(w.shape) < 0.8) + 0.02 * g.standard_normal(w.shape) * (g.random(w.shape) < 0.1)
    m = HDSNN(kernel=KERNEL, symmetric=symmetric, use_mask=False, seed=3)
    with torch.no_grad():
        m.layer.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
        m.layer.bias.zero_()
    m.layer.eval()
    return m


@pytest.mark.parametrize("symmetric", [True, False])
def test_pinned_decisions(movies, symmetric):
    world, ev, _ = movies
    m = _model(world, symmetric)
    dense = m.decide(ev, drop_frames=DROP)
    event = HDSNNEvent(m).decide(ev, drop_frames=DROP)
    np.testing.assert_array_equal(dense, PINNED[symmetric])
    np.testing.assert_array_equal(event, PINNED[symmetric])


def test_pinned_decisions_and_sops_in_float32(movies):
    """The paradigm's ``event_dtype=float32`` path (``HDSNNEvent(dtype=)``): the pinned decisions
    and the core's in-frame synaptic operations, as in float64."""
    world, ev, _ = movies
    m = _model(world, True)
    e = HDSNNEvent(m, dtype="float32")
    np.testing.assert_array_equal(e.decide(ev, drop_frames=DROP), PINNED[True])
    np.testing.assert_array_equal(e.last_sops, [_in_frame_sops(m.kernels(), x, True) for x in ev])


def _in_frame_sops(w, events, symmetric):
    """Synaptic operations counted independently of the lowering: for each non-zero weight
    (c, p, d, i, j), the events of the polarity it listens to whose target (x - dx, y - dy) lies
    in the frame (the polarity-swapped set listens to the other polarity)."""
    _, _, kt, kx, ky = w.shape
    per_pos = events.sum(axis=1)                     # (P, X, Y) events per polarity and position
    n_x, n_y = per_pos.shape[1:]
    nnz = (w != 0).sum(axis=(0, 2))                  # (P, K_X, K_Y)
    total = 0
    listens = [lambda p: p, lambda p: 1 - p] if symmetric else [lambda p: p]
    for src in listens:
        for p in range(w.shape[1]):
            for i in range(kx):
                for j in range(ky):
                    dx, dy = i - kx // 2, j - ky // 2
                    window = per_pos[src(p), max(0, dx):min(n_x, n_x + dx), max(0, dy):min(n_y, n_y + dy)]
                    total += int(nnz[p, i, j]) * int(window.sum())
    return total


@pytest.mark.parametrize("symmetric", [True, False])
def test_sops_from_the_core_counter(movies, symmetric):
    """The core counts one operation per synapse of each event (in-frame targets only); the old
    engine also counted the additions it made into its margin (events x non-zero weights)."""
    world, ev, _ = movies
    m = _model(world, symmetric)
    w = m.kernels()
    e = HDSNNEvent(m)
    e.decide(ev, drop_frames=DROP)
    per_pol = [int((w[:, p] != 0).sum()) for p in range(2)]
    for k in range(len(ev)):
        n_on, n_off = int(ev[k, 1].sum()), int(ev[k, 0].sum())
        old = (n_on + n_off) * sum(per_pol) if symmetric else n_off * per_pol[0] + n_on * per_pol[1]
        assert old == PINNED_SOPS[symmetric][k]                    # the pins describe these movies
        assert e.last_sops[k] == _in_frame_sops(w, ev[k], symmetric)
        assert e.last_sops[k] < old


# ---------------------------------------------------------------- the lowering on the core
def _random_layer(seed, keep=0.3, symmetric=True, kernel=(5, 3, 5), n_classes=4):
    from spikesim.nn.delay_layer import HeterogeneousDelayLayer

    layer = HeterogeneousDelayLayer(n_classes=n_classes, kernel=kernel, seed=seed, symmetric=symmetric)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.weight.mul_((torch.rand(layer.weight.shape, generator=g) < keep).float())
    layer.eval()
    return layer


def _core_logits(layer, a, backend, synapses="conv", dtype="float64"):
    from spikesim.models.hd_snn_lowering import lower_delay_layer, movie_evidence, movie_period

    n, _, n_t, n_x, n_y = a.shape
    net = lower_delay_layer(layer.weight.detach().numpy(), layer.bias.detach().numpy(), layer.symmetric, a,
                            backend=backend, synapses=synapses, dtype=dtype)
    out, sops = [], []
    for _ in range(n):
        res = net.run(movie_period(n_t, layer.kernel[0]))
        out.append(movie_evidence(res, layer.n_classes, n_t, n_x, n_y))
        sops.append(res.meta["synaptic_events"])
    return np.stack(out), np.array(sops), net


@pytest.mark.parametrize("symmetric,synapses", [(True, "conv"), (False, "conv"), (True, "lines"), (False, "lines"),
                                               (True, "pixels")])
@pytest.mark.parametrize("seed", [0, 1])
def test_core_logits_equal_dense_and_backends_bit_identical(symmetric, synapses, seed):
    """Three movies through one lowered network (one weight-shared projection; or explicit
    synapses from inputs with one neuron per delay line, or one per pixel with per-synapse
    delays): the logits of the dense torch pass (float32) within rounding, and the same bits and
    counts on the reference and numba backends."""
    layer = _random_layer(seed, symmetric=symmetric)
    rng = np.random.default_rng(seed)
    a = (rng.random((3, 2, 13, 7, 9)) < 0.15).astype(np.uint8)
    dense = layer(torch.as_tensor(a, dtype=torch.float32))[0].detach().numpy()
    fast, sops_fast, net = _core_logits(layer, a, "numba", synapses)
    ref, sops_ref, _ = _core_logits(layer, a, "reference", synapses)
    np.testing.assert_allclose(fast, dense, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(fast, ref)
    np.testing.assert_array_equal(sops_fast, sops_ref)
    w = layer.weight.detach().numpy()
    for k in range(3):
        assert sops_fast[k] == _in_frame_sops(w, a[k], symmetric)
    if synapses == "conv":      # the kernel's non-zero entries, stored once
        assert sum(pr.n_synapses for pr in net._convs) == (2 if symmetric else 1) * np.count_nonzero(w)
        assert not net.projections
    else:                       # one synapse per non-zero weight and in-frame target
        assert np.all(net.weights(net.projections[0]) != 0)
        assert sum(pr.n_synapses for pr in net.projections) < (2 if symmetric else 1) * np.count_nonzero(w) * 7 * 9


@pytest.mark.parametrize("synapses", ["conv", "lines"])
def test_float32_lowering_reference_equals_numba_and_dense(synapses):
    """``dtype="float32"`` (weights and ring in float32): the same bits on reference and numba,
    the dense torch pass (itself float32) within rounding, the same decisions and counts as float64."""
    layer = _random_layer(2)
    a = (np.random.default_rng(2).random((3, 2, 13, 7, 9)) < 0.15).astype(np.uint8)
    dense = layer(torch.as_tensor(a, dtype=torch.float32))[0].detach().numpy()
    f32, sops32, net = _core_logits(layer, a, "numba", synapses, "float32")
    ref32, sops_ref, _ = _core_logits(layer, a, "reference", synapses, "float32")
    f64, sops64, _ = _core_logits(layer, a, "numba", synapses)
    assert net._plan.ring.dtype == np.float32
    np.testing.assert_array_equal(f32, ref32)
    np.testing.assert_array_equal(sops32, sops_ref)
    np.testing.assert_array_equal(sops32, sops64)
    np.testing.assert_allclose(f32, dense, rtol=1e-5, atol=1e-5)
    assert not np.array_equal(f32, f64), "float32 rounding should show somewhere"
    np.testing.assert_array_equal(f32.reshape(3, layer.n_classes, -1).sum(-1).argmax(1),
                                  f64.reshape(3, layer.n_classes, -1).sum(-1).argmax(1))


def test_pruning_scales_core_operations():
    layer = _random_layer(4, keep=1.0, kernel=(5, 5, 5))
    a = (np.random.default_rng(1).random((1, 2, 10, 12, 12)) < 0.1).astype(np.uint8)
    _, s_all, _ = _core_logits(layer, a, "numba")
    with torch.no_grad():
        thr = layer.weight.abs().flatten().quantile(0.9)
        layer.weight.mul_((layer.weight.abs() >= thr).float())
    _, s_10, _ = _core_logits(layer, a, "numba")
    assert s_10[0] / s_all[0] == pytest.approx(0.1, abs=0.02)


def test_core_output_spikes_at_threshold():
    """With ``theta`` the readout units spike where the logit reaches it (paper 2.3)."""
    from spikesim.models.hd_snn_lowering import movie_evidence, movie_period

    layer = _random_layer(2)
    a = (np.random.default_rng(2).random((1, 2, 12, 6, 6)) < 0.2).astype(np.uint8)
    z_dense = layer(torch.as_tensor(a, dtype=torch.float32))[0][0].detach().numpy()
    theta = float(np.quantile(z_dense, 0.9))
    from spikesim.models.hd_snn_lowering import lower_delay_layer
    net = lower_delay_layer(layer.weight.detach().numpy(), layer.bias.detach().numpy(), layer.symmetric, a, theta=theta)
    res = net.run(movie_period(12, 5))
    z = movie_evidence(res, 4, 12, 6, 6)
    t, i = res.spikes("readout")
    inside = (t >= 1) & (t <= 12)                               # steps 1..T hold frames 0..T-1
    t, i = t[inside], i[inside]
    got = np.zeros_like(z, dtype=bool)                       # (C, T, X, Y) from ids (c X + x) Y + y
    got[i // 36, t.astype(int) - 1, (i // 6) % 6, i % 6] = True
    np.testing.assert_array_equal(got, z >= theta)
    assert 0 < got.sum() < got.size


def test_max_readout_step_by_hand():
    """Two sources -> one unit: a jump of 2 on ``a`` after 1 step and of 3 on ``b`` after 2 steps;
    z = beta + max(a, b) of each step's arrivals, a and b cleared by the update."""
    import spikesim as ss

    for two_sets, want in ((True, [0.5, 2.5, 2.5, 3.5, 3.5]), (False, [0.5, 2.5, 2.5, 2.5, 0.5])):
        net = ss.Network(dt=1.0, backend="reference")
        src = net.add(ss.inputs.SpikeSource(2, times=[0.0, 1.0, 2.0], ids=[0, 1, 1]), name="s")
        out = net.add(ss.neurons.MaxReadout(1, beta=0.5, two_sets=two_sets), name="o")
        net.connect(src, out, ([0], [0], [2.0]), delays=1.0, synapse=ss.synapses.Delta("a"))
        net.connect(src, out, ([1], [0], [3.0]), delays=2.0, synapse=ss.synapses.Delta("b"))
        net.connect(src, out, ([1], [0], [2.0]), delays=1.0, synapse=ss.synapses.Delta("a"))
        net.record(out, state=("z", "a", "b"))
        res = net.run(5.0)
        np.testing.assert_array_equal(res.state("o", "z")[:, 0], want)
        assert np.all(res.state("o", "a") == 0) and np.all(res.state("o", "b") == 0)
        assert res.spikes("o")[0].size == 0                 # non-spiking without theta


def test_lowering_bad_input():
    import spikesim as ss
    from spikesim.models.hd_snn_lowering import lower_delay_layer

    w = np.ones((2, 2, 3, 3, 3))
    with pytest.raises(ValueError, match="events must have shape"):
        lower_delay_layer(w, None, True, np.zeros((3, 4, 5, 5)))
    with pytest.raises(ValueError, match="binary"):
        lower_delay_layer(w, None, True, np.full((2, 4, 5, 5), 2))
    with pytest.raises(ValueError, match="bias"):
        lower_delay_layer(w, np.zeros(3), True, np.zeros((2, 4, 5, 5)))
    with pytest.raises(ValueError, match="weight"):
        lower_delay_layer(np.ones((2, 2, 3, 3)), None, True, np.zeros((2, 4, 5, 5)))
    with pytest.raises(ValueError, match="two_sets"):
        ss.neurons.MaxReadout(3, two_sets=0.5)
