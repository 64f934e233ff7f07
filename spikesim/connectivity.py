"""``ss.connectivity``: seeded connectivity rules (see :mod:`spikesim.core.connectivity`)."""
from spikesim.core.connectivity import (distance_dependent, fixed_indegree, fixed_outdegree, fixed_probability,
                                        gaussian, one_to_one)

__all__ = ["distance_dependent", "fixed_indegree", "fixed_outdegree", "fixed_probability", "gaussian", "one_to_one"]
