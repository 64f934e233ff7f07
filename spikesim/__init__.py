"""spikesim: an event-driven spiking-network simulator (NumPy reference, Numba CPU and CUDA
backends) with four published models on their task paradigms. See README.md."""
__version__ = "0.1.0"

from spikesim import inputs, neurons  # noqa: E402
from spikesim.core.network import Network, SimulationError  # noqa: E402
from spikesim.core.result import Result, load  # noqa: E402

__all__ = ["Network", "Result", "SimulationError", "inputs", "load", "neurons", "__version__"]
