"""A trained Spikformer (:class:`spikesim.models.spikformer.Spikformer`) lowered to the core: the
same inference as the torch forward pass, event-driven, with the core counting its operations.

What becomes what (Zhou et al., ICLR 2023; equations in :mod:`spikesim.nn.spikformer`):

* every Conv/Linear + BatchNorm (eval statistics) -> a weight-shared projection
  (:class:`spikesim.connectivity.Conv2D`) with the BN folded in, W' = W s and b' = (b - mu) s + beta with
  s = gamma / sqrt(var + eps) (float64), onto one-step currents (``Pulse``); b' is the bias of
  the receiving neurons. A 3x3 convolution is a 3x3 ``Conv2D`` on the (H, W) frame (channel-major
  ids); a Linear on tokens is a 1x1 ``Conv2D`` on the token frame (H', W') from channel-major or
  token-major ids (id = n D + c, the ``"hwc"`` layout) to token-major ids. The core stores the
  kernels, not one synapse per position: memory O(C_in C_out k^2) per layer, so a CIFAR-size
  model (about 10^9 synapses if stored explicitly) fits;
* every LIF layer -> a :class:`~spikesim.neurons.WindowedLIF` population (tau = 2, hard reset,
  fire on H >= V_th; the attention LIF's V_th = 0.5);
* MaxPool(3, 2, 1) on spikes -> OR neurons (:class:`~spikesim.neurons.NIRLeaky` "Threshold",
  v = I > 0.5) fed by every spike of their window with weight 1;
* Q K^T V * s -> the core's event-driven attention (:meth:`spikesim.Network.attention`);
* residual sums (values 0, 1, 2, ...) -> a layer that reads the stream has one projection from
  each spiking population of the stream, all with the same weights;
* the first convolution sees the analog pixels (direct encoding): it is computed outside the
  core (MACs, as the paper counts it) and drives the first LIF layer as its ``x``; the head
  (mean over tokens and time of the last residual stream, then Linear) is computed outside too,
  from the core's spike counts.

**Pipelining.** Every projection takes at least one step, so layer l sees the model's step t at
core step t + tau_l: tau = 0 for the first LIF layer, tau = max over its sources + 1 for a layer,
and a source s reaches it with delay tau - tau_s (skip paths are delayed to meet the main path).
A layer's bias acts only in its window [tau, tau + T) (``WindowedLIF``'s on/off), so it is silent
before its first input and after its last; one image takes max(tau) + T steps. Between images
the state is set to zero and pending spikes are dropped (no rebuild).

**Counts.** ``synaptic_events`` are the core's (spikes x out-degree over the image's steps);
split per projection from the recorded spikes (their sum equals the core's counter), those into
OR neurons (max pooling) are reported apart; SOPs = events into neurons + the attention's
accumulations.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

import spikesim as ss
from spikesim.interop.nir_maps import conv2d_matrix
from spikesim.models.spikformer import Spikformer


def fold_bn(bn) -> tuple[np.ndarray, np.ndarray]:
    """(scale s, shift beta - mu s) of an eval-mode BatchNorm, in float64."""
    g = bn.weight.detach().double().cpu().numpy()
    b = bn.bias.detach().double().cpu().numpy()
    mu = bn.running_mean.detach().double().cpu().numpy()
    var = bn.running_var.detach().double().cpu().numpy()
    s = g / np.sqrt(var + bn.eps)
    return s, b - mu * s


@dataclass
class Layer:
    """A population of the lowered network: its ``tau`` (core step of the model's step 0), its
    layout ("chw": channel-major (C, H, W); "tok": token-major (N, D)), the torch module it
    stands for (a LIF layer's name; "" for OR neurons)."""
    name: str
    n: int
    tau: int
    layout: str
    shape: tuple
    torch_name: str = ""
    kind: str = "lif"


@dataclass
class Edge:
    pre: str
    post: str
    degree: np.ndarray = field(repr=False)       # out-degree per presynaptic neuron
    into_or: bool = False


class LoweredSpikformer:
    """The core network of ``model`` for images of shape ``in_shape`` (C, H, W); see the module
    docstring. ``run(image)`` infers one (normalised) image. ``dtype``: of the core's weights and
    ring (``ss.Network``; ``"float32"`` halves them, the torch forward pass's own precision)."""

    def __init__(self, model: Spikformer, in_shape, backend: str = "numba", threads: int | None = None,
                 dtype="float64"):
        if not isinstance(model, Spikformer):
            raise TypeError(f"model must be a spikesim.models.spikformer.Spikformer, got {type(model).__name__}")
        if model.training:
            raise ValueError("lower a model in eval mode (model.eval()): batch norm is folded with its running "
                             "statistics")
        self.model, self.T = model, model.T
        self.in_shape = tuple(int(s) for s in in_shape)
        self.net = ss.Network(dt=1.0, seed=0, backend=backend, threads=threads, dtype=dtype)
        self.layers: dict[str, Layer] = {}
        self.edges: list[Edge] = []
        self._build()

    # ---------------------------------------------------------------- building
    def _add(self, name, n, tau, layout, shape, torch_name="", bias=None, v_th=1.0, kind="lif"):
        if kind == "or":
            obj = ss.neurons.NIRLeaky(n, "Threshold", v_th=0.5)
        else:
            b = np.zeros(n) if bias is None else np.asarray(bias, np.float64)
            obj = ss.neurons.WindowedLIF(n, tau=2.0, v_th=v_th, v_reset=0.0, bias=b, on=float(tau),
                                         off=float(tau + self.T))
        self.net.add(obj, name=name)
        self.layers[name] = Layer(name, n, tau, layout, tuple(shape), torch_name, kind)
        return self.layers[name]

    def _delay(self, pre: Layer, post: Layer) -> int:
        delay = post.tau - pre.tau
        if delay < 1:
            raise AssertionError(f"{pre.name} -> {post.name}: delay {delay} < 1 step")
        return delay

    def _connect(self, pre: Layer, post: Layer, M) -> None:
        """Synapses of the sparse (n_pre, n_post) matrix M, delayed so they reach ``post`` at its tau."""
        import scipy.sparse as sp
        coo = sp.coo_matrix(M)
        self.net.connect(pre.name, post.name, (coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data),
                         delays=float(self._delay(pre, post)), synapse=ss.synapses.Pulse())
        self.edges.append(Edge(pre.name, post.name, np.bincount(coo.row, minlength=pre.n), post.kind == "or"))

    def _connect_conv(self, pre: Layer, post: Layer, kernel: np.ndarray, frame, in_layout: str,
                      out_layout: str) -> None:
        """A weight-shared projection ``kernel`` (C_out, C_in, k, k) on ``frame``, delayed so it
        reaches ``post`` at its tau."""
        conv = ss.connectivity.Conv2D(kernel, frame, delays=float(self._delay(pre, post)), in_layout=in_layout,
                                      out_layout=out_layout)
        self.net.connect(pre.name, post.name, conv, synapse=ss.synapses.Pulse())
        self.edges.append(Edge(pre.name, post.name, conv.out_degree(), post.kind == "or"))

    def _token_index(self, layer: Layer) -> np.ndarray:
        """index[n, c]: the neuron of token n, feature c in ``layer``."""
        if layer.layout == "tok":
            N, D = layer.shape
            return np.arange(N * D).reshape(N, D)
        C, H, W = layer.shape
        return np.arange(C * H * W).reshape(C, H * W).T

    def _linear(self, sources: list[Layer], module, name, torch_name, v_th=1.0) -> Layer:
        """LinearBN on tokens from the sum of ``sources`` -> a LIF layer (token-major): a 1x1
        ``Conv2D`` on the token frame from each source."""
        W = module.linear.weight.detach().double().cpu().numpy()            # (out, in)
        b = module.linear.bias.detach().double().cpu().numpy() if module.linear.bias is not None else 0.0
        s, shift = fold_bn(module.bn)
        Wf, bf = W * s[:, None], b * s + shift
        N = self._token_index(sources[0]).shape[0]
        d_out = W.shape[0]
        tau = max(x.tau for x in sources) + 1
        post = self._add(name, N * d_out, tau, "tok", (N, d_out), torch_name, np.tile(bf, N), v_th)
        for src in sources:
            self._connect_conv(src, post, Wf[:, :, None, None], self.token_frame,
                               "hwc" if src.layout == "tok" else "chw", "hwc")
        return post

    def _conv(self, sources: list[Layer], convbn, name, torch_name) -> Layer:
        """Conv(3x3, stride 1, padding 1) + BN -> a LIF layer (channel-major): a 3x3 ``Conv2D``."""
        C, H, W = sources[0].shape
        conv = convbn.conv
        if tuple(conv.kernel_size) != (3, 3) or tuple(conv.stride) != (1, 1) or tuple(conv.padding) != (1, 1) \
                or conv.groups != 1 or conv.bias is not None:
            raise ValueError(f"{torch_name}: the lowering takes bias-free 3x3 convolutions with stride 1 and "
                             f"padding 1, got {conv}")
        s, shift = fold_bn(convbn.bn)
        K = conv.weight.detach().double().cpu().numpy() * s[:, None, None, None]
        out = (K.shape[0], H, W)
        tau = max(x.tau for x in sources) + 1
        post = self._add(name, int(np.prod(out)), tau, "chw", out, torch_name, np.repeat(shift, H * W))
        for src in sources:
            self._connect_conv(src, post, K, (H, W), "chw", "chw")
        return post

    def _pool(self, src: Layer, name) -> Layer:
        C = src.shape[0]
        M, out = conv2d_matrix(np.ones((C, 1, 3, 3)), src.shape, 2, 1, groups=C)
        post = self._add(name, int(np.prod(out)), src.tau + 1, "chw", out, kind="or")
        self._connect(src, post, M)
        return post

    def _build(self) -> None:
        m, sps = self.model, self.model.sps
        C, H, W = self.in_shape
        out0 = (sps.stages[0].conv.out_channels, H, W)
        x = self._add("sps0", int(np.prod(out0)), 0, "chw", out0, "sps.lifs.0",
                      np.zeros(int(np.prod(out0))))
        self.first = x
        for i in range(4):
            if i > 0:
                x = self._conv([x], sps.stages[i], f"sps{i}", f"sps.lifs.{i}")
            if sps.pools[i]:
                x = self._pool(x, f"pool{i}")
        self.token_frame = x.shape[1:]                  # tokens n = h W' + w of the (H', W') frame
        r = self._conv([x], sps.rpe, "rpe", "sps.rpe_lif")
        stream = [x, r]
        self.attentions = []
        for b, blk in enumerate(m.blocks):
            a, p = blk.attn, f"blocks.{b}."
            q, k, v = (self._linear(stream, getattr(a, c), f"b{b}_{c}", f"{p}attn.{c}_lif") for c in "qkv")
            N = q.shape[0]
            att = self._add(f"b{b}_attn", q.n, q.tau + 1, "tok", q.shape, f"{p}attn.attn_lif", v_th=a.attn_lif.v_th)
            self.attentions.append(self.net.attention(q.name, k.name, v.name, att.name, tokens=N, heads=a.heads,
                                                      scale=float(a.scale), delay=1.0))
            proj = self._linear([att], a.proj, f"b{b}_proj", f"{p}attn.proj_lif")
            stream = stream + [proj]
            fc1 = self._linear(stream, blk.mlp.fc1, f"b{b}_fc1", f"{p}mlp.fc1_lif")
            fc2 = self._linear([fc1], blk.mlp.fc2, f"b{b}_fc2", f"{p}mlp.fc2_lif")
            stream = stream + [fc2]
        self.stream = stream
        self.n_steps = max(x.tau for x in self.layers.values()) + self.T
        for name in self.layers:
            self.net.record(name, spikes=True)

    # ---------------------------------------------------------------- running
    @torch.no_grad()
    def drive(self, image: torch.Tensor) -> np.ndarray:
        """The first Conv + BN of the (normalised) image ``[C, H, W]`` in torch (float32): the
        first LIF layer's input at every step (MACs, outside the core)."""
        st = self.model.sps.stages[0]
        image = image.to(st.conv.weight.device)
        return st.bn(st.conv(image[None].float())).reshape(-1).double().cpu().numpy()

    def run(self, image: torch.Tensor) -> dict:
        """Infer one normalised image ``[C, H, W]``: ``logits`` (float64), ``spikes`` (layer name ->
        [T, n] bool, the model's steps), ``synaptic_events``, ``events_into_or`` (max pooling),
        ``attention_ops``, ``sops`` (events into neurons + attention ops), ``macs`` (first conv
        x T, head)."""
        net = self.net
        for name, layer in self.layers.items():
            net.set_state(name, "v", 0.0)
            if layer.kind == "lif":
                net.set_state(name, "age", 0.0)
        net.set_state(self.first.name, "x", self.drive(image))
        net.clear_pending()
        t0 = net.t
        res = net.run(float(self.n_steps))
        spikes = {}
        events = into_or = 0
        for name, layer in self.layers.items():
            t, i = res.spikes(name)
            step = np.rint((t - t0)).astype(np.int64) - layer.tau
            keep = (step >= 0) & (step < self.T)
            if not keep.all():
                raise AssertionError(f"layer {name} spiked outside its window: steps {np.unique(step[~keep])}")
            z = np.zeros((self.T, layer.n), dtype=bool)
            z[step, i] = True
            spikes[name] = z
        counts = {name: z.sum(0) for name, z in spikes.items()}
        for e in self.edges:
            ev = int((counts[e.pre] * e.degree).sum())
            events += ev
            into_or += ev if e.into_or else 0
        if events != net.last_run_stats["synaptic_events"]:
            raise AssertionError(f"events per projection {events} != the core's {net.last_run_stats['synaptic_events']}")
        feat = sum(counts[x.name][self._token_index(x)].astype(np.float64) for x in self.stream)   # (N, D)
        feat = feat.mean(0) / self.T
        head = self.model.head
        logits = feat @ head.weight.detach().double().cpu().numpy().T + head.bias.detach().double().cpu().numpy()
        att_ops = int(net.last_run_stats.get("attention_ops", 0))
        C0 = self.model.sps.stages[0].conv
        from spikesim.analysis.energy import conv2d_macs, linear_macs
        macs = conv2d_macs(C0.in_channels, C0.out_channels, 3, self.in_shape[1], self.in_shape[2]) * self.T \
            + linear_macs(head.in_features, head.out_features)
        return {"logits": logits, "spikes": spikes, "synaptic_events": events, "events_into_or": into_or,
                "attention_ops": att_ops, "sops": events - into_or + att_ops, "macs": macs}

    def torch_spikes(self, image: torch.Tensor) -> tuple[np.ndarray, dict]:
        """(logits, LIF layer name -> [T, n] bool) of the torch forward pass on one image."""
        out, hooks = {}, []
        mods = self.model.lif_layers()
        for name, mod in mods.items():
            hooks.append(mod.register_forward_hook(lambda m, i, o, name=name: out.__setitem__(name, o)))
        try:
            with torch.no_grad():
                logits = self.model(image[None].float())
        finally:
            for h in hooks:
                h.remove()
        return logits[0].double().numpy(), {k: (v.reshape(self.T, -1) != 0).numpy() for k, v in out.items()}
