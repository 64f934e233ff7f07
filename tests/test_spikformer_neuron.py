"""The norse-based LIF reproduces Spikformer's neuron (SpikingJelly MultiStepLIFNode, tau 2,
hard reset to 0, detached reset, sigmoid(4) surrogate, fires on >=)."""
import numpy as np
import pytest
import torch

from lif_oracle import lif_reference_numpy

from spikesim.nn.spiking_lif import MultiStepLIF, threshold_just_below


class _SigmoidSpike(torch.autograd.Function):
    """Reference surrogate: forward x >= 0, backward alpha sigma(alpha x)(1 - sigma(alpha x))."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(ctx.alpha * x)
        return g * ctx.alpha * s * (1 - s), None


def _torch_reference(x, tau=2.0, v_th=1.0, alpha=4.0):
    """Eqs. 1-3 in plain torch with the SpikingJelly surrogate and a detached hard reset."""
    v = torch.zeros_like(x[0])
    out = []
    for t in range(x.shape[0]):
        h = v + (x[t] - v) / tau
        s = _SigmoidSpike.apply(h - v_th, alpha)
        v = h * (1 - s.detach())
        out.append(s)
    return torch.stack(out)


@pytest.mark.parametrize("v_th", [1.0, 0.5])
def test_spikes_bit_identical_to_numpy_on_grid_inputs(v_th):
    # multiples of 0.125 hit the threshold exactly: the >= vs > distinction matters here
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 17, (8, 4000), generator=g).float() * 0.125
    s = MultiStepLIF(v_th=v_th)(x).numpy()
    ref = lif_reference_numpy(x.numpy(), v_th=v_th)
    assert np.array_equal(s, ref)
    assert s.sum() > 100
    # and a strict-threshold neuron would differ (the test can tell the two apart)
    strict = np.zeros_like(ref)
    v = np.zeros(x.shape[1], np.float32)
    for t in range(x.shape[0]):
        h = v + (x[t].numpy() - v) / np.float32(2)
        strict[t] = h > v_th
        v = h * (1 - strict[t])
    assert not np.array_equal(strict, ref)


def test_spikes_bit_identical_on_random_floats():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(6, 3, 50, generator=g) * 1.5
    assert np.array_equal(MultiStepLIF()(x).numpy(), lif_reference_numpy(x.numpy()))


def test_threshold_one_ulp_below():
    th = threshold_just_below(0.5)
    assert th < 0.5 and np.float32(th) == np.nextafter(np.float32(0.5), np.float32(0))


def test_gradients_match_sigmoid_surrogate_with_detached_reset():
    g = torch.Generator().manual_seed(3)
    x0 = torch.randn(5, 200, generator=g) * 1.2 + 0.8
    w = torch.randn(5, 200, generator=g)
    for v_th in (1.0, 0.5):
        x1 = x0.clone().requires_grad_(True)
        x2 = x0.clone().requires_grad_(True)
        (MultiStepLIF(v_th=v_th)(x1) * w).sum().backward()
        (_torch_reference(x2, v_th=v_th) * w).sum().backward()
        assert torch.allclose(x1.grad, x2.grad, atol=1e-6, rtol=1e-5)
        assert x1.grad.abs().sum() > 0


def test_reset_is_detached():
    # with a non-detached reset the gradient would differ (so the test above can fail)
    g = torch.Generator().manual_seed(4)
    x0 = torch.randn(5, 200, generator=g) + 1.0
    x1 = x0.clone().requires_grad_(True)
    x2 = x0.clone().requires_grad_(True)
    MultiStepLIF()(x1).sum().backward()
    v = torch.zeros_like(x2[0])
    out = []
    for t in range(5):
        h = v + (x2[t] - v) / 2
        s = _SigmoidSpike.apply(h - 1.0, 4.0)
        v = h * (1 - s)             # reset NOT detached
        out.append(s)
    torch.stack(out).sum().backward()
    assert not torch.allclose(x1.grad, x2.grad, atol=1e-4)


def test_single_step_surrogate_value():
    x = torch.tensor([[2.0, 1.0, 3.0]], requires_grad=True)   # H = x/2 = 1, 0.5, 1.5
    MultiStepLIF()(x).sum().backward()
    h = x.detach() / 2
    s = torch.sigmoid(4 * (h - 1))
    assert torch.allclose(x.grad, 0.5 * 4 * s * (1 - s), atol=1e-7)


def test_record_counts_firing_rate():
    n = MultiStepLIF()
    n.record = True
    x = torch.full((4, 10), 2.0)      # H = 1 at t=0 -> fires; then resets
    s = n(x)
    assert n.firing_rate == pytest.approx(float(s.mean()))
    n.reset_counts()
    assert np.isnan(n.firing_rate)


@pytest.mark.parametrize("kw", [dict(tau=0.5), dict(v_th=float("nan")), dict(alpha=0.0), dict(v_reset=2.0)])
def test_bad_parameters(kw):
    with pytest.raises(ValueError):
        MultiStepLIF(**kw)


def test_bad_shape():
    with pytest.raises(ValueError, match="time-first"):
        MultiStepLIF()(torch.zeros(3))


def test_half_precision_input_keeps_firing_on_threshold():
    # float16 cannot hold the float32 threshold one ulp below 0.5; the neuron computes in float32
    x = torch.full((1, 8), 1.0, dtype=torch.float16)          # H = 0.5 exactly
    s = MultiStepLIF(v_th=0.5)(x)
    assert s.dtype == torch.float16 and bool((s == 1).all())
