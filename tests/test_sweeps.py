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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunk_0.npz", "chunk_1.npz",
                                                          "chunk_2.npz", "lock",
                                                          "manifest.json"]
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
