"""Tutorial 4: illusory correlations and typicality, two signatures of learning mode by mode.

What the paper claims (docs/theory.md §5.3–§5.4, §6 E–F). A deep network's prediction of
property m for item i is a sum over modes, ŷ_mi(t) = Σ_α w_α(t) u^α_m v^α_i, and the modes
arrive one at a time, strongest first. Two consequences follow.

* Illusory correlations (§5.3): a coarse mode carries a category's typical value of a
  property, and the finer mode that corrects it for an exception arrives later. In between,
  the network believes something false that it never saw, e.g. on the Rumelhart environment
  that a pine "has leaves" (the plants' typical value), and then unlearns it. A shallow
  network moves every prediction monotonically towards its target and has no such phase.
* Typicality (§5.4): an item's typicality for a category is its entry v^α_i of the category's
  object analyzer, the projection of its properties on the category's prototype u_α. Its
  category response u_αᵀŷ^i(t) = (a_α(t)/d_α) v^α_i grows in proportion to it, so more typical
  items reach any response threshold earlier: oaks are recognised as plants before daisies.

What this script shows. It simulates deep 8→16→36 and shallow 8→36 networks on the Rumelhart
environment from small random Gaussian starts, ranks the transient false attributions
(`semjax.analysis.illusory_correlations`), draws the largest one over time against the
closed form, compares the illusion sizes of the deep and shallow nets, and for the plants in
the animal/plant mode draws the category responses and their threshold-crossing times
(`semjax.analysis.typicality`, `semjax.analysis.category_response_times`) against
typicality. It returns the illusion sizes and the crossing times.

Run ``python examples/04_illusions_and_typicality.py [--quick] [--out DIR]``.
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

CATEGORY_MODE = 1  # animals vs plants (0-based: mode 2)
MEMBERS = ("oak", "pine", "rose", "daisy")
N_ILLUSIONS_SHOWN = 8


def illusion_panel(ax, task, illusion, deep, deep_theory, shallow):
    """ŷ_mi(t) of one illusion: the deep net (markers, band) against its closed form (line)
    and the shallow net (markers), with the target."""
    m = task.checked.property_names.index(illusion.property)
    i = task.checked.item_names.index(illusion.item)
    inputs = task.checked.inputs[:, i]
    deep_prediction = np.asarray(deep.product) @ inputs  # (seed, time, N3)
    predicted = np.median(np.asarray(deep_theory.product) @ inputs, axis=0)  # (time, N3)
    plotting.plot_theory_and_runs(ax, deep_theory.t, predicted[:, m], deep.t,
                                  deep_prediction[..., m], color=plotting.mode_color(0),
                                  label="deep")
    plotting.plot_runs(ax, shallow.t, (np.asarray(shallow.product) @ inputs)[..., m],
                       color=plotting.mode_color(1), marker=plotting.mode_marker(1),
                       label="shallow (simulation)")
    target = (task.target_map @ inputs)[m]
    ax.axhline(target, color="black", linewidth=0.8, linestyle=":", label=f"target {target:g}")
    ax.set(xlabel=r"$t/\tau$", ylabel=f"prediction: {illusion.item} → {illusion.property}")
    ax.set_title(f"(a) an illusion: '{illusion.item} {illusion.property}', peak at "
                 f"t = {illusion.time:.1f} τ", fontsize=10)
    ax.legend(fontsize=10)


def main(quick: bool = False, out_dir=".") -> dict:
    """Measure illusory correlations and typicality on simulated deep and shallow networks.

    Args:
        quick: a few seeds and a coarse time step (a few seconds), the same
            code path.
        out_dir: the folder the figure is written to (created if needed).

    Returns:
        A dict with ``deep_illusion`` and ``shallow_illusion`` (the largest illusion of each
        network, median over seeds, in output units), ``illusion`` (the deep net's largest,
        an `semjax.analysis.Illusion`), ``members`` and ``typicality`` (the category's items
        and their |v^α_i|), ``response_times`` (seed × member, in units of τ) and ``figure``
        (the path of the PNG).
    """
    task = semjax.Task.from_dataset(datasets.rumelhart())  # Σyx = Y/8, Σx = I/8
    U, _, _ = task.modes
    start = dict(init="gaussian", init_scale=1e-3, n_seeds=4 if quick else 32, key=3)
    settings = dict(t_max=60.0, dt=0.1 if quick else 0.02, record_every=2 if quick else 10,
                    **start)
    deep = semjax.simulate(task, hidden=16, record=("modes", "product"), **settings)
    a0 = theory.effective_a0(task, semjax.initial_weights(task, hidden=16, **start))
    deep_theory = theory.trajectory(task, deep.t, a0, batch_axes=("seed",),
                                    record=("modes", "product"))
    shallow = semjax.simulate(task, depth=1, record=("product",), **settings)

    deep_found = analysis.illusory_correlations(deep, task)
    shallow_found = analysis.illusory_correlations(shallow, task)
    largest = deep_found.ranked[0]

    typical = analysis.typicality(task, CATEGORY_MODE, MEMBERS)
    members = [task.checked.item_names.index(item) for item in MEMBERS]
    final = U[:, CATEGORY_MODE] @ task.target_map @ task.checked.inputs[:, members]
    threshold = 0.5 * float(np.abs(final).min())  # half the weakest member's final response
    crossing = analysis.category_response_times(deep, task, CATEGORY_MODE, threshold, MEMBERS)
    predicted_crossing = analysis.category_response_times(deep_theory, task, CATEGORY_MODE,
                                                          threshold, MEMBERS)

    fig, axes = plt.subplots(2, 2, figsize=(13, 9), layout="constrained")
    illusion_panel(axes[0, 0], task, largest, deep, deep_theory, shallow)

    shown = deep_found.ranked[:N_ILLUSIONS_SHOWN]
    index = [(task.checked.property_names.index(x.property), task.checked.item_names.index(
        x.item)) for x in shown]
    sizes = np.stack([np.median(found.size, axis=0)[tuple(np.transpose(index))]
                      for found in (deep_found, shallow_found)])
    plotting.plot_bars(axes[0, 1], sizes, names=[f"{x.item} → {x.property}" for x in shown],
                       group_labels=["deep", "shallow"])
    axes[0, 1].set_ylabel("illusion size (median over seeds)")
    axes[0, 1].set_title(f"(b) the deep net's {len(shown)} largest illusions; shallow nets: "
                         f"largest {np.max(shallow_found.size):.1g}", fontsize=10)
    axes[0, 1].legend(fontsize=10)

    responses = axes[1, 0]
    u = U[:, CATEGORY_MODE] * np.sign(final)[:, None]  # (member, N3): responses grow upwards
    for k, (item, column) in enumerate(zip(MEMBERS, members)):
        x = task.checked.inputs[:, column]
        plotting.plot_theory_and_runs(
            responses, deep_theory.t, np.median(np.asarray(deep_theory.product) @ x, axis=0)
            @ u[k], deep.t, (np.asarray(deep.product) @ x) @ u[k],
            color=plotting.mode_color(k), marker=plotting.mode_marker(k),
            label=f"{item}, |v| = {abs(typical.values[k]):.2f}", separate_labels=False,
            stagger=k / len(MEMBERS))  # rose and daisy coincide: their markers take turns
    plotting.mark_times(responses, np.median(crossing, axis=0))
    responses.axhline(threshold, color="black", linewidth=0.8, linestyle="--",
                      label=f"threshold θ = {threshold:.2f}")
    responses.set(xlabel=r"$t/\tau$", ylabel=rf"category response $\pm u_{CATEGORY_MODE + 1}^T"
                                             r"\hat y^i(t)$", xlim=(0, 30))
    responses.set_title("(c) plants in the animal/plant mode: typical ones respond first",
                        fontsize=10)
    plotting.add_style_legend(responses, fontsize=10, loc="lower right")

    timing = axes[1, 1]
    strength = np.abs(typical.values)
    order = np.argsort(strength)
    timing.plot(strength[order], np.median(predicted_crossing, axis=0)[order],
                color=plotting.mode_color(0), label="closed form (median over seeds' $a_0$)")
    plotting.plot_points(timing, strength, crossing, color=plotting.mode_color(0),
                         label="simulation (median, 10–90 %)")
    previous = -np.inf  # label left to right; one close to the last goes below its point
    for x, y, item in sorted(zip(strength, np.median(crossing, axis=0), MEMBERS)):
        crowded = x - previous < 0.05 * np.ptp(strength)
        timing.annotate(item, (x, y), xytext=(5, -13) if crowded else (5, 4),
                        textcoords="offset points", fontsize=10)
        previous = x
    timing.margins(x=0.08)  # room for the labels of the outermost items
    timing.set(xlabel=r"typicality $|v^\alpha_i|$", ylabel=r"time to reach θ ($\tau$)")
    timing.set_title("(d) response time falls with typicality", fontsize=10)
    timing.legend(fontsize=10)
    fig.suptitle(f"Rumelhart environment: illusions and typicality in deep 8→16→36 and "
                 f"shallow 8→36 networks ({deep.batch_shape[0]} Gaussian starts σ = 1e-3)")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    figure = Path(out_dir) / "04_illusions_and_typicality.png"
    fig.savefig(figure, dpi=80 if quick else 120)
    plt.close(fig)
    return {"deep_illusion": float(np.max(np.median(deep_found.size, axis=0))),
            "shallow_illusion": float(np.max(np.median(shallow_found.size, axis=0))),
            "illusion": largest, "members": MEMBERS, "typicality": strength,
            "response_times": crossing, "figure": figure}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few seeds, coarse time step")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    arguments = parser.parse_args()
    results = main(quick=arguments.quick, out_dir=arguments.out)
    found = results["illusion"]
    print(f"largest illusion: {found.item} → {found.property}, size {found.size:.2f} at "
          f"t = {found.time:.1f} τ; deep {results['deep_illusion']:.2f}, shallow "
          f"{results['shallow_illusion']:.2g}")
    for item, value, time in zip(results["members"], results["typicality"],
                                 np.median(results["response_times"], axis=0)):
        print(f"{item:>6}: typicality {value:.3f}, response at {time:.2f} τ")
    print("wrote", results["figure"])
