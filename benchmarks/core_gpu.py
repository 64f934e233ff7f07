"""Speed of the spikesim core on one GPU (backend "cuda") against the Numba CPU backend, same machine.

    python benchmarks/core_gpu.py                 # real GPU: core networks + sweep to 10^9 synapses
    python benchmarks/core_gpu.py --cpu-only      # no GPU: the numba rows only, small sweep (quick)
    python benchmarks/core_gpu.py --tiny          # CUDA simulator smoke test (NUMBA_ENABLE_CUDASIM=1)
    [--out benchmarks/results/core_gpu.json] [--max-synapses 1e9]

Networks (benchmarks/_networks.py): Izhikevich 2003 (1000 neurons, dense 10^6 synapses, dt 1 ms),
CUBA 4000 (p = 0.02, dt 0.1 ms), Brunel 10k (10^7 synapses, delay 1.5 ms, dt 0.1 ms), the per-step
floor (CUBA 4000 without drive, no spikes; and 100 silent neurons without synapses), then a sweep
of CUBA-like networks with a fixed out-degree K (10^4..10^6 neurons, up to 10^9 synapses, weights
scaled by 80/K so the activity stays CUBA's). The sweep's synapses are written straight into the
plan's CSR arrays (the Network API would spend minutes sorting 10^9 synapses) and run through the
same runners the Network uses.

GPU rows are given for both ring-buffer deliveries where they differ: ``exact`` (ordered, bit-identical
to the CPU; the default up to 2e7 synapses and 1e5 neurons) and ``atomic`` (all blocks, order-free float sums).
Printed per row: wall seconds of the simulation (build and upload excluded, the final copy-back
of the monitors included), seconds per simulated second, synaptic events (sum of out-degrees of
spiking neurons) per wall second, microseconds per step, and the CPU/GPU time ratio over the
same simulated window. Kernels are compiled in a warm-up run first.
"""
from __future__ import annotations

import sys

if "--tiny" in sys.argv:            # before numba is imported anywhere
    import os
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _networks as nets  # noqa: E402

from spikesim import backends  # noqa: E402
from spikesim.backends.contract import C_EVENTS, C_SPIKES  # noqa: E402
from spikesim.core.plan import segments  # noqa: E402

warnings.filterwarnings("ignore", "overflow encountered")   # uint64 RNG arithmetic under the simulator


def time_network(build, T, backend):
    """Build with ``build(backend)``, run T ms, return the stats row."""
    net = build(backend)
    net.run(T)
    st = net.last_run_stats
    p = net._plan
    exact = getattr(net._runner, "exact", None)
    return {"backend": backend, "neurons": int(p.n_total), "synapses": int(p.n_synapses), "steps": st["steps"],
            "sim_ms": T, "wall_s": st["run_seconds"], "build_s": st["build_seconds"],
            "events": st["synaptic_events"], "delivery": "" if exact is None else ("exact" if exact else "atomic")}


