"""What the gallery's figure modules share: the tasks they reuse, small random starts beside
their closed form, snapshot times, MDS panels, and saving a figure.

Nothing here computes science of its own: read-outs come from `semjax.analysis`, closed forms
from `semjax.theory`; these helpers choose what to show and lay it out.
"""

from __future__ import annotations

import warnings

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, analysis, datasets, initial_weights, plotting, simulate, theory

NET_COLORS = {"deep": "black", "shallow": "tab:purple"}  # networks, not modes
FONT = 12  # every text: ≥ 9 pt when a ≤ 10 in figure (≤ 1300 px at 130 dpi) is shown ~880 px wide


def _readable():
    """A context in which every text of a figure is `FONT` pt (titles, labels, ticks, legends)."""
    return plt.rc_context({"font.size": FONT, "axes.titlesize": FONT, "axes.labelsize": FONT,
                           "xtick.labelsize": FONT, "ytick.labelsize": FONT,
                           "legend.fontsize": FONT, "figure.titlesize": FONT + 1})


def _seed_task() -> Task:
    """The seed's experiment: Σyx = Y of the four-item table, Σx = I."""
    return Task.from_dataset(datasets.four_items(), normalise="sum")


def _rumelhart_task() -> Task:
    """The Rumelhart / Rogers & McClelland table under the mean convention (Σyx = Y/8)."""
    return Task.from_dataset(datasets.rumelhart())


def _save(fig, out_dir, name: str) -> Path:
    """Write ``fig`` as ``<out_dir>/<name>.png`` at 130 dpi and close it."""
    path = Path(out_dir) / f"{name}.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _finish(fig, out_dir, name: str, title: str, *, fontsize: int = 11,
            rect=(0, 0, 1, 1)) -> Path:
    """Add the figure's title, lay it out (unless it has a layout engine, e.g. constrained)
    and save it as ``<name>.png``."""
    fig.suptitle(title, fontsize=fontsize)
    if fig.get_layout_engine() is None:
        fig.tight_layout(rect=rect)
    return _save(fig, out_dir, name)


def _legend_below(fig, legend, ncol: int):
    """Move an Axes' ``legend`` under the figure, outside every panel (constrained layout)."""
    handles, labels = legend.legend_handles, [text.get_text() for text in legend.texts]
    legend.remove()
    return fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False)


def _random_start(task: Task, *, hidden, t_max: float, dt: float, n_seeds: int, key: int,
                  init_scale: float, record=("modes",), record_every: int = 1,
                  theory_record=("modes",), depth: int = 2):
    """Simulate small random Gaussian starts and the matching closed form.

    Returns ``(run, closed_form)``: the simulated batch and `semjax.theory.closed_form_for`
    the run on 400 times over it (from the runs' own starts, `semjax.initial_weights`: the
    aligned approximation at depth 2, exact at depth 1).
    """
    start = dict(hidden=hidden if depth > 1 else None, depth=depth, n_seeds=n_seeds, key=key,
                 init="gaussian", init_scale=init_scale)
    run = simulate(task, t_max=t_max, dt=dt, record=record, record_every=record_every,
                   kernel="reference", **start)
    t = np.linspace(0, run.t[-1], 400)
    with warnings.catch_warnings():  # figures show the modes the approximation holds for
        warnings.filterwarnings("ignore", "the aligned approximation does not hold")
        return run, theory.closed_form_for(run, task, t, record=theory_record,
                                           start=initial_weights(task, **start))


def _nearest(t, times) -> np.ndarray:
    """Indices of the entries of ``t`` nearest to each of ``times``."""
    return np.abs(np.asarray(t)[None, :] - np.atleast_1d(times)[:, None]).argmin(axis=1)


def _snapshot_times(closed_form, s, after=(), during=()) -> np.ndarray:
    """Times that show the stages of learning, from the modes' half-times in ``closed_form``:
    for k in ``after`` the midpoint between the half-times of modes k and k + 1 (1-based: mode
    k learned, k + 1 not yet), for k in ``during`` the half-time of mode k; sorted."""
    half = analysis.crossing_times(closed_form, s)
    return np.sort([(half[k - 1] + half[k]) / 2 for k in after] + [half[k - 1] for k in during])


def _mds_panels(axes, run, closed_form, times, titles, *, run_label: str, legend: bool = True,
                **options) -> None:
    """One panel per time: MDS of the hidden representations of the run's first seed (markers,
    `semjax.plotting.plot_embedding` with ``options``) rotated onto that of the closed form
    (crosses), `semjax.analysis.aligned_mds`; each panel with a legend if ``legend``."""
    simulated, predicted = analysis.aligned_mds(
        analysis.representational_similarity(run)[0, _nearest(run.t, times)],
        analysis.representational_similarity(closed_form)[_nearest(closed_form.t, times)])
    for ax, points, reference, title in zip(axes, simulated, predicted, titles):
        plotting.plot_embedding(ax, points, label=run_label, **options)
        ax.plot(*reference.T, linestyle="none", marker="x", color="black", markersize=5,
                label=r"theory $VA(t)V^T$")
        ax.set(xlabel="MDS 1", ylabel="MDS 2")
        ax.set_title(title)
        if legend:
            ax.legend(loc="best")
