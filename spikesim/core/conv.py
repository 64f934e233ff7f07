"""Weight-shared (convolutional) projections: one kernel for every position of a 2-D frame.

A population laid out as a ``C_in x X x Y`` frame connects to one laid out as ``C_out x X x Y``
through a kernel ``K`` that is the same at every position, as a convolutional layer of a
spiking CNN or the heterogeneous-delay layer of Grimaldi & Perrinet (2023) does. With the
cross-correlation convention of ``torch.nn.functional.conv2d`` (stride 1, zero padding to
the same frame)::

    I_out(c, x, y) += sum_{p, i, j} K(c, p, i, j) s_in(p, x + i - K_X // 2, y + j - K_Y // 2)

so a spike of input neuron (p, x, y) reaches output neuron (c, x + K_X // 2 - i,
y + K_Y // 2 - j) with weight K(c, p, i, j) when that lies in the frame. A 5-D kernel
``(C_out, C_in, K_D, K_X, K_Y)`` adds a delay axis: entry ``d`` arrives after ``delays[d]`` ms
(the HD-SNN layer's delays); a 4-D kernel takes ``delays`` as one value or one per entry.

The core stores only the non-zero kernel entries (sorted by input channel, delay, x offset,
y offset, target offset), not one synapse per (position, entry): memory is that of the kernel, and an
event reads the kernel's entries of its channel, which stay in cache. A ring cell receives the
step's ordinary (CSR) synapses first, then each convolution's entries in spike order (one per
cell and spike), on every backend and for every thread count. So the result equals the explicit
synapses of :meth:`Conv2D.synapses` connected with ``Network.connect`` bit for bit when no
other projection writes the same cells, and up to the order of additions otherwise. A synaptic
event is counted per entry whose target lies in the frame. When no other projection writes its
cells, the numba backend delivers a convolution in arrival order (:class:`ConvPull`), with the
same additions in the same order per cell.

Layouts: ``"chw"`` (id = (c X + x) Y + y, torch's) or ``"hwc"`` (id = (x Y + y) C + c), for the
input and the output separately. Convolutional projections are static: no plasticity, no
short-term plasticity, no recording of their (shared) weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.core.validate import check_array

LAYOUTS = ("chw", "hwc")


def layout_strides(layout: str, c: int, x: int, y: int) -> tuple[int, int, int]:
    """Id strides ``(s_c, s_x, s_y)``: id = s_c c + s_x x + s_y y."""
    if layout == "chw":
        return x * y, y, 1
    if layout == "hwc":
        return 1, y * c, c
    raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")


class Conv2D:
    """A convolutional connectivity for :meth:`spikesim.Network.connect` (module docstring).

    ``kernel``: (C_out, C_in, K_X, K_Y), or (C_out, C_in, K_D, K_X, K_Y) with ``delays`` of
    length K_D (ms); ``frame``: (X, Y); ``delays`` (ms) for a 4-D kernel: one value or an array
    of the kernel's shape (default: one step); zero entries are no synapses."""

    def __init__(self, kernel, frame, delays=None, in_layout: str = "chw", out_layout: str = "chw"):
        k = check_array(kernel, "kernel")
        if k.ndim not in (4, 5):
            raise ValueError(f"kernel must have shape (C_out, C_in, K_X, K_Y) or (C_out, C_in, K_D, K_X, K_Y); "
                             f"got {k.shape}")
        if min(k.shape) < 1:
            raise ValueError(f"kernel has an empty axis: {k.shape}")
        fr = tuple(int(v) for v in np.atleast_1d(frame)) if np.ndim(frame) == 1 else ()
        if len(fr) != 2 or min(fr) < 1 or any(float(a) != b for a, b in zip(np.atleast_1d(frame), fr)):
            raise ValueError(f"frame must be two positive integers (X, Y), got {frame!r}")
        for name, lay in (("in_layout", in_layout), ("out_layout", out_layout)):
            if lay not in LAYOUTS:
                raise ValueError(f"{name} must be one of {LAYOUTS}, got {lay!r}")
        if k.ndim == 5:
            if delays is None:
                raise ValueError("a 5-D kernel (C_out, C_in, K_D, K_X, K_Y) needs delays= (K_D values in ms)")
            d = check_array(delays, "delays", shape=(None,), low=0.0)
            if d.size != k.shape[2]:
                raise ValueError(f"delays has {d.size} values for K_D = {k.shape[2]} delay indices")
            dl = np.broadcast_to(d[None, None, :, None, None], k.shape)
            self.axis_delays = d
        else:
            dl = check_array(0.0 if delays is None else delays, "delays", low=0.0)
            if dl.ndim == 0:
                dl = np.broadcast_to(dl, k.shape)
            if dl.shape != k.shape:
                raise ValueError(f"delays has shape {dl.shape}; expected a scalar or the kernel's {k.shape}")
        self.kernel = k
        self.frame = fr
        self.in_layout, self.out_layout = in_layout, out_layout
        self.default_delay = delays is None
        self._delays = np.array(dl, dtype=np.float64)

    @property
    def c_out(self) -> int:
        return int(self.kernel.shape[0])

    @property
    def c_in(self) -> int:
        return int(self.kernel.shape[1])

    @property
    def n_in(self) -> int:
        return self.c_in * self.frame[0] * self.frame[1]

    @property
    def n_out(self) -> int:
        return self.c_out * self.frame[0] * self.frame[1]

    def entries(self, dt: float):
        """Non-zero entries ``(c_out, c_in, ox, oy, delay_steps, w)`` (ox = K_X // 2 - i, ...),
        unsorted; ``delay_steps`` rounded, one step where no delays were given."""
        k = self.kernel if self.kernel.ndim == 5 else self.kernel[:, :, None]
        dl = self._delays if self._delays.ndim == 5 else self._delays[:, :, None]
        c, p, di, i, j = np.nonzero(k)
        kx, ky = k.shape[3], k.shape[4]
        steps = np.ones(c.size, dtype=np.int64) if self.default_delay else \
            np.rint(dl[c, p, di, i, j] / dt).astype(np.int64)
        return c, p, kx // 2 - i, ky // 2 - j, steps, k[c, p, di, i, j]

    def out_degree(self) -> np.ndarray:
        """Synapses of every input neuron (by id): the non-zero entries of its channel whose target
        lies in the frame, i.e. the synaptic events of one of its spikes."""
        c, p, ox, oy, _, _ = self.entries(1.0)
        return frame_counts(p, ox, oy, layout_strides(self.in_layout, self.c_in, *self.frame), self.c_in,
                            *self.frame)

    def synapses(self, dt: float):
        """The same connectivity as explicit synapses ``(pre, post, w, delay_ms)`` for
        ``Network.connect`` (one per entry and in-frame position; for tests and other tools)."""
        nx, ny = self.frame
        c, p, ox, oy, steps, w = self.entries(dt)
        si = layout_strides(self.in_layout, self.c_in, nx, ny)
        so = layout_strides(self.out_layout, self.c_out, nx, ny)
        x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        x, y = x.ravel()[:, None], y.ravel()[:, None]
        tx, ty = x + ox[None, :], y + oy[None, :]
        ok = (tx >= 0) & (tx < nx) & (ty >= 0) & (ty < ny)
        pre = (si[0] * p[None, :] + si[1] * x + si[2] * y)[ok]
        post = (so[0] * c[None, :] + so[1] * tx + so[2] * ty)[ok]
        return (pre.astype(np.int64), post.astype(np.int64), np.broadcast_to(w, ok.shape)[ok].copy(),
                np.broadcast_to(steps * dt, ok.shape)[ok].copy())

    def __repr__(self) -> str:
        return (f"Conv2D(kernel {self.kernel.shape}, frame {self.frame}, {self.in_layout}->{self.out_layout}, "
                f"{np.count_nonzero(self.kernel)} entries)")


