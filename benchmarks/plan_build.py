"""Plan build time for 10^6 synapses (issue 16's bar: <= 0.1 s), and where it goes.

    python benchmarks/plan_build.py [--runs 5] [--synapses 1000000] [--parts 1,2]

Networks (all with 10^6 synapses): ``random_pairs`` (10,000 LIF neurons, (pre, post, w) triplets
drawn at random, per-synapse delays 0.1-5 ms: the unsorted case), ``dense`` (a 1,000 x 1,000
weight matrix, one delay), ``fixed_probability`` (``ss.connectivity.fixed_probability``, per-
synapse delays). Times ``spikesim.core.plan.build_plan`` alone (not ``connect``'s validation nor
the kernel), min and median over ``--runs`` builds, wall time and CPU time (``process_time``: on
a machine whose cores other processes share, the wall time also counts their turns), and a cProfile of one build (the slowest
calls). Prints the load average with the numbers (the machine may be shared).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import time

import numpy as np

import spikesim as ss
from spikesim.core.plan import build_plan


def random_pairs(n_syn: int):
    rng = np.random.default_rng(1)
    N = 10_000
    net = ss.Network(dt=0.1, seed=1, backend="reference")
    p = net.add(ss.neurons.LIF(N), name="p")
    net.connect(p, p, (rng.integers(0, N, n_syn), rng.integers(0, N, n_syn), rng.normal(0.5, 0.1, n_syn)),
                delays=rng.uniform(0.1, 5.0, n_syn), target="I_syn")
    net.record(p)
    return net


def dense(n_syn: int):
    n = int(round(np.sqrt(n_syn)))
    rng = np.random.default_rng(2)
    net = ss.Network(dt=0.1, seed=1, backend="reference")
    p = net.add(ss.neurons.Izhikevich(n), name="p")
    net.connect(p, p, rng.uniform(0.1, 1.0, (n, n)), delays=1.0, target="v")
    net.record(p)
    return net


def fixed_probability(n_syn: int):
    N = 10_000
    pre, post, w = ss.connectivity.fixed_probability(N, N, n_syn / N / N, weight=0.5, seed=3)
    rng = np.random.default_rng(3)
    net = ss.Network(dt=0.1, seed=1, backend="reference")
    p = net.add(ss.neurons.LIF(N), name="p")
    net.connect(p, p, (pre, post, w), delays=rng.uniform(0.1, 5.0, pre.size), target="I_syn")
    net.record(p)
    return net


NETWORKS = {"random_pairs": random_pairs, "dense": dense, "fixed_probability": fixed_probability}


def build(net, parts: int):
    return build_plan(net.dt, net.seed, net._pops, net._projections, net._injections, net._records,
                      net.max_delay_steps, net._readouts, n_parts=parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--synapses", type=int, default=1_000_000)
    ap.add_argument("--parts", default="1,2", help="ring parts (threads) to build for")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one build per network")
    a = ap.parse_args(argv)
    rows = []
    for name, make in NETWORKS.items():
        net = make(a.synapses)
        n_syn = sum(pr.n_synapses for pr in net._projections)
        for parts in (int(x) for x in a.parts.split(",")):
            build(net, parts)                                   # warm (first-use imports)
            ts, cs = [], []
            for _ in range(a.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                build(net, parts)
                ts.append(time.perf_counter() - t0)
                cs.append(time.process_time() - c0)
            rows.append({"network": name, "synapses": n_syn, "parts": parts, "min_s": min(ts),
                         "median_s": statistics.median(ts), "cpu_min_s": min(cs), "cpu_median_s": statistics.median(cs),
                         "loadavg": os.getloadavg()[0]})
            print(f"{name:18s} {n_syn:>9d} synapses, {parts} part(s): plan build wall min {min(ts):.3f} s, "
                  f"median {statistics.median(ts):.3f} s; CPU min {min(cs):.3f} s, median {statistics.median(cs):.3f} s "
                  f"(bar 0.1 s; load {os.getloadavg()[0]:.1f})", flush=True)
            if a.profile and parts == 1:
                pr = cProfile.Profile()
                pr.enable()
                build(net, parts)
                pr.disable()
                s = io.StringIO()
                pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(12)
                print(s.getvalue())
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
