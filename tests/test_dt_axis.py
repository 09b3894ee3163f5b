"""A sequence of dt is a traced "dt" batch axis of `simulate` (outermost, one compilation, t the
step index), and `simulate(progress=True)` shows a bar for runs cut into several calls."""

import jax
import numpy as np
import pytest

from semjax import Schedule, simulate
from semjax.dynamics import _runs

DTS = [0.02, 0.1]
# One network and time grid for every test, so that they share compilations.
COMMON = dict(hidden=4, n_steps=12, record_every=3, dtype="float64", record=("modes", "loss"))


@pytest.mark.parametrize(("method", "inner"), [("euler", "lam"), ("rk4", "scale")])
def test_each_dt_of_the_axis_equals_a_call_with_that_dt_alone(seed_task, method, inner):
    if inner == "lam":
        options = dict(init="lambda_balanced", init_scale=0.1, lam=[-0.2, 0.3])
    else:
        options = dict(init="gaussian", init_scale=[0.05, 0.2])
    options |= dict(n_seeds=2, method=method, **COMMON)
    grid = simulate(seed_task, dt=DTS, **options)
    assert grid.batch_axes == ("dt", inner, "seed") and grid.modes.shape[:4] == (2, 2, 2, 5)
    np.testing.assert_array_equal(grid.coords["dt"], DTS)
    assert list(grid.info["dt"]) == DTS and grid.info["time_unit"] == "step"
    np.testing.assert_array_equal(grid.t, [0, 3, 6, 9, 12])
    for index, dt in enumerate(DTS):
        alone = simulate(seed_task, dt=dt, **options)
        assert alone.batch_axes == (inner, "seed") and "dt" not in alone.coords
        assert alone.info["dt"] == dt and alone.info["time_unit"] == "tau"
        np.testing.assert_array_equal(alone.t, dt * 3 * np.arange(5))
        np.testing.assert_array_equal(grid.modes[index], alone.modes)
        np.testing.assert_array_equal(grid.loss[index], alone.loss)


def test_explicit_weights_follow_the_dt_axis(seed_task):
    rng = np.random.default_rng(0)
    start = (0.1 * rng.normal(size=(2, 4, 4)), 0.1 * rng.normal(size=(2, 7, 4)))
    options = dict(init=start, **COMMON)
    grid = simulate(seed_task, dt=DTS, **options)
    assert grid.batch_axes == ("dt", "seed") and grid.modes.shape[:2] == (2, 2)
    for index, dt in enumerate(DTS):
        np.testing.assert_array_equal(grid.modes[index],
                                      simulate(seed_task, dt=dt, **options).modes)


def test_other_dt_values_compile_nothing(seed_task):
    compiles = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    options = dict(n_seeds=2, init_scale=[0.05, 0.2], **COMMON)
    simulate(seed_task, dt=DTS, key=0, **options)  # warm-up
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        run = simulate(seed_task, dt=[0.3, 0.004], key=1, **options)
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert run.finite.all() and list(run.info["dt"]) == [0.3, 0.004]
    assert compiles == [], f"{len(compiles)} compilations when only dt values changed"


def test_the_memory_check_counts_the_dt_axis(seed_task, monkeypatch):
    counted = []

    def check_memory(spec):
        counted.append(spec.n_runs)
        raise MemoryError("stop before running")

    monkeypatch.setattr(_runs, "check_memory", check_memory)
    with pytest.raises(MemoryError, match="stop before running"):
        simulate(seed_task, hidden=3, n_steps=5, dt=[0.1, 0.2, 0.3], init_scale=[0.1, 0.2],
                 n_seeds=4)
    assert counted == [3 * 2 * 4]


@pytest.mark.parametrize("dt", [[0.0, 0.1], [-0.1], [0.1, np.nan], [[0.1, 0.2]], [],
                                np.array([0.1, np.inf]), [0.1, "fast"]])
def test_a_bad_dt_sequence_is_refused_naming_dt(seed_task, dt):
    with pytest.raises(ValueError, match=r"dt must be a finite number > 0 or a non-empty 1-D"):
        simulate(seed_task, hidden=3, n_steps=5, dt=dt, init_scale=0.1)


def test_a_dt_sequence_needs_n_steps_and_one_task(seed_task):
    with pytest.raises(ValueError, match="a sequence of dt needs n_steps, not t_max"):
        simulate(seed_task, hidden=3, t_max=1.0, dt=[0.1, 0.2], init_scale=0.1)
    with pytest.raises(ValueError, match="a sequence of dt needs n_steps"):
        simulate(seed_task, hidden=3, dt=[0.1, 0.2], init_scale=0.1)
    schedule = Schedule([(seed_task, 1.0), (seed_task, 1.0)])
    with pytest.raises(ValueError, match="a Schedule turns its durations .* with one dt"):
        simulate(schedule, hidden=3, dt=[0.1, 0.2], init_scale=0.1)


def test_progress_shows_a_bar_in_steps_and_changes_nothing(seed_task, monkeypatch, capsys):
    options = dict(dt=0.05, init_scale=0.1, n_seeds=4, **COMMON)
    short = simulate(seed_task, progress=True, **options)
    assert capsys.readouterr().err == ""  # one compiled call: no bar
    monkeypatch.setattr(_runs, "SEGMENT_WORK", 1.0)  # one record per compiled call
    assert len(_runs.segment_lengths(4, 3, 4, [np.zeros((4, 4, 4))])) == 4
    shown = simulate(seed_task, progress=True, **options)
    bar = capsys.readouterr().err
    assert "12/12" in bar and "step/s" in bar
    quiet = simulate(seed_task, **options)
    assert capsys.readouterr().err == ""
    for run in (shown, short):
        np.testing.assert_array_equal(run.modes, quiet.modes)
        np.testing.assert_array_equal(run.loss, quiet.loss)