@dataclass
class ConvProjection:
    """What ``Network.connect`` returns for a :class:`Conv2D` connectivity."""

    pre: str
    post: str
    conv: Conv2D
    synapse: object
    name: str
    delay_steps: np.ndarray      # (n_entries,) of the entries, for the ring length
    n_entries: int
    plasticity: object = None
    stp: object = None

    @property
    def n_synapses(self) -> int:
        """Stored synapses: the kernel's non-zero entries (shared by every position)."""
        return self.n_entries

    def explicit(self, dt: float):
        """The same connectivity as an ordinary :class:`~spikesim.core.projection.Projection`
        (one synapse per entry and in-frame position), for tools that need explicit synapses
        (the Brian2 translation)."""
        from spikesim.core.projection import make_projection
        pre, post, w, delay = self.conv.synapses(dt)
        proj = make_projection(self.pre, self.conv.n_in, self.post, self.conv.n_out, (pre, post, w), delay, "v", dt)
        proj.synapse, proj.stp, proj.name = self.synapse, None, self.name
        return proj


@dataclass
class ConvPlan:
    """A convolutional projection in a plan: the pre population's global start, the input
    decoding (id -> channel, x, y), the receiver's first cell and the entries sorted by input
    channel (``ent_ptr``), then delay, x offset, y offset and target offset."""

    pre_start: int
    n_pre: int
    dec: np.ndarray        # (6,) int64: s_c, s_x, s_y of the input layout, C_in, X, Y
    out_strides: np.ndarray  # (3,) int64: output id strides of c, x, y
    cell0: int             # ring cell of output neuron 0
    ent_ptr: np.ndarray    # (C_in + 1,) int64
    ent_ox: np.ndarray     # (E,) int64
    ent_oy: np.ndarray     # (E,) int64
    ent_off: np.ndarray    # (E,) int64: s_c' c + s_x' ox + s_y' oy
    ent_delay: np.ndarray  # (E,) int64 steps
    ent_w: np.ndarray      # (E,) the network's dtype
    delays: np.ndarray = None     # (D,) int64: the distinct delays (steps), ascending
    grp_start: np.ndarray = None  # (C_in D + 1,) int64: first entry of (channel c, delay j) at c D + j
    reach: np.ndarray = None      # (4,) int64: max |ox|, max |oy|, min and max target offset
    pull: "ConvPull | None" = None  # the numba backend's arrival-order delivery (ConvPull), or None

    @property
    def out_xy(self) -> np.ndarray:
        """Output id strides of x and y."""
        return self.out_strides[1:]

    def signature(self):
        return ("conv", self.pull is not None)

    def clear_history(self) -> None:
        """Forget the input spikes kept for the arrival-order delivery (``Network.clear_pending``)."""
        if self.pull is not None and self.pull.hist_rows is not None:
            self.pull.hist_rows[:] = 0


