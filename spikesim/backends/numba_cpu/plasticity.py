"""The plasticity phase of one step (STDP, reward-modulated STDP) in the compiled CPU loop;
the order of operations is documented in :mod:`spikesim.plasticity.stdp`."""
from numba import njit

from spikesim.backends.scalar import compile_scalar
from spikesim.plasticity.stdp import (P_A_MINUS, P_A_PLUS, P_DECAY_ELIG, P_DECAY_POST, P_DECAY_PRE, P_ETA, P_KIND,
                                      P_W_MAX, P_W_MIN, RULE_RSTDP, clip_weight)

_clip = compile_scalar(clip_weight, njit(inline="always", cache=True))


@njit(cache=True, nogil=True)
def plasticity_step(step, spike_list, n_spk, indptr, post, w, syn_rule, syn_pre, rules, x_pre, x_post, elig,
                    modulator, post_indptr, post_syn, mod_syn):
    """The plasticity phase of one step (order documented in spikesim.plasticity.stdp)."""
    n_rules = rules.shape[0]
    N = x_pre.shape[1]
    for r in range(n_rules):
        d_pre = rules[r, P_DECAY_PRE]
        d_post = rules[r, P_DECAY_POST]
        for i in range(N):
            x_pre[r, i] *= d_pre
            x_post[r, i] *= d_post
    for k in range(mod_syn.size):
        syn = mod_syn[k]
        elig[syn] *= rules[syn_rule[syn], P_DECAY_ELIG]
    for k in range(n_spk):                       # depression: this step's presynaptic spikes
        g = spike_list[k]
        for syn in range(indptr[g], indptr[g + 1]):
            r = syn_rule[syn]
            if r >= 0:
                dw = -(rules[r, P_A_MINUS] * x_post[r, post[syn]])
                if rules[r, P_KIND] == RULE_RSTDP:
                    elig[syn] += dw
                else:
                    w[syn] = _clip(w[syn] + dw, rules[r, P_W_MIN], rules[r, P_W_MAX])
    for k in range(n_spk):                       # potentiation: this step's postsynaptic spikes
        g = spike_list[k]
        for j in range(post_indptr[g], post_indptr[g + 1]):
            syn = post_syn[j]
            r = syn_rule[syn]
            dw = rules[r, P_A_PLUS] * x_pre[r, syn_pre[syn]]
            if rules[r, P_KIND] == RULE_RSTDP:
                elig[syn] += dw
            else:
                w[syn] = _clip(w[syn] + dw, rules[r, P_W_MIN], rules[r, P_W_MAX])
    for k in range(n_spk):                       # trace increments
        g = spike_list[k]
        for r in range(n_rules):
            x_pre[r, g] += 1.0
            x_post[r, g] += 1.0
    for k in range(mod_syn.size):                # third factor: modulated weight change
        syn = mod_syn[k]
        r = syn_rule[syn]
        w[syn] = _clip(w[syn] + rules[r, P_ETA] * modulator[r, step] * elig[syn], rules[r, P_W_MIN],
                       rules[r, P_W_MAX])
