"""Closed-form mode strengths and learning times: against an independent high-precision
reference, their own ODEs, limits, and the orderings theory.md §2.4 predicts."""

import decimal

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semjax import theory

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


@settings(max_examples=60, deadline=None)
@given(s=st.floats(0.05, 20), ratio=st.floats(1e-6, 5.0), lam=st.floats(-30, 30),
       t=st.floats(0, 50))
def test_lambda_balanced_mode_solves_its_ode(s, ratio, lam, t):
    """τ da/dt = √(λ² + 4a²)(s − a) with a(0) = a0 (theory.md §3.7): the derivative (by
    forward-mode autodiff of the closed form) satisfies the ODE to float64 precision."""
    a0 = s * ratio

    def strength(time):
        return theory.lambda_balanced_mode_strength(time, s, a0, lam)

    value, slope = jax.jvp(strength, (jnp.float64(t),), (jnp.float64(1.0),))
    rate = np.sqrt(lam ** 2 + 4 * float(value) ** 2)
    scale = rate * max(s, abs(float(value)))
    assert abs(float(slope) - rate * (s - float(value))) <= 1e-9 * scale
    assert float(strength(0.0)) == pytest.approx(a0, rel=1e-12)


def test_lambda_balanced_is_continuous_at_zero_and_symmetric_in_lambda():
    t = np.linspace(0, 30, 61)
    rich = theory.deep_mode_strength(t, 1.3, 1e-3)
    for lam in (1e-14, 1e-10):
        np.testing.assert_allclose(theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, lam), rich,
                                   rtol=1e-9)
    np.testing.assert_array_equal(theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, -2.0),
                                  theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, 2.0))
    np.testing.assert_array_equal(theory.lambda_balanced_mode_strength(t, 1.3, 1e-3, 0.0), rich)


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


def test_learning_time_versus_depth():
    """theory.md §2.4: (i) with a fixed composite start u0, t(L) · L approaches the large-depth
    formula as L grows, so learning time → 0 ∝ 1/L; (ii) with a fixed per-layer strength
    a < 1 (u0 = a^L) learning slows with depth."""
    s, u0, uf = 1.0, 0.05, 0.5
    depths = np.array([4, 8, 16, 64, 256])
    exact = np.array([float(theory.transition_time(s, u0, uf, depth=int(L))) for L in depths])
    approximate = np.array([float(theory.large_depth_learning_time(s, u0, uf, depth=int(L)))
                            for L in depths])
    gaps = np.abs(exact / approximate - 1)
    assert np.all(np.diff(gaps) < 0) and gaps[-1] < 0.02
    assert np.all(np.diff(exact[1:]) < 0)
    per_layer = np.array([float(theory.half_time(s, 0.5 ** L, depth=L)) for L in range(2, 9)])
    assert np.all(np.diff(per_layer) > 0)


@pytest.mark.parametrize("call, match", [
    (lambda: theory.mode_strength(1.0, 1.0, 0.1, depth=0), "depth must be an integer >= 1"),
    (lambda: theory.mode_strength(1.0, 1.0, 0.1, depth=3, lam=0.5), "lam applies to depth 2"),
    (lambda: theory.mode_strength(1.0, 1.0, 0.1, lam=0.5, d=0.5), "needs white inputs"),
    (lambda: theory.mode_strength(-1.0, 1.0, 0.1), "t must be finite and ≥ 0"),
    (lambda: theory.mode_strength(1.0, [1.0, 0.0], 0.1), "s must be finite and > 0"),
    (lambda: theory.mode_strength(1.0, 1.0, -0.1), "a0 must be finite and ≥ 0"),
    (lambda: theory.mode_strength(1.0, 1.0, np.nan, depth=3), "a0 must be finite"),
])
def test_bad_theory_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_mode_started_at_zero_stays_there():
    for depth in (2, 3):
        np.testing.assert_array_equal(theory.mode_strength(np.linspace(0, 9, 4), 1.0, 0.0,
                                                           depth=depth), 0.0)


def test_mode_strength_is_jittable_and_batched():
    compiled = jax.jit(lambda t, s, a0: theory.mode_strength(t, s, a0, depth=3))
    t = jnp.linspace(0, 5, 7)[:, None, None]
    out = compiled(t, jnp.array([2.0, 1.0]), jnp.array([[1e-3], [1e-2], [1e-1]]))
    assert out.shape == (7, 3, 2) and bool(jnp.all(jnp.isfinite(out)))
