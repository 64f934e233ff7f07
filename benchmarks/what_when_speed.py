"""Speed of the what-when reservoir: one 100-trial training block of the full model (N = 1000
Izhikevich neurons, 600-ms trials, dt = 1 ms, three-factor learning every step) on the core
(``ss.Network`` with a core readout, numba backend), and the same block on the private engine
the reservoir used before (``benchmarks/_private_reservoir.py``), in the same process, CPU time
(``time.process_time``). Optionally the core on the NumPy reference backend (a few trials).

    python benchmarks/what_when_speed.py [--trials 100] [--repeats 3] [--ref-trials 0]

Blocks alternate (private, core, private, core, ...) and the best of ``--repeats`` is reported,
so both see the same machine load.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spikesim.paradigms import get  # noqa: E402
from spikesim.paradigms.what_when.run import Task, build_model, train_trial  # noqa: E402


def _setup(backend: str):
    par = get("what-when")
    cfg = par.make_config("full", {"backend": backend})
    return cfg, Task(cfg), build_model("izhikevich-reservoir", cfg, seed=0)


def core_block(model, task, cfg, n_trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    c0 = time.process_time()
    for _ in range(n_trials):
        ev = 0 if rng.random() < 0.5 else 1
        train_trial(model, task, ev, cfg.latency_a_ms, cfg.latency_b_ms)
    return time.process_time() - c0


def private_block(engine, task, cfg, n_trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    la, lb = cfg.latency_a_ms, cfg.latency_b_ms
    c0 = time.process_time()
    for _ in range(n_trials):
        ev = 0 if rng.random() < 0.5 else 1
        engine.trial(task.inputs(ev, la, lb), task.profiles(la, lb), ev, task.cue_step, task.what_steps,
                     task.latency_steps(la, lb))
    return time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ref-trials", type=int, default=0)
    ap.add_argument("--json", default="", help="also write the numbers to this JSON file")
    args = ap.parse_args()
    from _private_reservoir import PrivateTrial
    cfg, task, model = _setup("numba")
    engine = PrivateTrial(build_model("izhikevich-reservoir", cfg, seed=0))
    core_block(model, task, cfg, 1, 99)              # compile / load both, and build the network
    private_block(engine, task, cfg, 1, 99)
    core, private = [], []
    for r in range(args.repeats):
        private.append(private_block(engine, task, cfg, args.trials, r))
        core.append(core_block(model, task, cfg, args.trials, r))
    print(f"{args.trials}-trial block, CPU s (best of {args.repeats}; all: private {np.round(private, 2).tolist()}, "
          f"core {np.round(core, 2).tolist()})")
    print(f"  private engine (deleted from spikesim): {min(private):.2f} s")
    print(f"  core (ss.Network, numba):               {min(core):.2f} s  (core / private = "
          f"{min(core) / min(private):.2f})")
    out = {"trials": args.trials, "repeats": args.repeats, "private_cpu_s": private, "core_cpu_s": core,
           "private_best_s": min(private), "core_best_s": min(core), "ratio_core_over_private": min(core) / min(private)}
    if args.ref_trials:
        cfg_r, task_r, model_r = _setup("reference")
        c = core_block(model_r, task_r, cfg_r, args.ref_trials, 0)
        out["reference_ms_per_trial"] = 1e3 * c / args.ref_trials
        print(f"  core on the reference backend: {out['reference_ms_per_trial']:.0f} ms CPU/trial")
    if args.json:
        import json
        import os
        import platform
        out.update(machine=platform.platform(), cpus=os.cpu_count(), note="CPU time of this process; the machine "
                   "is shared with other jobs, blocks alternate so both engines see the same load")
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
