"""Imports of optional dependencies with an error that says which extra installs them."""
from __future__ import annotations

import importlib


def require(module: str, extra: str, what: str):
    """``importlib.import_module(module)``, or an ImportError naming ``pip install spikesim[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{what} needs the optional package {module.split('.')[0]!r}: "
                          f"pip install 'spikesim[{extra}]' ({exc})") from None
