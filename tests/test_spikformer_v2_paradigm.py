"""Paradigm ``images`` with the V2 models: a tiny run of spikformer-v2 and spikformer-v2-ssl
(sklearn digits padded to 16 x 16, 2 x 2 tokens), their metrics, the SSL curve, and the config errors."""
import numpy as np
import pytest

from spikesim.paradigms import ConfigError, get

TINY_V2 = {"threads": "1", "device": "cpu", "pad_to": "16", "scs_strides": "1222", "scs_hidden_ratio": "2.0",
           "depth": "1", "dim": "32", "heads": "2", "T": "2", "finetune_T": "1", "epochs": "1",
           "n_train": "96", "n_test": "48", "ssl_epochs": "1", "ssl_batch_size": "16", "ssl_lr": "2e-3",
           "ssl_decoder_dim": "16", "ssl_decoder_depth": "1", "ssl_decoder_heads": "2"}


@pytest.fixture(scope="module")
def v2_run():
    import torch
    torch.set_num_threads(1)
    p = get("images")
    cfg = p.make_config("digits", TINY_V2)
    return p, cfg, p.run(cfg, ["spikformer-v2", "spikformer-v2-ssl"], progress=False)


def test_v2_models_metrics_and_ssl_curve(v2_run):
    p, cfg, res = v2_run
    for m in ("spikformer-v2", "spikformer-v2-ssl"):
        r = res.metrics[m]
        assert 0.0 <= r["accuracy"] <= 1.0
        assert r["sops_per_image"] > 0 and 0 < r["mean_firing_rate"] < 1
        assert r["energy_mj_per_image"] == pytest.approx((4.6 * r["macs_per_image"] + 0.9 * r["sops_per_image"]) * 1e-9)
        rates = res.groups["firing_rate"][m]["rate"]
        assert np.all((rates >= 0) & (rates <= 1)) and len(rates) == 7 + 7 * cfg.depth
    ssl = res.metrics["spikformer-v2-ssl"]
    assert ssl["pretrain_seconds"] > 0 and np.isfinite(ssl["ssl_final_loss"])
    assert len(res.groups["ssl_curve"]["spikformer-v2-ssl"]["loss"]) == cfg.ssl_epochs
    # MACs: the first conv on real pixels (16 x 16 x D/8 channels x 9) once per time step, plus the head
    first = 16 * 16 * (cfg.dim // 8) * 9
    head = cfg.dim * 10
    assert res.metrics["spikformer-v2"]["macs_per_image"] == pytest.approx(cfg.T * first + head)
    assert res.metrics["spikformer-v2-ssl"]["macs_per_image"] == pytest.approx(cfg.finetune_T * first + head)
    assert "accuracy_gap_v2ssl_minus_v2" in res.metrics
    rows = dict(p.summary(res))
    assert "spikformer-v2-ssl/pretrain_seconds" in rows and "spikformer-v2/accuracy" in rows


def test_presets_and_config_errors():
    p = get("images")
    tiny = p.make_config("v2-tiny")
    assert (tiny.dim, tiny.depth, tiny.pad_to, tiny.dataset, tiny.T) == (128, 4, 32, "mnist5k", 1)
    assert p.make_config("imagenet", {"data_dir": "/x"}).scs_strides == "2222"
    for over, match in [({"stem": "C"}, "stem"), ({"scs_strides": "1132"}, "scs_strides"),
                        ({"ssl_mask_ratio": "1.0"}, "ssl_mask_ratio"), ({"ssl_decoder_dim": "30"}, "ssl_decoder_dim"),
                        ({"dataset": "imagefolder"}, "data_dir"), ({"finetune_T": "0"}, "finetune_T")]:
        with pytest.raises(ConfigError, match=match):
            p.make_config("quick", over)
    with pytest.raises(ConfigError, match="pad_to"):
        from spikesim.paradigms.images.data import pad_images
        pad_images(np.zeros((1, 1, 28, 28)), 16)
