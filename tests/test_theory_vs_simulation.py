"""Simulation against the closed forms, by convergence order rather than one loose tolerance.

From the aligned-balanced start the closed forms are exact (Saxe et al. 2014), so the error of a
fixed-step integrator against them is its truncation error: measured orders must be 4 for RK4
and 1 for Euler.
"""

import numpy as np
import pytest

import semjax
from semjax import Task, datasets, simulate, theory


def _max_error(task, depth, method, dt, a0, t_max):
    run = simulate(task, depth=depth, hidden=None if depth == 1 else 8, t_max=t_max, dt=dt,
                   init="aligned", init_scale=a0, n_seeds=1, method=method,
                   record_every=round(0.25 / dt), dtype="float64")
    exact = theory.mode_strength(run.t[:, None], task.modes.s, a0, depth=depth)
    return np.abs(run.modes[0] - np.asarray(exact)).max()


@pytest.mark.parametrize("depth, a0", [(2, 1e-3), (1, 0.05)])
@pytest.mark.parametrize("method, dts, order, tolerance", [
    ("rk4", (0.05, 0.025, 0.0125), 4.0, 0.5),
    ("euler", (0.01, 0.005, 0.0025), 1.0, 0.2),
])
def test_integrators_converge_to_the_closed_form_at_their_order(seed_task, depth, a0, method,
                                                                dts, order, tolerance):
    errors = np.array([_max_error(seed_task, depth, method, dt, a0, t_max=5.0) for dt in dts])
    measured = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert errors[-1] > 1e-12  # truncation error, above roundoff, so the order is meaningful
    assert abs(measured - order) < tolerance, (errors, measured)


