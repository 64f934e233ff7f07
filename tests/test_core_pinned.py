"""The core networks give the spikes and state pinned in tests/data/pinned_core.npz (written by
tests/pin_core.py before the open-core rewrite), bit for bit, on the reference and numba backends."""
import numpy as np
import pytest

from pin_core import PINNED, flatten

PIN = np.load(__import__("pathlib").Path(__file__).parent / "data" / "pinned_core.npz")


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("name", list(PINNED))
def test_pinned(name, backend):
    net, duration = PINNED[name](backend)
    got = flatten(net.run(duration), name)
    want = {k: PIN[k] for k in PIN.files if k.startswith(name + "/")}
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