#: the largest spike history (bytes) a convolution keeps for the arrival-order delivery
PULL_HISTORY_BYTES = 64 * 2 ** 20


@dataclass
class ConvPull:
    """A convolution delivered in arrival order by the numba backend.

    The order of additions that defines a convolution's result (every backend, the reference's
    :func:`spikesim.backends.reference.core` loop) is: step by step, the step's input spikes in
    id order, each spike's entries. Per ring cell that is: by emission step, then by input id.
    When no other projection writes the convolution's ring cells, the same additions can be done
    later and in another loop order without changing any bit, as long as each cell still gets
    them in that order: at the end of step ``s`` (every delay is >= 1 step), the contributions
    due at step ``s + 1`` are gathered from the input spikes of the last ``max delay`` steps,
    output channel by output channel (one channel's cells of one slot stay in the L1 cache
    while every delay and entry of that channel adds into them), delays from the longest (the
    earliest emission) to the shortest, and the entries of one (channel, delay) sorted by
    ``key = s_c p - s_x ox - s_y oy`` (input strides): for a fixed target cell the input id of
    entry ``e``'s spike is ``const + key_e``, so ascending keys visit its spikes in id order.

    The input spikes of each step are kept per y band (inside by the kernel's reach, near y = 0,
    near y = Y), input channel and x, in id order (``hist_rows`` bucket starts, ``hist_base`` the
    spike's output-frame offset, ``hist_y`` its y), in a history
    of ``n_slots`` steps; the synaptic events are counted when a spike is emitted
    (``in_events``: in-frame entries per input neuron), as the push order counts them."""

    grp: np.ndarray        # (C_out D + 1,) int64: entries of (output channel c, delay index j) at c D + j
    ch: np.ndarray         # (E,) int64: input channel p of each entry, in pull order
    ox: np.ndarray
    oy: np.ndarray
    off: np.ndarray        # (E,) int64 target offset (as ConvPlan.ent_off)
    w: np.ndarray          # (E,) the network's dtype
    in_events: np.ndarray  # (n_pre,) int64: in-frame entries of each input neuron
    n_slots: int
    hist_rows: np.ndarray = None   # (n_slots, 3 C_in X + 1) int64 bucket starts, allocated by history()
    hist_base: np.ndarray = None   # (n_slots, n_pre) int32
    hist_y: np.ndarray = None      # (n_slots, n_pre) int32

    @staticmethod
    def history_bytes(cp: "ConvPlan", n_slots: int) -> int:
        c_in, nx = int(cp.dec[3]), int(cp.dec[4])
        return n_slots * (8 * cp.n_pre + 8 * (3 * c_in * nx + 1))

    def history(self, cp: "ConvPlan"):
        """The history arrays (allocated, zero, on first use)."""
        if self.hist_rows is None:
            c_in, nx = int(cp.dec[3]), int(cp.dec[4])
            self.hist_rows = np.zeros((self.n_slots, 3 * c_in * nx + 1), dtype=np.int64)
            self.hist_base = np.zeros((self.n_slots, max(cp.n_pre, 1)), dtype=np.int32)
            self.hist_y = np.zeros((self.n_slots, max(cp.n_pre, 1)), dtype=np.int32)
        return self.hist_rows, self.hist_base, self.hist_y


