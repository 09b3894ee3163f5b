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


def plot_theory_and_runs(ax, t_theory, theory, t_runs, runs, *, color, label, marker="o",
                         linestyle="-", band=(10, 90), n_markers=25, separate_labels=True):
    """One quantity as a theory line and simulated runs (median markers, percentile band).

    Args:
        ax: the Axes.
        t_theory, theory: times (time,) and the predicted curve (time,).
        t_runs, runs: recorded times (time',) and values (runs, time'); None for theory only.
        color: colour of the line, markers and band.
        label: legend label; with ``separate_labels`` the line gets "<label> (theory)" and the
            markers "<label> (simulation)", else the markers alone get ``label`` (for panels
            with many series, whose legend explains lines and markers once, see
            `add_style_legend`).
        marker, linestyle, band, n_markers: styles (``band`` as in `plot_runs`).
    """
    artists = ax.plot(t_theory, theory, color=color, linestyle=linestyle, linewidth=1.5,
                      label=f"{label} (theory)" if separate_labels else "_nolegend_")
    if runs is not None:
        artists += plot_runs(ax, t_runs, runs, color=color,
                             label=f"{label} (simulation)" if separate_labels else label,
                             band=band, marker=marker, n_markers=n_markers)
    return artists


def add_style_legend(ax, *, theory="theory (lines)", simulation="simulation (markers)",
                     **legend_options):
    """A legend of the Axes' labelled series plus two grey entries that say what lines and
    markers mean."""
    from matplotlib.lines import Line2D
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="0.3"),
                Line2D([], [], color="0.3", marker="o", linestyle="none", markersize=4)]
    return ax.legend(handles, [*labels, theory, simulation], **legend_options)


def plot_points(ax, x, values, *, color, label=None, marker="o", band=(10, 90), offset=0.0):
    """Values at discrete x (a sweep) over runs: median markers with percentile error bars.

    Args:
        ax: the Axes.
        x: positions (n,).
        values: (runs, n); NaN entries (e.g. a never-reached time) are ignored.
        color, label, marker: styles.
        band: percentiles of the error bars; None for none.
        offset: added to x (to keep overlapping series apart).
    """
    values = np.asarray(values, dtype=float).reshape(-1, np.shape(x)[0])
    x = np.asarray(x, dtype=float) + offset
    median = np.nanmedian(values, axis=0)
    if band is not None and values.shape[0] > 1:
        low, high = np.nanpercentile(values, band, axis=0)
        error = np.stack([median - low, high - median])
    else:
        error = None
    container = ax.errorbar(x, median, yerr=error, color=color, marker=marker, markersize=5,
                            linestyle="none", capsize=2, label=label)
    return [container]


def plot_heatmap(ax, matrix, *, row_labels=None, col_labels=None, title=None, vmax=None,
                 vmin=None, cmap="RdBu_r", colorbar=False, annotate=False, fontsize=7,
                 rotate_columns=True):
    """A matrix as a heatmap with labelled rows and columns, colours symmetric about 0 unless
    ``vmin`` is given.

    Args:
        ax: the Axes.
        matrix: (rows, columns).
        row_labels, col_labels: tick labels (None: no ticks).
        title: the panel title.
        vmax: upper colour limit; default max |matrix|.
        vmin: lower colour limit; default −vmax (a diverging map centred on 0).
        cmap: colour map.
        colorbar: add a colour bar to the panel.
        annotate: print each non-zero entry, to two decimals (small matrices).
        fontsize: tick-label font size.
        rotate_columns: column labels at 90° (long names).
    """
    matrix = np.asarray(matrix, dtype=float)
    vmax = float(np.nanmax(np.abs(matrix))) if vmax is None else vmax
    vmax = vmax if vmax > 0 else 1.0
    vmin = -vmax if vmin is None else vmin
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto",
                      interpolation="nearest")
    artists = [image]
    for labels, set_ticks, set_labels, n, rotation in (
            (row_labels, ax.set_yticks, ax.set_yticklabels, matrix.shape[0], 0),
            (col_labels, ax.set_xticks, ax.set_xticklabels, matrix.shape[1],
             90 if rotate_columns else 0)):
        if labels is None:
            set_ticks([])
        else:
            set_ticks(np.arange(n))
            set_labels(labels, fontsize=fontsize, rotation=rotation)
    if annotate:  # every non-zero entry
        for (i, j), value in np.ndenumerate(np.round(matrix, 2) + 0.0):
            if value == 0:
                continue
            artists.append(ax.text(j, i, f"{value:.2f}", ha="center", va="center",
                                   fontsize=fontsize - 1,
                                   color="white" if abs(value) > 0.6 * vmax else "black"))
    if title is not None:
        ax.set_title(title, fontsize=9)
    if colorbar:
        artists.append(ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.03))
        artists[-1].ax.tick_params(labelsize=fontsize)
    return artists


