"""Matplotlib helpers: each draws on a given Axes and returns the artists it made
(`mds_paths` computes the coordinates that `plot_mds_trajectories` draws).

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


def plot_runs(ax, t, values, *, color, label=None, band=(10, 90), marker="o", n_markers=25,
              stagger=0.0):
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
        stagger: where the first marker sits, as a fraction in [0, 1) of the spacing between
            markers (series that lie on top of each other get different staggers, so the
            markers of each stay visible).
    """
    values = np.asarray(values)
    artists = []
    if band is not None and values.shape[0] > 1:
        low, high = np.percentile(values, band, axis=0)
        artists.append(ax.fill_between(t, low, high, color=color, alpha=0.2, linewidth=0))
    every = max(1, len(t) // n_markers)
    first = int(stagger * every) % every
    median = np.median(values, axis=0)
    artists += ax.plot(t[first::every], median[first::every], linestyle="none", marker=marker,
                       markersize=4, color=color, label=label)
    return artists


def plot_mode_strengths(ax, trajectory, *, field="modes", names=None, band=(10, 90),
                        as_lines=False, overlap=0.02):
    """Plot each mode's strength over time from any Trajectory.

    Modes whose medians lie on top of each other (degenerate modes, e.g. modes 3 and 4 of the
    four-item task, s₃ = s₄) stay visible: besides its own colour and marker, the k-th mode of
    such a group has its markers staggered along t by k/(group size) of their spacing.

    Args:
        ax: the Axes.
        trajectory: a `Trajectory` with the field recorded.
        field: ``"modes"`` (projections on the task's modes) or ``"singular_values"``.
        names: legend label per mode (default a_1, a_2, ...).
        band: percentile band over runs (ignored for a single run).
        as_lines: draw the median as a line (the seed's style) instead of markers; each mode
            has its own line style.
        overlap: medians that differ by at most ``overlap`` × their largest value at every
            time count as lying on top of each other.
    """
    values = getattr(trajectory, field)
    if values is None:
        raise ValueError(f"trajectory has no recorded {field!r}.")
    runs = runs_of(values, len(trajectory.batch_axes))
    medians = np.median(runs, axis=0)  # (time, modes)
    places = _places(medians, overlap)
    artists = []
    for mode, (position, size) in enumerate(places):
        label = names[mode] if names is not None else f"$a_{mode + 1}$"
        if as_lines:
            artists += ax.plot(trajectory.t, medians[:, mode], color=mode_color(mode),
                               label=label,
                               linestyle=MODE_LINESTYLES[mode % len(MODE_LINESTYLES)])
        else:
            artists += plot_runs(ax, trajectory.t, runs[..., mode], color=mode_color(mode),
                                 label=label, band=band, marker=mode_marker(mode),
                                 stagger=position / size)
    ax.set_xlabel(r"$t/\tau$")
    ax.set_ylabel("mode strength")
    return artists


def plot_curves(ax, t, curves, *, label=None, linestyle=None, overlap=0.02):
    """Theory curves (time, modes) as lines in the mode colours; one legend entry in total.

    Args:
        ax: the Axes.
        t: times (time,).
        curves: (time, modes).
        label: the one legend label (on the first mode's line).
        linestyle: one line style for every curve; None: solid, except that the k-th of
            curves lying on top of each other (degenerate modes) gets the k-th of
            `MODE_LINESTYLES` (solid, dashed, dash-dotted, dotted), so none hides another.
        overlap: curves that differ by at most ``overlap`` × their largest value at every
            time count as lying on top of each other.
    """
    curves = np.asarray(curves)
    artists = []
    for mode, (position, _) in enumerate(_places(curves, overlap)):
        style = (MODE_LINESTYLES[position % len(MODE_LINESTYLES)] if linestyle is None
                 else linestyle)
        artists += ax.plot(t, curves[:, mode], color=mode_color(mode), linestyle=style,
                           linewidth=1.5, label=label if mode == 0 else None)
    return artists


def plot_theory_and_runs(ax, t_theory, theory, t_runs, runs, *, color, label, marker="o",
                         linestyle="-", band=(10, 90), n_markers=25, separate_labels=True,
                         stagger=0.0):
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
        marker, linestyle, band, n_markers, stagger: styles (``band`` and ``stagger``, which
            offsets the markers of series that coincide, as in `plot_runs`).
    """
    artists = ax.plot(t_theory, theory, color=color, linestyle=linestyle, linewidth=1.5,
                      label=f"{label} (theory)" if separate_labels else "_nolegend_")
    if runs is not None:
        artists += plot_runs(ax, t_runs, runs, color=color,
                             label=f"{label} (simulation)" if separate_labels else label,
                             band=band, marker=marker, n_markers=n_markers, stagger=stagger)
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
                 vmin=None, cmap="RdBu_r", colorbar=False, annotate=False, fontsize=10,
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
        ax.set_title(title)
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
        artists.append(ax.set_title(title))
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
    ax.set_xticklabels(names, rotation=90, fontsize=10)
    ax.axhline(0, color="black", linewidth=0.6)
    return artists


def bar_positions(n_groups: int, n: int, width: float = 0.8) -> np.ndarray:
    """x centres (n_groups, n) of the bars drawn by `plot_bars`."""
    step = width / n_groups
    return np.arange(n)[None, :] + (np.arange(n_groups)[:, None] - (n_groups - 1) / 2) * step


def plot_embedding(ax, coordinates, *, names=None, colors=None, marker="o", label=None,
                   edges=(), fontsize=9):
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
                                   fontsize=9, color=color))
    return artists


# --------------------------------------------------------------------- tutorial figures


def _recorded(trajectory, field: str, argument: str) -> np.ndarray:
    """``trajectory.<field>`` as a float array, or a ValueError naming ``argument``."""
    if not hasattr(trajectory, "batch_axes") or not hasattr(trajectory, field):
        raise ValueError(f"{argument} must be a semjax.Trajectory; got "
                         f"{type(trajectory).__name__}.")
    values = getattr(trajectory, field)
    if values is None:
        raise ValueError(f"{argument} has no recorded {field!r}; make it with record=(..., "
                         f"{field!r}) in semjax.simulate or semjax.theory.trajectory.")
    values = np.asarray(values, dtype=float)
    per_run = {"modes": 2, "hidden_gram": 3}[field]  # (time, r) or (time, P, P)
    if values.ndim != len(trajectory.batch_axes) + per_run:
        raise ValueError(f"{argument}.{field} has shape {values.shape}, not (*batch, time, ...) "
                         f"for batch axes {trajectory.batch_axes}; for a run of a schedule pick "
                         "one task with .on_task(...).")
    return values


def _labels(labels, count: int, each: str, default) -> list:
    """``labels`` as a list of ``count`` entries, one per ``each`` (``default(k)`` when None),
    or a ValueError naming the argument ``names``."""
    if labels is None:
        return [default(k) for k in range(count)]
    labels = list(labels)
    if len(labels) != count:
        raise ValueError(f"names must give {count} labels, one per {each}; got {len(labels)}.")
    return labels


def _item_labels(names, trajectory, count: int) -> list:
    """``names`` as `_labels` checks them; by default the names of the task's items that the
    trajectory records (``info["item_names"]``, set by `semjax.simulate`, `semjax.train` and
    `semjax.theory.trajectory` for a task with item names), else item 1, item 2, ..."""
    recorded = trajectory.info.get("item_names")
    if names is None and recorded is not None and len(recorded) == count:
        names = recorded
    return _labels(names, count, "item", lambda item: f"item {item + 1}")


def _one_run(values: np.ndarray, trajectory, run) -> np.ndarray:
    """The (time, ...) values of one run of ``trajectory``: the run at batch index ``run``
    (an int or a tuple, one entry per batch axis), or with ``run=None`` the median over runs,
    entry by entry."""
    n_axes = len(trajectory.batch_axes)
    if n_axes == 0:
        if run not in (None, ()):
            raise ValueError(f"run={run!r}: the trajectory has no batch axes; leave run=None.")
        return values
    if run is None:
        return np.median(runs_of(values, n_axes), axis=0)
    index = run if isinstance(run, tuple) else (run,)
    if len(index) != n_axes or not all(isinstance(i, (int, np.integer)) for i in index):
        raise ValueError(f"run must give one integer per batch axis {trajectory.batch_axes}; "
                         f"got {run!r}.")
    try:
        return values[index]
    except IndexError:
        raise ValueError(f"run={run!r} is outside the batch of shape "
                         f"{trajectory.batch_shape}.") from None


def _largest(curves: np.ndarray) -> float:
    """The largest finite |value| of ``curves`` (a positive floor when there is none)."""
    finite = np.abs(curves[np.isfinite(curves)])
    return max(float(finite.max()) if finite.size else 0.0, 1e-300)


def _places(curves: np.ndarray, overlap: float) -> list[tuple[int, int]]:
    """For each column of ``curves`` (time, modes): its position in its group of columns
    lying on top of each other (`_overlapping` at ``overlap`` × the largest value) and the
    group's size."""
    places = [(0, 1)] * curves.shape[1]
    for group in _overlapping(curves, overlap * _largest(curves)):
        for position, mode in enumerate(group):
            places[mode] = (position, len(group))
    return places


def _overlapping(curves: np.ndarray, tolerance: float) -> list[list[int]]:
    """Groups of the columns of ``curves`` (time, modes) that stay within ``tolerance`` of the
    group's first column at every time (curves drawn on top of each other)."""
    groups: list[list[int]] = []
    for mode in range(curves.shape[1]):
        for group in groups:
            if np.max(np.abs(curves[:, mode] - curves[:, group[0]])) <= tolerance:
                group.append(mode)
                break
        else:
            groups.append([mode])
    return groups


def plot_mode_strengths_with_theory(ax, run, closed_form, *, names=None, band=(10, 90),
                                    legend=True, overlap=0.02):
    """Simulated mode strengths against their closed forms, in one colour per mode.

    The run's strengths a_α(t) are drawn as in `plot_mode_strengths` (median markers and a
    percentile band over all its batch axes), the closed form as a line of the same colour (its
    median over its own batch axes, e.g. over seeds when it was made from each seed's effective
    a0; docs/theory.md §2.2). Modes whose closed forms lie on top of each other (degenerate
    modes: equal singular values and starts) stay visible: the k-th mode of such a group gets
    the k-th line style and its markers are staggered along t.

    Args:
        ax: the Axes.
        run: a simulated `Trajectory` with recorded ``modes``.
        closed_form: a `Trajectory` with ``modes`` of the same task (e.g. from
            `semjax.theory.trajectory`), on any time grid.
        names: a label per mode (default a_1, a_2, ...).
        band: percentiles of the band over runs; None for none.
        legend: add a legend to the right of the Axes, outside the data: one entry per mode
            (colour, marker and line style) and two that say what lines and markers mean.
        overlap: closed forms that differ by at most ``overlap`` × their largest value at
            every time count as lying on top of each other.

    Returns:
        The artists: per mode its line, then its band (if any) and markers; the legend last
        (if drawn).

    Raises:
        ValueError: a missing or schedule-shaped ``modes`` field, a different number of modes in
            ``closed_form``, or ``names`` of the wrong length (each naming the argument).
    """
    simulated = _recorded(run, "modes", "run")
    predicted = _recorded(closed_form, "modes", "closed_form")
    n_modes = simulated.shape[-1]
    if predicted.shape[-1] != n_modes:
        raise ValueError(f"closed_form has {predicted.shape[-1]} modes but run has {n_modes}; "
                         "make the closed form from the run's own task.")
    names = _labels(names, n_modes, "mode", lambda mode: f"$a_{{{mode + 1}}}$")
    runs = runs_of(simulated, len(run.batch_axes))
    curves = np.median(runs_of(predicted, len(closed_form.batch_axes)), axis=0)
    artists, handles = [], []
    for mode, (position, size) in enumerate(_places(curves, overlap)):
        color, marker = mode_color(mode), mode_marker(mode)
        linestyle = MODE_LINESTYLES[position % len(MODE_LINESTYLES)]
        artists += ax.plot(closed_form.t, curves[:, mode], color=color, linestyle=linestyle,
                           linewidth=1.5, label=f"{names[mode]} (theory)")
        artists += plot_runs(ax, run.t, runs[..., mode], color=color, band=band,
                             marker=marker, label=f"{names[mode]} (simulation)",
                             stagger=position / size)
        handles.append((mode, color, marker, linestyle))
    ax.set_xlabel(r"$t/\tau$")
    ax.set_ylabel("mode strength")
    if legend:
        from matplotlib.lines import Line2D
        entries = [Line2D([], [], color=color, marker=marker, linestyle=linestyle, markersize=4)
                   for _, color, marker, linestyle in handles]
        entries += [Line2D([], [], color="0.3"),
                    Line2D([], [], color="0.3", marker="o", linestyle="none", markersize=4)]
        spread = "" if band is None else f", band {band[0]}–{band[1]} %"
        artists.append(ax.legend(entries, [*(names[mode] for mode, *_ in handles),
                                           "theory (lines)",
                                           f"simulation (markers: median{spread})"],
                                 loc="upper left", bbox_to_anchor=(1.01, 1),
                                 borderaxespad=0))
    return artists


def _time_indices(trajectory, times) -> tuple[np.ndarray, np.ndarray]:
    """The chosen times as an array and the indices of the recorded times nearest to them, or
    a ValueError naming ``times``."""
    t = np.asarray(trajectory.t, dtype=float)
    try:
        times = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"times must be numbers (in units of τ); got {times!r}.") from None
    if times.ndim != 1 or times.size == 0 or not np.all(np.isfinite(times)):
        raise ValueError(f"times must be a non-empty 1-D sequence of finite times; got {times}.")
    margin = 1e-9 * max(1.0, abs(float(t[-1])))
    outside = (times < t[0] - margin) | (times > t[-1] + margin)
    if np.any(outside):
        raise ValueError(f"times must lie in the recorded range [{t[0]:g}, {t[-1]:g}] τ; got "
                         f"{times[outside]}.")
    return times, np.abs(t[None, :] - times[:, None]).argmin(axis=1)


