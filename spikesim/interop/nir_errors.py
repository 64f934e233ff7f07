"""The error a NIR graph that cannot be imported or exported raises."""
from __future__ import annotations


class NIRImportError(ValueError):
    """A NIR graph (or a network to export) that spikesim cannot map; the message names the node
    (or edge, or population) and its type."""
