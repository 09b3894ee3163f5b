"""Singular value decompositions and their learning (docs/theory.md §6 B): the low-rank
approximation of a photograph as a still and as an animation beside a deep network learning
it, and Σyx = U S Vᵀ of the four-item and Rumelhart environments with the network's estimate
U A(t) Vᵀ during learning."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, plotting, theory
from semjax.gallery._common import (
    FONT,
    _finish,
    _legend_below,
    _nearest,
    _random_start,
    _readable,
    _rumelhart_task,
    _seed_task,
    _snapshot_times,
)

IMAGE_RANKS = (1, 2, 4, 8, 16, 32, 64)


def _photograph(downsample: int = 1) -> np.ndarray:
    """Grace Hopper's portrait from matplotlib's sample data, grayscale in [0, 1]."""
    from matplotlib import cbook
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        image = plt.imread(file, format="jpeg")
    gray = image[..., :3].astype(float).mean(axis=-1) / 255.0
    return gray[::downsample, ::downsample]


def _truncation(U, s, Vt, rank: int) -> np.ndarray:
    """The rank-``rank`` truncated SVD U_r S_r V_rᵀ (the seed's ``LowRankApprox``)."""
    return (U[:, :rank] * s[:rank]) @ Vt[:rank]


def svd_image(out_dir, *, quick: bool = False) -> Path:
    """The seed's low-rank SVD approximation of a photograph, as a rank sweep.

    The truncated SVD U_r S_r V_rᵀ keeps the r strongest modes; a deep linear network trained
    on Σyx learns its modes one after another in order of s (docs/theory.md §5.2, §6 B–C), so its
    estimate passes through (soft) versions of these approximations. Panels: the image at ranks
    1 … 64 and in full, the singular-value spectrum, and the relative error
    ‖X − X_r‖_F/‖X‖_F: the Eckart–Young value sqrt(Σ_{k>r} s_k²)/‖X‖_F
    (`semjax.theory.truncation_error`, line) and the measured error of each reconstruction
    (markers).
    """
    image = _photograph(4 if quick else 1)
    U, s, Vt = np.linalg.svd(image, full_matrices=False)
    with _readable():
        fig = plt.figure(figsize=(10, 9.5), layout="constrained")
        grid = fig.add_gridspec(3, 4, height_ratios=[1, 1, 1.15])
        photos = [fig.add_subplot(grid[row, column]) for row in range(2) for column in range(4)]
        measured = []
        for ax, rank in zip(photos, IMAGE_RANKS):
            approximation = _truncation(U, s, Vt, rank)
            measured.append(np.linalg.norm(image - approximation) / np.linalg.norm(image))
            plotting.plot_grayscale(ax, approximation)
            ax.set_title(f"rank {rank}: error {100 * measured[-1]:.0f} %")
        plotting.plot_grayscale(photos[-1], image)
        photos[-1].set_title(f"original (rank {len(s)})")
        ranks = np.arange(1, len(s) + 1)
        spectrum, error = fig.add_subplot(grid[2, :2]), fig.add_subplot(grid[2, 2:])
        spectrum.loglog(ranks, s, color="black", label="$s_k$")
        spectrum.loglog(IMAGE_RANKS, s[np.asarray(IMAGE_RANKS) - 1], linestyle="none",
                        marker="o", color="tab:purple", label="ranks shown")
        spectrum.set(xlabel="mode index k", ylabel="singular value $s_k$")
        spectrum.set_title("Singular-value spectrum")
        spectrum.legend(loc="lower left")  # the spectrum falls from the upper left
        error.loglog(ranks[:-1], theory.truncation_error(s)[:-1], color="black",
                     label="Eckart–Young")
        error.loglog(IMAGE_RANKS, measured, linestyle="none", marker="s", color="tab:purple",
                     label="measured")
        error.set(xlabel="rank r", ylabel=r"error $\|X-X_r\|_F/\|X\|_F$")
        error.set_title("Approximation error vs rank")
        error.legend(loc="lower left")
        return _finish(fig, out_dir, "svd_image",
                       "Low-rank SVD approximations of a photograph (the seed's example)",
                       fontsize=FONT + 1)


def svd_image_animation(out_dir, *, quick: bool = False) -> Path:
    """A deep linear network learning a photograph mode by mode, beside the truncated SVD
    (the seed's rank-sweep animation), as a GIF (docs/theory.md §5.2, §6 B–C).

    Left: the estimate U A(t) Vᵀ of a deep (two-layer) linear network trained on
    Σyx = X/‖X‖₂ from an aligned balanced start a0 = 1e-6 (`semjax.theory.trajectory`,
    exact). Middle: the truncated SVD at the rank r(t) of the modes more than half learned
    at that time (`semjax.theory.half_time`: t_r = (τ/2s_r) ln(s_r/a0 − 1)). Right: the
    learned fraction a_α(t)/s_α of every mode. The frames are evenly spaced in time up to
    the half-time of mode 12, so the plateaus between the first modes last as long as they
    do in learning; a few later frames, evenly spaced in log time, show the fine modes.
    """
    from matplotlib import animation

    image = _photograph(8 if quick else 2)
    task = Task(sigma_yx=image / np.linalg.norm(image, 2))
    U, s, V = task.modes
    a0 = 1e-6
    half_times = np.asarray(theory.half_time(s, a0))
    early_end = 1.05 * half_times[min(11, len(s) - 1)]
    late_end = 1.05 * half_times[min(149, len(s) - 1)]
    times = np.concatenate([np.linspace(0, early_end, 5 if quick else 28),
                            np.geomspace(early_end, late_end, 3 if quick else 9)[1:]])
    network = theory.trajectory(task, times, a0, record=("modes", "product"))
    ranks = np.searchsorted(half_times, times, side="right")  # modes past their half-time
    scale = np.linalg.norm(image, 2)
    index = np.arange(1, len(s) + 1)
    with _readable():
        fig, (left, middle, right) = plt.subplots(1, 3, figsize=(10, 4.4),
                                                  gridspec_kw={"width_ratios": [1, 1, 1.3]})
        network_image = plotting.plot_grayscale(left, image)[0]
        truncation_image = plotting.plot_grayscale(middle, image)[0]
        line, = right.semilogx(index, network.modes[0] / s, color=plotting.mode_color(0),
                               label="network $a_\\alpha(t)/s_\\alpha$")
        step, = right.semilogx(index, index <= ranks[0], color=plotting.mode_color(1),
                               linestyle="--", label="rank-r truncation")
        right.set(xlabel="mode index α", ylabel="fraction learned", ylim=(-0.05, 1.1))
        right.set_title("modes learned")
        # under the panels: the curves sweep across the whole panel during learning
        fig.legend(*right.get_legend_handles_labels(), loc="lower right", ncol=2,
                   frameon=False)
        fig.suptitle("A deep linear net learns an image mode by mode (aligned start a0 = 1e-6)")
        fig.tight_layout(rect=(0, 0.08, 1, 1))

        def frame(k):
            network_image.set_data(np.clip(network.product[k] * scale, 0, 1))
            truncation_image.set_data(np.clip(_truncation(U * scale, s, V.T, ranks[k]), 0, 1))
            line.set_ydata(network.modes[k] / s)
            step.set_ydata(index <= ranks[k])
            left.set_title(f"deep net, t = {times[k]:.1f} τ")
            middle.set_title(f"truncated SVD, rank {ranks[k]}")
            return network_image, truncation_image, line, step

        movie = animation.FuncAnimation(fig, frame, frames=len(times), blit=False)
        path = Path(out_dir) / "svd_image_animation.gif"
        movie.save(path, writer=animation.PillowWriter(fps=6), dpi=80)
        plt.close(fig)
    return path


def _singular_value_bars(ax, s, names, *, fontsize) -> None:
    """The diagonal of S as one bar per mode in the mode colours, its value written at its end,
    top to bottom like the rows of Vᵀ beside it."""
    rows = np.arange(len(s))
    ax.barh(rows, s, height=0.6, color=[plotting.mode_color(k) for k in rows])
    for k, value in enumerate(s):
        ax.text(value, k, f" {value:.2f}", ha="left", va="center", fontsize=fontsize)
    ax.set(ylim=(len(s) - 0.5, -0.5), xlim=(0, 1.45 * np.max(s)), xticks=[])
    ax.set_yticks(rows, names, fontsize=fontsize)
    ax.set_xlabel(r"$s_\alpha$", fontsize=fontsize)


def _svd_figure(out_dir, task: Task, name: str, *, title: str, t_max: float, dt: float,
                quick: bool, after=(), during=()) -> Path:
    """Σyx = U S Vᵀ (Σyx, U and Vᵀ as labelled heatmaps, S as one bar per singular value), the
    network's estimate U A(t) Vᵀ at snapshot times and the mode strengths a_α(t) (closed form
    from a0_eff vs simulated small random starts)."""
    U, s, V = task.modes
    checked = task.checked
    items, properties = checked.item_names, checked.property_names
    modes = [rf"$\alpha$={k + 1}" for k in range(len(s))]
    run, closed_form = _random_start(task, hidden=16, t_max=t_max, dt=dt,
                                     n_seeds=4 if quick else 32, key=2, init_scale=1e-2,
                                     record_every=5)
    times = np.append(_snapshot_times(closed_form, s, after, during), t_max)
    strengths = np.asarray(closed_form.modes)[_nearest(closed_form.t, times)]  # (snapshots, r)
    vmax = np.abs(checked.sigma_yx).max()
    # many properties: their names once (Σyx), the estimates below in the same rows
    tall = len(properties) > 10
    with _readable():
        fig = plt.figure(figsize=(10, 14.6 if tall else 11.5), layout="constrained")
        top, middle, bottom = fig.subfigures(3, 1, height_ratios=[7.2, 3.5, 3.9] if tall
                                             else [1, 1, 1.2])
        row = top.subplots(1, 4)
        labels = dict(fontsize=FONT - 1 if tall else FONT)
        plotting.plot_heatmap(row[0], checked.sigma_yx, row_labels=properties,
                              col_labels=items, vmax=vmax, **labels)
        plotting.plot_heatmap(row[1], U, col_labels=modes, **labels)
        _singular_value_bars(row[2], s, modes, **labels)
        plotting.plot_heatmap(row[3], V.T, row_labels=modes, col_labels=items, **labels)
        for ax, heading in zip(row, (r"$\Sigma^{yx}$", "U: synthesizers",
                                     r"S = diag($s_\alpha$)", r"$V^T$: analyzers")):
            ax.set_title(heading)
        snapshots = middle.subplots(1, 4)
        for k, (ax, time, strength) in enumerate(zip(snapshots, times, strengths)):
            plotting.plot_heatmap(ax, U @ np.diag(strength) @ V.T,
                                  row_labels=properties if k == 0 and not tall else None,
                                  col_labels=items, vmax=vmax, **labels)
            ax.set_title(f"t{k + 1} = {time:.1f} τ")
        middle.suptitle(r"the network's estimate $U A(t) V^T$ of $\Sigma^{yx}$"
                        + (r" (rows: the properties of $\Sigma^{yx}$ above)" if tall else ""))
        colorbar = middle.colorbar(snapshots[0].images[0], ax=snapshots, fraction=0.04,
                                   pad=0.02)
        colorbar.set_label(r"$UA(t)V^T$ and $\Sigma^{yx}$ (top left)")
        dynamics = bottom.subplots()
        artists = plotting.plot_mode_strengths_with_theory(
            dynamics, run, closed_form,
            names=[f"mode {k + 1}, s = {v:.2f}" for k, v in enumerate(s)])
        _legend_below(bottom, artists[-1], ncol=3)
        plotting.mark_times(dynamics, times, [f"t{k + 1}" for k in range(len(times))])
        dynamics.set_ylabel(r"mode strength $a_\alpha(t)$")
        dynamics.set_title(rf"{run.batch_shape[0]} Gaussian starts σ = 1e-2; theory from "
                           r"$a_0^{\rm eff}$")
        return _finish(fig, out_dir, name, title, fontsize=FONT + 1)


def svd_four_items(out_dir, *, quick: bool = False) -> Path:
    """SVD of the four-item environment (docs/theory.md §6 B, data §4.1): Σyx = U S Vᵀ as labelled
    heatmaps and bars of S (modes: all items, animals vs plants, oak vs rose, canary vs
    salmon) and the network's estimate Σ̂yx(t) = U A(t) Vᵀ at snapshot times t1–t4 between the
    modes' half-times, beside a_α(t) of simulated two-layer nets (4→16→7, small Gaussian starts) and
    the closed form (§2.2). Seed convention Σyx = Y, Σx = I."""
    return _svd_figure(out_dir, _seed_task(), "svd_four_items", after=(1, 2), during=(3,),
                       t_max=4.0 if quick else 6.0, dt=0.01, quick=quick,
                       title="Four-item environment (Σyx = Y): Σyx = U S Vᵀ, learned mode by "
                             "mode")


def svd_rumelhart(out_dir, *, quick: bool = False) -> Path:
    """SVD of the Rumelhart / Rogers & McClelland environment (docs/theory.md §6 B, data §4.2):
    the 36-attribute × 8-item Σyx = Y/8 (mean convention) = U S Vᵀ as labelled heatmaps and bars
    of S, and the network's estimate U A(t) Vᵀ at snapshot times (in the rows of Σyx), beside
    a_α(t) of simulated 8→16→36 nets
    (small Gaussian starts) and the closed form (§2.2, §2.5: Σx = I/8)."""
    return _svd_figure(out_dir, _rumelhart_task(), "svd_rumelhart", after=(1, 2, 4),
                       t_max=30.0 if quick else 60.0, dt=0.02, quick=quick,
                       title="Rumelhart environment (8 items × 36 attributes, Σyx = Y/8): "
                             "Σyx = U S Vᵀ, learned mode by mode")
