"""The core's event-driven spiking self-attention (``Network.attention``, Numba CPU) vs the dense
torch SSA on CPU, at the Q/K/V firing rates of a trained Spikformer, one thread each.

The rates are read from a result of the ``images`` paradigm (``--result runs/images/result.h5``,
mean of the q/k/v LIF layers of all blocks); without one, ``--rates`` gives them. Spikes are
drawn as independent Bernoulli variables at those rates, [B images x T steps, N tokens, D =
heads x d]; the network plays them from three spike sources, one image after the other (B x T
steps), into one attention onto a population of ``N x D`` neurons that holds its input current.
Times (best of ``--repeat``):

* dense torch on the whole batch [T B heads, N, d]: (Q K^T) V (the authors' CIFAR code) and
  Q (K^T V) (the ImageNet code);
* ``core_op_s``: the attention's share of the compiled loop: the loop with the attention minus
  the same network whose target has the same input path without the attention (a Pulse synapse
  from a silent source: its ring cells read and cleared each step, the synapse state updated);
  both ``Network.last_run_stats["run_seconds"]``, best of ``--repeat`` interleaved runs;
* ``core_op_with_target_input_s``: the loop with the attention minus the network with no input
  into the target at all (the definition before 2026-12-03): it also counts the target's input
  path, which any projection onto that population would cost;
* ``kernel_s``: the attention step itself (the function the loop calls), called per step on the
  step's spike list, i.e. without the rest of the network;
* ``loop_s``: the whole loop with the attention (spike sources, 3 N D neurons' update).

The delivered currents are checked against the dense product on the first steps.

    python benchmarks/ssa_event_vs_dense.py --shape 4,16,12,64,32 --rates 0.1,0.1,0.1
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


def _network(spikes, heads, with_attention, probe_cls, receiver=False):
    """The three spike sources and the target; ``with_attention``: the attention onto it;
    ``receiver`` (without attention): a Pulse synapse from a silent source onto it instead, so the
    target has the same input path (its ring cells read and cleared, the synapse's state updated)
    and the difference to the attention network is the attention alone."""
    import spikesim as ss
    S, N, D = spikes[0].shape
    net = ss.Network(dt=1.0, seed=0, backend="numba", threads=1)
    pops = []
    for name, x in zip("qkv", spikes):
        st, ids = np.nonzero(x.reshape(S, N * D))
        pops.append(net.add(ss.inputs.SpikeSource(n=N * D, times=st * 1.0, ids=ids), name=name))
    y = net.add(probe_cls(N * D), name="y")
    if with_attention:
        net.attention(*pops, y, tokens=N, heads=heads, scale=0.125)
    elif receiver:
        z = net.add(ss.inputs.SpikeSource(n=1, times=[], ids=[]), name="silent")
        net.connect(z, y, (np.array([0]), np.array([0]), np.array([1.0])), synapse=ss.synapses.Pulse())
    return net, y


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--result", default="", help="result.h5 of an images run (rates and shapes)")
    ap.add_argument("--rates", default="0.1,0.1,0.1", help="Q,K,V firing rates when no --result")
    ap.add_argument("--shape", default="4,16,12,64,32", help="T,B,heads,N,d when no --result (CIFAR 4-384)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import torch

    import spikesim as ss
    from spikesim.backends.numba_cpu.attention import ARRAYS as ATTENTION_ARRAYS
    from spikesim.backends.numba_cpu.attention import attention_step

    torch.set_num_threads(1)
    if args.result:
        rates, shp = rates_from_result(args.result)
    else:
        rates = [float(r) for r in args.rates.split(",")]
        T, B, h, N, d = (int(v) for v in args.shape.split(","))
        shp = dict(T=T, B=B, heads=h, N=N, d=d)
    T, B, h, N, d = shp["T"], shp["B"], shp["heads"], shp["N"], shp["d"]
    D, S = h * d, T * B
    rng = np.random.default_rng(args.seed)
    spikes = [rng.random((S, N, D)) < r for r in rates]
    heads = lambda x: torch.from_numpy(x.reshape(S, N, h, d).transpose(0, 2, 1, 3).astype(np.float32).copy())  # noqa: E731
    tq, tk, tv = (heads(x) for x in spikes)
    scale = 0.125
    dense_qkt_v = lambda: ((tq @ tk.transpose(-2, -1)) @ tv) * scale  # noqa: E731
    dense_q_ktv = lambda: (tq @ (tk.transpose(-2, -1) @ tv)) * scale  # noqa: E731

    # correctness on the first steps: the delivered currents equal the dense product
    n_chk = min(S, 4)
    net, y = _network([x[:n_chk] for x in spikes], h, True, ss.neurons.CurrentProbe)
    net.record(y, spikes=False, state="v")
    got = net.run(n_chk + 1.0).state("y", "v")[1:n_chk + 1].reshape(n_chk, N, h, d).transpose(0, 2, 1, 3)
    assert np.array_equal(got, dense_qkt_v()[:n_chk].numpy().astype(np.float64)), "core attention != dense"

    kinds = {"attention": (True, False), "none": (False, False), "receiver": (False, True)}
    loops = {k: float("inf") for k in kinds}
    ops = 0
    for _ in range(args.repeat):                  # interleaved, so that machine load falls on all three
        for kind, (with_attention, receiver) in kinds.items():
            net, _ = _network(spikes, h, with_attention, ss.neurons.CurrentProbe, receiver)
            net.run(float(S))
            loops[kind] = min(loops[kind], net.last_run_stats["run_seconds"])
            ops = net.last_run_stats.get("attention_ops", ops)
    loop_with, loop_without, loop_receiver = loops["attention"], loops["none"], loops["receiver"]

    # the attention step alone, on each step's spike list (global ids, ascending)
    net, _ = _network([x[:1] for x in spikes], h, True, ss.neurons.CurrentProbe)
    net.run(1.0)
    at = net._attentions[0]
    lists = []
    for s in range(S):
        ids = [np.flatnonzero(x[s].reshape(-1)) + k * N * D for k, x in enumerate(spikes)]
        lists.append(np.concatenate(ids).astype(np.int64))
    ring = np.zeros(2 * N * D)
    arrs = tuple(getattr(at, name) for name in ATTENTION_ARRAYS)

    def kernel():
        for s in range(S):
            attention_step(*arrs, lists[s], lists[s].size, ring, s % 2, 2, N * D)
    kernel()
    res = {"rates_qkv": rates, "shape": shp, "steps": S, "threads": 1,
           "dense_qkt_v_s": _best(dense_qkt_v, args.repeat), "dense_q_ktv_s": _best(dense_q_ktv, args.repeat),
           "core_op_s": loop_with - loop_receiver, "core_op_with_target_input_s": loop_with - loop_without,
           "kernel_s": _best(kernel, args.repeat), "loop_s": loop_with,
           "loop_without_attention_s": loop_without, "loop_receiver_only_s": loop_receiver,
           "attention_accumulations": ops, "dense_macs_qkt_v": 2 * S * h * N * N * d,
           "dense_macs_q_ktv": 2 * S * h * N * d * d}
    best_dense = min(res["dense_qkt_v_s"], res["dense_q_ktv_s"])
    for k in ("core_op", "core_op_with_target_input"):
        res[f"speedup_{k}_vs_best_dense"] = best_dense / res[f"{k}_s"] if res[f"{k}_s"] > 0 else float("inf")
    res["speedup_kernel_vs_best_dense"] = best_dense / res["kernel_s"]
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