def plot_grayscale(ax, image, *, title=None):
    """A grayscale image without axes (values clipped to [0, 1])."""
    artists = [ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1,
                         interpolation="nearest")]
    ax.set_axis_off()
    if title is not None:
        artists.append(ax.set_title(title, fontsize=9))
    return artists


def plot_bars(ax, values, *, names, group_labels, colors=None, width=0.8):
    """Grouped bars: one group of bars per name, one bar per row of ``values``.

    Args:
        ax: the Axes.
        values: (groups, n), e.g. predictions at several times over n items.
        names: the n x-tick labels.
        group_labels: legend label per group.
        colors: colour per group (default the mode colours).
        width: total width of a group.

    Returns:
        The bar containers; their x centres are `bar_positions`.
    """
    values = np.asarray(values, dtype=float)
    positions = bar_positions(values.shape[0], values.shape[1], width)
    artists = []
    for group, (row, x) in enumerate(zip(values, positions)):
        color = mode_color(group) if colors is None else colors[group]
        artists.append(ax.bar(x, row, width=width / values.shape[0], color=color, alpha=0.55,
                              label=group_labels[group]))
    ax.set_xticks(np.arange(values.shape[1]))
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.axhline(0, color="black", linewidth=0.6)
    return artists


def bar_positions(n_groups: int, n: int, width: float = 0.8) -> np.ndarray:
    """x centres (n_groups, n) of the bars drawn by `plot_bars`."""
    step = width / n_groups
    return np.arange(n)[None, :] + (np.arange(n_groups)[:, None] - (n_groups - 1) / 2) * step


def plot_embedding(ax, coordinates, *, names=None, colors=None, marker="o", label=None,
                   edges=(), fontsize=6):
    """Items as points in 2-D (e.g. MDS of hidden representations), optionally labelled and
    joined by ``edges`` (pairs of item indices, drawn as thin lines).

    Args:
        ax: the Axes.
        coordinates: (P, 2).
        names: item labels written next to the points.
        colors: a colour per item (default the first mode colour).
        marker, label: marker style and legend label.
        edges: item pairs to join.
        fontsize: label size.
    """
    coordinates = np.asarray(coordinates, dtype=float)
    colors = [mode_color(0)] * len(coordinates) if colors is None else colors
    artists = []
    for i, j in edges:
        artists += ax.plot(*coordinates[[i, j]].T, color="0.6", linewidth=0.8, zorder=1)
    artists.append(ax.scatter(*coordinates.T, c=colors, marker=marker, s=28, zorder=2,
                              label=label, edgecolors="black", linewidths=0.4))
    for name, (x, y) in zip(names or (), coordinates):
        artists.append(ax.annotate(name, (x, y), xytext=(3, 3), textcoords="offset points",
                                   fontsize=fontsize))
    return artists


def mark_times(ax, times, labels=None, *, color="0.4"):
    """Vertical dotted lines at given times, optionally labelled inside the top of the Axes
    (alternate labels a little lower, so that close times stay readable)."""
    artists = []
    for k, time in enumerate(times):
        artists.append(ax.axvline(time, color=color, linestyle=":", linewidth=1))
        if labels is not None:
            artists.append(ax.text(time, 0.99 - 0.04 * (k % 2), f" {labels[k]}",
                                   transform=ax.get_xaxis_transform(), ha="left", va="top",
                                   fontsize=7, color=color))
    return artists
