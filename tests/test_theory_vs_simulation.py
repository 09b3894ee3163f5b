"""Simulation against the closed forms, by convergence order rather than one loose tolerance.

From the aligned-balanced start the closed forms are exact (Saxe et al. 2014), so the error of a
fixed-step integrator against them is its truncation error: measured orders must be 4 for RK4
and 1 for Euler.
"""

import numpy as np
import pytest

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
    recorded strengths u_αᵀ W Σx v_α follow the white a(t) with the same s (theory.md §2.5)."""
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
