"""Category structure on the Rumelhart environment and in noise: typicality (docs/theory.md
§6 F, §5.4) and category coherence (docs/theory.md §6 G, §5.5)."""

from __future__ import annotations

import warnings
from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, analysis, datasets, plotting, theory
from semjax.gallery._common import FONT, _finish, _random_start, _readable, _rumelhart_task

ITEM_COLORS = ("black", "tab:brown", "tab:gray", "tab:olive")  # items, not modes


TYPICALITY_PANELS = ((1, ("oak", "pine", "rose", "daisy"), "plants in the animal/plant mode"),
                     (2, ("canary", "robin"), "birds in the bird/fish mode"),
                     (3, ("pine", "oak"), "trees in the tree/flower mode"))


def typicality(out_dir, *, quick: bool = False) -> Path:
    """Item typicality on the Rumelhart environment (docs/theory.md §6 F, §5.4), Σyx = Y/8.

    An item's typicality for the category of mode α is its object-analyzer entry v^α_i, which
    equals the projection of its properties on the category prototype u_α, u_αᵀy^i/(P s_α).
    Its category response u_αᵀŷ^i(t) = (a_α(t)/d) v^α_i grows with the mode, so more typical
    items cross a threshold θ earlier. Panels: (a) v^α_i of the category modes α = 2, 3, 4;
    (b–d) category responses of the members of one category (`semjax.analysis.category_responses`),
    closed form from a0_eff (lines) vs simulated 8→16→36 nets from small Gaussian starts
    (markers: median, band: 10–90 %), with θ = half the smallest final response (dashed) and
    each item's median crossing time (dotted, `semjax.analysis.category_response_times`); (e) the
    crossing time against |v^α_i|: the closed-form time at which (a_α/d)|v| = θ (lines) and the
    simulated items (markers). Items of nearly equal typicality (rose and daisy, within
    1 %) respond alike: the second is dashed, with staggered markers.
    """
    task = _rumelhart_task()
    _, s, V = task.modes
    items = task.checked.item_names
    d = theory.shared_basis_eigenvalues(task)
    run, closed_form = _random_start(task, hidden=16, t_max=15.0 if quick else 20.0, dt=0.02,
                                     n_seeds=4 if quick else 32, key=7, init_scale=1e-2,
                                     record=("modes", "product"), record_every=5,
                                     theory_record=("modes", "product"))
    modes = [mode for mode, _, _ in TYPICALITY_PANELS]
    with _readable():
        fig, axes = plt.subplot_mosaic([["a", "b"], ["c", "d"], ["e", "e"]], figsize=(10, 13),
                                       layout="constrained")
        bars, timing = axes["a"], axes["e"]
        plotting.plot_bars(bars, np.stack([V[:, mode] for mode in modes]), names=items,
                           colors=[plotting.mode_color(mode) for mode in modes],
                           group_labels=[rf"$v^{{{m + 1}}}_i$ ({name.split(' the ')[1]})"
                                         for m, (_, _, name) in zip(modes, TYPICALITY_PANELS)])
        bars.tick_params(axis="x", labelsize=FONT - 1)
        bars.set(ylabel=r"entry $v^\alpha_i$ (typicality)", ylim=(-0.65, 1.6))
        bars.set_title("(a) object-analyzer entries")
        bars.legend(loc="upper center", fontsize=FONT - 1)  # above the bars (all < 0.6)
        v_grid = np.linspace(0.3, 0.6, 100)
        for ax, (mode, members, name), letter in zip((axes["b"], axes["c"], axes["d"]),
                                                     TYPICALITY_PANELS, "bcd"):
            member_index = [items.index(item) for item in members]
            predicted = analysis.category_responses(closed_form, task, mode, members)
            simulated = analysis.category_responses(run, task, mode, members)
            threshold = 0.5 * predicted.final.min()
            crossing = analysis.category_response_times(run, task, mode, threshold, members)
            typicality = np.abs(V[member_index, mode])
            for k, item in enumerate(members):
                # items of nearly equal typicality (1 %) respond alike: another line style,
                # staggered markers
                twins = np.flatnonzero(np.isclose(typicality, typicality[k], rtol=0.01))
                position = int(np.searchsorted(twins, k))
                plotting.plot_theory_and_runs(
                    ax, closed_form.t, predicted.values[:, k], run.t, simulated.values[:, :, k],
                    color=ITEM_COLORS[k], marker=plotting.mode_marker(k), separate_labels=False,
                    linestyle=plotting.MODE_LINESTYLES[position], stagger=position / len(twins),
                    label=f"{item}, |v| = {typicality[k]:.2f}")
                ax.axvline(np.median(crossing[:, k]), color=ITEM_COLORS[k], linewidth=0.8,
                           linestyle=":")
            ax.axhline(threshold, color="black", linewidth=0.8, linestyle="--",
                       label=f"θ = {threshold:.2f}")
            ax.set(xlabel=r"$t/\tau$", ylabel=rf"response $\pm u_{{{mode + 1}}}^T\hat y^i(t)$")
            ax.set_title(f"({letter}) {name.split(' in the ')[0]}, α = {mode + 1}")
            ax.legend(loc="upper left", fontsize=FONT - 1)  # the sigmoids leave it empty
            start = np.asarray(closed_form.modes)[0, mode]
            timing.plot(v_grid, theory.transition_time(s[mode], start,
                                                       d[mode] * threshold / v_grid),
                        color=plotting.mode_color(mode))
            plotting.plot_points(timing, np.abs(V[member_index, mode]), crossing,
                                 color=plotting.mode_color(mode),
                                 marker=plotting.mode_marker(mode), label=f"α = {mode + 1}")
        timing.set(xlabel=r"typicality $|v^\alpha_i|$", ylabel=r"time to reach θ, $t/\tau$")
        timing.set_title("(e) faster for typical items")
        timing.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0,
                      fontsize=FONT - 1, title="mode")
        fig.legend([plt.Line2D([], [], color="0.3"),
                    plt.Line2D([], [], color="0.3", marker="o", linestyle="none")],
                   ["theory from $a_0^{\\rm eff}$ (lines)",
                    f"{run.batch_shape[0]} simulated nets (markers: median, band 10–90 %; "
                    "dotted: median crossing)"], loc="outside lower center", frameon=False)
        return _finish(fig, out_dir, "typicality",
                       "Typicality (Rumelhart environment, Σyx = Y/8): typical items respond "
                       "sooner", fontsize=FONT + 1)


