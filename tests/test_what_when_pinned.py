"""A short same-seed what-when trial sequence gives the spikes, readout output and learned
weights pinned in tests/data/pinned_what_when.npz (tests/pin_what_when.py), bit for bit, on the
reference and numba backends (the reservoir on the core; see tests/pin_what_when.py for the
history of the pin)."""
from pathlib import Path

import numpy as np
import pytest

from pin_what_when import pinned_trials

PIN = np.load(Path(__file__).parent / "data" / "pinned_what_when.npz")


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_what_when_pinned(backend):
    got = pinned_trials(backend)
    assert set(got) == set(PIN.files)
    assert PIN["t0/times"].size > 100 and np.any(PIN["w_when"] != 0) and np.any(PIN["v_what"] != 0)
    for k in PIN.files:
        np.testing.assert_array_equal(got[k], PIN[k], err_msg=k)
