"""Parameter and seed sweeps of any paradigm on ``dask.distributed`` (``spikesim sweep``).

    import spikesim.sweep
    table = spikesim.sweep.run("izhikevich-2003", grid={"thalamic_sd_exc": [4.0, 5.0]}, seeds=3,
                               overrides={"duration": 500.0}, out="runs/sweep")
    table.metric("exc/rate_hz")            # columns of one metric: point, seed, model, value, ...

Modules: :mod:`.grid` (points and their hashes), :mod:`.runner` (dask execution, resume, error
capture, thread limits), :mod:`.aggregate` (``sweep.h5``), :mod:`.report` (curves and table),
:mod:`.cli` (the subcommand). dask is imported only when a sweep runs.
"""
from .aggregate import SweepTable, load
from .grid import SweepError, expand
from .runner import run

__all__ = ["SweepError", "SweepTable", "expand", "load", "run"]
