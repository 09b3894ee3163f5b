"""Closed-form mode strengths of decoupled deep linear networks (docs/theory.md §2, §3.7).

Every function is pure jax, broadcasts over ``t`` and the parameters (numpy broadcasting: put
time on the leading axes, e.g. ``t[:, None]`` against per-mode ``s``), and is written in an
overflow-free form (decaying exponentials only), finite for every t ≥ 0 in float32 and float64.

The quantity returned is the *recorded* mode strength m_α = u_αᵀ W Σx v_α of `semjax.task`
(the number `semjax.simulate` records). Time is in units of τ.

Shared-basis non-white inputs (docs/theory.md §2.5): if Σx v_α = d v_α, a decoupled balanced
depth-L mode has product strength ũ = u_αᵀ W v_α obeying τ dũ/dt = L ũ^{2−2/L} (s − d ũ), so
m = d ũ obeys the white equation τ_eff dm/dt = L m^{2−2/L} (s − m) with τ_eff = τ d^{1−2/L}:
for the paper's depth 2 the recorded strength sees d only through its start m(0) = d ũ(0),
a shallow net relaxes at rate d/τ. An aligned λ-balanced pair (c² − b² = λ, ũ = cb) has
τ dũ/dt = √(λ² + 4ũ²)(s − dũ), i.e. m obeys the white equation with λ replaced by dλ.
`mode_strength` takes ũ(0) (what `simulate`'s aligned ``init_scale`` sets) and ``d``, and
applies this.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from semjax import _validation

_TIME_FIX = "Pass times t ≥ 0, in units of τ, counted from the start."
_A0_FIX = ("a0 is the initial product strength u_αᵀW(0)v_α of an aligned start (a0 = 0 is the "
           "saddle, where a balanced mode stays).")
_S_FIX = "s is a singular value of Σyx; leave out modes with s = 0 (they are never learned)."


def _check_broadcastable(**named) -> None:
    """The arguments' shapes broadcast together, or a ValueError naming each shape."""
    shapes = {name: np.shape(value) for name, value in named.items() if value is not None}
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"the shapes of {listed} do not broadcast together: give arrays whose "
                         "shapes broadcast (numpy's rules), e.g. t[:, None] against s of shape "
                         "(r,) for one curve per mode.") from None


def _check_mode_arguments(t, s, a0, tau) -> None:
    """The host checks shared by the two-layer closed forms: shapes that broadcast, t ≥ 0,
    s > 0, a0 ≥ 0, τ > 0."""
    _check_broadcastable(t=t, s=s, a0=a0, tau=tau)
    _check_concrete("t", t, fix=_TIME_FIX)
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    _check_concrete("a0", a0, fix=_A0_FIX)
    _check_concrete("tau", tau, allow_zero=False)


_FAR_BELOW = 30.0  # beyond e^30 the sigmoid is evaluated as a logarithm (deep_mode_strength)


def deep_mode_strength(t, s, a0, *, tau=1.0):
    """Balanced decoupled two-layer mode, τ da/dt = 2a(s − a) (Saxe et al. 2014, eq. 12):

        a(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/a0) = s / (1 + (s/a0 − 1) e^{−2st/τ}).

    Evaluated as s / (1 + sign(s − a0) e^z), z = ln|s − a0| − ln a0 − 2st/τ, and, far below s
    (z > 30), as e^{ln s − ln(1 + e^z)}: no overflow or underflow for any t ≥ 0, s > 0 and
    a0 > 0 whose a(t) is representable (even when s/a0 itself overflows, e.g. a(0) = 1e-306
    for s = 1e4), in float32 and float64. Requires a0 ≥ 0 (a0 = 0 is the saddle, where the
    mode stays). Derivatives are finite everywhere: at a0 = s exactly (the mode at rest, where
    ln|s − a0| is not taken) the derivative in a0 reads 0 instead of e^{−2st/τ}, a point that
    a fit starting there (a flat curve) does not move from.

    Raises:
        ValueError: t < 0, s ≤ 0, a0 < 0 or non-finite values (when concrete).
    """
    _check_mode_arguments(t, s, a0, tau)
    t, s, a0 = jnp.asarray(t), jnp.asarray(s), jnp.asarray(a0)
    gap = s - a0
    moving = gap != 0  # at rest (a0 = s) the value is s and ln 0 is never differentiated
    exponent = jnp.log(jnp.abs(jnp.where(moving, gap, 1.0))) - jnp.log(a0) - 2 * s * t / tau
    far = moving & (exponent > _FAR_BELOW)  # each branch sees only its own range
    direct = s / (1 + jnp.sign(gap) * jnp.exp(jnp.minimum(exponent, _FAR_BELOW)))
    logarithmic = jnp.exp(jnp.log(s) - jnp.logaddexp(0.0, jnp.maximum(exponent, _FAR_BELOW)))
    return jnp.where(far, logarithmic, direct)


