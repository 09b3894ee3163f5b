"""The figure gallery: one function per figure, each writing a PNG and returning its path.

``semjax figures`` runs every function in `FIGURES`. Each function takes the output folder and
``quick`` (tiny sizes, for tests) and uses only the public API.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, Trajectory, analysis, datasets, plotting, simulate, theory
from semjax._figure_generalisation import generalisation
from semjax._figure_schedule import reversal

SEED_HIDDEN = 16
SEED_DT = 0.005
SEED_INIT_SCALE = 1e-2


def _seed_task() -> Task:
    """The seed's experiment: Σyx = Y of the four-item table, Σx = I."""
    return Task.from_dataset(datasets.four_items(), normalise="sum")


def _save(fig, out_dir, name: str) -> Path:
    path = Path(out_dir) / f"{name}.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _finish(fig, out_dir, name: str, title: str, *, fontsize: int = 11,
            rect=(0, 0, 1, 1)) -> Path:
    """Add the figure's title, lay it out and save it as ``<name>.png``."""
    fig.suptitle(title, fontsize=fontsize)
    fig.tight_layout(rect=rect)
    return _save(fig, out_dir, name)


def _seed_figure(out_dir, name: str, depth: int, n_steps: int, title: str) -> Path:
    """The seed's plot: singular values of Σ̂yx(t) = W(t)Σx during Euler training from the
    seed's init (entries 1e-2 · U[0, 1)), against t/τ."""
    run = simulate(_seed_task(), depth=depth, hidden=SEED_HIDDEN if depth > 1 else None,
                   n_steps=n_steps, dt=SEED_DT, init="uniform", init_scale=SEED_INIT_SCALE,
                   record=("singular_values",), key=0)
    fig, ax = plt.subplots(figsize=(6, 3))
    plotting.plot_mode_strengths(ax, run, field="singular_values", as_lines=True)
    ax.set_ylabel(r"singular values $a_\alpha(t)$ of $W(t)\Sigma^x$")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return _save(fig, out_dir, name)


def seed_deep(out_dir, *, quick: bool = False) -> Path:
    """Fig. 3C of the paper as in the seed: a 4→16→7 deep linear net, 1500 Euler steps."""
    return _seed_figure(out_dir, "seed_deep", 2, 300 if quick else 1500,
                        "Deep net 4→16→7 (seed's run: Euler dt = 0.005, init 1e-2·U[0,1))")


def seed_shallow(out_dir, *, quick: bool = False) -> Path:
    """Fig. 3D of the paper as in the seed: a 4→7 shallow net, 1000 Euler steps."""
    return _seed_figure(out_dir, "seed_shallow", 1, 200 if quick else 1000,
                        "Shallow net 4→7 (seed's run: Euler dt = 0.005, init 1e-2·U[0,1))")


