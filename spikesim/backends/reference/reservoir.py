"""NumPy reference for one reservoir trial (slow, obviously correct; see the Numba driver
:mod:`spikesim.backends.numba_cpu.reservoir` for the step order, which this follows line by line).

Sums whose order matters for bit-equality with the compiled driver (recurrent input, readout,
squared norm) are done sequentially: recurrent input presynaptic neuron by neuron in ascending
order, dot products with ``np.cumsum`` (a strictly sequential sum).
"""
from __future__ import annotations

import numpy as np

from spikesim.neurons.izhikevich import izhikevich_reset, izhikevich_update
from spikesim.plasticity.rls import rls_gain
from spikesim.plasticity.three_factor import nlms_rate, three_factor_dw, timing_error

KIND_IZHIKEVICH = 0
KIND_RATE = 1


def _seqsum(x: np.ndarray) -> float:
    return float(np.cumsum(x)[-1]) if x.size else 0.0


def run_trial(kind, a, b, c, d, v, u, isyn, syn_decay, indptr, indices, weights,
              bias, noise_sd, noise, in_amp, w_in, fb_u, fb_mode,
              r, h, dec_r, dec_h, feat_gain, rate_tau,
              w, teacher, gate, rule, eta0, eps, p_inv, rls_every,
              what_start, what_stop, dt, method, v_peak,
              zhat_out, rbar_out, spk_t, spk_i, record_spikes):
    """Same arguments and in-place semantics as the Numba ``run_trial``; returns the spike count."""
    n = v.shape[0]
    n_steps = noise.shape[0]
    n_k = w.shape[0]
    zh = np.zeros(n_k)
    n_spk = 0
    acc_what = np.zeros(n)
    n_what = 0
    for s in range(n_steps):
        t_ms = s * dt
        if kind == KIND_IZHIKEVICH:
            fired = v >= v_peak
            v[fired], u[fired] = izhikevich_reset(v[fired], u[fired], c[fired], d[fired])
            if record_spikes:
                ids = np.flatnonzero(fired)
                m = min(len(ids), spk_t.shape[0] - n_spk)
                spk_t[n_spk:n_spk + m] = t_ms
                spk_i[n_spk:n_spk + m] = ids[:m]
                n_spk += m
            act = fired.astype(np.float64)
        else:
            act = np.tanh(v)
        isyn *= syn_decay
        for j in range(n):
            if act[j] != 0.0:
                sl = slice(indptr[j], indptr[j + 1])
                isyn[indices[sl]] += weights[sl] * act[j] if kind == KIND_RATE else weights[sl]
        if fb_mode == 1:
            f_prev = zh.copy()
        elif fb_mode == 2:
            f_prev = teacher[s].copy()
        else:
            f_prev = np.zeros(n_k)
        x = bias + noise_sd * noise[s]
        for ch in range(in_amp.shape[1]):
            x = x + in_amp[s, ch] * w_in[ch]
        if fb_mode != 0:
            for k in range(n_k):
                x = x + fb_u[k] * f_prev[k]
        cur = x + isyn
        if kind == KIND_IZHIKEVICH:
            v[:], u[:] = izhikevich_update(v, u, cur, a, b, dt, method)
            np.minimum(v, v_peak, out=v)
            r[:] = r * dec_r + h * dt
            h[:] = h * dec_h + act * feat_gain
            e = r.copy()
        else:
            v[:] = v + dt / rate_tau * (-v + cur)
            e = act
        norm2 = _seqsum(e * e)
        for k in range(n_k):
            zh[k] = _seqsum(w[k] * e)
        zhat_out[s] = zh
        if rule == 1:
            lr = nlms_rate(eta0, norm2, eps)
            for k in range(n_k):
                if gate[s, k] > 0.0:
                    w[k] += three_factor_dw(e, timing_error(teacher[s, k], zh[k]), gate[s, k], lr)
        elif rule == 2 and s % rls_every == 0:
            for k in range(n_k):
                if gate[s, k] > 0.0:
                    err = gate[s, k] * (zh[k] - teacher[s, k])
                    pk = p_inv[k] @ e
                    cg = rls_gain(float(e @ pk))
                    p_inv[k] -= cg * np.outer(pk, pk)
                    w[k] -= cg * err * pk
        if what_start <= s < what_stop:
            acc_what += e
            n_what += 1
    rbar_out[:] = acc_what / n_what if n_what else 0.0
    return n_spk
