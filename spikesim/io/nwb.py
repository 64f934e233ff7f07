"""A :class:`~spikesim.Result` as an NWB file (Neurodata Without Borders, pynwb), readable by
any NWB tool (``pynwb.NWBHDF5IO(path, "r")``, NWB Widgets, DANDI).

Layout:

* the **units table** holds one unit per recorded neuron that spiked, with its spike times in
  seconds (NWB's unit) and the columns ``population`` and ``neuron_id`` (local id);
* each recorded state variable is a ``TimeSeries`` named ``<population>.<variable>`` (values
  (n_samples, n_recorded), timestamps in seconds) in the processing module ``spikesim``;
  its unit is ``units.get(variable, "a.u.")``;
* the run's config, meta and metrics go into the file's ``notes`` (one JSON object
  ``{"config": ..., "meta": ..., "metrics": ...}``) and, each as its own JSON text, into
  ``scratch`` (``spikesim_config``, ``spikesim_meta``, ``spikesim_metrics``).

The file is written to a temporary name and renamed (:mod:`spikesim.io.atomic`).
"""
from __future__ import annotations

import datetime as _dt
import json
import uuid
import warnings
from pathlib import Path

import numpy as np

from spikesim.io.optional import require


def _start_time(meta):
    text = meta.get("start_time")
    try:
        t = _dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        t = _dt.datetime.now(_dt.timezone.utc)
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


def _json(obj):
    from spikesim.core.result import _json_default

    def default(o):
        try:
            return _json_default(o)
        except TypeError:
            return repr(o)
    return json.dumps(obj, default=default, sort_keys=True)


def to_nwb(result, path, session_description: str = "spikesim simulation", units: dict | None = None,
           identifier: str | None = None) -> Path:
    """Write ``result`` to ``path`` as an NWB 2 file; returns the path."""
    pynwb = require("pynwb", "nwb", "Result.to_nwb")
    from spikesim.io.atomic import atomic_write
    units = dict(units or {})
    nwb = pynwb.NWBFile(session_description=session_description, identifier=identifier or str(uuid.uuid4()),
                        session_start_time=_start_time(result.meta),
                        notes=_json({"config": result.config, "meta": result.meta, "metrics": result.metrics}),
                        source_script="spikesim", source_script_file_name="spikesim")
    for name, obj in (("spikesim_config", result.config), ("spikesim_meta", result.meta),
                      ("spikesim_metrics", result.metrics)):
        nwb.add_scratch(_json(obj), name=name, description=f"the run's {name.split('_')[1]} as JSON")
    pops = [p for p in result.populations if p in result._spikes]
    if pops:
        nwb.add_unit_column(name="population", description="spikesim population name")
        nwb.add_unit_column(name="neuron_id", description="neuron id within its population")
        for pop in pops:
            t, ids = result.spikes(pop)
            order = np.lexsort((t, ids))
            t, ids = t[order], ids[order]
            bounds = np.flatnonzero(np.diff(ids)) + 1
            for chunk_t, chunk_i in zip(np.split(t, bounds), np.split(ids, bounds)):
                if chunk_t.size:
                    nwb.add_unit(spike_times=chunk_t * 1e-3, population=pop, neuron_id=int(chunk_i[0]))
    states = [(p, v) for p in result.populations if p in result._state for v in result._state[p]]
    if states:
        mod = nwb.create_processing_module(name="spikesim", description="state variables recorded by spikesim")
        for pop, var in states:
            mod.add(pynwb.TimeSeries(name=f"{pop}.{var}", data=np.asarray(result.state(pop, var)),
                                     unit=str(units.get(var, "a.u.")),
                                     timestamps=np.asarray(result.state_times(pop), dtype=np.float64) * 1e-3,
                                     description=f"state variable {var!r} of population {pop!r}"))
    path = Path(path)
    with atomic_write(path) as (tmp, checkpoint), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not end in '.nwb'")     # the temporary name
        with pynwb.NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        checkpoint()
    return path
