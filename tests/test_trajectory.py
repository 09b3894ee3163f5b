"""Trajectory: shape checks, selection by named axes, save/load round trip."""

import numpy as np
import pytest

from semjax import Trajectory


@pytest.fixture
def trajectory():
    rng = np.random.default_rng(0)
    return Trajectory.create(
        t=np.linspace(0, 1, 5), finite=np.array([[True, False, True], [True, True, True]]),
        coords={"scale": np.array([0.1, 0.2])}, batch_axes=("scale", "seed"),
        info={"depth": 2, "hidden": [16], "init": "gaussian"},
        modes=rng.normal(size=(2, 3, 5, 4)), loss=rng.normal(size=(2, 3, 5)),
        weights=(rng.normal(size=(2, 3, 5, 6, 4)), rng.normal(size=(2, 3, 5, 7, 6))))


def test_save_load_round_trip(tmp_path, trajectory):
    path = tmp_path / "run.npz"
    trajectory.save(path)
    loaded = Trajectory.load(path)
    assert loaded.batch_axes == ("scale", "seed")
    assert loaded.info == trajectory.info
    np.testing.assert_array_equal(loaded.modes, trajectory.modes)
    np.testing.assert_array_equal(loaded.weights[1], trajectory.weights[1])
    np.testing.assert_array_equal(loaded.coords["scale"], [0.1, 0.2])
    assert loaded.product is None and loaded.failed == [(0, 1)]


def test_load_rejects_foreign_files(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.ones(3))
    with pytest.raises(ValueError, match="not a semjax Trajectory"):
        Trajectory.load(path)


def test_select_by_axis_name(trajectory):
    one = trajectory.select(scale=1)
    assert one.batch_axes == ("seed",) and one.modes.shape == (3, 5, 4)
    np.testing.assert_array_equal(one.modes, trajectory.modes[1])
    assert "seed=1" in trajectory.describe_runs(trajectory.failed)
    with pytest.raises(ValueError, match="unknown batch axes"):
        trajectory.select(depth=0)


def test_create_checks_shapes_against_axes():
    with pytest.raises(ValueError, match="leading axes"):
        Trajectory.create(t=np.arange(4), finite=np.ones(3, bool), batch_axes=("seed",),
                          modes=np.zeros((3, 5, 2)))


def test_select_picks_coordinate_values_and_names_what_is_missing(trajectory):
    by_value = trajectory.select(scale=0.2)
    assert by_value.batch_axes == ("seed",)
    np.testing.assert_array_equal(by_value.modes, trajectory.modes[1])
    np.testing.assert_array_equal(trajectory.select(scale=[0.2, 0.1]).modes,
                                  trajectory.modes[::-1])
    labelled = trajectory.replace(coords={**trajectory.coords,
                                          "scale": np.array(["sgd", "adam"])})
    np.testing.assert_array_equal(labelled.select(scale="adam").loss, trajectory.loss[1])
    with pytest.raises(ValueError, match=r"axis 'scale' has no coordinate 'rmsprop'; its "
                                         r"coordinates are \['sgd', 'adam'\]"):
        labelled.select(scale="rmsprop")
    with pytest.raises(IndexError, match=r"position 3 is beyond the 2 entries of axis 'scale'"):
        trajectory.select(scale=3)
    with pytest.raises(IndexError, match=r"a mask of 1 booleans for axis 'scale' of 2 entries"):
        trajectory.select(scale=[True])
    widths = trajectory.replace(coords={**trajectory.coords, "scale": np.array([16, 0])})
    np.testing.assert_array_equal(widths.sel(scale=0).modes, trajectory.modes[1])  # by value
    np.testing.assert_array_equal(widths.select(scale=0).modes, trajectory.modes[0])  # position


def _steps_run(rates=(0.5, 1.0)):
    """Records against the step index for two step sizes, m(t) = t² at each run's own t."""
    steps = np.arange(9)
    times = np.asarray(rates)[:, None] * steps  # (rate, time)
    return Trajectory.create(t=steps, step=steps, finite=np.ones(len(rates), bool),
                             batch_axes=("learning_rate",),
                             coords={"learning_rate": np.asarray(rates)},
                             info={"time_unit": "step"}, modes=times[..., None] ** 2)


def test_on_times_puts_runs_of_several_step_sizes_on_one_time_axis():
    run = _steps_run()
    common = run.on_times()  # the finest run's times, 0, 0.5, ..., 4
    np.testing.assert_allclose(common.t, 0.5 * np.arange(9))
    assert common.info["time_unit"] == "tau" and common.step is None
    np.testing.assert_allclose(common.modes[0, :, 0], common.t ** 2)  # its own records
    # the coarser run (records at 0, 1, 2, ...) is interpolated: exact at its records, chords
    # of t² between them (t = 0.5: (0 + 1)/2)
    expected = np.where(np.arange(9) % 2 == 0, common.t ** 2, common.t ** 2 + 0.25)
    np.testing.assert_allclose(common.modes[1, :, 0], expected)
    with pytest.raises(ValueError, match=r"t spans \[0, 6\] but the records of the run with "
                                         r"learning_rate=0.5 span \[0, 4\]"):
        run.on_times(np.linspace(0, 6, 4))
    with pytest.raises(ValueError, match="finite, increasing times"):
        run.on_times([0.0, np.nan])
    one = run.select(learning_rate=1.0)  # one step size: t in units of τ again
    np.testing.assert_allclose(one.t, np.arange(9.0))
    assert one.info["time_unit"] == "tau"
