"""The HD-SNN's event-driven inference (Grimaldi & Perrinet 2023): pinned decisions and synaptic
operations of a fixed model on fixed movies.

The pinned values were produced by the event path before it moved onto the core (commit
c953a49, the private ``LoweredDelayLayer`` ring-buffer scatter, numba): the same seeds must give
the same decisions whatever engine runs the lowered layer."""
import numpy as np
import pytest
import torch

from spikesim.io.motion_stimuli import MotionWorld
from spikesim.models.hd_snn import HDSNN, HDSNNEvent, oracle_kernels

KERNEL = (7, 5, 5)
DROP = 7
# decisions of the event path at c953a49 (identical to the dense torch pass), 12 movies
PINNED = {True: [5, 9, 9, 9, 5, 0, 5, 5, 4, 4, 5, 18], False: [5, 0, 9, 9, 5, 1, 5, 5, 5, 5, 5, 18]}
# its synaptic operations per movie: events x non-zero weights met, targets outside the frame included
PINNED_SOPS = {True: [2224698, 2015125, 2114154, 2572451, 2475725, 2289182, 2765903, 1987489, 2708328, 2328333,
                      2450392, 2514876],
               False: [1113470, 1008949, 1060440, 1285016, 1237066, 1144768, 1382273, 994423, 1354695, 1159594,
                       1223780, 1256966]}


@pytest.fixture(scope="module")
def movies():
    world = MotionWorld(n_x=16, n_y=16, n_t=24, seed=5, block_length=float("inf"))
    ev, lab = world.dataset(12, constant=True)
    return world, ev, lab[:, 0]


def _model(world, symmetric):
    """Oracle delay lines with 20 % of their taps removed and sparse noise added, bias 0."""
    w = oracle_kernels(world.phi, world.speed, KERNEL)
    g = np.random.default_rng(11)
    w = w * (g.random(w.shape) < 0.8) + 0.02 * g.standard_normal(w.shape) * (g.random(w.shape) < 0.1)
    m = HDSNN(kernel=KERNEL, symmetric=symmetric, use_mask=False, seed=3)
    with torch.no_grad():
        m.layer.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
        m.layer.bias.zero_()
    m.layer.eval()
    return m


@pytest.mark.parametrize("symmetric", [True, False])
def test_pinned_decisions(movies, symmetric):
    world, ev, _ = movies
    m = _model(world, symmetric)
    dense = m.decide(ev, drop_frames=DROP)
    event = HDSNNEvent(m).decide(ev, drop_frames=DROP)
    np.testing.assert_array_equal(dense, PINNED[symmetric])
    np.testing.assert_array_equal(event, PINNED[symmetric])


@pytest.mark.parametrize("symmetric", [True, False])
def test_pinned_sops(movies, symmetric):
    world, ev, _ = movies
    m = _model(world, symmetric)
    e = HDSNNEvent(m)
    e.decide(ev, drop_frames=DROP)
    np.testing.assert_array_equal(e.last_sops, PINNED_SOPS[symmetric])