def coherence(out_dir, *, quick: bool = False) -> Path:
    """Category coherence (docs/theory.md §6 G, §5.5): a category of K items sharing K features
    (a block of ones) in an N × N item-feature matrix of Gaussian noise of variance σ² = 1,
    N = 32, Σyx = Y/N (mean convention).

    The category is learnable (its mode leaves the noise bulk) iff the coherence
    C = K_oK_f/sqrt(N_oN_f) exceeds σ², and then its singular value follows the rank-one BBP
    formula s = sqrt((θ² + σ²N_f)(θ² + σ²N_o))/θ/N with θ² = K_oK_f; a deep mode is learned at
    t½ = (τ/2s) ln(s/a0 − 1), so more coherent categories are learned sooner. Panels, against
    C (log axis), with the threshold C = σ² dotted and the region below it, where no mode
    belongs to the category, shaded (there the mode that best matches the category, a noise
    mode, is drawn hollow and grey, and the theory is not drawn): (a) the category mode's
    singular value, BBP prediction and bulk edge (lines) vs sampled datasets (markers: median,
    10–90 % over samples); (b) the overlap of its object analyzer with the category indicator,
    predicted vs sampled: the sampled medians follow the BBP curve to a few hundredths from
    C ≈ 1.5 on, but just above the threshold (C ≈ 1.1) the finite-size (N = 32) overlap lies
    well above the curve, which falls to 0 at C = σ², and its 10–90 % band leaves the curve out
    (below the threshold the best-matching noise mode overlaps the category by about 0.4–0.5
    by chance); (c) its half-time in simulated 32→32→32 nets from small Gaussian
    starts (markers: median over datasets and seeds) vs t½ from the BBP s and the median
    effective a0 (line). Read-out: `semjax.analysis.category_coherence`.
    """
    size, noise = 32, 1.0
    sizes = (2, 6, 16) if quick else (2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 22)
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
            result = analysis.category_coherence(task, category_items=k, category_features=k,
                                                 noise_variance=noise, trajectory=run)
            measured["s"][row, column] = result.measured_singular_value
            measured["overlap"][row, column] = result.overlap
            with warnings.catch_warnings():  # all seeds may miss s/2 below threshold
                warnings.simplefilter("ignore", RuntimeWarning)
                measured["half_time"][row, column] = np.nanmedian(result.measured_half_time)
            measured["a0"][row, column] = np.asarray(closed_form.modes)[0, result.mode]
    threshold = theory.coherence_threshold(noise)
    edge = theory.noise_bulk_edge(size, size, noise) / size
    # theory above threshold, from the threshold itself (where s meets the bulk edge and the
    # overlap vanishes) up; below it there is no category mode to predict
    above = [k for k in range(1, size + 1) if theory.coherence(k, k, size, size) > threshold]
    c_theory = np.array([threshold] + [theory.coherence(k, k, size, size) for k in above])
    s_theory = np.array([edge] + [theory.category_singular_value(k, k, size, size, noise) / size
                                  for k in above])
    predictions = (s_theory, [0.0] + [theory.category_overlap(k, k, size, size, noise)
                                      for k in above],
                   theory.half_time(s_theory, np.nanmedian(measured["a0"])))
    c_points = np.array([theory.coherence(k, k, size, size) for k in sizes])
    learnable = c_points > threshold
    with _readable():
        fig, axes = plt.subplots(1, 3, figsize=(10, 4.6), layout="constrained")
        for ax, name, prediction, label, title in zip(
                axes, ("s", "overlap", "half_time"), predictions,
                (r"singular value $s$ of $\Sigma^{yx}$", r"overlap $|v^T e|$ with the category",
                 r"half-time $t_{1/2}/\tau$"),
                ("(a) its singular value", "(b) its object analyzer", "(c) its learning time")):
            ax.axvspan(c_points.min() / 1.5, threshold, color="0.85", linewidth=0)
            ax.axvline(threshold, color="black", linestyle=":")
            ax.plot(c_theory, prediction, color="black")
            plotting.plot_points(ax, c_points[learnable], measured[name][:, learnable],
                                 color="black", marker="o")
            if np.any(~learnable):
                with warnings.catch_warnings():  # a noise mode may miss s/2 in every seed
                    warnings.simplefilter("ignore", RuntimeWarning)
                    noise_modes, = plotting.plot_points(ax, c_points[~learnable],
                                                        measured[name][:, ~learnable],
                                                        color="0.45", marker="o")
                noise_modes.lines[0].set_markerfacecolor("none")
            ax.set(xscale="log", xlim=(c_points.min() / 1.5, 1.5 * c_points.max()),
                   xlabel=r"coherence $C = K_oK_f/\sqrt{N_oN_f}$", ylabel=label)
            ax.set_title(title)
        axes[0].axhline(edge, color="0.4", linestyle="--")
        handles = [plt.Line2D([], [], color="black"),
                   plt.Line2D([], [], color="black", marker="o", linestyle="none"),
                   plt.Line2D([], [], color="0.45", marker="o", markerfacecolor="none",
                              linestyle="none"),
                   plt.Line2D([], [], color="0.4", linestyle="--"),
                   plt.Rectangle((0, 0), 1, 1, color="0.85")]
        fig.legend(handles, ["BBP theory, category mode", "sampled data (median, 10–90 %)",
                             "below threshold: the best-matching noise mode",
                             r"(a) bulk edge $\sigma(\sqrt{N_f}+\sqrt{N_o})/N_o$",
                             r"$C \leq \sigma^2$: no category mode (threshold dotted)"],
                   loc="outside lower center", ncol=2, frameon=False)
        return _finish(fig, out_dir, "coherence",
                       f"Category coherence: a K×K block of ones in {size}×{size} noise "
                       f"(σ² = {noise:g}), Σyx = Y/{size}; {n_samples} datasets per K",
                       fontsize=FONT + 1)
