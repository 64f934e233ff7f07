"""How many threads (ring parts) a numba-backend network gets when ``threads=None``.

A step of the multi-threaded loop has two parallel loops, hence two barriers where the threads
wait for each other (see ``spikesim/backends/numba_cpu/core.py``). On a small network those
barriers cost more than the work they split: measured on the project's 2-core machine (load
0.8), 4,000 LIF neurons with 80 random synapses each and Poisson input took 18.9 ms per 100 ms
on one thread and 45 ms on two (the second thread added 26 us per step to a 19 us step);
20,000 such neurons took 102 ms on one thread, about 5 us per 1,000 neurons per step.

Rule (``threads=None``): one thread per 10,000 neurons (input sources counted) or per 2,000,000 synapses, whichever
gives more, at least 1, at most Numba's thread count (``numba.get_num_threads()``): a thread
gets at least about 50 us of work per step, twice the barriers' measured cost. So a
4,000-neuron script runs on one thread and loads the smaller single-thread kernel; Brunel's
12,500 neurons with 10^7 synapses get every core. The rule only chooses how the work is split:
results are bit-identical for every thread count. ``threads=K`` is always K, and
``SPIKESIM_AUTO_THREADS=0`` makes ``threads=None`` mean every Numba thread (no size rule; the
thread benchmark sets it).
"""
from __future__ import annotations

import os

NEURONS_PER_THREAD = 10_000
SYNAPSES_PER_THREAD = 2_000_000


def default_threads(most: int, n_neurons: int, n_synapses: int) -> int:
    """Threads for ``threads=None``: the rule above, between 1 and ``most``."""
    if os.environ.get("SPIKESIM_AUTO_THREADS", "1") == "0":
        return max(1, int(most))
    k = max(n_neurons // NEURONS_PER_THREAD, n_synapses // SYNAPSES_PER_THREAD, 1)
    return int(min(max(1, int(most)), k))
