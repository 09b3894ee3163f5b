"""Matplotlib helpers: each draws on a given Axes and returns the artists it made.

Convention of every semjax figure: time on the x axis in units of τ, theory as lines,
simulation as markers (median over runs) with a shaded band (a quantile range over runs).
"""

from __future__ import annotations

import numpy as np

MODE_COLORS = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#2e4057",
               "#b5838d")


MODE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MODE_LINESTYLES = ("-", "--", "-.", ":")


def mode_color(index: int) -> str:
    """The colour of mode ``index`` in every figure."""
    return MODE_COLORS[index % len(MODE_COLORS)]


def mode_marker(index: int) -> str:
    """The marker of mode ``index`` (distinguishes degenerate modes drawn on top of each other)."""
    return MODE_MARKERS[index % len(MODE_MARKERS)]


def runs_of(values: np.ndarray, n_batch_axes: int) -> np.ndarray:
    """Flatten the leading batch axes of ``values`` into one run axis (adding one if none)."""
    values = np.asarray(values)
    return values.reshape((-1, *values.shape[n_batch_axes:]))


def plot_runs(ax, t, values, *, color, label=None, band=(10, 90), marker="o", n_markers=25):
    """Median over runs as markers and the ``band`` percentile range as a shaded region.

    Args:
        ax: the Axes.
        t: times (time,).
        values: (runs, time).
        color: colour of markers and band.
        label: legend label of the markers.
        band: percentiles of the shaded region; None for no band.
        marker: marker style.
        n_markers: how many markers to draw along t.
    """
    values = np.asarray(values)
    artists = []
    if band is not None and values.shape[0] > 1:
        low, high = np.percentile(values, band, axis=0)
        artists.append(ax.fill_between(t, low, high, color=color, alpha=0.2, linewidth=0))
    every = max(1, len(t) // n_markers)
    median = np.median(values, axis=0)
    artists += ax.plot(t[::every], median[::every], linestyle="none", marker=marker,
                       markersize=4, color=color, label=label)
    return artists


def plot_mode_strengths(ax, trajectory, *, field="modes", names=None, band=(10, 90),
                        as_lines=False):
    """Plot each mode's strength over time from any Trajectory.

    Args:
        ax: the Axes.
        trajectory: a `Trajectory` with the field recorded.
        field: ``"modes"`` (projections on the task's modes) or ``"singular_values"``.
        names: legend label per mode (default a_1, a_2, ...).
        band: percentile band over runs (ignored for a single run).
        as_lines: draw the median as a line (the seed's style) instead of markers.
    """
    values = getattr(trajectory, field)
    if values is None:
        raise ValueError(f"trajectory has no recorded {field!r}.")
    runs = runs_of(values, len(trajectory.batch_axes))
    artists = []
    for mode in range(runs.shape[-1]):
        label = names[mode] if names is not None else f"$a_{mode + 1}$"
        if as_lines:
            artists += ax.plot(trajectory.t, np.median(runs[..., mode], axis=0),
                               color=mode_color(mode), label=label,
                               linestyle=MODE_LINESTYLES[mode % len(MODE_LINESTYLES)])
        else:
            artists += plot_runs(ax, trajectory.t, runs[..., mode], color=mode_color(mode),
                                 label=label, band=band, marker=mode_marker(mode))
    ax.set_xlabel(r"$t/\tau$")
    ax.set_ylabel("mode strength")
    return artists


def plot_curves(ax, t, curves, *, label=None, linestyle="-"):
    """Theory curves (time, modes) as lines in the mode colours; one legend entry in total."""
    curves = np.asarray(curves)
    artists = []
    for mode in range(curves.shape[-1]):
        artists += ax.plot(t, curves[:, mode], color=mode_color(mode), linestyle=linestyle,
                           linewidth=1.5, label=label if mode == 0 else None)
    return artists
