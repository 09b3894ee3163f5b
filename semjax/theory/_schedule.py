"""The exact two-layer solution continued through the switches of a task schedule, and the
forgetting read-out (how much of an earlier task the network has lost) for theory and
simulation alike.

Within phase k of a `semjax.Schedule` (task k from t_k = d_0 + … + d_{k−1} on) gradient flow
on task k starts from the weights the earlier phases left, so the closed form of docs/theory.md §3.3
applies phase by phase:

    QQᵀ(t) = exact_solution(task_k, W1(t_k), W2(t_k), t − t_k),    t_k ≤ t < t_{k+1}.

Why the continuation is exact. The Riccati solution depends on its start only through
Q0Q0ᵀ (Q = [W1ᵀ; W2], (N1+N3) × N2) and λ. At a switch the closed form gives QQᵀ(t_k), not
the weights themselves; any P with the same N2 columns and PPᵀ = QQᵀ(t_k) equals Q(t_k) R for
an orthogonal R (N2 × N2), i.e. W1 → RᵀW1, W2 → W2R, a rotation of the hidden layer. The
rotation leaves the map W2W1, W1ᵀW1, W2W2ᵀ and the balance unchanged,

    (W2R)ᵀ(W2R) − (RᵀW1)(RᵀW1)ᵀ = Rᵀ(W2ᵀW2 − W1W1ᵀ)R = Rᵀ(λI)R = λI,

so λ (conserved by the flow within each phase, and the weights do not jump at a switch) is the
same in every phase, and P is a valid λ-balanced start whose solution is the true one. The
factor used is the one of the stable evaluation itself (QQᵀ = YᵀY, `_riccati.weights_at`),
not an eigendecomposition of QQᵀ: it keeps the relative accuracy of components far smaller than
‖Q‖ (an eigen-factor of QQᵀ loses it as ε‖Q‖²/component², which matters after a reversal, where
the directions the new task needs were shrunk by the previous phase).

Limits. After a full reversal (Σyx → −Σyx) the network leaves the saddle W ≈ 0 from the
weights' component along the directions the new task needs, q_α = (W2ᵀu_α − W1v_α)/2, which the
previous phase shrank (docs/schedules.md, 'Reversal and the saddle'). For λ = 0 it shrinks at
least as e^{−s_α T} without a floor, so the escape grows with the time T spent on the old task;
for λ ≠ 0 it settles at a floor set by λ, and the escape stops growing once the old task is
learned. Both the closed form and float64 simulations resolve that component only to
ε/component. Below 1e-10 of ‖Q‖ the closed form treats it as zero and raises the stuck-mode
error of `exact_solution` (naming the phase).
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from semjax.schedule import _TIME_RTOL, Schedule, require_schedule
from semjax.theory._riccati import _times, exact_solution, weights_at
from semjax.trajectory import Trajectory


class ScheduleSolution(NamedTuple):
    """The closed-form state of a two-layer network trained through a task schedule.

    Attributes:
        t: the times, float64, as given (any shape).
        network_map: W2W1(t), shape (*t.shape, N3, N1).
        w1tw1: W1ᵀW1(t), shape (*t.shape, N1, N1).
        w2w2t: W2W2ᵀ(t), shape (*t.shape, N3, N3).
        phase: the active phase at each t, int, shape t.shape (a switch time belongs to the new
            phase; `Schedule.phase_at`).
        lam: λ of the start, W2ᵀW2 − W1W1ᵀ = λI, the same in every phase.
        starts: ((W1, W2), ...) the weights each phase's closed form starts from, for every
            phase up to the last one t reaches: the given start, then at each switch a factor
            of QQᵀ(t_k) (the weights gradient flow reaches, up to a rotation of the hidden
            layer), float64 numpy arrays.
    """

    t: np.ndarray
    network_map: jax.Array
    w1tw1: jax.Array
    w2w2t: jax.Array
    phase: np.ndarray
    lam: float
    starts: tuple


class Forgetting(NamedTuple):
    """Excess loss of a network map on every task of a schedule over time, and how much of each
    task has been forgotten since its phase ended.

    Attributes:
        t: the times, shape (time,).
        loss: L_j(W(t)) − min L_j = ½ tr((W − T_j) Σx_j (W − T_j)ᵀ) on the task of phase j,
            shape (..., time, n_phases).
        final: L_j at the end of phase j (t_j + d_j), shape (..., n_phases); NaN where t does
            not reach that time.
        forgetting: loss − final for t ≥ the end of phase j, NaN before it (the task is not yet
            an earlier task), shape (..., time, n_phases). For the last phase the flow keeps
            training on its task after the schedule ends, so its column is ≤ 0 there.
        end_times: the ends of the phases, shape (n_phases,).
    """

    t: np.ndarray
    loss: np.ndarray
    final: np.ndarray
    forgetting: np.ndarray
    end_times: np.ndarray


_STUCK_HINT = (
    " In a schedule this means the earlier phases shrank the weights' component along a "
    "direction this task needs below 1e-10·‖Q‖ (after a reversal it is ~e^{−s·T}, T the time "
    "spent on the earlier task): shorten the earlier phase or start from larger weights, or "
    "integrate with semjax.simulate (whose plateau at the saddle is then set by rounding).")


@contextlib.contextmanager
def _in_phase(schedule: Schedule, k: int):
    """Prefix the errors of the closed form with the phase they arose in."""
    try:
        yield
    except ValueError as error:
        message = (f"phase {k} ({schedule.names[k]!r}, from t = {schedule.switch_times[k]:g}): "
                   f"{error}")
        if k > 0 and "stuck mode" in str(error):
            message += _STUCK_HINT
        raise ValueError(message) from None


def _concrete_times(t) -> np.ndarray:
    try:
        times = np.asarray(t, dtype=np.float64)
    except jax.errors.TracerArrayConversionError:
        raise TypeError("schedule_solution needs concrete times t (the phase of each time is "
                        "found on the host); evaluate it outside jax.jit.") from None
    except (TypeError, ValueError):
        raise TypeError(f"t must be a real number or array of times; got {t!r}.") from None
    _times(times)  # finite and ≥ 0, or a ValueError naming the bad entry
    return times


def _bucketed(local: np.ndarray) -> np.ndarray:
    """``local`` padded with its last value to a power-of-two length (≥ 16; zeros when
    empty), so that phases of different lengths reuse the compiled evaluation."""
    size = max(16, 1 << max(local.size - 1, 0).bit_length())
    return np.pad(local, (0, size - local.size), mode="edge") if local.size else np.zeros(size)


def schedule_solution(schedule: Schedule, w1_0, w2_0, t, *, tau=1.0,
                      tolerance: float = 1e-8) -> ScheduleSolution:
    """Closed-form W2W1(t), W1ᵀW1(t), W2W2ᵀ(t) of a two-layer linear network trained by
    gradient flow through every phase of a task schedule, from a λ-balanced start.

    Within phase k this is ``exact_solution(task_k, W1(t_k), W2(t_k), t − t_k)`` (docs/theory.md
    §3.3), started from a factor of the closed-form QQᵀ(t_k) that equals the true weights up to
    an orthogonal rotation R of the hidden layer: W1 → RᵀW1, W2 → W2R leaves the map, the
    similarities and the balance W2ᵀW2 − W1W1ᵀ = Rᵀ(λI)R = λI unchanged, so the continuation
    is exact (module docstring). The times t and the durations share one time axis (units of
    τ for ``tau=1``, the library's convention).

    Args:
        schedule: a `semjax.Schedule` whose tasks all have Σx = c·I (the condition of
            `exact_solution`).
        w1_0: W1(0), shape (N2, N1).
        w2_0: W2(0), shape (N3, N2), with W2ᵀW2 − W1W1ᵀ = λI.
        t: times ≥ 0, any shape, concrete; times after the schedule's end continue its last
            phase.
        tau: the time constant τ.
        tolerance: the balance tolerance of `exact_solution`.

    Returns:
        `ScheduleSolution` (arrays in JAX's default float dtype). Enable x64 for schedules
        with reversals: after one, the flow is set by components far below ‖Q‖ (module
        docstring) that float32 does not resolve.

    Raises:
        TypeError: ``schedule`` is not a `Schedule`; traced or non-numeric t.
        ValueError: the errors of `exact_solution` (an unbalanced start, a task with
            non-white Σx, negative t, ...), prefixed with the phase; a stuck mode at a switch
            (the previous phases left no component along a direction the new task needs, see
            the module docstring).
    """
    schedule = require_schedule(schedule)
    times = _concrete_times(t)
    phase = schedule.phase_at(times)
    flat_t, flat_phase = times.ravel(), phase.ravel()
    n_out, n_in = schedule.n_out, schedule.n_in
    maps = np.zeros((flat_t.size, n_out, n_in))
    inner, outer = np.zeros((flat_t.size, n_in, n_in)), np.zeros((flat_t.size, n_out, n_out))
    last = int(flat_phase.max()) if flat_t.size else 0
    w1, w2 = w1_0, w2_0
    starts, lam = [], None
    for k in range(last + 1):
        task = schedule.tasks[k]
        with _in_phase(schedule, k):
            mask = flat_phase == k
            if mask.any() or lam is None:  # phase 0 always: it checks the start and gives λ
                local = _bucketed(np.maximum(flat_t[mask] - schedule.switch_times[k], 0.0))
                solution = exact_solution(task, w1, w2, local, tau=tau, tolerance=tolerance)
                lam = solution.lam if lam is None else lam
            if mask.any():
                count = int(mask.sum())
                maps[mask] = np.asarray(solution.network_map)[:count]
                inner[mask] = np.asarray(solution.w1tw1)[:count]
                outer[mask] = np.asarray(solution.w2w2t)[:count]
            starts.append((np.asarray(w1, dtype=np.float64), np.asarray(w2, dtype=np.float64)))
            if k < last:
                w1, w2 = weights_at(task, w1, w2, schedule.durations[k], tau=tau,
                                    tolerance=tolerance)
    shape = times.shape
    return ScheduleSolution(
        t=times, network_map=jnp.asarray(maps.reshape(*shape, n_out, n_in)),
        w1tw1=jnp.asarray(inner.reshape(*shape, n_in, n_in)),
        w2w2t=jnp.asarray(outer.reshape(*shape, n_out, n_out)), phase=phase, lam=lam,
        starts=tuple(starts))


def _maps_and_times(maps, t):
    if isinstance(maps, Trajectory):
        if maps.product is None:
            raise ValueError("forgetting needs the network map: simulate with "
                             "record=(..., 'product').")
        return np.asarray(maps.product), maps.t if t is None else t
    if isinstance(maps, ScheduleSolution):
        return np.asarray(maps.network_map), maps.t if t is None else t
    if t is None:
        raise TypeError("forgetting needs the times t of the maps' time axis (or pass a "
                        "Trajectory or a ScheduleSolution, which carry them).")
    return np.asarray(maps, dtype=np.float64), t


def forgetting(schedule: Schedule, maps, t=None) -> Forgetting:
    """How much of each earlier task of a schedule a network has forgotten, over time.

    For the task of phase j, the excess loss of the map on it (the loss convention of
    `semjax.task`: ½ tr((W − T_j) Σx_j (W − T_j)ᵀ)) minus its value at the end of phase j:
    positive when training on later tasks undid what phase j taught. One read-out for theory
    and simulation: pass a `ScheduleSolution` (the analytic prediction), a `Trajectory` that
    recorded ``"product"``, or maps with their times.

    Args:
        schedule: the `semjax.Schedule` the maps were trained on.
        maps: a `ScheduleSolution`, a `Trajectory`, or maps of shape (..., time, N3, N1).
        t: the times of the time axis, shape (time,) (taken from a Trajectory or solution
            when None). It must contain the end of every phase it passes (to 1e-9 of the
            schedule's total time), e.g. a grid with a step dividing every duration.

    Returns:
        `Forgetting` with the loss on every phase's task and the forgetting since each phase
        ended.

    Raises:
        TypeError: ``schedule`` is not a `Schedule`; array maps without t.
        ValueError: maps of the wrong shape, t that does not match the time axis, or a t
            that passes a phase's end without containing it.
    """
    schedule = require_schedule(schedule)
    maps, t = _maps_and_times(maps, t)
    times = np.asarray(t, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError(f"forgetting needs a 1-D time axis; got t of shape {times.shape}.")
    if maps.ndim < 3 or maps.shape[-2:] != (schedule.n_out, schedule.n_in) \
            or maps.shape[-3] != times.size:
        raise ValueError(f"maps must have shape (..., time={times.size}, N3={schedule.n_out}, "
                         f"N1={schedule.n_in}); got {maps.shape}.")
    loss = np.stack([np.asarray(task.excess_loss(maps)) for task in schedule.tasks], axis=-1)
    ends = schedule.end_times
    tolerance = _TIME_RTOL * schedule.total_time
    final = np.full((*maps.shape[:-3], schedule.n_phases), np.nan)
    for j, end in enumerate(ends):
        at_end = np.flatnonzero(np.abs(times - end) <= tolerance)
        if at_end.size:
            final[..., j] = loss[..., at_end[0], j]
        elif times.size and times.max() > end:
            raise ValueError(
                f"t passes the end of phase {j} ({schedule.names[j]!r}) at t = {end:g} but does "
                "not contain it; record on a grid that includes every switch time (a step "
                "dividing every duration, Schedule.steps).")
    after = times[:, None] >= ends[None, :] - tolerance
    return Forgetting(t=times, loss=loss, final=final,
                      forgetting=np.where(after, loss - final[..., None, :], np.nan),
                      end_times=ends)
