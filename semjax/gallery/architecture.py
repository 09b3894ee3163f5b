"""Architecture: learning time against depth (docs/theory.md §2.4, §5.10) and nonlinear
networks learning a hierarchy coarse to fine (docs/theory.md §5.10)."""

from __future__ import annotations

import math

from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, analysis, datasets, plotting, simulate, theory
from semjax.gallery._common import FONT, _finish, _legend_below, _random_start, _readable

START_COLORS = ("black", "tab:purple")  # the two kinds of start, not modes


def depth(out_dir, *, quick: bool = False) -> Path:
    """Learning time against depth (docs/theory.md §2.4, §5.10): a single mode s = 1 (Σyx = 1,
    white input) learned by a balanced chain of L weight matrices, τ du/dt = L u^{2−2/L}(s − u).

    Panels: (a) the time from the start to u = s/2 against L, exact (`transition_time`, solid
    lines) for a fixed composite start u0 = 1e-2 (the product of the layers) and for a fixed
    per-layer start a0 = 0.5 (u0 = a0^L, which vanishes exponentially with depth, so learning
    slows dramatically), the large-depth approximation of Saxe et al. 2014 eq. 17 (dashed),
    and simulated aligned chains (markers, `semjax.simulate` with init="aligned"); (b, c) the
    trajectories u(t) for several depths (colour: L, sequential) from each start, exact (lines,
    `mode_strength`) vs simulated (markers).
    """
    task = Task(sigma_yx=np.ones((1, 1)))
    s, composite, per_layer = 1.0, 1e-2, 0.5
    depths = (2, 4) if quick else (2, 3, 4, 6, 8, 10)
    grid = np.array(depths if quick else [2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30])
    starts = {"fixed composite start u0 = 1e-2": lambda L: composite,
              f"fixed per-layer start a0 = {per_layer} (u0 = a0^L)": lambda L: per_layer ** L}
    # one compilation per depth instead of one per operation (depth is static)
    transition_time = jax.jit(theory.transition_time, static_argnames=("depth",))
    mode_strength = jax.jit(theory.mode_strength, static_argnames=("depth",))
    exact = np.array([transition_time(s, np.array([start(L) for start in starts.values()]),
                                      s / 2, depth=int(L)) for L in grid]).T
    depth_colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(depths)))
    with _readable():
        fig = plt.figure(figsize=(10, 9), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.1])
        times = top.subplots()
        trajectories = bottom.subplots(1, 2)
        measured = np.full((len(starts), len(depths)), np.nan)
        for j, L in enumerate(depths):
            u0 = np.array([start(L) for start in starts.values()])
            t_end = 2.0 * float(np.max(transition_time(s, u0, s / 2, depth=L))) + 1.0
            dt = min(0.02, 0.1 / L)
            every = max(1, int(t_end / dt / 300))  # about 300 records, whole records to t_end
            run = simulate(task, hidden=2, depth=L, n_steps=every * math.ceil(t_end / dt / every),
                           dt=dt, init="aligned", init_scale=u0, record=("modes",),
                           kernel="reference", record_every=every)
            measured[:, j] = analysis.crossing_times(run, np.array([s]))[:, 0, 0]
            t = np.linspace(0, run.t[-1], 300)
            curves = np.asarray(mode_strength(t[:, None], s, u0, depth=L))
            for k, ax in enumerate(trajectories):
                plotting.plot_theory_and_runs(ax, t, curves[:, k], run.t, run.modes[k, :, :, 0],
                                              color=depth_colors[j], marker="o",
                                              label=f"L = {L}", separate_labels=False,
                                              n_markers=20)
        for k, (label, start) in enumerate(starts.items()):
            approximate = theory.large_depth_learning_time(s, start(grid), s / 2, depth=grid)
            times.semilogy(grid, exact[k], color=START_COLORS[k], label=f"{label}: exact")
            times.semilogy(grid, approximate, color=START_COLORS[k], linestyle="--",
                           label="    large-depth approximation (eq. 17)")
            times.semilogy(depths, measured[k], linestyle="none", marker="o",
                           color=START_COLORS[k], label="    simulated aligned chains")
        times.set(xlabel="depth L (number of weight matrices)",
                  ylabel=r"time to $u = s/2$, $t/\tau$")
        times.set_title("(a) learning time vs depth")
        times.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
        for k, (ax, label) in enumerate(zip(trajectories, starts)):
            ax.set(xlabel=r"$t/\tau$", ylabel=r"composite strength $u(t)$" if k == 0 else "")
            ax.set_title(f"({'bc'[k]}) {label.split(' (')[0]}")
        trajectories[0].set_xlim(0, 2 * np.nanmax(measured[0]))
        trajectories[1].set_xscale("log")
        plotting.add_style_legend(trajectories[0], theory="exact (lines)",
                                  simulation="simulated (markers)")
        _legend_below(bottom, trajectories[0].get_legend(), ncol=4)
        return _finish(fig, out_dir, "depth",
                       "Depth: a mode s = 1 learned by a balanced chain of L weight matrices, "
                       "τ du/dt = L u^(2−2/L) (s − u)", fontsize=FONT + 1)


