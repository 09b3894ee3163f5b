"""Task schedules: train on task A for a while, then on its reversal, then on task B, ...

A `Schedule` is a sequence of phases, each a `semjax.Task` trained on for a duration (in units
of τ, on the time axis of `semjax.simulate`: t = step · dt). Phase k is active on
[t_k, t_k + d_k) with t_k = d_0 + … + d_{k−1} (`Schedule.switch_times`); a switch time belongs
to the new phase, and the last phase continues past `Schedule.total_time`. All tasks share the
network's shapes (N3, N1).

`Schedule` is a pytree (`jax.tree_util.register_dataclass`): the tasks are its data (arrays, traced
under `jax.jit`), the durations and names are static metadata (part of the tree structure, so a
jitted function recompiles when they change, and they are always plain host values).
`semjax.simulate` and `semjax.train` run a schedule in one compiled call, each phase on its own
task (`semjax.dynamics.CoreConfig.phases`).

`reversed_task` builds the reversal of a task (negated output rows), the operation of
``semjax.datasets.braun_hierarchy(reversal=True)`` on any task.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.task import Task, _is_concrete, require_task

# Relative tolerance of "duration / dt is an integer" and of "t is at a switch time" (relative
# to the schedule's total time): a record at t_k up to rounding belongs to the new phase.
_TIME_RTOL = 1e-9

def _is_placeholder(value) -> bool:
    """Whether ``value`` stands for a task inside a JAX transformation or a pytree utility (a
    tracer, None or a bare ``object()``) rather than being one the user passed."""
    return value is None or isinstance(value, jax.core.Tracer) or type(value) is object


def _duration(index: int, value) -> float:
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise TypeError(f"the duration of phase {index} must be a real number; got {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError, jax.errors.ConcretizationTypeError):
        raise TypeError(f"the duration of phase {index} must be a real number (a static host "
                        f"value, not traced); got {value!r}.") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"the duration of phase {index} must be finite and > 0 (in units of "
                         f"τ); got {number}.")
    return number


def _split_pairs(phases) -> tuple[tuple, tuple]:
    """((task, ...), (duration, ...)) from a sequence of (task, duration) pairs."""
    if isinstance(phases, Task) or not isinstance(phases, Sequence) or isinstance(phases, str):
        raise TypeError("Schedule needs a sequence of (task, duration) pairs, e.g. "
                        "Schedule([(task_a, 5.0), (reversed_a, 5.0)]), or tasks=... with "
                        f"durations=...; got {type(phases).__name__}.")
    tasks, durations = [], []
    for index, phase in enumerate(phases):
        if isinstance(phase, Task) or not isinstance(phase, Sequence) or len(phase) != 2:
            raise TypeError(f"phase {index} must be a (task, duration) pair; got "
                            f"{type(phase).__name__}. Pass pairs, or the tasks with "
                            "durations=(d0, d1, ...).")
        tasks.append(phase[0])
        durations.append(phase[1])
    return tuple(tasks), tuple(durations)


def _names(value, n_phases: int) -> tuple[str, ...]:
    if value is None:
        return tuple(f"task{k}" for k in range(n_phases))
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"names must be a sequence of {n_phases} strings (one per phase); got "
                        f"{value!r}.")
    names = tuple(value)
    if len(names) != n_phases:
        raise ValueError(f"names must have one entry per phase ({n_phases}); got {len(names)}: "
                         f"{names!r}.")
    for index, name in enumerate(names):
        if not isinstance(name, str):
            raise TypeError(f"names[{index}] must be a string; got {name!r}.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"names must be unique; {', '.join(map(repr, repeated))} is repeated in "
                         f"{names!r}. Give repeated tasks distinct phase names, e.g. 'A', "
                         "'A again'.")
    return names


def _check_tasks(tasks: tuple) -> None:
    """Type and shape checks of concrete tasks (skipped inside transformations)."""
    if any(_is_placeholder(task) for task in tasks):
        return
    for index, task in enumerate(tasks):
        require_task(task, f"the task of phase {index}")
    if not all(_is_concrete(task.sigma_yx) for task in tasks):
        return  # traced tasks (inside jit/vmap): validated when they were built
    shape = np.shape(tasks[0].sigma_yx)
    for index, task in enumerate(tasks[1:], start=1):
        if np.shape(task.sigma_yx) != shape:
            raise ValueError(
                f"every task of a schedule must have the same shapes (one network learns them "
                f"all): phase 0 has Σyx of shape (n_out, n_in) = {shape}, phase {index} has "
                f"{np.shape(task.sigma_yx)}.")


def _suggest_step(durations: tuple[float, ...], dt: float) -> float | None:
    """A step ≤ dt dividing every duration (a short decimal when one exists nearby), or None
    when the durations have no common rational step."""
    fractions = [Fraction(d).limit_denominator(10 ** 6) for d in durations]
    if any(abs(float(f) - d) > 1e-12 * d for f, d in zip(fractions, durations)):
        return None
    denominator = math.lcm(*(f.denominator for f in fractions))
    numerator = math.gcd(*(f.numerator * (denominator // f.denominator) for f in fractions))
    common = numerator / denominator
    first = max(1, math.ceil(common / dt * (1 - 1e-12)))
    for count in range(first, 20 * first + 1):
        step = common / count
        if abs(float(f"{step:.3g}") - step) <= 1e-12 * step:
            return float(f"{step:.3g}")
    return common / first


@functools.partial(jax.tree_util.register_dataclass, data_fields=("tasks",),
                   meta_fields=("durations", "names"))
@dataclasses.dataclass(frozen=True, eq=False)
class Schedule:
    """A sequence of tasks, each trained on for a duration (in units of τ).

    Build it from (task, duration) pairs, or from the tasks and the durations::

        Schedule([(task_a, 5.0), (reversed_a, 5.0), (task_b, 10.0)],
                 names=("A", "reverse A", "B"))
        Schedule(tasks=(task_a, task_b), durations=(5.0, 10.0))

    Concrete schedules are validated when they are built (the pattern of `semjax.Task`:
    inside a transformation, where the tasks are traced, only the static durations and names
    are checked): at least one phase; every task a `semjax.Task`; every duration finite and
    > 0; all tasks with the same (n_out, n_in); names unique strings (default ``task0``, ...).

    It is a pytree with the tasks as data and the durations and names as static metadata, so
    it passes through `jax.jit` whole (see the module docstring).

    Attributes:
        tasks: the phases' tasks, a tuple of `Task` (a task may appear in several phases).
        durations: the phases' durations, a tuple of floats > 0 (static).
        names: the phases' names, a tuple of unique strings (static).

    Raises:
        TypeError: a phase that is not a (task, duration) pair, a task that is not a `Task`, a
            duration that is not a number, a name that is not a string.
        ValueError: no phases, a duration that is not finite and > 0, tasks of different
            shapes, repeated names or a wrong number of names or durations.
    """

    tasks: tuple
    durations: tuple | None = None
    names: tuple | None = None

    def __post_init__(self):
        tasks, durations = self.tasks, self.durations
        if durations is None:
            tasks, durations = _split_pairs(tasks)
        elif isinstance(tasks, Task) or not isinstance(tasks, Sequence):
            raise TypeError(f"tasks must be a sequence of semjax.Task; got "
                            f"{type(tasks).__name__}.")
        tasks = tuple(tasks)
        if len(tasks) == 0:
            raise ValueError("a Schedule needs at least one phase; got none.")
        if isinstance(durations, str) or not isinstance(durations, (Sequence, np.ndarray)):
            raise TypeError(f"durations must be a sequence with one duration per task; got "
                            f"{durations!r}.")
        if len(durations) != len(tasks):
            raise ValueError(f"durations must have one entry per task ({len(tasks)}); got "
                             f"{len(durations)}.")
        durations = tuple(_duration(k, d) for k, d in enumerate(durations))
        names = _names(self.names, len(tasks))
        _check_tasks(tasks)
        object.__setattr__(self, "tasks", tasks)
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "names", names)

    @property
    def phases(self) -> tuple[tuple[Task, float], ...]:
        """The (task, duration) pairs, as given to the constructor."""
        return tuple(zip(self.tasks, self.durations))

    @property
    def n_phases(self) -> int:
        """The number of phases."""
        return len(self.tasks)

    @property
    def n_in(self) -> int:
        """N1, the input dimension shared by every task."""
        return np.shape(self.tasks[0].sigma_yx)[1]

    @property
    def n_out(self) -> int:
        """N3, the output dimension shared by every task."""
        return np.shape(self.tasks[0].sigma_yx)[0]

    @property
    def switch_times(self) -> np.ndarray:
        """t_k, the start of every phase (t_0 = 0), shape (n_phases,), float64."""
        return np.concatenate([[0.0], np.cumsum(self.durations[:-1])])

    @property
    def end_times(self) -> np.ndarray:
        """t_k + d_k, the end of every phase (the last one is `total_time`), shape (n_phases,)."""
        return np.cumsum(self.durations)

    @property
    def total_time(self) -> float:
        """The sum of the durations."""
        return float(np.sum(self.durations))

    def phase_at(self, t):
        """The index of the phase active at times ``t`` (any shape).

        Phase k is active on [t_k, t_{k+1}); a time within 1e-9·`total_time` below a switch
        (e.g. ``step * dt`` rounded down) already belongs to the new phase; times before 0 give
        phase 0 and times after `total_time` the last phase. Works on numpy values (returns an
        int numpy array) and on jax arrays, traced or not (returns an int32 jax array).
        """
        starts = self.switch_times[1:] - _TIME_RTOL * self.total_time
        if isinstance(t, jax.Array):
            times = jnp.asarray(t, dtype=float)
            return jnp.searchsorted(starts.astype(times.dtype), times, side="right").astype(
                jnp.int32)
        return np.asarray(np.searchsorted(starts, np.asarray(t, dtype=np.float64),
                                          side="right"), dtype=np.int64)

    def steps(self, dt) -> tuple[int, ...]:
        """The number of steps of size ``dt`` in every phase (host-side).

        Raises:
            ValueError: ``dt`` does not divide a duration (duration/dt not an integer to 1e-9
                relative); the message names the phase and suggests a dt dividing every
                duration.
        """
        dt = _validation.positive_float("dt", dt)
        counts = []
        for index, (name, duration) in enumerate(zip(self.names, self.durations)):
            ratio = duration / dt
            count = round(ratio)
            if count < 1 or abs(ratio - count) > _TIME_RTOL * ratio:
                suggestion = _suggest_step(self.durations, dt)
                hint = ("Choose dt = duration/n for a whole n in every phase" if suggestion is None
                        else f"Use a step that divides every duration {self.durations}, e.g. "
                             f"dt = {suggestion:g}")
                raise ValueError(
                    f"dt = {dt:g} does not divide the duration {duration:g} of phase {index} "
                    f"({name!r}): {duration:g}/{dt:g} = {ratio:.6g} steps is not a whole number "
                    f"(to {_TIME_RTOL:g} relative). {hint}.")
            counts.append(int(count))
        return tuple(counts)

    def __repr__(self) -> str:
        phases = ", ".join(f"{name!r}: {duration:g}"
                           for name, duration in zip(self.names, self.durations))
        try:
            shape = f"; n_out={self.n_out}, n_in={self.n_in}"
        except (AttributeError, IndexError, TypeError):
            shape = ""
        return f"Schedule({phases}{shape})"


def require_schedule(value, name: str = "schedule") -> Schedule:
    """``value`` if it is a `Schedule`, else a TypeError naming ``name`` and how to build one."""
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be a semjax.Schedule; got {type(value).__name__}. Build "
                        "one with semjax.Schedule([(task_a, duration_a), (task_b, "
                        "duration_b), ...]).")
    return value


def _feature_rows(task: Task, features) -> np.ndarray:
    """Row indices of Σyx named by ``features`` (indices, negative allowed, or property
    names), checked and without repeats."""
    if features is None:
        return np.arange(task.n_out)
    if isinstance(features, (str, int, np.integer)):
        features = [features]
    if not isinstance(features, (Sequence, np.ndarray)) or len(features) == 0:
        raise TypeError(f"features must be None (every output), an output index or property "
                        f"name, or a non-empty sequence of them; got {features!r}.")
    rows = []
    for feature in features:
        if isinstance(feature, str):
            if feature not in task.property_names:
                raise ValueError(f"features: {feature!r} is not a property of the task; its "
                                 f"properties are {task.property_names}.")
            rows.append(task.property_names.index(feature))
        elif isinstance(feature, (int, np.integer)) and not isinstance(feature, bool):
            if not -task.n_out <= feature < task.n_out:
                raise ValueError(f"features: index {feature} is out of range for a task with "
                                 f"{task.n_out} outputs.")
            rows.append(int(feature) % task.n_out)
        else:
            raise TypeError(f"features must hold output indices or property names; got "
                            f"{feature!r}.")
    if len(set(rows)) != len(rows):
        raise ValueError(f"features names an output twice: {features!r}.")
    return np.asarray(rows)


def reversed_task(task: Task, features=None) -> Task:
    """The task with the sign of some outputs (features) reversed: rows of Σyx (and of the
    items' targets Y) negated, Σx and the items unchanged.

    ``features=None`` reverses every output, Σyx → −Σyx: the same modes with u_α → −u_α, the
    map the network learned becomes the one to unlearn. A subset reverses only those
    properties, as ``semjax.datasets.braun_hierarchy(reversal=True)`` does for the last
    feature: ``Task.from_dataset(braun_hierarchy(reversal=True))`` equals
    ``reversed_task(Task.from_dataset(braun_hierarchy()), features=-1)``.

    Args:
        task: a concrete `Task`.
        features: None (all outputs), an output index (negative counts from the end) or
            property name, or a sequence of them.

    Returns:
        A new, validated `Task` with the same names.

    Raises:
        TypeError: ``task`` is not a `Task`, or ``features`` holds something else than
            indices or names.
        ValueError: an unknown property name, an index out of range, or a repeated output.
    """
    task = require_task(task)
    if not _is_concrete(task.sigma_yx):
        raise TypeError("reversed_task needs a concrete task (built on the host), not one "
                        "traced inside jax.jit.")
    rows = _feature_rows(task, features)
    signs = np.ones(task.n_out)
    signs[rows] = -1.0
    sigma_yx = signs[:, None] * np.asarray(task.sigma_yx)
    targets = None if task.item_weight is None else signs[:, None] * np.asarray(task.targets)
    return Task(sigma_yx=sigma_yx, sigma_x=np.asarray(task.sigma_x),
                inputs=np.asarray(task.inputs), targets=targets,
                item_names=task.item_names, property_names=task.property_names)
