"""Test oracle: Spikformer's LIF (Zhou et al., ICLR 2023, Eqs. 1-3) written directly in float32
NumPy, for the comparisons with :class:`spikesim.nn.spiking_lif.MultiStepLIF` and its fused
backends."""
import numpy as np


def lif_reference_numpy(x: np.ndarray, tau: float = 2.0, v_th: float = 1.0, v_reset: float = 0.0) -> np.ndarray:
    """Direct float32 NumPy implementation of Eqs. 1-3: spikes of shape ``x.shape``."""
    x = np.asarray(x, dtype=np.float32)
    v = np.zeros(x.shape[1:], dtype=np.float32)
    tau32, th32, vr32 = np.float32(tau), np.float32(v_th), np.float32(v_reset)
    out = np.zeros_like(x)
    for t in range(x.shape[0]):
        h = v + (x[t] - (v - vr32)) / tau32
        s = (h - th32 >= 0).astype(np.float32)
        v = h * (np.float32(1) - s) + vr32 * s
        out[t] = s
    return out
