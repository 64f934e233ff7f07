"""Speed of ``spikesim sweep``: a 12-point sweep of izhikevich-2003 (thalamic_sd_exc in {4, 5} x
thalamic_sd_inh in {2, 3} x 3 seeds, the full preset's 10 s of simulated time per point) on a
LocalCluster of 2 workers, against the same 12 points run one after another in this process.

Issue 13's bar: sweep wall time <= 0.6 x sequential wall time on a 2-core machine.

* sequential: ``run_point`` (the very function the workers run, result files included) on each
  point in a loop, after one untimed warm-up point (imports, Numba cache) - the baseline is
  given every advantage;
* sequential, fresh process: the same loop in a new Python process, timed from its start
  (interpreter, imports, Numba cache load included), which is what the end-to-end sweep is up
  against when a user runs the points from a shell loop;
* sweep, end to end: ``spikesim.sweep.run(..., workers=2)`` into a fresh folder, including the
  LocalCluster start, the workers' imports and their Numba cache loads;
* sweep, cluster up: the same with an already running LocalCluster passed as ``client``
  (workers warmed by one untimed point), i.e. the steady state of a long sweep;
* CPU per point: the CPU time of the thread that ran each point (``meta/cpu_seconds`` of its
  result), in one process and on the workers: it does not depend on how busy the machine is,
  so it separates what dask costs per point from cores taken by other processes.

The machine's load average is printed before and after: on a shared machine other processes
take cores from the two workers, which hurts the parallel runs more than the sequential one.

    python benchmarks/sweep_speed.py [--duration 10000] [--repeats 1] [--save benchmarks/results/sweep_speed.json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRID = {"thalamic_sd_exc": [4.0, 5.0], "thalamic_sd_inh": [2.0, 3.0]}
SEEDS = 3


def point_cpu(out: Path) -> float:
    """Sum over the points in ``out`` of the CPU time of the thread that ran them."""
    import h5py

    total = 0.0
    for path in Path(out).glob("points/*/result.h5"):
        with h5py.File(path, "r") as f:
            total += float(f["meta/cpu_seconds"][()])
    return total


def sequential(spec, out: Path) -> float:
    from spikesim.sweep.runner import run_point

    t0 = time.perf_counter()
    for p in spec.points:
        status = run_point(p.task(spec), str(out))
        assert status["status"] == "done", status
    return time.perf_counter() - t0


def fresh_sequential(duration: float, out: Path) -> float:
    """Wall time of a new Python process that runs the 12 points one after another."""
    code = ("import sys; from spikesim.sweep.grid import expand; from spikesim.sweep.runner import run_point; "
            f"spec = expand('izhikevich-2003', {GRID!r}, {SEEDS}, overrides={{'duration': {duration!r}}}); "
            "assert all(run_point(p.task(spec), sys.argv[1])['status'] == 'done' for p in spec.points)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(out)], check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10000.0, help="simulated ms per point")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--save", default=None, help="write the numbers to this JSON file")
    args = ap.parse_args()

    from distributed import Client

    import spikesim.sweep as sweep
    from spikesim.sweep.grid import expand
    from spikesim.sweep.runner import default_threads, local_cluster, run_point

    over = {"duration": args.duration}
    spec = expand("izhikevich-2003", GRID, SEEDS, overrides=over)
    warm = expand("izhikevich-2003", {}, [999], overrides=over)
    root = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    load_before = os.getloadavg()
    res = {"points": len(spec.points), "duration_ms": args.duration, "workers": args.workers,
           "cpu_count": os.cpu_count(), "sequential_s": [], "sweep_end_to_end_s": [], "sweep_cluster_up_s": [], "sequential_fresh_process_s": [],
           "cpu_per_point_sequential_s": [], "cpu_per_point_workers_s": []}
    try:
        run_point(warm.points[0].task(warm), str(root / "warm"))  # imports + Numba cache, untimed
        for r in range(args.repeats):
            res["sequential_s"].append(sequential(spec, root / f"seq{r}"))
            res["cpu_per_point_sequential_s"].append(point_cpu(root / f"seq{r}") / len(spec.points))
            res["sequential_fresh_process_s"].append(fresh_sequential(args.duration, root / f"fresh{r}"))
            t0 = time.perf_counter()
            table = sweep.run("izhikevich-2003", GRID, SEEDS, overrides=over, out=root / f"e2e{r}",
                              workers=args.workers, progress=False)
            res["sweep_end_to_end_s"].append(time.perf_counter() - t0)
            assert len(table.ran) == len(spec.points) and not table.failed
            threads = default_threads(args.workers)
            with local_cluster(args.workers, threads) as cluster, Client(cluster, set_as_default=False) as client:
                sweep.run("izhikevich-2003", {}, [998, 997], overrides=over, out=root / f"warm{r}", client=client,
                          threads=threads, progress=False)  # one point per worker, untimed
                t0 = time.perf_counter()
                table = sweep.run("izhikevich-2003", GRID, SEEDS, overrides=over, out=root / f"up{r}", client=client,
                                  threads=threads, progress=False)
                res["sweep_cluster_up_s"].append(time.perf_counter() - t0)
                res["cpu_per_point_workers_s"].append(point_cpu(root / f"up{r}") / len(spec.points))
                assert len(table.ran) == len(spec.points) and not table.failed
    finally:
        shutil.rmtree(root, ignore_errors=True)
    res["load_average_before"] = load_before
    res["load_average_after"] = os.getloadavg()
    seq = min(res["sequential_s"])
    e2e, up = min(res["sweep_end_to_end_s"]), min(res["sweep_cluster_up_s"])
    fresh = min(res["sequential_fresh_process_s"])
    res["ratio_end_to_end"] = e2e / seq
    res["ratio_cluster_up"] = up / seq
    res["ratio_end_to_end_vs_fresh_process"] = e2e / fresh
    print(f"{len(spec.points)} points of {args.duration:g} ms, {args.workers} workers, {os.cpu_count()} cores, "
          f"load average before {load_before[0]:.2f}, after {res['load_average_after'][0]:.2f}")
    print(f"sequential (one process, warm):      {seq:7.2f} s  ({seq / len(spec.points):.2f} s/point)")
    print(f"sequential, fresh process:           {fresh:7.2f} s")
    print(f"sweep, end to end (cluster start):   {e2e:7.2f} s  ratio {e2e / seq:.2f}  (bar <= 0.6); "
          f"vs the fresh process {e2e / fresh:.2f}")
    print(f"sweep, cluster already up:           {up:7.2f} s  ratio {up / seq:.2f}")
    print(f"CPU per point: in one process {min(res['cpu_per_point_sequential_s']):.2f} s, "
          f"on the workers {min(res['cpu_per_point_workers_s']):.2f} s (the cost dask adds to a point's own work)")
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(json.dumps(res, indent=1))
        print(f"saved {args.save}")


if __name__ == "__main__":
    main()
