"""Closed-form mode strengths and learning times: against an independent high-precision
reference, their own ODEs, limits, and the orderings docs/theory.md §2.4 predicts."""

import decimal
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import semjax
from semjax import analysis, theory

decimal.getcontext().prec = 60
decimal.getcontext().Emax = decimal.MAX_EMAX
decimal.getcontext().Emin = decimal.MIN_EMIN


def _paper_form_reference(t, s, a0):
    """a(t) = s e^{2st} / (e^{2st} − 1 + s/a0) (Saxe et al. 2014 eq. 12) in 60-digit decimal
    arithmetic, in the paper's (overflowing in floats) form: independent of semjax's."""
    t, s, a0 = (decimal.Decimal(float(v)) for v in (t, s, a0))
    growth = (2 * s * t).exp()
    return float(s * growth / (growth - 1 + s / a0))


log_uniform = st.floats(min_value=-6, max_value=3).map(lambda e: 10.0 ** e)


@settings(max_examples=300, deadline=None)
@given(s=log_uniform, ratio_exponent=st.floats(min_value=-30, max_value=1),
       t=st.one_of(st.just(0.0), st.floats(min_value=-8, max_value=6).map(lambda e: 10.0 ** e)),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_deep_mode_strength_is_finite_and_accurate(s, ratio_exponent, t, dtype):
    """Over t ∈ [0, 1e6], s ∈ [1e-6, 1e3], a0 ∈ (0, 10 s], in float32 and float64.

    Tolerance: the evaluated exponent z = ln|s − a0| − ln a0 − 2st/τ carries an absolute
    rounding error of a few eps·(|ln|s − a0|| + |ln a0| + 2st); a changes by E/(1 + E) times
    that, relatively, with E = (s/a0 − 1)e^{−2st}; the inputs are rounded to dtype first and the
    reference uses the rounded values."""
    s, a0, t = (dtype(v) for v in (s, s * 10.0 ** ratio_exponent, t))
    value = float(theory.mode_strength(jnp.asarray(t), jnp.asarray(s), jnp.asarray(a0)))
    reference = _paper_form_reference(t, s, a0)
    assert np.isfinite(value)
    decay = abs(float(s) / float(a0) - 1) * np.exp(-2 * float(s) * float(t))
    sensitivity = decay / (1 + decay) if np.isfinite(decay) else 1.0
    eps = np.finfo(dtype).eps
    tolerance = 8 * eps * (1 + abs(np.log(abs(float(s) - float(a0)) or 1.0))
                           + abs(np.log(float(a0))) + sensitivity * 2 * float(s) * float(t))
    assert abs(value - reference) <= tolerance * reference, (value, reference)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_deep_mode_strength_limits(dtype):
    s, a0 = jnp.asarray([3.0, 0.5, 1e-3], dtype), jnp.asarray([1e-4, 2.0, 1e-3], dtype)
    np.testing.assert_allclose(theory.mode_strength(dtype(0), s, a0), a0, rtol=10 * jnp.finfo(
        dtype).eps)
    np.testing.assert_array_equal(theory.mode_strength(dtype(1e30), s, a0), s)
    assert theory.mode_strength(dtype(0), s, a0).dtype == dtype


def _lambda_balanced_time(a, s, a0, lam):
    """t(a) = ∫_{a0}^{a} da'/(√(λ² + 4a'²)(s − a')) = [G(a) − G(a0)]/K in decimal, with
    K = √(λ² + 4s²) and the elementary antiderivative G(a) = ln(K√(λ² + 4a²) + 4sa + λ²)
    − ln|s − a| (its derivative is checked in `test_lambda_balanced_reference_antiderivative`).
    ``a`` is passed as (a, ln|s − a|) so that a within 1e-60 of s keeps its precision."""
    K = (lam * lam + 4 * s * s).sqrt()

    def G(value, log_gap):
        return (K * (lam * lam + 4 * value * value).sqrt() + 4 * s * value + lam * lam).ln() \
            - log_gap
    return (G(*a) - G(a0, abs(s - a0).ln())) / K


def _lambda_balanced_reference(t, s, a0, lam):
    """a(t) of τ da/dt = √(λ² + 4a²)(s − a) in 60-digit decimal arithmetic, by bisection of the
    implicit time (monotone in a) in a variable z that resolves a relative to both 0 and s:
    z = ln(a/(s − a)) below s, z = ln((a − s)/s) above. Independent of semjax's formula."""
    t, s, a0, lam = (decimal.Decimal(float(v)) for v in (t, s, a0, lam))
    if t == 0 or a0 == s:
        return float(a0)
    one = decimal.Decimal(1)
    if a0 < s:  # a = s/(1 + e^{−z}) rises with z
        def point(z):
            return s / (1 + (-z).exp()), s.ln() - z - (one + (-z).exp()).ln()
        start, direction = (a0 / (s - a0)).ln(), 1
    else:  # a = s(1 + e^z) falls with z
        def point(z):
            return s * (1 + z.exp()), s.ln() + z
        start, direction = ((a0 - s) / s).ln(), -1
    K = (lam * lam + 4 * s * s).sqrt()
    near, far = start, start + direction * (K * t + 50)
    while _lambda_balanced_time(point(far), s, a0, lam) < t:
        far += direction * (K * t + 50)
    while abs(far - near) > decimal.Decimal("1e-24"):
        middle = (near + far) / 2
        if _lambda_balanced_time(point(middle), s, a0, lam) < t:
            near = middle
        else:
            far = middle
    return float(point((near + far) / 2)[0])


def test_lambda_balanced_reference_antiderivative():
    """The reference's G satisfies dG/da = K/(√(λ² + 4a²)(s − a)), checked by a central
    difference in decimal on both sides of s and at λ = 0."""
    D = decimal.Decimal
    for s, a0, lam in ((D("0.3"), D("1e-4"), D("7")), (D(2), D("0.01"), D(0)),
                       (D(1), D(5), D("0.5"))):
        for a in (a0 * 2, (a0 + s) / 2):
            h = D("1e-25")
            slope = (_lambda_balanced_time((a + h, abs(s - a - h).ln()), s, a0, lam)
                     - _lambda_balanced_time((a - h, abs(s - a + h).ln()), s, a0, lam)) / (2 * h)
            exact = 1 / ((lam * lam + 4 * a * a).sqrt() * (s - a))
            assert abs(slope / exact - 1) < D("1e-20")


scale_range = st.floats(min_value=-30, max_value=3).map(lambda e: 10.0 ** e)


@settings(max_examples=250, deadline=None)
@given(s=scale_range, a0=scale_range, lam=st.one_of(st.just(0.0), scale_range),
       sign=st.sampled_from([-1.0, 1.0]), dtype=st.sampled_from([np.float32, np.float64]),
       t=st.one_of(st.just(0.0), st.floats(min_value=-8, max_value=6).map(lambda e: 10.0 ** e),
                   st.floats(min_value=-3, max_value=2).map(lambda e: 10.0 ** e)),
       relative_time=st.booleans())
def test_lambda_balanced_mode_strength_is_accurate(s, a0, lam, sign, dtype, t, relative_time):
    """Against the decimal reference over s, a0 ∈ [1e-30, 1e3], |λ| ∈ {0} ∪ [1e-30, 1e3],
    t ∈ [0, 1e6] (half the draws in units of 1/max(s, |λ|, a0), where the mode moves), in
    float32 and float64.

    Tolerance: 8 eps (1 + κ), κ = t √(λ² + 4a²)|s − a|/a = |d ln a/d ln t|, the amplification
    of the rounding of the exponent Kt/τ that no formulation avoids. The inputs are rounded to
    ``dtype`` first and the reference uses the rounded values."""
    if relative_time:
        t = min(1e6, t / max(s, lam, a0))
    t, s, a0, lam = (dtype(v) for v in (t, s, a0, sign * lam))
    value = float(theory.lambda_balanced_mode_strength(t, s, a0, lam))
    reference = _lambda_balanced_reference(t, s, a0, lam)
    t, s, lam = float(t), float(s), float(lam)
    condition = t * np.hypot(lam, 2 * reference) * abs(s - reference) / reference
    assert abs(value - reference) <= 8 * np.finfo(dtype).eps * (1 + condition) * reference, (
        value, reference)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lambda_balanced_small_s_and_a0_against_lambda(dtype):
    """The cases where the former formula cancelled: s or a0 ≪ λ."""
    eps = float(np.finfo(dtype).eps)
    value = theory.mode_strength(dtype(0), dtype(0.1), dtype(1e-3), lam=dtype(100))
    assert value.dtype == dtype and abs(float(value) / 1e-3 - 1) < 4 * eps
    assert float(theory.mode_strength(dtype(0), dtype(1e-6), dtype(1e-30), lam=dtype(100))) == \
        pytest.approx(float(dtype(1e-30)), rel=4 * eps)
    t = np.logspace(-6, 6, 25).astype(dtype)
    small = np.asarray(theory.mode_strength(t, dtype(1e-6), dtype(1e-3), lam=dtype(100)))
    assert np.all(np.isfinite(small)) and np.all(np.diff(small) <= 0)
    assert np.all((small >= dtype(1e-6)) & (small <= dtype(1e-3)))
    assert small[-1] == dtype(1e-6)


@settings(max_examples=80, deadline=None)
@given(s=st.floats(-4, 2).map(lambda e: 10.0 ** e), ratio=st.floats(-8, 1).map(lambda e: 10.0 ** e),
       lam=st.floats(-4, 3).map(lambda e: 10.0 ** e), sign=st.sampled_from([-1.0, 1.0]),
       t=st.floats(-3, 1).map(lambda e: 10.0 ** e))
def test_lambda_balanced_mode_solves_its_ode(s, ratio, lam, sign, t):
    """τ da/dt = √(λ² + 4a²)(s − a) with a(0) = a0 (docs/theory.md §3.7): the derivative (by
    forward-mode autodiff of the closed form) satisfies the ODE to float64 precision, also
    where s and a0 are small against λ."""
    a0, lam, t = s * ratio, sign * lam, t / max(s, lam)

    def strength(time):
        return theory.lambda_balanced_mode_strength(time, s, a0, lam)

    value, slope = jax.jvp(strength, (jnp.float64(t),), (jnp.float64(1.0),))
    rate = np.hypot(lam, 2 * float(value))
    assert abs(float(slope) - rate * (s - float(value))) <= 1e-11 * rate * max(s, float(value))
    assert float(strength(0.0)) == pytest.approx(a0, rel=1e-14)


@pytest.mark.parametrize("lam", [0.0, 0.4, -3.0])
def test_lambda_balanced_recorded_strength_with_non_white_inputs(lam):
    """Σx v = d v: the recorded m = d ũ obeys τ dm/dt = √(d²λ² + 4m²)(s − m) from m(0) = d a0."""
    s, a0, d = 1.3, 0.02, 0.4

    def strength(time):
        return theory.mode_strength(time, s, a0, lam=lam, d=d)

    for t in (0.0, 0.7, 3.0, 9.0):
        value, slope = jax.jvp(strength, (jnp.float64(t),), (jnp.float64(1.0),))
        value = float(value)
        np.testing.assert_allclose(float(slope), np.hypot(d * lam, 2 * value) * (s - value),
                                   rtol=1e-11, atol=1e-14)
    assert float(strength(0.0)) == pytest.approx(d * a0, rel=1e-15)


def test_lambda_balanced_is_continuous_at_zero_and_symmetric_in_lambda():
    t = np.linspace(0, 30, 61)
    rich = theory.deep_mode_strength(t, 1.3, 1e-3)
    for lam in (1e-14, 1e-10):
        np.testing.assert_allclose(theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, lam), rich,
                                   rtol=1e-9)
    np.testing.assert_array_equal(theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, -2.0),
                                  theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, 2.0))
    np.testing.assert_allclose(theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, 0.0), rich,
                               rtol=1e-14)
    np.testing.assert_array_equal(theory.lambda_balanced_mode_strength(t, 1.3, 0.0, 0.0), 0.0)