def shallow_mode_strength(t, s, b0, *, tau=1.0):
    """One-layer mode, τ db/dt = s − b (docs/theory.md §2.3):

        b(t) = s (1 − e^{−t/τ}) + b0 e^{−t/τ},

    every mode relaxing with the same time constant τ, whatever s.

    Raises:
        ValueError: t < 0, or non-finite values (when concrete).
    """
    _check_broadcastable(t=t, s=s, b0=b0, tau=tau)
    _check_concrete("t", t, fix=_TIME_FIX)
    _check_concrete("s", s, allow_negative=True)
    _check_concrete("b0", b0, allow_negative=True)
    _check_concrete("tau", tau, allow_zero=False)
    t, s, b0 = jnp.asarray(t), jnp.asarray(s), jnp.asarray(b0)
    return -s * jnp.expm1(-t / tau) + b0 * jnp.exp(-t / tau)


def lambda_balanced_mode_strength(t, s, a0, lam, *, tau=1.0):
    """Aligned λ-balanced two-layer mode (docs/theory.md §3.7, Dominé et al. 2025):

        τ da/dt = √(λ² + 4a²) (s − a),

    which depends on λ only through λ², interpolating between the rich sigmoid (λ = 0, Saxe et
    al. 2014 eq. 12) and lazy exponential relaxation at rate |λ|/τ (|λ| ≫ s, a).

    Solution. With a = (|λ|/2) sinh θ and s = (|λ|/2) sinh φ, the quantity
    q = sinh((φ − θ)/2) / (|λ| cosh((φ + θ)/2)) decays as q(t) = q₀ e^{−Kt/τ},
    K = √(λ² + 4s²) (it is the cross-ratio of w = tanh(θ/2) with the two fixed points of the
    Riccati equation τ dw/dt = s(1 − w²) − |λ|w), and a is a rational function of q:

        a = [s − qλ²(1 + sq)] / [(1 + qP)(1 − qM)],   P = K + 2s,  M = λ²/P = K − 2s.

    The numerator is s λ² (q_a − q)(q − q_b) with roots q_a = q(a = 0) > 0 > q_b; written
    through these factors, scaled to 1 at t = ∞, with E = e^{−Kt/τ} and F = 1 − E,

        a(t) = s X Y / (Z₁ Z₂),
        X = ξ E + F,     ξ = (2a0 / (s B₀)) √( K² (K + |λ|)(2a0 + R₀) / (P (R₀ + |λ|)) ),
        Y = 1 + 2s|λ| q₀ E / (K + |λ|),     Z₁ = (2K/B₀) E + F,     Z₂ = 1 − q₀ M E,

    R₀ = √(λ² + 4a0²), B₀ = 2a0 + R₀ + M, q₀ = 2(s − a0)(1 + 2(s + a0)/(K + R₀)) / (P B₀)
    (Z₁ = 1 + qP, using 1 + q₀P = 2K/B₀). Each factor is a sum of terms of one sign or
    bounded away from cancellation (|2s|λ|q₀/(K + |λ|)| ≤ ¼, q₀M ≤ ½), and every product
    is formed from ratios, so a is accurate to a few eps relative, plus the unavoidable
    eps·Kt/τ·|d ln a/d ln E| from rounding the exponent, for all t ≥ 0, s > 0, a0 ≥ 0 and λ
    in float32 and float64 (no cancellation where s or a0 is small against λ). It is a0 at
    t = 0, s once E underflows, and at λ = 0 the rich sigmoid s / ((s/a0) E + F),
    continuously in λ. The start a0 = 0 with λ = 0 is the saddle and stays at 0.

    Args:
        t: times ≥ 0, broadcast against the other arguments.
        s: singular value > 0.
        a0: initial strength ≥ 0.
        lam: λ = c² − b² of the start, c and b the mode's components in W₂ and W₁
            (W₂ᵀW₂ − W₁W₁ᵀ convention); only |λ| matters.
        tau: time constant τ.

    Raises:
        ValueError: t < 0, s ≤ 0, a0 < 0 or non-finite values (when concrete).
    """
    _check_mode_arguments(t, s, a0, tau)
    _check_broadcastable(t=t, s=s, a0=a0, lam=lam)
    _check_concrete("lam", lam, allow_negative=True)
    t, s, a0, lam = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.result_type(t, s, a0, lam,
                                                                                 float))
                                           for v in (t, s, a0, lam)))
    lam = jnp.abs(lam)
    saddle = (a0 == 0) & (lam == 0)
    a0 = jnp.where(saddle, s, a0)  # any start: the saddle's value is set at the end
    K = jnp.hypot(lam, 2 * s)
    R0 = jnp.hypot(lam, 2 * a0)
    P = K + 2 * s
    M = lam * (lam / P)
    B0 = 2 * a0 + R0 + M
    decay = jnp.exp(-K * t / tau)
    grown = -jnp.expm1(-K * t / tau)
    q0 = 2 * ((s - a0) / P) * ((1 + 2 * (s + a0) / (K + R0)) / B0)
    # ξ as a product of ratios (not a ratio of products), so that nothing under- or overflows
    xi = (2 * (a0 / B0) * jnp.sqrt(K / P) * jnp.sqrt((2 * a0 + R0) / (R0 + lam))
          * jnp.sqrt(K / s) * jnp.sqrt((K + lam) / s))
    x = xi * decay + grown
    y = 1 + (2 * s / (K + lam)) * (lam * q0) * decay
    z1 = (2 * K / B0) * decay + grown
    z2 = 1 - q0 * M * decay
    return jnp.where(saddle, 0.0, s * x * y / (z1 * z2))


