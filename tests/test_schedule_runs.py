"""Task schedules in the compiled core: `simulate` and `train` on a `semjax.Schedule` run every
phase in one call, continue exactly from the state each phase reaches, and record the read-outs
against every task of the schedule."""

import jax
import numpy as np
import optax
import pytest

import semjax
from semjax import Task, datasets
from semjax.dynamics import _runs
from semjax.schedule import Schedule, reversed_task

OPTIONS = dict(hidden=8, dt=0.05, record_every=10, init="gaussian", init_scale=1e-2,
               n_seeds=3, dtype="float64")


@pytest.fixture(scope="module")
def tasks():
    learn = Task.from_dataset(datasets.four_items())
    return learn, reversed_task(learn)


@pytest.fixture(scope="module")
def schedule(tasks):
    learn, reverse = tasks
    return Schedule([(learn, 20.0), (reverse, 20.0), (learn, 10.0)], names=("A", "rev", "A2"))


def _chained(schedule, kernel, **options):
    """Phase by phase with one `simulate` call each, from the previous phase's final weights."""
    runs, init = [], None
    for task, duration in schedule.phases:
        start = dict(init="gaussian", init_scale=1e-2, n_seeds=3) if init is None else dict(
            init=init)
        run = semjax.simulate(task, hidden=8, dt=0.05, n_steps=round(duration / 0.05),
                              record_every=10, dtype="float64", record=("weights", "loss"),
                              kernel=kernel, **start, **options)
        init = tuple(w[:, -1] for w in run.weights)
        runs.append(run)
    return runs


@pytest.mark.parametrize("kernel", ["tiled", "reference"])
def test_a_schedule_continues_each_phase_exactly_from_the_last(schedule, kernel, monkeypatch):
    """One compiled call over the schedule equals chaining one call per phase: the weights
    bitwise, also when the run is cut into segments that straddle the switches; the read-outs
    to rounding (they are evaluated for every task at once)."""
    monkeypatch.setattr(_runs, "SEGMENT_WORK", 3e5)  # several segments, across the switches
    whole = semjax.simulate(schedule, kernel=kernel, record=("weights", "loss"), **OPTIONS)
    assert whole.info["kernel"] == kernel
    chained = _chained(schedule, kernel)
    ends = np.cumsum([0, *(len(run.t) - 1 for run in chained)])
    for phase, run in enumerate(chained):
        span = slice(ends[phase], ends[phase + 1] + 1)
        for layer in range(2):
            np.testing.assert_array_equal(whole.weights[layer][:, span], run.weights[layer])
        np.testing.assert_allclose(whole.loss[:, span, phase], run.loss, rtol=1e-14)


def test_read_outs_are_recorded_against_every_task(schedule):
    """modes[..., k, :] are the strengths of the map on task k's modes at every time, whichever
    task is being learned; phase labels the active task (switch records to the new one)."""
    run = semjax.simulate(schedule, record=("modes", "loss", "product"), **OPTIONS)
    assert run.modes.shape == (3, len(run.t), 3, 4) and run.loss.shape == (3, len(run.t), 3)
    for phase, task in enumerate(schedule.tasks):
        U, _, V = task.modes
        expected = np.einsum("ia,stij,jk,ka->sta", U, run.product, task.sigma_x, V)
        np.testing.assert_allclose(run.modes[:, :, phase], expected, atol=1e-12)
    np.testing.assert_array_equal(run.phase, schedule.phase_at(run.t))
    assert list(run.phase[[0, 39, 40, 79, 80, -1]]) == [0, 0, 1, 1, 2, 2]
    assert run.info["schedule"]["names"] == ["A", "rev", "A2"]
    # learning the reversal undoes A: A's loss rises while rev's falls, then A is relearned
    loss_a, loss_rev = run.loss[..., 0], run.loss[..., 1]
    assert np.all(loss_a[:, 80] > 5 * loss_a[:, 40])
    assert np.all(loss_rev[:, 80] < 0.5 * loss_rev[:, 40])
    assert np.all(loss_a[:, -1] < loss_a[:, 80])


def test_train_on_a_schedule_with_sgd_is_the_euler_schedule(schedule):
    sgd = semjax.train(schedule, optimizer=optax.sgd(0.05), learning_rate=0.05,
                       record=("modes",), **{k: v for k, v in OPTIONS.items() if k != "dt"})
    euler = semjax.simulate(schedule, record=("modes",), **OPTIONS)
    np.testing.assert_allclose(sgd.modes, euler.modes, atol=1e-12)
    np.testing.assert_array_equal(sgd.phase, euler.phase)
    assert list(sgd.step[[0, 40]]) == [0, 400]


def test_nonlinear_nets_run_schedules(schedule):
    run = semjax.simulate(schedule, activation="tanh", record=("loss",), **OPTIONS)
    assert np.all(run.loss[:, 40, 0] < 0.5 * run.loss[:, 0, 0])


