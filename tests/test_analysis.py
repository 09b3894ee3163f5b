"""Read-outs against closed forms."""

import numpy as np
import optax
import pytest

import semjax
from semjax import Trajectory, analysis, theory


def test_crossing_times_recover_the_exact_half_time():
    s, a0 = np.array([3.0, 1.0, 0.4]), 1e-4
    t = np.linspace(0, 30, 30001)
    modes = np.asarray(theory.mode_strength(t[:, None], s, a0))
    run = Trajectory.create(t=t, finite=np.ones(2, bool), batch_axes=("seed",),
                            modes=np.stack([modes, modes]))
    times = analysis.crossing_times(run, s)
    np.testing.assert_allclose(times, np.broadcast_to(theory.half_time(s, a0), (2, 3)), rtol=1e-6)


def test_crossing_times_are_nan_when_never_reached():
    t = np.linspace(0, 1, 11)
    run = Trajectory.create(t=t, finite=np.array(True), modes=np.tile(t[:, None], (1, 2)) * 0.4)
    times = analysis.crossing_times(run, np.array([1.0, 0.5]), fraction=0.6)
    assert np.isnan(times[0]) and times[1] == pytest.approx(0.75)


def test_compare_puts_runs_of_several_learning_rates_on_one_time_axis(seed_task):
    """SGD with rate η is gradient flow's Euler scheme with dt = η, its step k at t = kη: on
    that axis each run differs from the finest (η = 0.01) by its O(η) discretisation, so the
    differences of η = 0.04 and η = 0.02 stand in the ratio (0.04 − 0.01)/(0.02 − 0.01) = 3."""
    runs = semjax.train(seed_task, optimizer=optax.sgd, learning_rate=[0.01, 0.02, 0.04],
                        n_steps=400, record_every=4, hidden=3, init="aligned", init_scale=1e-2,
                        record=("modes",), dtype="float64")
    finest = runs.select(learning_rate=0.01)  # a simulation as the reference
    np.testing.assert_allclose(finest.t, 0.01 * runs.t)
    with pytest.raises(ValueError, match="a.t counts steps"):
        semjax.compare(runs, finest)
    comparison = semjax.compare(runs, finest, t=0.16 * np.arange(26))  # records of every run
    assert comparison.batch_axes == ("learning_rate", "seed")
    same, half, double = comparison.max_abs_error[:, 0].max(axis=-1)
    assert same == 0 and 1e-3 < half and double / half == pytest.approx(3, rel=0.05)
    delays = comparison.half_time_error[:, 0, :3]  # the three learned modes
    assert np.all(delays[1:] > 0) and np.all(delays[0] == 0)  # a coarser step learns later
    common = semjax.compare(runs, finest, t="common")  # the reference's times, 0.04 apart
    assert common.max_abs_error[0].max() == 0 and common.max_abs_error[2].max() > 0.05
