"""Brian2's own benchmark networks, written the Brian2 way, against the same networks built with
spikesim's models (:mod:`spikesim.compare.brian2_examples`): Brette et al. (2007) CUBA
(Brian2 examples/CUBA.py: LIF + exponential currents tau_e 5 / tau_i 10 ms), COBA (Vogels &
Abbott 2005: LIF + conductances) and COBAHH (examples/COBAHH.py: Hodgkin-Huxley +
conductances), 4000 neurons, 1 s. The two simulators draw different random networks and
initial states (Brian2 with its own ``rand``/``connect(p=...)``), so only statistics are
compared: the mean firing rate within 5 % and the mean ISI CV within 10 % (the issue's bars),
each averaged over the listed seeds on both sides. Brian2 runs on its numpy target.

Measured (numpy target, 2-core loaded machine, 11 minutes for the file): CUBA (seeds 1, 2)
spikesim 5.696 Hz / CV 0.5255, Brian2 5.567 Hz / 0.5212 (rate +2.3 %, CV +0.8 %); COBA (seeds
1-3, after the 100 ms start) spikesim 19.24 Hz / 1.489, Brian2 18.56 Hz / 1.498 (+3.7 %, -0.6 %).

COBAHH: its rate is a property of the random network drawn (spikesim, seeds 1-8: 33.1-46.4 Hz,
each stable within 1-2 Hz over 4 s), so two simulators' own draws cannot be compared with a few
seeds (one seed each gave +7.8 %). Here Brian2's script runs on spikesim's realization
(connectivity and initial state; Brian2's equations, exponential Euler and spike handling), for
three realizations. Measured (numpy target; the cython target gave the same rates):
spikesim 41.19 / 33.26 / 47.16 Hz, Brian2 41.07 / 34.86 / 45.89 Hz, mean 40.54 vs 40.61 Hz
(-0.2 %), CV 1.977 vs 1.937 (+2.0 %); 110 s. Before Hodgkin-Huxley integrated the synaptic
conductances inside its exponential step (it received them as a current at the step's starting
v), the same realizations gave 39.14 / 33.13 / 46.44 Hz (-2.6 %). All are ``slow``.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("brian2")
from spikesim.analysis.spike_stats import mean_isi_cv, mean_rate  # noqa: E402
from spikesim.compare import brian2_examples as ex  # noqa: E402

N, T = 4000, 1000.0


def _stats(name, seeds, t0=0.0, same_network=False):
    ours, theirs = [], []
    for seed in seeds:
        net = ex.SPIKESIM[name](N=N, seed=seed)
        kw = {"realization": ex.cobahh_realization(net)} if same_network else {}
        t, i = net.run(T).spikes("P")
        keep = t >= t0
        ours.append((mean_rate(t[keep], i[keep], N, T - t0), mean_isi_cv(t[keep], i[keep], N)))
        t, i = ex.BRIAN2[name](T, N=N, seed=seed, **kw)
        keep = t >= t0
        theirs.append((mean_rate(t[keep], i[keep], N, T - t0), mean_isi_cv(t[keep], i[keep], N)))
    return np.mean(ours, axis=0), np.mean(theirs, axis=0), ours, theirs


def _check(name, seeds, t0=0.0, same_network=False):
    (r1, c1), (r2, c2), ours, theirs = _stats(name, seeds, t0, same_network)
    msg = (f"{name}: spikesim rate {r1:.3f} Hz CV {c1:.4f}, Brian2 rate {r2:.3f} Hz CV {c2:.4f} "
           f"(per seed: spikesim {np.round(ours, 3).tolist()}, Brian2 {np.round(theirs, 3).tolist()})")
    print(msg)
    assert r2 > 1.0 and np.isfinite(c2), msg
    assert abs(r1 - r2) <= 0.05 * r2, msg
    assert abs(c1 - c2) <= 0.10 * c2, msg


@pytest.mark.slow
def test_cuba_matches_brian2_example():
    _check("cuba", (1, 2))


@pytest.mark.slow
def test_coba_matches_brian2_example():
    _check("coba", (1, 2, 3), t0=100.0)      # after the 50 ms starting stimulus


@pytest.mark.slow
def test_cobahh_matches_brian2_example():
    _check("cobahh", (1, 6, 8), same_network=True)      # three realizations: 33-47 Hz
