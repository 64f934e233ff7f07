"""HD-SNN delay layer (spikesim.nn.delay_layer): causality, delays, mask, symmetry, losses."""
import math

import pytest
import torch

from spikesim.nn.delay_layer import HeterogeneousDelayLayer, causal_conv3d, classification_loss, cone_mask


def test_cone_mask_shape_and_cone():
    m = cone_mask((21, 17, 17))
    assert m.shape == (21, 17, 17)
    assert float(m[20, 8, 8]) == pytest.approx(1.0)          # delay 0, centre
    # at delay 0 (index 20) the cone is narrow, at the longest delay (index 0) it is wide
    assert float(m[20, 8, 12]) < 0.05 < float(m[0, 8, 12])
    assert float(m.max()) <= 1.0 and float(m.min()) >= 0.0
    with pytest.raises(ValueError, match="odd"):
        cone_mask((5, 4, 5))


@pytest.mark.parametrize("d", [0, 2, 4])
def test_impulse_response_delay(d):
    kt, kx = 5, 3
    w = torch.zeros(1, 1, kt, kx, kx)
    w[0, 0, d, 1, 1] = 1.0
    a = torch.zeros(1, 1, 12, 5, 5)
    a[0, 0, 3, 2, 2] = 1.0
    z = causal_conv3d(a, w)
    assert z.shape == a.shape
    t, x, y = [int(v) for v in torch.nonzero(z[0, 0])[0]]
    assert (t, x, y) == (3 + (kt - 1 - d), 2, 2)                # index kt-1 = delay 0
    assert float(z.sum()) == 1.0


def test_causal_padding_equals_code_roll():
    """The authors' conv (pad K_T//2 symmetric + roll by K_T//2) equals causal padding after t >= K_T//2."""
    torch.manual_seed(0)
    kt = 5
    w = torch.randn(3, 2, kt, 3, 3)
    a = (torch.rand(1, 2, 15, 6, 6) < 0.3).float()
    ours = causal_conv3d(a, w)
    theirs = torch.roll(torch.nn.functional.conv3d(a, w, padding=(kt // 2, 1, 1)), kt // 2, dims=2)
    torch.testing.assert_close(ours[:, :, kt // 2:], theirs[:, :, kt // 2:])


def test_mask_projection_and_symmetry():
    layer = HeterogeneousDelayLayer(n_classes=4, kernel=(5, 5, 5), seed=0)
    with torch.no_grad():
        layer.weight.normal_(0, 1.0)
    before = layer.weight.detach().clone()
    a = (torch.rand(1, 2, 9, 8, 8, generator=torch.Generator().manual_seed(1)) < 0.2).float()
    z, _ = layer(a)
    bound = layer.mask * before.abs().max()
    after = layer.weight.detach()
    assert torch.all(after.abs() <= bound + 1e-7)
    inside = before.abs() <= bound
    torch.testing.assert_close(after[inside], before[inside])      # a projection: inside points untouched
    assert torch.all(after[~inside].abs() == bound.expand_as(before)[~inside])
    layer.eval()                                                   # eval: weights stay as they are
    z, _ = layer(a)
    zf, _ = layer(a.flip(1))
    torch.testing.assert_close(z, zf)                              # ON/OFF max is polarity-symmetric
    asym = HeterogeneousDelayLayer(n_classes=4, kernel=(5, 5, 5), seed=0, symmetric=False).eval()
    with torch.no_grad():
        asym.weight.copy_(layer.weight)
    assert not torch.allclose(asym(a)[0], asym(a.flip(1))[0])


def test_chunked_stream_equals_whole():
    layer = HeterogeneousDelayLayer(n_classes=3, kernel=(4, 3, 3), seed=2)
    a = (torch.rand(2, 2, 11, 6, 7, generator=torch.Generator().manual_seed(3)) < 0.3).float()
    whole, _ = layer(a)
    z1, st = layer(a[:, :, :5])
    z2, _ = layer(a[:, :, 5:], st)
    torch.testing.assert_close(torch.cat([z1, z2], 2), whole)


def test_initial_loss_near_ln36_and_bce():
    torch.manual_seed(0)
    layer = HeterogeneousDelayLayer(n_classes=36, kernel=(5, 5, 5), seed=0, weight_init_center=0.0)
    a = (torch.rand(1, 2, 10, 8, 8) < 0.1).float()
    labels = torch.randint(0, 36, (1, 10))
    z, _ = layer(a)
    assert float(classification_loss(z.detach(), labels, "ce")) == pytest.approx(math.log(36), abs=0.05)
    assert float(classification_loss(z.detach(), labels, "bce")) == pytest.approx(math.log(2), abs=0.05)
    with pytest.raises(ValueError, match="loss"):
        classification_loss(z, labels, "mse")
    with pytest.raises(ValueError, match="labels"):
        classification_loss(z, labels[:, :5], "ce")


def test_spike_threshold_gives_target_rate():
    layer = HeterogeneousDelayLayer(n_classes=6, kernel=(3, 3, 3), seed=0)
    z = torch.randn(1, 6, 200, 10, 10, generator=torch.Generator().manual_seed(0))
    theta = layer.spike_threshold(z, rate_hz=1.0, dt_ms=1.0)
    rate = float(layer.spikes(z, theta).float().mean()) * 1000.0
    assert rate == pytest.approx(1.0, rel=0.05)
    with pytest.raises(ValueError, match="rate_hz"):
        layer.spike_threshold(z, rate_hz=2000.0)


def test_bad_input():
    with pytest.raises(ValueError, match="kernel"):
        HeterogeneousDelayLayer(kernel=(5, 5))
    with pytest.raises(ValueError, match="n_classes"):
        HeterogeneousDelayLayer(n_classes=0)
    layer = HeterogeneousDelayLayer(n_classes=2, kernel=(3, 3, 3))
    with pytest.raises(ValueError, match="input"):
        layer(torch.zeros(1, 3, 4, 4, 4))


def test_fft_convolution_equals_direct():
    g = torch.Generator().manual_seed(5)
    w = torch.randn(4, 2, 6, 5, 3, generator=g)
    b = torch.randn(4, generator=g)
    a = (torch.rand(2, 2, 9, 7, 6, generator=g) < 0.3).float()
    hist = (torch.rand(2, 2, 5, 7, 6, generator=g) < 0.3).float()
    for h in (None, hist):
        torch.testing.assert_close(causal_conv3d(a, w, b, h, method="fft"), causal_conv3d(a, w, b, h, method="direct"),
                                   rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="method"):
        causal_conv3d(a, w, method="winograd")
