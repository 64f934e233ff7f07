"""Without training: hand-built delay-line kernels detect the motion classes of the stimuli, and
the same lines with reversed directions do not. Checks stimuli, delay convention and protocol."""
import numpy as np
import pytest
import torch

from spikesim.analysis.motion import accuracy_band
from spikesim.io.motion_stimuli import MotionWorld
from spikesim.models.hd_snn import HDSNN, HDSNNEvent, oracle_kernels


@pytest.fixture(scope="module")
def test_movies():
    world = MotionWorld(n_x=32, n_y=32, n_t=40, seed=77, block_length=float("inf"))
    ev, lab = world.dataset(36, constant=True)
    return world, ev, lab[:, 0]


def _model(w):
    m = HDSNN(kernel=w.shape[2:], symmetric=False, use_mask=False)
    m.layer.eval()
    with torch.no_grad():
        m.layer.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
        m.layer.bias.zero_()
    return m


def test_delay_lines_detect_motion(test_movies):
    world, ev, y = test_movies
    kernel = (11, 9, 9)
    good = _model(oracle_kernels(world.phi, world.speed, kernel))
    acc, lo, _ = accuracy_band(good.decide(ev, drop_frames=11) == y)
    assert lo > 8 / 36                        # chance is 1/36
    reverse = _model(oracle_kernels(world.phi + np.pi, world.speed, kernel))
    acc_rev, _, hi_rev = accuracy_band(reverse.decide(ev, drop_frames=11) == y)
    assert hi_rev < acc
    # the event-driven lowering makes the same decisions
    np.testing.assert_array_equal(HDSNNEvent(good).decide(ev, drop_frames=11), good.decide(ev, drop_frames=11))
