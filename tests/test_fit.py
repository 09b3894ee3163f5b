"""theory.fit: recovery of known closed-form parameters from noisy curves (with calibrated
standard errors), and the fit to linear, tanh and ReLU runs degrading the way the theory says.

The synthetic curves and the runs share one shape (108 curves × 101 times), so the fit
compiles once for both."""

import jax
import numpy as np
import pytest

from semjax import Task, Trajectory, datasets, simulate, theory

ACTIVATIONS = ("linear", "tanh", "relu")
N_SEEDS = 9  # 3 activations × 9 seeds × 4 modes = 108 curves, as the 108 synthetic settings
T = np.linspace(0.0, 40.0, 101)


@pytest.fixture(scope="module")
def task():
    """The four-item table without its last property: no two singular values equal (a
    degenerate pair is learned as one subspace, not as two sigmoids)."""
    return Task.from_dataset(datasets.Dataset.from_arrays(datasets.four_items().targets[:-1]))


@pytest.fixture(scope="module")
def runs(task):
    """Linear, tanh and ReLU 4→16→6 nets from small Gaussian starts, as one trajectory with
    batch axes ("activation", "seed"), recorded on T."""
    parts = [simulate(task, hidden=16, activation=activation, init="gaussian", init_scale=1e-3,
                      n_seeds=N_SEEDS, key=1, t_max=T[-1], dt=0.05, record_every=8,
                      record=("modes",), dtype="float64", kernel="reference")
             for activation in ACTIVATIONS]
    return Trajectory.stack(parts, [("activation", ACTIVATIONS)])


@pytest.fixture(scope="module")
def synthetic():
    """108 random settings: s, a half-time t½ inside the window (so a0 = s/(1 + e^{2st½})),
    a run start for the delay; the closed form written out here, a(t) = s/(1 + e^{−2s(t−t½)})
    (Saxe et al. 2014 eq. 12), plus 1 % noise."""
    rng = np.random.default_rng(0)
    shape = (3, N_SEEDS, 4)
    s, half = rng.uniform(0.3, 1.5, shape), rng.uniform(3.0, 25.0, shape)
    start = s / (1 + np.exp(2 * s * half)) * np.exp(rng.uniform(-2.0, 2.0, shape))
    clean = s[..., None, :] / (1 + np.exp(-2 * s[..., None, :] * (T[:, None] - half[..., None, :])))
    noisy = clean + 0.01 * s[..., None, :] * rng.normal(size=clean.shape)
    return dict(s=s, a0=s / (1 + np.exp(2 * s * half)), half=half, start=start, clean=clean,
                noisy=noisy, fit=theory.fit(T, noisy, start=start))


def test_recovers_parameters_of_noisy_closed_forms(synthetic):
    fit, s, a0 = synthetic["fit"], synthetic["s"], synthetic["a0"]
    s_error, a0_error = fit.s / s - 1, np.log(fit.a0 / a0)
    # measured over the 108 settings: max |s error| 0.31 %, max |ln a0 error| 0.14
    assert np.abs(s_error).max() < 0.01
    assert np.abs(a0_error).max() < 0.2
    # the delay of the run behind the closed form from its start: the difference of the
    # half-times, t½ − (1/2s) ln(s/start − 1)
    delay = synthetic["half"] - np.log(s / synthetic["start"] - 1) / (2 * s)
    # the standard errors are calibrated: (estimate − truth)/SE has unit spread (measured
    # RMS 0.88 for s, 0.92 for a0, 0.91 for the delay; delays from −2.7 to 3.1, max error 0.06)
    for z in ((fit.s - s) / fit.s_se, (fit.a0 - a0) / fit.a0_se,
              (fit.delay - delay) / fit.delay_se):
        assert 0.75 < np.sqrt(np.mean(z ** 2)) < 1.3
    # 1 % noise: the RMS residual is the noise, R² near 1
    np.testing.assert_allclose(np.median(fit.rms / (0.01 * s)), 1.0, atol=0.1)
    assert np.all(fit.r2 > 0.99) and np.all(fit.linearity > 0.99)
    # the fitted curves reproduce the data to the noise level
    assert np.abs(fit.curves(T) - synthetic["noisy"]).max() < 6 * 0.01 * s.max()


def test_known_singular_values_and_an_unknown_time_constant(synthetic):
    """s given, τ fitted from a wrong guess (a run on another clock): exact curves are fitted
    to rounding."""
    fit = theory.fit(T, synthetic["clean"], s=synthetic["s"], fit_tau=True, tau=0.5)
    np.testing.assert_allclose(fit.a0, synthetic["a0"], rtol=1e-10)  # measured 9e-14
    np.testing.assert_allclose(fit.tau, 1.0, rtol=1e-12)  # measured 2e-15
    np.testing.assert_allclose(fit.s, synthetic["s"], rtol=1e-14)  # held
    assert np.all(fit.s_se == 0) and fit.delay is None
    assert np.all(fit.r2 > 1 - 1e-12)
    # a pytree (through jit and vmap) whose curves need times ≥ 0
    doubled = jax.tree.map(lambda x: 2 * x, fit)
    assert isinstance(doubled, theory.Fit) and np.allclose(doubled.tau, 2.0)
    with pytest.raises(ValueError, match="t must be a 1-D array of finite times ≥ 0"):
        fit.curves(-T)