def frame_counts(p, ox, oy, strides, c_in: int, nx: int, ny: int) -> np.ndarray:
    """In-frame kernel entries of every input neuron (its synaptic events per spike), by id, for
    entries of input channel ``p`` and offsets ``(ox, oy)`` (target (x + ox, y + oy)); ``strides``
    of the input layout. Per channel each entry adds 1 on the rectangle of positions whose target
    lies in the frame (a 2-D difference array, then cumulative sums)."""
    s_c, s_x, s_y = (int(v) for v in strides)
    out = np.zeros(c_in * nx * ny, dtype=np.int64)
    x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    for ch in range(c_in):
        sel = p == ch
        if not sel.any():
            continue
        ex, ey = ox[sel], oy[sel]
        x0, x1 = np.clip(-ex, 0, nx), np.clip(nx - ex, 0, nx)
        y0, y1 = np.clip(-ey, 0, ny), np.clip(ny - ey, 0, ny)
        ok = (x0 < x1) & (y0 < y1)
        d = np.zeros((nx + 1, ny + 1), dtype=np.int64)
        for a, b, sign in ((x0, y0, 1), (x1, y0, -1), (x0, y1, -1), (x1, y1, 1)):
            np.add.at(d, (a[ok], b[ok]), sign)
        out[s_c * ch + s_x * x + s_y * y] = d.cumsum(0).cumsum(1)[:nx, :ny]
    return out


def entry_channels(cp: "ConvPlan") -> np.ndarray:
    """The input channel of each of a planned convolution's entries (they are sorted by it)."""
    return np.repeat(np.arange(cp.ent_ptr.size - 1, dtype=np.int64), np.diff(cp.ent_ptr))


