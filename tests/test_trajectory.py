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