def test_lambda_balanced_lazy_limit_is_exponential():
    """|λ| ≫ s, a: τ da/dt ≈ |λ|(s − a), a(t) ≈ s + (a0 − s) e^{−|λ|t}."""
    lam, s, a0 = 1e4, 1.0, 0.2
    t = np.linspace(0, 5e-4, 11)
    lazy = s + (a0 - s) * np.exp(-lam * t)
    np.testing.assert_allclose(theory.lambda_balanced_mode_strength(t, s, a0, lam), lazy,
                               rtol=1e-4)


@pytest.mark.parametrize("depth", [3, 4, 6, 10])
@pytest.mark.parametrize("ratio", [1e-3, 0.3, 2.5])
def test_layered_mode_strength_inverts_the_exact_learning_time(depth, ratio):
    """Depth ≥ 3: m(t) inverts t(u) (round trip to float64), and t(u) is an antiderivative of
    τ/(L u^{2−2/L}(s − u)) (checked by autodiff), so m solves τ dm/dt = L m^{2−2/L}(s − m)."""
    s = 1.7
    a0 = ratio * s
    t = np.linspace(0, 6, 25)[1:]
    m = np.asarray(theory.mode_strength(t, s, a0, depth=depth))
    assert np.all(np.isfinite(m)) and np.all((m - a0) * (s - a0) > 0)
    moved = np.abs(m - s) > 1e-6 * s  # exclude saturated times, where t(u) is ill-conditioned
    np.testing.assert_allclose(theory.transition_time(s, a0, m[moved], depth=depth), t[moved],
                               rtol=1e-9)
    u = np.linspace(min(a0, s), max(a0, s), 9)[1:-1]
    slope = jax.vmap(jax.grad(lambda end: theory.transition_time(s, a0, end, depth=depth)))(u)
    np.testing.assert_allclose(slope, 1 / (depth * u ** (2 - 2 / depth) * (s - u)), rtol=1e-10)


