"""Finite learning rates: the exact gradient-descent map of an aligned mode, its stability
bound, and the first-order (in η) modified flow that follows it.

Convention (`semjax.task`): loss L = ½ tr Σy − tr(WᵀΣyx) + ½ tr(W Σx Wᵀ), W = W_L ⋯ W_1,
full-batch gradient descent W_l ← W_l − η ∂L/∂W_l; one step advances the time t by η (in units
of τ, docs/theory.md §1.3), so step k is at t = kη.

Aligned balanced start (what `simulate(init="aligned", init_scale=a0)` sets): W_1 = R_1 w Vᵀ,
W_l = R_l w R_{l−1}ᵀ, W_L = U w R_{L−1}ᵀ on each mode (orthonormal R_l), with the same scalar w
in every layer and product ũ = w^L = a0. With Σyx = U S Vᵀ and Σx v_α = d v_α,

    ∂L/∂W_l = (W_L⋯W_{l+1})ᵀ (W Σx − Σyx) (W_{l−1}⋯W_1)ᵀ = R_l [w^{L−1} (d w^L − s)] R_{l−1}ᵀ

per mode, the same for every layer, so the start stays aligned and balanced and each mode
follows the scalar map

    w ← w + η w^{L−1} (s − d w^L),        recorded strength m = d w^L

(depth 1: w ← w + η (s − d w)). Depth 2 with λ = c² − b² ≠ 0 (c, b the mode's components in
W_2 and W_1, ũ = cb): c ← c + η b (s − d cb), b ← b + η c (s − d cb). Unlike gradient flow,
this map does not conserve λ (c² − b² shrinks by the factor 1 − η²(s − d cb)² per step); the
map is exact regardless.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from semjax import _validation
from semjax.theory._modes import (_A0_FIX, _S_FIX, _check_concrete, _maybe_nonzero,
                                  mode_strength)


def _check_common(s, a0, learning_rate, depth: int, lam, d) -> None:
    """Host checks shared by the functions of this module (concrete values only)."""
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    _check_concrete("a0", a0, allow_negative=depth == 1, fix=_A0_FIX)
    _check_concrete("learning_rate", learning_rate, allow_zero=False,
                    fix="learning_rate is the gradient-descent step η > 0.")
    _check_concrete("d", d, allow_zero=False,
                    fix="d is the eigenvalue of Σx along the mode (1 for white inputs).")
    _check_concrete("lam", lam, allow_negative=True)
    if depth != 2 and _maybe_nonzero(lam):
        raise ValueError(f"lam applies to depth 2 (an aligned λ-balanced pair); got "
                         f"depth={depth}. Use lam=0 for balanced chains.")


def _step_counts(n_steps) -> tuple[int, np.ndarray | None]:
    """(number of steps to iterate, step indices to return or None for all of 0..n)."""
    if isinstance(n_steps, jax.core.Tracer):
        raise TypeError("n_steps must be concrete (a Python int or an integer array): it sets "
                        "the static length of the scan. Pass it outside jax.jit.")
    steps = np.asarray(n_steps)
    if steps.dtype.kind not in "iuf" or np.any(steps < 0) or np.any(steps != np.round(steps)):
        raise ValueError(f"n_steps must be a whole number of steps ≥ 0 or an array of them; got "
                         f"{n_steps!r}.")
    if steps.size == 0:
        raise ValueError("n_steps is an empty array; give at least one step count.")
    steps = steps.astype(np.int64)
    if steps.ndim == 0:
        return int(steps), None
    return int(steps.max()), steps


def _gd_history(n_steps: int, s, a0, learning_rate, depth: int, lam, d):
    """Iterate the exact per-mode map n_steps times (module docstring).

    Returns:
        (m, b²): the recorded strength m_k = d ũ_k and the squared W_1 component b_k² (the
        eigenvalue of W_1ᵀW_1 along v_α), each of shape (n_steps + 1, *broadcast shape).
    """
    dtype = jnp.result_type(s, a0, learning_rate, lam, d, float)
    s, a0, eta, lam, d = jnp.broadcast_arrays(*(jnp.asarray(v, dtype)
                                                for v in (s, a0, learning_rate, lam, d)))
    if depth == 2 and _maybe_nonzero(lam):
        # c² − b² = λ, cb = a0 (docs/theory.md §3.1), each root formed without cancellation
        root = jnp.hypot(lam, 2 * a0)
        large = (root + jnp.abs(lam)) / 2
        small = 2 * a0 ** 2 / jnp.where(large > 0, 2 * large, 1.0)
        c = jnp.sqrt(jnp.where(lam >= 0, large, small))
        b = jnp.sqrt(jnp.where(lam >= 0, small, large))

        def step(state, _):
            c, b = state
            residual = s - d * c * b
            c, b = c + eta * b * residual, b + eta * c * residual
            return (c, b), (d * c * b, b ** 2)

        start = (c, b)
        first = (d * a0, b ** 2)
    else:
        w = a0 if depth == 1 else a0 ** (1 / depth)

        def step(w, _):
            w = w + eta * w ** (depth - 1) * (s - d * w ** depth)
            return w, (d * w ** depth, w ** 2)

        start = w
        first = (d * a0, w ** 2)
    _, history = lax.scan(step, start, None, length=n_steps)
    return tuple(jnp.concatenate([f[None], h]) for f, h in zip(first, history))


def gd_mode_strength(n_steps, s, a0, learning_rate, *, depth=2, lam=0.0, d=1.0):
    """Recorded strength of an aligned mode under full-batch gradient descent, exactly.

    Iterates the per-mode map of the module docstring with `jax.lax.scan`, broadcast over
    ``s``, ``a0``, ``learning_rate``, ``lam`` and ``d``,

        w_{k+1} = w_k + η w_k^{L−1} (s − d w_k^L),    m_k = d w_k^L,    w_0 = a0^{1/L},

    (depth 2 with ``lam`` ≠ 0: the (c, b) map), which is what `semjax.train` with
    ``optax.sgd(η)`` (or `simulate(method="euler", dt=η)`) records for an aligned start:
    m_k is at time t = kη, and as η → 0 it follows `mode_strength` (error O(η), see
    `modified_flow_mode_strength` for the O(η) correction).

    Args:
        n_steps: the number of steps, concrete. An int n returns the whole sequence
            m_0, …, m_n (leading axis of length n + 1); an integer array returns m after
            each of those step counts (leading axes ``n_steps.shape``), iterating max(n_steps)
            times.
        s: singular value of Σyx (> 0).
        a0: initial product strength ũ(0) = u_αᵀ W(0) v_α (≥ 0 for depth ≥ 2; the recorded
            strength starts at d·a0).
        learning_rate: the step η > 0.
        depth: number of weight matrices L ≥ 1 (static).
        lam: λ = c² − b² of an aligned λ-balanced start (depth 2).
        d: eigenvalue of Σx along v_α (1 for white inputs).

    Returns:
        m of shape (n + 1, *broadcast shape) or (*n_steps.shape, *broadcast shape). Past the
        stability bound (`gd_stability_bound`) the map oscillates or diverges, and so does m.

    Raises:
        ValueError: n_steps not whole numbers ≥ 0; s ≤ 0, η ≤ 0, d ≤ 0, a0 < 0 (depth ≥ 2)
            or non-finite values; lam ≠ 0 with depth ≠ 2.
        TypeError: n_steps traced.
    """
    depth = _validation.positive_int("depth", depth)
    _check_common(s, a0, learning_rate, depth, lam, d)
    n_max, indices = _step_counts(n_steps)
    strengths, _ = _gd_history(n_max, s, a0, learning_rate, depth, lam, d)
    return strengths if indices is None else strengths[indices]


def gd_stability_bound(s, *, depth=2, lam=0.0, d=1.0):
    """Largest learning rate η* for which the learned state m = s is linearly stable under
    gradient descent, per mode (broadcast over ``s``, ``lam`` and ``d``).

    At the minimum, the per-mode loss ℓ = ½ d ũ² − s ũ (ũ the product of the mode's layer
    components) has Hessian d ∇ũ ∇ũᵀ in the layer components (the residual term vanishes),
    rank one with eigenvalue h = d |∇ũ|²; gradient descent converges to the minimum iff
    |1 − ηh| < 1, i.e. η < η* = 2/h. With ũ = s/d:

    - balanced depth L: ∇ũ = (ũ/w)(1, …, 1), w = ũ^{1/L}, so h = L d ũ^{2−2/L} =
      L s^{2−2/L} d^{2/L−1} and η* = 2 / (L s^{2−2/L} d^{2/L−1}); depth 1: η* = 2/d;
      depth 2: η* = 1/s, whatever d (the large-depth O(1/(L s²)) of Saxe et al. 2014,
      App. B, up to s^{2/L});
    - λ-balanced depth 2: h = d (c² + b²) = d √(λ² + 4ũ²), so η* = 2 / √(d²λ² + 4s²),
      with λ the imbalance at the fixed point (gradient descent shrinks |λ| on the way).

    The other eigenvalues of the Hessian are 0 (the flat directions of rescaling between
    layers). For a task, gradient descent from an aligned start converges in every mode iff
    η < min over modes, e.g. ``jnp.min(gd_stability_bound(task.modes.s, d=d))``.

    Raises:
        ValueError: s ≤ 0, d ≤ 0 or non-finite values; lam ≠ 0 with depth ≠ 2.
    """
    depth = _validation.positive_int("depth", depth)
    _check_common(s, 0.0, 1.0, depth, lam, d)
    s, lam, d = (jnp.asarray(v, dtype=jnp.result_type(s, lam, d, float)) for v in (s, lam, d))
    if depth == 2:
        return 2 / jnp.hypot(d * lam, 2 * s)
    return 2 / (depth * s ** (2 - 2 / depth) * d ** (2 / depth - 1))


def modified_flow_mode_strength(t, s, a0, learning_rate, *, depth=2, d=1.0):
    """Gradient-flow mode strength corrected to first order in the learning rate η.

    Backward error analysis (Barrett & Dherin 2021, "Implicit gradient regularization",
    ICLR): the map x ← x + η f(x) follows dx/dt = f(x) − (η/2) f'(x) f(x) up to O(η²) over a
    fixed time (t = kη). Expanding x = x₀ + η x₁ with x₀ the flow,

        x₁' = f'(x₀) x₁ − ½ f'(x₀) f(x₀),  x₁(0) = 0   ⇒   x₁(t) = −½ F(t) ln[F(t)/F(0)],

    with F(t) = f(x₀(t)): F solves the homogeneous equation (F' = f'(x₀) F) and
    ∫₀ᵗ f'(x₀) dt' = ln(F(t)/F(0)). Here x = w, the per-layer component, with
    f(w) = w^{L−1}(s − d w^L) (module docstring) and x₀ from `mode_strength`. To first order the
    recorded strength m = d (x₀ + η x₁)^L is

        m_η(t) = m(t) − (η/2) ṁ(t) ln[F(t)/F(0)],   ṁ = d L (m/d)^{2−2/L} (s − m),
        ln[F(t)/F(0)] = ((L − 1)/L) ln(m(t)/m(0)) + ln[(s − m(t))/(s − m(0))],

    i.e. the flow delayed by (η/2) ln[F(0)/F(t)]. The exact map differs from m by O(η) and from
    m_η by O(η²) at fixed t. As t → ∞ the correction → 0 (ṁ ln|s − m| → 0); it is evaluated
    from ln|s − m| so nothing overflows, and is 0 where m has reached s in floating point or
    the mode sits at a fixed point (a0 = 0 for depth ≥ 2, or d·a0 = s).

    Args:
        t: times ≥ 0 in units of τ (step k at t = kη); broadcast with the other arguments.
        s, a0, d: as in `mode_strength`.
        learning_rate: the step η > 0.
        depth: number of weight matrices L ≥ 1 (static).

    Raises:
        ValueError: as `mode_strength`, and η ≤ 0.
    """
    depth = _validation.positive_int("depth", depth)
    _check_common(s, a0, learning_rate, depth, 0.0, d)
    flow = mode_strength(t, s, a0, depth=depth, d=d)
    s, a0, eta, d = (jnp.asarray(v, dtype=flow.dtype) for v in (s, a0, learning_rate, d))
    start = d * a0
    gap, start_gap = s - flow, s - start
    moving = (gap != 0) & (start_gap != 0)
    if depth > 1:
        moving &= start > 0
    gap, start_gap, flow_safe, start_safe = (jnp.where(moving, v, 1.0)
                                     for v in (gap, start_gap, flow, start))
    log_ratio = jnp.log(jnp.abs(gap)) - jnp.log(jnp.abs(start_gap))
    rate = d * gap
    if depth > 1:
        log_ratio += (depth - 1) / depth * (jnp.log(flow_safe) - jnp.log(start_safe))
        rate *= depth * (flow_safe / d) ** (2 - 2 / depth)
    return flow - eta / 2 * jnp.where(moving, rate * log_ratio, 0.0)