# ---------------------------------------------------------------------------- sweep (direct CSR)
def sweep_plan(N, K, seed=7):
    """A CUBA network of N LIF neurons (80 % exc) with K random targets per neuron (multapses
    allowed), weights x 80/K, delay one step, on the filtered current; returns the plan. The
    network is built with its four projections empty (so the plan has the I_syn synapse model and
    one receiver per population), then the synapses are written into the plan's CSR."""
    base = nets.cuba(N=N, fixed_k=0, seed=seed, record=False)
    for pr in base._projections:
        assert pr.n_synapses == 0
    base._build()
    p = base._plan
    recv = {r.pop: k for k, r in enumerate(p.receivers)}
    assert len(recv) == 2 and all(r.syn == 0 for r in p.receivers), "one I_syn receiver per population"
    rng = np.random.default_rng(seed)
    Ne = int(round(0.8 * N))
    scale = 80.0 / K
    we, wi = 60 * 0.27 / 10 * scale, -20 * 4.5 / 10 * 2.0 * scale
    post = rng.integers(0, N, size=N * K, dtype=np.int64)
    w = np.empty(N * K)
    w[:Ne * K] = we
    w[Ne * K:] = wi
    indptr = np.arange(N + 1, dtype=np.int64) * K
    exc = post < Ne                     # ring cell: the receiver's offset + the local post id
    cell = np.where(exc, p.recv_off[recv[0]] + post, p.recv_off[recv[1]] + post - Ne).astype(np.int32)
    del exc
    order = np.lexsort((cell, np.repeat(np.arange(N), K)))     # the core's CSR order: by row, then cell (one delay)
    post, w, cell = post[order], w[order], cell[order]
    pre = np.repeat(np.arange(N, dtype=np.int64), K)
    delay = np.ones(N * K, dtype=np.int32)
    seg_ptr, seg_lo, seg_hi, seg_delay = segments(pre, None, delay, N, 1)      # the numba loop's segments, one part
    return dataclasses.replace(p, indptr=indptr, post=post.astype(np.int32), w=w, delay=delay, cell=cell,
                               out_degree=np.full(N, K, dtype=np.int64), counters=p.counters.copy(), n_parts=1,
                               seg_ptr=seg_ptr, seg_lo=seg_lo, seg_hi=seg_hi, seg_delay=seg_delay)


def fresh(plan):
    """A copy of ``plan`` with its own state, rings and counters (the CSR is shared)."""
    pops = [dataclasses.replace(pp, S=pp.S.copy(), synapses=[dataclasses.replace(s, S=s.S.copy()) for s in pp.synapses])
            if pp.kind == "neuron" else pp for pp in plan.pops]
    return dataclasses.replace(plan, pops=pops, ring=plan.ring.copy(), counters=plan.counters.copy())


def run_runner(backend, plan, step0, step1):
    """Drive a backend runner like Network.run does, without monitors; returns (seconds, events)."""
    N = plan.n_total
    runner = backends.make_runner(backend, plan)
    spk_step, spk_gid = np.zeros(max(4 * N, 1 << 16), np.int64), np.zeros(max(4 * N, 1 << 16), np.int64)
    rec_buf, rec_count = np.zeros((0, 0)), np.zeros(0, np.int64)
    out = []
    exact = getattr(runner, "exact", None)
    for a, b in ((step0, step1[0]), (step1[0], step1[1])):
        if b <= a:
            out.append((0.0, 0))
            continue
        plan.counters[C_SPIKES] = 0
        ev0 = int(plan.counters[C_EVENTS])
        t = time.perf_counter()
        step = a
        while step < b:
            status, step = runner.run_steps(step, b, spk_step, spk_gid, rec_buf, rec_count)
        runner.sync_to_host()
        out.append((time.perf_counter() - t, int(plan.counters[C_EVENTS]) - ev0))
    return out, ("" if exact is None else ("exact" if exact else "atomic"))


def gpu_memory_free():
    try:
        from numba import cuda
        free, total = cuda.current_context().get_memory_info()
        return free
    except Exception:
        return None


