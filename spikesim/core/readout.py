"""Linear readouts of a population's activity, learned online inside the compiled loop.

A :class:`Readout` (``Network.add_readout(pop, Readout(...))``) reads K outputs from a neuron
population (or from several populations added one after the other, e.g. the excitatory and the
inhibitory ones of a reservoir: neuron i counts through them in order) every step and can learn them toward a teacher while the network runs; its output
can be fed back into the population as a current (reservoir computing, FORCE). Per step n,
after the plasticity phase (see :mod:`spikesim.core.network`):

* **features** e_i (one per neuron): ``feature="spikes"``: a double-exponential filter of the
  neuron's spike train (Nicola & Clopath 2017, Nat. Commun. 8:2208), in this order::

      r_i <- r_i * exp(-dt/tau_r) + h_i * dt ;  h_i <- h_i * exp(-dt/tau_d)  (+ scale / (tau_r tau_d)
      if neuron i spiked in step n) ;  e_i = r_i

  or ``feature="<state variable>"``: that variable of the neuron after the step (e.g. the
  output ``phi`` of a rate unit);
* **output** z_k = sum_i W_ki e_i (ascending i), and |e|^2 = sum_i e_i^2 (ascending i);
* **learning** where the gate G_k(step) > 0 (teacher T and gate G are arrays over the steps of a
  *window*, see below; outside the window nothing is learned):

  - ``rule="nlms"`` (gated three-factor rule, :mod:`spikesim.plasticity.three_factor`):
    W_ki += ((eta / (|e|^2 + eps)) * G_k) * (T_k - z_k) * e_i;
  - ``rule="rls"`` (recursive least squares / FORCE, :mod:`spikesim.plasticity.rls`), every
    ``rls_every`` steps of the window, with one P_k per output: err = G_k (z_k - T_k),
    k = P_k e (row by row, ascending), c = 1 / (1 + e . k), P_k -= (c k_i) k_j,
    W_ki -= (c err) k_i; P_k(0) = I / rls_alpha;
  - ``rule="none"``: no learning (weights set from the host);
* **window mean**: sum of e over the window steps [a, b) (``Network.readout_result`` divides);
* **feedback** (``feedback=`` weights U, shape (K, n)): the population's input current of step
  n + 1 gets sum_k U_ki f_k, with f = z of step n (mode ``"closed"``), the teacher T of step
  n + 1 (``"teacher"``) or nothing (``"none"``).

The window: ``Network.set_readout(ro, teacher=, gate=, ...)`` between runs gives T and G from
the current step on, row j for step (now + j); the outputs z of those steps are kept in the
same rows (``Network.readout_result``). ``steps`` is the window's capacity. Changing them does
not rebuild the network. Every backend computes the same float64 operations in the same order
(bit-identical results; on "cuda" the readout step runs in one device thread, meant for the
small readouts of reservoir models).
"""
from __future__ import annotations

import math

import numpy as np

from spikesim.core.validate import check_int, check_number

RULES = {"none": 0, "nlms": 1, "rls": 2}
FEEDBACK = {"none": 0, "closed": 1, "teacher": 2}


class Readout:
    """K linear outputs of a neuron population's features (see the module docstring)."""

    def __init__(self, n_out: int, steps: int, *, feature: str = "spikes", tau_r: float = 2.0,
                 tau_d: float = 20.0, scale: float = 20.0, rule: str = "none", eta: float = 0.01,
                 eps: float = 1e-3, rls_alpha: float = 1.0, rls_every: int = 20, feedback=None):
        self.n_out = check_int(n_out, "Readout n_out", low=1)
        self.steps = check_int(steps, "Readout steps", low=1)
        if not isinstance(feature, str) or not feature:
            raise ValueError(f"Readout feature must be 'spikes' or a state variable name, got {feature!r}")
        if rule not in RULES:
            raise ValueError(f"Readout rule={rule!r} is not one of {list(RULES)}")
        self.feature, self.rule = feature, rule
        for name, v in (("tau_r", tau_r), ("tau_d", tau_d), ("eta", eta), ("eps", eps), ("rls_alpha", rls_alpha)):
            check_number(v, f"Readout {name}")
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"Readout {name} must be a positive finite number, got {v!r}")
        check_number(scale, "Readout scale")
        self.tau_r, self.tau_d, self.scale = float(tau_r), float(tau_d), float(scale)
        self.eta, self.eps, self.rls_alpha = float(eta), float(eps), float(rls_alpha)
        self.rls_every = check_int(rls_every, "Readout rls_every", low=1)
        if feedback is not None:
            fb = np.array(feedback, dtype=np.float64)
            if fb.ndim != 2 or fb.shape[0] != self.n_out or not np.all(np.isfinite(fb)):
                raise ValueError(f"Readout feedback must be a finite (n_out={self.n_out}, n) array, got shape "
                                 f"{fb.shape}")
            feedback = np.ascontiguousarray(fb)
        self.feedback = feedback
        self.pops = None                   # population names, set by Network.add_readout

    def check_populations(self, names: list[str], objs: list) -> None:
        """Refuse a feature or feedback that does not fit the populations (at ``add_readout``)."""
        if self.feature != "spikes":
            if len(objs) != 1:
                raise ValueError("a Readout of a state variable reads one population; 'spikes' can read several")
            if self.feature not in type(objs[0]).state:
                raise ValueError(f"Readout feature {self.feature!r}: population {names[0]!r} ({type(objs[0]).__name__}) "
                                 f"has state variables {list(type(objs[0]).state)}; use one of them or 'spikes'")
        n = sum(o.n for o in objs)
        if self.feedback is not None and self.feedback.shape[1] != n:
            raise ValueError(f"Readout feedback has {self.feedback.shape[1]} columns but the population(s) "
                             f"{names} have {n} neurons")

    def allocate(self, n: int) -> None:
        """The readout's working arrays (the plan and the kernels use these very arrays)."""
        k, L = self.n_out, self.steps
        self.n = n
        self.F = np.zeros((2, n))                  # features r, h (feature="spikes")
        self.W = np.zeros((k, n))                  # readout weights
        m = n if self.rule == "rls" else 1
        self.P = np.zeros((k, m, m))               # RLS inverse correlations (rule="rls")
        self.P[:] = np.eye(m) / self.rls_alpha
        self.K = np.zeros(m)                       # RLS scratch: P e
        self.T = np.zeros((L, k))                  # teacher over the window
        self.G = np.zeros((L, k))                  # gate over the window
        self.Z = np.zeros((L, k))                  # outputs over the window
        self.ZP = np.zeros(k)                      # outputs of the last step (closed-loop feedback)
        self.B = np.zeros(n)                       # sum of the features over [a, b) of the window
        self.C = np.zeros(5)                       # window start, feedback mode, a, b, steps summed into B
        self.FB = self.feedback if self.feedback is not None else np.zeros((k, 0))

    def values(self, dt: float) -> np.ndarray:
        """The scalars the kernels read: decays, feature gain, eta, eps, rls_every."""
        return np.array([math.exp(-dt / self.tau_r), math.exp(-dt / self.tau_d),
                         self.scale / (self.tau_r * self.tau_d), self.eta, self.eps, float(self.rls_every)])

    def __repr__(self) -> str:
        return (f"Readout(n_out={self.n_out}, feature={self.feature!r}, rule={self.rule!r}, "
                f"feedback={'yes' if self.feedback is not None else 'no'})")


__all__ = ["Readout", "RULES", "FEEDBACK"]
