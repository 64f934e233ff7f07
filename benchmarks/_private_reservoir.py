"""Baseline of the what-when speed bar: the private reservoir engine that spikesim used before
the reservoir moved onto ``ss.Network`` (formerly ``spikesim/backends/numba_cpu/reservoir.py``,
deleted from the package). Kept here, outside the package, only so that
``benchmarks/what_when_speed.py`` can time both in the same run. Not used by spikesim.

:class:`PrivateTrial` runs one training trial of a :class:`models.izhikevich_reservoir.ReservoirModel`'s
reservoir (same weights, inputs, readout parameters) the way that engine did: NumPy noise drawn
up front, net.m's step order, one compiled call per trial.
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


class PrivateTrial:
    """One training trial of ``model``'s reservoir on the old engine (three-factor when rule)."""

    def __init__(self, model):
        m, cfg = model, model.cfg
        self.m = m
        pre_major = m.w_rec.T
        nz = pre_major != 0.0
        self.indptr = np.concatenate([[0], np.cumsum(nz.sum(axis=1))]).astype(np.int64)
        self.indices = np.nonzero(nz)[1].astype(np.int64)
        self.weights = pre_major[nz].astype(np.float64)
        self.v_peak = np.full(cfg.n, 30.0)
        self.dec_r, self.dec_h = math.exp(-cfg.dt / cfg.tau_r), math.exp(-cfg.dt / cfg.tau_d)
        self.feat_gain = cfg.feature_scale / (cfg.tau_r * cfg.tau_d)
        self.syn_decay = math.exp(-cfg.dt / cfg.tau_syn) if cfg.tau_syn > 0 else 0.0
        self.rng = np.random.default_rng([m.seed, 1])
        self.w = np.zeros((m.n_out, cfg.n))
        self.p_when = np.zeros((m.n_out, 1, 1))

    def trial(self, in_amp, profiles, event, cue_step, what_steps, latency_steps):
        m, cfg, rng = self.m, self.m.cfg, self.rng
        n, s_len = cfg.n, in_amp.shape[0]
        noise = rng.standard_normal((s_len, n))
        v = -65.0 + rng.uniform(-cfg.v_init_jitter, cfg.v_init_jitter, n)
        u = m.b * v
        isyn, r, h = np.zeros(n), np.zeros(n), np.zeros(n)
        teacher, gate = m._teacher_gate(profiles, event, True, cue_step, latency_steps)
        zhat = np.zeros((s_len, m.n_out))
        rbar = np.zeros(n)
        spk_t, spk_i = np.zeros(1), np.zeros(1, dtype=np.int64)
        run_trial(m.kind, m.a, m.b, m.c, m.d, v, u, isyn, self.syn_decay, self.indptr, self.indices, self.weights,
                  m.bias, m.noise_sd, noise, in_amp, m.w_in, m.fb_u, m.fb_mode, r, h, self.dec_r, self.dec_h,
                  self.feat_gain, cfg.rate_tau, self.w, teacher, gate, 1, cfg.eta_when, cfg.eps, self.p_when,
                  cfg.rls_every, int(what_steps[0]), int(what_steps[1]), cfg.dt,
                  1 if cfg.method == "izhikevich2003" else 0, self.v_peak, zhat, rbar, spk_t, spk_i, False)
        q = m.v_what @ rbar
        y = q[None, :] * np.maximum(zhat, 0.0)
        m._learn_what(rbar, event, q)
        return y
