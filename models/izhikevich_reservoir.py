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

from spikesim.analysis.ordered_sums import seq_dot, seq_matvec
from spikesim.core.validate import check_choice

KINDS = {"izhikevich": 0, "rate": 1}
BACKENDS = ("numba", "reference", "cuda")


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
    noise_method: str = "ziggurat"    # normals of the in-loop GaussianCurrent: "ziggurat" | "box-muller"
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


def validate_config(cfg: ReservoirConfig) -> None:
    """Raise ValueError naming the offending field."""
    check_choice(cfg.kind, "kind", KINDS)
    check_choice(cfg.readout, "readout", ("split", "merged"))
    check_choice(cfg.when_rule, "when_rule", ("three-factor", "rls"))
    check_choice(cfg.what_rule, "what_rule", ("two-factor", "rls"))
    check_choice(cfg.gate, "gate", ("channel", "none"))
    check_choice(cfg.gate_window, "gate_window", ("trial", "latency"))
    check_choice(cfg.feedback, "feedback", ("closed", "teacher", "none"))
    check_choice(cfg.noise_method, "noise_method", ("ziggurat", "box-muller"))
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


FEEDBACK_NAMES = ("none", "closed", "teacher")


class ReservoirModel:
    """A reservoir with what/when readouts; one instance = one seed, weights learned across trials.

    The reservoir is an :class:`spikesim.Network` (built at the first trial, whose length sets
    the readout window): populations ``exc`` and ``inh`` of Izhikevich neurons (``kind="rate"``:
    one population ``reservoir`` of :class:`~spikesim.neurons.TanhRate` units coupled by a
    continuous projection), one projection per (pre, post) pair of populations with
    non-negative (from ``exc``) or non-positive (from ``inh``) weights (Dale's law), the tonic
    bias as a constant current, the noise as ``GaussianCurrent`` (drawn in the loop from the
    counter-based stream), the cue / A / B channels as a :class:`~spikesim.inputs.ChannelCurrent`,
    and the when readout, its gated three-factor (or RLS) rule and the feedback U zhat as a core
    :class:`~spikesim.Readout`, all inside the compiled loop of the chosen backend. The what
    rule acts once per trial, after the outcome is known, so it runs between runs on the
    window mean rbar that the readout accumulates in the loop.

    Differences to the earlier private engine (net.m's step order): the core updates, then
    thresholds and resets in the same step, and delivers a spike one step later; net.m resets
    at the start of the next step and delivers with no delay, so the membrane dynamics are the
    same (the update of the step after a spike starts from the reset state and sees that
    spike's synaptic input in both) but a spike is stamped one step earlier, v is not clipped
    at v_peak in between (the reset follows at once), the features see a spike one step
    earlier, and the noise comes from the core's stream instead of NumPy's. ``trial(...)`` runs
    one trial (training when ``learn=True``, a cue-only probe otherwise).
    """

    n_out = 2
    n_in = 3   # cue, A, B

    def __init__(self, cfg: ReservoirConfig | None = None, seed: int = 0, backend: str = "numba"):
        self.cfg = cfg = cfg or ReservoirConfig()
        validate_config(cfg)
        check_choice(backend, "backend", BACKENDS)
        self.backend = backend
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
        # recurrent weights, dense matrix W[post, pre]
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
        self.w_in = (rng.random((self.n_in, n)) < cfg.input_frac).astype(float) * amp
        q = cfg.feedback_q if cfg.feedback != "none" else 0.0
        self.fb_u = rng.uniform(-q, q, size=(self.n_out, n)) if q > 0 else np.zeros((self.n_out, n))
        self.fb_mode = {"none": 0, "closed": 1, "teacher": 2}[cfg.feedback] if q > 0 else 0
        self._init_rng = np.random.default_rng([self.seed, 1])
        self.net = None
        self.reset_learning()

    # -- the network ------------------------------------------------------------------------------
    def _build(self, steps: int) -> None:
        import spikesim as ss
        cfg, n, n_e = self.cfg, self.cfg.n, self.n_exc
        net = ss.Network(dt=cfg.dt, seed=self.seed, backend=self.backend)
        fb = self.fb_u if self.fb_mode != 0 else None
        rule = {"three-factor": "nlms", "rls": "rls"}[cfg.when_rule]
        ro = ss.Readout(self.n_out, steps, feature="spikes" if self.kind == 0 else "phi", tau_r=cfg.tau_r,
                        tau_d=cfg.tau_d, scale=cfg.feature_scale, rule=rule, eta=cfg.eta_when, eps=cfg.eps,
                        rls_alpha=cfg.rls_alpha, rls_every=cfg.rls_every, feedback=fb)
        if self.kind == 0:
            blocks = {"exc": slice(0, n_e), "inh": slice(n_e, n)}
            pops = {}
            for name, sl in blocks.items():
                if sl.stop > sl.start:
                    pops[name] = net.add(ss.neurons.Izhikevich(
                        sl.stop - sl.start, a=self.a[sl], b=self.b[sl], c=self.c[sl], d=self.d[sl],
                        tau_syn=cfg.tau_syn if cfg.tau_syn > 0 else 5.0, method=cfg.method), name)
            target = "I_syn" if cfg.tau_syn > 0 else "I"
            for pre, psl in blocks.items():          # Dale's law: one sign per presynaptic population
                for post, qsl in blocks.items():
                    if pre not in pops or post not in pops:
                        continue
                    sub = self.w_rec[qsl, psl]
                    post_i, pre_i = np.nonzero(sub)
                    if post_i.size:
                        net.connect(pops[pre], pops[post], (pre_i, post_i, sub[post_i, pre_i]), target=target)
        else:
            blocks = {"reservoir": slice(0, n)}
            pops = {"reservoir": net.add(ss.neurons.TanhRate(n, tau=cfg.rate_tau), "reservoir")}
            post_i, pre_i = np.nonzero(self.w_rec)
            net.connect(pops["reservoir"], pops["reservoir"], (pre_i, post_i, self.w_rec[post_i, pre_i]),
                        synapse=ss.synapses.LinearRateCoupling())
        self._channels = {}
        for name, sl in blocks.items():
            if name not in pops:
                continue
            if np.any(self.bias[sl] != 0):
                net.inject(pops[name], self.bias[sl])
            if np.any(self.noise_sd[sl] > 0):
                net.inject(pops[name], ss.inputs.GaussianCurrent(0.0, self.noise_sd[sl], method=cfg.noise_method))
            ch = ss.inputs.ChannelCurrent(self.w_in[:, sl], steps)
            net.inject(pops[name], ch)
            self._channels[name] = ch
            if self.kind == 0:
                net.record(pops[name])
        self._pops, self._blocks = pops, blocks
        self.readout = net.add_readout(list(pops.values()), ro)
        self.net, self.steps = net, steps
        net.set_readout(ro, weights=self._w0, reset_rls=True)

    @property
    def w_when(self) -> np.ndarray:
        """The when weights (K, N), live in the network's readout."""
        if self.net is None:
            return self._w0.copy()
        return self.net.readout_result(self.readout)["weights"]

    @property
    def p_when(self) -> np.ndarray:
        """The RLS matrices (K, N, N) of the when readout (when_rule="rls"; else (K, 1, 1))."""
        if self.net is None:
            m = self.cfg.n if self.cfg.when_rule == "rls" else 1
            return np.repeat(np.eye(m)[None] / self.cfg.rls_alpha, self.n_out, axis=0)
        return self.net.readout_result(self.readout, rls=True)["P"]

    # -- learning state ---------------------------------------------------------------------------
    def reset_learning(self) -> None:
        """Zero both readouts and reset the RLS matrices (weights w = v = 0, P = I / alpha)."""
        n, k = self.cfg.n, self.n_out
        self._w0 = np.zeros((k, n))
        if self.net is not None:
            self.net.set_readout(self.readout, weights=self._w0)
        self.v_what = np.zeros((k, n))
        self.reset_p()

    def reset_p(self) -> None:
        """Reset the RLS inverse-correlation matrices to I / rls_alpha (no-op for local rules)."""
        if self.net is not None and self.cfg.when_rule == "rls":
            self.net.set_readout(self.readout, reset_rls=True)
        n = self.cfg.n
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

    def _start_state(self) -> None:
        """Each trial starts from rest: v ~ -65 + U(-j, j), u = b v, synaptic currents, pending
        spikes and features 0 (rate units: x ~ U(-0.1, 0.1), phi = tanh x)."""
        cfg, net, rng = self.cfg, self.net, self._init_rng
        if self.kind == 0:
            v = -65.0 + rng.uniform(-cfg.v_init_jitter, cfg.v_init_jitter, cfg.n)
            for name, sl in self._blocks.items():
                if name not in self._pops:
                    continue
                net.set_state(self._pops[name], "v", v[sl])
                net.set_state(self._pops[name], "u", self.b[sl] * v[sl])
                if cfg.tau_syn > 0:
                    net.set_state(self._pops[name], "I_syn", 0.0)
            net.clear_pending()
        else:
            x = rng.uniform(-0.1, 0.1, cfg.n)
            net.set_state(self._pops["reservoir"], "x", x)
            net.set_state(self._pops["reservoir"], "phi", np.tanh(x))

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
        s_len = in_amp.shape[0]
        if self.net is None:
            self._build(s_len)
        elif s_len > self.steps:
            raise ValueError(f"trials of this model are at most {self.steps} steps (its first trial's length); "
                             f"got {s_len}")
        net = self.net
        self._start_state()
        teacher, gate = self._teacher_gate(profiles, event, learn, cue_step, latency_steps)
        fb_mode = self.fb_mode if (learn or self.fb_mode != 2) else 1
        for ch in self._channels.values():
            net.set_amplitudes(ch, in_amp)
        net.set_readout(self.readout, teacher=teacher, gate=gate, feedback=FEEDBACK_NAMES[fb_mode],
                        window=(int(what_steps[0]), int(what_steps[1])), reset_features=True)
        t0 = net.t
        res = net.run(s_len * cfg.dt)
        got = net.readout_result(self.readout)
        zhat, rbar = got["z"], got["mean"]
        if not np.all(np.isfinite(zhat)):
            raise FloatingPointError(f"readout became NaN/inf (seed {self.seed}); lower eta_when or feedback_q")
        if record_spikes and self.kind == 0:
            parts = [res.spikes(name) for name in self._pops]
            offs = [self._blocks[name].start for name in self._pops]
            times = np.concatenate([t for t, _ in parts]) - t0
            ids = np.concatenate([i + o for (_, i), o in zip(parts, offs)]).astype(np.int64)
            order = np.lexsort((ids, times))
            spk_t, spk_i = times[order], ids[order]
        else:
            spk_t, spk_i = np.zeros(0), np.zeros(0, dtype=np.int64)
        if cfg.readout == "merged":
            q = np.ones(self.n_out)
            y = zhat.copy()
        else:
            q = seq_matvec(self.v_what, rbar)
            y = q[None, :] * (np.maximum(zhat, 0.0) if cfg.rectify else zhat)
            if learn and event >= 0:
                self._learn_what(rbar, event, q)
        return TrialOutput(zhat=zhat, q=q, y=y, rbar=rbar, spike_times=spk_t, spike_ids=spk_i)

    def _learn_what(self, rbar, event, q):
        from spikesim.plasticity.two_factor import two_factor_dv, what_rate
        cfg = self.cfg
        outcome = np.zeros(self.n_out)
        outcome[event] = 1.0
        if cfg.what_rule == "two-factor":
            rate = what_rate(cfg.alpha_what, seq_dot(rbar, rbar), cfg.eps)
            for k in range(self.n_out):
                self.v_what[k] += two_factor_dv(rbar, outcome[k], q[k], rate)
        else:  # RLS on the trial-level state (running least squares over all trials)
            pk = seq_matvec(self.p_what, rbar)
            c = 1.0 / (1.0 + seq_dot(rbar, pk))
            self.p_what -= c * np.outer(pk, pk)
            self.v_what -= c * np.outer(q - outcome, pk)

    def readout_weights(self) -> dict[str, np.ndarray]:
        return {"when": self.w_when, "what": self.v_what.copy()}


def config_with(cfg: ReservoirConfig | None = None, **changes) -> ReservoirConfig:
    """A copy of ``cfg`` (default config if None) with ``changes``; unknown keys are an error."""
    base = cfg or ReservoirConfig()
    names = {f.name for f in dataclasses.fields(base)}
    bad = sorted(set(changes) - names)
    if bad:
        raise ValueError(f"unknown reservoir config key(s) {bad}; known: {sorted(names)}")
    return dataclasses.replace(base, **changes)
