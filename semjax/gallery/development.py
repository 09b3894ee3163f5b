"""Development on structured environments: deep vs shallow networks (docs/theory.md §6 C) and
progressive differentiation of a hierarchy (docs/theory.md §6 D)."""

from __future__ import annotations

from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, analysis, datasets, plotting, theory
from semjax.gallery._common import (
    FONT,
    NET_COLORS,
    _finish,
    _random_start,
    _readable,
    _rumelhart_task,
    _snapshot_times,
)

ITEM_COLORS = plt.get_cmap("viridis").resampled(4)  # the tree's four pairs of items


def deep_vs_shallow(out_dir, *, quick: bool = False) -> Path:
    """Deep (8→16→36) vs shallow (8→36) networks on the Rumelhart environment (docs/theory.md §6 C,
    §2.2–§2.3, §5.2, §5.10), both from the same small Gaussian starts (σ = 1e-3).

    Panels: (a) deep mode strengths a_α(t): sigmoids in order of s, closed form from the
    effective a0 (lines) vs simulation (markers: median, band: 10–90 % over seeds; nearly
    degenerate modes told apart by line style and staggered markers); (b) shallow
    b_α(t): every mode relaxes with the same time constant τ/d (d = 1/8 for one-hot items
    under the mean convention), exact closed form; (c) excess loss on a linear axis: a staircase
    for the deep net (a plateau, then a drop as each strong mode is learned; the weak modes'
    steps merge, their half-times overlap), one smooth drop for the shallow one (the start
    σ = 1e-3 is small enough for the plateaus to separate); (d) half-time of each mode
    against its singular value: deep t½ = (τ/2s) ln(s/a0 − 1) falls with s, shallow
    t½ = (τ/d) ln 2 is flat.
    """
    task = _rumelhart_task()
    s = task.modes.s
    common = dict(t_max=60.0 if quick else 70.0, dt=0.02, n_seeds=4 if quick else 32, key=4,
                  init_scale=1e-3, record=("modes", "loss"), record_every=5,
                  theory_record=("modes", "loss"))
    deep, deep_theory = _random_start(task, hidden=16, **common)
    shallow, shallow_theory = _random_start(task, hidden=None, depth=1, **common)
    nets = (("deep", 2, deep, deep_theory), ("shallow", 1, shallow, shallow_theory))
    with _readable():
        fig = plt.figure(figsize=(10, 9.2), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.15, 1])
        modes = top.subplots(1, 2, sharey=True)
        for ax, (name, _, run, closed_form), title in zip(modes, nets, (
                r"(a) deep: $a_\alpha(t)$, theory from $a_0^{\rm eff}$",
                r"(b) shallow: $b_\alpha(t)$, theory exact")):
            artists = plotting.plot_mode_strengths_with_theory(
                ax, run, closed_form, names=[f"mode {k + 1}, s = {v:.2f}"
                                             for k, v in enumerate(s)], legend=name == "shallow")
            ax.set_title(title)
            ax.set_ylabel("")
        modes[0].set_ylabel(r"mode strength $u_\alpha^T W(t)\Sigma^x v_\alpha$")
        top.legend(artists[-1].legend_handles, [text.get_text() for text in artists[-1].texts],
                   loc="outside lower center", ncol=3, frameon=False)
        artists[-1].remove()
        loss, timing = bottom.subplots(1, 2)
        s_grid = np.linspace(0.9 * s.min(), 1.05 * s.max(), 200)
        for k, (name, depth, run, closed_form) in enumerate(nets):
            style = dict(color=NET_COLORS[name], marker=plotting.mode_marker(k))
            plotting.plot_theory_and_runs(loss, closed_form.t, closed_form.loss, run.t,
                                          plotting.runs_of(run.loss, 1), label=name, **style)
            b0 = np.median(np.asarray(closed_form.modes)[0])  # recorded initial strength
            tau = 1 / task.input_scale if depth == 1 else 1.0  # shallow modes relax at d/τ
            timing.plot(s_grid, theory.half_time(s_grid, b0, depth=depth, tau=tau),
                        color=NET_COLORS[name])
            plotting.plot_points(timing, s, analysis.crossing_times(run, s), **style)
        loss.set(xlabel=r"$t/\tau$", ylabel=r"excess loss $L(t) - L_{\min}$", ylim=(0, None))
        loss.set_title("(c) loss: a staircase vs one drop")
        timing.set(xlabel=r"singular value $s_\alpha$ of $\Sigma^{yx}$",
                   ylabel=r"half-time $t_{1/2}/\tau$")
        timing.set_title("(d) learning time vs singular value")
        bottom.legend(*loss.get_legend_handles_labels(), loc="outside lower center", ncol=2,
                      frameon=False)
        return _finish(fig, out_dir, "deep_vs_shallow",
                       "Deep vs shallow nets on the Rumelhart environment (Σyx = Y/8), "
                       f"{deep.batch_shape[0]} Gaussian starts σ = 1e-3", fontsize=FONT + 1)


