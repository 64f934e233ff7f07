"""``--set inference=core``: after the last task, a spiking method's trained network infers the
test samples of every task on the event-driven core (:mod:`spikesim.models.hlop_mlp_lowering`),
and the run reports how it compares with the torch forward pass on the same samples."""
from __future__ import annotations

import time

import numpy as np

SPIKING = ("hlop", "baseline", "ewc", "gpm", "multitask")


def score_on_core(learner, data, n_samples: int, backend: str = "numba", dtype="float64") -> dict:
    """Metrics of ``learner.net`` run on the core over the first ``n_samples`` test samples of each
    task (0: all): ``core_accuracy`` (mean over tasks), ``core_accuracy_per_task``,
    ``core_torch_accuracy`` (torch's on the same samples), ``core_agreement`` (fraction of equal
    predictions), ``core_synaptic_events_per_sample``, ``core_macs_per_sample`` (the first
    layer, outside the core), ``core_samples_total`` and ``core_seconds_per_sample``; ``dtype``:
    of the core's weights and ring."""
    from spikesim.models.hlop_mlp_lowering import lower_mlp

    net = learner.net.eval()
    acc, acc_torch, agree, events, seconds, macs = [], [], [], [], 0.0, 0
    counted = 0
    for t in range(len(data.x_test)):
        x = np.asarray(data.x_test[t])
        y = np.asarray(data.y_test[t])
        if n_samples:
            x, y = x[:n_samples], y[:n_samples]
        core = lower_mlp(net, task=t if net.n_heads > 1 else 0, backend=backend, dtype=dtype)
        t0 = time.perf_counter()
        _, pred, ev = core.predict(x)
        seconds += time.perf_counter() - t0
        pred_torch = learner.predict(t, x)
        acc.append(float(np.mean(pred == y)))
        acc_torch.append(float(np.mean(pred_torch == y)))
        agree.append(pred == pred_torch)
        events.append(ev)
        macs = core.W1.size
        counted += len(x)
    return {"core_accuracy": float(np.mean(acc)), "core_accuracy_per_task": np.array(acc),
            "core_torch_accuracy": float(np.mean(acc_torch)),
            "core_agreement": float(np.mean(np.concatenate(agree))),
            "core_synaptic_events_per_sample": float(np.mean(np.concatenate(events))),
            "core_macs_per_sample": float(macs), "core_samples_total": int(counted),
            "core_seconds_per_sample": seconds / max(counted, 1)}


__all__ = ["SPIKING", "score_on_core"]
