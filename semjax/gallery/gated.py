"""Gated networks (docs/gated-networks.md): the race between pathways of a gated deep linear
network (Saxe, Sodhani & Lewallen 2022), and a ReLU network beside the GDLN of its own gating
pattern, with the structured mixed selectivity it learns (Jarvis et al. 2025).

The task of both: the four items in K contexts (`semjax.datasets.contexts`), with properties
shared by every context and properties of one context."""

from __future__ import annotations

from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from semjax import Gates, Task, analysis, datasets, plotting, simulate, theory
from semjax.gallery._common import FONT, _readable, _save

N_ITEMS = 4
START = 1e-2  # aligned starts: every pathway mode at a_p(0) = 0.01
PATH_COLORS = {"shared": "black", "context": "tab:orange", "context → shared": "tab:cyan"}


def contexts_task(n_contexts: int, *, context_inputs: bool = False) -> Task:
    """The four items in ``n_contexts`` contexts (mean convention)."""
    return Task.from_dataset(datasets.contexts(datasets.four_items(), n_contexts,
                                               context_inputs=context_inputs))


def race_gates(n_contexts: int, *, compete: bool, hidden: int = 4) -> Gates:
    """A shared hidden module and one per context (`semjax.Gates.contexts`) on
    `contexts_task`."""
    return Gates.contexts(np.repeat(np.arange(n_contexts), N_ITEMS), n_in=N_ITEMS,
                          hidden=hidden, outputs=[7] * (n_contexts + 1), compete=compete)


def _aligned_run(task, gates, *, t_max, dt, record_every=1):
    """The GDLN from its aligned start (`init="aligned"`), RK4, float64."""
    return simulate(task, gates=gates, hidden=sum(gates.network.modules[1]), init="aligned",
                    init_scale=START, dt=dt, t_max=t_max, method="rk4", dtype="float64",
                    record=("pathway_modes", "loss"), record_every=record_every,
                    kernel="reference")


def _half_times(t, strengths, final):
    """When each pathway mode first reaches half of its final strength: (n_paths, r)."""
    fraction = strengths / final
    return np.array([[np.interp(0.5, np.maximum.accumulate(fraction[:, p, a]), t)
                      for a in range(fraction.shape[2])] for p in range(fraction.shape[1])])


def gated_race(out_dir, *, quick: bool = False) -> Path:
    """The race between pathways (Saxe, Sodhani & Lewallen 2022): a GDLN with a hidden module
    shared by K contexts and one module per context, on the four items in K contexts.

    (a) K = 3, each module feeding its own output block: the pathway strengths a_{p,α} of
    `semjax.readouts` (modes 1 and 2), simulated from the aligned start (markers) against
    their exact solution (`semjax.theory.pathway_strength`, lines). The shared pathway is
    active on K times more items, so its singular values s_p are K times larger and it learns
    K times faster. (b) That factor: the half-time of a context's pathway over the shared
    one's, simulated for K = 2…5 (markers, every mode), against s_shared/s_context (line).
    (c) K = 3 with every context module also feeding the shared block, where it races the
    shared module (they share the context module's input edge): the reduction's solution
    (`semjax.theory.neural_race`, lines) against simulation (markers). The shared pathway wins
    the shared block; the context pathways into it stay small until their own block has grown
    their shared input edge.
    """
    with jax.enable_x64(True):
        return _gated_race(out_dir, quick)