def plot_rsm_over_time(axes, trajectory, times, *, names=None, normalise=None, run=None,
                       cmap=None, fontsize=10):
    """The items' representational similarity matrix at chosen times, one panel per time, on
    one colour scale with one colour bar.

    RSM_ij(t) = h^iᵀh^j is read from the recorded ``hidden_gram`` by
    `semjax.analysis.representational_similarity` (docs/theory.md §5.8) at the recorded time
    nearest each of ``times``; a closed form gives it with ``record=(..., "hidden_gram")``.
    Matrices without negative entries (e.g. the Gram matrix of a tree's membership features;
    entries above −10⁻³ × the largest count as zero, the noise of small random starts) are
    drawn with a sequential colour map from 0 to the largest entry of all panels, matrices
    with negative entries with a diverging map symmetric about 0.

    Args:
        axes: one Axes per time (a sequence or an array of Axes).
        trajectory: a `Trajectory` with recorded ``hidden_gram``.
        times: times in units of τ within the recorded range.
        names: item labels (the rows of the first panel and the columns of every panel);
            default the task's item names the trajectory records (``info["item_names"]``),
            else item 1, item 2, ...
        normalise: ``None``, ``"cosine"`` or ``"correlation"``, as in
            `semjax.analysis.representational_similarity`.
        run: for a batched trajectory, the batch index of the run to draw (an int, or a tuple
            with one entry per batch axis); None draws the median over runs, entry by entry.
        cmap: the colour map; default ``"viridis"`` (sequential) for non-negative matrices and
            ``"RdBu_r"`` (diverging) otherwise.
        fontsize: tick-label size.

    Returns:
        The images, one per panel, and the colour bar, last.

    Raises:
        ValueError: no recorded ``hidden_gram``, a number of Axes other than of ``times``,
            ``times`` outside the recorded range, a bad ``run``, ``names`` of the wrong length,
            or an unknown ``normalise`` (each naming the argument).
    """
    from semjax.analysis import representational_similarity

    _recorded(trajectory, "hidden_gram", "trajectory")
    axes = list(np.ravel(axes))
    times, indices = _time_indices(trajectory, times)
    if len(axes) != len(times):
        raise ValueError(f"axes must give one Axes per time: {len(axes)} Axes for "
                         f"{len(times)} times.")
    matrices = _one_run(representational_similarity(trajectory, normalise), trajectory,
                        run)[indices]
    names = _item_labels(names, trajectory, matrices.shape[-1])
    largest = float(np.nanmax(np.abs(matrices)))
    largest = largest if largest > 0 else 1.0
    non_negative = float(np.nanmin(matrices)) >= -1e-3 * largest
    if non_negative:
        cmap, vmin = cmap or "viridis", 0.0
    else:
        cmap, vmin = cmap or "RdBu_r", -largest
    images = []
    for k, (ax, time, matrix) in enumerate(zip(axes, times, matrices)):
        images += plot_heatmap(ax, matrix, row_labels=names if k == 0 else None,
                               col_labels=names, vmin=vmin, vmax=largest, cmap=cmap,
                               title=f"t = {time:.3g} τ", fontsize=fontsize)
        ax.set_aspect("equal")
    colorbar = axes[0].figure.colorbar(images[-1], ax=axes, fraction=0.046, pad=0.03)
    colorbar.set_label("similarity $h^{iT}h^j$" if normalise is None
                       else f"{normalise} similarity", fontsize=fontsize + 1)
    colorbar.ax.tick_params(labelsize=fontsize)
    return [*images, colorbar]