def host_memory_free():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def fmt(row):
    sps = row["wall_s"] / (row["sim_ms"] * 1e-3) if row["sim_ms"] else float("nan")
    evs = row["events"] / row["wall_s"] if row["wall_s"] > 0 else float("nan")
    us = 1e6 * row["wall_s"] / max(row["steps"], 1)
    row.update(s_per_sim_s=sps, events_per_s=evs, us_per_step=us)
    ratio = row.get("cpu_over_gpu")
    return (f"{row['name']:<22} {row['backend'] + ' ' + row.get('delivery', ''):<13} {row['neurons']:>9,d} {row['synapses']:>13,d} {row['steps']:>6d} "
            f"{row['wall_s']:>8.3f} {sps:>9.3f} {evs:>10.3g} {us:>9.1f} " + (f"{ratio:>7.1f}x" if ratio else ""))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpu-only", action="store_true", help="numba rows only, small sweep")
    ap.add_argument("--tiny", action="store_true", help="CUDA simulator smoke test with tiny networks")
    ap.add_argument("--max-synapses", type=float, default=1e9)
    ap.add_argument("--out", default=None, help="write the rows as JSON")
    args = ap.parse_args(argv)
    tiny, gpu = args.tiny, not args.cpu_only
    if gpu:
        try:
            backends.load("cuda")
        except backends.BackendUnavailableError as exc:
            print(f"cuda backend unavailable: {exc}\n(use --cpu-only or --tiny)")
            return 2
    todo = ["numba"] + (["cuda"] if gpu else [])
    from spikesim.backends.numba_cuda import core as cuda_core
    print(f"# spikesim core_gpu  python {platform.python_version()}  {platform.node()}  "
          f"mode={'tiny (CUDA simulator)' if tiny else ('cpu-only' if not gpu else 'gpu')}")
    if gpu and not tiny:
        from numba import cuda
        dev_name = cuda.get_current_device().name
        print(f"# device: {dev_name.decode() if isinstance(dev_name, bytes) else dev_name}")
    # warm-up: compile every kernel once (not timed)
    for b in todo:
        time_network(lambda be: nets.cuba(N=40, p=0.1, backend=be), 1.0, b)
        run_runner(b, sweep_plan(40, 4), 0, (2, 2))

    if tiny:
        core = [("izhikevich_2003_1k", lambda be: nets.izhikevich_2003(T_ms=3, backend=be), 3.0, 3.0),
                ("cuba_200", lambda be: nets.cuba(N=200, p=0.05, backend=be), 2.0, 2.0),
                ("brunel_200", lambda be: nets.brunel(N=200, backend=be), 0.5, 0.5),
                ("floor_cuba_silent_200", lambda be: nets.cuba(N=200, p=0.05, silent=True, backend=be), 1.0, 1.0)]
        sweep = [(100, 10)]
        sweep_steps = (5, 5)
    elif not gpu:
        core = [("izhikevich_2003_1k", lambda be: nets.izhikevich_2003(T_ms=300, backend=be), 300.0, 0),
                ("cuba_4000", lambda be: nets.cuba(N=4000, p=0.02, backend=be), 200.0, 0),
                ("brunel_10k", lambda be: nets.brunel(N=10000, backend=be), 50.0, 0),
                ("floor_cuba_silent_4000", lambda be: nets.cuba(N=4000, p=0.02, silent=True, backend=be), 200.0, 0),
                ("floor_100_no_synapses", lambda be: nets.cuba(N=100, p=0.0, silent=True, backend=be), 200.0, 0)]
        sweep = [(10_000, 100), (100_000, 100)]
        sweep_steps = (50, 0)
    else:
        core = [("izhikevich_2003_1k", lambda be: nets.izhikevich_2003(T_ms=1000, backend=be), 1000.0, 1000.0),
                ("cuba_4000", lambda be: nets.cuba(N=4000, p=0.02, backend=be), 1000.0, 1000.0),
                ("brunel_10k", lambda be: nets.brunel(N=10000, backend=be), 200.0, 1000.0),
                ("floor_cuba_silent_4000", lambda be: nets.cuba(N=4000, p=0.02, silent=True, backend=be), 500.0, 1000.0),
                ("floor_100_no_synapses", lambda be: nets.cuba(N=100, p=0.0, silent=True, backend=be), 500.0, 1000.0)]
        sweep = [(10_000, 1000), (100_000, 100), (100_000, 1000), (1_000_000, 100), (1_000_000, 1000)]
        sweep_steps = (40, 1000)     # CPU and GPU over the first 40 steps (the ratio), then GPU alone

    rows = []
    header = (f"{'network':<22} {'backend':<13} {'neurons':>9} {'synapses':>13} {'steps':>6} {'wall_s':>8} "
              f"{'s/sim_s':>9} {'events/s':>10} {'us/step':>9} cpu/gpu")
    print(header)
    for name, build, T_cpu, T_gpu in core:
        cpu = time_network(build, T_cpu, "numba")
        cpu["name"] = name
        print(fmt(cpu), flush=True)
        rows.append(cpu)
        for mode in (("auto", "atomic") if gpu else ()):      # auto = ordered (exact) at these sizes
            cuda_core.DELIVERY = mode
            g = time_network(build, T_gpu, "cuda")
            cuda_core.DELIVERY = "auto"
            if mode == "atomic" and g["delivery"] == rows[-1].get("delivery"):
                continue
            g["name"] = name
            g["cpu_over_gpu"] = (cpu["wall_s"] / cpu["steps"]) / (g["wall_s"] / g["steps"])
            print(fmt(g), flush=True)
            rows.append(g)

    for N, K in sweep:
        if N * K > args.max_synapses:
            continue
        need = N * K * 16
        host, dev = host_memory_free(), (gpu_memory_free() if gpu and not tiny else None)
        if host is not None and host < 4 * need + (2 << 30):
            print(f"sweep N={N:,} K={K}: skipped, needs ~{4 * need / 2**30:.0f} GiB host memory")
            continue
        if dev is not None and dev < need * 1.1 + (1 << 30):
            print(f"sweep N={N:,} K={K}: skipped, needs ~{need / 2**30:.0f} GiB GPU memory")
            continue
        t0 = time.perf_counter()
        plan = sweep_plan(N, K)
        build_s = time.perf_counter() - t0
        name = f"sweep_N{N:.0e}_K{K}".replace("+0", "")
        n_cpu, n_gpu = sweep_steps
        ((c_s, c_ev), _), _ = run_runner("numba", fresh(plan), 0, (n_cpu, n_cpu))
        cpu = {"name": name, "backend": "numba", "neurons": N, "synapses": N * K, "steps": n_cpu,
               "sim_ms": n_cpu * plan.dt, "wall_s": c_s, "events": c_ev, "build_s": build_s}
        print(fmt(cpu), flush=True)
        rows.append(cpu)
        modes = ("auto", "atomic") if gpu and cuda_core.exact_delivery(N * K, N) else (("auto",) if gpu else ())
        for mode in modes:
            cuda_core.DELIVERY = mode
            ((g1, e1), (g2, e2)), delivery = run_runner("cuda", fresh(plan), 0, (n_cpu, n_cpu + n_gpu))
            cuda_core.DELIVERY = "auto"
            if e1 != c_ev:
                print(f"# note: {name}: events over the shared window differ, cpu {c_ev} gpu {e1}")
            row = {"name": name, "backend": "cuda", "neurons": N, "synapses": N * K, "steps": n_cpu + n_gpu,
                   "sim_ms": (n_cpu + n_gpu) * plan.dt, "wall_s": g1 + g2, "events": e1 + e2, "build_s": build_s,
                   "cpu_over_gpu": c_s / g1 if g1 > 0 else None, "events_first_window_cpu_gpu": [c_ev, e1],
                   "delivery": delivery}
            print(fmt(row), flush=True)
            rows.append(row)
        del plan

    if gpu:     # the per-step floor with the dispatcher's ordinary launch, for comparison
        cuda_core.FAST_LAUNCH = False
        name, build, _, T_gpu = core[-1]
        g = time_network(build, T_gpu, "cuda")
        g["name"] = name.replace("floor", "floor_plain_launch")
        print(fmt(g), flush=True)
        rows.append(g)
        cuda_core.FAST_LAUNCH = True
        floor = [r for r in rows if r["backend"] == "cuda" and r["name"].startswith("floor_")
                 and "plain" not in r["name"]]
        big = [r for r in rows if r["backend"] == "cuda"]
        if floor:
            print(f"# per-step floor (cuda, no spikes): {min(r['us_per_step'] for r in floor):.1f} us")
        if big:
            top = max(big, key=lambda r: r["synapses"])
            print(f"# largest network: {top['synapses']:,} synapses, {top['events_per_s']:.3g} events/s")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