def theory_vs_simulation(out_dir, *, quick: bool = False) -> Path:
    """Closed forms over a batch of seeds on the seed's task.

    Panels: (a) deep net from small random Gaussian weights, with a(t; s, a0_eff) where a0_eff
    is set from the batch's median half-time (random starts learn later than their initial
    strength predicts: the known delay); (b) deep net from aligned balanced starts with random
    hidden bases, where a(t; s, a0) is exact; (c) shallow net from the same Gaussian weights,
    where b(t; s, b0) is exact for every run (b0 = median initial strength is drawn).
    """
    task = _seed_task()
    s = task.modes.s
    n_seeds = 4 if quick else 64
    common = dict(t_max=6.0, dt=0.01, n_seeds=n_seeds, key=1, method="rk4")
    random_start = simulate(task, hidden=SEED_HIDDEN, init="gaussian", init_scale=1e-2, **common)
    aligned_start = simulate(task, hidden=SEED_HIDDEN, init="aligned", init_scale=1e-3, **common)
    shallow = simulate(task, depth=1, init="gaussian", init_scale=1e-2, **common)
    t = np.linspace(0, common["t_max"], 400)[:, None]

    half = np.nanmedian(analysis.crossing_times(random_start, s), axis=0)
    a0_eff = s / (1 + np.exp(2 * s * half))  # inverts t½ = ln(s/a0 − 1)/2s
    b0 = np.median(shallow.modes[:, 0], axis=0)
    panels = [
        (random_start, theory.mode_strength(t, s, a0_eff),
         f"(a) deep, Gaussian init σ=1e-2, {n_seeds} seeds", r"$a(t; s, a_0^{\rm eff})$"),
        (aligned_start, theory.mode_strength(t, s, 1e-3),
         f"(b) deep, aligned balanced init a0=1e-3, {n_seeds} seeds", r"$a(t; s, a_0)$ exact"),
        (shallow, theory.shallow_mode_strength(t, s, b0),
         f"(c) shallow, Gaussian init σ=1e-2, {n_seeds} seeds", r"$b(t; s, b_0)$ exact"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
    for ax, (run, curves, title, theory_label) in zip(axes, panels):
        plotting.plot_mode_strengths(ax, run, names=[f"sim $a_{k + 1}$, s={v:.2f}"
                                                      for k, v in enumerate(s)])
        plotting.plot_curves(ax, t[:, 0], curves, label="theory " + theory_label)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel(r"mode strength $u_\alpha^T W(t)\Sigma^x v_\alpha$")
    for ax in axes[1:]:
        ax.set_ylabel("")  # shared with (a)
    return _finish(fig, out_dir, "theory_vs_simulation",
                   "Closed-form mode strengths (lines) vs simulated networks "
                   "(markers: median, band: 10–90 % over seeds); RK4, dt = 0.01", fontsize=10)


# ------------------------------------------------------------------ low-rank approximation


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
    ‖X − X_r‖_F/‖X‖_F: the Eckart–Young value sqrt(Σ_{k>r} s_k²)/‖X‖_F (line) and the measured
    error of each reconstruction (markers).
    """
    image = _photograph(4 if quick else 1)
    U, s, Vt = np.linalg.svd(image, full_matrices=False)
    fig, axes = plt.subplots(2, 5, figsize=(15, 6.8))
    panels = list(axes.flat)
    measured = []
    for ax, rank in zip(panels, IMAGE_RANKS):
        approximation = _truncation(U, s, Vt, rank)
        measured.append(np.linalg.norm(image - approximation) / np.linalg.norm(image))
        plotting.plot_grayscale(ax, approximation,
                                title=f"rank {rank} (error {100 * measured[-1]:.0f} %)")
    plotting.plot_grayscale(panels[len(IMAGE_RANKS)], image,
                            title=f"original ({image.shape[0]}×{image.shape[1]}, rank "
                                  f"{len(s)})")
    ranks = np.arange(1, len(s) + 1)
    spectrum, error = panels[-2], panels[-1]
    spectrum.semilogy(ranks, s, color=plotting.mode_color(0), label="singular values $s_k$")
    spectrum.semilogy(IMAGE_RANKS, s[np.asarray(IMAGE_RANKS) - 1], linestyle="none",
                      marker="o", color=plotting.mode_color(1), label="ranks shown")
    spectrum.set_xscale("log")
    spectrum.set(xlabel="mode index k", ylabel="singular value $s_k$")
    spectrum.set_title("Singular-value spectrum", fontsize=9)
    spectrum.legend(fontsize=8)
    tail = np.sqrt(np.maximum(np.cumsum((s ** 2)[::-1])[::-1] - s ** 2, 0)) / np.linalg.norm(s)
    error.loglog(ranks[:-1], tail[:-1], color=plotting.mode_color(0),
                 label=r"Eckart–Young $\sqrt{\sum_{k>r}s_k^2}/\|X\|_F$")
    error.loglog(IMAGE_RANKS, measured, linestyle="none", marker="s",
                 color=plotting.mode_color(1), label=r"measured $\|X-X_r\|_F/\|X\|_F$")
    error.set(xlabel="rank r", ylabel="relative error")
    error.set_title("Approximation error vs rank", fontsize=9)
    error.legend(fontsize=8)
    for ax in (spectrum, error):
        ax.set_box_aspect(0.9)
    return _finish(fig, out_dir, "svd_image",
                   "Low-rank SVD approximation of a photograph (the seed's example): the r "
                   "strongest modes carry the coarse structure")


def svd_image_animation(out_dir, *, quick: bool = False) -> Path:
    """The seed's rank-sweep animation as a GIF, beside a deep linear network learning the
    image (docs/theory.md §5.2, §6 B–C).

    Left: the truncated SVD at rank r (the seed's animation). Middle: the estimate U A(t) Vᵀ of
    a deep (two-layer) linear network trained on Σyx = X/‖X‖₂ from an aligned balanced start
    a0 = 1e-6 (`semjax.theory.trajectory`, exact), shown at the time t_r at which mode r is
    half learned, t_r = (τ/2s_r) ln(s_r/a0 − 1). Right: the learned fraction a_α(t)/s_α of
    every mode at that time against the truncation's step.
    """
    from matplotlib import animation

    image = _photograph(8 if quick else 2)
    task = Task(sigma_yx=image / np.linalg.norm(image, 2))
    U, s, V = task.modes
    ranks = np.unique(np.round(np.geomspace(1, 12 if quick else 150, 6 if quick else 36)))
    ranks = ranks.astype(int)
    a0 = 1e-6
    times = np.asarray(theory.half_time(s[ranks - 1], a0))
    network = theory.trajectory(task, times, a0, record=("modes", "product"))
    scale = np.linalg.norm(image, 2)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(8.4, 3.3),
                                              gridspec_kw={"width_ratios": [1, 1, 1.25]})
    left_image = plotting.plot_grayscale(left, image)[0]
    middle_image = plotting.plot_grayscale(middle, image)[0]
    index = np.arange(1, len(s) + 1)
    line, = right.semilogx(index, network.modes[0] / s, color=plotting.mode_color(0),
                           label=r"network $a_\alpha(t)/s_\alpha$")
    step, = right.semilogx(index, index <= ranks[0], color=plotting.mode_color(1),
                           linestyle="--", label="rank-r truncation")
    right.set(xlabel=r"mode index $\alpha$", ylabel="fraction of mode learned", ylim=(-0.05, 1.1))
    right.legend(fontsize=7, loc="lower left")
    right.set_title("Modes learned", fontsize=9)
    fig.suptitle("Low-rank approximation: truncated SVD vs a deep linear network learning it",
                 fontsize=10)
    fig.tight_layout()

    def frame(k):
        rank = ranks[k]
        left_image.set_data(np.clip(_truncation(U * scale, s, V.T, rank), 0, 1))
        middle_image.set_data(np.clip(network.product[k] * scale, 0, 1))
        line.set_ydata(network.modes[k] / s)
        step.set_ydata(index <= rank)
        left.set_title(f"truncated SVD, rank {rank}", fontsize=9)
        middle.set_title(f"deep net, t = {times[k]:.1f} τ", fontsize=9)
        return left_image, middle_image, line, step

    movie = animation.FuncAnimation(fig, frame, frames=len(ranks), blit=False)
    path = Path(out_dir) / "svd_image_animation.gif"
    movie.save(path, writer=animation.PillowWriter(fps=4), dpi=72)
    plt.close(fig)
    return path


# ----------------------------------------------------------------- SVD of the toy datasets


def _rumelhart_task() -> Task:
    """The Rumelhart / Rogers & McClelland table under the mean convention (Σyx = Y/8)."""
    return Task.from_dataset(datasets.rumelhart())


def _random_start(task: Task, *, hidden: int, t_max: float, dt: float, n_seeds: int, key: int,
                  init_scale: float, record=("modes",), record_every: int = 1,
                  theory_record=("modes",), depth: int = 2):
    """Simulate small random Gaussian starts and the matching closed form.

    Returns ``(run, closed_form)``: the simulated batch and `semjax.theory.trajectory` on the
    same times from the median effective initial strength of each mode
    (`semjax.theory.effective_a0`: the aligned approximation of small random starts; modes
    that compete start slightly later than it predicts). For ``depth=1`` the closed form
    b(t) = s + (b0 − s) e^{−d t/τ} (modes, loss ½ Σ (s − b)²/d and the map Σ_α (b_α/d) u_α v_αᵀ)
    starts from the median recorded initial strength b0 (exact for a shallow net, whose
    off-mode initial weights decay as e^{−d t/τ}; b0 may be negative).
    """
    common = dict(hidden=hidden if depth > 1 else None, depth=depth, dt=dt, n_seeds=n_seeds,
                  key=key, init="gaussian", init_scale=init_scale, kernel="reference")
    run = simulate(task, t_max=t_max, record=record, record_every=record_every, **common)
    t = np.linspace(0, run.t[-1], 400)
    if depth == 1:  # exact from any start, of either sign: b(t) = s + (b0 − s) e^{−d t/τ}
        d = theory.shared_basis_eigenvalues(task)
        b0 = np.median(np.asarray(run.modes)[:, 0], axis=0)  # recorded: d × product strength
        modes = np.asarray(theory.shallow_mode_strength(t[:, None], task.modes.s, b0, tau=1 / d))
        U, _, V = task.modes
        return run, Trajectory.create(t=t, finite=True, modes=modes,
                                      loss=0.5 * np.sum((modes - task.modes.s) ** 2 / d, -1),
                                      product=np.einsum("ia,ta,ja->tij", U, modes / d, V))
    start = simulate(task, n_steps=1, record=("weights",), **common)
    a0 = np.median(theory.effective_a0(task, [w[:, 0] for w in start.weights]), axis=0)
    closed_form = theory.trajectory(task, t, a0, depth=depth, record=theory_record)
    return run, closed_form


def _snapshot_times(closed_form, s, after=(), during=()) -> np.ndarray:
    """Times that show the stages of learning, from the modes' half-times in ``closed_form``:
    for k in ``after`` the midpoint between the half-times of modes k and k + 1 (1-based: mode
    k learned, k + 1 not yet), for k in ``during`` the half-time of mode k; sorted."""
    half = analysis.crossing_times(closed_form, s)
    return np.sort([(half[k - 1] + half[k]) / 2 for k in after] + [half[k - 1] for k in during])


def _svd_figure(out_dir, task: Task, name: str, *, title: str, t_max: float, dt: float,
                quick: bool, property_fontsize: int, after=(), during=()) -> Path:
    """Σyx = U S Vᵀ as labelled heatmaps, the network's estimate U A(t) Vᵀ at snapshot times
    and the mode strengths a_α(t) (closed form from a0_eff vs simulated small random starts)."""
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
    fig = plt.figure(figsize=(16, 9.5 if len(properties) > 10 else 7.5))
    grid = fig.add_gridspec(2, 5, width_ratios=[1, 1, 1, 1, 1.5])
    row = [fig.add_subplot(grid[0, k]) for k in range(4)]
    plotting.plot_heatmap(row[0], checked.sigma_yx, row_labels=properties, col_labels=items,
                          title=r"$\Sigma^{yx}$ (properties × items)", vmax=vmax,
                          fontsize=property_fontsize, colorbar=True)
    plotting.plot_heatmap(row[1], U, row_labels=properties, col_labels=modes,
                          title="U: feature synthesizers", fontsize=property_fontsize)
    plotting.plot_heatmap(row[2], np.diag(s), row_labels=modes, col_labels=modes,
                          title="S: singular values", annotate=True, rotate_columns=False)
    plotting.plot_heatmap(row[3], V.T, row_labels=modes, col_labels=items,
                          title=r"$V^T$: object analyzers", annotate=len(s) <= 4)
    for ax, time, strength in zip(
            [fig.add_subplot(grid[1, k]) for k in range(4)], times, strengths):
        plotting.plot_heatmap(ax, U @ np.diag(strength) @ V.T,
                              row_labels=properties if ax.get_subplotspec().colspan.start == 0
                              else None, col_labels=items, vmax=vmax,
                              title=rf"$U A(t) V^T$ at t = {time:.1f} τ",
                              fontsize=property_fontsize)
    dynamics = fig.add_subplot(grid[:, 4])
    plotting.plot_mode_strengths(dynamics, run,
                                 names=[f"sim $a_{k + 1}$, s={v:.2f}" for k, v in enumerate(s)])
    plotting.plot_curves(dynamics, closed_form.t, closed_form.modes,
                         label=r"theory $a(t; s, a_0^{\rm eff})$")
    plotting.mark_times(dynamics, times, [f"t{k + 1}" for k in range(len(times))])
    dynamics.set_ylabel(r"mode strength $a_\alpha(t) = u_\alpha^T W(t)\Sigma^x v_\alpha$")
    dynamics.set_ylim(top=1.35 * s.max())  # headroom for the legend
    dynamics.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1, 0.94), ncol=2)
    dynamics.set_title(f"mode strengths, {run.batch_shape[0]} Gaussian starts σ = 1e-2\n"
                       "(markers: median, band: 10–90 %)", fontsize=9)
    return _finish(fig, out_dir, name, title)


def svd_four_items(out_dir, *, quick: bool = False) -> Path:
    """SVD of the four-item environment (docs/theory.md §6 B, data §4.1): Σyx = U S Vᵀ as labelled
    heatmaps (modes: all items, animals vs plants, oak vs rose, canary vs salmon) and the
    network's estimate Σ̂yx(t) = U A(t) Vᵀ at snapshot times t1–t4 between the modes'
    half-times, beside a_α(t) of simulated two-layer nets (4→16→7, small Gaussian starts) and
    the closed form (§2.2). Seed convention Σyx = Y, Σx = I."""
    return _svd_figure(out_dir, _seed_task(), "svd_four_items", after=(1, 2), during=(3,),
                       t_max=4.0 if quick else 6.0, dt=0.01, quick=quick, property_fontsize=8,
                       title="Four-item environment: Σyx = U S Vᵀ and the network's estimate "
                             "U A(t) Vᵀ during learning (Σyx = Y)")


def svd_rumelhart(out_dir, *, quick: bool = False) -> Path:
    """SVD of the Rumelhart / Rogers & McClelland environment (docs/theory.md §6 B, data §4.2):
    the 36-attribute × 8-item Σyx = Y/8 (mean convention) = U S Vᵀ as labelled heatmaps and the
    network's estimate U A(t) Vᵀ at snapshot times, beside a_α(t) of simulated 8→16→36 nets
    (small Gaussian starts) and the closed form (§2.2, §2.5: Σx = I/8)."""
    return _svd_figure(out_dir, _rumelhart_task(), "svd_rumelhart", after=(1, 2, 4),
                       t_max=30.0 if quick else 60.0, dt=0.02, quick=quick, property_fontsize=6,
                       title="Rumelhart environment (8 items × 36 attributes, Σyx = Y/8): "
                             "Σyx = U S Vᵀ and the network's estimate U A(t) Vᵀ during "
                             "learning")


# ------------------------------------------------------------------------- deep vs shallow


def deep_vs_shallow(out_dir, *, quick: bool = False) -> Path:
    """Deep (8→16→36) vs shallow (8→36) networks on the Rumelhart environment (docs/theory.md §6 C,
    §2.2–§2.3, §5.2, §5.10), both from the same small Gaussian starts (σ = 1e-2).

    Panels: (a) deep mode strengths a_α(t): sigmoids in order of s, closed form from the
    effective a0 (lines) vs simulation (markers: median, band: 10–90 % over seeds); (b) shallow
    b_α(t): every mode relaxes with the same time constant τ/d (d = 1/8 for one-hot items
    under the mean convention), exact closed form; (c) excess loss: a staircase for the deep
    net, one smooth drop for the shallow one; (d) half-time of each mode against its singular
    value: deep t½ = (τ/2s) ln(s/a0 − 1) falls with s, shallow t½ = (τ/d) ln 2 is flat.
    """
    task = _rumelhart_task()
    s = task.modes.s
    common = dict(t_max=40.0 if quick else 60.0, dt=0.02, n_seeds=4 if quick else 32, key=4,
                  init_scale=1e-2, record=("modes", "loss"), record_every=5,
                  theory_record=("modes", "loss"))
    deep, deep_theory = _random_start(task, hidden=16, **common)
    shallow, shallow_theory = _random_start(task, hidden=None, depth=1, **common)
    names = [f"sim $a_{k + 1}$, s={v:.2f}" for k, v in enumerate(s)]
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.6))
    for ax, run, closed_form, title, theory_label in (
            (axes[0], deep, deep_theory, "(a) deep: mode strengths $a_\\alpha(t)$",
             r"theory $a(t; s, a_0^{\rm eff})$"),
            (axes[1], shallow, shallow_theory, "(b) shallow: mode strengths $b_\\alpha(t)$",
             r"theory $b(t; s, b_0)$ exact")):
        plotting.plot_mode_strengths(ax, run, names=names)
        plotting.plot_curves(ax, closed_form.t, closed_form.modes, label=theory_label)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(r"mode strength $u_\alpha^T W(t)\Sigma^x v_\alpha$")
        ax.legend(fontsize=6.5, loc="center right", bbox_to_anchor=(1.0, 0.8), ncol=2)
    for k, (run, closed_form, label) in enumerate(((deep, deep_theory, "deep"),
                                                   (shallow, shallow_theory, "shallow"))):
        plotting.plot_theory_and_runs(axes[2], closed_form.t, closed_form.loss, run.t,
                                      plotting.runs_of(run.loss, 1), color=plotting.mode_color(k),
                                      marker=plotting.mode_marker(k), label=label)
    axes[2].set(xlabel=r"$t/\tau$", ylabel=r"excess loss $L(t) - L_{\min}$", yscale="log",
                ylim=(1e-4, None))
    axes[2].set_title("(c) loss: staircase (deep) vs one drop (shallow)", fontsize=10)
    axes[2].legend(fontsize=8)
    s_grid = np.linspace(0.9 * s.min(), 1.05 * s.max(), 200)
    for k, (run, closed_form, label, depth) in enumerate((
            (deep, deep_theory, "deep", 2), (shallow, shallow_theory, "shallow", 1))):
        a0 = np.asarray(closed_form.modes)[0]  # recorded initial strengths of the closed form
        predicted = np.asarray(theory.transition_time(s_grid, np.median(a0), s_grid / 2,
                                                      depth=depth,
                                                      tau=1 / task.input_scale if depth == 1
                                                      else 1.0))
        axes[3].plot(s_grid, predicted, color=plotting.mode_color(k),
                     label=f"{label} (theory)")
        plotting.plot_points(axes[3], s, analysis.crossing_times(run, s),
                             color=plotting.mode_color(k), marker=plotting.mode_marker(k),
                             label=f"{label} (simulation)")
    axes[3].set(xlabel=r"singular value $s_\alpha$ of $\Sigma^{yx}$",
                ylabel=r"half-time $t_{1/2}/\tau$")
    axes[3].set_title("(d) learning time vs mode strength", fontsize=10)
    axes[3].legend(fontsize=8)
    return _finish(fig, out_dir, "deep_vs_shallow",
                   "Deep vs shallow linear networks on the Rumelhart environment (Σyx = Y/8), "
                   f"{deep.batch_shape[0]} small Gaussian starts σ = 1e-2; lines: closed forms, "
                   "markers: simulation (median, 10–90 % band)", fontsize=10)


# ------------------------------------------------------------------------------- hierarchy


def _rotation_onto(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal R minimising ‖source R − target‖_F (orthogonal Procrustes), to compare
    bases that are defined only up to a rotation (degenerate modes, MDS coordinates)."""
    left, _, right = np.linalg.svd(source.T @ target)
    return left @ right


def _aligned_within(basis: np.ndarray, reference: np.ndarray, groups) -> np.ndarray:
    """``basis`` with the columns of each group rotated onto ``reference`` (Procrustes)."""
    aligned = basis.copy()
    for group in groups:
        aligned[:, group] = basis[:, group] @ _rotation_onto(basis[:, group], reference[:, group])
    return aligned


def _nearest(t, times) -> np.ndarray:
    """Indices of the entries of ``t`` nearest to each of ``times``."""
    return np.abs(np.asarray(t)[None, :] - np.atleast_1d(times)[:, None]).argmin(axis=1)


def _embeddings(grams, reference_grams):
    """Classical MDS of simulated Gram matrices in the plane of their references' MDS.

    Both are embedded in all P dimensions (`semjax.analysis.mds_embedding`), each simulated
    configuration is rotated onto its reference (Procrustes, so nearly degenerate modes that
    the two order differently still line up), and the first two reference axes are returned.
    """
    n_items = np.shape(grams)[-1]
    coordinates = analysis.mds_embedding(np.asarray(grams), n_items)
    references = analysis.mds_embedding(np.asarray(reference_grams), n_items)
    rotated = [c @ _rotation_onto(c, r) for c, r in zip(coordinates, references)]
    return [c[:, :2] for c in rotated], references[..., :2]


def _mds_panels(axes, run, closed_form, times, titles, *, run_label: str, **options) -> None:
    """One panel per time: MDS of the hidden representations of the run's first seed (markers,
    `semjax.plotting.plot_embedding` with ``options``) and of the closed form (crosses)."""
    simulated, predicted = _embeddings(
        analysis.representational_similarity(run)[0, _nearest(run.t, times)],
        analysis.representational_similarity(closed_form)[_nearest(closed_form.t, times)])
    for ax, points, reference, title in zip(axes, simulated, predicted, titles):
        plotting.plot_embedding(ax, points, label=run_label, **options)
        ax.plot(*reference.T, linestyle="none", marker="x", color="black", markersize=5,
                label=r"theory $VA(t)V^T$")
        ax.set(xlabel="MDS 1", ylabel="MDS 2")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, loc="best")


def hierarchy(out_dir, *, quick: bool = False) -> Path:
    """Hierarchical branching diffusion (docs/theory.md §6 D, §4.5, §5.1): a binary tree of depth 3
    (8 items), ±1 features that flip with probability ε = 0.1 per edge.

    Panels: (a) the sampled item × feature matrix; (b) the Haar-like object analyzers of the
    tree (`semjax.theory.hierarchy_modes`); (c) the data's object analyzers V, rotated within
    each level's (nearly) degenerate subspace onto (b); (d) singular values per level, analytic
    E[YᵀY] = N_f M (line) vs sampled datasets (markers: median, 10–90 % over samples); (e) mode
    strengths of simulated 8→16→N_f nets (small Gaussian starts) vs the closed form, coloured
    by mode; (f–h) progressive differentiation: MDS of the learned hidden representations
    h^i(t) of one simulated net (filled markers, coloured by level-1 category) and of the
    closed form V A(t) Vᵀ (crosses) after the coarsest split, after level 1, and at the end.
    """
    branching, depth, flip = 2, 3, 0.1
    n_features = 100 if quick else 400
    sample = datasets.branching_diffusion(jax.random.key(0), branching=branching, depth=depth,
                                          n_features=n_features, flip=flip)
    task = Task.from_dataset(sample)
    _, s, V = task.modes
    items = task.checked.item_names
    levels = analysis.hierarchy_levels_of_modes(task, branching, depth)
    level_names = {-1: "root", **{k: f"level {k}" for k in range(depth)}}
    haar = theory.hierarchy_modes(branching, depth)
    haar_levels = theory.hierarchy_spectrum(branching, depth, flip).column_levels()
    groups = [np.flatnonzero(levels == level) for level in np.unique(levels)]
    fig = plt.figure(figsize=(18, 8.5))
    grid = fig.add_gridspec(2, 4)
    top = [fig.add_subplot(grid[0, k]) for k in range(4)]
    shown = min(n_features, 60)
    plotting.plot_heatmap(top[0], sample.targets[:shown], col_labels=items,
                          title=f"(a) sampled features (red +1, blue −1; first {shown} of "
                                f"{n_features})")
    top[0].set_ylabel("feature")
    mode_labels = [f"{k + 1}: {level_names[int(level)]}" for k, level in enumerate(haar_levels)]
    plotting.plot_heatmap(top[1], haar, row_labels=items, col_labels=mode_labels,
                          title="(b) Haar object analyzers (theory)", annotate=True)
    distance = analysis.object_analyzer_distance(task, haar, 4)
    plotting.plot_heatmap(top[2], _aligned_within(V, haar, groups), row_labels=items,
                          col_labels=[f"{k + 1}: {level_names[int(level)]}"
                                      for k, level in enumerate(levels)], annotate=True,
                          title=f"(c) data object analyzers V (rotated within levels)\n"
                                f"top-4 projector distance to Haar: {distance:.2f}")
    n_samples = 4 if quick else 32
    keys = jax.random.split(jax.random.key(1), n_samples)
    analytic = theory.hierarchy_singular_values(branching, depth, flip, n_features)
    unique_levels = np.arange(-1, depth)
    top[3].plot(unique_levels, analytic, color=plotting.mode_color(0), marker="_",
                markersize=14, label=r"analytic $\sqrt{N_f\lambda_\ell}/P$")
    for k, sample_key in enumerate(keys):
        drawn = Task.from_dataset(datasets.branching_diffusion(
            sample_key, branching=branching, depth=depth, n_features=n_features, flip=flip))
        drawn_levels = analysis.hierarchy_levels_of_modes(drawn, branching, depth)
        jitter = np.linspace(-0.15, 0.15, len(drawn_levels))
        top[3].plot(drawn_levels + jitter, drawn.modes.s, linestyle="none", marker="o",
                    markersize=3, alpha=0.35, color=plotting.mode_color(1),
                    label="sampled datasets (one marker per mode)" if k == 0 else None)
    top[3].set(xticks=unique_levels, xticklabels=[level_names[k] for k in unique_levels],
               xlabel=r"hierarchy level $\ell$", ylabel=r"singular value $s$ of $\Sigma^{yx}$")
    top[3].set_title(f"(d) singular values by level ({n_samples} samples, jittered)",
                     fontsize=9)
    top[3].legend(fontsize=8)

    run, closed_form = _random_start(task, hidden=16, t_max=6.0, dt=0.01,
                                     n_seeds=4 if quick else 16, key=5, init_scale=1e-2,
                                     record=("modes", "hidden_gram"), record_every=5,
                                     theory_record=("modes", "hidden_gram"))
    bottom = [fig.add_subplot(grid[1, k]) for k in range(4)]
    plotting.plot_mode_strengths(bottom[0], run, names=[
        f"sim $a_{k + 1}$ ({level_names[int(level)]})" for k, level in enumerate(levels)])
    plotting.plot_curves(bottom[0], closed_form.t, closed_form.modes,
                         label=r"theory $a(t; s, a_0^{\rm eff})$")
    times = np.append(_snapshot_times(closed_form, s, after=(2, 4)), closed_form.t[-1])
    plotting.mark_times(bottom[0], times, [f"t{k + 1}" for k in range(len(times))])
    bottom[0].set_ylim(top=1.45 * s.max())  # headroom for the legend
    bottom[0].legend(fontsize=6.5, ncol=3, loc="upper right", bbox_to_anchor=(1, 0.94))
    bottom[0].set_title(f"(e) mode strengths, {run.batch_shape[0]} Gaussian starts σ = 1e-2",
                        fontsize=9)
    _mds_panels(bottom[1:], run, closed_form, times,
                [f"({'fgh'[k]}) MDS of hidden representations, t{k + 1} = {time:.1f} τ"
                 for k, time in enumerate(times)], run_label="simulated net (seed 0)",
                names=items, colors=[plotting.mode_color(i // 2) for i in range(len(items))])
    return _finish(fig, out_dir, "hierarchy",
                   f"Hierarchical branching diffusion (B = {branching}, D = {depth}, ε = {flip}, "
                   f"N_f = {n_features}, Σyx = Y/{len(items)}): Haar-like modes learned level by "
                   "level")


# ---------------------------------------------------------------------- illusory correlations


def _distinct(ranked, count: int, rtol: float = 0.1) -> list:
    """The first ``count`` ranked illusions whose sizes differ by more than ``rtol`` from every
    one already taken (one representative of each symmetry class)."""
    chosen = []
    for illusion in ranked:
        if all(abs(illusion.size - other.size) > rtol * other.size for other in chosen):
            chosen.append(illusion)
    return chosen[:count]


def _illusion_panel(ax, runs, illusion, found, task: Task) -> None:
    """ŷ_m^i(t) of one illusion: closed form (lines) and simulation (markers, band) for each
    (run, closed form, label) in ``runs``, and the target."""
    m = task.checked.property_names.index(illusion.property)
    i = task.checked.item_names.index(illusion.item)
    for k, (run, closed_form, label) in enumerate(runs):
        plotting.plot_theory_and_runs(
            ax, closed_form.t, np.asarray(closed_form.product)[:, m, i], run.t,
            np.asarray(run.product)[:, :, m, i], color=plotting.mode_color(k),
            marker=plotting.mode_marker(k), linestyle=plotting.MODE_LINESTYLES[k], label=label)
    ax.axhline(found.final[m, i], color="black", linewidth=0.8, linestyle=":",
               label=f"target y = {found.final[m, i]:.0f}")
    ax.set(xlabel=r"$t/\tau$", ylabel=f"prediction ŷ: {illusion.item} → {illusion.property}")
    ax.legend(fontsize=7, loc="upper right")


def illusions(out_dir, *, quick: bool = False) -> Path:
    """Illusory correlations (docs/theory.md §6 E, §5.3).

    The prediction ŷ_m^i(t) = Σ_α a_α(t) u^α_m v^α_i of a property m that item i lacks rises
    while the coarse modes that carry the category's typical value are learned and falls when
    the finer mode that corrects it arrives: deep nets show transient illusions (e.g. "canary
    can swim"), shallow nets approach every target monotonically. Panels: the three strongest
    illusion classes of deep 4→16→7 nets on the four-item environment (ranked by
    `semjax.analysis.illusory_correlations`; symmetric twins such as "salmon can fly" behave
    alike) and the strongest on the Rumelhart environment (a plant attribute given to another
    plant), deep and shallow, closed form (lines) vs simulation (markers: median, band: 10–90 %
    over seeds); the deep mode strengths a_α(t)/s_α that drive them; and the size of the
    illusion of every item × property pair of the four-item nets.
    """
    n_seeds = 4 if quick else 32
    panels = []
    for task, t_max, dt in ((_seed_task(), 6.0, 0.01),
                            (_rumelhart_task(), 30.0 if quick else 50.0, 0.02)):
        common = dict(t_max=t_max, dt=dt, n_seeds=n_seeds, key=6, init_scale=1e-2,
                      record=("modes", "product"), record_every=5,
                      theory_record=("modes", "product"))
        deep, deep_theory = _random_start(task, hidden=16, **common)
        shallow, shallow_theory = _random_start(task, hidden=None, depth=1, **common)
        panels.append((task, ((deep, deep_theory, "deep"), (shallow, shallow_theory, "shallow")),
                       analysis.illusory_correlations(deep, task),
                       analysis.illusory_correlations(shallow, task)))
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6))
    (task, runs, found, shallow_found), (big_task, big_runs, big_found, _) = panels
    chosen = [(task, runs, found, illusion) for illusion in _distinct(found.ranked, 3)]
    chosen.append((big_task, big_runs, big_found, big_found.ranked[0]))
    for ax, (on, pair, result, illusion) in zip(axes.flat, chosen):
        _illusion_panel(ax, pair, illusion, result, on)
        where = "four items" if on is task else "Rumelhart, Σyx = Y/8"
        ax.set_title(f"{illusion.item} → {illusion.property} ({where}): illusion "
                     f"{illusion.size:.2f} at t = {illusion.time:.1f} τ", fontsize=10)
    modes = axes[1, 1]
    deep, deep_theory = runs[0][:2]
    s = task.modes.s
    plotting.plot_mode_strengths(modes, dataclasses.replace(deep, modes=deep.modes / s),
                                 names=[f"sim $a_{k + 1}/s_{k + 1}$, s={v:.2f}"
                                        for k, v in enumerate(s)])
    plotting.plot_curves(modes, deep_theory.t, deep_theory.modes / s,
                         label=r"theory $a(t; s, a_0^{\rm eff})/s$")
    modes.set_ylabel(r"fraction learned $a_\alpha(t)/s_\alpha$ (deep)")
    modes.set_title("Four items, deep: coarse modes first (all, animal/plant),\nthen the "
                    "within-pair modes", fontsize=10)
    modes.legend(fontsize=7, loc="lower right")
    plotting.plot_heatmap(axes[1, 2], np.median(found.size, axis=0),
                          row_labels=task.checked.property_names,
                          col_labels=task.checked.item_names, annotate=True, colorbar=True,
                          cmap="Reds", vmin=0, rotate_columns=False, fontsize=8,
                          title="four items, deep: illusion size (median over seeds)\n"
                                f"shallow nets: largest {np.max(shallow_found.size):.2g}")
    return _finish(fig, out_dir, "illusions",
                   "Illusory correlations: transient false attributions in deep nets, none in "
                   f"shallow ones; {n_seeds} Gaussian starts σ = 1e-2 per net")


# ------------------------------------------------------------------------------ typicality

TYPICALITY_PANELS = ((1, ("oak", "pine", "rose", "daisy"), "plants in the animal/plant mode"),
                     (2, ("canary", "robin"), "birds in the bird/fish mode"),
                     (3, ("pine", "oak"), "trees in the tree/flower mode"))


def typicality(out_dir, *, quick: bool = False) -> Path:
    """Item typicality on the Rumelhart environment (docs/theory.md §6 F, §5.4), Σyx = Y/8.

    An item's typicality for the category of mode α is its object-analyzer entry v^α_i, which
    equals the projection of its properties on the category prototype u_α, u_αᵀy^i/(P s_α).
    Its category response u_αᵀŷ^i(t) = (a_α(t)/d) v^α_i grows with the mode, so more typical
    items cross a threshold θ earlier. Panels: (a) v^α_i of the category modes α = 2, 3, 4;
    (b–d) category responses of the members of one category, closed form from a0_eff (lines)
    vs simulated 8→16→36 nets from small Gaussian starts (markers: median, band: 10–90 %),
    with θ (dashed) and each item's median crossing time (dotted,
    `semjax.analysis.category_response_times`); (e) the
    crossing time against |v^α_i|: the closed-form time at which (a_α/d)|v| = θ (lines) and the
    simulated items (markers); (f) v^α_i from the SVD vs the projection u_αᵀy^i/(P s_α).
    """
    task = _rumelhart_task()
    U, s, V = task.modes
    items = task.checked.item_names
    d = theory.shared_basis_eigenvalues(task)
    run, closed_form = _random_start(task, hidden=16, t_max=15.0 if quick else 20.0, dt=0.02,
                                     n_seeds=4 if quick else 32, key=7, init_scale=1e-2,
                                     record=("modes", "product"), record_every=5,
                                     theory_record=("modes", "product"))
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6))
    modes = [mode for mode, _, _ in TYPICALITY_PANELS]
    plotting.plot_bars(axes[0, 0], np.stack([V[:, mode] for mode in modes]), names=items,
                       group_labels=[rf"$v^{{{m + 1}}}_i$ ({name.split(' the ')[1]})"
                                     for m, (_, _, name) in zip(modes, TYPICALITY_PANELS)])
    axes[0, 0].set(ylabel=r"object-analyzer entry $v^\alpha_i$ (typicality)")
    axes[0, 0].set_title("(a) typicality = object-analyzer entries", fontsize=10)
    axes[0, 0].set_ylim(-0.65, 0.95)
    axes[0, 0].legend(fontsize=7, ncol=2, loc="upper right")
    timing = axes[1, 1]
    v_grid = np.linspace(0.3, 0.6, 100)
    for panel, (ax, (mode, members, name)) in enumerate(zip([axes[0, 1], axes[0, 2],
                                                              axes[1, 0]], TYPICALITY_PANELS)):
        member_index = [items.index(item) for item in members]
        final = U[:, mode] @ task.target_map @ task.checked.inputs[:, member_index]
        threshold = 0.5 * np.abs(final).min()
        sign = np.sign(final)
        theory_response = np.einsum("m,tmi->ti", U[:, mode],
                                    np.asarray(closed_form.product)[:, :, member_index]) * sign
        run_response = np.einsum("m,rtmi->rti", U[:, mode],
                                 np.asarray(run.product)[..., member_index]) * sign
        crossing = analysis.category_response_times(run, task, mode, threshold, members)
        for k, item in enumerate(members):
            plotting.plot_theory_and_runs(ax, closed_form.t, theory_response[:, k], run.t,
                                          run_response[:, :, k], color=plotting.mode_color(k),
                                          marker=plotting.mode_marker(k),
                                          separate_labels=False,
                                          label=f"{item}, |v|={abs(V[member_index[k], mode]):.2f}")
            ax.axvline(np.median(crossing[:, k]), color=plotting.mode_color(k), linewidth=0.8,
                       linestyle=":")
        ax.axhline(threshold, color="black", linewidth=0.8, linestyle="--",
                   label=f"threshold θ = {threshold:.2f}")
        ax.set(xlabel=r"$t/\tau$",
               ylabel=rf"category response $\pm u_{{{mode + 1}}}^T\hat y^i(t)$")
        ax.set_title(f"({'bcd'[panel]}) {name}, α = {mode + 1}", fontsize=10)
        plotting.add_style_legend(ax, fontsize=7, loc="lower right")
        start = np.asarray(closed_form.modes)[0, mode]
        timing.plot(v_grid, theory.transition_time(s[mode], start, d[mode] * threshold / v_grid),
                    color=plotting.mode_color(panel), label=f"α = {mode + 1} (theory)")
        plotting.plot_points(timing, np.abs(V[member_index, mode]), crossing,
                             color=plotting.mode_color(panel), marker=plotting.mode_marker(panel),
                             label=f"α = {mode + 1}: {', '.join(members)} (simulation)")
    timing.set(xlabel=r"typicality $|v^\alpha_i|$", ylabel=r"time to reach θ, $t/\tau$")
    timing.set_title("(e) response time falls with typicality", fontsize=10)
    timing.legend(fontsize=6.5)
    identity = axes[1, 2]
    targets = task.checked.sigma_yx / task.input_scale  # Y: one-hot items, Σyx = Y/P
    projection = U.T @ targets / (len(items) * s[:, None])
    for mode in range(4):
        identity.plot(projection[mode], V[:, mode], linestyle="none",
                      marker=plotting.mode_marker(mode), color=plotting.mode_color(mode),
                      label=f"α = {mode + 1}")
    identity.plot([-0.6, 0.6], [-0.6, 0.6], color="black", linewidth=0.8, label="identity")
    identity.set(xlabel=r"prototype projection $u_\alpha^T y^i / (P s_\alpha)$",
                 ylabel=r"object-analyzer entry $v^\alpha_i$ (SVD)")
    identity.set_title("(f) typicality = projection on the prototype", fontsize=10)
    identity.legend(fontsize=7)
    return _finish(fig, out_dir, "typicality",
                   "Typicality (Rumelhart environment, Σyx = Y/8): larger object-analyzer "
                   f"entries, faster category responses; {run.batch_shape[0]} Gaussian starts "
                   "σ = 1e-2")


# ---------------------------------------------------------------------- category coherence


def coherence(out_dir, *, quick: bool = False) -> Path:
    """Category coherence (docs/theory.md §6 G, §5.5): a category of K items sharing K features
    (a block of ones) in an N × N item-feature matrix of Gaussian noise of variance σ² = 1,
    N = 32, Σyx = Y/N (mean convention).

    The category is learnable (its mode leaves the noise bulk) iff the coherence
    C = K_oK_f/sqrt(N_oN_f) exceeds σ², and then its singular value follows the rank-one BBP
    formula s = sqrt((θ² + σ²N_f)(θ² + σ²N_o))/θ/N with θ² = K_oK_f; a deep mode is learned at
    t½ = (τ/2s) ln(s/a0 − 1), so more coherent categories are learned sooner. Panels, against
    C (log axis), with the threshold C = σ² as a vertical line: (a) the category mode's
    singular value, BBP prediction and bulk edge (lines) vs sampled datasets (markers: median,
    10–90 % over samples); (b) the overlap of its object analyzer with the category indicator,
    predicted vs sampled; (c) its half-time in simulated 32→32→32 nets from small Gaussian
    starts (markers: median over datasets and seeds) vs t½ from the BBP s and the median
    effective a0 (line). Read-out: `semjax.analysis.category_coherence`.
    """
    size, noise = 32, 1.0
    sizes = (2, 4, 6, 10, 16) if quick else (2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 22)
    n_samples = 2 if quick else 6
    measured = {name: np.full((n_samples, len(sizes)), np.nan)
                for name in ("s", "overlap", "half_time", "a0")}
    for column, k in enumerate(sizes):
        for row in range(n_samples):
            task = Task.from_dataset(datasets.coherent_category(
                jax.random.fold_in(jax.random.key(8), 100 * k + row), n_items=size,
                n_features=size, category_items=k, category_features=k, noise_variance=noise))
            run, closed_form = _random_start(task, hidden=size, t_max=30.0 if quick else 40.0,
                                             dt=0.05, n_seeds=2 if quick else 8, key=row,
                                             init_scale=1e-2, record_every=4)
            mode, _ = analysis.category_mode(task, k)
            result = analysis.category_coherence(task, category_items=k, category_features=k,
                                                 noise_variance=noise, trajectory=run)
            measured["s"][row, column] = result.measured_singular_value
            measured["overlap"][row, column] = result.overlap
            with warnings.catch_warnings():  # all seeds may miss s/2 below threshold
                warnings.simplefilter("ignore", RuntimeWarning)
                measured["half_time"][row, column] = np.nanmedian(result.measured_half_time)
            measured["a0"][row, column] = np.asarray(closed_form.modes)[0, mode]
    grid = np.arange(1, size + 1)
    c_grid = np.array([theory.coherence(k, k, size, size) for k in grid])
    c_points = np.array([theory.coherence(k, k, size, size) for k in sizes])
    s_predicted = np.array([theory.category_singular_value(k, k, size, size, noise)
                            for k in grid]) / size
    overlap_predicted = [analysis.category_coherence(  # the prediction does not use the draw
        datasets.coherent_category(jax.random.key(0), n_items=size, n_features=size,
                                   category_items=k, category_features=k,
                                   noise_variance=noise),
        category_items=k, category_features=k, noise_variance=noise).predicted_overlap
        for k in grid]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    axes[0].plot(c_grid, s_predicted, color=plotting.mode_color(0),
                 label="BBP prediction (theory)")
    axes[0].axhline(theory.noise_bulk_edge(size, size, noise) / size, color="0.4", linestyle="--",
                    label=r"bulk edge $\sigma(\sqrt{N_f}+\sqrt{N_o})/N_o$")
    plotting.plot_points(axes[0], c_points, measured["s"], color=plotting.mode_color(0),
                         label="sampled datasets (category mode)")
    axes[0].set_ylabel(r"singular value $s$ of $\Sigma^{yx}$")
    axes[0].set_title("(a) the category's singular value", fontsize=10)
    axes[1].plot(c_grid, overlap_predicted, color=plotting.mode_color(1),
                 label="BBP prediction (theory)")
    plotting.plot_points(axes[1], c_points, measured["overlap"], color=plotting.mode_color(1),
                         marker="s", label="sampled datasets")
    axes[1].set_ylabel(r"overlap $|v^T e|$ with the category indicator")
    axes[1].set_title("(b) how well the object analyzer finds the category", fontsize=10)
    a0 = np.nanmedian(measured["a0"])
    axes[2].plot(c_grid, theory.half_time(s_predicted, a0), color=plotting.mode_color(2),
                 label=r"$t_{1/2}$ from BBP $s$ and $a_0^{\rm eff}$ (theory)")
    plotting.plot_points(axes[2], c_points, measured["half_time"],
                         color=plotting.mode_color(2), marker="^",
                         label="simulated nets (median over datasets)")
    axes[2].set_ylabel(r"half-time of the category mode $t_{1/2}/\tau$")
    axes[2].set_title("(c) coherent categories are learned sooner", fontsize=10)
    for ax in axes:
        ax.axvline(theory.coherence_threshold(noise), color="black", linestyle=":",
                   label=r"threshold $C = \sigma^2$")
        ax.set_xscale("log")
        ax.set_xlabel(r"coherence $C = K_oK_f/\sqrt{N_oN_f}$")
        ax.legend(fontsize=7)
    return _finish(fig, out_dir, "coherence",
                   f"Category coherence: a K×K block of ones in {size}×{size} Gaussian noise "
                   f"(σ² = {noise:g}, K = K_o = K_f), Σyx = Y/{size}; {n_samples} datasets per K")


# -------------------------------------------------------------------- inductive projection


def inductive_projection(out_dir, *, quick: bool = False) -> Path:
    """Inductive projection across development on the Rumelhart environment (docs/theory.md §6 H,
    §5.7), Σyx = Y/8.

    A novel property taught for one item (a new output row trained on that item, the rest of
    the network frozen at time t) generalises to item j as ŷ^j = (V A(t) Vᵀ)_ji/(V A(t) Vᵀ)_ii;
    a novel item seen with one property m (a new input column trained on it) gets the
    properties ŷ_n ∝ (W2W2ᵀ)_nm = Σ_α a_α(t) u^α_n u^α_m. Early in learning only coarse modes
    are active, so projection is broad; later it narrows. Panels: (a) the novel property of
    the canary over the items at an early, a middle and a late time: predicted from the closed
    form (bars, `novel_property_projection`) and learned by simulated 8→16→36 nets from small
    Gaussian starts (markers: median and 10–90 % over seeds, `learn_novel_property`);
    (b) its projection onto four items over time, predicted (lines) vs learned (markers);
    (c) a novel item that "has wings": its predicted (bars, `novel_item_projection`) and
    learned (markers, `learn_novel_item`) properties, for the properties it ever gets above
    0.15 in magnitude.
    """
    task = _rumelhart_task()
    s = task.modes.s
    items = task.checked.item_names
    run, closed_form = _random_start(task, hidden=16, t_max=30.0 if quick else 45.0, dt=0.02,
                                     n_seeds=4 if quick else 32, key=9, init_scale=1e-2,
                                     record=("modes", "weights"), record_every=25,
                                     theory_record=("modes", "hidden_gram"))
    times = np.append(_snapshot_times(closed_form, s, after=(1, 4)), closed_form.t[-1])
    stage_labels = [f"{stage}, t = {time:.1f} τ"
                    for stage, time in zip(("early", "middle", "late"), times)]
    taught_item, observed = "canary", "has wings"
    fig = plt.figure(figsize=(17, 9))
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.2])
    bars, course, novel_item = (fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]),
                                fig.add_subplot(grid[1, :]))
    for ax, predicted, learned, names in (
            (bars, analysis.novel_property_projection(closed_form, task, taught_item,
                                                      times=times),
             analysis.learn_novel_property(run, task, taught_item, times=times), items),
            (novel_item, analysis.novel_item_projection(closed_form, task, observed,
                                                        times=times, from_modes=True),
             analysis.learn_novel_item(run, task, observed, times=times), None)):
        shown = (np.flatnonzero(np.abs(predicted.values).max(axis=0) > 0.15) if names is None
                 else np.arange(len(names)))
        plotting.plot_bars(ax, predicted.values[:, shown],
                           names=[predicted.names[k] for k in shown],
                           group_labels=[f"predicted, {label}" for label in stage_labels])
        positions = plotting.bar_positions(len(times), len(shown))
        for k, label in enumerate(stage_labels):
            plotting.plot_points(ax, positions[k], learned.values[:, k, shown],
                                 color=plotting.mode_color(k), marker=plotting.mode_marker(k),
                                 label=f"learned, {label}")
        ax.legend(fontsize=7, ncol=2)
    bars.set_ylabel(rf"generalisation $\hat y^j$ of a novel property of the {taught_item}")
    bars.set_title(f"(a) novel property taught for the {taught_item}: broad → narrow",
                   fontsize=10)
    novel_item.set_ylabel(rf"property $\hat y_n$ of a novel item that '{observed}'")
    novel_item.set_title(f"(c) novel item observed to '{observed}': its inferred properties "
                         "(those above 0.15 at some time)", fontsize=10)
    predicted = analysis.novel_property_projection(closed_form, task, taught_item)
    learned = analysis.learn_novel_property(run, task, taught_item)
    for k, item in enumerate(("robin", "salmon", "oak", "rose")):
        j = items.index(item)
        plotting.plot_theory_and_runs(course, predicted.t, predicted.values[:, j], learned.t,
                                      learned.values[:, :, j], color=plotting.mode_color(k),
                                      marker=plotting.mode_marker(k), label=item,
                                      separate_labels=False)
    plotting.mark_times(course, times, ["early", "middle", "late"])
    course.set_xlim(-1, 1.1 * times[-1])
    course.set(xlabel=r"$t/\tau$ (time the property is taught)",
               ylabel=f"generalisation of the {taught_item}'s property")
    course.set_title("(b) projection onto other items over development", fontsize=10)
    plotting.add_style_legend(course, theory="predicted (lines)", simulation="learned (markers)",
                              fontsize=8, loc="lower right", ncol=2)
    return _finish(fig, out_dir, "inductive_projection",
                   "Inductive projection (Rumelhart environment, Σyx = Y/8): predicted from the "
                   f"closed form vs learned on {run.batch_shape[0]} simulated nets (Gaussian "
                   "starts σ = 1e-2)")


