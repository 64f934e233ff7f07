"""HD-SNN inference on one movie: the event-driven pass on the core against the dense conv3d.

    python benchmarks/motion_event_vs_dense.py                       # 64x64x100 movie, 21x17x17 kernel, 1 %
    python benchmarks/motion_event_vs_dense.py --kept 0.01,0.001 --size 64,64,100 --repeats 2
    [--backend numba] [--out runs/motion_event_vs_dense.json]

The issue's speed bar: the event-driven pass beats the dense ``conv3d`` by >= 20x with 1 % of
the weights kept, on a 64x64x100 movie with the full 21x17x17 kernel (36 classes, two
polarities, the ON/OFF max). Both sides on one CPU thread:

* dense: ``causal_conv3d`` (direct ``F.conv3d``, and the FFT path for reference) of the full
  kernel, twice (direct and polarity-swapped input) and their maximum: what the dense layer does
  whatever the kept fraction (zeros cost the same);
* event: ``HDSNN.pruned(f).lower(events)``, an ``ss.Network`` (numba backend): the
  ``SpikeSource`` of the events, one synapse per non-zero weight and in-frame target with its
  delay, ``MaxReadout`` units. Reported apart: ``lower_seconds`` (building the synapses and the
  network), ``build_seconds`` (the core's plan and kernel, at the first run), ``run_seconds``
  (the core's time loop over the movie: the event-driven pass itself). The speed-up is
  ``dense_direct / run_seconds`` (best of ``--repeats``: the movie is run again through the
  same network, whose readout keeps no memory; ``run_cpu_seconds``: the CPU time of that run,
  less sensitive to a loaded machine). Three lowerings (``spikesim.models.hd_snn_lowering``):
  ``conv`` (default: one weight-shared ``Conv2D`` projection, the kernel's entries stored once),
  ``lines`` (explicit synapses, one source neuron per pixel and delay line, rows of one delay)
  and ``pixels`` (explicit, one per pixel, per-synapse delays). On a shared machine the wall-time
  ratio swings with the load (reported): ``cpu_speedup_vs_dense_direct`` divides the dense pass's
  CPU time by the event pass's.

Also checked: the decision of the movie and the largest logit difference against the dense
pass of the same pruned weights, and the core's synaptic-operation count. The initial
(untrained) kernel of the layer is used, pruned by magnitude, as in ``motion_gpu.py --timing-only``.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch


def _dense_seconds(layer, a, method: str, repeats: int, cpu: bool = False) -> float:
    """Best wall (or, ``cpu=True``, process CPU) seconds of the dense pass with the ON/OFF max."""
    from spikesim.nn.delay_layer import causal_conv3d

    clock = time.process_time if cpu else time.perf_counter
    best = float("inf")
    with torch.no_grad():
        for _ in range(repeats):
            t0 = clock()
            w, b = layer.weight, layer.bias
            torch.maximum(causal_conv3d(a, w, b, method=method), causal_conv3d(a.flip(1), w, b, method=method))
            best = min(best, clock() - t0)
    return best


def event_row(model, events: np.ndarray, kept: float, repeats: int, backend: str, synapses: str = "conv",
              dtype: str = "float64") -> dict:
    """Lower the pruned model onto the core and time its pass over ``events`` (2, T, X, Y)."""
    from spikesim.analysis.motion import movie_decision
    from spikesim.models.hd_snn_lowering import lower_delay_layer, movie_evidence, movie_period

    _, n_t, n_x, n_y = events.shape
    pm = model.pruned(kept)
    t0 = time.perf_counter()
    net = lower_delay_layer(pm.kernels(), pm.layer.bias.detach().numpy(), pm.layer.symmetric,
                            np.repeat(events[None], repeats, axis=0), backend=backend, synapses=synapses,
                            threads=1 if backend == "numba" else None, dtype=dtype)
    lower_s = time.perf_counter() - t0
    period = movie_period(n_t, pm.kernel[0])
    runs, cpu, z = [], [], None
    for _ in range(repeats):
        c0 = time.process_time()
        res = net.run(period)
        cpu.append(time.process_time() - c0)
        runs.append(res.meta)
        z = movie_evidence(res, pm.layer.n_classes, n_t, n_x, n_y)
    dense = pm.evidence(events[None])[0]
    drop = pm.kernel[0]
    stored = int(net._plan.w.size) + sum(pr.n_synapses for pr in net._convs)
    return {"engine": f"core-{backend}", "synapses": synapses, "dtype": dtype, "kept_fraction": pm.nonzero_fraction(),
            "stored_synapses": stored,
            "lower_seconds": lower_s, "build_seconds": runs[0]["build_seconds"],
            "run_seconds": min(r["run_seconds"] for r in runs), "run_seconds_all": [r["run_seconds"] for r in runs],
            "run_cpu_seconds": min(cpu), "load_average": os.getloadavg()[0],
            "sops": int(runs[0]["synaptic_events"]), "events": int(events.sum()),
            "max_abs_logit_diff_vs_dense": float(np.abs(z - dense).max()),
            "decision_core": movie_decision(z, drop)[0], "decision_dense": movie_decision(dense, drop)[0]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="64,64,100", help="X,Y,T of the movie")
    p.add_argument("--kept", default="0.01", help="comma list of kept weight fractions")
    p.add_argument("--repeats", type=int, default=2, help="passes per engine (best is reported)")
    p.add_argument("--backend", default="numba")
    p.add_argument("--layouts", default="conv,lines",
                   help="synapses of the lowering: conv (one weight-shared Conv2D projection), lines (explicit, one "
                        "source neuron per delay line), pixels (explicit, per-synapse delays)")
    p.add_argument("--dtypes", default="float64", help="comma list of Network dtypes (float64, float32)")
    p.add_argument("--out", default=None, help="write the JSON summary here too")
    args = p.parse_args(argv)

    from spikesim.io.motion_stimuli import MotionWorld
    from spikesim.models.hd_snn import HDSNN

    torch.set_num_threads(1)
    n_x, n_y, n_t = (int(v) for v in args.size.split(","))
    events, _, _ = MotionWorld(n_x=n_x, n_y=n_y, n_t=n_t, seed=1, block_length=float("inf")).draw(0)
    model = HDSNN(kernel=(21, 17, 17), seed=0)
    model.layer.eval()
    a = torch.as_tensor(events[None], dtype=torch.float32)
    dense = {m: _dense_seconds(model.layer, a, m, args.repeats) for m in ("direct", "fft")}
    dense_cpu = _dense_seconds(model.layer, a, "direct", args.repeats, cpu=True)
    rows = [event_row(model, events, float(f), args.repeats, args.backend, layout, dt_)
            for f in args.kept.split(",") for layout in args.layouts.split(",") for dt_ in args.dtypes.split(",")]
    for r in rows:
        r["speedup_vs_dense_direct"] = dense["direct"] / r["run_seconds"]
        r["speedup_vs_dense_fft"] = dense["fft"] / r["run_seconds"]
        r["cpu_speedup_vs_dense_direct"] = dense_cpu / r["run_cpu_seconds"]
    out = {"size": [n_x, n_y, n_t], "kernel": [21, 17, 17], "threads": 1, "dense_direct_seconds": dense["direct"],
           "dense_fft_seconds": dense["fft"], "dense_direct_cpu_seconds": dense_cpu,
           "load_average_at_end": os.getloadavg()[0], "event": rows}
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
