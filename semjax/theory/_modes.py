"""Closed-form mode strengths of decoupled deep linear networks (theory.md §2, §3.7).

Every function is pure jax, broadcasts over ``t`` and the parameters (numpy broadcasting: put
time on the leading axes, e.g. ``t[:, None]`` against per-mode ``s``), and is written in an
overflow-free form (decaying exponentials only), finite for every t ≥ 0 in float32 and float64.

The quantity returned is the *recorded* mode strength m_α = u_αᵀ W Σx v_α of `semjax.task`
(the number `semjax.simulate` records). Time is in units of τ.

Shared-basis non-white inputs (theory.md §2.5): if Σx v_α = d v_α, a decoupled balanced
depth-L mode has product strength ũ = u_αᵀ W v_α obeying τ dũ/dt = L ũ^{2−2/L} (s − d ũ), so
m = d ũ obeys the white equation τ_eff dm/dt = L m^{2−2/L} (s − m) with τ_eff = τ d^{1−2/L}:
for the paper's depth 2 the recorded strength sees d only through its start m(0) = d ũ(0),
a shallow net relaxes at rate d/τ. `mode_strength` takes ũ(0) (what `simulate`'s aligned
``init_scale`` sets) and ``d``, and applies this.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from semjax import _validation


def deep_mode_strength(t, s, a0, *, tau=1.0):
    """Balanced decoupled two-layer mode, τ da/dt = 2a(s − a) (Saxe et al. 2014, eq. 12):

        a(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/a0) = s / (1 + (s/a0 − 1) e^{−2st/τ}).

    Evaluated as s / (1 + sign(s − a0) exp(ln|s − a0| − ln a0 − 2st/τ)): no overflow for any
    t ≥ 0, s > 0 and a0 > 0 (even when s/a0 itself overflows), in float32 and float64.
    Requires a0 > 0 (a0 = 0 is the saddle).
    """
    t, s, a0 = jnp.asarray(t), jnp.asarray(s), jnp.asarray(a0)
    exponent = jnp.log(jnp.abs(s - a0)) - jnp.log(a0) - 2 * s * t / tau
    return s / (1 + jnp.sign(s - a0) * jnp.exp(exponent))


def shallow_mode_strength(t, s, b0, *, tau=1.0):
    """One-layer mode, τ db/dt = s − b (theory.md §2.3):

        b(t) = s (1 − e^{−t/τ}) + b0 e^{−t/τ},

    every mode relaxing with the same time constant τ, whatever s.
    """
    t, s, b0 = jnp.asarray(t), jnp.asarray(s), jnp.asarray(b0)
    return -s * jnp.expm1(-t / tau) + b0 * jnp.exp(-t / tau)


def lambda_balanced_mode_strength(t, s, a0, lam, *, tau=1.0):
    """Aligned λ-balanced two-layer mode (theory.md §3.7, Dominé et al. 2025):

        τ da/dt = √(λ² + 4a²) (s − a),

    which depends on λ only through λ², interpolating between the rich sigmoid (λ = 0, equal to
    `deep_mode_strength`) and lazy exponential relaxation at rate |λ|/τ (|λ| ≫ s, a).

    Solution: with a = (λ/2) sinh θ and w = tanh(θ/2), w obeys a Riccati equation with roots
    w± = (−λ ± K)/(2s), K = √(λ² + 4s²), so (w − w₊)/(w − w₋) = c0 e^{−Kt/τ} and
    a = λ w/(1 − w²). Evaluated with the O(λ) factors 1 − w₊, 1 − w0, 1 + w₋ divided out
    analytically, so it is exact and continuous as λ → 0 and has no cancellation for any λ.
    Requires a0 > 0. At λ = 0 exactly it returns `deep_mode_strength`.
    """
    t, s, a0 = jnp.asarray(t), jnp.asarray(s), jnp.asarray(a0)
    lam_input = lam
    lam = jnp.abs(jnp.asarray(lam))
    rich = deep_mode_strength(t, s, a0, tau=tau)
    lam = jnp.where(lam == 0, 1.0, lam)  # placeholder where λ = 0; that branch returns `rich`
    K = jnp.sqrt(lam ** 2 + 4 * s ** 2)
    R0 = jnp.hypot(lam, 2 * a0)
    w_plus = (K - lam) / (2 * s)
    w_minus = -(K + lam) / (2 * s)
    w0 = 2 * a0 / (lam + R0)
    # (1 − w₊)/λ, (1 − w0)/λ and −(1 + w₋)/λ, each finite as λ → 0:
    p_plus = (2 * s + K - lam) / (2 * s * (2 * s + K))
    p_zero = (1 + lam / (R0 + 2 * a0)) / (lam + R0)
    p_minus = (lam + 2 * s + K) / (2 * s * (2 * s + K))
    gamma = (p_plus - p_zero) / (w0 - w_minus)  # c0 / λ
    decay = gamma * jnp.exp(-K * t / tau)  # c(t) / λ
    numerator = (w_plus - lam * decay * w_minus) * (1 - lam * decay)
    denominator = (p_plus - decay * (1 - w_minus)) * ((1 + w_plus) + lam ** 2 * decay * p_minus)
    return jnp.where(jnp.asarray(lam_input) == 0, rich, numerator / denominator)


def _antiderivative(y, depth: int):
    """F(y) = ∫ L y^{1−L} / (1 − y^L) dy for integer L ≥ 2 (the implicit time of §2.4 in the
    variable y = (u/s)^{1/L}), by partial fractions over the L-th roots of unity ω_k:

        F(y) = L y^{2−L}/(2−L) − Σ_k ω_k² ln(1 − ω̄_k y)      (L ≥ 3),
        F(y) = 2 ln y − ln(1 − y) − ln(1 + y)                   (L = 2).

    Only the real part matters (the imaginary parts cancel in the sum, and on y > 1 the
    principal branch adds a constant iπ that cancels in differences F(y) − F(y0)).
    """
    complex_dtype = jnp.result_type(y, jnp.complex64)
    roots = jnp.exp(2j * jnp.pi * jnp.arange(depth) / depth).astype(complex_dtype)
    logs = jnp.log(1 - jnp.conj(roots) * y[..., None].astype(complex_dtype))
    series = -jnp.real(jnp.sum(roots ** 2 * logs, axis=-1))
    leading = 2 * jnp.log(y) if depth == 2 else depth * y ** (2 - depth) / (2 - depth)
    return leading + series


def _layered_mode_strength(t, s, a0, depth: int, tau, iterations: int):
    """Invert t(u) of τ du/dt = L u^{2−2/L} (s − u) exactly: safeguarded Newton (bisection when
    a step leaves the bracket) on ζ = ln|x/(1 − x)|, x = u/s, in which the elapsed time is
    monotone and |dt/dζ| = τ x^{2/L−1}/(L s^{2−2/L}); compiled, stopping when every ζ has
    settled to a few eps or after `iterations` steps."""
    t, s, a0 = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.result_type(t, s, a0, float))
                                      for v in (t, s, a0)))
    beta = 2 - 2 / depth
    x0 = a0 / s
    above = x0 > 1  # approaching s from above: x decreases from x0 to 1
    scale = tau / (depth * s ** beta)
    start = _antiderivative(x0 ** (1 / depth), depth)

    def time_of(zeta):
        x = jnp.where(above, 1 / (1 - jnp.exp(-zeta)), 1 / (1 + jnp.exp(-zeta)))
        elapsed = scale * jnp.abs(_antiderivative(x ** (1 / depth), depth) - start)
        slope = scale * x ** (1 - beta)  # |dt/dζ|
        return x, elapsed, slope

    eps = jnp.finfo(t.dtype).eps
    low = jnp.log(jnp.abs(x0 / (1 - x0)))  # ζ(0); elapsed time grows with ζ on both sides of s
    high = jnp.full_like(t, -jnp.log(eps) + 5.0)  # x within eps of 1: saturated

    def step(state):
        count, low, high, zeta, _ = state
        _, elapsed, slope = time_of(zeta)
        residual = elapsed - t
        high = jnp.where(residual > 0, zeta, high)
        low = jnp.where(residual > 0, low, zeta)
        newton = zeta - residual / slope
        inside = (newton > low) & (newton < high)
        updated = jnp.where(inside, newton, (low + high) / 2)
        settled = jnp.all(jnp.abs(updated - zeta) <= 4 * eps * (1 + jnp.abs(zeta)))
        return count + 1, low, high, updated, settled

    def running(state):
        count, *_, settled = state
        return (count < iterations) & ~settled

    start_state = (0, low, high, (low + high) / 2, jnp.asarray(False))
    zeta = lax.while_loop(running, step, start_state)[3]
    x, _, _ = time_of(zeta)
    return jnp.where(x0 == 1, s, x * s)


def _check_concrete(name: str, value, *, allow_zero: bool = True,
                    allow_negative: bool = False) -> None:
    """Host check of a concrete argument (skipped for traced values, which jit compiles)."""
    if isinstance(value, jax.core.Tracer):
        return
    array = np.asarray(value)
    bad = ~np.isfinite(array)
    if not allow_negative:
        bad |= (array < 0) | ((array == 0) & (not allow_zero))
    if np.any(bad):
        bound = "" if allow_negative else " and ≥ 0" if allow_zero else " and > 0"
        raise ValueError(f"{name} must be finite{bound}; got {array[bad].ravel()[0]}.")


def _maybe_nonzero(value) -> bool:
    """True if ``value`` is traced (unknown) or has a nonzero entry."""
    return isinstance(value, jax.core.Tracer) or bool(np.any(np.asarray(value) != 0))


def mode_strength(t, s, a0, *, tau=1.0, depth=2, lam=0.0, d=1.0, iterations=80):
    """Recorded strength m(t) = u_αᵀ W(t) Σx v_α of a decoupled, balanced mode.

    Solves τ dm/dt = L m^{2−2/L} (s − m) (Saxe et al. 2014 eq. 15; L = ``depth`` weight
    matrices) from m(0) = a0, or for depth 2 with ``lam`` ≠ 0 the λ-balanced
    τ dm/dt = √(λ² + 4m²)(s − m) (theory.md §3.7):

    - depth 1: `shallow_mode_strength` (exponential, rate 1/τ);
    - depth 2: `deep_mode_strength` (sigmoid) or `lambda_balanced_mode_strength`;
    - depth ≥ 3: exact inversion of the implicit time t(m) (closed-form antiderivative,
      theory.md §2.4) by a compiled safeguarded Newton iteration, to float precision.

    Args:
        t: times (any shape), broadcast against ``s`` and ``a0``.
        s: singular value s_α of Σyx.
        a0: initial product strength ũ(0) = u_αᵀ W(0) v_α (≥ 0 for depth ≥ 2, where 0 is a
            fixed point; any sign for depth 1); the recorded strength starts at d·a0.
        tau: time constant τ.
        depth: number of weight matrices L ≥ 1 (static).
        lam: λ of a λ-balanced start (depth 2 only).
        d: eigenvalue of Σx along v_α in the shared-basis non-white case (module docstring);
            1 for white inputs.
        iterations: at most this many Newton/bisection steps for depth ≥ 3 (static).

    Raises:
        ValueError: depth < 1; t < 0, s ≤ 0, a0 < 0 (depth ≥ 2) or non-finite values;
            λ ≠ 0 with depth ≠ 2 or d ≠ 1 (all checked when the values are concrete).
    """
    depth = _validation.positive_int("depth", depth)
    _check_concrete("t", t)
    _check_concrete("s", s, allow_zero=False)
    _check_concrete("a0", a0, allow_negative=depth == 1)  # a0 = 0: the saddle, where it stays
    _check_concrete("tau", tau, allow_zero=False)
    if _maybe_nonzero(lam):
        if depth != 2:
            raise ValueError(f"lam applies to depth 2 (theory.md §3.7); got depth={depth}.")
        if isinstance(d, jax.core.Tracer) or np.any(np.abs(np.asarray(d) - 1) > 1e-10):
            raise ValueError("lam ≠ 0 needs white inputs (d = 1): the λ-balanced closed form "
                             "assumes Σx = I.")
        return lambda_balanced_mode_strength(t, s, a0, lam, tau=tau)
    a0 = jnp.asarray(d) * a0
    tau = tau * jnp.asarray(d) ** (1 - 2 / depth)
    if depth == 1:
        return shallow_mode_strength(t, s, a0, tau=tau)
    if depth == 2:
        return deep_mode_strength(t, s, a0, tau=tau)
    stuck = jnp.asarray(a0) == 0  # the saddle: a mode started at zero stays there
    strength = _layered_mode_strength(t, s, jnp.where(stuck, 1.0, a0), depth, tau, iterations)
    return jnp.where(stuck, 0.0, strength)