# --------------------------------------------------------------------------------------- RSA


def rsa(out_dir, *, quick: bool = False) -> Path:
    """Representational similarity over development and its invariance across networks
    (docs/theory.md §6 I, §5.8), Rumelhart environment, Σyx = Y/8.

    For one-hot items the hidden RSM is h^iᵀh^j = (W1ᵀW1)_ij = (V A(t) Vᵀ)_ij (two layers,
    mean convention: A → A/d), whatever the hidden units' basis and number, so networks of
    different widths started small share their RSM trajectory; from λ-balanced starts the final
    RSM depends on λ. Rows: the closed form V A(t) Vᵀ (from the median effective a0) and one
    simulated net of hidden width 16 and one of width 64 (small Gaussian starts σ = 4e-3 and
    2e-3, which give both the same effective a0 ∝ N2σ²), at four times. Right: the relative
    difference ‖G_a(t) − G_b(t)‖_F / max_t ‖G‖_F (`semjax.analysis.rsa_invariance`) between
    the two widths and between width 16 and the closed form (markers: median, band: 10–90 %
    over seed pairs), and for contrast between width 16 and λ-balanced starts (λ = 2, product
    1e-3), with the predicted final difference ‖V S₁²Vᵀ − V S Vᵀ‖_F/‖V S Vᵀ‖_F
    (`lambda_balanced_final_rsm` vs `min_norm_rsm`, dashed line).
    """
    task = _rumelhart_task()
    s = task.modes.s
    items = task.checked.item_names
    lam = 2.0
    common = dict(t_max=40.0 if quick else 60.0, dt=0.02, n_seeds=4 if quick else 16, key=10,
                  record=("modes", "hidden_gram"), record_every=10,
                  theory_record=("modes", "hidden_gram"))
    # σ ∝ 1/sqrt(width) gives both widths the same effective initial strength a0_eff ∝ N2 σ²
    narrow, closed_form = _random_start(task, hidden=16, init_scale=4e-3, **common)
    wide, _ = _random_start(task, hidden=64, init_scale=2e-3, **common)
    lambda_run = simulate(task, hidden=16, init="lambda_balanced", init_scale=1e-3, lam=lam,
                          kernel="reference", record=("hidden_gram",),
                          **{k: v for k, v in common.items()
                             if k not in ("theory_record", "record")})
    on_grid = theory.trajectory(task, narrow.t, np.asarray(closed_form.info["a0"]),
                                record=("hidden_gram",))
    times = np.append(_snapshot_times(closed_form, s, after=(1, 2, 4)), closed_form.t[-1])
    final = analysis.min_norm_rsm(task)
    vmax = np.abs(final).max()
    fig = plt.figure(figsize=(17, 8.8))
    grid = fig.add_gridspec(3, 6, width_ratios=[1, 1, 1, 1, 0.12, 2.2])
    rows = (("closed form $VA(t)V^T$", analysis.representational_similarity(on_grid)),
            ("simulated, hidden width 16", analysis.representational_similarity(narrow)[0]),
            ("simulated, hidden width 64", analysis.representational_similarity(wide)[0]))
    for r, (name, rsms) in enumerate(rows):
        for c, (k, time) in enumerate(zip(_nearest(narrow.t, times), times)):
            ax = fig.add_subplot(grid[r, c])
            plotting.plot_heatmap(ax, rsms[k], row_labels=items if c == 0 else None,
                                  col_labels=items if r == 2 else None, vmax=vmax,
                                  title=f"t = {time:.1f} τ" if r == 0 else None)
            ax.set_aspect("equal")
            if c == 0:
                ax.set_ylabel(name, fontsize=9)
    colorbar = fig.colorbar(ax.images[0], cax=fig.add_subplot(grid[1, 4]))
    colorbar.set_label(r"similarity $h^{iT}h^j$", fontsize=8)
    curves = fig.add_subplot(grid[:, 5])
    for k, (other, label) in enumerate(((wide, "width 16 vs width 64"),
                                        (on_grid, "width 16 vs closed form"),
                                        (lambda_run, f"width 16 vs λ-balanced start λ = {lam}"))):
        comparison = analysis.rsa_invariance(narrow, other)
        plotting.plot_runs(curves, comparison.t,
                           plotting.runs_of(comparison.relative_difference, 1),
                           color=plotting.mode_color(k), marker=plotting.mode_marker(k),
                           label=f"{label} (simulation)")
    predicted = np.linalg.norm(analysis.lambda_balanced_final_rsm(task, lam) - final)
    curves.axhline(predicted / np.linalg.norm(final), color=plotting.mode_color(2),
                   linestyle="--", label=f"final difference predicted for λ = {lam} (theory)")
    curves.set(xlabel=r"$t/\tau$",
               ylabel=r"RSM difference $\|G_a(t)-G_b(t)\|_F / \max_t\|G\|_F$")
    curves.set_title("Invariance across widths; λ-balanced starts differ", fontsize=10)
    curves.legend(fontsize=8, loc="center right", bbox_to_anchor=(1, 0.55))
    return _finish(fig, out_dir, "rsa",
                   r"Representational similarity $h^{iT}h^j$ of the Rumelhart items over "
                   f"development (Σyx = Y/8; {narrow.batch_shape[0]} seeds per network, small "
                   "Gaussian starts)")


