"""Generalisation from noisy teacher data (Lampinen & Ganguli, ICLR 2019).

`generalisation` draws the training and test errors of deep linear networks trained on the
noisy outputs of a low-rank teacher (`semjax.datasets.teacher_student`), simulated from small
random starts over independent draws of the data, against the random-matrix theory of
`semjax.theory.generalisation_errors`, with the predicted optimal early-stopping time.
"""

from __future__ import annotations

from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from semjax import datasets, simulate, theory
from semjax.gallery._common import FONT, _readable, _save

N_INPUTS, N_OUTPUTS = 32, 16
S_BAR = (3.0, 1.5)
NOISES = (0.5, 1.0)
HORIZON = 2.5  # simulate to 2.5 × the predicted optimal stopping time: the rise shows
COLORS = {"test": "tab:red", "train": "tab:blue"}


def _simulated_errors(noise: float, *, hidden: int, init_scale: float, n_draws: int,
                      n_seeds: int, n_steps: int, record_every: int, t_max: float):
    """Test and train errors relative to those of W = 0 (`semjax.theory.zero_map_errors`),
    (draw, time) each (seed-averaged), and the times."""
    setting = dict(noise=noise, n_inputs=N_INPUTS, n_outputs=N_OUTPUTS, n_examples=N_INPUTS)
    zero = theory.zero_map_errors(S_BAR, **setting)  # the errors of W = 0
    tests, trains = [], []
    for draw in range(n_draws):
        data = datasets.teacher_student(jax.random.key(draw), singular_values=S_BAR, **setting)
        task = data.task()
        run = simulate(task, hidden=hidden, dt=t_max / n_steps, n_steps=n_steps,
                       record_every=record_every, method="rk4", init="gaussian",
                       init_scale=init_scale, n_seeds=n_seeds, key=draw, record=("product",),
                       dtype="float64")
        tests.append(data.test_error(run.product).mean(axis=0) / zero.test)
        trains.append(task.excess_loss(run.product).mean(axis=0) / zero.train)
    return run.t, {"test": np.array(tests), "train": np.array(trains)}


def generalisation(out_dir, *, quick: bool = False) -> Path:
    """Train and test error over time on noisy teacher data, at two noise levels.

    A 32→H→16 deep linear net (H = 256; entries of both layers N(0, σ0²), σ0 = 0.005) learns
    from P = 32 whitened examples of a rank-two teacher with s̄ = (3, 1.5) and target noise
    σ = 0.5 or 1 (`semjax.datasets.teacher_student`), by RK4 gradient flow. Markers: mean over
    independent draws of the data (two starts each), band: ± their standard deviation (the
    finite-size spread); lines: the theory (`generalisation_errors` with the random start's
    λ = 2Hσ0²); dashed: the predicted optimal stopping time, dotted: the test error of the
    paper's non-gradient shrinkage optimum. Errors are relative to their values at W = 0.
    The test error falls as the teacher's modes are learned, then rises as the network fits
    the noise bulk of the data (overfitting), while the training error keeps falling.
    """
    hidden, init_scale = (64, 0.01) if quick else (256, 0.005)
    n_draws, n_seeds = (2, 1) if quick else (16, 2)
    n_steps, record_every = (60, 3) if quick else (250, 5)
    lam = 2 * hidden * init_scale ** 2
    panels = []
    with jax.enable_x64(True):
        for noise in NOISES:
            setting = dict(noise=noise, n_inputs=N_INPUTS, n_outputs=N_OUTPUTS,
                           n_examples=N_INPUTS)
            optimum = theory.optimal_stopping(S_BAR, 0.0, lam=lam, relative=True, **setting)
            t_max = HORIZON * optimum.time
            t, simulated = _simulated_errors(noise, hidden=hidden, init_scale=init_scale,
                                             n_draws=n_draws, n_seeds=n_seeds, n_steps=n_steps,
                                             record_every=record_every, t_max=t_max)
            grid = np.linspace(0.0, t_max, 400)
            predicted = theory.generalisation_errors(grid, S_BAR, 0.0, lam=lam, relative=True,
                                                     **setting)
            shrinkage = theory.shrinkage_error(S_BAR, relative=True, **setting)
            panels.append((noise, t, simulated, grid, predicted, optimum, shrinkage))

    with _readable():
        fig, axes = plt.subplots(1, 2, figsize=(8.5, 4.4), sharey=True)
        for ax, (noise, t, simulated, grid, predicted, optimum, shrinkage), letter in zip(
                axes, panels, "ab"):
            for name in ("test", "train"):
                curves = simulated[name]
                mean = curves.mean(axis=0)
                spread = (curves.std(axis=0, ddof=1) if len(curves) > 1
                          else np.zeros_like(mean))
                ax.fill_between(t, mean - spread, mean + spread, color=COLORS[name],
                                alpha=0.18, linewidth=0)
                ax.plot(t, mean, linestyle="none", marker="o", markersize=3.5,
                        markerfacecolor="none", color=COLORS[name])
                ax.plot(grid, getattr(predicted, name), color=COLORS[name], linewidth=1.6)
            ax.axvline(optimum.time, color="0.25", linestyle="--", linewidth=1.1)
            ax.axhline(shrinkage, color=COLORS["test"], linestyle=":", linewidth=1.1)
            threshold = theory.detection_threshold(noise=noise, n_inputs=N_INPUTS,
                                                   n_outputs=N_OUTPUTS, n_examples=N_INPUTS)
            ax.set_title(f"({letter}) noise σ = {noise:g} (threshold s̄* = {threshold:.2f})")
            ax.set_xlabel(r"$t/\tau$")
            ax.set_xlim(0, t[-1])
        top = max(1.0, *(max(np.max(panel[2]["test"].mean(axis=0)), np.max(panel[4].test))
                         for panel in panels))
        axes[0].set_ylim(0, 1.05 * top)
        axes[0].set_ylabel("error / error at W = 0")
        handles = [plt.Line2D([], [], color=COLORS["test"], linewidth=2),
                   plt.Line2D([], [], color=COLORS["train"], linewidth=2),
                   plt.Line2D([], [], color="0.3", linewidth=1.6),
                   plt.Line2D([], [], color="0.3", linestyle="none", marker="o",
                              markerfacecolor="none"),
                   plt.Line2D([], [], color="0.25", linestyle="--"),
                   plt.Line2D([], [], color=COLORS["test"], linestyle=":")]
        labels = ["test error ½‖W − W̄‖²", "training error ½‖W − Σyx‖²", "theory (lines)",
                  f"simulation: mean ± spread over {n_draws} data sets",
                  "predicted optimal stopping time", "non-gradient shrinkage optimum"]
        fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False,
                   columnspacing=1.5, handlelength=1.8)
        fig.suptitle(f"Generalisation from a noisy rank-2 teacher (s̄ = 3, 1.5): "
                     f"{N_INPUTS}→{hidden}→{N_OUTPUTS} net, P = {N_INPUTS}", fontsize=FONT + 1)
        fig.tight_layout(rect=(0, 0.2, 1, 1))
        return _save(fig, out_dir, "generalisation")
