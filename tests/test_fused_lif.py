"""The fused multi-step LIF (spikesim.nn.fused_lif) against norse's step loop: bit-identical
spikes, gradients equal within 1e-6, in the neuron alone and inside a whole Spikformer."""
import numpy as np
import pytest
import torch

from spikesim.nn.fused_lif import fused_lif, resolve_backend
from spikesim.models.spikformer import Spikformer
from spikesim.nn.spiking_lif import MultiStepLIF

from lif_oracle import lif_reference_numpy

BACKENDS = ["numba", "torch"]


def _pair(x0, v_th, backend, w):
    x1 = x0.clone().requires_grad_(True)
    x2 = x0.clone().requires_grad_(True)
    s1 = MultiStepLIF(v_th=v_th, backend="norse")(x1)
    s2 = MultiStepLIF(v_th=v_th, backend=backend)(x2)
    (s1 * w).sum().backward()
    (s2 * w).sum().backward()
    return s1, s2, x1.grad, x2.grad


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("v_th", [1.0, 0.5])
def test_spikes_identical_and_gradients_equal_on_threshold_grid(backend, v_th):
    # multiples of 0.125 land exactly on both thresholds: >= against > is visible here
    g = torch.Generator().manual_seed(4)
    x0 = torch.randint(0, 17, (6, 5003), generator=g).float() * 0.125   # 5003: not a multiple of the chunk
    w = torch.randn(x0.shape, generator=g)
    s1, s2, g1, g2 = _pair(x0, v_th, backend, w)
    assert torch.equal(s1, s2)
    assert np.array_equal(s2.detach().numpy(), lif_reference_numpy(x0.numpy(), v_th=v_th))
    assert 0.05 < float(s2.mean()) < 0.95
    assert float((g1 - g2).abs().max()) <= 1e-6
    assert float(g2.abs().sum()) > 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_inputs_many_shapes(backend):
    g = torch.Generator().manual_seed(5)
    for shape in [(1, 7), (4, 3, 5, 6, 6), (8, 2, 33)]:
        x0 = torch.randn(shape, generator=g) * 1.5 + 0.6
        w = torch.randn(shape, generator=g)
        s1, s2, g1, g2 = _pair(x0, 1.0, backend, w)
        assert torch.equal(s1, s2)
        assert float((g1 - g2).abs().max()) <= 1e-6


def test_non_contiguous_input_and_half_precision():
    g = torch.Generator().manual_seed(6)
    x = (torch.randn(5, 40, 30, generator=g) * 2).transpose(1, 2)        # not contiguous
    assert torch.equal(MultiStepLIF(backend="norse")(x), MultiStepLIF()(x))
    xh = x.half()
    out = MultiStepLIF()(xh)
    assert out.dtype == torch.float16 and torch.equal(out, MultiStepLIF(backend="norse")(xh))


def test_whole_spikformer_identical_to_norse_path():
    torch.manual_seed(0)
    m = Spikformer(depth=1, dim=32, heads=2, T=3, in_channels=1, num_classes=4, pools=(True, True, False, False))
    x = torch.randn(6, 1, 12, 12)
    grads, logits = [], []
    for backend in ("norse", "auto"):
        for lif in m.lif_layers().values():
            lif.backend = backend
        m.zero_grad()
        out = m(x)
        out.square().sum().backward()
        logits.append(out.detach())
        grads.append({n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None})
    assert torch.equal(logits[0], logits[1])
    for n in grads[0]:
        assert torch.allclose(grads[0][n], grads[1][n], atol=1e-6, rtol=1e-5), n
    assert sum(float(g.abs().sum()) for g in grads[1].values()) > 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="backend"):
        MultiStepLIF(backend="cupy")
    with pytest.raises(ValueError, match="backend"):
        resolve_backend("fast", torch.device("cpu"))
    with pytest.raises(TypeError, match="float32"):
        fused_lif(torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="time-first"):
        fused_lif(torch.zeros(3))
