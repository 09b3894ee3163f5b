"""Tutorial 1: the SVD of an environment, and how deep and shallow networks learn its modes.

What the paper claims (Saxe, McClelland & Ganguli 2019; docs/theory.md §2.2–§2.3, §6 B–C).
A linear network trained on items x and their properties y only ever sees the input-output
correlation Σyx. Its singular value decomposition Σyx = U S Vᵀ splits the environment into
modes: an object analyzer v_α (which items the mode tells apart), a feature synthesizer u_α
(which properties go with that distinction) and a strength s_α (how much the distinction
explains). On the four-item environment (canary, salmon, oak, rose) the modes are "all items",
"animals vs plants" and two within-pair modes of equal strength.

A deep network (one hidden layer, docs/theory.md §2.2) started from small weights learns each
mode along a sigmoid a_α(t) that stays near zero for a time of order (τ/s_α) ln(s_α/a0) and
then rises quickly to s_α: stronger distinctions are learned first, in separate stages. A
shallow network (no hidden layer, docs/theory.md §2.3) relaxes every mode exponentially with
the same time constant, so its half-times do not depend on s at all.

What this script shows. It simulates both networks from small random Gaussian starts
(`semjax.simulate`, many seeds), computes each seed's effective initial strength from the
weights it starts from (`semjax.initial_weights`, `semjax.theory.effective_a0`), and draws
the simulated mode strengths (markers: median, band: 10–90 % over seeds) against the closed
forms (lines, `semjax.theory.trajectory` for the deep net, `semjax.theory.
shallow_mode_strength` for the shallow one), with the half-time of every mode against its
singular value. It returns the half-times, so that the claim can be checked: deep half-times
fall with s, shallow ones are equal.

Run ``python examples/01_modes_deep_vs_shallow.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import semjax
from semjax import analysis, datasets, plotting, theory

HIDDEN = 16
INIT_SCALE = 1e-3  # standard deviation of the Gaussian weights


def shallow_closed_form(task, run):
    """b_α(t) = s_α + (b_α(0) − s_α) e^{−d_α t/τ} for every seed of a shallow run, from the
    seed's own recorded initial strengths b_α(0) (exact for a one-layer network from any
    start; d_α = v_αᵀ Σx v_α = 1/P for one-hot items, docs/theory.md §2.5)."""
    d = theory.shared_basis_eigenvalues(task)
    initial = np.asarray(run.modes)[:, 0]  # (seed, r)
    t = run.t[:, None, None]
    modes = np.asarray(theory.shallow_mode_strength(t, task.modes.s, initial, tau=1 / d))
    return semjax.Trajectory.create(t=run.t, finite=run.finite, batch_axes=("seed",),
                                    modes=np.moveaxis(modes, 0, 1))


def main(quick: bool = False, out_dir=".") -> dict:
    """Simulate deep and shallow networks on the four-item environment, draw them against
    the closed forms and return the modes' half-times.

    Args:
        quick: a few seeds and a coarse time step (a few seconds), the same
            code path.
        out_dir: the folder the figure is written to (created if needed).

    Returns:
        A dict with ``s`` (the singular values), ``deep_half_times`` and
        ``shallow_half_times`` (median over seeds, in units of τ, one per mode) and
        ``figure`` (the path of the PNG).
    """
    task = semjax.Task.from_dataset(datasets.four_items())  # Σyx = Y/4, Σx = I/4
    U, s, V = task.modes
    items, properties = task.checked.item_names, task.checked.property_names
    start = dict(init="gaussian", init_scale=INIT_SCALE, n_seeds=4 if quick else 32, key=0)
    timing = dict(t_max=40.0, dt=0.1 if quick else 0.02, record_every=2 if quick else 10)

    # 1. Deep net, and each seed's effective a0 from the weights it starts from.
    deep = semjax.simulate(task, hidden=HIDDEN, **start, **timing)
    a0 = theory.effective_a0(task, semjax.initial_weights(task, hidden=HIDDEN, **start))
    deep_theory = theory.trajectory(task, deep.t, a0, batch_axes=("seed",))  # a0: (seed, r)

    # 2. Shallow net from the same kind of start: its closed form is exact.
    shallow = semjax.simulate(task, depth=1, **start, **timing)
    shallow_theory = shallow_closed_form(task, shallow)

    deep_half = np.median(analysis.crossing_times(deep, s), axis=0)
    shallow_half = np.median(analysis.crossing_times(shallow, s), axis=0)

    fig = plt.figure(figsize=(16, 8.5), layout="constrained")
    environment, learning = fig.subfigures(2, 1)  # separate layouts: the SVD, the dynamics
    svd_axes = environment.subplots(1, 4)
    deep_ax, shallow_ax, halves = learning.subplots(1, 3, width_ratios=[1, 1, 1.2])
    mode_names = [rf"$\alpha$={k + 1}" for k in range(len(s))]
    plotting.plot_heatmap(svd_axes[0], task.checked.sigma_yx,
                          row_labels=properties, col_labels=items, annotate=True,
                          title=r"$\Sigma^{yx}$ (properties × items)")
    plotting.plot_heatmap(svd_axes[1], U, row_labels=properties,
                          col_labels=mode_names, annotate=True,
                          title="U: feature synthesizers")
    plotting.plot_heatmap(svd_axes[2], np.diag(s), row_labels=mode_names,
                          col_labels=mode_names, annotate=True, rotate_columns=False,
                          title="S: singular values (mode strengths)")
    plotting.plot_heatmap(svd_axes[3], V.T, row_labels=mode_names,
                          col_labels=items, annotate=True, title=r"$V^T$: object analyzers")
    names = [f"$a_{k + 1}$, s = {value:.2f}" for k, value in enumerate(s)]
    for ax, run, closed_form, title in (
            (deep_ax, deep, deep_theory, "deep 4→16→7: stages in order of s"),
            (shallow_ax, shallow, shallow_theory, "shallow 4→7: one time constant")):
        plotting.plot_mode_strengths_with_theory(ax, run, closed_form, names=names,
                                                 legend=ax is shallow_ax)
        ax.set_title(title, fontsize=10)
    order = np.argsort(s)
    for k, (run, closed_form, label) in enumerate(((deep, deep_theory, "deep"),
                                                   (shallow, shallow_theory, "shallow"))):
        predicted = np.median(analysis.crossing_times(closed_form, s), axis=0)
        halves.plot(s[order], predicted[order], color=plotting.mode_color(k),
                    label=f"{label} (theory)")
        plotting.plot_points(halves, s, analysis.crossing_times(run, s),
                             color=plotting.mode_color(k), marker=plotting.mode_marker(k),
                             label=f"{label} (simulation)")
    halves.set(xlabel=r"singular value $s_\alpha$", ylabel=r"half-time $t_{1/2}/\tau$")
    halves.set_title("learning time against mode strength", fontsize=10)
    halves.legend(fontsize=10)
    fig.suptitle(f"Four items: the SVD of the environment and its learning "
                 f"({deep.batch_shape[0]} Gaussian starts, σ = {INIT_SCALE:g})")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    figure = Path(out_dir) / "01_modes_deep_vs_shallow.png"
    fig.savefig(figure, dpi=80 if quick else 120)
    plt.close(fig)
    return {"s": s, "deep_half_times": deep_half, "shallow_half_times": shallow_half,
            "figure": figure}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few seeds, coarse time step")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    arguments = parser.parse_args()
    results = main(quick=arguments.quick, out_dir=arguments.out)
    print("singular values   ", np.round(results["s"], 3))
    print("deep half-times   ", np.round(results["deep_half_times"], 2))
    print("shallow half-times", np.round(results["shallow_half_times"], 2))
    print("wrote", results["figure"])
