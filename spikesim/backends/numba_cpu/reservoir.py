"""Numba driver for one trial of a reservoir with online readout learning (what-when paradigm).

One call runs every step of one trial inside a single compiled loop: neuron update (Izhikevich
scalar maths from :mod:`spikesim.neurons.izhikevich`, or a tanh rate unit), recurrent propagation
(CSR grouped by presynaptic neuron), input channels, feedback of the timing readout, filtered
spike-train features, the readout, and the online "when" rule every step (gated three-factor NLMS
from :mod:`spikesim.plasticity.three_factor`, or RLS/FORCE from :mod:`spikesim.plasticity.rls`).
Random numbers are drawn beforehand (``noise``) so the NumPy reference sees the same numbers.

Step order (step s, time s*dt), identical in :mod:`spikesim.backends.reference.reservoir`:
  1. spiking: neurons with v >= v_peak spike (recorded at time s*dt) and are reset;
     rate: phi = tanh(x)
  2. synaptic current: isyn <- syn_decay * isyn + sum over presynaptic j (ascending) of
     w_ij * s_j  (s_j = spike 0/1, or phi_j for rate units); syn_decay = 0: net.m pulse synapses
  3. current I = bias + noise_sd * noise[s] + sum_c in_amp[s, c] w_in[c] + fb + isyn, where
     fb = sum_k U[k] * f_k with f = zhat of step s-1 (fb_mode 1), teacher[s] (2), or 0 (0)
  4. state update: Izhikevich (v, u) via izhikevich_update, v clipped at v_peak;
     rate: x += dt / tau * (-x + I)
  5. features: spiking: r <- r*dec_r + h*dt ; h <- h*dec_h + s*feat_gain, with
     feat_gain = scale/(tau_r tau_d) (double exponential, Nicola & Clopath 2017); e = r.
     rate: e = phi
  6. readout zhat_k = w_k . e (sequential sum); written to zhat_out[s]
  7. learning of the when weights where gate[s, k] > 0:
     rule 1 (three-factor): w_k += nlms_rate(eta0, |e|^2, eps) * gate * (T_k - zhat_k) * e
     rule 2 (RLS every rls_every steps): P_k, w_k updated with err = zhat_k - T_k (gate-scaled)
  8. the mean of e over steps [what_start, what_stop) is accumulated into rbar_out.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from spikesim.neurons.izhikevich import izhikevich_reset, izhikevich_update
from spikesim.plasticity.rls import rls_gain
from spikesim.plasticity.three_factor import nlms_rate, three_factor_dw, timing_error

_update = njit(inline="always")(izhikevich_update)
_reset = njit(inline="always")(izhikevich_reset)
_nlms = njit(inline="always")(nlms_rate)
_dw = njit(inline="always")(three_factor_dw)
_terr = njit(inline="always")(timing_error)
_gain = njit(inline="always")(rls_gain)

KIND_IZHIKEVICH = 0
KIND_RATE = 1


@njit(cache=True)
def run_trial(kind, a, b, c, d, v, u, isyn, syn_decay, indptr, indices, weights,
              bias, noise_sd, noise, in_amp, w_in, fb_u, fb_mode,
              r, h, dec_r, dec_h, feat_gain, rate_tau,
              w, teacher, gate, rule, eta0, eps, p_inv, rls_every,
              what_start, what_stop, dt, method, v_peak,
              zhat_out, rbar_out, spk_t, spk_i, record_spikes):
    """Run one trial in place (state, features, weights, P); return the number of recorded spikes.

    Shapes: N neurons, K readout channels, C input channels, S steps. a, b, c, d, v, u, isyn,
    bias, noise_sd, r, h, rbar_out: (N,); indptr (N+1,), indices/weights (nnz,); noise (S, N);
    in_amp (S, C); w_in (C, N); fb_u (K, N); w (K, N); teacher, gate, zhat_out (S, K);
    p_inv (K, N, N) for rule 2 (else any (K, 1, 1)); spk_t (float64) / spk_i (int64) buffers.
    """
    n = v.shape[0]
    n_steps = noise.shape[0]
    n_k = w.shape[0]
    n_c = in_amp.shape[1]
    fired = np.zeros(n, dtype=np.bool_)
    phi = np.zeros(n)
    e = np.zeros(n)
    cur = np.zeros(n)
    f_prev = np.zeros(n_k)
    zh = np.zeros(n_k)
    pk = np.zeros(n)
    n_spk = 0
    n_buf = spk_t.shape[0]
    for i in range(n):
        rbar_out[i] = 0.0
    n_what = 0
    for s in range(n_steps):
        t_ms = s * dt
        # 1. spikes / rate outputs
        if kind == KIND_IZHIKEVICH:
            for i in range(n):
                if v[i] >= v_peak[i]:
                    fired[i] = True
                    v[i], u[i] = _reset(v[i], u[i], c[i], d[i])
                    if record_spikes and n_spk < n_buf:
                        spk_t[n_spk] = t_ms
                        spk_i[n_spk] = i
                        n_spk += 1
                else:
                    fired[i] = False
        else:
            for i in range(n):
                phi[i] = math.tanh(v[i])
        # 2. synaptic current
        for i in range(n):
            isyn[i] = syn_decay * isyn[i]
        if kind == KIND_IZHIKEVICH:
            for j in range(n):
                if fired[j]:
                    for p in range(indptr[j], indptr[j + 1]):
                        isyn[indices[p]] += weights[p]
        else:
            for j in range(n):
                pj = phi[j]
                for p in range(indptr[j], indptr[j + 1]):
                    isyn[indices[p]] += weights[p] * pj
        # 3. total current
        if fb_mode == 1:
            for k in range(n_k):
                f_prev[k] = zh[k]
        elif fb_mode == 2:
            for k in range(n_k):
                f_prev[k] = teacher[s, k]
        for i in range(n):
            x = bias[i] + noise_sd[i] * noise[s, i]
            for ch in range(n_c):
                x += in_amp[s, ch] * w_in[ch, i]
            if fb_mode != 0:
                for k in range(n_k):
                    x += fb_u[k, i] * f_prev[k]
            cur[i] = x + isyn[i]
        # 4. state update
        if kind == KIND_IZHIKEVICH:
            for i in range(n):
                v[i], u[i] = _update(v[i], u[i], cur[i], a[i], b[i], dt, method)
                if v[i] > v_peak[i]:
                    v[i] = v_peak[i]
        else:
            for i in range(n):
                v[i] = v[i] + dt / rate_tau * (-v[i] + cur[i])
        # 5. features
        norm2 = 0.0
        if kind == KIND_IZHIKEVICH:
            for i in range(n):
                r[i] = r[i] * dec_r + h[i] * dt
                h[i] = h[i] * dec_h + (1.0 if fired[i] else 0.0) * feat_gain
                e[i] = r[i]
                norm2 += e[i] * e[i]
        else:
            for i in range(n):
                e[i] = phi[i]
                norm2 += e[i] * e[i]
        # 6. readout
        for k in range(n_k):
            acc = 0.0
            for i in range(n):
                acc += w[k, i] * e[i]
            zh[k] = acc
            zhat_out[s, k] = acc
        # 7. learning
        if rule == 1:
            lr = _nlms(eta0, norm2, eps)
            for k in range(n_k):
                g = gate[s, k]
                if g > 0.0:
                    err = _terr(teacher[s, k], zh[k])
                    for i in range(n):
                        w[k, i] += _dw(e[i], err, g, lr)
        elif rule == 2 and (s % rls_every) == 0:
            for k in range(n_k):
                g = gate[s, k]
                if g > 0.0:
                    err = g * (zh[k] - teacher[s, k])
                    rk = 0.0
                    for i in range(n):
                        acc = 0.0
                        for j in range(n):
                            acc += p_inv[k, i, j] * e[j]
                        pk[i] = acc
                        rk += e[i] * acc
                    cg = _gain(rk)
                    for i in range(n):
                        for j in range(n):
                            p_inv[k, i, j] -= cg * pk[i] * pk[j]
                        w[k, i] -= cg * err * pk[i]
        # 8. post-cue mean state for the what readout
        if s >= what_start and s < what_stop:
            for i in range(n):
                rbar_out[i] += e[i]
            n_what += 1
    if n_what > 0:
        for i in range(n):
            rbar_out[i] /= n_what
    return n_spk
