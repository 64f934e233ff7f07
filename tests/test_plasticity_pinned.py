"""The plastic test network gives the spikes and weights pinned in tests/data/pinned_plasticity.npz
(written by tests/pin_plasticity.py with the rule-table engine, before the rule contract), bit for
bit, on the reference and numba backends."""
from pathlib import Path

import numpy as np
import pytest

from pin_plasticity import plastic_arrays

PIN = np.load(Path(__file__).parent / "data" / "pinned_plasticity.npz")


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_plasticity_pinned(backend):
    got = plastic_arrays(backend)
    assert set(got) == set(PIN.files)
    assert PIN["exc/times"].size > 20 and PIN["izh/times"].size > 20
    for k in PIN.files:
        np.testing.assert_array_equal(got[k], PIN[k], err_msg=k)