# -------------------------------------------------------------------------- structural forms

FORM_SIZE = 16
FORM_SIGMA2 = 10.0


def _forms(key, n_features: int) -> list:
    """(name, dataset, predicted basis, predicted K-eigenvalues, graph edges) per form, 16
    items each; the predicted bases are docs/theory.md §5.9's (Fourier, DCT, products, Haar, and
    for clusters the eigenvectors of the exact covariance: indicators, then contrasts)."""
    n = FORM_SIZE
    keys = jax.random.split(key, 5)
    side = int(np.sqrt(n))
    grid_edges = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    grid_edges += [(r * side + c, (r + 1) * side + c) for r in range(side - 1)
                   for c in range(side)]
    forms = []
    sigma2 = FORM_SIGMA2
    for form, data, edges in (
            ("ring", datasets.ring(keys[0], n_items=n, n_features=n_features, sigma2=sigma2),
             [(i, (i + 1) % n) for i in range(n)]),
            ("chain", datasets.chain(keys[1], n_items=n, n_features=n_features, sigma2=sigma2),
             [(i, i + 1) for i in range(n - 1)]),
            ("grid", datasets.grid(keys[2], shape=(side, side), n_features=n_features,
                                   sigma2=sigma2), grid_edges)):
        spectrum = theory.structural_spectrum(form, n, sigma2=sigma2)
        forms.append((form, data, spectrum.eigenvectors, spectrum.eigenvalues, edges))
    depth = int(np.log2(n))
    haar = theory.hierarchy_modes(2, depth)
    covariance = datasets.form_covariance("tree", branching=2, depth=depth, sigma2=sigma2)
    values = np.einsum("ia,ij,ja->a", haar, covariance, haar)
    order = np.argsort(-np.round(values, 12), kind="stable")
    forms.append(("tree", datasets.tree(keys[3], branching=2, depth=depth,
                                        n_features=n_features, sigma2=sigma2),
                  haar[:, order], values[order], [(i, i + 1) for i in range(0, n, 2)]))
    n_clusters = 4
    covariance = datasets.form_covariance("clusters", n_items=n, n_clusters=n_clusters,
                                          sigma2=sigma2)
    values, vectors = np.linalg.eigh(covariance)
    size = n // n_clusters
    forms.append(("clusters", datasets.clusters(keys[4], n_items=n, n_clusters=n_clusters,
                                                n_features=n_features, sigma2=sigma2),
                  vectors[:, ::-1], values[::-1],
                  [(c * size + i, c * size + j) for c in range(n_clusters)
                   for i in range(size) for j in range(i + 1, size)]))
    return forms