def _antiderivative(y, depth: int, *, leading: bool = True):
    """F(y) = ∫ L y^{1−L} / (1 − y^L) dy for integer L ≥ 2 (the implicit time of §2.4 in the
    variable y = (u/s)^{1/L}), by partial fractions over the L-th roots of unity ω_k:

        F(y) = L y^{2−L}/(2−L) − Σ_k ω_k² ln(1 − ω̄_k y)      (L ≥ 3),
        F(y) = 2 ln y − ln(1 − y) − ln(1 + y)                   (L = 2).

    Only the real part matters (the imaginary parts cancel in the sum, and on y > 1 the
    principal branch adds a constant iπ that cancels in differences F(y) − F(y0)).
    ``leading=False`` leaves out the first term (the sum only), for callers that form it in
    the log domain.
    """
    complex_dtype = jnp.result_type(y, jnp.complex64)
    roots = jnp.exp(2j * jnp.pi * jnp.arange(depth) / depth).astype(complex_dtype)
    logs = jnp.log(1 - jnp.conj(roots) * y[..., None].astype(complex_dtype))
    series = -jnp.real(jnp.sum(roots ** 2 * logs, axis=-1))
    if not leading:
        return series
    return series + (2 * jnp.log(y) if depth == 2 else depth * y ** (2 - depth) / (2 - depth))


