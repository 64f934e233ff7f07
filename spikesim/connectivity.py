"""``ss.connectivity``: seeded connectivity rules (see :mod:`spikesim.core.connectivity`) and the
weight-shared :class:`Conv2D` (see :mod:`spikesim.core.conv`)."""
from spikesim.core.conv import Conv2D
from spikesim.core.connectivity import (distance_dependent, fixed_indegree, fixed_outdegree, fixed_probability,
                                        gaussian, one_to_one)

__all__ = ["Conv2D", "distance_dependent", "fixed_indegree", "fixed_outdegree", "fixed_probability", "gaussian", "one_to_one"]
