"""Write tests/data/pinned_core.npz: spikes and state of the core networks (Poisson-free
variants) as computed by the engine at the time of writing, for test_core_pinned.py.

Run ``python tests/pin_core.py`` only when a change of the recorded numbers is intended and
explained in the commit message."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from core_networks import izhikevich_2003, lif_delays, mixed_izhikevich_lif  # noqa: E402

PINNED = {"izhikevich_2003": lambda b: izhikevich_2003(b),
          "lif_delays": lambda b: lif_delays(b, poisson=False),
          "mixed": lambda b: mixed_izhikevich_lif(b, poisson=False)}


def flatten(res, prefix):
    out = {}
    for pop in res.populations:
        if pop in res._spikes:
            t, i = res.spikes(pop)
            out[f"{prefix}/{pop}/times"], out[f"{prefix}/{pop}/ids"] = t, i
        for var in res._state.get(pop, {}):
            out[f"{prefix}/{pop}/{var}"] = res.state(pop, var)
    return out


if __name__ == "__main__":
    arrays = {}
    for name, build in PINNED.items():
        net, duration = build("numba")
        arrays.update(flatten(net.run(duration), name))
    np.savez_compressed(Path(__file__).parent / "data" / "pinned_core.npz", **arrays)
    print(f"pinned {len(arrays)} arrays")
