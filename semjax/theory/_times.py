"""Learning times of decoupled modes (theory.md §2.2, §2.4): which expressions are exact and
which are the papers' approximations.

Exact: `transition_time` (time from strength u0 to u_f for any depth), `half_time`,
`rise_time`. Approximations, kept because the papers quote them: `saxe_learning_time`
(τ/s) ln(s/a0) of Saxe et al. 2014 (the ε → s − ε time, ≈ 2 t½ for a0 ≪ s), and
`large_depth_learning_time` (Saxe et al. 2014 eq. 17, τ du/dt ≈ L u² (s − u)).
All broadcast over their arguments and are jax-traceable.
"""

from __future__ import annotations

import jax.numpy as jnp

from semjax import _validation
from semjax.theory._modes import _antiderivative


def transition_time(s, u_start, u_end, *, tau=1.0, depth=2):
    """Exact time for a decoupled balanced mode to go from u_start to u_end (same side of s):

        t = (τ/L) ∫ du / (u^{2−2/L} (s − u))        (theory.md §2.4),

    in closed form: depth 1: τ ln((s − u0)/(s − u_f)); depth 2:
    (τ/2s) ln[u_f (s − u0) / (u0 (s − u_f))] (Saxe et al. 2014 eq. 11); depth L ≥ 3: the
    partial-fraction antiderivative in y = (u/s)^{1/L}.

    Args:
        s: singular value; u_start, u_end: strengths (> 0 for depth ≥ 2);
        tau: time constant; depth: number of weight matrices L (static).
    """
    depth = _validation.positive_int("depth", depth)
    s, u0, uf = (jnp.asarray(v, dtype=jnp.result_type(s, u_start, u_end, float))
                 for v in (s, u_start, u_end))
    if depth == 1:
        return tau * jnp.log((s - u0) / (s - uf))
    if depth == 2:
        return tau / (2 * s) * jnp.log(uf * (s - u0) / (u0 * (s - uf)))
    beta = 2 - 2 / depth
    difference = (_antiderivative((uf / s) ** (1 / depth), depth)
                  - _antiderivative((u0 / s) ** (1 / depth), depth))
    return tau / (depth * s ** beta) * difference


def half_time(s, a0, *, tau=1.0, depth=2):
    """Exact time at which a mode started at a0 < s/2 reaches s/2; for depth 2
    t½ = (τ/2s) ln(s/a0 − 1), ≈ half of the paper's (τ/s) ln(s/a0) for a0 ≪ s."""
    s = jnp.asarray(s)
    return transition_time(s, a0, s / 2, tau=tau, depth=depth)


def rise_time(s, *, tau=1.0, depth=2, low=0.1, high=0.9):
    """Exact time from ``low``·s to ``high``·s (the transition width); independent of a0.
    Depth 2: (τ/2s) ln[(high/(1 − high)) ((1 − low)/low)] = (τ/2s) ln 81 ≈ 2.197 τ/s for
    10 %→90 %; depth 1: τ ln 9 for every s."""
    s = jnp.asarray(s)
    return transition_time(s, low * s, high * s, tau=tau, depth=depth)


def saxe_learning_time(s, a0, *, tau=1.0):
    """The paper's learning-time scale (τ/s) ln(s/a0) (Saxe et al. 2014, from ε to s − ε with
    ε = a0, ε ≪ s): an approximation, ≈ 2 `half_time`."""
    s, a0 = jnp.asarray(s), jnp.asarray(a0)
    return tau / s * jnp.log(s / a0)


def large_depth_learning_time(s, u_start, u_end, *, tau=1.0, depth):
    """Large-depth approximation (Saxe et al. 2014 eqs. 16–17), τ du/dt ≈ L u² (s − u):

        t = (τ/L) [ (1/s²) ln( u_f (u0 − s) / (u0 (u_f − s)) ) + 1/(s u0) − 1/(s u_f) ].

    The paper writes N_l (number of layers) for L; they agree as depth grows.
    """
    s, u0, uf = jnp.asarray(s), jnp.asarray(u_start), jnp.asarray(u_end)
    return tau / depth * (jnp.log(uf * (u0 - s) / (u0 * (uf - s))) / s ** 2
                          + 1 / (s * u0) - 1 / (s * uf))
