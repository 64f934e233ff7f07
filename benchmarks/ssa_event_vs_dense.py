"""Event-driven SSA (Numba, spike lists, additions only) vs the dense torch SSA on CPU, for the
same batch, at the Q/K/V firing rates of a trained Spikformer.

The rates are read from a result of the ``images`` paradigm (``--result runs/images/result.h5``,
mean of the q/k/v LIF layers of all blocks); without one, ``--rates`` gives them. Spikes are
drawn as independent Bernoulli variables at those rates with the model's shape
[T * B * heads, N, d]. Times (best of ``--repeat``), one thread each unless ``--threads``:

* dense torch, (Q K^T) V (the authors' CIFAR code) and Q (K^T V) (the ImageNet code);
* event-driven Numba on spike lists (the lists as an event sensor or a previous layer emits them),
  and including the dense -> list conversion.

    python benchmarks/ssa_event_vs_dense.py --result runs/images/result.h5
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore", category=FutureWarning)


def _best(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def rates_from_result(path):
    import spikesim
    res = spikesim.load(path)
    fr = res.groups["firing_rate"]["spikformer"]
    names = [str(n) for n in np.asarray(fr["layers"]).tolist()]
    rate = dict(zip(names, np.asarray(fr["rate"])))
    out = []
    for key in ("q_lif", "k_lif", "v_lif"):
        vals = [r for n, r in rate.items() if n.endswith("attn." + key)]
        if not vals:
            raise ValueError(f"{path}: no firing rates of the SSA {key} layers")
        out.append(float(np.mean(vals)))
    cfg = res.config
    att = res.groups.get("attention", {}).get("spikformer")
    if att is None:
        raise ValueError(f"{path}: no Spikformer attention map (needed for the token count)")
    n_tokens = int(np.asarray(att).shape[-1])
    return out, dict(T=cfg["T"], heads=cfg["heads"], d=cfg["dim"] // cfg["heads"], N=n_tokens,
                     B=cfg["batch_size"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--result", default="", help="result.h5 of an images run (rates and shapes)")
    ap.add_argument("--rates", default="0.1,0.1,0.1", help="Q,K,V firing rates when no --result")
    ap.add_argument("--shape", default="4,64,4,16,32", help="T,B,heads,N,d when no --result")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import numba
    import torch

    from spikesim.backends.numba_cpu.ssa import ssa_event, ssa_event_lists
    from spikesim.backends.reference.ssa import spikes_to_lists

    torch.set_num_threads(args.threads)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    if args.result:
        rates, shp = rates_from_result(args.result)
    else:
        rates = [float(r) for r in args.rates.split(",")]
        T, B, h, N, d = (int(v) for v in args.shape.split(","))
        shp = dict(T=T, B=B, heads=h, N=N, d=d)
    G, N, d = shp["T"] * shp["B"] * shp["heads"], shp["N"], shp["d"]
    rng = np.random.default_rng(args.seed)
    q, k, v = [(rng.random((G, N, d)) < r).astype(np.float32) for r in rates]
    tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
    scale = 0.125

    dense_qkt_v = lambda: ((tq @ tk.transpose(-2, -1)) @ tv) * scale  # noqa: E731
    dense_q_ktv = lambda: (tq @ (tk.transpose(-2, -1) @ tv)) * scale  # noqa: E731
    lists = [spikes_to_lists(a) for a in (q, k, v)]
    ev_lists = lambda: ssa_event_lists(G, N, d, *lists, scale=scale)  # noqa: E731
    ev_dense = lambda: ssa_event(q, k, v, scale)  # noqa: E731
    ev_lists()                                                         # compile
    out, sops, orders = ev_lists()
    assert np.array_equal(out, dense_qkt_v().numpy()), "event-driven SSA differs from the dense result"
    res = {"rates_qkv": rates, "shape": shp, "groups": G, "threads": args.threads,
           "dense_qkt_v_s": _best(dense_qkt_v, args.repeat), "dense_q_ktv_s": _best(dense_q_ktv, args.repeat),
           "event_lists_s": _best(ev_lists, args.repeat), "event_with_conversion_s": _best(ev_dense, args.repeat),
           "event_accumulations": sops, "dense_macs_qkt_v": 2 * G * N * N * d, "dense_macs_q_ktv": 2 * G * N * d * d,
           "fraction_q_ktv_order": float(np.mean(orders == 0))}
    best_dense = min(res["dense_qkt_v_s"], res["dense_q_ktv_s"])
    res["speedup_vs_best_dense"] = best_dense / res["event_lists_s"]
    res["speedup_with_conversion"] = best_dense / res["event_with_conversion_s"]
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
