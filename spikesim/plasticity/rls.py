"""Recursive least squares (FORCE) readout update: Sussillo & Abbott 2009; Nicola & Clopath 2017.

For a readout z = w . r with error err = z - target and inverse-correlation estimate P:

    k     = P r
    c     = 1 / (1 + r . k)
    P    <- P - c k k^T
    w    <- w - c * err * k

P(0) = I / alpha. Without resets, RLS is the running least-squares fit over *all* past samples,
so after a change of statistics it adapts only as n0 / (n0 + dn) (the "FORCE needs resets"
effect of Yamada & Chao 2025). Plain arithmetic per element, compiled by the Numba driver.
"""
from __future__ import annotations


def rls_gain(r_dot_k):
    """c = 1 / (1 + r . P r)."""
    return 1.0 / (1.0 + r_dot_k)
