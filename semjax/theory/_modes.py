"""Closed-form mode strengths of shallow and deep (two-layer) linear networks.

All functions are pure jax, broadcast over ``t`` and the parameters, and are written in
overflow-free forms (only decaying exponentials), finite for every t ≥ 0 in float32.
Time is in units of τ unless ``tau`` is given (conventions: `semjax.task`).
"""

from __future__ import annotations

import jax.numpy as jnp

from semjax import _validation


def deep_mode_strength(t, s, a0, *, tau=1.0):
    """Balanced decoupled two-layer mode, τ da/dt = 2a(s − a) (Saxe et al. 2014, eq. 12):

        a(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/a0) = s / (1 + (s/a0 − 1) e^{−2st/τ}).

    The second form is the one evaluated (no overflow for large 2st/τ).
    With the recorded strength a = u_αᵀ W Σx v_α it also covers the shared-basis non-white case
    (theory.md §2.5) with a0 the recorded initial strength.
    """
    t, s, a0 = jnp.asarray(t), jnp.asarray(s), jnp.asarray(a0)
    return s / (1 + (s / a0 - 1) * jnp.exp(-2 * s * t / tau))


def shallow_mode_strength(t, s, b0, *, tau=1.0):
    """One-layer mode, τ db/dt = s − b (theory.md §2.3):

        b(t) = s (1 − e^{−t/τ}) + b0 e^{−t/τ}

    — every mode relaxes with the same time constant τ, whatever s.
    """
    t, s, b0 = jnp.asarray(t), jnp.asarray(s), jnp.asarray(b0)
    return -s * jnp.expm1(-t / tau) + b0 * jnp.exp(-t / tau)


def mode_strength(t, s, a0, *, tau=1.0, depth=2):
    """Mode strength a(t) of a decoupled, balanced network of the given depth.

    Args:
        t: times (any shape; broadcasts against ``s`` and ``a0``).
        s: singular value of the mode.
        a0: initial strength of the mode (> 0 for depth 2).
        tau: time constant τ.
        depth: 1 (shallow, `shallow_mode_strength`) or 2 (deep, `deep_mode_strength`).

    Raises:
        ValueError: an unsupported depth.
    """
    depth = _validation.positive_int("depth", depth)
    if depth == 1:
        return shallow_mode_strength(t, s, a0, tau=tau)
    if depth == 2:
        return deep_mode_strength(t, s, a0, tau=tau)
    raise ValueError(f"mode_strength supports depth 1 and 2 in this version; got depth={depth}.")


def half_time(s, a0, *, tau=1.0):
    """Exact time at which a deep mode reaches s/2: t½ = (τ/2s) ln(s/a0 − 1) (for a0 < s/2).

    The paper's learning-time scale (τ/s) ln(s/a0) (Saxe et al. 2014) is ≈ 2 t½ for a0 ≪ s.
    """
    s, a0 = jnp.asarray(s), jnp.asarray(a0)
    return tau / (2 * s) * jnp.log(s / a0 - 1)