def _gated_race(out_dir, quick: bool) -> Path:
    n_contexts, every = 3, 2 if quick else 4
    factors = (2, 3) if quick else (2, 3, 4, 5)
    measured, predicted, runs = [], [], {}
    for k in factors:  # RK4 at dt = 0.1: 1e-6 from the exact solution
        task_k, gates_k = contexts_task(k), race_gates(k, compete=False)
        corr_k = theory.pathway_correlations(task_k, gates_k)
        run_k = _aligned_run(task_k, gates_k, t_max=12.0 * k + 10.0, dt=0.1,
                             record_every=every)
        final = corr_k.s / np.einsum("ppa->pa", corr_k.d)
        half = _half_times(run_k.t, run_k.pathway_modes[0], final)
        measured.append(half[1] / half[0])
        predicted.append(corr_k.s[0, 0] / corr_k.s[1, 0])
        runs[k] = (run_k, corr_k)
    run, correlations = runs[n_contexts]
    t = np.linspace(0.0, run.t[-1], 400)
    exact = np.asarray(theory.pathway_strength(
        t[:, None, None], correlations.s, np.einsum("ppa->pa", correlations.d), START))

    task = contexts_task(n_contexts)
    competing = race_gates(n_contexts, compete=True)
    corr_c = theory.pathway_correlations(task, competing)
    run_c = _aligned_run(task, competing, t_max=float(run.t[-1]), dt=0.1, record_every=every)
    race = np.asarray(theory.neural_race(t, corr_c, START))

    with _readable():
        fig, axes = plt.subplots(1, 3, figsize=(15, 6.4))
        ax = axes[0]
        for p, (name, color) in enumerate((("shared", PATH_COLORS["shared"]),
                                           ("context", PATH_COLORS["context"]))):
            for a, style in ((0, "-"), (1, "--")):
                plotting.plot_theory_and_runs(
                    ax, t, exact[:, p, a], run.t, run.pathway_modes[:, :, p, a], color=color,
                    label=f"{name} pathway, mode {a + 1}", linestyle=style,
                    marker=plotting.mode_marker(a), band=None, separate_labels=False,
                    n_markers=30, stagger=0.5 * a)
        ax.set_title(f"(a) K = {n_contexts}: shared vs one context's pathway")
        ax.set_xlabel(r"$t/\tau$")
        ax.set_ylabel(r"pathway strength $a_{p,\alpha} = u_\alpha^T \bar W_p v_\alpha$")
        plotting.add_style_legend(ax, theory="exact solution (lines)",
                                  simulation="GDLN, aligned start (markers)", fontsize=FONT - 2,
                                  loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)

        ax = axes[1]
        ax.plot(factors, predicted, color="0.2", linewidth=1.5,
                label=r"predicted $s_{shared}/s_{context}$")
        for a in range(4):
            ax.plot(np.array(factors) + 0.06 * (a - 1.5), [m[a] for m in measured],
                    linestyle="none", marker=plotting.mode_marker(a), markerfacecolor="none",
                    color=plotting.mode_color(a), label=f"simulated, mode {a + 1}")
        ax.set_xticks(factors)
        ax.set_xlabel("contexts sharing the module, K")
        ax.set_ylabel("half-time of a context's pathway / shared's")
        ax.set_title("(b) the shared pathway is K times faster")
        ax.legend(fontsize=FONT - 2, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)

        ax = axes[2]
        shown = {(0, 0, 0): ("shared → shared block", PATH_COLORS["shared"]),
                 (0, 1, 0): ("context 1 → shared block", PATH_COLORS["context → shared"]),
                 (0, 1, 1): ("context 1 → its own block", PATH_COLORS["context"])}
        for path, (label, color) in shown.items():
            p = corr_c.paths.index(path)
            plotting.plot_theory_and_runs(ax, t, race[:, p, 0], run_c.t,
                                          run_c.pathway_modes[:, :, p, 0], color=color,
                                          label=label, band=None, separate_labels=False,
                                          n_markers=30)
        ax.set_title("(c) competing for the shared block (mode 1)")
        ax.set_xlabel(r"$t/\tau$")
        plotting.add_style_legend(ax, theory="neural race reduction (lines)",
                                  simulation="GDLN, aligned start (markers)",
                                  fontsize=FONT - 2, loc="upper center",
                                  bbox_to_anchor=(0.5, -0.14), ncol=2)
        fig.suptitle("The race between pathways: a module shared by K contexts learns K times "
                     "faster (four items in K contexts)", fontsize=FONT + 1)
        fig.tight_layout()
        return _save(fig, out_dir, "gated_race")