def test_layered_mode_strength_matches_depth_one_and_two_formulas_in_form():
    """The general ODE at L = 1, 2 is the shallow/deep closed form: the depth-3 solver's
    structure is checked by matching an independent RK4 solution of the scalar ODE."""
    s, a0, depth = 1.2, 1e-2, 3
    t_grid = np.linspace(0, 8, 8001)
    m = a0
    values = [m]
    for h in np.diff(t_grid):
        def field(u):
            return depth * u ** (2 - 2 / depth) * (s - u)
        k1 = field(m)
        k2 = field(m + h / 2 * k1)
        k3 = field(m + h / 2 * k2)
        k4 = field(m + h * k3)
        m = m + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        values.append(m)
    np.testing.assert_allclose(theory.mode_strength(t_grid[::400], s, a0, depth=depth),
                               np.array(values)[::400], rtol=1e-10, atol=1e-12)


def test_shared_basis_scaling_by_d():
    """Σx v = d v: depth 2 sees d only through m(0) = d a0; a shallow net relaxes at rate d."""
    t = np.linspace(0, 10, 11)
    np.testing.assert_allclose(theory.mode_strength(t, 2.0, 0.01, d=0.25),
                               theory.deep_mode_strength(t, 2.0, 0.0025), rtol=1e-14)
    np.testing.assert_allclose(theory.mode_strength(t, 2.0, 0.4, d=0.25, depth=1),
                               2.0 + (0.1 - 2.0) * np.exp(-0.25 * t), rtol=1e-14)