def _degenerate_groups(values, count: int, rtol: float = 1e-6) -> list:
    """Index groups of equal values (to ``rtol``) covering the first ``count`` values (the
    last group runs to its end)."""
    groups, start = [], 0
    while start < count:
        stop = start + 1
        while stop < len(values) and abs(values[stop] - values[start]) <= rtol * values[start]:
            stop += 1
        groups.append(np.arange(start, stop))
        start = stop
    return groups


def _gap_below(groups, limit: int, total: int) -> int:
    """The largest end of a group that is ≤ ``limit`` and < ``total`` (a spectral gap at which
    the leading subspace is well defined), at least 1."""
    ends = [int(group[-1]) + 1 for group in groups]
    return max([end for end in ends if end <= limit and end < total] + [1])


def structural_forms(out_dir, *, quick: bool = False) -> Path:
    """Structural forms (docs/theory.md §6 J, §5.9): features smooth on a ring, a chain, a 4×4
    grid, a binary tree (leaves) and four clusters, y ~ N(0, (Δ + I/σ²)^{-1}), σ² = 10, 16
    items each, Σyx = Y/16.

    Rows: (1) the sampled item similarity YᵀY/N_f; (2) the top object analyzers of the data
    (markers, rotated within each predicted degenerate eigenspace onto the prediction) vs the
    predicted bases (lines: Fourier modes, DCT-II modes, products of chain modes, Haar
    wavelets, cluster indicators), stacked, with the projector distance of the top modes
    (`semjax.analysis.object_analyzer_distance`, at a gap of the prediction); (3) the data's
    singular values (markers) vs sqrt(N_f λ_k)/P from the exact covariance (line); (4) MDS of
    the learned hidden representations of one simulated 16→16→N_f net (small Gaussian start)
    once modes 1–3 are learned (markers, joined along the graph's edges: a ring becomes a
    circle, a grid a grid) and of the closed form (crosses).
    """
    n_features = 100 if quick else 1000
    forms = _forms(jax.random.key(11), n_features)
    n_shown = 4
    fig, axes = plt.subplots(4, len(forms), figsize=(20, 15.5))
    for column, (form, data, basis, values, edges) in enumerate(forms):
        task = Task.from_dataset(data)
        _, s, V = task.modes
        similarity, analyzers, spectrum, embedding = axes[:, column]
        plotting.plot_heatmap(similarity, data.targets.T @ data.targets / n_features,
                              title=f"{form}: item similarity $Y^TY/N_f$", colorbar=True)
        similarity.set(xlabel="item", ylabel="item")
        groups = _degenerate_groups(values, n_shown + 1)
        stop = groups[-1][-1] + 1
        aligned = _aligned_within(V[:, :stop], basis[:, :stop], groups)
        gap = _gap_below(groups, n_shown + 1, len(values))
        distance = analysis.object_analyzer_distance(task, basis, gap)
        for k in range(1, n_shown + 1):  # mode 0 is the uniform (or cluster) mode
            offset = -1.2 * (k - 1)
            sign = np.sign(aligned[:, k] @ basis[:, k]) or 1.0
            analyzers.plot(basis[:, k] + offset, color=plotting.mode_color(k),
                           label="predicted" if k == 1 else None)
            analyzers.plot(sign * aligned[:, k] + offset, linestyle="none",
                           marker=plotting.mode_marker(k), markersize=4,
                           color=plotting.mode_color(k), label="data" if k == 1 else None)
        analyzers.set(xlabel="item", ylabel=f"object analyzers $v_2$ … $v_{n_shown + 1}$ "
                                            "(offset)", yticks=[])
        analyzers.set_title(f"{form}: object analyzers; top-{gap} projector distance "
                            f"{distance:.2f}", fontsize=9)
        analyzers.legend(fontsize=7, loc="lower left")
        index = np.arange(1, len(s) + 1)
        spectrum.plot(index, np.sqrt(n_features * values) / FORM_SIZE,
                      color=plotting.mode_color(0), label=r"$\sqrt{N_f\lambda_k}/P$ (theory)")
        spectrum.plot(index, s, linestyle="none", marker="o", markersize=4,
                          color=plotting.mode_color(1), label="sampled data")
        spectrum.set(xlabel="mode k", ylabel=r"singular value $s_k$ of $\Sigma^{yx}$")
        spectrum.set_title(f"{form}: singular values", fontsize=9)
        spectrum.legend(fontsize=7)
        run, closed_form = _random_start(task, hidden=FORM_SIZE, t_max=10.0, dt=0.01,
                                         n_seeds=1, key=column, init_scale=1e-2,
                                         record=("modes", "hidden_gram"), record_every=5,
                                         theory_record=("modes", "hidden_gram"))
        time = _snapshot_times(closed_form, s, after=(3,))[0]
        _mds_panels([embedding], run, closed_form, [time],
                    [f"{form}: MDS of hidden representations, t = {time:.1f} τ"],
                    run_label="simulated net", edges=edges,
                    colors=[plt.get_cmap("viridis")(i / (FORM_SIZE - 1))
                            for i in range(FORM_SIZE)])
    return _finish(fig, out_dir, "structural_forms",
                   f"Structural forms (graph-Gaussian features, σ² = {FORM_SIGMA2:g}, 16 items, "
                   f"N_f = {n_features}, Σyx = Y/16): object analyzers are the graph's "
                   "Laplacian eigenvectors, learned smooth-first", fontsize=12,
                   rect=(0, 0, 1, 0.98))


