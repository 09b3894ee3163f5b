"""Tutorial 2: progressive differentiation of a hierarchy, in the hidden representations.

What the paper claims (docs/theory.md §5.1, §5.8, §6 A and §6 D). When items are organised
in a hierarchy (here the 8 leaves of a binary tree of depth 3, each with one feature per tree
node that it belongs to), the singular values of Σyx fall with the depth of the split a mode
resolves: the "all items" mode is strongest, then the split into two halves, then the splits
into quarters, then the pairs. A deep network learns strong modes first
(`01_modes_deep_vs_shallow.py`), so it differentiates the items coarse to fine: first all
items move together, then the two halves separate, then the quarters, then the pairs,
the developmental pattern seen in children and in Rumelhart & Todd's network.

The same story can be read in the hidden layer. For one-hot items the hidden representation
similarity h^iᵀh^j = (W1ᵀW1)_ij equals V A(t) Vᵀ for small balanced starts (docs/theory.md
§5.8): a block structure that appears one level of the tree at a time. Multidimensional
scaling of these representations on fixed axes shows the items' representations growing out
of the origin and splitting like the branches of the tree.

What this script shows. It simulates deep networks from small random Gaussian starts,
recording the hidden similarity (``hidden_gram``), and compares them with the closed form
from each seed's effective initial strength: the mode strengths (`semjax.plotting.
plot_mode_strengths_with_theory`), the representational similarity matrix at four times
between the levels' half-times (`semjax.plotting.plot_rsm_over_time`) and the MDS paths of
one network's hidden representations (`semjax.plotting.plot_mds_trajectories`; on fixed axes
the principal axes of the final representation, so the tree's splits show as branching
paths; the splits of one level are degenerate, so two panels show the first and the second
and third axes).
It returns each level's half-time and whether every seed learned the levels coarse to fine
(`semjax.analysis.level_learning_order`).

Run ``python examples/02_progressive_differentiation.py [--quick] [--out DIR]``.
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

BRANCHING, DEPTH = 2, 3
LEVEL_NAMES = {-1: "all items", 0: "halves", 1: "quarters", 2: "pairs"}


def main(quick: bool = False, out_dir=".") -> dict:
    """Simulate deep networks on a tree-structured environment and draw their hidden
    representations over time against the closed form.

    Args:
        quick: a few seeds and a coarse time step (a few seconds), the same
            code path.
        out_dir: the folder the figure is written to (created if needed).

    Returns:
        A dict with ``levels`` (the level labels, coarse to fine: −1 is the "all items"
        mode), ``level_half_times`` (median over seeds, in units of τ), ``coarse_to_fine``
        (per seed: every level learned after the coarser one), ``snapshot_times`` (the times
        of the RSM panels) and ``figure`` (the path of the PNG).
    """
    task = semjax.Task.from_dataset(datasets.regular_tree(BRANCHING, DEPTH))  # Σyx = Y/8
    items = task.checked.item_names
    levels = analysis.hierarchy_levels_of_modes(task, BRANCHING, DEPTH)  # one label per mode
    start = dict(hidden=16, init="gaussian", init_scale=1e-3, n_seeds=4 if quick else 32,
                 key=1)
    run = semjax.simulate(task, t_max=80.0, dt=0.1 if quick else 0.02,
                          record=("modes", "hidden_gram"), record_every=2 if quick else 10,
                          **start)
    a0 = theory.effective_a0(task, semjax.initial_weights(task, **start))
    closed_form = theory.trajectory(task, run.t, a0, batch_axes=("seed",),
                                    record=("modes", "hidden_gram"))

    order = analysis.level_learning_order(run, task, levels)
    predicted = analysis.level_learning_order(closed_form, task, levels)
    level_half = np.median(predicted.half_times, axis=0)  # (n_levels,)
    # one snapshot between each pair of consecutive levels, and the end
    snapshots = np.append((level_half[:-1] + level_half[1:]) / 2, run.t[-1])

    fig = plt.figure(figsize=(16, 10.5), layout="constrained")
    dynamics, similarity = fig.subfigures(2, 1, height_ratios=[1.15, 1])
    modes_ax, *mds_axes = dynamics.subplots(1, 3, width_ratios=[1.3, 1, 1])
    names = [f"$a_{{{k + 1}}}$: {LEVEL_NAMES[int(level)]}" for k, level in enumerate(levels)]
    plotting.plot_mode_strengths_with_theory(modes_ax, run, closed_form, names=names)
    plotting.mark_times(modes_ax, snapshots, [f"t{k + 1}" for k in range(len(snapshots))])
    modes_ax.set_title("mode strengths: the tree's levels one after another", fontsize=10)
    colors = [plotting.mode_color(item // BRANCHING) for item in range(len(items))]
    # axes 2 and 3 share the degenerate quarter splits: two panels show every coarse split
    for ax, components, shown in ((mds_axes[0], (0, 1), "halves, then one quarter split"),
                                  (mds_axes[1], (1, 2), "the quarter splits")):
        plotting.plot_mds_trajectories(ax, run, names=items, colors=colors, run=0,
                                       components=components)
        ax.set_title(f"MDS paths of seed 0's hidden representations,\nt = 0 → {run.t[-1]:g} τ: "
                     f"{shown}", fontsize=10)
    panels = similarity.subplots(1, len(snapshots))
    plotting.plot_rsm_over_time(panels, run, snapshots, names=items)
    for k, ax in enumerate(panels):
        ax.set_title(f"t{k + 1} = {snapshots[k]:.1f} τ", fontsize=10)
    similarity.suptitle(f"hidden similarity $h^{{iT}}h^j$ of the items, median over "
                        f"{run.batch_shape[0]} seeds", fontsize=10)
    fig.suptitle(f"Progressive differentiation of a binary tree (depth {DEPTH}, 8 items); "
                 f"deep 8→16→{task.n_out} networks from Gaussian starts σ = 1e-3")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    figure = Path(out_dir) / "02_progressive_differentiation.png"
    fig.savefig(figure, dpi=80 if quick else 120)
    plt.close(fig)
    return {"levels": order.levels, "level_half_times": np.median(order.half_times, axis=0),
            "coarse_to_fine": order.coarse_to_fine, "snapshot_times": snapshots,
            "figure": figure}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few seeds, coarse time step")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    arguments = parser.parse_args()
    results = main(quick=arguments.quick, out_dir=arguments.out)
    for level, half in zip(results["levels"], results["level_half_times"]):
        print(f"{LEVEL_NAMES[int(level)]:>10}: half-time {half:.1f} τ")
    print("coarse to fine in every seed:", bool(np.all(results["coarse_to_fine"])))
    print("wrote", results["figure"])
