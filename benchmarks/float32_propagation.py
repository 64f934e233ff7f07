"""float32 against float64 weights and ring (``Network(dtype=...)``) on the numba backend, one thread.

    python benchmarks/float32_propagation.py [--reps 3] [--networks brunel,izh_hetero,cuba]
                                             [--out benchmarks/results/float32_propagation.json]

For each network (benchmarks/_networks.py: Brunel 10k, the heterogeneous-delay Izhikevich 4000
with K = 200, CUBA 4000) the two dtypes run the same seeded network, interleaved ``--reps``
times (float64, float32, float64, ...) so that machine load falls on both; reported per dtype:
the best and median CPU time of the loop, synaptic events per second (and as a fraction of the
ceiling of the same dtype), the bytes per event the propagation's inner loop reads (ring cell +
weight), the ring's bytes, the time breakdown of one profiled run
(propagation's share), and whether the spike trains of the two dtypes are the same. The bare
scatter ceiling (benchmarks/propagation_ceiling.py) is measured in the same run for both dtypes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import _networks  # noqa: E402
from propagation_ceiling import ceiling  # noqa: E402

from spikesim.backends.numba_cpu.core import profile_run  # noqa: E402

NETWORKS = {
    "brunel": (lambda dtype: _networks.brunel(dtype=dtype), 500.0),
    "izh_hetero": (lambda dtype: _networks.izhikevich_hetero(T_ms=2000.0, dtype=dtype), 2000.0),
    "cuba": (lambda dtype: _networks.cuba(dtype=dtype), 500.0),
}
DTYPES = ("float64", "float32")
CEILING: dict = {}          # events/s of the bare scatter per dtype, measured first


def one_run(factory, dtype: str, T: float) -> dict:
    net = factory(dtype)
    net.threads = 1
    net.run(0.0)
    p = net._plan
    per_syn = p.cell.itemsize + p.w.itemsize      # what the inner loop reads per event (delays: per segment)
    c0 = time.process_time()
    res = net.run(T)
    cpu = time.process_time() - c0
    ev = int(net.last_run_stats["synaptic_events"])
    spikes = {pop: res.spikes(pop) for pop in res.populations if pop in res._spikes}
    return {"cpu_s": cpu, "events": ev, "events_per_s": ev / cpu, "bytes_per_synapse_streamed": per_syn,
            "ring_bytes": int(p.ring.nbytes), "n_synapses": int(p.n_synapses)}, spikes


def same_spikes(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(x, y) for k in a for x, y in zip(a[k], b[k]))


def bench(name: str, reps: int) -> dict:
    factory, T = NETWORKS[name]
    for dtype in DTYPES:                     # compile / load both kernels before timing
        n = factory(dtype)
        n.threads = 1
        n.run(1.0)
    runs = {d: [] for d in DTYPES}
    spikes = {}
    for _ in range(reps):
        for dtype in DTYPES:
            r, spikes[dtype] = one_run(factory, dtype, T)
            runs[dtype].append(r)
    out = {"T_ms": T, "reps": reps, "same_spikes": same_spikes(spikes["float64"], spikes["float32"])}
    for dtype in DTYPES:
        cpu = [r["cpu_s"] for r in runs[dtype]]
        net = factory(dtype)
        net.threads = 1
        prof = profile_run(net, T)
        out[dtype] = {**{k: runs[dtype][0][k] for k in ("events", "bytes_per_synapse_streamed", "ring_bytes",
                                                          "n_synapses")},
                      "cpu_s_best": min(cpu), "cpu_s_median": float(np.median(cpu)),
                      "events_per_s_best": runs[dtype][0]["events"] / min(cpu),
                      "propagation_fraction": prof["phases_fraction"]["propagation"]}
    for dtype in DTYPES:
        out[dtype]["fraction_of_ceiling"] = out[dtype]["events_per_s_best"] / CEILING[dtype]
    out["speedup_float32_best"] = out["float64"]["cpu_s_best"] / out["float32"]["cpu_s_best"]
    out["speedup_float32_median"] = out["float64"]["cpu_s_median"] / out["float32"]["cpu_s_median"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--networks", default=",".join(NETWORKS))
    ap.add_argument("--out", default=str(HERE / "results" / "float32_propagation.json"))
    a = ap.parse_args(argv)
    report = {"loadavg_start": os.getloadavg(), "ceiling": {d: ceiling(dtype=d) for d in DTYPES}, "networks": {}}
    CEILING.update({d: report["ceiling"][d]["events_per_s"] for d in DTYPES})
    for name in a.networks.split(","):
        report["networks"][name] = r = bench(name, a.reps)
        f64, f32 = r["float64"], r["float32"]
        print(f"{name}: float64 {f64['cpu_s_best']:.3f} s ({f64['events_per_s_best'] / 1e6:.0f} M ev/s, "
              f"{f64['bytes_per_synapse_streamed']} B/event, {f64['fraction_of_ceiling']:.2f} of ceiling, "
              f"propagation {f64['propagation_fraction']:.0%}); "
              f"float32 {f32['cpu_s_best']:.3f} s ({f32['events_per_s_best'] / 1e6:.0f} M ev/s, "
              f"{f32['bytes_per_synapse_streamed']} B/event, {f32['fraction_of_ceiling']:.2f} of ceiling, "
              f"propagation {f32['propagation_fraction']:.0%}); "
              f"speedup {r['speedup_float32_best']:.2f}x best, {r['speedup_float32_median']:.2f}x median; "
              f"same spikes: {r['same_spikes']}", flush=True)
    c = report["ceiling"]
    print(f"ceiling: float64 {c['float64']['events_per_s'] / 1e6:.0f} M ev/s, float32 "
          f"{c['float32']['events_per_s'] / 1e6:.0f} M ev/s")
    report["loadavg_end"] = os.getloadavg()
    Path(a.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
