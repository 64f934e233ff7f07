"""The classic network of Izhikevich (2003), "Simple model of spiking neurons", IEEE TNN 14(6),
as in the paper's MATLAB program net.m.

800 excitatory regular-spiking-to-chattering cells and 200 inhibitory fast-spiking-to-low-
threshold cells, with r_e, r_i ~ U(0, 1) per neuron:

    exc: a = 0.02,            b = 0.2,             c = -65 + 15 r_e^2,  d = 8 - 6 r_e^2
    inh: a = 0.02 + 0.08 r_i, b = 0.25 - 0.05 r_i, c = -65,             d = 2

All-to-all synapses S (pre -> post): 0.5 U(0,1) from excitatory, -U(0,1) from inhibitory cells,
delivered as a one-step current pulse one step (1 ms) after the spike (net.m adds
``sum(S(:, fired), 2)`` to I). "Thalamic" input: a fresh Gaussian current every step, sd 5 for
excitatory and 2 for inhibitory cells; here it is drawn up front with seeded NumPy and injected
as a current array, so any simulator given the same arrays sees the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import spikesim as ss


@dataclass
class Izhikevich2003Arrays:
    """Every number of the network, drawn once from a seed."""

    exc_params: dict
    inh_params: dict
    w_ee: np.ndarray
    w_ei: np.ndarray
    w_ie: np.ndarray
    w_ii: np.ndarray
    thalamic_exc: np.ndarray  # (n_steps, n_exc)
    thalamic_inh: np.ndarray  # (n_steps, n_inh)


def draw_arrays(n_exc: int = 800, n_inh: int = 200, n_steps: int = 1000, seed: int = 0,
                thalamic_sd_exc: float = 5.0, thalamic_sd_inh: float = 2.0) -> Izhikevich2003Arrays:
    rng = np.random.default_rng(seed)
    r_e, r_i = rng.random(n_exc), rng.random(n_inh)
    exc = dict(a=0.02, b=0.2, c=-65.0 + 15.0 * r_e ** 2, d=8.0 - 6.0 * r_e ** 2)
    inh = dict(a=0.02 + 0.08 * r_i, b=0.25 - 0.05 * r_i, c=-65.0, d=2.0)
    w_exc = 0.5 * rng.random((n_exc, n_exc + n_inh))
    w_inh = -rng.random((n_inh, n_exc + n_inh))
    th_e = thalamic_sd_exc * rng.standard_normal((n_steps, n_exc))
    th_i = thalamic_sd_inh * rng.standard_normal((n_steps, n_inh))
    return Izhikevich2003Arrays(exc, inh, w_exc[:, :n_exc], w_exc[:, n_exc:], w_inh[:, :n_exc], w_inh[:, n_exc:],
                                th_e, th_i)


def build_network(arrays: Izhikevich2003Arrays, dt: float = 1.0, seed: int = 0, backend: str = "numba",
                  method: str = "izhikevich2003", record_state: tuple[str, ...] = (),
                  record_every: int = 1) -> ss.Network:
    """A :class:`spikesim.Network` of the 2003 model from ``arrays`` (dt must be 1 ms, as the
    thalamic input is one draw per millisecond). Spikes of "exc" and "inh" are recorded, and
    ``record_state`` of "exc" every ``record_every`` steps."""
    net = ss.Network(dt=dt, seed=seed, backend=backend)
    exc = net.add(ss.neurons.Izhikevich(arrays.w_ee.shape[0], **arrays.exc_params, method=method), name="exc")
    inh = net.add(ss.neurons.Izhikevich(arrays.w_ii.shape[0], **arrays.inh_params, method=method), name="inh")
    for pre, post, w in ((exc, exc, arrays.w_ee), (exc, inh, arrays.w_ei), (inh, exc, arrays.w_ie),
                         (inh, inh, arrays.w_ii)):
        net.connect(pre, post, w, delays=dt, target="I")
    net.inject(exc, arrays.thalamic_exc)
    net.inject(inh, arrays.thalamic_inh)
    net.record(exc, spikes=True, state=record_state, every=record_every)
    net.record(inh, spikes=True)
    return net
