"""The plan (CSR order, segments, ring layout, STP and plasticity tables) of a few networks is
the one pinned in tests/data/pinned_plan.json (written by tests/pin_plan.py before the plan
builder was made faster): a change to how the plan is built must not change the plan."""
import json
from pathlib import Path

import pytest

from pin_plan import PARTS, networks, plan_hashes, plan_of

PINNED = json.loads((Path(__file__).parent / "data" / "pinned_plan.json").read_text())


@pytest.mark.parametrize("name", sorted(networks()))
def test_plan_arrays_are_the_pinned_ones(name):
    make = networks()[name]
    for k in PARTS:
        got = plan_hashes(plan_of(make(), k))
        want = PINNED[f"{name}/{k}"]
        assert sorted(got) == sorted(want)
        diff = sorted(a for a in want if got[a] != want[a])
        assert not diff, f"{name} with {k} parts: arrays differ from the pinned plan: {diff}"
