"""Fitting the theory to runs (docs/theory-fitting.md): the closed form of each mode fitted
(`semjax.theory.fit`) to linear, tanh and ReLU networks learning the Rumelhart table."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from semjax import Trajectory, plotting, simulate, theory
from semjax.gallery._common import FONT, _finish, _readable, _rumelhart_task

ACTIVATIONS = ("linear", "tanh", "relu")
NET_COLORS = {"linear": "black", "tanh": "tab:orange", "relu": "tab:purple"}  # networks


def theory_fits(out_dir, *, quick: bool = False) -> Path:
    """Theory fits to linear, tanh and ReLU 8→32→36 nets on the Rumelhart table (mean
    convention, small Gaussian starts, Euler dt = 0.05): every mode-strength curve of every
    seed fitted by the closed form a(t; s, a0) of Saxe et al. 2014 eq. 12 (`theory.fit`).

    Panels: (a–c) one seed of each network, recorded strengths (markers) and the fitted
    sigmoids (lines), with the run's R² (fraction of the variance of its curves the fits
    explain, `Fit.linearity`) in the title; (d) fitted s over the task's s per mode (median
    and range over seeds); (e) 1 − R² per mode (median over seeds); (f) 1 − R² of each seed's
    run, the one-number summary of how linear its learning was.
    """
    task = _rumelhart_task()
    s = task.modes.s
    n_seeds, t_max = (3, 30.0) if quick else (16, 80.0)
    parts = [simulate(task, hidden=32, activation=activation, init="gaussian", init_scale=1e-3,
                      n_seeds=n_seeds, key=0, t_max=t_max, dt=0.05, record_every=8,
                      record=("modes",), kernel="reference")
             for activation in ACTIVATIONS]
    runs = Trajectory.stack(parts, [("activation", ACTIVATIONS)])
    fit = theory.fit(runs)
    t = np.linspace(0, runs.t[-1], 300)
    curves = np.asarray(fit.curves(t))  # (activation, seed, time, mode)
    modes = np.arange(1, len(s) + 1)
    with _readable():
        fig, axes = plt.subplots(2, 3, figsize=(13, 8.5), layout="constrained")
        for k, (ax, name) in enumerate(zip(axes[0], ACTIVATIONS)):
            for mode in range(len(s)):
                color = plotting.mode_color(mode)
                ax.plot(runs.t[::2], runs.modes[k, 0, ::2, mode], linestyle="none",
                        marker=plotting.mode_marker(mode), markersize=3.5, color=color,
                        label=f"mode {mode + 1}")
                ax.plot(t, curves[k, 0, :, mode], color=color, lw=1.3)
            ax.set_title(f"({'abc'[k]}) {name}: R² = 1 − {1 - fit.linearity[k, 0]:.1e}")
            ax.set_xlabel(r"$t/\tau$")
        axes[0, 0].set_ylabel(r"mode strength $a_\alpha$")
        axes[0, 2].legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0,
                          title="markers: run\nlines: fitted\nclosed form")
        ratio, unexplained = fit.s / s, 1 - fit.r2
        for k, name in enumerate(ACTIVATIONS):
            offset = (k - 1) * 0.2
            axes[1, 0].errorbar(modes + offset, np.median(ratio[k], axis=0),
                                yerr=np.abs(np.percentile(ratio[k], [0, 100], axis=0)
                                            - np.median(ratio[k], axis=0)),
                                color=NET_COLORS[name], marker="o", linestyle="none",
                                capsize=2, label=name)
            axes[1, 1].semilogy(modes, np.median(unexplained[k], axis=0),
                                color=NET_COLORS[name], marker="o", label=name)
            axes[1, 2].semilogy(np.full(n_seeds, k), 1 - fit.linearity[k], linestyle="none",
                                marker="o", color=NET_COLORS[name], alpha=0.7)
        axes[1, 0].axhline(1.0, color="0.5", lw=0.8)
        axes[1, 0].set(xlabel="mode α", ylabel=r"fitted $s_\alpha$ / task's $s_\alpha$",
                       xticks=modes)
        axes[1, 0].set_title("(d) fitted singular values")
        axes[1, 0].legend(loc="lower left")
        axes[1, 1].set(xlabel="mode α", ylabel=r"$1 - R^2$ (median over seeds)", xticks=modes)
        axes[1, 1].set_title("(e) misfit per mode")
        axes[1, 2].set(xticks=range(len(ACTIVATIONS)), xticklabels=ACTIVATIONS,
                       ylabel=r"$1 - R^2$ of the run", xlim=(-0.5, len(ACTIVATIONS) - 0.5))
        axes[1, 2].set_title(f"(f) how linear each run was ({n_seeds} seeds)")
        return _finish(fig, out_dir, "theory_fits",
                       "The closed form a(t; s, a0) fitted to every mode of linear, tanh and "
                       "ReLU nets (Rumelhart table)", fontsize=FONT + 1)
