"""Task paradigms, found by name. Each entry of ``_MODULES`` names a package ``paradigms/<name>/``
(config + presets in ``config.py``, the run in ``run.py``, figures in ``figures.py``; see
:mod:`spikesim.paradigms.base` for the protocol) that exposes ``PARADIGM``.

Modules are imported only when a paradigm is asked for, so ``spikesim list`` and the core never
pay for torch unless a paradigm needs it.
"""
from __future__ import annotations

import importlib

from .base import ConfigError, Paradigm, config_fields

_MODULES = {
    "izhikevich-2003": "izhikevich_2003",
    "what-when": "what_when",
    "motion": "motion",
    "continual": "continual",
    "images": "images",
}


class UnknownParadigmError(ValueError):
    pass


def names() -> list[str]:
    """Registered paradigm names."""
    return list(_MODULES)


def get(name: str) -> Paradigm:
    """The paradigm called ``name``; a clear error for an unknown name."""
    if name not in _MODULES:
        raise UnknownParadigmError(f"unknown paradigm {name!r}; known paradigms: {', '.join(_MODULES)}")
    try:
        module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{_MODULES[name]}":
            raise UnknownParadigmError(f"paradigm {name!r} is registered but not implemented in this version") from None
        raise
    return module.PARADIGM


__all__ = ["ConfigError", "Paradigm", "UnknownParadigmError", "get", "names"]
