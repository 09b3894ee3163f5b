"""Chunked sweeps equal one big simulate call, resume from checkpoints, keep failed runs."""

import numpy as np
import pytest

from semjax import SimulationDiverged, simulate, sweep

COMMON = dict(hidden=8, n_steps=50, dt=0.02, init="gaussian", record=("modes", "loss"),
              record_every=5, dtype="float64")


def test_sweep_equals_simulate_whatever_the_chunk_size(seed_task):
    whole = simulate(seed_task, init_scale=[0.05, 0.2], n_seeds=11, key=4, **COMMON)
    for chunk_size in (3, 11, 64):
        chunked = sweep(seed_task, init_scale=[0.05, 0.2], n_seeds=11, key=4,
                        chunk_size=chunk_size, progress=False, **COMMON)
        assert chunked.batch_axes == ("scale", "seed")
        np.testing.assert_allclose(chunked.modes, whole.modes, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(chunked.coords["seed"], np.arange(11))


def test_sweep_resumes_from_checkpoints(tmp_path, seed_task):
    first = sweep(seed_task, init_scale=0.1, n_seeds=9, chunk_size=4, checkpoint_dir=tmp_path,
                  progress=False, **COMMON)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "chunk_0.json", "chunk_0.npz", "chunk_1.json", "chunk_1.npz", "chunk_2.json",
        "chunk_2.npz", "manifest.json"]  # the lock file is removed when the sweep ends
    (tmp_path / "chunk_1.npz").unlink()
    stamp = (tmp_path / "chunk_0.npz").stat().st_mtime_ns
    with pytest.warns(UserWarning, match="chunk_1.npz' is missing; recomputing"):
        again = sweep(seed_task, init_scale=0.1, n_seeds=9, chunk_size=4,
                      checkpoint_dir=tmp_path, progress=False, **COMMON)
    assert (tmp_path / "chunk_0.npz").stat().st_mtime_ns == stamp  # loaded, not recomputed
    np.testing.assert_array_equal(again.modes, first.modes)


def test_sweep_reports_failures_and_keeps_the_rest(seed_task):
    arguments = dict(COMMON, n_steps=400, dt=0.3)
    with pytest.raises(SimulationDiverged, match="runs of the sweep diverged") as caught:
        sweep(seed_task, init_scale=[1e-2, 3.0], n_seeds=5, chunk_size=2, progress=False,
              **arguments)
    kept = caught.value.trajectory
    assert kept.finite[0].all() and not kept.finite[1].any()
    assert np.isfinite(kept.modes[0]).all()


def test_sweep_argument_errors(seed_task):
    with pytest.raises(ValueError, match="sweep sets keys itself"):
        sweep(seed_task, n_seeds=2, keys=[0, 1], init_scale=0.1, **COMMON)
    with pytest.raises(ValueError, match="chunk_size must be"):
        sweep(seed_task, n_seeds=2, chunk_size=0, init_scale=0.1, **COMMON)


GRID = dict(n_steps=20, dt=0.05, init="gaussian", init_scale=[0.1, 0.3], record_every=5,
            record=("modes", "loss"), dtype="float64", n_seeds=5, key=2)


def test_a_grid_sweep_is_one_trajectory_with_named_axes(tmp_path, seed_task):
    """over × traced axes × seeds: each configuration equals its own simulate call bitwise,
    through a store, and loading the grid (or a slice of it) gives the same numbers."""
    from semjax import store
    other = type(seed_task)(sigma_yx=2 * seed_task.sigma_yx, sigma_x=seed_task.sigma_x)
    grid = sweep(over={"task": {"seed": seed_task, "double": other}, "hidden": [3, 6]},
                 chunk_size=2, checkpoint_dir=tmp_path, progress=False, **GRID)
    assert grid.batch_axes == ("task", "hidden", "scale", "seed")
    assert list(grid.coords["task"]) == ["seed", "double"]
    assert list(grid.coords["hidden"]) == [3, 6] and grid.info["grid_axes"] == ("task", "hidden")
    for i, task in enumerate((seed_task, other)):
        for j, hidden in enumerate((3, 6)):
            alone = simulate(task, hidden=hidden, **GRID)
            assert grid.modes[i, j].tobytes() == alone.modes.tobytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "grid.json", "task=double,hidden=3", "task=double,hidden=6", "task=seed,hidden=3",
        "task=seed,hidden=6"]
    assert store.load(tmp_path).modes.tobytes() == grid.modes.tobytes()
    part = store.load(tmp_path, task=1, hidden=[1], scale=[0], seeds=[4, 0])
    assert part.batch_axes == ("hidden", "scale", "seed")
    np.testing.assert_array_equal(part.modes, grid.modes[1][[1]][:, [0]][:, :, [4, 0]])
    np.testing.assert_array_equal(part.coords["seed"], [4, 0])


