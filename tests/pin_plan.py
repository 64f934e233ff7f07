"""Write tests/data/pinned_plan.json: a hash of every array of the plans of a few networks (the
CSR, segments, ring layout, STP and plasticity tables), for test_plan_pinned.py, so that a
faster plan builder can be checked to build the same plans.

Run ``python tests/pin_plan.py`` only when a change of the plan is intended and explained in the
commit message."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import spikesim as ss  # noqa: E402
from spikesim.core.plan import build_plan  # noqa: E402


def random_pairs(backend="numba"):
    """Random (pre, post) pairs with multapses, per-synapse delays, two synapse models onto one
    population, a Delta projection and a self-projection: the orderings the plan must keep."""
    rng = np.random.default_rng(11)
    net = ss.Network(dt=0.1, seed=2, backend=backend)
    a = net.add(ss.neurons.LIF(300), name="a")
    b = net.add(ss.neurons.Izhikevich(200), name="b")
    src = net.add(ss.inputs.Poisson(100, rate_hz=10.0), name="src")
    n = 20_000
    i, j = rng.integers(0, 300, n), rng.integers(0, 300, n)
    net.connect(a, a, (i, j, rng.normal(0, 1, n)), delays=rng.uniform(0.1, 5.0, n), target="I_syn")
    i, j = rng.integers(0, 300, 5000), rng.integers(0, 200, 5000)
    net.connect(a, b, (i, j, rng.uniform(0, 2, 5000)), delays=rng.uniform(0.1, 3.0, 5000),
                synapse=ss.synapses.Exponential(5.0))
    net.connect(src, b, (rng.integers(0, 100, 3000), rng.integers(0, 200, 3000), np.ones(3000)), delays=0.5,
                target="v")
    pre, post, w = ss.connectivity.fixed_probability(100, 300, 0.1, weight=0.7, seed=5)
    net.connect(src, a, (pre, post, w), delays=rng.uniform(0.2, 1.0, pre.size), target="I_syn")
    net.record(a)
    return net, 10.0


def networks():
    from core_networks import NETWORKS
    from test_core_plasticity import plastic_network
    from test_core_threads import stp_network
    out = {f"{k}": (lambda k=k: NETWORKS[k]("numba")[0]) for k in sorted(NETWORKS)}
    out["stp"] = lambda: stp_network()[0]
    out["plastic"] = lambda: plastic_network("numba")[0]
    out["random_pairs"] = lambda: random_pairs()[0]
    return out


def plan_of(net, n_parts: int):
    return build_plan(net.dt, net.seed, net._pops, net._projections, net._injections, net._records,
                      net.max_delay_steps, net._readouts, n_parts=n_parts)


def digest(a) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha1(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()[:16]


def plan_hashes(p) -> dict:
    out = {}
    for k, v in vars(p).items():
        if isinstance(v, np.ndarray):
            out[k] = digest(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = repr(v)
    for r, rp in enumerate(p.rules):
        for k, v in vars(rp).items():
            if isinstance(v, np.ndarray):
                out[f"rules[{r}].{k}"] = digest(v)
    for q, pp in enumerate(p.pops):
        for k, v in vars(pp).items():
            if isinstance(v, np.ndarray):
                out[f"pops[{q}].{k}"] = digest(v)
    for m, mon in enumerate(p.monitors):
        out[f"monitors[{m}].ids"] = digest(mon.ids)
    return out


PARTS = (1, 3)

if __name__ == "__main__":
    pinned = {}
    for name, make in networks().items():
        for k in PARTS:
            pinned[f"{name}/{k}"] = plan_hashes(plan_of(make(), k))
    (HERE / "data" / "pinned_plan.json").write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n")
    print(f"pinned {len(pinned)} plans")