def nonlinear_hierarchy(out_dir, *, quick: bool = False) -> Path:
    """Progressive differentiation is not a linear artefact (Saxe et al. 2019, SI): linear,
    tanh and ReLU 8→32→N_f nets (small Gaussian starts, 32 seeds) on the branching-diffusion
    hierarchy (B = 2, D = 3, ε = 0.1). (a–c) Mode strengths on the task's fixed modes,
    a_α = u_αᵀ (c f(X) Xᵀ) v_α, as in every gallery figure: simulation as markers (median over
    seeds) with the 10–90 % band, the closed form (linear theory, effective a0) as lines, one
    colour per tree level. (d) Level half-times (median over the level's modes; points: seeds)
    per network: coarse before fine in every network.
    """
    sample = datasets.branching_diffusion(jax.random.key(0), branching=2, depth=3,
                                          n_features=100 if quick else 400, flip=0.1)
    task = Task.from_dataset(sample)
    levels = analysis.hierarchy_levels_of_modes(task, 2, 3)
    unique = np.unique(levels)
    level_names = ["root", "level 0", "level 1", "level 2"]  # as hierarchy_levels_of_modes
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(unique)))
    t_max, n_seeds = (10.0, 4) if quick else (12.0, 32)
    options = dict(hidden=32, t_max=t_max, dt=0.05, record_every=4, init_scale=1e-3,
                   n_seeds=n_seeds, key=0)
    linear, closed = _random_start(task, **options)
    runs = {"linear": linear, **{name: simulate(task, activation=name, init="gaussian",
                                                record=("modes",), **options)
                                 for name in ("tanh", "relu")}}
    with _readable():
        fig, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained")
        axes = axes.ravel()
        for ax, (name, run) in zip(axes, runs.items()):
            for mode, level in enumerate(levels):
                index = int(np.searchsorted(unique, level))
                plotting.plot_theory_and_runs(
                    ax, closed.t, np.asarray(closed.modes)[:, mode], run.t,
                    np.asarray(run.modes)[..., mode], color=colors[index],
                    marker=plotting.mode_marker(index), label=None, separate_labels=False)
            ax.set_title(f"({'abc'[list(runs).index(name)]}) {name} net")
            ax.set_xlabel(r"$t/\tau$")
        axes[0].set_ylabel(r"mode strength $a_\alpha$")
        for position, run in enumerate(runs.values()):
            order = analysis.level_learning_order(run, task, levels)
            for index in range(len(unique)):
                x = position + (index - 1.5) * 0.18
                axes[3].scatter(np.full(n_seeds, x), order.half_times[:, index], s=6,
                                color=colors[index], alpha=0.5)
                axes[3].plot([x - 0.07, x + 0.07], [np.median(order.half_times[:, index])] * 2,
                             color=colors[index], lw=2)
        axes[3].set_xticks(range(3), list(runs))
        axes[3].set_ylabel(r"level half-time $t_{1/2}/\tau$")
        axes[3].set_title("(d) coarse → fine")
        handles = [plt.Line2D([], [], color=c, marker=plotting.mode_marker(k), markersize=4)
                   for k, c in enumerate(colors)]
        handles += [plt.Line2D([], [], color="0.3"),
                    plt.Line2D([], [], color="0.3", marker="o", linestyle="none", markersize=4)]
        fig.legend(handles, [*level_names[:len(unique)], "linear theory, effective $a_0$ "
                             "(lines)", f"simulation: median of {n_seeds} seeds (markers), "
                             "band 10–90 %"],
                   loc="outside lower center", ncol=3, frameon=False)
        return _finish(fig, out_dir, "nonlinear_hierarchy",
                       "Linear, tanh and ReLU nets all learn the hierarchy coarse to fine "
                       f"({n_seeds} seeds per network)", fontsize=FONT + 1)