def _relu_runs(n_contexts: int, *, hidden: int, n_seeds: int, t_max: float, record_every: int):
    """Two-layer ReLU networks (no biases) from small random starts on the four items in
    ``n_contexts`` contexts, the context one-hot in the input."""
    task = contexts_task(n_contexts, context_inputs=True)
    run = simulate(task, hidden=hidden, activation="relu", init="gaussian", init_scale=START,
                   dt=0.05, t_max=t_max, record_every=record_every, n_seeds=n_seeds,
                   dtype="float64", record=("loss", "weights"))
    return task, run


def _gdln_of(task, run, seed: int, record: int):
    """The loss of the GDLN whose gates are seed ``seed``'s ReLU activation pattern at record
    ``record`` (`semjax.Gates.relu`), from the ReLU's own start, on the ReLU's time grid."""
    weights = tuple(layer[seed] for layer in run.weights)
    gates = Gates.relu(tuple(layer[record] for layer in weights), task.inputs)
    return simulate(task, hidden=weights[0].shape[-2], gates=gates,
                    init=tuple(layer[0] for layer in weights), dt=0.05, t_max=float(run.t[-1]),
                    record_every=run.info["record_every"], dtype="float64",
                    record=("loss",)).loss


def relu_gdln(out_dir, *, quick: bool = False) -> Path:
    """A ReLU network and the GDLN of its own gating pattern (Jarvis et al. 2025): a
    7 → 32 → 28 ReLU network without biases learns the four items in K = 3 contexts (item and
    context one-hot in the input; shared and context-specific properties out) from small
    random starts (scale 0.01).

    (a) One seed's excess loss (markers) against the GDLN whose node gates are the ReLU's
    activation pattern (`semjax.Gates.relu`), fixed, from the same start: the pattern the ReLU
    has when its loss has fallen by half (line) and its final one (dashed). (b) The largest
    gap between the two losses over the run, relative to the initial loss, for every seed:
    the pattern of the learning phase predicts the whole run to a few percent, the final one
    less well (the ReLU keeps re-gating after its main drop). (c) Structured mixed
    selectivity (`semjax.analysis.context_selectivity`, 8 seeds per K, at t = 80): the fraction of
    hidden units active in n of the K contexts. Few units serve one context alone (a modular
    solution would have K such modules); most are reused by K − 1 or all K contexts, the more
    so the more contexts there are. (d) Why reuse pays (`semjax.theory.pathway_correlations`):
    the largest singular value s₁ of a GDLN module gated on n of the K contexts grows with n,
    so a pathway reused by more contexts learns faster (the race of `gated_race`).
    """
    with jax.enable_x64(True):
        return _relu_gdln(out_dir, quick)


