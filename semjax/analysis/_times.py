"""Learning times read off any Trajectory (simulated or theoretical)."""

from __future__ import annotations

import numpy as np

from semjax import _validation


def crossing_times(trajectory, s, fraction: float = 0.5) -> np.ndarray:
    """First time each mode reaches ``fraction`` of its final strength, a_α(t) = fraction · s_α.

    Linear interpolation between recorded times; NaN where a mode never gets there within the
    trajectory. With ``fraction=0.5`` this is the half-time t½, which for a deep mode from an
    aligned balanced start is (τ/2s) ln(s/a0 − 1) (`semjax.theory.half_time`).

    Args:
        trajectory: a `Trajectory` with recorded ``modes`` (*batch, time, r).
        s: the modes' asymptotic strengths (r,), e.g. ``task.modes.s``.
        fraction: in (0, 1).

    Returns:
        Array (*batch, r) of times in units of τ.

    Examples:
        On the closed form, the half-times are those of `semjax.theory.half_time`:

        >>> import numpy as np
        >>> import semjax
        >>> from semjax import analysis, datasets, theory
        >>> task = semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
        >>> closed = theory.trajectory(task, np.linspace(0, 8, 801), 1e-3)
        >>> analysis.crossing_times(closed, task.modes.s).round(2)
        array([1.49, 2.15, 3.45, 3.45])
        >>> np.asarray(theory.half_time(task.modes.s, 1e-3), float).round(2)
        array([1.49, 2.15, 3.45, 3.45])
    """
    fraction = _validation.probability("fraction", fraction)
    if trajectory.modes is None:
        raise ValueError("trajectory has no recorded modes; simulate with record=('modes', ...).")
    t = np.asarray(trajectory.t, dtype=float)
    progress = np.asarray(trajectory.modes, dtype=float) / np.asarray(s, dtype=float)
    progress = np.moveaxis(progress, -2, -1)  # (*batch, r, time)
    reached = progress >= fraction
    first = np.argmax(reached, axis=-1)
    before = np.clip(first - 1, 0, None)
    p0 = np.take_along_axis(progress, before[..., None], -1)[..., 0]
    p1 = np.take_along_axis(progress, first[..., None], -1)[..., 0]
    weight = np.where(p1 > p0, (fraction - p0) / np.where(p1 > p0, p1 - p0, 1), 0.0)
    times = np.where(first > 0, t[before] + weight * (t[first] - t[before]), t[0])
    return np.where(reached.any(axis=-1), times, np.nan)
