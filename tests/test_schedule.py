"""Task schedules (`semjax.schedule`): validation, the pytree form a compiled core uses, task
reversal, and the closed-form solution through switches (`semjax.theory._schedule`) against RK4
simulation run phase by phase.

Tolerances (float64):

* schedule solution vs RK4 (every phase N = 2800 steps, dt = d_k/N ≤ 0.01, λ = 0 and 0.5): the
  difference is RK4's truncation error, amplified after a reversal, where the flow leaves the
  saddle W ≈ 0 from components the previous phase shrank (here down to 7e-8 of ‖Q‖ for λ = 0);
  measured per phase 9e-13, 2e-10, 6e-10 (λ = 0) and 7e-13, 2e-10, 2e-10 (λ = 0.5), relative
  (max abs error / max abs value), scaling as dt⁴; asserted ≤ 1e-8. Continuing from an
  eigen-factor of the closed-form QQᵀ instead of the evaluation's own factor (squaring loses
  the small components) is off by 5e-6 and 6e-5 after the switches (λ = 0).
* balance W2ᵀW2 − W1W1ᵀ = λI: the closed-form switch weights keep it to rounding (≤ 5e-15
  measured, asserted ≤ 1e-12); RK4 to its truncation error (≤ 2e-10 measured, asserted ≤ 1e-9).
* forgetting, simulation vs prediction: 1e-10 relative measured, asserted ≤ 1e-8.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import semjax
from semjax import datasets
from semjax.schedule import Schedule, reversed_task
from semjax.theory._schedule import ScheduleSolution, forgetting, schedule_solution

HIDDEN = 5
N_STEPS = 2800          # per phase: one compilation serves every phase (dt is traced)
RECORD_EVERY = 20
DURATIONS = (12.0, 28.0, 20.0)  # in τ; the mean convention (Σx = I/4) learns at rates ~ s_α/4
NAMES = ("A", "reverse A", "C")


@pytest.fixture(scope="module")
def task_a():
    return semjax.Task.from_dataset(datasets.four_items())  # Σx = I/4, Σyx = Y/4


@pytest.fixture(scope="module")
def schedule(task_a):
    """Learn the four items, unlearn them (every property reversed), then a second task (the
    four items with 'fly' and 'swim' reversed)."""
    second = reversed_task(task_a, ["fly", "swim"])
    return Schedule(list(zip((task_a, reversed_task(task_a), second), DURATIONS)), names=NAMES)


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def _balanced_start(lam, scale=0.01, seed=0):
    """W1 = R S1 V0ᵀ, W2 = U0 S2 Rᵀ (random R, U0, V0): product scale·U0 V0ᵀ on 4 directions,
    W2ᵀW2 − W1W1ᵀ = λI (docs/theory.md §3.1); λ = 0 gives W1 = a R Vᵀ, W2 = a U Rᵀ, a = √scale,
    and a dead fifth hidden direction."""
    rng = np.random.default_rng(seed)
    R, U0, V0 = _orthogonal(rng, HIDDEN), _orthogonal(rng, 7), _orthogonal(rng, 4)
    root = np.sqrt(lam ** 2 + 4 * scale ** 2)
    s1, s2 = np.zeros(HIDDEN), np.zeros(HIDDEN)
    s1[:4], s2[:4] = np.sqrt((root - lam) / 2), np.sqrt((root + lam) / 2)
    s2[4:] = np.sqrt(lam)
    w1 = R @ (np.eye(HIDDEN, 4) * s1[:, None]) @ V0.T
    w2 = U0 @ (np.eye(7, HIDDEN) * s2[None, :]) @ R.T
    assert np.abs(w2.T @ w2 - w1 @ w1.T - lam * np.eye(HIDDEN)).max() < 1e-15
    return w1, w2


STARTS = {"lambda0": (0.0, _balanced_start(0.0)), "lambda0.5": (0.5, _balanced_start(0.5, seed=1))}


@pytest.fixture(scope="module")
def simulated(schedule):
    """RK4 phase by phase for both starts at once, each phase from the previous one's final
    weights: a list of per-phase trajectories (times shifted to the schedule's time axis)."""
    init = tuple(np.stack(w) for w in zip(*(start for _, start in STARTS.values())))
    phases = []
    for k, (task, duration) in enumerate(schedule.phases):
        run = semjax.simulate(task, hidden=HIDDEN, init=init, n_steps=N_STEPS,
                              dt=duration / N_STEPS, method="rk4",
                              record=("product", "weights"), record_every=RECORD_EVERY,
                              dtype="float64")
        phases.append((run.t + schedule.switch_times[k], run))
        init = tuple(w[:, -1] for w in run.weights)
    return phases


def _relative_error(got, want):
    return float(np.abs(np.asarray(got) - want).max() / np.abs(want).max())


def _imbalance(w1, w2, lam):
    gap = np.einsum("...ki,...kj->...ij", w2, w2) - np.einsum("...ik,...jk->...ij", w1, w1)
    return float(np.abs(gap - lam * np.eye(w1.shape[-2])).max())


# ------------------------------------------------------------------------ the Schedule object


def test_schedule_properties(task_a, schedule):
    assert schedule.n_phases == 3 and schedule.names == NAMES
    assert schedule.durations == DURATIONS and schedule.total_time == 60.0
    np.testing.assert_array_equal(schedule.switch_times, [0.0, 12.0, 40.0])
    np.testing.assert_array_equal(schedule.end_times, [12.0, 40.0, 60.0])
    assert (schedule.n_out, schedule.n_in) == (7, 4) and schedule.tasks[0] is task_a
    assert [d for _, d in schedule.phases] == list(DURATIONS)
    # a switch time belongs to the new phase, also when rounding puts it a hair early
    t = np.array([0.0, 11.9, 12.0, 12.0 - 1e-13, 39.99, 40.0, 60.0, 75.0])
    np.testing.assert_array_equal(schedule.phase_at(t), [0, 0, 1, 1, 1, 2, 2, 2])
    assert schedule.phase_at(12.0) == 1
    np.testing.assert_array_equal(jax.jit(schedule.phase_at)(jnp.asarray(t)),
                                  schedule.phase_at(t))
    assert schedule.steps(0.5) == (24, 56, 40)
    assert schedule.steps(0.1) == (120, 280, 200)  # 12/0.1 = 119.99999999999999
    # the other constructor and the default names
    plain = Schedule(tasks=schedule.tasks, durations=[12, 28.0, np.float64(20)])
    assert plain.names == ("task0", "task1", "task2") and plain.durations == DURATIONS
    assert "reverse A" in repr(schedule)


@pytest.mark.parametrize("duration", [0.0, -1.0, np.inf, np.nan])
def test_durations_must_be_finite_and_positive(task_a, duration):
    with pytest.raises(ValueError, match=rf"phase 1 must be finite and > 0.*got {duration}"):
        Schedule([(task_a, 1.0), (task_a, duration)], names=("a", "b"))


def test_schedule_validation_errors(task_a):
    other = semjax.Task(sigma_yx=np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"\(7, 4\).*phase 1 has \(3, 4\)"):
        Schedule([(task_a, 1.0), (other, 1.0)])
    with pytest.raises(TypeError, match="task of phase 1 must be a semjax.Task"):
        Schedule([(task_a, 1.0), (task_a.sigma_yx, 1.0)])
    with pytest.raises(TypeError, match="phase 0 must be a real number"):
        Schedule([(task_a, "long")])
    with pytest.raises(TypeError, match=r"phase 0 must be a \(task, duration\) pair"):
        Schedule([task_a])
    with pytest.raises(ValueError, match="at least one phase"):
        Schedule([])
    with pytest.raises(ValueError, match="'A' is repeated"):
        Schedule([(task_a, 1.0), (task_a, 1.0)], names=("A", "A"))
    with pytest.raises(ValueError, match="one entry per phase"):
        Schedule([(task_a, 1.0)], names=("A", "B"))
    with pytest.raises(TypeError, match=r"names\[0\] must be a string"):
        Schedule([(task_a, 1.0)], names=(1,))
    with pytest.raises(ValueError, match="one entry per task"):
        Schedule(tasks=(task_a, task_a), durations=(1.0,))


def test_steps_needs_a_dt_dividing_every_duration(task_a):
    schedule = Schedule([(task_a, 5.0), (task_a, 5.0), (task_a, 10.0)],
                        names=("A", "reverse A", "B"))
    with pytest.raises(ValueError, match=r"phase 0 \('A'\).*e\.g\. dt = 0\.25"):
        schedule.steps(0.3)
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        schedule.steps(0.0)
    assert schedule.steps(0.25) == (20, 20, 40)


def test_schedule_is_a_pytree(task_a, schedule):
    leaves, treedef = jax.tree_util.tree_flatten(schedule)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert rebuilt.durations == schedule.durations and rebuilt.names == schedule.names
    assert all(isinstance(task, semjax.Task) for task in rebuilt.tasks)
    assert len(leaves) == 3 * len(jax.tree_util.tree_leaves(task_a))


    @jax.jit
    def first_task(schedule):  # a schedule passes through a compiled function whole
        return schedule.tasks[0].sigma_yx, schedule.phase_at(12.0)

    sigma_yx, phase = first_task(schedule)
    np.testing.assert_array_equal(sigma_yx, schedule.tasks[0].sigma_yx)
    assert int(phase) == 1


def test_reversed_task(task_a):
    full = reversed_task(task_a)
    np.testing.assert_array_equal(full.sigma_yx, -task_a.sigma_yx)
    np.testing.assert_array_equal(full.targets, -task_a.targets)
    np.testing.assert_allclose(full.s, task_a.s, atol=1e-14)
    assert full.property_names == task_a.property_names
    partial = reversed_task(task_a, ["fly", 4])
    np.testing.assert_array_equal(partial.sigma_yx[3:5], -task_a.sigma_yx[3:5])
    np.testing.assert_array_equal(partial.sigma_yx[:3], task_a.sigma_yx[:3])
    # the dataset's reversal flag is the same operation on the last feature
    braun = semjax.Task.from_dataset(datasets.braun_hierarchy())
    flagged = semjax.Task.from_dataset(datasets.braun_hierarchy(reversal=True))
    for features in (-1, "feature7", [7]):
        mine = reversed_task(braun, features)
        np.testing.assert_array_equal(mine.sigma_yx, flagged.sigma_yx)
        np.testing.assert_array_equal(mine.targets, flagged.targets)
    with pytest.raises(ValueError, match="'wings' is not a property"):
        reversed_task(task_a, "wings")
    with pytest.raises(ValueError, match="out of range"):
        reversed_task(task_a, 7)
    with pytest.raises(ValueError, match="twice"):
        reversed_task(task_a, ["fly", 3])
    with pytest.raises(TypeError, match="must be a semjax.Task"):
        reversed_task(task_a.sigma_yx)


# ------------------------------------------------------- the closed form through the switches


@pytest.mark.parametrize("start", list(STARTS))
def test_schedule_solution_matches_rk4_through_every_switch(schedule, simulated, start):
    lam, (w1, w2) = STARTS[start]
    run_index = list(STARTS).index(start)
    for k, (t, run) in enumerate(simulated):
        exact = schedule_solution(schedule, w1, w2, t)
        assert isinstance(exact, ScheduleSolution) and exact.lam == pytest.approx(lam, abs=1e-14)
        # each phase's records run from its start t_k to the next switch t_{k+1}, which the
        # solution already evaluates in the new phase (local time 0, from the switch factor)
        assert exact.phase[0] == k and exact.phase[-1] == min(k + 1, 2)
        W1, W2 = (w[run_index] for w in run.weights)
        want = (run.product[run_index], np.einsum("tki,tkj->tij", W1, W1),
                np.einsum("tik,tjk->tij", W2, W2))
        for name, got, value in zip(("map", "W1ᵀW1", "W2W2ᵀ"), exact[1:4], want):
            error = _relative_error(got, value)
            assert error < 1e-8, (start, k, name, error)
        assert _imbalance(W1, W2, lam) < 1e-9, (start, k)  # RK4 keeps the balance
    # the switch weights of the closed form keep the balance exactly
    starts = schedule_solution(schedule, w1, w2, schedule.total_time).starts
    assert len(starts) == 3
    for k, (s1, s2) in enumerate(starts):
        assert _imbalance(s1, s2, lam) < 1e-12, (start, k)


def test_the_schedule_actually_reverses_and_switches(task_a, schedule, simulated):
    """The compared dynamics are not trivial: from the λ = 0 start the first phase learns the
    strong modes, the reversal flips them (passing through the saddle W ≈ 0) and the last
    phase starts far from its task; the λ = 0.5 start reverses too."""
    ends = [run.product[:, -1] for _, run in simulated]
    strengths = [task_a.mode_strengths(m) for m in ends]  # on A's modes, (start, mode)
    s = task_a.s
    assert np.all(strengths[0][:, :2] > 0.95 * s[:2]), strengths[0]
    assert np.all(strengths[1][:, :2] < -0.95 * s[:2]), strengths[1]
    reversal = simulated[1][1].product[0]  # λ = 0 in the reversal phase: near zero at some t
    assert np.linalg.norm(reversal, axis=(1, 2)).min() < 0.05 * np.linalg.norm(task_a.sigma_yx)


def _lambda_mode_time(s, a_start, a_end, lam):
    """Time (τ = 1) for τ ȧ = √(λ² + 4a²)(s − a) to go from a_start to a_end, any signs: the
    cross-ratio of w = tanh(θ/2) = 2a/(λ + √(λ² + 4a²)) decays as e^{−Kt}, K = √(λ² + 4s²)
    (docs/theory.md §3.7)."""
    K = np.sqrt(lam ** 2 + 4 * s ** 2)
    w_plus, w_minus = (K - lam) / (2 * s), -(K + lam) / (2 * s)
    w0, w1 = (2 * a / (lam + np.sqrt(lam ** 2 + 4 * a ** 2)) for a in (a_start, a_end))
    return np.log((w0 - w_plus) / (w0 - w_minus) * (w1 - w_minus) / (w1 - w_plus)) / K


def _anti_aligned_norms(task, w1, w2):
    """|q_α| = |W2ᵀu_α − W1 v_α| / 2 for every mode α."""
    U, _, V = task.modes
    return np.linalg.norm(w2.T @ U - w1 @ V, axis=0) / 2


def test_escape_after_a_reversal_is_set_by_the_balance(task_a):
    """docs/schedules.md, 'Reversal and the saddle': learn A for T, then its reversal, and time
    the escape (the switch until a_α < −s_α/2) of the two strongest modes from the closed form.

    λ = 0.5: the escape equals the aligned λ-balanced time from −a_α(T) to s_α/2 (λ → cλ for
    Σx = cI) within 5 % (measured ≤ 3.6 %), stops growing with T once A is learned, and tends to
    (τ/s_α) ln(2√2 s_α/(c|λ|)). λ = 0: |q_α(T)| ≤ |q_α(0)| e^{−s_α T}, and the escape is at least
    T + (τ/2s_α) ln(s_α/(2c|q_α(0)|²)), so it grows with T at least one for one."""
    c, s = task_a.input_scale, task_a.s[:2]
    for name, (lam, (w1, w2)) in STARTS.items():
        # as many times as the RK4 records of a phase: shares the closed form's compilation
        grid = np.linspace(0.0, 30.0 if lam == 0 else 10.0, N_STEPS // RECORD_EVERY)
        q0 = _anti_aligned_norms(task_a, w1, w2)[:2]
        escapes, reached = [], []
        for T in (3.0, 6.0, 12.0):
            schedule = Schedule([(task_a, T), (reversed_task(task_a), 30.0)])
            exact = schedule_solution(schedule, w1, w2, T + grid)
            strengths = task_a.mode_strengths(np.asarray(exact.network_map))[:, :2]
            below = strengths < -s / 2
            assert np.all(below.any(axis=0)), (name, T)
            k = below.argmax(axis=0)  # first record below; interpolate with the one before
            before, after = strengths[k - 1, [0, 1]], strengths[k, [0, 1]]
            escapes.append(grid[k - 1] + (grid[k] - grid[k - 1]) * (before + s / 2)
                           / (before - after))
            reached.append(strengths[0])
            if lam == 0:
                q = _anti_aligned_norms(task_a, *exact.starts[1])[:2]
                assert np.all(q <= q0 * np.exp(-s * T)), (T, q, q0 * np.exp(-s * T))
        escapes = np.array(escapes)
        if lam == 0:
            bound = np.array([3.0, 6.0, 12.0])[:, None] + np.log(s / (2 * c * q0 ** 2)) / (2 * s)
            assert np.all(escapes >= bound), (escapes, bound)
            assert np.all(escapes[2] - escapes[1] >= 6.0), escapes
        else:
            estimate = _lambda_mode_time(s, -np.array(reached), s / 2, c * lam)
            np.testing.assert_allclose(escapes, estimate, rtol=0.05)
            assert np.all(np.abs(escapes[2] - escapes[1]) < 0.1), escapes
            np.testing.assert_allclose(escapes[2], np.log(2 * np.sqrt(2) * s / (c * lam)) / s,
                                       rtol=0.01)


def test_forgetting_from_simulation_equals_the_prediction(schedule, simulated):
    w1, w2 = STARTS["lambda0"][1]
    t = np.concatenate([t if k == 0 else t[1:] for k, (t, _) in enumerate(simulated)])
    maps = np.concatenate([run.product[:, (0 if k == 0 else 1):]
                           for k, (_, run) in enumerate(simulated)], axis=1)
    simulation = forgetting(schedule, maps, t)
    prediction = forgetting(schedule, schedule_solution(schedule, w1, w2, t))
    assert simulation.forgetting.shape == (2, t.size, 3) and simulation.final.shape == (2, 3)
    scale = np.nanmax(np.abs(prediction.forgetting))
    error = np.nanmax(np.abs(simulation.forgetting[0] - prediction.forgetting)) / scale
    assert error < 1e-8, error
    np.testing.assert_array_equal(np.isnan(simulation.forgetting[0]),
                                  np.isnan(prediction.forgetting))
    before = t < schedule.end_times[0]
    assert np.all(np.isnan(prediction.forgetting[before, 0]))
    assert np.all(~np.isnan(prediction.forgetting[~before, 0]))
    # the reversal makes the network forget A: its loss on A grows towards that of the map −A
    # (the strong modes reverse, the weak ones are still near zero)
    task_a = schedule.tasks[0]
    final_a = prediction.forgetting[schedule.phase_at(t) == 1, 0][-1]
    assert final_a > 0.8 * task_a.excess_loss(-task_a.target_map)
    # one read-out: a Trajectory (its product and t) gives the same as its arrays
    t1, run1 = simulated[1]
    from_run = forgetting(schedule, dataclasses.replace(run1, t=t1))
    np.testing.assert_array_equal(from_run.loss, forgetting(schedule, run1.product, t1).loss)


def test_forgetting_errors(schedule):
    w1, w2 = STARTS["lambda0"][1]
    skipping = np.array([0.0, 11.0, 13.0])
    with pytest.raises(ValueError, match=r"end of phase 0 \('A'\) at t = 12"):
        forgetting(schedule, schedule_solution(schedule, w1, w2, skipping))
    with pytest.raises(TypeError, match="needs the times"):
        forgetting(schedule, np.zeros((3, 7, 4)))
    with pytest.raises(ValueError, match="maps must have shape"):
        forgetting(schedule, np.zeros((3, 4, 7)), [0.0, 1.0, 2.0])


def test_schedule_solution_errors_name_the_phase(task_a, schedule):
    # an aligned balanced start has no component along the reversed task's directions: the
    # reversal is exactly stuck (docs/theory.md §3.6), and the error says at which switch
    U, _, V = task_a.modes
    R = _orthogonal(np.random.default_rng(3), 4)
    aligned = (0.1 * R @ V.T, 0.1 * U @ R.T)
    exact = schedule_solution(schedule, *aligned, [1.0, 11.0])  # phase 0 alone is fine
    assert exact.network_map.shape == (2, 7, 4) and len(exact.starts) == 1
    with pytest.raises(ValueError, match=r"phase 1 \('reverse A', from t = 12\).*stuck mode"):
        schedule_solution(schedule, *aligned, [1.0, 13.0])
    with pytest.raises(TypeError, match="must be a semjax.Schedule"):
        schedule_solution(task_a, *aligned, 1.0)
    with pytest.raises(ValueError, match=r"phase 0 .*not λ-balanced"):
        schedule_solution(schedule, aligned[0], aligned[1] * [1.0, 2.0, 1.0, 1.0], 1.0)
    with pytest.raises(TypeError, match="concrete times"):
        jax.jit(lambda t: schedule_solution(schedule, *aligned, t).network_map)(1.0)
    grid = schedule_solution(schedule, *STARTS["lambda0"][1], np.arange(6.0).reshape(2, 3) * 10)
    assert grid.network_map.shape == (2, 3, 7, 4) and grid.phase.tolist() == [[0, 0, 1],
                                                                                [1, 2, 2]]


def test_schedule_solution_in_float32(schedule):
    """Without x64 the phases are evaluated in float32; the switch weights are still float64
    (float32 rounding would break the balance check at the switch)."""
    w1, w2 = STARTS["lambda0.5"][1]
    t = np.linspace(0.0, 30.0, 7)
    want = np.asarray(schedule_solution(schedule, w1, w2, t).network_map)
    with jax.enable_x64(False):
        got = schedule_solution(schedule, w1, w2, t)
    assert got.network_map.dtype == jnp.float32
    assert got.starts[1][0].dtype == np.float64
    assert _relative_error(got.network_map, want) < 1e-5
