"""Two trajectories' mode strengths side by side: a simulation against its theory, or against
another simulation (another step size, optimiser, dtype or seed), on one time axis."""

from __future__ import annotations

import dataclasses

import numpy as np

from semjax.analysis._times import crossing_times


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Per-mode differences between two trajectories ``a`` and ``b`` (``b`` the reference).

    Attributes:
        batch_axes: batch axes of the arrays below (the union of both trajectories' axes).
        max_abs_error: max_t |a_α(t) − b_α(t)|, shape (*batch, r).
        max_rel_error: max_abs_error / max_t |b_α(t)|, shape (*batch, r).
        half_time_a, half_time_b: t½ of each mode (NaN if never reached), (*batch, r).
        half_time_error: half_time_a − half_time_b (positive: ``a`` learns later).
        networks: what each side describes, e.g. ("tanh network with biases", "linear
            network"): the closed forms of `semjax.theory` are those of linear networks, so a
            nonlinear run compared with them differs by its nonlinearity too.
    """

    batch_axes: tuple
    max_abs_error: np.ndarray
    max_rel_error: np.ndarray
    half_time_a: np.ndarray
    half_time_b: np.ndarray
    half_time_error: np.ndarray
    networks: tuple = ("linear network", "linear network")

    def __str__(self) -> str:
        rows = [] if self.networks[0] == self.networks[1] else [
            f"a: {self.networks[0]}; b: {self.networks[1]} (the differences include the "
            "nonlinearity, not only the approximation)"]
        rows.append("mode  max|Δa| (worst run)  max rel  t½(a)−t½(b) median [min, max]")
        for mode in range(self.max_abs_error.shape[-1]):
            delay = self.half_time_error[..., mode]
            summary = ("never reached" if np.all(np.isnan(delay)) else
                       f"{np.nanmedian(delay):+.4f} [{np.nanmin(delay):+.4f}, "
                       f"{np.nanmax(delay):+.4f}]")
            rows.append(f"{mode + 1:>4}  {np.max(self.max_abs_error[..., mode]):>19.3e}  "
                        f"{np.max(self.max_rel_error[..., mode]):>7.2e}  {summary}")
        return "\n".join(rows)


def _network(trajectory) -> str:
    """The network a trajectory describes, from its ``info`` (theory: a linear network)."""
    activation, bias = trajectory.info.get("activation", "linear"), trajectory.info.get("bias")
    return f"{activation} network{' with biases' if bias else ''}"


def _on_axes(trajectory, axes: tuple) -> np.ndarray:
    """``trajectory.modes`` with its batch axes reordered to ``axes`` (size 1 where absent)."""
    modes = np.asarray(trajectory.modes)
    order = [trajectory.batch_axes.index(a) for a in axes if a in trajectory.batch_axes]
    modes = np.transpose(modes, (*order, *range(len(trajectory.batch_axes), modes.ndim)))
    shape = [modes.shape[order.index(trajectory.batch_axes.index(a))]
             if a in trajectory.batch_axes else 1 for a in axes]
    return modes.reshape((*shape, *modes.shape[len(order):]))


def _on_common_times(a, b, t):
    """a and b on the times ``t`` (`compare`), "common" meaning b's own times up to the end
    of the shortest run of either."""
    if isinstance(t, str):
        if t != "common":
            raise ValueError(f"t must be an array of times (units of τ) or 'common'; got {t!r}.")
        own = [run._default_times() for run in (a, b)]  # each ends with its shortest run
        end = min(times[-1] for times in own)
        t = own[1][own[1] <= end * (1 + 1e-12)]
    return a.on_times(t), b.on_times(t)


def compare(a, b, *, s=None, t=None) -> Comparison:
    """Compare the mode strengths of two trajectories on one time grid.

    ``b`` is the reference: the closed form (`semjax.theory.trajectory`) or another
    simulation, e.g. gradient flow against `semjax.train` runs with several learning rates,
    float32 against float64, one integrator against another. Batch axes are matched by name
    and broadcast (a theory trajectory with axes ("scale",) against a simulation with
    ("scale", "seed") compares every seed with its scale's curve; two simulations with the
    same seeds are compared seed by seed).

    Time: a discrete optimiser with learning rate η corresponds to gradient flow with dt = η
    (`semjax.task`), so step k of a run is at t = kη. With ``t`` given, both trajectories are
    put on it with `Trajectory.on_times` (each run of a "learning_rate" or "dt" axis at its
    own times step · η, interpolated linearly between records), which compares runs of
    different step sizes with each other and with gradient flow.

    Args:
        a: a `Trajectory` (e.g. from `semjax.simulate` or `semjax.train`).
        b: the reference `Trajectory` (a closed form, or another simulation).
        s: the modes' asymptotic strengths for half-times; default ``info["task_s"]``.
        t: None (default): a and b must be recorded on the same times in units of τ. An
            array: the times (units of τ) to compare at, within every run's span.
            ``"common"``: b's own times (`Trajectory.on_times`'s default) up to the end of
            the shortest run of a and b.

    Raises:
        ValueError: different tasks (``info["task_fingerprint"]``), time grids (without
            ``t``), mode counts, or coordinates on a shared axis; times outside a run.

    Examples:
        Small random starts against the closed form from each seed's effective initial
        strength (`semjax.theory.effective_a0` of the weights it starts from): per mode, the
        largest difference and how much later than the closed form the runs reach s/2:

        >>> import semjax
        >>> from semjax import datasets, theory
        >>> task = semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
        >>> start = dict(hidden=16, init_scale=1e-3, n_seeds=4)
        >>> run = semjax.simulate(task, dt=0.05, t_max=8, record_every=4, **start)
        >>> a0 = theory.effective_a0(task, semjax.initial_weights(task, **start))
        >>> closed = theory.trajectory(task, run.t, a0, batch_axes=("seed",))
        >>> print(semjax.compare(run, closed))
        mode  max|Δa| (worst run)  max rel  t½(a)−t½(b) median [min, max]
           1            4.909e-01  1.86e-01  +0.1317 [+0.1291, +0.1417]
           2            4.098e-01  2.37e-01  +0.1433 [+0.1386, +0.2802]
           3            1.320e-01  1.34e-01  +0.1851 [+0.1428, +0.2707]
           4            1.723e-01  1.75e-01  +0.2455 [+0.1834, +0.3467]
    """
    for name, run in (("a", a), ("b", b)):
        if run.modes is None:
            raise ValueError(f"{name} has no recorded modes.")
        if run.phase is not None and "task" not in run.info:
            raise ValueError(f"{name} ran a task schedule (modes against every task); compare "
                             f"one task's read-outs: {name}.on_task(name_or_index).")
    tasks = [run.info.get("task_fingerprint") for run in (a, b)]
    if None not in tasks and tasks[0] != tasks[1]:
        raise ValueError(f"a and b come from different tasks (task fingerprints {tasks[0]} and "
                         f"{tasks[1]}, Task.fingerprint): compare a run with the theory of its "
                         "own task, theory.trajectory(task, run.t, ...) with the task it ran.")
    if t is not None:
        a, b = _on_common_times(a, b, t)
    for name, run in (("a", a), ("b", b)):
        if run.info.get("time_unit") == "step":
            raise ValueError(f"{name}.t counts steps (runs of several step sizes; each run's "
                             f"time is step · η): pass t= (an array of times in units of τ, or "
                             "t='common') to compare on one time axis.")
    if len(a.t) != len(b.t) or not np.allclose(a.t, b.t, rtol=1e-9, atol=1e-12):
        raise ValueError("a and b must share the time grid: build the theory on the "
                         "simulation's times, theory.trajectory(task, run.t, ...), or pass t= "
                         "(times in units of τ, or t='common') to interpolate both onto one "
                         "grid (Trajectory.on_times).")
    if np.shape(a.modes)[-1] != np.shape(b.modes)[-1]:
        raise ValueError(f"a has {np.shape(a.modes)[-1]} modes, b has {np.shape(b.modes)[-1]}.")
    for axis in set(a.batch_axes) & set(b.batch_axes):
        first, second = np.asarray(a.coords[axis]), np.asarray(b.coords[axis])
        if first.shape != second.shape or not np.allclose(first, second):
            raise ValueError(f"a and b disagree on the coordinates of axis {axis!r}.")
    if s is None:
        s = a.info.get("task_s", b.info.get("task_s"))
        if s is None:
            raise ValueError("pass s (the task's singular values) to compute half-times.")
    axes = (*a.batch_axes, *(axis for axis in b.batch_axes if axis not in a.batch_axes))
    modes_a, modes_b = np.broadcast_arrays(_on_axes(a, axes), _on_axes(b, axes))
    difference = np.abs(modes_a - modes_b).max(axis=-2)
    scale = np.abs(modes_b).max(axis=-2)
    half_a = crossing_times(a.replace(modes=modes_a), s)
    half_b = crossing_times(b.replace(modes=modes_b), s)
    return Comparison(batch_axes=axes, max_abs_error=difference,
                      max_rel_error=difference / np.where(scale > 0, scale, 1.0),
                      half_time_a=half_a, half_time_b=half_b, half_time_error=half_a - half_b,
                      networks=(_network(a), _network(b)))
