"""Event-driven inference of the delay layer (ring-buffer scatter) against the dense torch pass."""
import numpy as np
import pytest
import torch

from spikesim.backends.numba_cpu.delay_scatter import delay_scatter as scatter_numba
from spikesim.nn.delay_layer import HeterogeneousDelayLayer


def _layer(seed, keep=0.3, symmetric=True, kernel=(5, 3, 5), n_classes=4):
    layer = HeterogeneousDelayLayer(n_classes=n_classes, kernel=kernel, seed=seed, symmetric=symmetric)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.weight.mul_((torch.rand(layer.weight.shape, generator=g) < keep).float())
    return layer


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_event_driven_equals_dense(symmetric, seed):
    layer = _layer(seed, symmetric=symmetric)
    rng = np.random.default_rng(seed)
    a = (rng.random((2, 13, 7, 9)) < 0.15).astype(np.uint8)
    dense, _ = layer(torch.as_tensor(a, dtype=torch.float32)[None])
    dense = dense[0].detach().numpy()
    low = layer.lower()
    ref, sops_ref = low.run(a, 13, 7, 9, backend="reference")
    fast, sops_fast = low.run(a, 13, 7, 9, backend="numba")
    np.testing.assert_allclose(ref, dense, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fast, ref, rtol=1e-5, atol=1e-5)
    assert sops_ref == sops_fast


def test_sops_equal_events_times_nonzero_weights():
    layer = _layer(3, keep=0.2)
    kt, kx, ky = layer.kernel
    a = np.zeros((2, 20, 16, 16), dtype=np.uint8)
    rng = np.random.default_rng(0)
    # events away from the border (every synapse lands inside the frame)
    inner = (rng.random((2, 20, 16 - 2 * (kx // 2), 16 - 2 * (ky // 2))) < 0.1)
    a[:, :, kx // 2:16 - kx // 2, ky // 2:16 - ky // 2] = inner
    low = layer.lower()
    _, sops = low.run(a, 20, 16, 16)
    w = layer.weight.detach().numpy()
    nnz_per_pol = [np.count_nonzero(w[:, p]) for p in (0, 1)]
    n_on, n_off = int(a[1].sum()), int(a[0].sum())
    # each event meets its polarity's weights in the direct set and the other polarity's in the swapped set
    assert sops == (n_on + n_off) * (nnz_per_pol[0] + nnz_per_pol[1])
    assert low.n_synapses == 2 * np.count_nonzero(w)
    # an event at the border performs all its operations too (those outside land in the margin)
    b = np.zeros_like(a)
    b[1, 0, 0, 0] = 1
    ev_b, sops_b = low.run(b, 20, 16, 16)
    ref_b, sops_rb = low.run(b, 20, 16, 16, backend="reference")
    assert sops_b == sops_rb == nnz_per_pol[0] + nnz_per_pol[1]
    np.testing.assert_allclose(ev_b, ref_b, rtol=1e-5, atol=1e-5)


def test_pruning_scales_operations():
    layer = _layer(4, keep=1.0, kernel=(5, 5, 5))
    a = (np.random.default_rng(1).random((2, 10, 12, 12)) < 0.1).astype(np.uint8)
    _, s_all = layer.lower().run(a, 10, 12, 12)
    with torch.no_grad():
        thr = layer.weight.abs().flatten().quantile(0.9)
        layer.weight.mul_((layer.weight.abs() >= thr).float())
    _, s_10 = layer.lower().run(a, 10, 12, 12)
    assert s_10 / s_all == pytest.approx(0.1, abs=0.02)


def test_scatter_bad_input():
    layer = _layer(0)
    low = layer.lower()
    with pytest.raises(ValueError, match="events"):
        low.run(np.zeros((3, 4, 4, 4)), 4, 4, 4)
    with pytest.raises(ValueError, match="backend"):
        low.run(np.zeros((2, 4, 4, 4)), 4, 4, 4, backend="gpu")
    with pytest.raises(ValueError, match="sorted"):
        scatter_numba(np.array([2, 1]), np.zeros(2, int), np.zeros(2, int), np.zeros(2, int), low.indptr,
                      low.channel, low.delay, low.dx, low.dy, low.weight, low.bias, low.n_classes, low.n_sets,
                      low.n_slots, 4, 4, 4)
    with pytest.raises(ValueError, match="delays"):
        scatter_numba(np.array([0]), np.zeros(1, int), np.zeros(1, int), np.zeros(1, int), low.indptr,
                      low.channel, low.delay + 10, low.dx, low.dy, low.weight, low.bias, low.n_classes, low.n_sets,
                      low.n_slots, 4, 4, 4)
