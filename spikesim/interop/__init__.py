"""Interoperability: NIR graphs in and out of the core (:mod:`spikesim.interop.nir`)."""
