"""Similarity structure of learned representations: representational similarity over
development and across networks (docs/theory.md §6 I, §5.8) and structural forms (docs/theory.md
§6 J, §5.9)."""

from __future__ import annotations

from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, analysis, datasets, plotting, simulate, theory
from semjax.gallery._common import (
    FONT,
    _finish,
    _mds_panels,
    _nearest,
    _random_start,
    _readable,
    _rumelhart_task,
    _snapshot_times,
)

COMPARISON_COLORS = ("black", "tab:purple", "tab:olive")  # comparisons, not modes


def rsa(out_dir, *, quick: bool = False) -> Path:
    """Representational similarity over development and its invariance across networks
    (docs/theory.md §6 I, §5.8), Rumelhart environment, Σyx = Y/8.

    For one-hot items the hidden RSM is h^iᵀh^j = (W1ᵀW1)_ij = (V A(t) Vᵀ)_ij (two layers,
    mean convention: A → A/d), whatever the hidden units' basis and number, so networks of
    different widths started small share their RSM trajectory; from λ-balanced starts the final
    RSM depends on λ. Rows: the closed form V A(t) Vᵀ (from the median effective a0) and one
    simulated net of hidden width 16 and one of width 64 (small Gaussian starts σ = 4e-3 and
    2e-3, which give both the same effective a0 ∝ N2σ²), at four times, on one sequential
    colour scale from 0 (the RSMs are non-negative). Below: the relative
    difference ‖G_a(t) − G_b(t)‖_F / max_t ‖G‖_F (`semjax.analysis.rsa_invariance`) between
    the two widths and between width 16 and the closed form (markers: median, band: 10–90 %
    over seed pairs; the first two coincide, so their markers are staggered), and for contrast
    between width 16 and λ-balanced starts (λ = 2, product
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
    width = 32 if quick else 64
    wide, _ = _random_start(task, hidden=width, init_scale=4e-3 * np.sqrt(16 / width), **common)
    lambda_run = simulate(task, hidden=16, init="lambda_balanced", init_scale=1e-3, lam=lam,
                          kernel="reference", record=common["record"],  # narrow's compilation
                          **{k: v for k, v in common.items()
                             if k not in ("theory_record", "record")})
    on_grid = theory.trajectory(task, narrow.t, np.asarray(closed_form.info["a0"]),
                                record=("hidden_gram",))
    times = np.append(_snapshot_times(closed_form, s, after=(1, 2, 4)), closed_form.t[-1])
    shown = _nearest(narrow.t, times)
    rows = (("closed form\n$VA(t)V^T$", analysis.representational_similarity(on_grid)[shown]),
            ("width 16", analysis.representational_similarity(narrow)[0, shown]),
            (f"width {width}", analysis.representational_similarity(wide)[0, shown]))
    largest = max(float(np.abs(rsms).max()) for _, rsms in rows)
    # h^iᵀh^j ≥ 0 here (up to the noise of small starts): a sequential map from 0
    non_negative = min(float(rsms.min()) for _, rsms in rows) >= -1e-3 * largest
    colours = dict(cmap="viridis", vmin=0.0) if non_negative else dict(cmap="RdBu_r")
    final = analysis.min_norm_rsm(task)
    with _readable():
        fig = plt.figure(figsize=(10, 12.5), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.6, 1])
        panels = top.subplots(3, 4)
        for r, (name, rsms) in enumerate(rows):
            for c, (ax, time) in enumerate(zip(panels[r], times)):
                plotting.plot_heatmap(ax, rsms[c], row_labels=items if c == 0 else None,
                                      col_labels=items if r == 2 else None, vmax=largest,
                                      fontsize=FONT - 1, **colours)
                ax.set_aspect("equal")
                if r == 0:
                    ax.set_title(f"t = {time:.1f} τ")
            panels[r, 0].set_ylabel(name)
        colorbar = top.colorbar(panels[0, 0].images[0], ax=panels, fraction=0.04, pad=0.02)
        colorbar.set_label(r"similarity $h^{iT}h^j$")
        curves = bottom.subplots()
        for k, (other, label) in enumerate(((wide, f"width 16 vs width {width}"),
                                            (on_grid, "width 16 vs closed form"),
                                            (lambda_run, f"width 16 vs λ-balanced, λ = {lam:g}"))):
            comparison = analysis.rsa_invariance(narrow, other)
            # the first two curves coincide: staggered markers, the first (black) on top
            for artist in plotting.plot_runs(
                    curves, comparison.t, plotting.runs_of(comparison.relative_difference, 1),
                    color=COMPARISON_COLORS[k], marker=plotting.mode_marker(k),
                    label=f"{label} (simulation)", stagger=k / len(COMPARISON_COLORS)):
                artist.set_zorder(artist.get_zorder() + len(COMPARISON_COLORS) - k)
        predicted = np.linalg.norm(analysis.lambda_balanced_final_rsm(task, lam) - final)
        curves.axhline(predicted / np.linalg.norm(final), color=COMPARISON_COLORS[2],
                       linestyle="--", label=f"λ = {lam:g}: predicted final difference")
        curves.set(xlabel=r"$t/\tau$",
                   ylabel="RSM difference\n" r"$\|G_a(t)-G_b(t)\|_F / \max_t\|G\|_F$")
        curves.set_title("Invariance across widths; λ-balanced starts differ")
        bottom.legend(*curves.get_legend_handles_labels(), loc="outside lower center", ncol=2,
                      frameon=False)
        return _finish(fig, out_dir, "rsa",
                       r"Representational similarity $h^{iT}h^j$ of the Rumelhart items "
                       f"(Σyx = Y/8; {narrow.batch_shape[0]} Gaussian starts per network)",
                       fontsize=FONT + 1)


FORM_SIZE = 16
FORM_SIGMA2 = 10.0


def _forms(key, n_features: int) -> list:
    """(name, dataset, predicted modes, graph edges) per form, 16 items each: the modes of the
    exact covariance (`semjax.theory.covariance_modes`) in docs/theory.md §5.9's bases (Fourier,
    DCT, products of chain modes, Haar; for clusters its numerical eigenvectors: indicators,
    then contrasts)."""
    n, sigma2 = FORM_SIZE, FORM_SIGMA2
    keys = jax.random.split(key, 5)
    side, depth, n_clusters = int(np.sqrt(n)), int(np.log2(n)), 4
    size = n // n_clusters
    grid_edges = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    grid_edges += [(r * side + c, (r + 1) * side + c) for r in range(side - 1)
                   for c in range(side)]
    forms = (
        ("ring", dict(n_items=n), theory.structural_spectrum("ring", n).eigenvectors,
         [(i, (i + 1) % n) for i in range(n)]),
        ("chain", dict(n_items=n), theory.structural_spectrum("chain", n).eigenvectors,
         [(i, i + 1) for i in range(n - 1)]),
        ("grid", dict(shape=(side, side)), theory.structural_spectrum("grid", n).eigenvectors,
         grid_edges),
        ("tree", dict(branching=2, depth=depth), theory.hierarchy_modes(2, depth),
         [(i, i + 1) for i in range(0, n, 2)]),
        ("clusters", dict(n_items=n, n_clusters=n_clusters), None,
         [(c * size + i, c * size + j) for c in range(n_clusters)
          for i in range(size) for j in range(i + 1, size)]))
    return [(form, getattr(datasets, form)(form_key, n_features=n_features, sigma2=sigma2,
                                           **shape),
             theory.covariance_modes(datasets.form_covariance(form, sigma2=sigma2, **shape),
                                     n_features, basis=basis), edges)
            for form_key, (form, shape, basis, edges) in zip(keys, forms)]


def structural_forms(out_dir, *, quick: bool = False) -> Path:
    """Structural forms (docs/theory.md §6 J, §5.9): features smooth on a ring, a chain, a 4×4
    grid, a binary tree (leaves) and four clusters, y ~ N(0, (Δ + I/σ²)^{-1}), σ² = 10, 16
    items each, Σyx = Y/16.

    One row per form; columns: (1) the sampled item similarity YᵀY/N_f; (2) the top object
    analyzers of the data (markers, rotated within each predicted degenerate eigenspace onto
    the prediction, `semjax.analysis.align_within_groups`) vs the predicted bases (lines:
    Fourier modes, DCT-II modes, products of chain modes, Haar wavelets, cluster indicators),
    stacked, with the projector distance of the top modes
    (`semjax.analysis.object_analyzer_distance`, at a gap of the prediction); (3) the data's
    singular values (markers) vs sqrt(N_f λ_k)/P from the exact covariance (line,
    `semjax.theory.covariance_modes`); (4) MDS of the learned hidden representations of one
    simulated 16→16→N_f net (small Gaussian start) once modes 1–3 are learned (markers, joined
    along the graph's edges: a ring becomes a circle, a grid a grid) and of the closed form
    (crosses).
    """
    n_features = 100 if quick else 1000
    forms = _forms(jax.random.key(11), n_features)
    n_shown = 4
    headers = (r"similarity $Y^TY/N_f$", f"analyzers $v_2$ … $v_{n_shown + 1}$",
               "singular values", "MDS of hidden reps.")
    with _readable():
        fig, axes = plt.subplots(len(forms), 4, figsize=(10, 15), layout="constrained")
        for row, (form, data, modes, edges) in enumerate(forms):
            basis, values = modes.eigenvectors, modes.eigenvalues
            task = Task.from_dataset(data)
            _, s, V = task.modes
            similarity, analyzers, spectrum, embedding = axes[row]
            plotting.plot_heatmap(similarity, data.targets.T @ data.targets / n_features,
                                  colorbar=True, fontsize=FONT - 1)
            similarity.set_ylabel(form, fontsize=FONT + 1)
            groups = [g for g in analysis.degenerate_groups(values) if g[0] <= n_shown]
            stop = groups[-1][-1] + 1
            aligned = analysis.align_within_groups(V[:, :stop], basis[:, :stop], groups)
            # compare the top modes up to a gap of the prediction, where their span is defined
            ends = [int(g[-1]) + 1 for g in groups]
            gap = max([end for end in ends if end <= n_shown + 1 and end < len(values)] + [1])
            distance = analysis.object_analyzer_distance(task, basis, gap)
            for k in range(1, n_shown + 1):  # mode 0 is the uniform (or cluster) mode
                offset = -1.2 * (k - 1)
                sign = np.sign(aligned[:, k] @ basis[:, k]) or 1.0
                analyzers.plot(basis[:, k] + offset, color=plotting.mode_color(k))
                analyzers.plot(sign * aligned[:, k] + offset, linestyle="none",
                               marker=plotting.mode_marker(k), markersize=4,
                               color=plotting.mode_color(k))
            analyzers.set(yticks=[])
            index = np.arange(1, len(s) + 1)
            spectrum.plot(index, modes.singular_values, color="black")
            spectrum.plot(index, s, linestyle="none", marker="o", markersize=4,
                          color="tab:purple")
            run, closed_form = _random_start(task, hidden=FORM_SIZE, t_max=10.0, dt=0.01,
                                             n_seeds=1, key=row, init_scale=1e-2,
                                             record=("modes", "hidden_gram"), record_every=5,
                                             theory_record=("modes", "hidden_gram"))
            time = _snapshot_times(closed_form, s, after=(3,))[0]
            _mds_panels([embedding], run, closed_form, [time], [f"t = {time:.1f} τ"],
                        run_label="simulated net", edges=edges, legend=False,
                        colors=[plt.get_cmap("viridis")(i / (FORM_SIZE - 1))
                                for i in range(FORM_SIZE)])
            embedding.set(xlabel="", ylabel="", xticks=[], yticks=[])
            analyzers.set_title(f"top-{gap} distance {distance:.2f}")
        for ax, header in zip(axes[0], headers):
            ax.set_title(f"{header}\n{ax.get_title()}" if ax.get_title() else header)
        for ax, label in zip(axes[-1], ("item", "item", "mode k", "MDS 1")):
            ax.set_xlabel(label)
        handles = [plt.Line2D([], [], color="0.3"),
                   plt.Line2D([], [], color="0.3", marker="o", linestyle="none"),
                   plt.Line2D([], [], color="black"),
                   plt.Line2D([], [], color="tab:purple", marker="o", linestyle="none"),
                   plt.Line2D([], [], color="0.3", marker="o", linestyle="none",
                              markerfacecolor="white"),
                   plt.Line2D([], [], color="black", marker="x", linestyle="none")]
        fig.legend(handles, ["analyzers: predicted", "analyzers: data (aligned)",
                             r"$s_k$: $\sqrt{N_f\lambda_k}/P$ (theory)", "$s_k$: sampled data",
                             "MDS: simulated net", r"MDS: theory $VA(t)V^T$"],
                   loc="outside lower center", ncol=3, frameon=False)
        return _finish(fig, out_dir, "structural_forms",
                       f"Structural forms (σ² = {FORM_SIGMA2:g}, 16 items, N_f = {n_features}, "
                       "Σyx = Y/16): analyzers are Laplacian eigenvectors", fontsize=FONT + 1)