# ------------------------------------------------------------------------------------ depth


def depth(out_dir, *, quick: bool = False) -> Path:
    """Learning time against depth (docs/theory.md §2.4, §5.10): a single mode s = 1 (Σyx = 1,
    white input) learned by a balanced chain of L weight matrices, τ du/dt = L u^{2−2/L}(s − u).

    Panels: (a) the time from the start to u = s/2 against L, exact (`transition_time`, solid
    lines) for a fixed composite start u0 = 1e-2 (the product of the layers) and for a fixed
    per-layer start a0 = 0.5 (u0 = a0^L, which vanishes exponentially with depth, so learning
    slows dramatically), the large-depth approximation of Saxe et al. 2014 eq. 17 (dashed),
    and simulated aligned chains (markers, `semjax.simulate` with init="aligned"); (b, c) the
    trajectories u(t) for several depths from each start, exact (lines, `mode_strength`) vs
    simulated (markers).
    """
    task = Task(sigma_yx=np.ones((1, 1)))
    s, composite, per_layer = 1.0, 1e-2, 0.5
    depths = (2, 3, 4) if quick else (2, 3, 4, 6, 8, 10)
    grid = np.array([2, 3, 4] if quick else [2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30])
    starts = {"fixed composite start u0 = 1e-2": lambda L: composite,
              f"fixed per-layer start a0 = {per_layer} (u0 = a0^L)": lambda L: per_layer ** L}
    # one compilation per depth instead of one per operation (depth is static)
    transition_time = jax.jit(theory.transition_time, static_argnames=("depth",))
    mode_strength = jax.jit(theory.mode_strength, static_argnames=("depth",))
    exact = np.array([transition_time(s, np.array([start(L) for start in starts.values()]),
                                      s / 2, depth=int(L)) for L in grid]).T
    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    measured = np.full((len(starts), len(depths)), np.nan)
    for j, L in enumerate(depths):
        u0 = np.array([start(L) for start in starts.values()])
        t_end = 2.0 * float(np.max(transition_time(s, u0, s / 2, depth=L))) + 1.0
        dt = min(0.02, 0.1 / L)
        run = simulate(task, hidden=2, depth=L, t_max=t_end, dt=dt, init="aligned",
                       init_scale=u0, record=("modes",), kernel="reference",
                       record_every=max(1, int(t_end / dt / 300)))
        measured[:, j] = analysis.crossing_times(run, np.array([s]))[:, 0, 0]
        t = np.linspace(0, run.t[-1], 300)
        curves = np.asarray(mode_strength(t[:, None], s, u0, depth=L))
        for k, ax in enumerate(axes[1:]):
            plotting.plot_theory_and_runs(ax, t, curves[:, k], run.t, run.modes[k, :, :, 0],
                                          color=plotting.mode_color(j),
                                          marker=plotting.mode_marker(j), label=f"L = {L}",
                                          separate_labels=False, n_markers=20)
    for k, (label, start) in enumerate(starts.items()):
        approximate = theory.large_depth_learning_time(s, start(grid), s / 2, depth=grid)
        axes[0].semilogy(grid, exact[k], color=plotting.mode_color(k), label=f"{label}: exact")
        axes[0].semilogy(grid, approximate, color=plotting.mode_color(k), linestyle="--",
                         label="  large-depth approximation (eq. 17)")
        axes[0].semilogy(depths, measured[k], linestyle="none", marker=plotting.mode_marker(k),
                         color=plotting.mode_color(k), label="  simulated aligned chains")
    axes[0].set(xlabel="depth L (number of weight matrices)",
                ylabel=r"time to reach $u = s/2$, $t/\tau$")
    axes[0].set_title("(a) learning time vs depth", fontsize=10)
    axes[0].legend(fontsize=7.5)
    for k, (ax, label) in enumerate(zip(axes[1:], starts)):
        ax.set(xlabel=r"$t/\tau$", ylabel=r"composite mode strength $u(t)$")
        ax.set_title(f"({'bc'[k]}) {label}", fontsize=10)
        plotting.add_style_legend(ax, theory="exact (lines)", simulation="simulated (markers)",
                                  fontsize=7.5, loc="lower right" if k == 0 else "upper left")
    axes[1].set_xlim(0, 2 * np.nanmax(measured[0]))
    axes[2].set_xscale("log")
    return _finish(fig, out_dir, "depth",
                   "Depth: learning a mode s = 1 with a balanced chain of L weight matrices, "
                   "τ du/dt = L u^(2−2/L) (s − u)")