def _relu_gdln(out_dir, quick: bool) -> Path:
    hidden, n_seeds, t_max = (16, 2, 30.0) if quick else (32, 6, 60.0)
    task, run = _relu_runs(3, hidden=hidden, n_seeds=n_seeds, t_max=t_max, record_every=10)
    errors, curves = [], {}
    for seed in range(n_seeds):
        loss = run.loss[seed]
        half = int(np.argmax(loss < 0.5 * loss[0]))
        settled = {"at half loss": _gdln_of(task, run, seed, half),
                   "final": _gdln_of(task, run, seed, len(run.t) - 1)}
        errors.append([np.abs(g - loss).max() / loss[0] for g in settled.values()])
        if seed == 0:
            curves = settled | {"half time": run.t[half]}
    errors = np.array(errors)

    contexts_shown = (2, 3) if quick else (2, 3, 4)
    fractions = {}
    for n_contexts in contexts_shown:
        settled = t_max if quick else 80.0  # learned to within 1 % of the perfect fit
        task_k, run_k = _relu_runs(n_contexts, hidden=hidden, n_seeds=2 if quick else 8,
                                   t_max=settled, record_every=int(settled / 0.05))
        selectivity = analysis.context_selectivity(
            tuple(layer[:, -1] for layer in run_k.weights), task_k.inputs,
            np.repeat(np.arange(n_contexts), N_ITEMS))
        fractions[n_contexts] = selectivity.counts.sum(axis=0) / selectivity.counts.sum()

    with _readable():
        fig, axes = plt.subplots(1, 4, figsize=(15, 5.4),
                                 gridspec_kw={"width_ratios": [1.4, 0.8, 1, 1]})
        ax = axes[0]
        ax.plot(run.t[::2], run.loss[0, ::2], linestyle="none", marker="o",
                markerfacecolor="none", color="black", label="ReLU network")
        ax.plot(run.t, curves["at half loss"], color="tab:red",
                label=f"GDLN, gates at t = {curves['half time']:g} (half loss)")
        ax.plot(run.t, curves["final"], color="tab:blue", linestyle="--",
                label="GDLN, final gates")
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_xlabel(r"$t/\tau$")
        ax.set_ylabel("excess loss over the best linear map")
        ax.set_title("(a) ReLU vs the GDLN of its gates")
        ax.legend(fontsize=FONT - 2)

        ax = axes[1]
        for column, color in enumerate(("tab:red", "tab:blue")):
            ax.plot(np.full(n_seeds, column) + np.linspace(-0.12, 0.12, n_seeds),
                    100 * errors[:, column], linestyle="none", marker="o", color=color)
            ax.plot([column - 0.25, column + 0.25], [100 * np.median(errors[:, column])] * 2,
                    color=color, linewidth=2)
        ax.set_xticks([0, 1], ["gates at\nhalf loss", "final\ngates"])
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("max |loss gap| / initial loss (%)")
        ax.set_title(f"(b) {n_seeds} seeds")

        ax = axes[2]
        kinds = (("one context (modular)", "tab:orange"), ("some, not all (mixed)", "tab:green"),
                 ("every context (shared)", "black"))
        for index, n_contexts in enumerate(contexts_shown):
            shares = fractions[n_contexts]
            parts = (shares[0], shares[1:-1].sum(), shares[-1])
            bottom = 0.0
            for (label, color), part in zip(kinds, parts):
                ax.bar(index, part, bottom=bottom, color=color, width=0.6,
                       label=label if index == 0 else None)
                bottom += part
        ax.set_xticks(range(len(contexts_shown)), [f"K = {k}" for k in contexts_shown])
        ax.set_ylabel("fraction of hidden units active in")
        ax.set_title("(c) units are reused across contexts")
        ax.legend(fontsize=FONT - 2, loc="upper center", bbox_to_anchor=(0.5, -0.1))

        ax = axes[3]
        for index, n_contexts in enumerate(contexts_shown):
            speeds = _subset_speeds(n_contexts)
            n = np.arange(1, n_contexts + 1)
            ax.plot(n / n_contexts, speeds, marker="o",
                    color=plt.get_cmap("viridis")(index / len(contexts_shown)),
                    label=f"K = {n_contexts}")
        ax.set_xlabel("n/K: share of contexts it is gated on")
        ax.set_ylabel(r"its pathway's $s_1$ (theory)")
        ax.set_title("(d) reused pathways learn faster")
        ax.legend(fontsize=FONT - 2)
        fig.suptitle("ReLU networks as gated linear networks: the four items in K contexts",
                     fontsize=FONT + 1)
        fig.tight_layout()
        return _save(fig, out_dir, "relu_gdln")


def _subset_speeds(n_contexts: int) -> np.ndarray:
    """s₁ of the pathway through a hidden module gated on contexts 0..n−1, for n = 1..K, on
    the task with context inputs (`semjax.theory.pathway_correlations`)."""
    task = contexts_task(n_contexts, context_inputs=True)
    context = np.repeat(np.arange(n_contexts), N_ITEMS)
    gates = Gates([[task.n_in], [1] * n_contexts, [task.n_out]],
                  nodes={1: np.stack([(context <= n).astype(float)
                                      for n in range(n_contexts)])})
    return theory.pathway_correlations(task, gates).s.max(axis=1)
