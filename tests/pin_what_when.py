"""Write tests/data/pinned_what_when.npz: a short same-seed sequence of what-when training trials
(N = 80 reservoir, three trials A, B, A, then a cue-only probe) with its spikes, when readout
output and learned what/when weights, for test_what_when_pinned.py.

History: the first pin (commit bd0b7c0) recorded the private reservoir engine
(backends/*/reservoir.py, net.m's step order, NumPy noise) before the reservoir moved onto
ss.Network; the metrics of ``spikesim run what-when --preset quick`` of that engine are kept in
tests/data/what_when_quick_private.json. The reservoir on the core (step order of
spikesim.core.network, in-loop ziggurat noise) gives other spikes by design, so the pin was
rewritten from the core (commit "what-when on the core: the private reservoir engine is
deleted"). The what readout's dot products went through BLAS, whose kernel depends on the CPU
(the pin failed in its last bits on an AMD EPYC machine); they are sums in index order now
(spikesim.analysis.ordered_sums) and the pin was rewritten (what-when outputs y and v_what
changed by <= 3e-17, spikes and when weights unchanged). The teacher profiles went through
``np.exp``, whose float64 loop is NumPy's own AVX-512 code on CPUs that have it and libm's
``exp`` elsewhere, so they differed in their last bits between machines (the pin failed on an
AMD EPYC without AVX-512: spikes equal, when output within 2.2e-16); they are ``math.exp`` now
(libm everywhere) and the pin was rewritten on that machine, where ``np.exp`` and ``math.exp``
agree on these inputs. Run ``python tests/pin_what_when.py`` only when a change of the recorded numbers is
intended and explained in the commit message."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spikesim.models.izhikevich_reservoir import ReservoirModel, config_with  # noqa: E402

S, CUE = 300, 50
EVENTS = (0, 1, 0, -1)


def pinned_trials(backend: str, **over) -> dict[str, np.ndarray]:
    cfg = config_with(None, n=80, p_conn=0.2, eta_when=0.05, **over)
    model = ReservoirModel(cfg, seed=5, backend=backend)
    amp = np.zeros((S, 3))
    amp[CUE:CUE + 40, 0] = 1.0
    t = np.arange(S)
    prof = np.stack([[math.exp(-0.5 * ((s - CUE - lat) / 20.0) ** 2) for s in t] for lat in (120, 200)], axis=1)
    out = {}
    for j, ev in enumerate(EVENTS):
        o = model.trial(amp, prof, ev, cue_step=CUE, what_steps=(CUE, CUE + 80), latency_steps=(120, 200),
                        learn=ev >= 0, record_spikes=True)
        out[f"t{j}/times"], out[f"t{j}/ids"] = o.spike_times, o.spike_ids
        out[f"t{j}/zhat"], out[f"t{j}/y"], out[f"t{j}/rbar"] = o.zhat, o.y, o.rbar
    w = model.readout_weights()
    out["w_when"], out["v_what"] = w["when"], w["what"]
    return out


if __name__ == "__main__":
    arrays = pinned_trials("numba")
    np.savez_compressed(Path(__file__).parent / "data" / "pinned_what_when.npz", **arrays)
    print(f"pinned {len(arrays)} arrays; spikes per trial",
          [arrays[f't{j}/times'].size for j in range(len(EVENTS))])
