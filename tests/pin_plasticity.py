"""Write tests/data/pinned_plasticity.npz: spikes and learned weights of the plastic test network
(STDP + reward-modulated STDP + a static projection, tests/test_core_plasticity.py) as computed by
the rule-table engine before plasticity moved to the rule contract, for test_plasticity_pinned.py.

Run ``python tests/pin_plasticity.py`` only when a change of the recorded numbers is intended and
explained in the commit message."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from test_core_plasticity import plastic_network  # noqa: E402


def plastic_arrays(backend: str) -> dict[str, np.ndarray]:
    net, p1, p2, duration = plastic_network(backend)
    res = net.run(duration)
    out = {}
    for pop in ("exc", "izh"):
        out[f"{pop}/times"], out[f"{pop}/ids"] = res.spikes(pop)
    out["w_stdp"], out["w_rstdp"] = net.weights(p1), net.weights(p2)
    out["v_exc"] = net.get_state("exc", "v")
    return out


if __name__ == "__main__":
    arrays = plastic_arrays("numba")
    np.savez_compressed(Path(__file__).parent / "data" / "pinned_plasticity.npz", **arrays)
    print(f"pinned {len(arrays)} arrays")
