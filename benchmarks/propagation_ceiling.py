"""The event-propagation ceiling of this machine: the fastest one core adds synaptic events into
a ring that stays in cache, with nothing else to do.

    python benchmarks/propagation_ceiling.py [--cells 40000] [--events 20000000] [--reps 5]

The kernel streams a synapse table (int32 cell, float64 weight: 12 bytes per event; ``--dtype
float32``: float32 weights and ring, 8 bytes, as ``Network(dtype="float32")``; the same
per-synapse arrays the numba backend's propagation reads) and adds each weight to its cell of a
ring of the same type with ``cells`` cells (``--cells 40000``: 320 kB, resident in L2/L3); targets are
uniformly random, so the adds are scattered as in a random network. It is the inner loop of
the numba backend's propagation without spikes, rows, segments or delays: an upper bound for
that loop. ``core_vs_brian2.py`` divides its networks' events per second by this number.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _scatter(ring, cell, w, rounds):
    for _ in range(rounds):
        for k in range(cell.size):
            ring[np.uint64(cell[k])] += w[k]


def ceiling(cells: int = 40000, events: int = 20_000_000, reps: int = 5, seed: int = 0, dtype=np.float64) -> dict:
    """Best-of-``reps`` events per second (and the median) of the bare scatter kernel; ``dtype``:
    of the weights and the ring (float32: 8 bytes per event)."""
    rng = np.random.default_rng(seed)
    n = min(events, 4_000_000)                    # the table: 48 MB at most, streamed ``rounds`` times
    rounds = max(1, events // n)
    cell = rng.integers(0, cells, n).astype(np.int32)
    w = rng.random(n).astype(dtype)
    ring = np.zeros(cells, dtype=dtype)
    _scatter(ring, cell[:10], w[:10], 1)          # compile / load
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        _scatter(ring, cell, w, rounds)
        rates.append(n * rounds / (time.perf_counter() - t0))
    return {"events_per_s": float(max(rates)), "median_events_per_s": float(np.median(rates)), "cells": cells,
            "ring_bytes": int(ring.nbytes), "dtype": np.dtype(dtype).name, "events": n * rounds, "reps": reps,
            "loadavg": os.getloadavg()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=40000)
    ap.add_argument("--events", type=int, default=20_000_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    a = ap.parse_args(argv)
    r = ceiling(a.cells, a.events, a.reps, dtype=a.dtype)
    print(json.dumps(r, indent=1))
    print(f"ceiling: {r['events_per_s'] / 1e6:.0f} M events/s per core (median {r['median_events_per_s'] / 1e6:.0f}), "
          f"ring {r['ring_bytes'] / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
