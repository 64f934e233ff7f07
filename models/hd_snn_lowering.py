"""The heterogeneous-delay layer (Grimaldi & Perrinet 2023, doi:10.1007/s00422-023-00975-8) as a
network of the event-driven core.

The layer's causal 3-D convolution (see :mod:`spikesim.nn.delay_layer`)::

    B(c, t, x, y) = beta_c + sum_{p, d, i, j} K(c, p, d, i, j) A(p, t - lag_d, x + dx_i, y + dy_j)
    lag_d = K_T - 1 - d,   dx_i = i - K_X // 2,   dy_j = j - K_Y // 2

is expanded into synapses: every non-zero weight ``K(c, p, d, i, j)`` connects the input of
polarity ``p`` at ``(x, y)`` to the output neuron ``(c, x - dx_i, y - dy_j)`` (when that lies in
the frame) with weight ``K`` and delay ``lag_d + 1`` steps of 1 ms. The core's delays are at
least one step, so the logit of frame ``t`` is read at step ``t + 1``. The network has

* ``"events"``: an ``ss.inputs.SpikeSource`` spiking at the ON/OFF events. With
  ``synapses="conv"`` (default) one neuron per pixel, id ``(p X + x) Y + y``, and one
  weight-shared projection (:class:`spikesim.connectivity.Conv2D`, 5-D kernel with the delay
  axis, delays ``lag_d + 1`` ms): the core stores the kernel's non-zero entries once instead of
  one synapse per (position, entry). With ``synapses="lines"`` each pixel has one neuron per
  delay line, id ``((lag P + p) X + x) Y + y``, all spiking at the pixel's events, and one
  explicit projection per (polarity, lag) leaves them: every row of the core's CSR has one
  delay, and since the core propagates a step's spikes in id order, all events of a step write
  the ring slot of one delay before the next. With ``synapses="pixels"``, one neuron per pixel
  whose explicit synapses carry their own delays. Same logits, same synaptic-operation counts;
* ``"readout"``: ``C X Y`` :class:`spikesim.neurons.MaxReadout` units, id ``(c X + x) Y + y``
  (one class's frame in a block: the numba backend's arrival-order delivery of the weight-shared
  projection keeps one class's cells of a slot in the L1 cache), bias ``beta_c``; the direct synapses jump on ``a``; with the ON/OFF symmetry, the
  polarity-swapped weights ``K(c, 1 - p, ...)`` jump on ``b`` and ``z = beta + max(a, b)``;
* the state ``z`` of every readout unit recorded every step (and its spikes, when a threshold
  is given).

Several movies run through one network one after another, movie ``m`` starting at step
``m * period`` with ``period = T + K_T`` (every contribution of a movie is delivered before
the next starts; the readout keeps no memory), so the synapses are built once. Run it for
``period`` ms per movie; :func:`movie_evidence` turns each run's record into the ``(C, T, X, Y)``
logits (steps 1..T of the run; step 0 holds the bias alone and the steps after T the tail of
the last frames' contributions), and the run's ``meta["synaptic_events"]`` counts the synaptic
operations: one per synapse of each event, i.e. per non-zero weight whose target lies in the
frame.
"""
from __future__ import annotations

import numpy as np

DT_MS = 1.0


def movie_period(n_t: int, kernel_t: int) -> int:
    """Steps between the starts of consecutive movies in one lowered network."""
    return int(n_t) + int(kernel_t)


def delay_synapses(w: np.ndarray, n_x: int, n_y: int, delay_lines: bool = True):
    """Yield ``(pre, post, weight, delay_ms)`` for one set of weights ``w (C, P, K_T, K_X, K_Y)``
    on an ``n_x x n_y`` frame: per (polarity, lag) with ``delay_lines`` (presynaptic id
    ``((lag P + p) X + x) Y + y``), else per polarity (id ``(p X + x) Y + y``); sorted by
    presynaptic neuron, then lag, then postsynaptic neuron. With ``pos = x Y + y``, the target
    of entry (c, dx, dy) is ``c X Y + pos - dx Y - dy = pos + off``."""
    n_c, n_pol, kt, kx, ky = w.shape
    xs, ys = np.arange(n_x), np.arange(n_y)
    for p in range(n_pol):
        ci, di, ii, ji = np.nonzero(w[:, p])
        lag, dx, dy = kt - 1 - di, ii - kx // 2, ji - ky // 2
        order = np.lexsort((-dy, -dx, ci, lag))
        ci, di, ii, ji, lag, dx, dy = (a[order] for a in (ci, di, ii, ji, lag, dx, dy))
        wk = w[ci, p, di, ii, ji]
        off = ci * n_x * n_y - dx * n_y - dy
        groups = [(L, lag == L) for L in np.unique(lag)] if delay_lines else [(None, slice(None))]
        for L, sel in groups:
            gdx, gdy, goff, gw, glag = dx[sel], dy[sel], off[sel], wk[sel], lag[sel]
            vx = (xs[:, None] >= gdx[None, :]) & (xs[:, None] < n_x + gdx[None, :])   # (X, E): target in frame
            vy = (ys[:, None] >= gdy[None, :]) & (ys[:, None] < n_y + gdy[None, :])
            pos, e = np.nonzero((vx[:, None, :] & vy[None, :, :]).reshape(n_x * n_y, -1))  # by position, entry
            line = p if L is None else L * n_pol + p
            yield (pos + line * n_x * n_y, pos + goff[e], gw[e], (glag[e] + 1.0) * DT_MS)