def _draw_tree(ax, items, colors, branching: int, depth: int) -> None:
    """The generating tree of the branching diffusion: root at the top, items at the leaves
    (labelled, in their colours); each row of nodes is split by the modes of its level
    (`semjax.analysis.hierarchy_levels_of_modes`: level 0 splits the root)."""
    n_leaves = branching ** depth
    for level in range(depth + 1):
        n_nodes = branching ** level
        width = n_leaves / n_nodes
        for node in range(n_nodes):
            x = (node + 0.5) * width
            if level < depth:
                for child in range(branching):
                    child_x = (node * branching + child + 0.5) * width / branching
                    ax.plot([x, child_x], [depth - level, depth - level - 1], color="0.4",
                            linewidth=1.5)
            if level == depth:
                ax.plot(x, 0, "o", color=colors[node], markersize=10, markeredgecolor="black")
                ax.text(x, -0.35, items[node], rotation=90, ha="center", va="top",
                        fontsize=FONT - 2)
            else:
                ax.plot(x, depth - level, "o", color="0.4", markersize=5)
    ax.set_yticks(range(depth + 1), ["items", *[f"level-{k} split"
                                                for k in range(depth - 1, -1, -1)]])
    ax.set_xticks([])
    ax.set_ylim(-1.6, depth + 0.3)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title("(f) the generating tree\n", fontsize=FONT - 1)


