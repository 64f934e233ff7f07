"""Cross-validation against other simulators: ``spikesim.compare.brian2.run(net, duration)``.
Submodules are imported on first use, so Brian2 is needed only when you compare."""
import importlib


def __getattr__(name):
    if name == "brian2":
        return importlib.import_module("spikesim.compare.brian2")
    raise AttributeError(f"module 'spikesim.compare' has no attribute {name!r}")