def _layered_mode_strength(t, s, a0, depth: int, tau, iterations: int):
    """Invert t(u) of τ du/dt = L u^{2−2/L} (s − u) exactly: safeguarded Newton (bisection when
    a step leaves the bracket) on ζ = ln|x/(1 − x)|, x = u/s, in which the elapsed time is
    monotone and |dt/dζ| = τ x^{2/L−1}/(L s^{2−2/L}); compiled, stopping when every ζ has
    settled to a few eps or after `iterations` steps.

    Everything is formed from ln x and ln s (the antiderivative's leading term as
    L e^{γ ln x}/(2 − L), γ = (2 − L)/L; the result as e^{ln s + ln x} below s), so starts
    whose ratio a0/s underflows (a0 = 1e-306, s = 1e4) still give a(0) = a0 and the exact
    curve."""
    t, s, a0 = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.result_type(t, s, a0, float))
                                      for v in (t, s, a0)))
    beta = 2 - 2 / depth
    log_x0 = jnp.log(a0) - jnp.log(s)
    above = log_x0 > 0  # approaching s from above: x decreases from x0 to 1
    scale = tau * jnp.exp(-beta * jnp.log(s)) / depth

    def log_x_of(zeta):  # ln x from ζ = ln|x/(1 − x)|, on the start's side of s
        return jnp.where(above, -jnp.log1p(-jnp.exp(-jnp.abs(zeta))),
                         -jnp.logaddexp(0.0, -zeta))

    def antiderivative(log_x):
        leading = depth * jnp.exp((2 - depth) / depth * log_x) / (2 - depth)
        return leading + _antiderivative(jnp.exp(log_x / depth), depth, leading=False)

    start = antiderivative(log_x0)

    def time_of(zeta):
        log_x = log_x_of(zeta)
        elapsed = scale * jnp.abs(antiderivative(log_x) - start)
        slope = scale * jnp.exp((1 - beta) * log_x)  # |dt/dζ|
        return log_x, elapsed, slope

    eps = jnp.finfo(t.dtype).eps
    # ζ(0) = ln x0 − ln|1 − x0|; the elapsed time grows with ζ on both sides of s
    low = log_x0 - jnp.where(above, jnp.log(jnp.expm1(jnp.maximum(log_x0, eps))),
                             jnp.log1p(-jnp.exp(jnp.minimum(log_x0, 0.0))))
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
    log_x, _, _ = time_of(zeta)
    return jnp.where(log_x0 == 0, s, jnp.exp(jnp.log(s) + log_x))


def _concrete(*values):
    """The values as numpy arrays, or None if any is traced (then jit compiles them, unchecked)."""
    if any(isinstance(value, jax.core.Tracer) for value in values):
        return None
    return tuple(np.asarray(value) for value in values)


def _check_concrete(name: str, value, *, allow_zero: bool = True,
                    allow_negative: bool = False, fix: str = "") -> None:
    """Host check of a concrete argument (skipped for traced values, which jit compiles);
    ``fix`` is appended to the message. Nonzero values below the smallest normal number of
    the dtype the closed form computes in are refused too (times aside): XLA flushes them to
    zero on CPUs, so a subnormal s or a0 would silently become 0."""
    concrete = _concrete(value)
    if concrete is None:
        return
    array = concrete[0]
    bad = ~np.isfinite(array)
    if not allow_negative:
        bad |= (array < 0) | ((array == 0) & (not allow_zero))
    if np.any(bad):
        bound = "" if allow_negative else " and ≥ 0" if allow_zero else " and > 0"
        raise ValueError(f"{name} must be finite{bound}; got {array[bad].ravel()[0]}."
                         + (f" {fix}" if fix else ""))
    if name != "t" and np.issubdtype(array.dtype, np.number) and not np.issubdtype(
            array.dtype, np.complexfloating):
        # the dtype the closed form computes in: float32 unless x64 is on (canonicalising
        # on the host, so that a Python float does not warn about float64 without x64)
        dtype = jax.dtypes.canonicalize_dtype(np.result_type(array.dtype, np.float32))
        tiny = float(jnp.finfo(dtype).tiny)
        subnormal = (array != 0) & (np.abs(array) < tiny)
        if np.any(subnormal):
            raise ValueError(
                f"{name}={array[subnormal].ravel()[0]} is below the smallest normal "
                f"{jnp.dtype(dtype).name} ({tiny:.3g}), which XLA flushes to zero on CPUs. "
                + ("Compute in float64 (jax.config.update('jax_enable_x64', True)), or "
                   "rescale" if jnp.dtype(dtype).itemsize < 8 else "Rescale")
                + ": a(t; s, a0) = c·a(c^{2−2/L} t; s/c, a0/c) for depth L, with a "
                "c < 1 that makes s/c and a0/c normal numbers.")


