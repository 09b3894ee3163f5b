"""The seed's figures (Fig. 3C–D of the paper as the seed drew them) and the closed forms
against simulated networks over a batch of seeds (docs/theory.md §2.2–§2.3)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from semjax import analysis, initial_weights, plotting, simulate, theory
from semjax.gallery._common import FONT, _finish, _legend_below, _readable, _save, _seed_task

SEED_HIDDEN = 16
SEED_DT = 0.005
SEED_INIT_SCALE = 1e-2


def _seed_figure(out_dir, name: str, depth: int, n_steps: int, title: str) -> Path:
    """The seed's plot: singular values of Σ̂yx(t) = W(t)Σx during Euler training from the
    seed's init (entries 1e-2 · U[0, 1)), against t/τ."""
    run = simulate(_seed_task(), depth=depth, hidden=SEED_HIDDEN if depth > 1 else None,
                   n_steps=n_steps, dt=SEED_DT, init="uniform", init_scale=SEED_INIT_SCALE,
                   record=("singular_values",), key=0)
    with _readable():
        fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
        plotting.plot_mode_strengths(ax, run, field="singular_values", as_lines=True)
        ax.set_ylabel(r"singular values of $W(t)\Sigma^x$")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
        return _save(fig, out_dir, name)


def seed_deep(out_dir, *, quick: bool = False) -> Path:
    """Fig. 3C of the paper as in the seed: a 4→16→7 deep linear net, 1500 Euler steps."""
    return _seed_figure(out_dir, "seed_deep", 2, 300 if quick else 1500,
                        "Deep net 4→16→7, the seed's run\n(Euler dt = 0.005, init 1e-2·U[0, 1))")


def seed_shallow(out_dir, *, quick: bool = False) -> Path:
    """Fig. 3D of the paper as in the seed: a 4→7 shallow net, 1000 Euler steps."""
    return _seed_figure(out_dir, "seed_shallow", 1, 200 if quick else 1000,
                        "Shallow net 4→7, the seed's run\n(Euler dt = 0.005, init 1e-2·U[0, 1))")


def theory_vs_simulation(out_dir, *, quick: bool = False) -> Path:
    """Closed forms over a batch of seeds on the seed's task (docs/theory.md §2.2–§2.3).

    Panels: (a) deep net from small random Gaussian weights, with a(t; s, a0_eff) where a0_eff
    is the median over seeds of each mode's effective initial strength
    ¼‖W1(0)v_α + W2(0)ᵀu_α‖² (`semjax.theory.effective_a0` of the runs' own starts,
    `semjax.initial_weights`), the treatment used in every figure; random starts learn later
    than it predicts (the known delay of docs/howto/theory-vs-random-starts.md), and the
    panel states the measured median delay of each mode's half-time; (b) deep net from
    aligned balanced starts with random hidden bases, where a(t; s, a0) is exact; (c)
    shallow net from the same Gaussian weights, where b(t; s, b0) is exact for every run
    (b0 = median initial strength is drawn). The degenerate modes 3 and 4 (s = 1) are told
    apart by line style and staggered markers.
    """
    task = _seed_task()  # Σx = I: recorded and product strengths agree
    s = task.modes.s
    n_seeds = 4 if quick else 64
    common = dict(t_max=6.0, dt=0.01, n_seeds=n_seeds, key=1, method="rk4")
    gaussian = dict(hidden=SEED_HIDDEN, init="gaussian", init_scale=1e-2, n_seeds=n_seeds, key=1)
    random_start = simulate(task, t_max=6.0, dt=0.01, method="rk4", **gaussian)
    aligned_start = simulate(task, hidden=SEED_HIDDEN, init="aligned", init_scale=1e-3, **common)
    shallow = simulate(task, depth=1, init="gaussian", init_scale=1e-2, **common)
    t = np.linspace(0, common["t_max"], 400)

    random_theory = theory.closed_form_for(random_start, task, t,
                                           start=initial_weights(task, **gaussian))
    delay = (np.nanmedian(analysis.crossing_times(random_start, s), axis=0)
             - theory.half_time(s, np.asarray(random_theory.info["a0"])))
    shallow_start = initial_weights(task, depth=1, init="gaussian", init_scale=1e-2,
                                    n_seeds=n_seeds, key=1)
    panels = [
        (random_start, random_theory,
         "(a) deep, Gaussian σ = 1e-2", r"theory $a(t; s, a_0^{\rm eff})$"),
        (aligned_start, theory.closed_form_for(aligned_start, task, t),
         "(b) deep, aligned $a_0$ = 1e-3", r"theory $a(t; s, a_0)$, exact"),
        (shallow, theory.closed_form_for(shallow, task, t, start=shallow_start),
         "(c) shallow, Gaussian σ = 1e-2", r"theory $b(t; s, b_0)$, exact"),
    ]
    names = [f"mode {k + 1}, s = {v:.2f}" for k, v in enumerate(s)]
    with _readable():
        fig, axes = plt.subplots(1, 3, figsize=(10, 4.4), sharey=True, layout="constrained")
        for ax, (run, closed_form, title, theory_label) in zip(axes, panels):
            artists = plotting.plot_mode_strengths_with_theory(
                ax, run, closed_form, names=names, legend=ax is axes[-1])
            ax.set_title(f"{title}\n{theory_label}")
            ax.set_ylabel("")  # one label for the shared axis, on (a)
        axes[0].set_ylabel(r"mode strength $u_\alpha^T W(t)\Sigma^x v_\alpha$")
        _legend_below(fig, artists[-1], ncol=3)
        return _finish(fig, out_dir, "theory_vs_simulation",
                       f"Closed-form mode strengths vs simulated networks ({n_seeds} seeds, "
                       "RK4, dt = 0.01)\n(a): random starts lag the theory by a measured "
                       "median t½ delay of " + ", ".join(f"{value:+.2f}" for value in delay)
                       + " τ (modes 1–4)", fontsize=FONT + 1)
