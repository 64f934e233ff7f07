"""The linear NIR nodes as sparse matrices: what an edge through Affine, Linear, Scale, Flatten,
Conv1d, Conv2d, SumPool2d or AvgPool2d does to a (flattened, C-order) signal.

``node_map(name, node, n_in, in_shape)`` returns ``(M, bias, out_shape)``: ``M`` a
``scipy.sparse.csr_matrix`` of shape (n_in, n_out) such that y = x @ M + bias, ``bias`` (n_out,)
or None. Convolutions and pooling expand into one entry per (output unit, kernel tap inside the
input), C_out * H_out * W_out * (C_in / groups) * k_h * k_w entries for Conv2d: about 10^7
entries (a few hundred MB as projections) is where expanding stops being sensible.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from spikesim.interop.nir_errors import NIRImportError


def as_array(x, dtype=np.float64) -> np.ndarray:
    """A NIR parameter (numpy array, torch tensor, number) as a numpy array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def _pair(v, name, node_name):
    a = np.atleast_1d(np.asarray(v, dtype=np.int64)).ravel()
    if a.size == 1:
        a = np.repeat(a, 2)
    if a.size != 2:
        raise NIRImportError(f"node {node_name!r}: {name} must be an int or a pair, got {v!r}")
    return a


def _conv_nd(name, weight, bias, in_shape, stride, padding, dilation, groups, nd):
    """Sparse matrix of an nd-dimensional (1 or 2) convolution with torch's conventions."""
    w = as_array(weight)
    if w.ndim != nd + 2:
        raise NIRImportError(f"node {name!r} (Conv{nd}d): weight must have {nd + 2} dimensions, got shape {w.shape}")
    c_out, c_in_g = w.shape[:2]
    k = np.array(w.shape[2:], dtype=np.int64)
    if in_shape is None or len(in_shape) != nd + 1:
        raise NIRImportError(f"node {name!r} (Conv{nd}d): needs an input of shape (C_in, {'H, W' if nd == 2 else 'N'}), "
                             f"got {in_shape}")
    c_in = int(in_shape[0])
    size = np.array(in_shape[1:], dtype=np.int64)
    groups = int(groups)
    if groups < 1 or c_in % groups or c_out % groups or c_in // groups != c_in_g:
        raise NIRImportError(f"node {name!r} (Conv{nd}d): {c_in} input channels, weight {w.shape} and groups={groups} "
                             "do not fit")
    expand = (lambda v, what: _pair(v, what, name)[:nd]) if nd == 2 else \
        (lambda v, what: np.atleast_1d(np.asarray(v, dtype=np.int64)).ravel()[:1])
    stride_a, dil = expand(stride, "stride"), expand(dilation, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pad_lo = np.zeros(nd, np.int64)
        elif padding == "same":
            total = dil * (k - 1)
            pad_lo = total // 2
        else:
            raise NIRImportError(f"node {name!r} (Conv{nd}d): padding {padding!r} is not 'same', 'valid' or a number")
        out = size if padding == "same" else (size - dil * (k - 1) - 1) // stride_a + 1
    else:
        pad_lo = expand(padding, "padding")
        out = (size + 2 * pad_lo - dil * (k - 1) - 1) // stride_a + 1
    if np.any(out < 1):
        raise NIRImportError(f"node {name!r} (Conv{nd}d): input {tuple(in_shape)} is smaller than the kernel")
    # one entry per (output channel, output position, input channel of its group, kernel tap)
    grids = np.meshgrid(*[np.arange(o) for o in out], indexing="ij")
    taps = np.meshgrid(*[np.arange(kk) for kk in k], indexing="ij")
    pos = np.stack([g.ravel() for g in grids], axis=1)            # (P, nd)
    tap = np.stack([t.ravel() for t in taps], axis=1)             # (K, nd)
    src = pos[:, None, :] * stride_a - pad_lo + tap[None, :, :] * dil    # (P, K, nd)
    inside = np.all((src >= 0) & (src < size), axis=2)           # (P, K)
    p_idx, k_idx = np.nonzero(inside)
    src = src[p_idx, k_idx]
    src_flat = np.ravel_multi_index(tuple(src.T), tuple(size)) if nd == 2 else src[:, 0]
    out_flat = p_idx
    n_pos, n_src = int(np.prod(out)), int(np.prod(size))
    rows, cols, vals = [], [], []
    wk = w.reshape(c_out, c_in_g, -1)
    for g in range(groups):
        for o in range(c_out // groups):
            c = g * (c_out // groups) + o
            for ci in range(c_in_g):
                cin = g * c_in_g + ci
                vv = wk[c, ci, k_idx]
                keep = vv != 0
                rows.append(cin * n_src + src_flat[keep])
                cols.append(c * n_pos + out_flat[keep])
                vals.append(vv[keep])
    M = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(c_in * n_src, c_out * n_pos))
    b = None
    if bias is not None:
        bb = as_array(bias).ravel()
        if bb.size not in (1, c_out):
            raise NIRImportError(f"node {name!r} (Conv{nd}d): bias has {bb.size} values for {c_out} channels")
        b = np.repeat(np.broadcast_to(bb, (c_out,)), n_pos)
        b = None if not np.any(b) else b
    return M, b, (c_out, *[int(o) for o in out])


def _pool2d(name, node, in_shape, average):
    if in_shape is None or len(in_shape) != 3:
        raise NIRImportError(f"node {name!r} ({type(node).__name__}): needs an input of shape (C, H, W), got {in_shape}")
    k = _pair(as_array(node.kernel_size, np.int64), "kernel_size", name)
    s = _pair(as_array(node.stride, np.int64), "stride", name)
    p = _pair(as_array(node.padding, np.int64), "padding", name)
    c = int(in_shape[0])
    w = np.full((c, 1, *k), 1.0 / np.prod(k) if average else 1.0)
    return _conv_nd(name, w, None, in_shape, s, p, (1, 1), c, 2)


def node_map(name: str, node, n_in: int, in_shape):
    """(M, bias, out_shape) of linear node ``node`` fed with ``n_in`` values of shape ``in_shape``."""
    import nir
    if isinstance(node, (nir.Affine, nir.Linear)):
        w = as_array(node.weight)
        if w.ndim != 2:
            raise NIRImportError(f"node {name!r} ({type(node).__name__}): weight must be 2-D (out, in), got {w.shape}")
        if w.shape[1] != n_in:
            raise NIRImportError(f"node {name!r} ({type(node).__name__}): weight {w.shape} takes {w.shape[1]} inputs "
                                 f"but receives {n_in}")
        b = None
        if isinstance(node, nir.Affine) and node.bias is not None:
            b = np.broadcast_to(as_array(node.bias).ravel(), (w.shape[0],)).copy()
            b = b if np.any(b) else None
        return sp.csr_matrix(w.T), b, (w.shape[0],)
    if isinstance(node, nir.Scale):
        s = as_array(node.scale).ravel()
        if s.size == 1:
            s = np.full(n_in, s[0])
        if s.size != n_in:
            raise NIRImportError(f"node {name!r} (Scale): {s.size} scale values for {n_in} inputs")
        return sp.diags(s, format="csr"), None, in_shape
    if isinstance(node, nir.Flatten):
        return sp.identity(n_in, format="csr"), None, (n_in,)
    if isinstance(node, nir.Conv2d):
        return _conv_nd(name, node.weight, node.bias, _shape_for(node, in_shape, n_in, 2), node.stride, node.padding,
                        node.dilation, node.groups, 2)
    if isinstance(node, nir.Conv1d):
        return _conv_nd(name, node.weight, node.bias, _shape_for(node, in_shape, n_in, 1), node.stride, node.padding,
                        node.dilation, node.groups, 1)
    if isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
        return _pool2d(name, node, in_shape, isinstance(node, nir.AvgPool2d))
    raise NIRImportError(f"node {name!r} has type {type(node).__name__}, which is not a linear NIR node")


def _shape_for(node, in_shape, n_in, nd):
    """The (C_in, spatial...) input shape of a convolution: its own input_shape when given."""
    c_in = as_array(node.weight).shape[1] * int(node.groups)
    if getattr(node, "input_shape", None) is not None:
        spatial = np.atleast_1d(np.asarray(node.input_shape, dtype=np.int64)).ravel()
        return (c_in, *[int(s) for s in spatial[-nd:]])
    if in_shape is not None and len(in_shape) == nd + 1:
        return tuple(int(s) for s in in_shape)
    return None


def conv2d_matrix(weight, in_shape, stride=1, padding=0, groups: int = 1, name: str = "conv2d"):
    """(M, out_shape) of a 2-D convolution with torch's conventions (no bias) as a sparse
    (n_in, n_out) matrix over C-order (C, H, W) signals: y = x @ M. A sum pool is a grouped
    convolution with weights 1 (``weight`` of shape (C, 1, k, k), ``groups=C``)."""
    M, _, out = _conv_nd(name, weight, None, in_shape, stride, padding, (1, 1), groups, 2)
    return M, out