def movie_spikes(events: np.ndarray, period: int, n_lines: int = 1):
    """Spike times (ms) and ids of ``events (N, P, T, X, Y)``, movie ``m`` shifted by ``m * period``;
    with ``n_lines`` delay lines, each event is repeated on every line (id + line P X Y)."""
    n, n_pol, n_t, n_x, n_y = events.shape
    m, p, t, x, y = np.nonzero(events)
    ids = (p * n_x + x) * n_y + y
    times = (m * period + t) * DT_MS
    lines = np.arange(n_lines)[:, None] * (n_pol * n_x * n_y)
    return np.broadcast_to(times, (n_lines, times.size)).ravel(), (ids[None, :] + lines).ravel()


SYNAPSES = ("conv", "lines", "pixels")


def lower_delay_layer(weight, bias, symmetric: bool, events, backend: str = "numba", theta: float | None = None,
                      seed: int = 0, synapses: str = "conv", threads: int | None = None, dtype="float64"):
    """An ``ss.Network`` computing the layer on ``events`` ((N, P, T, X, Y) or (P, T, X, Y), binary)
    event by event (module docstring). ``weight (C, P, K_T, K_X, K_Y)``, ``bias (C,)`` or None;
    ``synapses``: ``"conv"`` (one weight-shared projection), ``"lines"`` or ``"pixels"``
    (explicit synapses, module docstring); ``threads``: of the numba backend; ``dtype``: of the
    weights and the ring (``ss.Network``; ``"float32"`` is the dense torch pass's own precision)."""
    if synapses not in SYNAPSES:
        raise ValueError(f"synapses must be one of {SYNAPSES}, got {synapses!r}")
    import spikesim as ss
    from spikesim.neurons.max_readout import MaxReadout

    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 5:
        raise ValueError(f"weight must have shape (C, P, K_T, K_X, K_Y); got {w.shape}")
    n_c, n_pol, kt, kx, ky = w.shape
    ev = np.asarray(events)
    if ev.ndim == 4:
        ev = ev[None]
    if ev.ndim != 5 or ev.shape[1] != n_pol:
        raise ValueError(f"events must have shape (N, {n_pol}, T, X, Y) or ({n_pol}, T, X, Y); got {np.shape(events)}")
    if ev.size and not np.isin(ev, (0, 1)).all():
        raise ValueError("events must be binary (0 or 1)")
    if symmetric and n_pol != 2:
        raise ValueError("symmetric=True (ON/OFF max) needs two polarities")
    b = np.zeros(n_c) if bias is None else np.asarray(bias, dtype=np.float64)
    if b.shape != (n_c,):
        raise ValueError(f"bias must have shape ({n_c},); got {b.shape}")
    _, _, n_t, n_x, n_y = ev.shape
    period = movie_period(n_t, kt)
    n_lines = kt if synapses == "lines" else 1
    times, ids = movie_spikes(ev, period, n_lines)
    net = ss.Network(dt=DT_MS, seed=seed, backend=backend, max_delay=kt * DT_MS, threads=threads, dtype=dtype)
    src = net.add(ss.inputs.SpikeSource(n_lines * n_pol * n_x * n_y, times=times, ids=ids), name="events")
    out = net.add(MaxReadout(n_c * n_x * n_y, beta=np.repeat(b, n_x * n_y), two_sets=bool(symmetric), theta=theta),
                  name="readout")
    sets = [(w, "a"), (w[:, ::-1], "b")] if symmetric else [(w, "a")]
    for ws, var in sets:
        if synapses == "conv":      # kernel index d is lag K_T - 1 - d, delivered lag + 1 steps later
            conv = ss.connectivity.Conv2D(ws, (n_x, n_y), delays=(kt - np.arange(kt)) * DT_MS, in_layout="chw",
                                          out_layout="chw")
            net.connect(src, out, conv, synapse=ss.synapses.Delta(var))
            continue
        for pre, post, wk, delay in delay_synapses(ws, n_x, n_y, synapses == "lines"):
            net.connect(src, out, (pre, post, wk), delays=delay, synapse=ss.synapses.Delta(var))
    net.record(out, spikes=theta is not None, state=("z",))
    return net


def movie_evidence(result, n_classes: int, n_t: int, n_x: int, n_y: int) -> np.ndarray:
    """Logits ``(C, T, X, Y)`` of one movie from the record of its ``period``-step run."""
    z = result.state("readout", "z")
    return z[1:n_t + 1].reshape(n_t, n_classes, n_x, n_y).transpose(1, 0, 2, 3)


__all__ = ["DT_MS", "SYNAPSES", "delay_synapses", "lower_delay_layer", "movie_evidence", "movie_period", "movie_spikes"]