def hierarchy(out_dir, *, quick: bool = False) -> Path:
    """Hierarchical branching diffusion (docs/theory.md §6 D, §4.5, §5.1): a binary tree of depth 3
    (8 items), ±1 features that flip with probability ε = 0.1 per edge.

    Panels: (a) the sampled item × feature matrix; (b) the Haar-like object analyzers of the
    tree (`semjax.theory.hierarchy_modes`); (c) the data's object analyzers V, rotated within
    each level's (nearly) degenerate subspace onto (b) (`semjax.analysis.align_within_groups`);
    (d) singular values per level, analytic E[YᵀY] = N_f M (line) vs sampled datasets
    (markers: one per mode and sample); (e) mode strengths of simulated 8→16→N_f nets (small
    Gaussian starts) vs the closed form, coloured by mode (degenerate modes of a level told
    apart by line style and staggered markers); (f) the generating tree, items coloured by
    pair; (g, h) progressive differentiation: the paths of one simulated net's hidden
    representations h^i(t) from t = 0 (all items together near the origin) to the end, in
    classical MDS on axes fixed over time (`semjax.plotting.plot_mds_trajectories`): axes
    1–2 show the root split and one level-1 split, axes 2–3 both level-1 splits (they are
    degenerate, so no two axes show both at once).
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
    n_samples = 4 if quick else 32
    drawn = [Task.from_dataset(datasets.branching_diffusion(
        key, branching=branching, depth=depth, n_features=n_features, flip=flip))
        for key in jax.random.split(jax.random.key(1), n_samples)]
    run, closed_form = _random_start(task, hidden=16, t_max=6.0, dt=0.01,
                                     n_seeds=4 if quick else 16, key=5, init_scale=1e-2,
                                     record=("modes", "hidden_gram"), record_every=5,
                                     theory_record=("modes", "hidden_gram"))
    times = np.append(_snapshot_times(closed_form, s, after=(2, 4)), closed_form.t[-1])
    with _readable():
        fig = plt.figure(figsize=(10, 13), layout="constrained")
        rows = fig.subfigures(3, 1, height_ratios=[1, 1.25, 1.1])
        features, analyzers, data_analyzers = rows[0].subplots(1, 3)
        shown = min(n_features, 40)
        plotting.plot_heatmap(features, sample.targets[:shown], col_labels=items,
                              fontsize=FONT - 1)
        features.set(title=f"(a) features ±1\n(first {shown} of {n_features})",
                     ylabel="feature")
        distance = analysis.object_analyzer_distance(task, haar, 4)
        for ax, basis, labels, title in (
                (analyzers, haar, haar_levels, "(b) Haar modes (theory)"),
                (data_analyzers, analysis.align_within_groups(V, haar, groups), levels,
                 f"(c) data's V, aligned\n(top-4 distance {distance:.2f})")):
            plotting.plot_heatmap(ax, basis, row_labels=items if ax is analyzers else None,
                                  col_labels=[level_names[int(level)] for level in labels],
                                  vmax=0.75, fontsize=FONT - 1)
            ax.set_title(title)
        colorbar = rows[0].colorbar(analyzers.images[0], ax=[analyzers, data_analyzers],
                                    fraction=0.05, pad=0.02)
        colorbar.set_label(r"entry $v^\alpha_i$")
        spectrum, strengths = rows[1].subplots(1, 2, width_ratios=[1, 1.3])
        unique_levels = np.arange(-1, depth)
        spectrum.plot(unique_levels, theory.hierarchy_singular_values(branching, depth, flip,
                                                                      n_features),
                      color="black", marker="_", markersize=18, linestyle="none",
                      label=r"analytic $\sqrt{N_f\lambda_\ell}/P$")
        for k, sample_task in enumerate(drawn):
            drawn_levels = analysis.hierarchy_levels_of_modes(sample_task, branching, depth)
            jitter = np.linspace(-0.15, 0.15, len(drawn_levels))
            spectrum.plot(drawn_levels + jitter, sample_task.modes.s, linestyle="none",
                          marker="o", markersize=3, alpha=0.35, color="0.35",
                          label=f"{n_samples} sampled datasets" if k == 0 else None)
        spectrum.set(xticks=unique_levels, xticklabels=[level_names[k] for k in unique_levels],
                     ylabel=r"singular value $s$ of $\Sigma^{yx}$")
        spectrum.set_title("(d) singular values by level")
        spectrum.legend(loc="upper right")  # the data fall from upper left to lower right
        artists = plotting.plot_mode_strengths_with_theory(
            strengths, run, closed_form,
            names=[f"{k + 1}: {level_names[int(level)]}" for k, level in enumerate(levels)])
        artists[-1].remove()
        strengths.legend(artists[-1].legend_handles[:len(levels)],
                         [text.get_text() for text in artists[-1].texts[:len(levels)]],
                         loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0,
                         fontsize=FONT - 1, title="mode: level")
        plotting.mark_times(strengths, times, [f"t{k + 1}" for k in range(len(times))])
        strengths.set_title(f"(e) $a_\\alpha(t)$: theory (lines), {run.batch_shape[0]} "
                            "nets (markers)")
        tree, *paths = rows[2].subplots(1, 3, width_ratios=[0.8, 1, 1])
        colors = [ITEM_COLORS(i // 2 / 3) for i in range(len(items))]
        _draw_tree(tree, items, colors, branching, depth)
        for ax, components, letter, shown in ((paths[0], (0, 1), "g", "the level-0 split "
                                               "and one level-1 split"),
                                              (paths[1], (1, 2), "h", "both level-1 splits")):
            plotting.plot_mds_trajectories(ax, run, names=items, colors=colors, run=0,
                                           components=components, fontsize=FONT - 2)
            ax.set(xlabel=f"MDS {components[0] + 1}", ylabel=f"MDS {components[1] + 1}")
            ax.set_title(f"({letter}) MDS axes {components[0] + 1}–{components[1] + 1}:\n"
                         f"{shown}", fontsize=FONT - 1)
        rows[2].suptitle(f"Progressive differentiation: seed 0's hidden representations, "
                         f"t = 0 → {run.t[-1]:g} τ, on fixed MDS axes")
        return _finish(fig, out_dir, "hierarchy",
                       f"Branching diffusion (B = {branching}, D = {depth}, ε = {flip}, "
                       f"N_f = {n_features}, Σyx = Y/{len(items)}): learned level by level",
                       fontsize=FONT + 1)
