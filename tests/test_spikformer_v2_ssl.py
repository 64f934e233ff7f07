"""Masked pre-training of Spikformer V2: the sparse stem keeps masked positions silent, BN
statistics come from visible positions only, masked pixels do not leak, the loss covers masked
patches only, and a pre-training step and T = 1 fine-tuning run."""
import numpy as np
import pytest
import torch

from spikesim.nn.mae_decoder import masked_patch_loss, patch_targets, patchify, random_keep, scatter_visible, sincos_2d
from spikesim.nn.scs import SpikingConvBN, mask_at, sparse_batch_norm
from spikesim.models.spikformer_v2 import SpikformerV2
from spikesim.nn.spiking_lif import MultiStepLIF
from spikesim.train.masked_pretrain import MaskedPretrainer, prepare_finetune, pretrain
from spikesim.train.recipe import SSLRecipe


def _model(stem="B", T=1, **kw):
    torch.manual_seed(0)
    if stem == "B":
        kw.setdefault("strides", (1, 1, 2, 2))
    else:
        kw.setdefault("pools", (False, False, True, True))
    return SpikformerV2(depth=1, dim=16, heads=2, T=T, in_channels=1, num_classes=4, stem=stem, **kw)


def _stem_spikes(model, x, keep):
    """Outputs of every stem LIF during the masked forward: list of [T, B, C, h, w]."""
    outs = []
    hooks = [m.register_forward_hook(lambda mod, i, o: outs.append(o.detach()))
             for m in model.stem.modules() if isinstance(m, MultiStepLIF)]
    try:
        model.encode_visible(x, keep)
    finally:
        for h in hooks:
            h.remove()
    return outs


@pytest.mark.parametrize("stem", ["B", "A"])
def test_masked_positions_emit_no_spikes(stem):
    model = _model(stem)
    model.train()
    x = torch.randn(4, 1, 32, 32) * 2 + 1
    keep = random_keep(4, 8, 8, 0.5, torch.Generator().manual_seed(1))
    outs = _stem_spikes(model, x, keep)
    assert len(outs) >= 7
    for o in outs:
        m = mask_at(keep, *o.shape[-2:]).unsqueeze(0)          # [1, B, 1, h, w]
        assert float((o * ~m).abs().sum()) == 0.0               # exactly silent where masked
        assert float((o * m).sum()) > 0                         # and active where visible
    # without the sparse BN, zeroed pixels still fire (BN's shift turns 0 into a current)
    xm = x * mask_at(keep, 32, 32)
    s = model.stem.stages[0](model.encode(xm))
    assert float((s * ~mask_at(keep, 32, 32).unsqueeze(0)).sum()) > 0


def test_batch_norm_statistics_over_visible_positions_only():
    torch.manual_seed(2)
    layer = SpikingConvBN(2, 3)
    layer.train()
    x = torch.randn(1, 5, 2, 8, 8) + 3.0
    keep = random_keep(5, 4, 4, 0.5, torch.Generator().manual_seed(3))
    y = layer(x, keep)
    conv = layer.conv(x[0])
    m = mask_at(keep, 8, 8)
    vis = conv.permute(0, 2, 3, 1)[m[:, 0]]                    # [n_visible, C]
    expect = 0.9 * torch.zeros(3) + 0.1 * vis.mean(0)
    assert torch.allclose(layer.bn.running_mean, expect.detach(), atol=1e-5)
    dense_mean = 0.1 * conv.mean((0, 2, 3))
    assert not torch.allclose(layer.bn.running_mean, dense_mean.detach(), atol=1e-3)
    yv = y[0].permute(0, 2, 3, 1)[m[:, 0]]
    assert torch.allclose(yv.mean(0), torch.zeros(3), atol=1e-5)            # normalised over visible
    assert float(y[0].permute(0, 2, 3, 1)[~m[:, 0]].abs().sum()) == 0.0
    # eval mode uses the running statistics and still writes zeros where masked
    layer.eval()
    ye = sparse_batch_norm(layer.bn, conv, m)
    assert float(ye.permute(0, 2, 3, 1)[~m[:, 0]].abs().sum()) == 0.0


