"""Izhikevich spiking reservoir with gated three-factor "when" and two-factor "what" readouts.

Yamada, Y. & Chao, Z. C. (2025). Joint encoding of "what" and "when" predictions through
error-modulated plasticity in reservoir spiking networks. arXiv:2510.14382. The paper's Methods
numbers are unknown; every default below is the labelled reconstruction of
``shared/papers/what_when_reservoir.md`` (section 3) unless noted, and is a config field.

Reservoir (Izhikevich 2003, net.m): N neurons, a fraction ``frac_exc`` excitatory; per neuron
r ~ U(0,1):  E: a=0.02, b=0.2, c=-65+15r^2, d=8-6r^2;  I: a=0.02+0.08r, b=0.25-0.05r, c=-65, d=2.

    dv/dt = 0.04 v^2 + 5 v + 140 - u + I ,   du/dt = a (b v - u) ,   v >= 30: v <- c, u <- u + d
    I = bias + sigma xi(t) + sum_c A_c(t) w_in_c + U zhat(t-1) + I_syn
    I_syn <- decay I_syn + sum_{j fired} S_ij    (decay 0: net.m pulse synapses)

Dale's law: S_ij = g_exc U(0,1) for an excitatory presynaptic j, -g_inh U(0,1) for an inhibitory
one; connection probability p_conn (weights scaled by 1/p_conn). Input channels cue / A / B each
drive a random ``input_frac`` subset with a rectangular pulse of amplitude ``input_amp``.

Features: double-exponential filtered spike trains (tau_r, tau_d; Nicola & Clopath 2017)
    r <- r e^{-dt/tau_r} + h dt ,  h <- h e^{-dt/tau_d} + s * scale / (tau_r tau_d)

Readouts (per output channel k in {A, B}):
    when  zhat_k(t) = w_k . r(t)      online, every step, gated three-factor rule
          dw_k = eta0/(|r|^2+eps) G_k(t) [T_k(t) - zhat_k(t)] r(t)      (plasticity.three_factor)
          G_k(t) = 1 only for the channel that occurred, inside its window (default: cue onset to
          trial end; "latency": |t - t_k| <= gate_halfwidth)
    what  q_k = v_k . rbar            rbar = mean r over [cue onset, cue onset + what_window_ms)
          dv_k = alpha/(|rbar|^2+eps) (o_k - q_k) rbar  at trial end       (plasticity.two_factor)
    output y_k(t) = q_k * [zhat_k(t)]_+  ;  feedback U zhat into the reservoir, U ~ U(-Q, Q).

Variants (the controls and comparators use the same class): ``when_rule="rls"`` / ``what_rule=
"rls"`` (FORCE, models.adapters.force_rls), ``readout="merged"`` (one LMS readout per channel, no
gate, target o_k g(t - t_k), output = zhat), ``gate="none"`` (G = 1 for both channels),
``feedback="none"`` (U = 0), ``kind="rate"`` (tanh echo-state network,
models.adapters.rate_reservoir).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

KINDS = {"izhikevich": 0, "rate": 1}
BACKENDS = ("numba", "reference")


@dataclass
class ReservoirConfig:
    """Reservoir and readout parameters (defaults: reconstruction, see the module docstring).

    Why the synapse/noise defaults differ from net.m: with net.m as published (dense pulse
    synapses, noise SD 5/2) a ridge readout decodes a bump 200 ms after the cue from single
    trials with r = 0.06 (our pre-test, 30 trials, N = 1000), i.e. the chaotic network forgets
    the cue. Sparse (p = 0.1) slow synapses (tau_syn = 100 ms), tonic bias 3.5/3 and noise SD 1
    give r = 0.93 / 0.73 / 0.45 at 100 / 200 / 300 ms, so latencies default to 150 / 250 ms in
    the paradigm. Set ``p_conn=1, tau_syn=0, g_exc=0.5, g_inh=1, noise_exc=5, noise_inh=2,
    bias_exc=0, bias_inh=0`` for net.m.
    """

    kind: str = "izhikevich"          # "izhikevich" | "rate"
    n: int = 1000
    frac_exc: float = 0.8
    g_exc: float = 0.015              # net.m: 0.5 U(0,1) with pulse synapses
    g_inh: float = 0.03               # net.m: -1.0 U(0,1) with pulse synapses
    p_conn: float = 0.1               # connection probability; weights scaled by 1/p_conn
    tau_syn: float = 100.0            # ms; 0 = pulse synapses (net.m)
    noise_exc: float = 1.0            # SD of the per-step Gaussian input current (net.m: 5 / 2)
    noise_inh: float = 1.0
    bias_exc: float = 3.5             # tonic input current
    bias_inh: float = 3.0
    input_frac: float = 0.2
    input_amp: float = 20.0
    v_init_jitter: float = 5.0        # initial v ~ -65 + U(-j, j) at each trial start
    dt: float = 1.0
    method: str = "izhikevich2003"
    tau_r: float = 2.0
    tau_d: float = 20.0
    feature_scale: float = 20.0       # features in units of (rate in kHz) x feature_scale ms
    # rate reservoir (kind="rate")
    rate_tau: float = 10.0
    rate_gain: float = 1.2            # spectral scale lambda of W ~ N(0, lambda^2/(p N))
    rate_noise: float = 0.05
    rate_input_amp: float = 1.0
    # readouts
    readout: str = "split"            # "split" (what x when) | "merged"
    when_rule: str = "three-factor"   # "three-factor" | "rls"
    what_rule: str = "two-factor"     # "two-factor" | "rls"
    gate: str = "channel"             # "channel" | "none"
    gate_window: str = "trial"        # "trial" (cue onset..end) | "latency"
    gate_halfwidth_ms: float = 100.0
    feedback: str = "closed"          # "closed" | "teacher" | "none"
    feedback_q: float = 2.0
    eta_when: float = 0.01            # per-step NLMS step; ~tau_d correlated steps add up per trial
    alpha_what: float = 0.1           # what readout = EMA of outcomes with memory ~1/alpha trials
    eps: float = 1e-3
    rls_alpha: float = 1.0            # P(0) = I / rls_alpha
    rls_every: int = 20               # Nicola & Clopath 2017 update every 20 steps
    rectify: bool = True


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {list(choices)}")


def validate_config(cfg: ReservoirConfig) -> None:
    """Raise ValueError naming the offending field."""
    _check_choice("kind", cfg.kind, KINDS)
    _check_choice("readout", cfg.readout, ("split", "merged"))
    _check_choice("when_rule", cfg.when_rule, ("three-factor", "rls"))
    _check_choice("what_rule", cfg.what_rule, ("two-factor", "rls"))
    _check_choice("gate", cfg.gate, ("channel", "none"))
    _check_choice("gate_window", cfg.gate_window, ("trial", "latency"))
    _check_choice("feedback", cfg.feedback, ("closed", "teacher", "none"))
    if not isinstance(cfg.n, (int, np.integer)) or cfg.n < 2:
        raise ValueError(f"n must be an integer >= 2, got {cfg.n!r}")
    for name in ("frac_exc", "p_conn", "input_frac"):
        val = getattr(cfg, name)
        if not (0.0 < val <= 1.0):
            raise ValueError(f"{name} must be in (0, 1], got {val!r}")
    for name in ("dt", "tau_r", "tau_d", "rate_tau", "eta_when", "alpha_what", "eps", "rls_alpha"):
        val = getattr(cfg, name)
        if not (math.isfinite(val) and val > 0):
            raise ValueError(f"{name} must be a positive finite number, got {val!r}")
    for name in ("noise_exc", "noise_inh", "tau_syn", "feedback_q", "v_init_jitter", "rate_noise"):
        val = getattr(cfg, name)
        if not (math.isfinite(val) and val >= 0):
            raise ValueError(f"{name} must be >= 0 and finite, got {val!r}")
    if cfg.rls_every < 1:
        raise ValueError(f"rls_every must be >= 1, got {cfg.rls_every!r}")


@dataclass
class TrialOutput:
    zhat: np.ndarray      # (S, K) when readout
    q: np.ndarray         # (K,) what readout used on this trial (before its end-of-trial update)
    y: np.ndarray         # (S, K) output q_k [zhat_k]_+ (merged: zhat)
    rbar: np.ndarray      # (N,) post-cue mean state
    spike_times: np.ndarray
    spike_ids: np.ndarray


class ReservoirModel:
    """A reservoir with what/when readouts; one instance = one seed, weights learned across trials.

    ``trial(...)`` runs one trial (training when ``learn=True``, a cue-only probe otherwise).
    """

    n_out = 2
    n_in = 3   # cue, A, B

    def __init__(self, cfg: ReservoirConfig | None = None, seed: int = 0, backend: str = "numba"):
        self.cfg = cfg = cfg or ReservoirConfig()
        validate_config(cfg)
        _check_choice("backend", backend, BACKENDS)
        self.backend = backend
        if backend == "numba":
            from spikesim.backends.numba_cpu.reservoir import run_trial
        else:
            from spikesim.backends.reference.reservoir import run_trial
        self._run_trial = run_trial
        self.seed = int(seed)
        rng = np.random.default_rng([self.seed, 0])
        n = cfg.n
        n_e = int(round(cfg.frac_exc * n))
        self.n_exc = n_e
        self.kind = KINDS[cfg.kind]
        re, ri = rng.random(n_e), rng.random(n - n_e)
        self.a = np.concatenate([np.full(n_e, 0.02), 0.02 + 0.08 * ri])
        self.b = np.concatenate([np.full(n_e, 0.2), 0.25 - 0.05 * ri])
        self.c = np.concatenate([-65 + 15 * re ** 2, np.full(n - n_e, -65.0)])
        self.d = np.concatenate([8 - 6 * re ** 2, np.full(n - n_e, 2.0)])
        self.v_peak = np.full(n, 30.0)
        # recurrent weights, dense matrix W[post, pre] then CSR by presynaptic neuron
        mask = rng.random((n, n)) < cfg.p_conn
        if self.kind == 0:
            mag = rng.random((n, n))
            wmat = np.where(np.arange(n)[None, :] < n_e, cfg.g_exc * mag, -cfg.g_inh * mag) / cfg.p_conn
            self.bias = np.where(np.arange(n) < n_e, cfg.bias_exc, cfg.bias_inh).astype(float)
            self.noise_sd = np.where(np.arange(n) < n_e, cfg.noise_exc, cfg.noise_inh).astype(float)
            amp = cfg.input_amp
        else:
            wmat = rng.standard_normal((n, n)) * cfg.rate_gain / math.sqrt(cfg.p_conn * n)
            self.bias = np.zeros(n)
            self.noise_sd = np.full(n, cfg.rate_noise)
            amp = cfg.rate_input_amp
        wmat = wmat * mask
        np.fill_diagonal(wmat, 0.0)
        self.w_rec = wmat
        pre_major = wmat.T  # row j = outgoing weights of presynaptic j
        nz = pre_major != 0.0
        self.indptr = np.concatenate([[0], np.cumsum(nz.sum(axis=1))]).astype(np.int64)
        self.indices = np.nonzero(nz)[1].astype(np.int64)
        self.weights = pre_major[nz].astype(np.float64)
        self.w_in = (rng.random((self.n_in, n)) < cfg.input_frac).astype(float) * amp
        q = cfg.feedback_q if cfg.feedback != "none" else 0.0
        self.fb_u = rng.uniform(-q, q, size=(self.n_out, n)) if q > 0 else np.zeros((self.n_out, n))
        self.fb_mode = {"none": 0, "closed": 1, "teacher": 2}[cfg.feedback] if q > 0 else 0
        self.dec_r = math.exp(-cfg.dt / cfg.tau_r)
        self.dec_h = math.exp(-cfg.dt / cfg.tau_d)
        self.feat_gain = cfg.feature_scale / (cfg.tau_r * cfg.tau_d)
        self.syn_decay = math.exp(-cfg.dt / cfg.tau_syn) if cfg.tau_syn > 0 else 0.0
        if self.kind == 1:
            self.syn_decay = 0.0
        self._noise_rng = np.random.default_rng([self.seed, 1])
        self.reset_learning()

    # -- learning state ---------------------------------------------------------------------------
    def reset_learning(self) -> None:
        """Zero both readouts and reset the RLS matrices (weights w = v = 0, P = I / alpha)."""
        n, k = self.cfg.n, self.n_out
        self.w_when = np.zeros((k, n))
        self.v_what = np.zeros((k, n))
        self.reset_p()

    def reset_p(self) -> None:
        """Reset the RLS inverse-correlation matrices to I / rls_alpha (no-op for local rules)."""
        n, k = self.cfg.n, self.n_out
        if self.cfg.when_rule == "rls":
            self.p_when = np.repeat(np.eye(n)[None] / self.cfg.rls_alpha, k, axis=0)
        else:
            self.p_when = np.zeros((k, 1, 1))
        self.p_what = np.eye(n) / self.cfg.rls_alpha if self.cfg.what_rule == "rls" else None

    def on_switch(self) -> None:
        """Called by the paradigm at a block switch; plain models ignore it."""

    # -- one trial --------------------------------------------------------------------------------
    def _teacher_gate(self, profiles, event, learn, cue_step, latency_steps):
        s_len, k = profiles.shape
        teacher = np.zeros((s_len, k))
        gate = np.zeros((s_len, k))
        if not learn or event < 0:
            return teacher, gate
        cfg = self.cfg
        onehot = np.zeros(k)
        onehot[event] = 1.0
        ungated = cfg.readout == "merged" or cfg.gate == "none"
        for ch in range(k):
            teacher[:, ch] = onehot[ch] * profiles[:, ch]
            if not ungated and ch != event:
                continue
            if cfg.gate_window == "trial":
                gate[cue_step:, ch] = 1.0
            else:
                half = int(round(cfg.gate_halfwidth_ms / cfg.dt))
                centre = cue_step + int(latency_steps[ch])
                gate[max(cue_step, centre - half):centre + half + 1, ch] = 1.0
        return teacher, gate

    def trial(self, in_amp: np.ndarray, profiles: np.ndarray, event: int, *, cue_step: int,
              what_steps: tuple[int, int], latency_steps, learn: bool = True,
              record_spikes: bool = False) -> TrialOutput:
        """Run one trial.

        in_amp (S, 3): input-channel amplitudes (0/1 pulses) for cue, A, B; profiles (S, 2): the
        timing profile g(t - t_k) of each channel; event: 0 (A), 1 (B), or -1 (cue-only probe);
        what_steps: [start, stop) of the post-cue window; learn: plasticity on/off.
        """
        cfg = self.cfg
        in_amp = np.ascontiguousarray(in_amp, dtype=np.float64)
        profiles = np.ascontiguousarray(profiles, dtype=np.float64)
        if in_amp.ndim != 2 or in_amp.shape[1] != self.n_in:
            raise ValueError(f"in_amp must have shape (steps, {self.n_in}), got {in_amp.shape}")
        if profiles.shape != (in_amp.shape[0], self.n_out):
            raise ValueError(f"profiles must have shape ({in_amp.shape[0]}, {self.n_out}), got {profiles.shape}")
        if event not in (-1, 0, 1):
            raise ValueError(f"event must be -1 (probe), 0 (A) or 1 (B), got {event!r}")
        n, s_len = cfg.n, in_amp.shape[0]
        rng = self._noise_rng
        noise = rng.standard_normal((s_len, n))
        v = -65.0 + rng.uniform(-cfg.v_init_jitter, cfg.v_init_jitter, n) if self.kind == 0 \
            else rng.uniform(-0.1, 0.1, n)
        u = self.b * v
        isyn, r, h = np.zeros(n), np.zeros(n), np.zeros(n)
        teacher, gate = self._teacher_gate(profiles, event, learn, cue_step, latency_steps)
        rule = 0
        if learn and event >= 0:
            rule = 1 if cfg.when_rule == "three-factor" else 2
        zhat = np.zeros((s_len, self.n_out))
        rbar = np.zeros(n)
        buf = n * s_len // 4 if record_spikes else 1
        spk_t, spk_i = np.zeros(buf), np.zeros(buf, dtype=np.int64)
        fb_mode = self.fb_mode if (learn or self.fb_mode != 2) else 1
        n_spk = self._run_trial(
            self.kind, self.a, self.b, self.c, self.d, v, u, isyn, self.syn_decay,
            self.indptr, self.indices, self.weights, self.bias, self.noise_sd, noise, in_amp,
            self.w_in, self.fb_u, fb_mode, r, h, self.dec_r, self.dec_h, self.feat_gain,
            cfg.rate_tau, self.w_when, teacher, gate, rule, cfg.eta_when, cfg.eps, self.p_when,
            cfg.rls_every, int(what_steps[0]), int(what_steps[1]), cfg.dt,
            1 if cfg.method == "izhikevich2003" else 0, self.v_peak, zhat, rbar, spk_t, spk_i,
            bool(record_spikes))
        if not np.all(np.isfinite(zhat)):
            raise FloatingPointError(f"readout became NaN/inf (seed {self.seed}); lower eta_when or feedback_q")
        if cfg.readout == "merged":
            q = np.ones(self.n_out)
            y = zhat.copy()
        else:
            q = self.v_what @ rbar
            y = q[None, :] * (np.maximum(zhat, 0.0) if cfg.rectify else zhat)
            if learn and event >= 0:
                self._learn_what(rbar, event, q)
        return TrialOutput(zhat=zhat, q=q, y=y, rbar=rbar, spike_times=spk_t[:n_spk].copy(),
                           spike_ids=spk_i[:n_spk].copy())

    def _learn_what(self, rbar, event, q):
        from spikesim.plasticity.two_factor import two_factor_dv, what_rate
        cfg = self.cfg
        outcome = np.zeros(self.n_out)
        outcome[event] = 1.0
        if cfg.what_rule == "two-factor":
            rate = what_rate(cfg.alpha_what, float(rbar @ rbar), cfg.eps)
            for k in range(self.n_out):
                self.v_what[k] += two_factor_dv(rbar, outcome[k], q[k], rate)
        else:  # RLS on the trial-level state (running least squares over all trials)
            pk = self.p_what @ rbar
            c = 1.0 / (1.0 + rbar @ pk)
            self.p_what -= c * np.outer(pk, pk)
            self.v_what -= c * np.outer(q - outcome, pk)

    def readout_weights(self) -> dict[str, np.ndarray]:
        return {"when": self.w_when.copy(), "what": self.v_what.copy()}


def config_with(cfg: ReservoirConfig | None = None, **changes) -> ReservoirConfig:
    """A copy of ``cfg`` (default config if None) with ``changes``; unknown keys are an error."""
    base = cfg or ReservoirConfig()
    names = {f.name for f in dataclasses.fields(base)}
    bad = sorted(set(changes) - names)
    if bad:
        raise ValueError(f"unknown reservoir config key(s) {bad}; known: {sorted(names)}")
    return dataclasses.replace(base, **changes)