def in_frame_counts(cp: "ConvPlan") -> np.ndarray:
    """:func:`frame_counts` of a planned convolution's entries."""
    return frame_counts(entry_channels(cp), cp.ent_ox, cp.ent_oy, cp.dec[:3], int(cp.dec[3]), int(cp.dec[4]),
                        int(cp.dec[5]))


def make_pull(cp: "ConvPlan", c_out: int, n_slots: int) -> ConvPull:
    """The arrival-order arrays of ``cp`` (see :class:`ConvPull`): its entries stably re-sorted by
    (output channel, delay, key), from the push order, so tied entries keep that order."""
    s_c, s_x, s_y = (int(v) for v in cp.dec[:3])
    ch = entry_channels(cp)
    so_c = int(cp.out_strides[0])
    c = (cp.ent_off - cp.out_xy[0] * cp.ent_ox - cp.out_xy[1] * cp.ent_oy) // max(so_c, 1)
    j = np.searchsorted(cp.delays, cp.ent_delay)
    key = s_c * ch - s_x * cp.ent_ox - s_y * cp.ent_oy
    nx, ny = int(cp.dec[4]), int(cp.dec[5])
    reach = (np.abs(cp.ent_ox) < nx) & (np.abs(cp.ent_oy) < ny)     # the others never land in the frame
    order = np.flatnonzero(reach)[np.lexsort((key[reach], j[reach], c[reach]))]
    D = cp.delays.size
    grp = np.zeros(c_out * D + 1, dtype=np.int64)
    np.cumsum(np.bincount(c[order] * D + j[order], minlength=c_out * D), out=grp[1:])
    return ConvPull(grp, ch[order], cp.ent_ox[order], cp.ent_oy[order], cp.ent_off[order],
                    np.ascontiguousarray(cp.ent_w[order]), in_frame_counts(cp), int(n_slots))


def conv_plan(proj: ConvProjection, pre_start: int, cell0: int, dt: float, dtype=np.float64) -> ConvPlan:
    conv = proj.conv
    nx, ny = conv.frame
    c, p, ox, oy, steps, w = conv.entries(dt)
    so = layout_strides(conv.out_layout, conv.c_out, nx, ny)
    off = so[0] * c + so[1] * ox + so[2] * oy
    order = np.lexsort((off, oy, ox, steps, p))      # per (channel, delay) by ox: the valid ones are a run
    ptr = np.zeros(conv.c_in + 1, dtype=np.int64)
    np.cumsum(np.bincount(p, minlength=conv.c_in), out=ptr[1:])
    si = layout_strides(conv.in_layout, conv.c_in, nx, ny)
    p, steps = p[order], steps[order].astype(np.int64)
    delays, j = np.unique(steps, return_inverse=True)
    grp = np.zeros(conv.c_in * delays.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(p * delays.size + j, minlength=conv.c_in * delays.size), out=grp[1:])
    ox, oy, off = ox[order].astype(np.int64), oy[order].astype(np.int64), off[order].astype(np.int64)
    reach = np.array([np.abs(ox).max(), np.abs(oy).max(), off.min(), off.max()] if off.size else [0, 0, 0, 0],
                     dtype=np.int64)
    return ConvPlan(int(pre_start), conv.n_in, np.array([*si, conv.c_in, nx, ny], dtype=np.int64),
                    np.array(so, dtype=np.int64), int(cell0), ptr, ox, oy, off, steps,
                    np.ascontiguousarray(w[order], dtype=dtype), delays.astype(np.int64), grp, reach)

__all__ = ["Conv2D", "ConvPlan", "ConvProjection", "ConvPull", "LAYOUTS", "PULL_HISTORY_BYTES", "conv_plan",
           "frame_counts", "in_frame_counts", "layout_strides", "make_pull"]
