"""What the object model and the kernels agree on: status codes and counter slots.

Kernels import this module and nothing of :mod:`spikesim.core`.

``run_steps(step0, step1, ...) -> (status, next_step)``:
  * ``STATUS_DONE``: every requested step ran;
  * ``STATUS_BUFFER_FULL``: the spike buffer could overflow in the next step (the caller grows
    it and calls again from ``next_step``);
  * ``STATUS_NONFINITE``: a state variable of population ``counters[C_BAD_POP]`` became
    NaN/inf in step ``next_step`` (the state is left as it was computed).

``counters``: ``C_SPIKES`` recorded spikes so far in this run, ``C_EVENTS`` synaptic events
(spikes x out-degree) since the network was built, ``C_BAD_POP``, then one read pointer per
population into the spike-source schedule from ``C_SRC0``.
"""
STATUS_DONE, STATUS_BUFFER_FULL, STATUS_NONFINITE = 0, 1, 2
C_SPIKES, C_EVENTS, C_BAD_POP, C_SRC0 = 0, 1, 2, 3
