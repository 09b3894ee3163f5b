"""The neural race reduction of gated deep linear networks (Saxe, Sodhani & Lewallen 2022).

A GDLN (`semjax.Gates`) is linear given its gates, and its gradient flow depends on the data
only through the pathway correlations Σyx(p), Σx(q, p) (`pathway_correlations`). When they
are diagonal in bases shared by the modules (Σyx(p) = U S(p) Vᵀ, Σx(q, p) = V D(q, p) Vᵀ) and
the network starts aligned and balanced on them (``init="aligned"`` with ``gates=``: every
edge W_e = R_a B_e R_bᵀ with diagonal B_e), the weights stay in that form and each mode α
reduces to scalar edge strengths b_{e,α}:

    τ db_e/dt = Σ_{p∋e} (Π_{e'∈p, e'≠e} b_{e'}) (s_p − Σ_q d_{qp} a_q),     a_p = Π_{e∈p} b_e,

a_p the pathway's strength (`semjax.readouts` ``pathway_modes``) and q running over the
pathways into the same output module. Pathways *race*: each grows at first like e^{2 s_p t/τ}
(depth 2) and the ones that learn first take the shared error away from the others. A pathway
active on k of the P items has s_p and d_pp proportional to k, so a module shared by K
contexts learns K times faster than one used in a single context: the implicit bias towards
shared representations.

`neural_race` integrates this ODE (RK4 in a `lax.scan`, batched over starts with `jax.vmap`);
`pathway_strength` is its exact solution for a pathway with edges of its own and no other
pathway into its output (Saxe et al. 2014 with the pathway's s and d,
`semjax.theory.mode_strength`).

References:
    A. M. Saxe, S. Sodhani, S. Lewallen, "The neural race reduction: dynamics of abstraction
    in gated networks", ICML (2022).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from semjax import _validation
from semjax.dynamics._gated import PathwayCorrelations
from semjax.dynamics._steppers import rk4
from semjax.theory._modes import _A0_FIX, _TIME_FIX, _check_concrete, mode_strength

_STEP_PER_RATE = 0.01  # default RK4 step: this fraction of the fastest linearised timescale


def pathway_strength(t, s, d, a0, *, depth=2, tau=1.0):
    """Exact strength a_p(t) of an isolated pathway (edges of its own, alone in its output
    module), started aligned and balanced at a_p(0) = a0:

        τ da/dt = L a^{2−2/L} (s − d a),      a(t) = m(t)/d,

    with m the recorded strength of a white mode of `semjax.theory.mode_strength` (d enters
    as its shared-basis eigenvalue). For depth 2, a(t) = (s/d) / (1 + (s/(d a0) − 1)
    e^{−2st/τ}): the pathway's singular value s alone sets its speed, so a pathway active on
    K times more items learns K times faster (Saxe et al. 2022).

    Args:
        t: times (any shape), broadcast against the parameters.
        s: the pathway's singular value s_{p,α} > 0 (`PathwayCorrelations.s`).
        d: its input correlation d_{pp,α} > 0 (`PathwayCorrelations.d`).
        a0: its initial strength (≥ 0; 0 stays 0).
        depth: the number of weight layers L.
        tau: the time constant τ.

    Raises:
        ValueError: as `semjax.theory.mode_strength` (s ≤ 0, d ≤ 0, t < 0, ...).
    """
    return mode_strength(t, s, a0, d=d, depth=depth, tau=tau) / jnp.asarray(d)


def neural_race(t, correlations: PathwayCorrelations, a0, *, tau=1.0, max_step=None):
    """Pathway strengths a_{p,α}(t) of the neural race reduction (Saxe, Sodhani & Lewallen
    2022; module docstring),

        τ db_e/dt = Σ_{p∋e} (Π_{e'∈p, e'≠e} b_{e'}) (s_p − Σ_q d_{qp} a_q),   a_p = Π_{e∈p} b_e,

    mode by mode, from the aligned, balanced start of ``init="aligned"``: every edge carrying
    a mode starts at b_e = a0^{1/L}, so every carried pathway mode starts at a0.

    The ODE is integrated with classical RK4 (`semjax.dynamics.rk4`) in a `lax.scan` over the
    requested times, each interval in equal steps of at most ``max_step``; a batch of starts
    is one `jax.vmap`.

    Args:
        t: increasing times ≥ 0, shape (T,), in units of τ.
        correlations: the reduction's data (`pathway_correlations`).
        a0: the initial pathway strength, a number or an array of them (a batch, any shape).
        tau: the time constant τ.
        max_step: the largest RK4 step, in units of τ; default 1 % of the fastest
            linearised timescale, τ / (L Σ_q |d_{qp}| a*^{2−2/L}), a* the largest fixed point
            s/d or a0 (global error about 1e-9 relative).

    Returns:
        a_{p,α}(t) of shape (*a0.shape, T, n_paths, r).

    Raises:
        ValueError: t not 1-D, decreasing, negative or not finite; a0 < 0 or not finite;
            max_step or tau ≤ 0; more RK4 steps between two times than int32 counts.
    """
    times = np.asarray(t, dtype=float)
    _check_concrete("t", times, fix=_TIME_FIX)
    if times.ndim != 1 or not times.size or np.any(np.diff(times) < 0):
        raise ValueError(f"t must be a non-empty 1-D array of increasing times ≥ 0 (in units of "
                         f"τ); got {_validation.describe(t)}.")
    a0 = np.asarray(a0, dtype=float)
    _check_concrete("a0", a0, fix=_A0_FIX)
    tau = _validation.positive_float("tau", tau)
    depth = correlations.depth
    if max_step is None:
        fixed = np.abs(correlations.s) / np.maximum(np.abs(np.einsum("ppa->pa",
                                                                     correlations.d)), 1e-300)
        largest = max(float(fixed.max(initial=0.0)), float(a0.max(initial=0.0)), 1e-300)
        coupling = float(np.abs(correlations.d).sum(axis=0).max(initial=0.0))
        rate = depth * coupling * largest ** (2 - 2 / depth) / tau
        max_step = _STEP_PER_RATE / max(rate, 1e-300)
    max_step = _validation.positive_float("max_step", max_step)
    gaps = np.diff(np.concatenate([[0.0], times]))
    counts = np.maximum(1, np.ceil(gaps / max_step - 1e-9))
    if counts.max() > np.iinfo(np.int32).max:
        raise ValueError(f"t and max_step={max_step:g} need {counts.max():.3g} RK4 steps between "
                         f"two requested times (more than {np.iinfo(np.int32).max}, the step "
                         f"counter's range): pass a larger max_step or more times in between "
                         f"(t's largest gap is {gaps.max():g}).")
    counts = counts.astype(np.int32)
    dtype = jnp.result_type(float)
    flat = _race(jnp.asarray(a0.reshape(-1), dtype), jnp.asarray(correlations.s, dtype),
                 jnp.asarray(correlations.d, dtype), jnp.asarray(correlations.carried, dtype),
                 jnp.asarray(counts), jnp.asarray(gaps / counts, dtype), jnp.asarray(tau, dtype),
                 path_edges=tuple(map(tuple, correlations.path_edges.tolist())))
    return flat.reshape(*a0.shape, *flat.shape[1:])


@functools.partial(jax.jit, static_argnames=("path_edges",))
def _race(starts, s, d, carried, counts, steps, tau, *, path_edges: tuple):
    """The reduced ODE from each start (``starts``: a0 per run), recorded after each interval;
    one compilation per graph and shape."""
    path_edges = np.array(path_edges, dtype=int)
    depth = path_edges.shape[1]

    def field(strengths):
        along = strengths[path_edges]  # (n_paths, L, r)
        error = s - jnp.einsum("qpa,qa->pa", d, jnp.prod(along, axis=1))
        derivative = jnp.zeros_like(strengths)
        for layer in range(depth):
            others = jnp.prod(jnp.delete(along, layer, axis=1), axis=1)
            derivative = derivative.at[path_edges[:, layer]].add(others * error)
        return derivative / tau

    def interval(strengths, arguments):
        count, step = arguments
        strengths = lax.fori_loop(0, count, lambda _, b: rk4(field, b, step), strengths)
        return strengths, jnp.prod(strengths[path_edges], axis=1)

    def one(a0):
        return lax.scan(interval, a0 ** (1.0 / depth) * carried, (counts, steps))[1]

    return jax.vmap(one)(starts)


def race_loss(correlations: PathwayCorrelations, strengths):
    """The excess loss of a GDLN whose pathways have strengths a_{p,α} in the shared bases,

        L(a) − L(T) = ℓ₀ − Σ_{p,α} s_{p,α} a_{p,α} + ½ Σ_{q,p,α} d_{qp,α} a_{q,α} a_{p,α},

    with ℓ₀ = ½ c Σ_μ ‖y_μ‖² − L(T) (`PathwayCorrelations.loss_offset`), T the best linear map;
    the number ``semjax.simulate`` records as ``loss``, exact when the reduction is
    (``residual`` and ``coupling_residual`` zero). Reference: Saxe, Sodhani & Lewallen,
    "The neural race reduction", ICML 2022 (the loss in the pathway basis).

    Args:
        correlations: the reduction's data.
        strengths: a_{p,α}, shape (..., n_paths, r) (e.g. `neural_race`'s output).
    """
    a = jnp.asarray(strengths)
    s, d = jnp.asarray(correlations.s), jnp.asarray(correlations.d)
    return (correlations.loss_offset - jnp.einsum("pa,...pa->...", s, a)
            + 0.5 * jnp.einsum("qpa,...qa,...pa->...", d, a, a))
