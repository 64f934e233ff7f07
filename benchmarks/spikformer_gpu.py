"""Spikformer training throughput: a fixed number of optimiser steps, then images/s and the test
accuracy reached so far (the ViT comparator with --model vit).

Sized for about 8 minutes on one GPU (H100/H200 class) with the default CIFAR-10 setting
(Spikformer-4-384, T = 4, batch 128, AMP; the paper's recipe with warm-up and cosine decay
compressed into the steps)::

    python benchmarks/spikformer_gpu.py --data-dir ~/data/cifar10            # GPU, ~8 min
    python benchmarks/spikformer_gpu.py --tiny                                # CPU smoke test, < 1 min

``--tiny`` runs the ``digits`` preset (sklearn 8x8 digits, Spikformer-1-64) for 90 steps (one epoch) on CPU.

Spikformer V2 (``--model spikformer-v2``, supervised at the preset's T; ``spikformer-v2-ssl``,
``--ssl-steps`` masked pre-training steps at T = 1 and then the fine-tuning steps at
``finetune_T``) with the ``cifar10`` preset (4-384, CIFAR layout of SCS option B) or the
``imagenet`` preset (V2-8-512 on an ImageNet-style folder, ``--set n_train=...`` to cut it to
what fits in memory)::

    python benchmarks/spikformer_gpu.py --model spikformer-v2 --data-dir ~/data/cifar10
    python benchmarks/spikformer_gpu.py --model spikformer-v2-ssl --ssl-steps 1000 --data-dir ~/data/cifar10
    python benchmarks/spikformer_gpu.py --model spikformer-v2 --preset imagenet --data-dir ~/data/imagenet \
        --set n_train=50000 --set n_test=5000 --steps 500
``--max-seconds`` stops training early (the output says so) if a slower machine would overrun.
Prints one JSON line with the numbers; the per-epoch lines go to stderr.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="spikformer", choices=("spikformer", "vit", "spikformer-v2", "spikformer-v2-ssl"))
    ap.add_argument("--ssl-steps", type=int, default=500, help="spikformer-v2-ssl: masked pre-training steps")
    ap.add_argument("--data-dir", default="", help="CIFAR-10 binary folder (preset cifar10)")
    ap.add_argument("--preset", default=None, help="images preset (default cifar10, or digits with --tiny)")
    ap.add_argument("--steps", type=int, default=None, help="optimiser steps (default 3000, i.e. 7.7 CIFAR "
                                                             "epochs; 90 with --tiny)")
    ap.add_argument("--max-seconds", type=float, default=450.0, help="stop training after this long")
    ap.add_argument("--tiny", action="store_true", help="CPU smoke setting (digits preset, 90 steps)")
    ap.add_argument("--device", default=None, help="auto | cpu | cuda (default auto; cpu with --tiny)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    args = ap.parse_args(argv)

    import torch

    from spikesim.paradigms.images import PARADIGM
    from spikesim.paradigms.images.config import recipe, ssl_recipe
    from spikesim.paradigms.images.data import load_data
    from spikesim.paradigms.images.run import build_model

    if args.threads:
        torch.set_num_threads(args.threads)
    preset = args.preset or ("digits" if args.tiny else "cifar10")
    steps = args.steps or (90 if args.tiny else 3000)
    over = dict(s.split("=", 1) for s in args.set)
    over["device"] = args.device or ("cpu" if args.tiny else "auto")
    if args.data_dir:
        over["data_dir"] = args.data_dir
    cfg = PARADIGM.make_config(preset, over)
    split, mean, std = load_data(cfg)
    steps_per_epoch = max(1, len(split.x_train) // cfg.batch_size)
    epochs = max(1, math.ceil(steps / steps_per_epoch))
    scale = epochs / cfg.epochs
    cfg.epochs, cfg.max_steps = epochs, steps
    cfg.warmup_epochs = cfg.warmup_epochs * scale
    cfg.mixup_off_epoch = int(math.ceil(cfg.mixup_off_epoch * scale))
    clf = build_model(args.model, cfg, split.x_train.shape[-3], split.n_classes, mean, std)
    from spikesim.train.images import fit
    ssl_out = {}
    if args.model == "spikformer-v2-ssl":
        from spikesim.train.masked_pretrain import prepare_finetune, pretrain
        ssl = ssl_recipe(cfg)
        ssl.max_steps = args.ssl_steps
        ssl.epochs = max(1, math.ceil(args.ssl_steps / max(1, len(split.x_train) // ssl.batch_size)))
        t_ssl = time.perf_counter()
        sh = pretrain(clf.module, split.x_train, ssl, clf.device, clf.norm, progress=sys.stderr.isatty())
        prepare_finetune(clf.module, T=cfg.finetune_T, seed=cfg.seed)
        ssl_out = {"ssl_steps": int(sh["steps"][-1]) if len(sh["steps"]) else 0,
                   "ssl_seconds": time.perf_counter() - t_ssl,
                   "ssl_loss_curve": [round(float(v), 4) for v in sh["loss"]]}
    t0 = time.perf_counter()
    h = fit(clf.module, split.x_train, split.y_train, split.x_test, split.y_test, recipe(cfg), clf.device,
            clf.norm, progress=sys.stderr.isatty(), desc=args.model, max_seconds=args.max_seconds)
    wall = time.perf_counter() - t0
    for e, a, ips in zip(h["epoch"], h["test_accuracy"], h["images_per_second"]):
        print(f"epoch {e}: test accuracy {a:.4f}, {ips:.0f} train images/s", file=sys.stderr)
    done = int(h["steps"][-1]) if len(h["steps"]) else 0
    out = {"model": args.model, "preset": preset, "device": str(clf.device),
           "gpu": torch.cuda.get_device_name(0) if clf.device.type == "cuda" else "",
           "depth": cfg.depth, "dim": cfg.dim, "heads": cfg.heads,
           "T": cfg.finetune_T if args.model == "spikformer-v2-ssl" else cfg.T, "batch_size": cfg.batch_size,
           "amp": bool(cfg.amp and clf.device.type == "cuda"), "n_parameters": clf.n_parameters,
           "steps": done, "steps_requested": steps, "epochs": int(len(h["epoch"])), "stopped_early": done < steps,
           "train_images_per_second": float(done * cfg.batch_size / max(1e-9, float(h["seconds"].sum()))),
           "test_accuracy_final": float(h["test_accuracy"][-1]) if done else float("nan"),
           "test_accuracy_best": float(h["test_accuracy"].max()) if done else float("nan"),
           "wall_seconds": wall, "curve": [round(float(a), 4) for a in h["test_accuracy"]], **ssl_out}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