def test_fit_degrades_from_linear_to_tanh_to_relu(runs, task):
    """How much of each run the closed form explains, 1 − linearity, measured (min, median,
    max over 9 seeds): linear 1.9e-6, 2.3e-6, 2.6e-6 (3e-7 of it from the random start, the
    rest Euler's O(dt²) change of shape: with RK4 it is 3e-7); tanh 4.9e-5, 8.7e-5, 1.5e-4;
    ReLU 1.4e-3, 1.7e-3, 2.8e-3. tanh x = x − x³/3 is linear to first order: it departs
    from the closed form only as the hidden activity grows, slowing the modes learned last.
    A ReLU net gates its hidden units per item even at small weights (a gated linear
    network with a different pathway per item, Saxe et al. 2022): its curves mix sigmoids
    of different rates."""
    fit = theory.fit(runs)
    unexplained = 1 - fit.linearity  # (activation, seed)
    assert np.all(unexplained[0] < 1e-5)
    assert np.all((unexplained[1] > 2e-5) & (unexplained[1] < 5e-4))
    assert np.all(unexplained[2] > 8e-4)
    assert np.median(unexplained[2]) > 10 * np.median(unexplained[1])
    # fitted s / task's s − 1, median over seeds, measured per mode: linear ≤ 3e-4; tanh
    # −0.3 %, −0.4 %, −1.0 %, −3.0 %; ReLU +0.4 %, −1.6 %, −4.8 %, −11 % (the weak modes)
    deviation = np.median(fit.s, axis=1) / task.modes.s - 1
    assert np.all(np.abs(deviation[0]) < 2e-3)
    assert deviation[1, -1] < -0.01
    assert np.all(deviation[2, 2:] < -0.03)


@pytest.mark.parametrize("call, error, match", [
    (lambda: theory.fit(T, np.zeros((101, 2)), depth=1), ValueError, "depth must be"),
    (lambda: theory.fit(T[::-1], np.zeros((101, 2))), ValueError, "strictly increasing"),
    (lambda: theory.fit(T, np.zeros((100, 2))), ValueError, r"\(\.\.\., T, M\) with T = len"),
    (lambda: theory.fit(T, np.full((101, 2), np.nan)), ValueError, "modes must be finite"),
    (lambda: theory.fit(T, np.zeros((101, 2)), s=[1.0, -1.0]), ValueError, "s must be"),
    (lambda: theory.fit(T, np.zeros((101, 2)), tau=np.ones(3)), ValueError, "tau"),
    (lambda: theory.fit(T[:3], np.zeros((3, 2))), ValueError, "at least 4"),
    (lambda: theory.fit(T), TypeError, "fit.t, modes."),
    (lambda: theory.fit(T, np.zeros((101, 2)), optimizer="adam"), TypeError, "optimizer"),
])
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_trajectory_input_is_checked(task):
    run = Trajectory.create(t=T[:3], finite=np.ones(1, bool), batch_axes=("seed",),
                            loss=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="did not record 'modes'"):
        theory.fit(run)
    with pytest.raises(TypeError, match="taken from the trajectory"):
        theory.fit(run, np.zeros((3, 1)))
    # several step sizes: t counts steps, not τ (a fit would hold τ = 1 step)
    steps = Trajectory.create(t=np.arange(6.0), finite=np.ones(2, bool),
                              batch_axes=("learning_rate",), coords={"learning_rate": [0.1, 0.2]},
                              info={"time_unit": "step"}, modes=np.ones((2, 6, 1)))
    with pytest.raises(ValueError, match=r"t counts steps .* fit\(run.on_times\(\)\)"):
        theory.fit(steps)


def test_a_start_beyond_the_fitted_strength_has_no_delay_and_says_so():
    curve = np.asarray(theory.deep_mode_strength(T, 2.0, 1e-3))[:, None]
    with pytest.warns(UserWarning, match="1 of 1 curves have no delay"):
        fit = theory.fit(T, curve, start=5.0)
    assert np.isnan(fit.delay).all()


@pytest.mark.slow  # 7 s CPU: compiling the Newton solve of the implicit time under jacfwd
def test_deep_chain_fit():
    """depth 3: the exact implicit-time closed form, fitted through its Newton solve."""
    s = np.array([0.8, 1.2])
    a0 = np.asarray(theory.initial_strength_from_half_time(s, np.array([10.0, 20.0]), depth=3))
    clean = np.asarray(jax.jit(theory.mode_strength, static_argnames="depth")(
        T[:, None], s, a0, depth=3))
    fit = theory.fit(T, clean, depth=3)
    np.testing.assert_allclose(fit.s, s, rtol=1e-7)
    np.testing.assert_allclose(fit.a0, a0, rtol=1e-6)


def test_modes_at_rest_are_fitted_without_nan():
    """A curve that never moves (flat at its strength, or zero) is fitted as a mode at rest:
    the closed form's derivatives are finite at a0 = s, so neither the estimates nor the run's
    linearity turn NaN (a mode that never moves weighs nothing)."""
    derivative = jax.jacfwd(lambda a0: theory.deep_mode_strength(T, 2.0, a0))(2.0)
    assert np.all(np.isfinite(derivative))
    moving = np.asarray(theory.deep_mode_strength(T, 1.0, 1e-3))
    curves = np.stack([np.full_like(T, 1.5), np.zeros_like(T), moving], axis=-1)
    fit = theory.fit(T, curves)
    assert np.all(np.isfinite(fit.s)) and np.all(np.isfinite(fit.a0))
    np.testing.assert_allclose(fit.s, [1.5, 0.0, 1.0], atol=1e-9)
    assert np.isfinite(fit.linearity) and fit.linearity > 1 - 1e-9
