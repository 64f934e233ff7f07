"""HD-SNN motion paradigm at paper scale on one GPU, plus the event-driven vs dense timing.

    python benchmarks/motion_gpu.py                  # GPU: 128x128x200 movies, 21x17x17 kernel,
                                                     #   training sized for --minutes (default 8)
    python benchmarks/motion_gpu.py --tiny           # CPU smoke test (16x16x24 movies, seconds)
    python benchmarks/motion_gpu.py --timing-only --size 64,64,100   # CPU: event (core) vs dense only
    [--out runs/motion_gpu] [--minutes 8] [--workers 8] [--with-ann]

1. Times a few training steps on the device, then sets ``n_train_steps`` so that training
   takes about ``--minutes`` (the paper's code ran 40k-80k steps, i.e. hours; this is shorter).
2. Runs the ``motion`` paradigm (full preset, smaller test set and scans so that evaluation
   stays within a few minutes), writes ``result.h5`` and figures to ``--out``.
3. On the CPU, one test movie: wall time of the dense torch pass (direct ``conv3d`` and the
   FFT path) against the event-driven pass on the core (``HDSNN.lower``) at several kept
   fractions, and the core's synaptic-operation counts. Prints a JSON summary (also written to ``--out/bench.json``).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch


def _time_train_steps(cfg, n: int = 5) -> float:
    from spikesim.io.motion_stimuli import MotionWorld
    from spikesim.models.hd_snn import HDSNN

    world = MotionWorld(n_x=cfg.n_x, n_y=cfg.n_y, n_t=cfg.n_t, image_source=cfg.image_source, seed=cfg.seed)
    ev, lab = world.dataset(2, workers=1)
    model = HDSNN(kernel=(cfg.kernel_t, cfg.kernel_x, cfg.kernel_x), lr=cfg.lr, device=cfg.device)
    model.fit(ev, lab, 2, cfg.batch_size)  # warm-up (plans, kernels)
    if cfg.device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.time()
    model.fit(ev, lab, n, cfg.batch_size)
    if cfg.device.startswith("cuda"):
        torch.cuda.synchronize()
    return (time.time() - t0) / n


def _event_vs_dense(cfg, result=None, kept=(0.01, 0.001), kernels=None, events=None) -> list[dict]:
    """CPU wall time of one movie's evidence: dense torch (direct and FFT) vs the event-driven
    pass on the core of the pruned weights (trained kernels of ``result``, or ``kernels``);
    see ``motion_event_vs_dense.py`` for what each number covers."""
    from motion_event_vs_dense import _dense_seconds, event_row

    from spikesim.models.hd_snn import HDSNN

    k = result.groups["kernels"]["hd-snn"] if kernels is None else kernels
    model = HDSNN(kernel=k.shape[2:], device="cpu")
    with torch.no_grad():
        model.layer.weight.copy_(torch.as_tensor(k))
    model.layer.eval()
    ev = result.groups["example"]["events"] if events is None else events
    a = torch.as_tensor(ev[None], dtype=torch.float32)
    rows = [{"engine": f"dense-{m}", "kept_fraction": 1.0, "seconds": _dense_seconds(model.layer, a, m, 1)}
            for m in ("direct", "fft")]
    for f in kept:
        r = event_row(model, ev, f, 1, "numba")
        r["seconds"] = r["run_seconds"]
        rows.append(r)
    dense = min(r["seconds"] for r in rows if r["engine"] == "dense-direct")
    for r in rows:
        r["speedup_vs_dense_direct"] = dense / r["seconds"]
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiny", action="store_true", help="CPU smoke test with tiny movies")
    p.add_argument("--minutes", type=float, default=8.0, help="training budget for the HD-SNN")
    p.add_argument("--out", default="runs/motion_gpu")
    p.add_argument("--workers", type=int, default=8, help="processes drawing movies")
    p.add_argument("--with-ann", action="store_true", help="also train the ANN comparator (same budget)")
    p.add_argument("--timing-only", action="store_true",
                   help="only the CPU event-vs-dense timing, initial (untrained) full-size kernel")
    p.add_argument("--size", default="64,64,100", help="X,Y,T of the movie for --timing-only")
    args = p.parse_args(argv)

    if args.timing_only:
        from spikesim.io.motion_stimuli import MotionWorld
        from spikesim.nn.delay_layer import HeterogeneousDelayLayer

        torch.set_num_threads(1)
        n_x, n_y, n_t = (int(v) for v in args.size.split(","))
        ev, _, _ = MotionWorld(n_x=n_x, n_y=n_y, n_t=n_t, seed=1, block_length=float("inf")).draw(0)
        k = HeterogeneousDelayLayer(kernel=(21, 17, 17), seed=0).weight.detach().numpy()
        rows = _event_vs_dense(None, kept=(0.01, 0.001), kernels=k, events=ev)
        print(json.dumps({"size": [n_x, n_y, n_t], "threads": 1, "cpu_timing": rows}, indent=1))
        return 0

    from spikesim.paradigms import get

    paradigm = get("motion")
    if args.tiny:
        over = {"n_x": "16", "n_y": "16", "n_t": "24", "kernel_t": "7", "kernel_x": "5", "n_train_movies": "8",
                "n_test": "12", "n_prune_levels": "5", "mc_scans": "", "device": "cpu", "dense_curves": "false",
                "ann_curves": "false", "workers": "1"}
        cfg = paradigm.make_config("quick", over)
        budget_s = 5.0
    else:
        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device; use --tiny for the CPU smoke test")
        torch.backends.cudnn.benchmark = True
        over = {"n_train_movies": "100", "n_test": "100", "n_prune_levels": "16", "mc_scans": "sf_0",
                "mc_n_values": "4", "mc_n_test": "48", "workers": str(args.workers), "ann_curves": "false"}
        cfg = paradigm.make_config("full", over)
        budget_s = args.minutes * 60.0
    step_s = _time_train_steps(cfg)
    n_steps = max(1, int(budget_s / step_s))
    cfg = paradigm.make_config("full" if not args.tiny else "quick",
                               {**over, "n_train_steps": str(n_steps)})
    models = ["hd-snn", "hd-snn-event"] + (["ann-frames"] if args.with_ann else [])
    t0 = time.time()
    result = paradigm.run(cfg, models, progress=True)
    run_s = time.time() - t0
    out = Path(args.out)
    result.save(out / "result.h5")
    paradigm.figures(result, out)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    timing = _event_vs_dense(cfg, result, kept=(0.1, 0.01) if args.tiny else (0.01, 0.001))
    summary = {"step_seconds": step_s, "n_train_steps": n_steps, "run_seconds": run_s,
               "metrics": {k: v for k, v in result.metrics.items()}, "cpu_timing": timing}
    (out / "bench.json").write_text(json.dumps(summary, indent=1, default=float))
    print(json.dumps(summary, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