def test_a_grid_of_traced_and_outer_axes_compiles_once_per_configuration(seed_task):
    """dt, λ and scale are axes inside each compilation; method is an outer axis."""
    arguments = dict(GRID, init="lambda_balanced", lam=[-0.5, 0.0, 0.5], dt=[0.02, 0.05])
    grid = sweep(seed_task, over={"method": ["euler", "rk4"]}, hidden=3, progress=False,
                 **arguments)
    assert grid.batch_axes == ("method", "dt", "lam", "scale", "seed")
    assert grid.modes.shape[:5] == (2, 2, 3, 2, 5)
    rk4 = simulate(seed_task, hidden=3, method="rk4", **arguments)
    assert grid.modes[1].tobytes() == rk4.modes.tobytes()


@pytest.mark.slow  # kept out of the default run for CI time; -m slow runs it
def test_a_grid_of_optimisers_runs_train(seed_task):
    import functools

    import optax

    from semjax import train
    arguments = dict(GRID, n_steps=10, learning_rate=[0.005, 0.01])
    del arguments["dt"]
    momentum = functools.partial(optax.sgd, momentum=0.9)
    grid = sweep(seed_task, hidden=3, over={"optimizer": {"sgd": optax.sgd,
                                                          "momentum": momentum}},
                 chunk_size=3, progress=False, **arguments)
    assert grid.batch_axes == ("optimizer", "learning_rate", "scale", "seed")
    alone = train(seed_task, hidden=3, optimizer=momentum, **arguments)
    assert grid.modes[1].tobytes() == alone.modes.tobytes()


@pytest.mark.parametrize("arguments, message", [
    (dict(over={"init_scale": [0.1, 0.2]}), "init_scale is traced: give init_scale=\\[...\\]"),
    (dict(over={"width": [2]}), "the outer grid takes"),
    (dict(over={"hidden": []}), "needs at least one value"),
    (dict(over={"hidden": [3, 3]}), "distinct labels"),
    (dict(over={"hidden": 3}), "must be a sequence or a mapping"),
    (dict(over={"hidden": [3, 4]}, hidden=3), "given both in over and as an argument"),
    (dict(over={"hidden": [3, 4]}, record=("weights",)), "record='weights' has other shapes"),
    (dict(over={"task": ["a"]}), "needs a label for every value"),
])
def test_bad_grids_are_refused_before_running(seed_task, arguments, message):
    with pytest.raises(ValueError, match=message):
        task = None if "task" in arguments["over"] else seed_task
        sweep(task, n_seeds=2, init_scale=0.1, n_steps=5, dt=0.1, **arguments)


def test_tasks_of_other_sizes_and_unrecordable_optimisers_are_refused(tmp_path, seed_task):
    import optax
    small = type(seed_task)(sigma_yx=seed_task.sigma_yx[:3], sigma_x=seed_task.sigma_x)
    with pytest.raises(ValueError, match="different sizes"):
        sweep(over={"task": {"a": seed_task, "b": small}}, n_seeds=2, init_scale=0.1,
              n_steps=5, dt=0.1)
    with pytest.raises(ValueError, match="sweep needs a task"):
        sweep(n_seeds=2, init_scale=0.1, n_steps=5, dt=0.1)
    with pytest.raises(ValueError, match="memory address"):
        sweep(seed_task, n_seeds=2, init_scale=0.1, n_steps=5, hidden=3,
              optimizer=optax.adam(0.01), learning_rate=0.01, checkpoint_dir=tmp_path)