def mds_paths(trajectory, times=None, *, run=None, n_components: int = 2):
    """The items' hidden representations over time, on axes fixed across time.

    Classical MDS of the Gram matrix h^iᵀh^j at each time (`semjax.analysis.mds_embedding` of
    `semjax.analysis.representational_similarity`) gives the items' configuration up to a
    rotation. Each configuration, in all P dimensions, is rotated onto the last one
    (orthogonal Procrustes), and the first ``n_components`` MDS axes of the last one are kept,
    so the axes are the principal axes of the final representation at every time and the
    paths show the representations growing out of the origin and splitting, coarse
    distinctions first (docs/theory.md §5.1). For a closed form V A(t) Vᵀ the rotation is the
    identity: each item moves along each axis in proportion to the square root of its mode's
    strength.

    Args:
        trajectory: a `Trajectory` with recorded ``hidden_gram``.
        times: times in units of τ within the recorded range (the records nearest to them are
            used, in the order given); None for every record.
        run: for a batched trajectory, the batch index of the run (an int, or a tuple with one
            entry per batch axis); None for the median Gram matrix over runs.
        n_components: the number of axes kept.

    Returns:
        ``(t, coordinates)``: the times used (time,) and the coordinates
        (time, P, n_components), centred at every time.

    Raises:
        ValueError: no recorded ``hidden_gram``, ``times`` outside the recorded range, a bad
            ``run`` or ``n_components``.
    """
    from semjax.analysis import mds_embedding, procrustes_rotation, representational_similarity

    _recorded(trajectory, "hidden_gram", "trajectory")
    grams = _one_run(representational_similarity(trajectory), trajectory, run)
    t = np.asarray(trajectory.t, dtype=float)
    if times is not None:
        _, indices = _time_indices(trajectory, times)
        grams, t = grams[indices], t[indices]
    n_items = grams.shape[-1]
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
            or not 1 <= n_components <= n_items:
        raise ValueError(f"n_components must be an integer in [1, P = {n_items}]; got "
                         f"{n_components!r}.")
    configurations = mds_embedding(grams, n_items)  # (time, P, P): every dimension
    aligned = np.stack([configuration @ procrustes_rotation(configuration, configurations[-1])
                        for configuration in configurations])
    return t, aligned[..., :n_components]