def nonlinear_hierarchy(out_dir, *, quick: bool = False) -> Path:
    """Progressive differentiation is not a linear artefact (Saxe et al. 2019, SI): linear,
    tanh and ReLU 8→32→N_f nets (small Gaussian starts, 32 seeds) on the branching-diffusion
    hierarchy (B = 2, D = 3, ε = 0.1). (a–c) Mode strengths on the task's fixed modes,
    a_α = u_αᵀ (c f(X) Xᵀ) v_α, median over seeds, one colour per tree level; the closed form
    (linear theory, effective a0) dashed in every panel. (d) Level half-times (median over the
    level's modes; points: seeds) per network: coarse before fine in every network.
    """
    sample = datasets.branching_diffusion(jax.random.key(0), branching=2, depth=3,
                                          n_features=100 if quick else 400, flip=0.1)
    task = Task.from_dataset(sample)
    levels = analysis.hierarchy_levels_of_modes(task, 2, 3)
    unique = np.unique(levels)
    level_names = ["root", "level 1", "level 2", "level 3"]
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(unique)))
    t_max, n_seeds = (10.0, 4) if quick else (12.0, 32)
    options = dict(hidden=32, t_max=t_max, dt=0.05, record_every=4, init_scale=1e-3,
                   n_seeds=n_seeds, key=0)
    linear, closed = _random_start(task, **options)
    runs = {"linear": linear, **{name: simulate(task, activation=name, init="gaussian",
                                                record=("modes",), **options)
                                 for name in ("tanh", "relu")}}
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6),
                             gridspec_kw={"width_ratios": [1, 1, 1, 0.9]})
    for ax, (name, run) in zip(axes, runs.items()):
        median = np.median(run.modes, axis=0)
        for mode, level in enumerate(levels):
            color = colors[np.searchsorted(unique, level)]
            ax.plot(run.t, median[:, mode], color=color, lw=1.8)
            ax.plot(closed.t, closed.modes[:, mode], color=color, lw=1, ls="--")
        ax.set_title(f"({'abc'[list(runs).index(name)]}) {name} net", fontsize=11)
        ax.set_xlabel(r"$t/\tau$", fontsize=10)
    axes[0].set_ylabel(r"mode strength $a_\alpha$", fontsize=10)
    for position, run in enumerate(runs.values()):
        order = analysis.level_learning_order(run, task, levels)
        for index in range(len(unique)):
            x = position + (index - 1.5) * 0.18
            axes[3].scatter(np.full(n_seeds, x), order.half_times[:, index], s=6,
                            color=colors[index], alpha=0.5)
            axes[3].plot([x - 0.07, x + 0.07], [np.median(order.half_times[:, index])] * 2,
                         color=colors[index], lw=2)
    axes[3].set_xticks(range(3), list(runs))
    axes[3].set_ylabel(r"level half-time $t_{1/2}/\tau$", fontsize=10)
    axes[3].set_title("(d) coarse → fine", fontsize=11)
    handles = [plt.Line2D([], [], color=c, lw=2) for c in colors]
    handles.append(plt.Line2D([], [], color="k", lw=1, ls="--"))
    fig.legend(handles, [*level_names[:len(unique)], "linear theory"], loc="lower center",
               ncol=len(unique) + 1, fontsize=10, frameon=False)
    return _finish(fig, out_dir, "nonlinear_hierarchy",
                   "Linear, tanh and ReLU nets all learn the hierarchy coarse to fine",
                   rect=(0, 0.08, 1, 1))


