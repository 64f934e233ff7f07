"""The spiking MLP of HLOP for continual learning (its ReLU twin, the ANN comparator, is
:class:`spikesim.models.adapters.ann_mlp.ReLUMLP`).

Spiking MLP (Xiao et al., ICLR 2024, PMNIST network): n_in - h - h - heads, bias-free linear
layers, LIF neurons after the two hidden layers, the normalised image fed as a constant current
at every one of T time steps (direct coding). Two training methods: DSR
(the neuron :class:`spikesim.nn.dsr_lif.DSRLIF`, equations there) and BPTT.

**BPTT** with surrogate gradients on norse's box LIF neuron (``lif_box_feed_forward_step`` with
dt * tau_mem_inv = 1/tau = 0.5, fed I * tau so that v <- (1 - 1/tau) v + I[t], the paper's
SpikingJelly LIF with tau = 2 and decay_input = False; Vth = 1, soft reset v <- v - Vth
(norse ``reset_subtract``; unlike the paper the reset is not detached), SuperSpike surrogate
1 / (alpha |v - Vth| + 1)^2 with alpha = 4 in place of the paper's sigmoid);
logits = mean_t W_out o2[t].

Every network returns ``(logits, presyn)`` where ``presyn[l]`` is the presynaptic activity of
linear layer l that HLOP's Hebbian learning and GPM's memory see: the weighted firing rate for
DSR (one row per sample), the spikes of every time step for BPTT (T*B rows), the activations
for the ReLU MLP. Multi-head: one head of ``n_out`` classes per task, selected by ``task``
(an int, or one task index per sample).
"""
from __future__ import annotations

import torch
from torch import nn

from spikesim.nn.dsr_lif import DSRLIF, weighted_rate
from spikesim.nn.spiking_lif import NorseBoxLIF


class MultiHeadMLP:
    """The shared head of the continual-learning MLPs: ``n_heads`` heads of ``n_out`` classes in one
    linear layer, one selected per sample by ``task``; ``linears`` lists the weight layers."""

    def _heads(self, h: torch.Tensor, task) -> torch.Tensor:
        full = self.head(h)
        if self.n_heads == 1:
            return full
        full = full.view(*full.shape[:-1], self.n_heads, self.n_out)
        if task is None:
            raise ValueError("a multi-head network needs the task index (task=...)")
        if isinstance(task, int):
            if not 0 <= task < self.n_heads:
                raise ValueError(f"task must be in [0, {self.n_heads}), got {task}")
            return full[..., task, :]
        idx = task.view(-1, 1, 1).expand(-1, 1, self.n_out)
        return full.gather(-2, idx).squeeze(-2)

    @property
    def linears(self) -> list[nn.Linear]:
        return [self.fc1, self.fc2, self.head]


def check_sizes(n_in, hidden, n_out, n_heads):
    for name, v in (("n_in", n_in), ("hidden", hidden), ("n_out", n_out), ("n_heads", n_heads)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


class SpikingMLP(MultiHeadMLP, nn.Module):
    """n_in - hidden - hidden - (n_heads x n_out) spiking MLP (see module docstring)."""

    def __init__(self, n_in: int, hidden: int = 800, n_out: int = 10, n_heads: int = 1, T: int = 6,
                 training: str = "dsr", surrogate_alpha: float = 4.0):
        super().__init__()
        check_sizes(n_in, hidden, n_out, n_heads)
        if int(T) != T or T < 1:
            raise ValueError(f"T must be a positive integer, got {T!r}")
        if training not in ("dsr", "bptt"):
            raise ValueError(f"training must be 'dsr' or 'bptt', got {training!r}")
        self.n_in, self.hidden, self.n_out, self.n_heads, self.T = n_in, hidden, n_out, n_heads, int(T)
        self.training_method = training
        self.fc1 = nn.Linear(n_in, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, hidden, bias=False)
        self.head = nn.Linear(hidden, n_out * n_heads, bias=False)
        if training == "dsr":
            self.lif1, self.lif2 = DSRLIF(), DSRLIF()
        else:
            self.lif1, self.lif2 = NorseBoxLIF(surrogate_alpha=surrogate_alpha), NorseBoxLIF(surrogate_alpha=surrogate_alpha)

    def forward(self, x: torch.Tensor, task=None):
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.n_in:
            raise ValueError(f"input has {x.shape[1]} features, the network expects {self.n_in}")
        T = self.T
        i1 = self.fc1(x).unsqueeze(0).expand(T, -1, -1)
        o1 = self.lif1(i1)
        o2 = self.lif2(self.fc2(o1))
        if self.training_method == "dsr":
            a1, a2 = self.lif1.rate(o1), self.lif2.rate(o2)
            logits = self._heads(a2, task)
            presyn = [x.detach(), a1.detach(), a2.detach()]
        else:
            logits = self._heads(o2.mean(0), task)
            presyn = [x.detach(), o1.detach().reshape(-1, self.hidden), o2.detach().reshape(-1, self.hidden)]
        return logits, presyn

    def spiking_parameters(self) -> list[nn.Parameter]:
        """Trainable thresholds (frozen after the first task, as in the paper's code)."""
        return [p for m in (self.lif1, self.lif2) for n, p in m.named_parameters() if n == "vth"]

    def clamp_(self) -> None:
        for m in (self.lif1, self.lif2):
            if isinstance(m, DSRLIF):
                m.clamp_()


__all__ = ["DSRLIF", "MultiHeadMLP", "NorseBoxLIF", "SpikingMLP", "check_sizes", "weighted_rate"]
