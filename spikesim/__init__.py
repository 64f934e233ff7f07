"""spikesim: an event-driven spiking-network simulator (NumPy reference, Numba CPU and CUDA
backends) with four published models on their task paradigms. See README.md."""
__version__ = "0.1.0"

from spikesim import connectivity, inputs, neurons, synapses  # noqa: E402
from spikesim.core.network import Network, SimulationError  # noqa: E402
from spikesim.core.readout import Readout  # noqa: E402
from spikesim.core.result import NotAResultFileError, Result, load  # noqa: E402

_LAZY = ("analysis", "compare", "io", "nn", "plasticity", "plot")


def __getattr__(name):
    """``ss.compare.brian2``, ``ss.plasticity.STDP``, ... without importing them up front."""
    if name in _LAZY:
        import importlib
        return importlib.import_module(f"spikesim.{name}")
    raise AttributeError(f"module 'spikesim' has no attribute {name!r}")


__all__ = ["connectivity", "synapses", "Network", "NotAResultFileError", "Readout", "Result", "SimulationError", "inputs", "load", "neurons", "__version__"]