def test_one_hot_mean_convention_matches_the_closed_form(seed_task):
    """Σx = I/P (one-hot items, averaged convention) is the shared-basis non-white case: the
    recorded strengths u_αᵀ W Σx v_α follow the white a(t) with the same s (docs/theory.md §2.5)."""
    task = Task.from_dataset(datasets.four_items())
    a0 = 1e-3
    run = simulate(task, hidden=8, t_max=40.0, dt=0.02, init="aligned", init_scale=a0,
                   method="rk4", record_every=50, dtype="float64")
    recorded_a0 = a0 / 4  # u Wv = a0, times the eigenvalue 1/P of Σx
    exact = theory.mode_strength(run.t[:, None], task.modes.s, recorded_a0)
    np.testing.assert_allclose(run.modes[0], exact, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(run.modes[0, -1], task.modes.s, rtol=1e-4)


def test_shallow_learns_every_mode_with_one_time_constant_deep_in_order(seed_task):
    """Deep: half-times ordered by s (t½ = ln(s/a0 − 1)/2s); shallow: one time constant τ."""
    a0 = 1e-3
    common = dict(t_max=8.0, dt=0.005, init="aligned", init_scale=a0, method="rk4",
                  dtype="float64")
    deep = simulate(seed_task, hidden=16, **common)
    shallow = simulate(seed_task, depth=1, **common)
    s = seed_task.modes.s

    def crossing(modes):
        return np.array([np.interp(0.5, modes[:, k] / s[k], deep.t) for k in range(len(s))])

    deep_half = crossing(deep.modes[0])
    shallow_half = crossing(shallow.modes[0])
    np.testing.assert_allclose(deep_half, np.asarray(theory.half_time(s, a0)), rtol=2e-3)
    assert np.all(np.diff(deep_half) >= -1e-9) and deep_half[0] < deep_half[1] < deep_half[2]
    np.testing.assert_allclose(shallow_half, np.log(2), rtol=2e-3)  # b = s/2 at t = τ ln 2


@pytest.fixture(scope="module")
def mean_task():
    """Four items under the averaged convention: Σx = I/4 shares the task's basis (d = 1/4)."""
    return Task.from_dataset(datasets.four_items())


def test_compare_aligned_simulation_with_theory_at_integrator_error(mean_task):
    scales = [1e-3, 1e-2]
    fields = ("modes", "loss", "product", "hidden_gram", "singular_values")
    run = simulate(mean_task, hidden=8, t_max=40.0, dt=0.02, init="aligned", init_scale=scales,
                   n_seeds=3, method="rk4", record=fields, record_every=10, dtype="float64")
    exact = theory.trajectory(mean_task, run.t, np.array(scales)[:, None], batch_axes=("scale",),
                              coords={"scale": scales}, record=fields)
    report = semjax.compare(run, exact)
    assert report.batch_axes == ("scale", "seed") and report.max_abs_error.shape == (2, 3, 4)
    # RK4 at dt = 0.02 with rates 2s ≤ 1.4: truncation error ~ (2s dt)^4 · s ≈ 1e-9
    assert report.max_rel_error.max() < 1e-8
    assert np.abs(report.half_time_error).max() < 1e-6
    for name in fields[1:]:
        expected = np.broadcast_to(np.expand_dims(getattr(exact, name), 1),
                                   getattr(run, name).shape)
        np.testing.assert_allclose(getattr(run, name), expected,
                                   atol=1e-8 * np.abs(expected).max())
    assert "max rel" in str(report)


@pytest.mark.parametrize("depth", [3, 4])
def test_deep_chain_simulation_matches_layered_closed_form(seed_task, depth):
    """Depth ≥ 3, aligned balanced start: τ du/dt = L u^{2−2/L}(s − u) (docs/theory.md §2.4). The
    residual mismatch is RK4's truncation error: it falls 16-fold when dt halves."""
    errors = []
    for dt in (0.01, 0.005):
        run = simulate(seed_task, hidden=(6,) * (depth - 1), depth=depth, t_max=12.0, dt=dt,
                       init="aligned", init_scale=0.05, method="rk4",
                       record_every=round(0.2 / dt), dtype="float64")
        exact = theory.trajectory(seed_task, run.t, 0.05, depth=depth)
        errors.append(semjax.compare(run, exact).max_rel_error.max())
    assert errors[1] < 1e-7
    assert 2 ** 3.5 < errors[0] / errors[1] < 2 ** 4.5, errors


def test_lambda_balanced_aligned_simulation_matches_closed_form(seed_task):
    for lam in (-0.8, 1.5):
        run = simulate(seed_task, hidden=4, t_max=8.0, dt=0.005, init="aligned", init_scale=0.02,
                       lam=lam, method="rk4", record=("modes", "hidden_gram"), record_every=40,
                       dtype="float64")
        exact = theory.trajectory(seed_task, run.t, 0.02, lam=lam, record=("modes",
                                                                           "hidden_gram"))
        assert semjax.compare(run, exact).max_rel_error.max() < 1e-9
        np.testing.assert_allclose(run.hidden_gram[0], exact.hidden_gram, atol=1e-9)


def test_small_random_start_shows_the_known_delay(mean_task):
    """Small Gaussian starts against the aligned approximation with `effective_a0`.

    Tolerance, with its reason: the early linear dynamics fix each mode's start, so the
    strongest mode (isolated, largest s) follows a(t) to a few 1e-3 of s and its half-time to
    a few 1e-3 τ; weaker modes are delayed by competition with the modes learned before them
    and, for the degenerate pair s3 = s4, by rotation inside their subspace: their half-times
    come later than the closed form (positive delay) by up to ~1 τ, never earlier by more than
    the first mode's error."""
    run = simulate(mean_task, hidden=16, t_max=120.0, dt=0.05, init="gaussian",
                   init_scale=1e-3, n_seeds=8, method="rk4", record=("modes", "weights"),
                   record_every=10, dtype="float64", key=3)
    a0 = theory.effective_a0(mean_task, [w[:, 0] for w in run.weights])
    approximate = theory.trajectory(mean_task, run.t, a0, batch_axes=("seed",))
    report = semjax.compare(run, approximate)
    delay = report.half_time_error / theory.rise_time(mean_task.modes.s)  # in transition widths
    assert report.max_rel_error[:, 0].max() < 5e-3
    assert np.abs(delay[:, 0]).max() < 5e-3
    assert delay[:, 1:].min() > -5e-3 and np.median(delay[:, 2:]) > 0.01
    assert delay.max() < 1.0


def test_riccati_route_of_theory_trajectory_matches_simulation(mean_task):
    """Random λ-balanced starts (task-independent directions) on the mean-convention task:
    theory.trajectory(init=...) solves them exactly (Σx = I/P handled by rescaling)."""
    run = simulate(mean_task, hidden=4, t_max=30.0, dt=0.01, init="lambda_balanced", lam=0.7,
                   init_scale=0.05, n_seeds=3, method="rk4", record_every=20,
                   record=("modes", "loss", "weights", "hidden_gram"), dtype="float64")
    exact = theory.trajectory(mean_task, run.t, init=[w[:, 0] for w in run.weights],
                              record=("modes", "loss", "hidden_gram"))
    assert exact.batch_axes == ("seed",) and exact.info["lam"] == pytest.approx([0.7] * 3)
    assert semjax.compare(run, exact).max_rel_error.max() < 1e-9
    np.testing.assert_allclose(run.hidden_gram, exact.hidden_gram, atol=1e-9)
    np.testing.assert_allclose(run.loss, exact.loss, atol=1e-10)


def test_theory_trajectory_argument_errors(seed_task, nonwhite_task):
    t = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="exactly one of a0"):
        theory.trajectory(seed_task, t)
    with pytest.raises(ValueError, match="does not share the task's right singular vectors"):
        theory.trajectory(nonwhite_task, t, 0.1)
    with pytest.raises(ValueError, match="name its leading axes with batch_axes"):
        theory.trajectory(seed_task, t, np.full((2, 1), 0.1))
    with pytest.raises(ValueError, match="a0 must be finite, and > 0 for depth ≥ 2"):
        theory.trajectory(seed_task, t, -0.1)
    with pytest.raises(ValueError, match="record must be one of"):
        theory.trajectory(seed_task, t, 0.1, record=("weights",))
    with pytest.raises(ValueError, match="share the time grid"):
        semjax.compare(theory.trajectory(seed_task, t, 0.1), theory.trajectory(seed_task,
                                                                               t[:3], 0.1))


def test_bottleneck_learns_only_the_strongest_modes(seed_task):
    """hidden = 2 < rank: an aligned start seeds only the two strongest modes; the others stay
    at zero (Saxe et al. 2014 eq. 7), in simulation and theory alike."""
    run = simulate(seed_task, hidden=2, t_max=6.0, dt=0.01, init="aligned", init_scale=1e-3,
                   method="rk4", record_every=20, dtype="float64")
    exact = theory.trajectory(seed_task, run.t, 1e-3, hidden=2)
    np.testing.assert_allclose(run.modes[0], exact.modes, atol=1e-8)
    assert np.all(exact.modes[:, 2:] == 0) and exact.modes[-1, 0] > 0.99 * seed_task.modes.s[0]
