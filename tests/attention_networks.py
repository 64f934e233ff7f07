"""Networks that run the core's attention operation on given spikes (shared by the attention
tests and the CUDA-simulator script)."""
import numpy as np

import spikesim as ss


def attention_net(q, k, v, heads, backend="numba", scale=0.125, order="auto", delay=None, target=None):
    """A network of three spike sources playing binary ``q, k, v`` [T, N, D] (one row per 1 ms
    step) into one attention onto ``target`` (default a :class:`spikesim.neurons.CurrentProbe`, recorded)."""
    T, N, D = q.shape
    net = ss.Network(dt=1.0, seed=3, backend=backend)
    pops = []
    for name, x in zip("qkv", (q, k, v)):
        st, ids = np.nonzero(np.asarray(x).reshape(T, N * D))
        pops.append(net.add(ss.inputs.SpikeSource(n=N * D, times=st * 1.0, ids=ids), name=name))
    tgt = net.add(target if target is not None else ss.neurons.CurrentProbe(N * D), name="y")
    at = net.attention(*pops, tgt, tokens=N, heads=heads, scale=scale, order=order, delay=delay)
    return net, at, tgt


def run_attention(q, k, v, heads, backend="numba", scale=0.125, order="auto"):
    """(Y [T, N, D] delivered one step later, accumulations, heads in order 0, heads in order 1)."""
    T = q.shape[0]
    net, at, tgt = attention_net(q, k, v, heads, backend, scale, order)
    net.record(tgt, spikes=False, state="v")
    res = net.run(T + 1.0)
    y = res.state("y", "v")[1:T + 1].reshape(q.shape)
    return y, net.attention_ops(), int(at.ops[1]), int(at.ops[2])


def dense(q, k, v, heads, scale=0.125):
    """Q K^T V * scale per step and head, in float64 NumPy: [T, N, D]."""
    T, N, D = q.shape
    d = D // heads
    sp = lambda x: np.asarray(x, np.float64).reshape(T, N, heads, d).transpose(0, 2, 1, 3)  # noqa: E731
    y = (sp(q) @ sp(k).transpose(0, 1, 3, 2) @ sp(v)) * scale
    return y.transpose(0, 2, 1, 3).reshape(T, N, D)