def plot_mds_trajectories(ax, trajectory, *, names=None, colors=None, times=None, run=None,
                          components=(0, 1), fontsize=10):
    """The items' hidden representations over time as paths in a fixed 2-D MDS embedding
    (`mds_paths`), each ending in a labelled marker.

    The paths start at the first time used (before the first split the items sit together
    near the origin) and end at the last, whose principal axes the embedding shows; equal
    scales on both axes keep distances faithful (docs/theory.md §5.1).

    Args:
        ax: the Axes.
        trajectory: a `Trajectory` with recorded ``hidden_gram``.
        names: item labels written at the end points; default the task's item names the
            trajectory records (``info["item_names"]``), else item 1, item 2, ...
        colors: a colour per item (default the mode colours in turn, e.g. pass one colour
            per category to show the coarsest split).
        times: the times the paths pass through, as in `mds_paths` (None: every record).
        run: the run of a batched trajectory, as in `mds_paths` (None: the median Gram).
        components: the two fixed axes drawn, counted from 0 in decreasing order of the final
            representation's variance (e.g. ``(1, 2)`` for the second and third, where the
            first two do not show every split: degenerate splits share a subspace that two
            axes cannot both cover).
        fontsize: label size.

    Returns:
        The artists: per item its path and its end marker, then the labels (items whose end
        points coincide, within 2 % of the largest coordinate, share one label).

    Raises:
        ValueError: as `mds_paths`; ``names`` or ``colors`` of the wrong length, or
            ``components`` not two distinct axes below P.
    """
    components = tuple(components)
    if (len(components) != 2 or components[0] == components[1]
            or not all(isinstance(c, (int, np.integer)) and c >= 0 for c in components)):
        raise ValueError(f"components must be two distinct axis indices ≥ 0; got "
                         f"{components!r}.")
    t, coordinates = mds_paths(trajectory, times, run=run, n_components=max(components) + 1)
    coordinates = coordinates[..., list(components)]
    n_items = coordinates.shape[1]
    names = _item_labels(names, trajectory, n_items)
    if colors is None:
        colors = [mode_color(item) for item in range(n_items)]
    elif len(colors) != n_items:
        raise ValueError(f"colors must give {n_items} colours, one per item; got "
                         f"{len(colors)}.")
    artists = []
    for item, color in enumerate(colors):
        path = coordinates[:, item]
        artists += ax.plot(*path.T, color=color, linewidth=1.2, alpha=0.8)
        artists += ax.plot(*path[-1], color=color, marker="o", markersize=6,
                           markeredgecolor="black", markeredgewidth=0.4, linestyle="none")
    ends = coordinates[-1]
    close = 0.02 * max(float(np.abs(ends).max()), 1e-300)
    labelled: list[list[int]] = []  # items whose end points coincide share one label
    for item in range(n_items):
        group = next((g for g in labelled if np.abs(ends[g[0]] - ends[item]).max() <= close),
                     None)
        if group is None:
            labelled.append([item])
        else:
            group.append(item)
    for group in labelled:
        artists.append(ax.annotate(", ".join(names[item] for item in group),
                                   tuple(ends[group[0]]), xytext=(4, 3),
                                   textcoords="offset points", fontsize=fontsize))
    ax.set_aspect("equal", adjustable="datalim")
    ax.set(xlabel=f"MDS {components[0] + 1} (axes of t = {t[-1]:.3g} τ)",
           ylabel=f"MDS {components[1] + 1}")
    return artists
