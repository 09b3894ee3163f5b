"""Inductive projection across development (docs/theory.md §6 H, §5.7): a novel property or
a novel item, predicted from the closed form and learned by simulated networks."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from semjax import analysis, plotting
from semjax.gallery._common import (
    FONT,
    _finish,
    _random_start,
    _readable,
    _rumelhart_task,
    _snapshot_times,
)

ITEM_COLORS = ("black", "tab:brown", "tab:gray", "tab:olive")  # items, not modes


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
    stage_colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.8, len(times)))  # early → late
    with _readable():
        fig, (bars, course, novel_item) = plt.subplots(3, 1, figsize=(10, 13),
                                                      layout="constrained")
        for ax, predicted, learned, names in (
                (bars, analysis.novel_property_projection(closed_form, task, taught_item,
                                                          times=times),
                 analysis.learn_novel_property(run, task, taught_item, times=times), items),
                (novel_item, analysis.novel_item_projection(closed_form, task, observed,
                                                            times=times, from_modes=True),
                 analysis.learn_novel_item(run, task, observed, times=times), None)):
            shown = (np.flatnonzero(np.abs(predicted.values).max(axis=0) > 0.15)
                     if names is None else np.arange(len(names)))
            plotting.plot_bars(ax, predicted.values[:, shown],
                               names=[predicted.names[k] for k in shown], colors=stage_colors,
                               group_labels=[f"predicted (bars), {label}"
                                             for label in stage_labels])
            ax.tick_params(axis="x", labelsize=FONT - 1)
            positions = plotting.bar_positions(len(times), len(shown))
            for k, label in enumerate(stage_labels):
                plotting.plot_points(ax, positions[k], learned.values[:, k, shown],
                                     color=stage_colors[k], marker=plotting.mode_marker(k),
                                     label=f"learned (markers), {label}")
        bars.set_ylabel(r"novel property $\hat y^j$")
        bars.set_title(f"(a) a novel property taught for the {taught_item}: broad → narrow")
        novel_item.set_ylabel(r"inferred property $\hat y_n$")
        novel_item.set_title(f"(c) a novel item that '{observed}': its properties above 0.15")
        predicted = analysis.novel_property_projection(closed_form, task, taught_item)
        learned = analysis.learn_novel_property(run, task, taught_item)
        for k, item in enumerate(("robin", "salmon", "oak", "rose")):
            j = items.index(item)
            plotting.plot_theory_and_runs(course, predicted.t, predicted.values[:, j],
                                          learned.t, learned.values[:, :, j],
                                          color=ITEM_COLORS[k], marker=plotting.mode_marker(k),
                                          label=item, separate_labels=False)
        plotting.mark_times(course, times, ["early", "middle", "late"])
        course.set_xlim(-1, 1.1 * times[-1])
        course.set(xlabel=r"$t/\tau$ (time the property is taught)",
                   ylabel=f"the {taught_item}'s property")
        course.set_title("(b) its projection onto other items over development")
        plotting.add_style_legend(course, theory="predicted (lines)",
                                  simulation="learned (markers)", loc="upper left",
                                  bbox_to_anchor=(1.01, 1), borderaxespad=0)
        fig.legend(*bars.get_legend_handles_labels(), loc="outside lower center", ncol=2,
                   frameon=False)
        return _finish(fig, out_dir, "inductive_projection",
                       "Inductive projection (Rumelhart environment, Σyx = Y/8): closed form vs "
                       f"{run.batch_shape[0]} simulated nets", fontsize=FONT + 1)
