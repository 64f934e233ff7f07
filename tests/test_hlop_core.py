"""HLOP's subspace rule on spikes of the event-driven core: LIF neurons simulated by
``spikesim.Network`` (numba backend); their spike events drive the numba Oja kernel through
exponential traces, and the torch HLOP module learns from the same spikes as dense rasters.
Both must learn the same subspace: orthonormal rows spanning the top principal subspace."""
import numpy as np
import torch
from scipy.linalg import subspace_angles

import spikesim as ss
from spikesim.backends.numba_cpu import oja_subspace as nb
from spikesim.nn.hlop import HLOPSubspace
from spikesim.nn.hlop_mlp import weighted_rate
from spikesim.plasticity.oja_subspace import OjaSubspaceRule, SubspaceState


def test_core_spikes_train_the_same_subspace_in_numba_and_torch():
    rng = np.random.default_rng(5)
    n, k, T, B, n_batches, dt = 40, 3, 40, 16, 150, 1.0
    U = np.abs(np.linalg.qr(rng.standard_normal((n, k)))[0])
    latent = rng.random((n_batches * B, k))
    drive = 14.0 + 100.0 * latent @ U.T                            # mV, one constant per window
    current = np.repeat(drive, T, axis=0)                          # (n_steps, n)
    net = ss.Network(dt=dt, seed=1, backend="numba")
    pop = net.add(ss.neurons.LIF(n, tau_m=4.0, t_ref=1.0), name="pre")
    net.inject(pop, current)
    net.record(pop, spikes=True)
    res = net.run(len(current) * dt)
    times, ids = res.spikes("pre")
    steps = np.rint(times / dt).astype(np.int64)
    assert len(steps) > 1000

    tau_over_dt = T / 4
    beta = np.exp(-1.0 / tau_over_dt)
    rule = OjaSubspaceRule(lr=0.3, iterations=30)
    st = SubspaceState(n)
    st.add_rows(k, np.random.default_rng(0))
    mod = HLOPSubspace(n, rule, dtype=torch.float64)
    mod.add_subspace(k, np.random.default_rng(0))
    rates = []
    for b in range(n_batches):
        sel = (steps >= b * B * T) & (steps < (b + 1) * B * T)
        local = steps[sel] - b * B * T
        t_in, s_in, j_in = local % T, local // T, ids[sel]
        X = nb.update_from_spike_events(st, rule, t_in, s_in, j_in, T=T, B=B, beta=beta)
        raster = np.zeros((T, B, n))
        raster[t_in, s_in, j_in] = 1.0
        mod.hebbian_update(weighted_rate(torch.as_tensor(raster), 1.0, tau_over_dt))
        rates.append(X)
    assert np.abs(st.H - mod.H.numpy()).max() < 1e-6
    assert np.linalg.norm(st.H @ st.H.T - np.eye(k)) < 1e-2
    X = np.concatenate(rates)
    top = np.linalg.eigh(X.T @ X)[1][:, -k:]
    # constant-rate Oja learning fluctuates around the subspace (here the spike-count noise floor
    # is close to the 2nd/3rd eigenvalues), so compare with chance: a random 3-d subspace of
    # R^40 has a largest principal angle of about 80 degrees
    rand = np.linalg.qr(np.random.default_rng(1).standard_normal((n, k)))[0]
    chance = np.degrees(subspace_angles(rand, top)).max()
    assert np.degrees(subspace_angles(st.H.T, top)).max() < 0.25 * chance