def test_masked_pixels_do_not_leak_into_visible_features():
    model = _model()
    model.train()                     # batch statistics: over visible positions only
    x = torch.randn(3, 1, 32, 32)
    keep = random_keep(3, 8, 8, 0.5, torch.Generator().manual_seed(4))
    pix = mask_at(keep, 32, 32)
    with torch.no_grad():
        z = model.encode_visible(x, keep)
        z_masked_changed = model.encode_visible(torch.where(pix, x, torch.randn_like(x) * 5), keep)
        z_visible_changed = model.encode_visible(torch.where(pix, torch.randn_like(x) * 5, x), keep)
    assert z.shape == (1, 3, 32, 16)
    assert torch.equal(z, z_masked_changed)
    assert not torch.equal(z, z_visible_changed)


def test_loss_ignores_visible_patches():
    g = torch.Generator().manual_seed(5)
    pred, target = torch.randn(2, 16, 12, generator=g), torch.randn(2, 16, 12, generator=g)
    keep = random_keep(2, 4, 4, 0.5, g).reshape(2, -1)
    base = masked_patch_loss(pred, target, keep)
    p2 = pred.clone()
    p2[keep] += 100.0                                           # visible patches: no effect
    assert torch.equal(masked_patch_loss(p2, target, keep), base)
    p3 = pred.clone()
    p3[~keep] += 1.0                                            # masked patches: the loss moves
    assert not torch.allclose(masked_patch_loss(p3, target, keep), base)
    manual = ((pred - target) ** 2).mean(-1)[~keep].mean()
    assert torch.allclose(base, manual)


def test_patches_targets_and_token_order():
    img = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).reshape(2, 1, 4, 4)
    p = patchify(img, 2, 2)
    assert p.shape == (2, 4, 4) and torch.equal(p[0, 1], torch.tensor([2.0, 3.0, 6.0, 7.0]))
    t = patch_targets(p)
    assert torch.allclose(t.mean(-1), torch.zeros(2, 4), atol=1e-6)
    assert torch.allclose(t.var(-1), torch.ones(2, 4), atol=1e-3)
    keep = torch.tensor([[True, False, True, False]])
    vis = torch.tensor([[[1.0], [2.0]]])
    full = scatter_visible(vis, keep, torch.tensor([9.0]))
    assert full.flatten().tolist() == [1.0, 9.0, 2.0, 9.0]
    pos = sincos_2d(8, 2, 3)
    assert pos.shape == (6, 8) and len({tuple(r) for r in pos.tolist()}) == 6
    k = random_keep(7, 4, 4, 0.75)
    assert k.flatten(1).sum(1).tolist() == [4] * 7


def test_pretraining_step_learns_and_finetune_runs_at_T1():
    torch.manual_seed(6)
    enc = _model(T=4, strides=(1, 2, 2, 1), hidden_ratio=2.0)         # 16x16 images -> 4x4 tokens
    x = torch.rand(16, 1, 16, 16)
    recipe = SSLRecipe(epochs=1, batch_size=8, lr=3e-3, mask_ratio=0.5, decoder_dim=16, decoder_depth=1,
                       decoder_heads=2, warmup_fraction=0.0)
    trainer = MaskedPretrainer(enc, (16, 16), recipe)
    opt = torch.optim.AdamW(trainer.parameters(), lr=3e-3)
    keep = random_keep(16, 4, 4, 0.5, torch.Generator().manual_seed(7))
    losses = []
    for _ in range(5):                       # a fixed batch and mask: the loss must fall
        loss, pred = trainer(x, keep)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert pred.shape == (16, 16, 16)
    assert losses[-1] < losses[0]
    assert enc.stem.stages[0].conv.conv.weight.grad.abs().sum() > 0
    assert enc.T == 4                         # the encoder ran at T = 1 but keeps its own T
    hist = pretrain(enc, x.numpy(), recipe, torch.device("cpu"))
    assert len(hist["loss"]) == 1 and np.isfinite(hist["loss"]).all()
    stem_w = enc.stem.stages[0].conv.conv.weight.detach().clone()
    clf = prepare_finetune(enc, T=1)
    assert clf.T == 1 and torch.equal(clf.stem.stages[0].conv.conv.weight, stem_w)
    out = clf(x[:4])
    assert out.shape == (4, 4)


def test_bad_ssl_settings_are_named():
    with pytest.raises(ValueError, match="mask_ratio"):
        SSLRecipe(mask_ratio=1.0).validate()
    with pytest.raises(ValueError, match="integer multiple"):
        mask_at(torch.ones(1, 3, 3, dtype=torch.bool), 8, 8)
    enc = _model()
    with pytest.raises(ValueError, match="same, non-zero number"):
        keep = torch.ones(2, 8, 8, dtype=torch.bool)
        keep[0, 0, 0] = False
        enc.encode_visible(torch.zeros(2, 1, 32, 32), keep)
