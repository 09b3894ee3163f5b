"""Illusory correlations (docs/theory.md §6 E, §5.3): transient false attributions of deep
networks, none in shallow ones."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, analysis, plotting
from semjax.gallery._common import (
    FONT,
    NET_COLORS,
    _finish,
    _random_start,
    _readable,
    _rumelhart_task,
    _seed_task,
)


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
            np.asarray(run.product)[:, :, m, i], color=NET_COLORS[label],
            marker=plotting.mode_marker(k), linestyle=plotting.MODE_LINESTYLES[k], label=label)
    ax.axhline(found.final[m, i], color="black", linewidth=0.8, linestyle=":", label="target y")
    ax.set(xlabel=r"$t/\tau$", ylabel=f"prediction ŷ (target {found.final[m, i]:.0f})")


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
    (task, runs, found, shallow_found), (big_task, big_runs, big_found, _) = panels
    chosen = [(task, runs, found, illusion) for illusion in _distinct(found.ranked, 3)]
    chosen.append((big_task, big_runs, big_found, big_found.ranked[0]))
    with _readable():
        fig, axes = plt.subplots(3, 2, figsize=(10, 13), layout="constrained")
        for ax, (on, pair, result, illusion), letter in zip(
                (axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]), chosen, "abcd"):
            _illusion_panel(ax, pair, illusion, result, on)
            where = "four items" if on is task else "Rumelhart"
            ax.set_title(f"({letter}) {illusion.item} → {illusion.property} ({where})\n"
                         f"illusion {illusion.size:.2f} at t = {illusion.time:.1f} τ")
        modes = axes[2, 0]
        deep, deep_theory = runs[0][:2]
        s = task.modes.s
        artists = plotting.plot_mode_strengths_with_theory(
            modes, deep.replace(modes=deep.modes / s),
            deep_theory.replace(modes=deep_theory.modes / s),
            names=[f"{k + 1}: s = {v:.2f}" for k, v in enumerate(s)])
        artists[-1].remove()
        modes.legend(artists[-1].legend_handles[:len(s)],
                     [text.get_text() for text in artists[-1].texts[:len(s)]],
                     loc="upper left", fontsize=FONT - 1, title="mode")  # early, high: empty
        modes.set_ylabel(r"fraction learned $a_\alpha(t)/s_\alpha$")
        modes.set_title("(e) four items, deep: coarse\nmodes first, then within pairs")
        plotting.plot_heatmap(axes[2, 1], np.median(found.size, axis=0),
                              row_labels=task.checked.property_names,
                              col_labels=task.checked.item_names, annotate=True, colorbar=True,
                              cmap="Reds", vmin=0, rotate_columns=False, fontsize=FONT - 1)
        axes[2, 1].set_title("(f) four items, deep: illusion size\n(shallow nets: largest "
                             f"{np.max(shallow_found.size):.2g})")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, [label.replace("(theory)", "(closed form, lines)")
                             .replace("(simulation)", "(simulation, markers)")
                             for label in labels], loc="outside lower center", ncol=3,
                   frameon=False)
        return _finish(fig, out_dir, "illusions",
                       "Illusory correlations: transient in deep nets, none in shallow ones "
                       f"({n_seeds} Gaussian starts σ = 1e-2 per net)", fontsize=FONT + 1)
