"""Independent reference computations for the engine tests (no engine code used).

The whole network is written as one global symmetric matrix over all neurons; the free
equilibrium of E(s) = ½‖s‖² − ½ sᵀWs − bᵀs on the clip box satisfies s = clip(W s + b) for the
free units, and on the set A of units strictly inside their box, (I − W_AA) s_A = b_A + W_A,rest
s_rest. Differentiating the loss through that linear system (implicit differentiation) gives
dL/dθ without any EP machinery.
"""

import numpy as np


def global_system(net):
    sizes = [p.size for p in net.populations]
    off = np.concatenate([[0], np.cumsum(sizes)])
    n = off[-1]
    w = np.zeros((n, n))
    for proj in net.projections:
        i, j = net.index(proj.pre), net.index(proj.post)
        block = np.asarray(proj.weight, dtype=float)
        if i == j:
            w[off[j]:off[j + 1], off[i]:off[i + 1]] += block
        else:
            w[off[j]:off[j + 1], off[i]:off[i + 1]] += block
            w[off[i]:off[i + 1], off[j]:off[j + 1]] += block.T
    b = np.concatenate([np.asarray(p.bias, dtype=float).ravel() for p in net.populations])
    lo = np.concatenate([np.full(p.size, p.act.lo) for p in net.populations])
    hi = np.concatenate([np.full(p.size, p.act.hi) for p in net.populations])
    return w, b, lo, hi, off


def implicit_gradient(net, x, s_free_rows, y, loss_scale=1.0, tol=1e-9):
    """−dL/dW per projection and −dL/db per free population, L = mean_b (scale/2)‖s_out − y‖².

    ``s_free_rows[b]`` is the concatenated free state of sample b at the free equilibrium.
    """
    w, bias, lo, hi, off = global_system(net)
    n_in = off[1]
    batch = x.shape[0]
    grad_w = np.zeros_like(w)
    grad_b = np.zeros(off[-1])
    for k in range(batch):
        s = np.concatenate([x[k], s_free_rows[k]])
        free = np.arange(n_in, off[-1])
        active = free[(s[free] > lo[free] + tol) & (s[free] < hi[free] - tol)]
        h = np.eye(len(active)) - w[np.ix_(active, active)]
        dc = np.zeros(off[-1])
        out = slice(off[-2], off[-1])
        dc[out] = loss_scale * (s[out] - y[k])
        lam = np.zeros(off[-1])
        lam[active] = np.linalg.solve(h.T, dc[active])
        grad_w += (np.outer(lam, s) + np.outer(s, lam)) / batch
        grad_b += lam / batch
    directions_w = {}
    for proj in net.projections:
        i, j = net.index(proj.pre), net.index(proj.post)
        g = -grad_w[off[j]:off[j + 1], off[i]:off[i + 1]]
        if proj.mask is not None:
            g = g * proj.mask
        elif proj.lateral:
            g = g - np.diag(np.diag(g))
        directions_w[proj.name] = g
    directions_b = {p.name: -grad_b[off[net.index(p.name)]:off[net.index(p.name) + 1]]
                    for p in net.free}
    return directions_w, directions_b


def fixed_point_residual(net, x, s_free_rows):
    """max |s − clip(W s + b)| over the free units of every sample."""
    w, b, lo, hi, off = global_system(net)
    worst = 0.0
    for k in range(x.shape[0]):
        s = np.concatenate([x[k], s_free_rows[k]])
        new = np.clip(w @ s + b, lo, hi)
        worst = max(worst, np.abs(new[off[1]:] - s[off[1]:]).max())
    return worst