def _maybe_nonzero(value) -> bool:
    """True if ``value`` is traced (unknown) or has a nonzero entry."""
    return isinstance(value, jax.core.Tracer) or bool(np.any(np.asarray(value) != 0))


def mode_strength(t, s, a0, *, tau=1.0, depth=2, lam=0.0, d=1.0, iterations=80):
    """Recorded strength m(t) = u_αᵀ W(t) Σx v_α of a decoupled, balanced mode.

    Solves τ dm/dt = L m^{2−2/L} (s − m) (Saxe et al. 2014 eq. 15; L = ``depth`` weight
    matrices) from m(0) = d·a0, or for depth 2 with ``lam`` ≠ 0 the λ-balanced
    τ dm/dt = √(d²λ² + 4m²)(s − m) (docs/theory.md §3.7; module docstring for d):

    - depth 1: `shallow_mode_strength` (exponential, rate 1/τ);
    - depth 2: `deep_mode_strength` (sigmoid) or `lambda_balanced_mode_strength`;
    - depth ≥ 3: exact inversion of the implicit time t(m) (closed-form antiderivative,
      docs/theory.md §2.4) by a compiled safeguarded Newton iteration, to float precision.

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
        ValueError: depth < 1; t < 0, s ≤ 0, d ≤ 0, a0 < 0 (depth ≥ 2) or non-finite values;
            λ ≠ 0 with depth ≠ 2 (all checked when the values are concrete).

    Examples:
        A deep mode (depth 2) rises along a sigmoid, a shallow one (depth 1) relaxes
        exponentially; both from a0 = 1e-3 towards s = 1:

        >>> import numpy as np
        >>> from semjax import theory
        >>> t = np.array([0.0, 2.0, 4.0, 8.0])
        >>> np.asarray(theory.mode_strength(t, 1.0, 1e-3), float).round(3)
        array([0.001, 0.052, 0.749, 1.   ])
        >>> np.asarray(theory.mode_strength(t, 1.0, 1e-3, depth=1), float).round(3)
        array([0.001, 0.865, 0.982, 1.   ])
    """
    depth = _validation.positive_int("depth", depth)
    _check_broadcastable(t=t, s=s, a0=a0, tau=tau, lam=lam, d=d)
    _check_concrete("t", t, fix=_TIME_FIX)
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    _check_concrete("a0", a0, allow_negative=depth == 1, fix=_A0_FIX)
    _check_concrete("tau", tau, allow_zero=False)
    _check_concrete("d", d, allow_zero=False)
    if _maybe_nonzero(lam):
        if depth != 2:
            raise ValueError(f"lam applies to depth 2 (docs/theory.md §3.7); got depth={depth}.")
        d = jnp.asarray(d)
        return lambda_balanced_mode_strength(t, s, d * a0, d * lam, tau=tau)
    a0 = jnp.asarray(d) * a0
    tau = tau * jnp.asarray(d) ** (1 - 2 / depth)
    if depth == 1:
        return shallow_mode_strength(t, s, a0, tau=tau)
    if depth == 2:
        return deep_mode_strength(t, s, a0, tau=tau)
    stuck = jnp.asarray(a0) == 0  # the saddle: a mode started at zero stays there
    strength = _layered_mode_strength(t, s, jnp.where(stuck, 1.0, a0), depth, tau, iterations)
    return jnp.where(stuck, 0.0, strength)
