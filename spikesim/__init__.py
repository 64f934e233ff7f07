"""spikesim: an event-driven spiking-network simulator (NumPy reference, Numba CPU and CUDA
backends) with four published models on their task paradigms. See README.md."""
__version__ = "0.1.0"

from spikesim.core.result import Result, load  # noqa: E402

__all__ = ["Result", "load", "__version__"]