FIGURES = {
    "seed_deep": seed_deep,
    "seed_shallow": seed_shallow,
    "theory_vs_simulation": theory_vs_simulation,
    "svd_image": svd_image,
    "svd_image_animation": svd_image_animation,
    "svd_four_items": svd_four_items,
    "svd_rumelhart": svd_rumelhart,
    "deep_vs_shallow": deep_vs_shallow,
    "hierarchy": hierarchy,
    "illusions": illusions,
    "typicality": typicality,
    "coherence": coherence,
    "inductive_projection": inductive_projection,
    "rsa": rsa,
    "structural_forms": structural_forms,
    "depth": depth,
    "nonlinear_hierarchy": nonlinear_hierarchy,
    "reversal": reversal,
    "generalisation": generalisation,
}


def make_figures(out_dir="figures", *, names=None, quick: bool = False,
                 progress: bool = True) -> list[Path]:
    """Write the gallery's figures to ``out_dir`` and return their paths.

    Args:
        out_dir: folder for the PNG files (created if missing).
        names: which figures (keys of `FIGURES`); all by default.
        quick: tiny sizes (seconds; for tests), not for publication.
        progress: show a progress bar.

    Raises:
        ValueError: an unknown figure name.
    """
    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure names {unknown}; choose from {sorted(FIGURES)}.")
    os.makedirs(out_dir, exist_ok=True)
    from tqdm.auto import tqdm
    paths = []
    for name in tqdm(names, desc="figures", disable=not progress):
        paths.append(FIGURES[name](out_dir, quick=quick))
    return paths