def test_times_exact_and_approximate():
    s, a0 = np.array([4.0, 1.0, 0.25]), 1e-6
    half = theory.half_time(s, a0)
    np.testing.assert_allclose(theory.mode_strength(half, s, a0), s / 2, rtol=1e-12)
    np.testing.assert_allclose(theory.saxe_learning_time(s, a0) / half, 2, rtol=0.06)
    np.testing.assert_allclose(theory.rise_time(s), np.log(81) / (2 * s), rtol=1e-14)
    np.testing.assert_allclose(theory.rise_time(s, depth=1), np.log(9), rtol=1e-14)
    np.testing.assert_allclose(theory.half_time(s, a0, depth=1), np.log((s - a0) / (s / 2)),
                               rtol=1e-14)


def _half_time_by_quadrature(s, u0, depth, nodes=64):
    """(τ/L) ∫_{u0}^{s/2} du / (u^{2−2/L}(s − u)) by Gauss–Legendre quadrature in z = ln u (a
    smooth integrand there): independent of semjax's partial fractions."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    low, high = np.log(u0), np.log(s / 2)
    z = (high - low) / 2 * x + (high + low) / 2
    return (high - low) / 2 * np.sum(w * np.exp(z * (2 / depth - 1)) / (s - np.exp(z))) / depth


def test_learning_time_versus_depth():
    """docs/theory.md §2.4: at a fixed composite start (s = 1, u0 = 1e-2) the half-time rises
    with depth, peaks near L* = ℓ + √(ℓ² − 4ℓ), ℓ = ln(1/u0), then falls, approaching eq. 17
    (∝ 1/L) only for L ≫ 2ℓ; with a fixed per-layer strength a < 1 (u0 = a^L) it grows."""
    s, u0 = 1.0, 1e-2
    depths = np.array([2, 3, 4, 6, 10, 20, 30, 256])
    # one compilation per depth instead of one per operation; both starts in one call
    transition_time = jax.jit(theory.transition_time, static_argnames=("depth",))
    half, per_layer = np.array([transition_time(s, np.array([u0, 0.5 ** L]), s / 2, depth=int(L))
                                for L in depths]).T
    np.testing.assert_allclose(half, [_half_time_by_quadrature(s, u0, L) for L in depths],
                               rtol=1e-10)
    # the values quoted in docs/theory.md §2.4 (to their three digits)
    np.testing.assert_allclose(half[:7], [2.30, 3.77, 4.68, 5.35, 5.05, 3.58, 2.69], atol=5e-3)
    assert np.all(np.diff(half[:4]) > 0) and np.all(np.diff(half[3:]) < 0)
    # the lower-end estimate τ / ((L − 2) s u0^{1−2/L}) and its maximiser
    estimate = 1 / ((depths[2:] - 2) * s * u0 ** (1 - 2 / depths[2:]))
    np.testing.assert_allclose(half[2:], estimate, rtol=0.07)
    ell = np.log(1 / u0)
    dense = np.arange(2, 41)
    peak = dense[np.argmax([_half_time_by_quadrature(s, u0, L) for L in dense])]
    assert peak == 7 and abs(peak - (ell + np.sqrt(ell ** 2 - 4 * ell))) < 1
    # eq. 17 is approached only slowly: 21 % off at L = 30, < 3 % at L = 256
    gaps = np.abs(half / np.array([float(theory.large_depth_learning_time(s, u0, s / 2, depth=L))
                                   for L in depths]) - 1)
    assert np.all(np.diff(gaps[3:]) < 0) and gaps[-2] > 0.2 and gaps[-1] < 0.03
    assert np.all(np.diff(per_layer) > 0)


@pytest.mark.parametrize("call, match", [
    (lambda: theory.mode_strength(1.0, 1.0, 0.1, depth=0), "depth must be an integer >= 1"),
    (lambda: theory.mode_strength(1.0, 1.0, 0.1, depth=3, lam=0.5), "lam applies to depth 2"),
    (lambda: theory.mode_strength(1.0, 1.0, 0.1, d=0.0), "d must be finite and > 0"),
    (lambda: theory.mode_strength(-1.0, 1.0, 0.1), "t must be finite and ≥ 0"),
    (lambda: theory.mode_strength(1.0, [1.0, 0.0], 0.1), "s must be finite and > 0"),
    (lambda: theory.mode_strength(1.0, 1.0, -0.1), "a0 must be finite and ≥ 0"),
    (lambda: theory.mode_strength(1.0, 1.0, np.nan, depth=3), "a0 must be finite"),
    (lambda: theory.shallow_mode_strength(-50.0, 1.0, 0.0), r"t must be finite and ≥ 0; got -50"),
    (lambda: theory.deep_mode_strength(1.0, 1.0, -1e-3), "a0 must be finite and ≥ 0"),
    (lambda: theory.lambda_balanced_mode_strength(-1.0, 1.0, 0.1, 2.0), "t must be finite"),
    (lambda: theory.lambda_balanced_mode_strength(1.0, 0.0, 0.1, 2.0), "s must be finite and > 0"),
    (lambda: theory.half_time(1.0, 0.7), r"a0 < s/2.*half time is undefined; got s=1.0, a0=0.7"),
    (lambda: theory.half_time(1.0, 0.5), "half time is undefined"),
    (lambda: theory.half_time(-1.0, 0.1), "s must be finite and > 0; got -1.0"),
    (lambda: theory.half_time(1.0, 0.0), "a0 must be finite and > 0; got 0.0"),
    (lambda: theory.half_time([1.0, 2.0], [0.1, 1.5]), "got s=2.0, a0=1.5"),
    (lambda: theory.rise_time(1.0, low=0.9, high=0.1), "0 < low < high < 1.*low=0.9, high=0.1"),
    (lambda: theory.rise_time(1.0, low=0.0), "0 < low < high < 1"),
    (lambda: theory.rise_time(1.0, high=1.0), "0 < low < high < 1"),
    (lambda: theory.rise_time(0.0), "s must be finite and > 0"),
    (lambda: theory.saxe_learning_time(0.0, 1e-3), "s must be finite and > 0; got 0.0"),
    (lambda: theory.saxe_learning_time(1.0, 0.0), "a0 must be finite and > 0"),
    (lambda: theory.saxe_learning_time(1.0, 2.0), "needs a0 < s.*got s=1.0, a0=2.0"),
    (lambda: theory.large_depth_learning_time(1.0, 0.1, 0.5, depth=0),
     "depth must be finite and > 0; got 0"),
    (lambda: theory.large_depth_learning_time(1.0, 0.5, 2.0, depth=5), "same side of s"),
    (lambda: theory.transition_time(1.0, 0.5, 2.0), r"same side of s.*u_start=0.5, u_end=2.0"),
    (lambda: theory.transition_time(1.0, 0.5, 1.0), "same side of s"),
    (lambda: theory.transition_time(1.0, 2.0, 0.5, depth=3), "same side of s"),
    (lambda: theory.transition_time(1.0, 0.0, 0.5), "u_start must be finite and > 0.*saddle"),
    (lambda: theory.transition_time(1.0, 0.5, -0.5, depth=1), "between u_start and s"),
    (lambda: theory.transition_time(1.0, 0.1, -0.5, depth=3), "u_end must be finite and > 0"),
    (lambda: theory.transition_time(1.0, 0.5, 0.2), r"u_end must lie between u_start and s"),
    (lambda: theory.transition_time(1.0, 2.0, 3.0, depth=1), "between u_start and s"),
])
def test_bad_theory_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_time_checks_skip_traced_arguments_and_allow_valid_edges():
    """Traced arguments pass through (no host check inside jit); depth 1 allows starts ≤ 0
    and above s, and u_end = u_start is the zero time."""
    traced = float(jax.jit(theory.half_time)(1.0, 0.7))  # the formula, past its domain
    assert traced == pytest.approx(0.5 * np.log(1 / 0.7 - 1), rel=1e-14)
    assert np.isnan(jax.jit(theory.transition_time)(1.0, 0.5, 2.0))
    assert float(theory.transition_time(1.0, 0.3, 0.3)) == 0.0
    np.testing.assert_allclose(theory.transition_time(1.0, -1.0, 0.5, depth=1), np.log(4),
                               rtol=1e-14)
    np.testing.assert_allclose(theory.transition_time(1.0, 3.0, 2.0, depth=1), np.log(2),
                               rtol=1e-14)
    np.testing.assert_allclose(theory.half_time(1.0, -1.0, depth=1), np.log(4), rtol=1e-14)
    np.testing.assert_allclose(theory.large_depth_learning_time(1.0, 0.01, 0.5,
                                                                depth=np.array([4, 8])),
                               [theory.large_depth_learning_time(1.0, 0.01, 0.5, depth=L)
                                for L in (4, 8)], rtol=1e-14)


def test_a_mode_started_at_zero_stays_there():
    for depth in (2, 3):
        np.testing.assert_array_equal(theory.mode_strength(np.linspace(0, 9, 4), 1.0, 0.0,
                                                           depth=depth), 0.0)


def test_mode_strength_is_jittable_and_batched():
    compiled = jax.jit(lambda t, s, a0: theory.mode_strength(t, s, a0, depth=3))
    t = jnp.linspace(0, 5, 7)[:, None, None]
    out = compiled(t, jnp.array([2.0, 1.0]), jnp.array([[1e-3], [1e-2], [1e-1]]))
    assert out.shape == (7, 3, 2) and bool(jnp.all(jnp.isfinite(out)))


def _half_time(s, u0, depth):
    """t½ from u0 (τ = 1), independently of semjax: depth 1 in closed form,
    u(t) = s + (u0 − s) e^{−t} from a start of either sign; deeper by quadrature."""
    if depth == 1:
        return np.log(2 * (s - u0) / s)
    return np.vectorize(_half_time_by_quadrature)(s, u0, depth)


@pytest.mark.parametrize("depth, hidden, scale, t_max", [(1, None, 0.05, 4.0),
                                                       (3, [8, 8], 0.03, 10.0)])
def test_effective_a0_of_a_random_start_predicts_its_half_time(seed_task, depth, hidden, scale,
                                                                t_max):
    """Small Gaussian starts learn when the closed form from `effective_a0` of their own
    weights says, seed by seed. Depth 1: exact for every mode. Depth 3: the early flow's
    blow-up time, on a rank-one task (no other mode competes for the hidden units; with
    others the weaker modes are delayed, as at depth 2): 1e-3 relative at this scale, where
    the projection u_αᵀ W_3W_2W_1 v_α of the start itself is off by about 100 %."""
    task = seed_task
    if depth == 3:
        rng = np.random.default_rng(1)
        u, v = rng.normal(size=seed_task.n_out), rng.normal(size=seed_task.n_in)
        task = semjax.Task(sigma_yx=2.0 * np.outer(u, v) / np.linalg.norm(u) / np.linalg.norm(v),
                           sigma_x=np.eye(seed_task.n_in))
    rng = np.random.default_rng(3)
    widths = [task.n_in, *(hidden or []), task.n_out]
    weights = tuple(scale * rng.normal(size=(4, n_out, n_in))
                    for n_in, n_out in itertools.pairwise(widths))  # 4 seeds
    run = semjax.simulate(task, depth=depth, hidden=hidden, init=weights, dt=1e-3,
                          t_max=t_max, record_every=20)  # Euler: O(dt) = 5e-4 relative
    learned = task.modes.s > 1e-9 * task.modes.s[0]  # the rank-one task's other s are rounding
    a0 = theory.effective_a0(task, weights)[:, learned]
    s = task.modes.s[learned]
    simulated = analysis.crossing_times(run.replace(modes=run.modes[..., learned]), s)
    assert np.all(np.isfinite(simulated))
    np.testing.assert_allclose(_half_time(np.broadcast_to(s, a0.shape), a0, depth), simulated,
                               rtol=2e-3)


def test_effective_a0_of_an_aligned_start_is_its_strength(seed_task):
    """An aligned balanced start, W_l = R_l a0^{1/L} R_{l−1}ᵀ with R_0 = V and R_L = U, is its
    own effective start, at every depth."""
    U, _, V = seed_task.modes
    rng = np.random.default_rng(0)
    for depth in (2, 3, 4):
        bases = [V, *(np.linalg.qr(rng.normal(size=(6, 4)))[0] for _ in range(depth - 1)), U]
        weights = tuple(1e-3 ** (1 / depth) * after @ before.T
                        for before, after in itertools.pairwise(bases))
        np.testing.assert_allclose(theory.effective_a0(seed_task, weights), 1e-3, rtol=1e-4)
    with pytest.raises(ValueError, match="do not fit this task"):
        theory.effective_a0(seed_task, (np.ones((6, 4)), np.ones((5, 6)), np.ones((7, 6))))
