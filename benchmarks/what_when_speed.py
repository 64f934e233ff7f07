"""Speed of the what-when reservoir: one 100-trial training block of the full model (N = 1000
Izhikevich neurons, 600-ms trials, dt = 1 ms, three-factor learning every step) on the Numba
backend, and the same reservoir on the NumPy reference backend (a few trials, per-trial time).

    python benchmarks/what_when_speed.py [--trials 100] [--ref-trials 2]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from spikesim.paradigms import get
from spikesim.paradigms.what_when_task import Task, build_model, train_trial


def time_block(backend: str, n_trials: int, cfg_over: dict) -> tuple[float, float]:
    """(wall s, CPU s of this process) for ``n_trials`` training trials after one warm-up."""
    par = get("what-when")
    cfg = par.make_config("full", {**cfg_over, "backend": backend})
    task = Task(cfg)
    model = build_model("izhikevich-reservoir", cfg, seed=0)
    rng = np.random.default_rng(0)
    train_trial(model, task, 0, cfg.latency_a_ms, cfg.latency_b_ms)   # compile / warm up
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n_trials):
        ev = 0 if rng.random() < 0.5 else 1
        train_trial(model, task, ev, cfg.latency_a_ms, cfg.latency_b_ms)
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--ref-trials", type=int, default=2)
    args = ap.parse_args()
    (w_numba, c_numba) = time_block("numba", args.trials, {})
    (w_ref, c_ref) = time_block("reference", args.ref_trials, {})
    per_numba, per_ref = c_numba / args.trials, c_ref / args.ref_trials
    print(f"numba:     {args.trials} trials: wall {w_numba:.2f} s, CPU {c_numba:.2f} s "
          f"({1e3 * per_numba:.1f} ms CPU/trial)")
    print(f"reference: {args.ref_trials} trials: wall {w_ref:.2f} s, CPU {c_ref:.2f} s "
          f"({1e3 * per_ref:.1f} ms CPU/trial)")
    print(f"100-trial block (CPU): numba {100 * per_numba:.1f} s, reference {100 * per_ref:.1f} s "
          f"(ratio {per_ref / per_numba:.0f}x)")


if __name__ == "__main__":
    main()
