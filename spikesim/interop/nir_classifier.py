"""A NIR graph as a fixed (already trained) classifier for the classifier paradigms
(``spikesim run continual --model nir:path/to/graph.nir``).

The input vector is fed as a constant input at each of T steps (direct coding, as the HLOP MLP
is run); the Output node's values averaged over the T steps are the logits. With several heads
(the split scenario) the Output has n_heads * n_out values and task t reads block t. Nothing is
trained: each task's accuracy is measured with the graph as given, so the accuracy matrix has
equal rows and BWT = 0. The core counts the synaptic operations (``synaptic_events``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

PREFIX = "nir:"


def nir_path(model: str) -> Path:
    return Path(model[len(PREFIX):]).expanduser()


class NIRClassifier:
    """Evaluate a NIR graph on (n_samples, n_in) inputs, ``batch`` samples per core network."""

    def __init__(self, path, n_in: int, n_out: int, n_heads: int = 1, T: int = 6, dt: float | None = None,
                 backend: str = "numba", batch: int = 50):
        import nir
        from spikesim.interop.nir_graph import analyse
        self.path = Path(path)
        self.graph = nir.read(str(self.path))
        meta = self.graph.metadata if isinstance(self.graph.metadata, dict) else {}
        self.dt = float(dt) if dt else float(meta.get("spikesim.dt_s", 1e-3))
        an = analyse(self.graph, self.dt)
        got_in, got_out = an.units[an.input][1], an.units[an.output_unit][1]
        if got_in != n_in or got_out not in (n_out, n_out * n_heads):
            raise ValueError(f"NIR graph {self.path} takes {got_in} inputs and gives {got_out} outputs; the paradigm's "
                             f"data have {n_in} inputs and {n_out} classes" + (f" x {n_heads} heads" if n_heads > 1 else ""))
        self.n_out, self.multi = n_out, got_out == n_out * n_heads and n_heads > 1
        self.T, self.backend, self.batch = int(T), backend, int(batch)
        self.synaptic_events = 0
        self.samples = 0

    @property
    def name(self) -> str:
        return f"nir:{self.path}"

    def learn(self, t, x, y) -> None:
        """A NIR graph is used as trained; nothing to learn (the OnlineLearner call)."""

    def train_task(self, t, x, y) -> None:
        """A NIR graph is used as trained; nothing to do."""

    def predict(self, t: int, x) -> np.ndarray:
        """Class of each sample of ``x`` for task ``t`` (its head if multi-head)."""
        return self.logits(t, x).argmax(axis=1)

    def logits(self, t: int, x) -> np.ndarray:
        from spikesim.interop.nir import run_batch
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        out = []
        for lo in range(0, len(x), self.batch):
            xs = np.repeat(x[lo:lo + self.batch, None, :], self.T, axis=1)
            o, res = run_batch(self.graph, xs, self.dt, backend=self.backend, return_result=True)
            self.synaptic_events += int(res.meta["synaptic_events"])
            self.samples += len(xs)
            out.append(o.mean(axis=1))
        z = np.concatenate(out)
        return z[:, t * self.n_out:(t + 1) * self.n_out] if self.multi else z

    def accuracy(self, t: int, x, y) -> float:
        return float(np.mean(self.predict(t, x) == np.asarray(y)))
