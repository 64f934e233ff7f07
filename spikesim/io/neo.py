"""A :class:`~spikesim.Result` as a neo ``Block`` (the data model of Elephant, Neo's I/O and
SpikeInterface-adjacent tools).

One ``Segment`` holds a ``SpikeTrain`` (times in ms) per neuron and an ``AnalogSignal`` per
recorded state variable (``units.get(variable)``, dimensionless by default; sampled at the
recording interval, starting at the first sample time); one ``Group`` per population collects
its trains and signals. Every train is annotated with ``population`` and ``neuron_id``;
``n_neurons={pop: n}`` adds empty trains for the neurons that did not spike (by default only
the ids that spiked get a train). The segment spans ``[t_start, t_stop)`` from the result's
meta (``t_start``, ``steps`` * ``dt``) when known, else up to one step after the last spike.
Config and meta are the block's annotations (as JSON text, neo annotations being flat).
"""
from __future__ import annotations

import numpy as np

from spikesim.io.optional import require


def _span(result):
    meta = result.meta
    dt = float(meta.get("dt", result.config.get("dt", 0.0)) or 0.0)
    t0 = float(meta.get("t_start", 0.0) or 0.0)
    if "steps" in meta and dt > 0:
        return t0, t0 + int(meta["steps"]) * dt
    last = max((float(np.max(result.spikes(p)[0])) for p in result.populations
                if p in result._spikes and result.spikes(p)[0].size), default=t0)
    for p in result.populations:
        if p in result._state_times and result.state_times(p).size:
            last = max(last, float(result.state_times(p)[-1]))
    return t0, last + (dt if dt > 0 else 1.0)


def to_neo(result, n_neurons: dict | None = None, units: dict | None = None):
    """``result`` as a ``neo.Block``."""
    neo = require("neo", "neo", "Result.to_neo")
    pq = require("quantities", "neo", "Result.to_neo")
    from spikesim.io.nwb import _json
    n_neurons, units = dict(n_neurons or {}), dict(units or {})
    t_start, t_stop = _span(result)
    block = neo.Block(name="spikesim", config=_json(result.config), meta=_json(result.meta))
    seg = neo.Segment(name="run")
    block.segments.append(seg)
    for pop in result.populations:
        group = neo.Group(name=pop)
        block.groups.append(group)
        if pop in result._spikes:
            t, ids = result.spikes(pop)
            n = max(int(n_neurons.get(pop, 0)), int(ids.max()) + 1 if ids.size else 0)
            present = set(np.unique(ids).tolist())
            for k in range(n):
                if k not in present and pop not in n_neurons:
                    continue
                tk = np.sort(t[ids == k])
                st = neo.SpikeTrain(tk * pq.ms, t_start=t_start * pq.ms, t_stop=max(t_stop, tk[-1] + 1e-9 if tk.size
                                    else t_stop) * pq.ms, name=f"{pop}[{k}]", population=pop, neuron_id=k)
                seg.spiketrains.append(st)
                group.add(st)
        if pop in result._state:
            times = np.asarray(result.state_times(pop), dtype=np.float64)
            period = float(np.diff(times[:2])[0]) if times.size > 1 else float(result.config.get("dt", 1.0))
            for var, arr in result._state[pop].items():
                sig = neo.AnalogSignal(np.asarray(arr, dtype=np.float64), units=units.get(var, "dimensionless"),
                                       sampling_period=period * pq.ms, t_start=(times[0] if times.size else 0.0) * pq.ms,
                                       name=f"{pop}.{var}", population=pop, variable=var)
                seg.analogsignals.append(sig)
                group.add(sig)
    return block


def spike_trains(block, population: str):
    """The spike trains of ``population`` in a block made by :func:`to_neo`, by neuron id."""
    return {st.annotations["neuron_id"]: st for st in block.segments[0].spiketrains
            if st.annotations.get("population") == population}

