"""A Spikformer of the CIFAR shape (depth 4, dim 384, 12 heads, T 4, 32 x 32 x 3 images, pools
"0011": 8 x 8 tokens) lowered to the core (``models/spikformer_lowering.py``): build and compile
time, what the core stores (kernel entries vs the explicit synapses the same layers would
need), the ring's memory, seconds per image, and the spikes of every LIF layer against the
torch forward pass.

The model is untrained: its batch norms are set (seeded) so that every layer spikes, as in
``tests/test_spikformer_lowering.py``; the images are uniform noise. So the numbers are the
lowering's cost and fidelity at this size, not an accuracy.

    python benchmarks/spikformer_lowered_size.py --images 2 --dtype float32 --out benchmarks/results/spikformer_lowered_cifar_shape.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore", category=FutureWarning)


def active_model(depth, dim, heads, T, in_channels, pools, seed=0):
    """The tests' active untrained Spikformer (``tests/test_spikformer_lowering.py``) at this shape,
    with the default attention scale."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_spikformer_lowering import _active_model
    from spikesim.models.spikformer import Spikformer
    scale = Spikformer.__init__.__kwdefaults__["scale"]
    return _active_model(scale, seed, depth, dim, T, heads, in_channels, pools)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--T", type=int, default=4)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--pools", default="0011")
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from spikesim.models.spikformer_lowering import LoweredSpikformer
    m = active_model(a.depth, a.dim, a.heads, a.T, 3, tuple(c == "1" for c in a.pools))
    t0 = time.perf_counter()
    low = LoweredSpikformer(m, (3, a.size, a.size), backend="numba", threads=1, dtype=a.dtype)
    net = low.net
    net.run(0.0)
    build_s = time.perf_counter() - t0
    plan = net._plan
    stored = sum(pr.n_synapses for pr in net._convs) + sum(pr.n_synapses for pr in net._projections)
    explicit = sum(int(e.degree.sum()) for e in low.edges)
    g = torch.Generator().manual_seed(1)
    secs, flips, spikes, events, att = [], 0, 0, [], []
    for _ in range(a.images):
        img = torch.rand(3, a.size, a.size, generator=g) * 2 - 0.5
        t = time.perf_counter()
        r = low.run(img)
        secs.append(time.perf_counter() - t)
        _, st = low.torch_spikes(img)
        for name, layer in low.layers.items():
            if layer.torch_name:
                flips += int((r["spikes"][name] != st[layer.torch_name]).sum())
                spikes += int(st[layer.torch_name].sum())
        events.append(r["synaptic_events"])
        att.append(r["attention_ops"])
    out = {"shape": {"depth": a.depth, "dim": a.dim, "heads": a.heads, "T": a.T, "size": a.size, "pools": a.pools},
           "dtype": a.dtype, "populations": len(net._pops), "convolutions": len(net._convs),
           "pulled_convolutions": int(sum(cp.pull is not None for cp in plan.convs)),
           "explicit_projections": len(net._projections), "neurons": int(plan.n_total),
           "stored_synapses": int(stored), "explicit_synapses_needed": int(explicit),
           "ring_mb": plan.ring.nbytes / 2 ** 20, "ring_slots": int(plan.n_slots),
           "build_and_compile_s": build_s, "seconds_per_image": secs, "synaptic_events_per_image": events,
           "attention_ops_per_image": att, "torch_spikes": spikes, "flipped_spikes": flips, "images": a.images}
    print(json.dumps(out, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