@pytest.mark.parametrize("change, match", [
    (dict(n_steps=100), "durations"),
    (dict(t_max=10.0), "durations"),
    (dict(record_every=7), "record_every=7 must divide"),
    (dict(dt=0.07), "dt"),
])
def test_bad_schedule_calls_get_clear_errors(schedule, change, match):
    with pytest.raises(ValueError, match=match):
        semjax.simulate(schedule, **(OPTIONS | change))


def test_tasks_of_different_kinds_cannot_share_a_call(tasks):
    learn, _ = tasks
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((4, 4))
    other = Task(sigma_yx=learn.targets @ inputs.T / 4, sigma_x=inputs @ inputs.T / 4,
                 inputs=inputs, targets=learn.targets)
    with pytest.raises(ValueError, match="one kind"):
        semjax.simulate(Schedule([(learn, 1.0), (other, 1.0)]), **OPTIONS)


def test_a_schedule_needs_one_learning_rate(schedule):
    with pytest.raises(ValueError, match="one learning_rate"):
        semjax.train(schedule, optimizer=optax.sgd, learning_rate=[0.05, 0.1], hidden=8,
                     init_scale=1e-2)


def test_a_schedule_run_saves_and_loads_its_phases(schedule, tmp_path):
    run = semjax.simulate(schedule, record=("loss",), **OPTIONS)
    run.save(tmp_path / "run.npz")
    loaded = semjax.Trajectory.load(tmp_path / "run.npz")
    np.testing.assert_array_equal(loaded.phase, run.phase)
    np.testing.assert_array_equal(loaded.loss, run.loss)
    assert jax.tree.structure(loaded) == jax.tree.structure(run)


def test_one_tasks_read_outs_compare_with_its_theory(schedule):
    """`on_task` gives a plain trajectory on one task (its own s in info) for `compare`; the
    whole schedule run is refused by `compare` with a pointer to it."""
    run = semjax.simulate(schedule, record=("modes",), **OPTIONS)
    with pytest.raises(ValueError, match="on_task"):
        semjax.compare(run, run)
    reverse = run.on_task("rev")
    assert reverse.modes.shape == (3, len(run.t), 4) and reverse.info["task"] == "rev"
    np.testing.assert_array_equal(reverse.modes, run.modes[:, :, 1])
    np.testing.assert_array_equal(run.on_task(1).modes, reverse.modes)
    assert list(reverse.info["task_s"]) == schedule.tasks[1].s.tolist()
    assert np.all(semjax.compare(reverse, reverse).max_abs_error == 0)
    with pytest.raises(ValueError, match="one of"):
        run.on_task("B")


def test_comparisons_say_when_a_network_is_not_the_theorys(tasks):
    learn, _ = tasks
    options = dict(hidden=8, n_steps=100, dt=0.05, init="gaussian", init_scale=1e-2)
    tanh = semjax.simulate(learn, activation="tanh", bias=True, **options)
    comparison = semjax.compare(tanh, semjax.theory.trajectory(learn, tanh.t, 1e-2))
    assert comparison.networks == ("tanh network with biases", "linear network")
    assert str(comparison).startswith("a: tanh network with biases; b: linear network")


def test_one_compiled_run_follows_the_exact_solution_through_reversals():
    """Issue 9: through learn A → reverse A → a partial reversal, from a zero-balanced and a
    λ-balanced start, one `simulate(schedule, method="rk4")` call and the closed form continued
    across every switch (`theory.schedule_solution`) agree to 1e-8 (float64) before and after
    each switch, and the recorded loss on every task (hence the forgetting) equals the
    prediction."""
    from tests.test_schedule import DURATIONS, HIDDEN, NAMES, STARTS
    learn = Task.from_dataset(datasets.four_items())
    second = reversed_task(learn, ["fly", "swim"])
    schedule = Schedule(list(zip((learn, reversed_task(learn), second), DURATIONS)),
                        names=NAMES)
    init = tuple(np.stack(w) for w in zip(*(start for _, start in STARTS.values())))
    run = semjax.simulate(schedule, hidden=HIDDEN, init=init, dt=0.005, method="rk4",
                          record_every=20, record=("product", "loss"), dtype="float64")
    predicted_loss = []
    for index, (lam, (w1, w2)) in enumerate(STARTS.values()):
        solution = semjax.theory.schedule_solution(schedule, w1, w2, run.t)
        assert solution.lam == pytest.approx(lam, abs=1e-12)
        np.testing.assert_array_equal(solution.phase, run.phase)
        scale = np.abs(solution.network_map).max()
        for phase in range(3):
            within = run.phase == phase
            error = np.abs(run.product[index, within] - solution.network_map[within]).max()
            assert error < 1e-8 * scale, (lam, phase, error)
        predicted_loss.append(semjax.theory.forgetting(schedule, solution).loss)
    np.testing.assert_allclose(run.loss, np.stack(predicted_loss), rtol=1e-8, atol=1e-10)
    simulated = semjax.theory.forgetting(schedule, run)
    assert np.nanmax(simulated.forgetting[:, :, 0]) > 1.0  # reversing A forgets A
