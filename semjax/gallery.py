"""The figure gallery: one function per figure, each writing a PNG and returning its path.

``semjax figures`` runs every function in `FIGURES`. Each function takes the output folder and
``quick`` (tiny sizes, for tests) and uses only the public API.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, analysis, datasets, plotting, simulate, theory

SEED_HIDDEN = 16
SEED_DT = 0.005
SEED_INIT_SCALE = 1e-2


def _seed_task() -> Task:
    """The seed's experiment: Σyx = Y of the four-item table, Σx = I."""
    return Task.from_dataset(datasets.four_items(), normalise="sum")


def _save(fig, out_dir, name: str) -> Path:
    path = Path(out_dir) / f"{name}.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _seed_figure(out_dir, name: str, depth: int, n_steps: int, title: str) -> Path:
    """The seed's plot: singular values of Σ̂yx(t) = W(t)Σx during Euler training from the
    seed's init (entries 1e-2 · U[0, 1)), against t/τ."""
    run = simulate(_seed_task(), depth=depth, hidden=SEED_HIDDEN if depth > 1 else None,
                   n_steps=n_steps, dt=SEED_DT, init="uniform", init_scale=SEED_INIT_SCALE,
                   record=("singular_values",), key=0)
    fig, ax = plt.subplots(figsize=(6, 3))
    plotting.plot_mode_strengths(ax, run, field="singular_values", as_lines=True)
    ax.set_ylabel(r"singular values $a_\alpha(t)$ of $W(t)\Sigma^x$")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return _save(fig, out_dir, name)


def seed_deep(out_dir, *, quick: bool = False) -> Path:
    """Fig. 3C of the paper as in the seed: a 4→16→7 deep linear net, 1500 Euler steps."""
    return _seed_figure(out_dir, "seed_deep", 2, 300 if quick else 1500,
                        "Deep net 4→16→7 (seed's run: Euler dt = 0.005, init 1e-2·U[0,1))")


def seed_shallow(out_dir, *, quick: bool = False) -> Path:
    """Fig. 3D of the paper as in the seed: a 4→7 shallow net, 1000 Euler steps."""
    return _seed_figure(out_dir, "seed_shallow", 1, 200 if quick else 1000,
                        "Shallow net 4→7 (seed's run: Euler dt = 0.005, init 1e-2·U[0,1))")


def theory_vs_simulation(out_dir, *, quick: bool = False) -> Path:
    """Closed forms over a batch of seeds on the seed's task.

    Panels: (a) deep net from small random Gaussian weights, with a(t; s, a0_eff) where a0_eff
    is set from the batch's median half-time (random starts learn later than their initial
    strength predicts: the known delay); (b) deep net from aligned balanced starts with random
    hidden bases, where a(t; s, a0) is exact; (c) shallow net from the same Gaussian weights,
    where b(t; s, b0) is exact for every run (b0 = median initial strength is drawn).
    """
    task = _seed_task()
    s = task.modes.s
    n_seeds = 4 if quick else 64
    common = dict(t_max=6.0, dt=0.01, n_seeds=n_seeds, key=1, method="rk4")
    random_start = simulate(task, hidden=SEED_HIDDEN, init="gaussian", init_scale=1e-2, **common)
    aligned_start = simulate(task, hidden=SEED_HIDDEN, init="aligned", init_scale=1e-3, **common)
    shallow = simulate(task, depth=1, init="gaussian", init_scale=1e-2, **common)
    t = np.linspace(0, common["t_max"], 400)[:, None]

    half = np.nanmedian(analysis.crossing_times(random_start, s), axis=0)
    a0_eff = s / (1 + np.exp(2 * s * half))  # inverts t½ = ln(s/a0 − 1)/2s
    b0 = np.median(shallow.modes[:, 0], axis=0)
    panels = [
        (random_start, theory.mode_strength(t, s, a0_eff),
         f"(a) deep, Gaussian init σ=1e-2, {n_seeds} seeds", r"$a(t; s, a_0^{\rm eff})$"),
        (aligned_start, theory.mode_strength(t, s, 1e-3),
         f"(b) deep, aligned balanced init a0=1e-3, {n_seeds} seeds", r"$a(t; s, a_0)$ exact"),
        (shallow, theory.mode_strength(t, s, b0, depth=1),
         f"(c) shallow, Gaussian init σ=1e-2, {n_seeds} seeds", r"$b(t; s, b_0)$ exact"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
    for ax, (run, curves, title, theory_label) in zip(axes, panels):
        plotting.plot_mode_strengths(ax, run, names=[f"sim $a_{k + 1}$, s={v:.2f}"
                                                      for k, v in enumerate(s)])
        plotting.plot_curves(ax, t[:, 0], curves, label="theory " + theory_label)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel(r"mode strength $u_\alpha^T W(t)\Sigma^x v_\alpha$")
    fig.suptitle("Closed-form mode strengths (lines) vs simulated networks "
                 "(markers: median, band: 10–90 % over seeds); RK4, dt = 0.01", fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir, "theory_vs_simulation")


FIGURES = {
    "seed_deep": seed_deep,
    "seed_shallow": seed_shallow,
    "theory_vs_simulation": theory_vs_simulation,
}


def make_figures(out_dir="figures", *, names=None, quick: bool = False,
                 progress: bool = True) -> list[Path]:
    """Write the gallery's figures to ``out_dir`` and return their paths.

    Args:
        out_dir: folder for the PNG files (created if missing).
        names: which figures (keys of `FIGURES`); all by default.
        quick: tiny sizes (seconds; for tests), not for publication.
        progress: show a progress bar.

    Raises:
        ValueError: an unknown figure name.
    """
    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure names {unknown}; choose from {sorted(FIGURES)}.")
    os.makedirs(out_dir, exist_ok=True)
    from tqdm.auto import tqdm
    paths = []
    for name in tqdm(names, desc="figures", disable=not progress):
        paths.append(FIGURES[name](out_dir, quick=quick))
    return paths
