"""A task schedule: learning the four items, their reversal, and A again.

`reversal` draws the closed form through the switches (`semjax.theory.schedule_solution`)
against RK4 simulation run phase by phase, for small λ-balanced starts of two balances.
"""

from __future__ import annotations

from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from semjax import Task, datasets, initial_weights, plotting, simulate
from semjax.gallery._common import FONT, _readable, _save
from semjax.schedule import Schedule, reversed_task
from semjax.theory import forgetting, schedule_solution

HIDDEN = 4
PRODUCT_SCALE = 0.01            # the initial map W2W1 = 0.01 · U0 V0ᵀ (random orientation)
DURATIONS = (4.0, 8.0, 10.0)    # in τ
LAMBDAS = (0.0, 1.0)
LAMBDA_COLORS = ("tab:purple", "tab:olive")


def _simulate_phases(schedule: Schedule, starts, n_steps: int, record_every: int):
    """RK4 through the schedule, each phase from the previous one's final weights (n_steps
    per phase, dt = duration/n_steps: one compilation). Returns t (time,) and the maps
    (runs, time, N3, N1), switch records kept once."""
    weights = tuple(np.stack(layer) for layer in zip(*starts))
    times, maps = [], []
    for k, (task, duration) in enumerate(schedule.phases):
        run = simulate(task, hidden=HIDDEN, init=weights, n_steps=n_steps,
                       dt=duration / n_steps, method="rk4", record=("product", "weights"),
                       record_every=record_every, dtype="float64")
        first = 0 if k == 0 else 1
        times.append(run.t[first:] + schedule.switch_times[k])
        maps.append(run.product[:, first:])
        weights = tuple(layer[:, -1] for layer in run.weights)
    return np.concatenate(times), np.concatenate(maps, axis=1)


def _mark_phases(ax, schedule: Schedule) -> None:
    """Switch times as dotted lines, the reversal phase shaded, phase names on a top axis."""
    for start in schedule.switch_times[1:]:
        ax.axvline(start, color="0.3", linewidth=0.9, linestyle=":")
    ax.axvspan(schedule.switch_times[1], schedule.end_times[1], color="0.5", alpha=0.08,
               linewidth=0)
    top = ax.secondary_xaxis("top")
    top.set_xticks((schedule.switch_times + schedule.end_times) / 2, schedule.names,
                   fontsize=FONT)
    top.tick_params(length=0)
    ax.set_xlim(0, schedule.total_time)


def reversal(out_dir, *, quick: bool = False) -> Path:
    """Reversal learning in the closed form: a 4→4→7 linear net learns the four items (A, the
    seed's Σyx = Y), then their reversal (−Σyx), then A again.

    (a, b) The map's projection on A's modes, a_α = u_αᵀ W v_α, from three random small
    λ-balanced starts (`semjax.initial_weights` with init="lambda_balanced":
    W2W1 = 0.01·U0V0ᵀ, U0, V0 and the hidden basis Haar, docs/theory.md §3.1) with λ = 0
    (zero-balanced, the rich regime) and λ = 1: lines the exact solution continued through the
    switches, markers RK4. With λ = 0 every mode must pass
    the saddle W ≈ 0, which it leaves only from what the previous phase left of the reversed
    direction (at most ~e^{−sT} after T on A): unlearning takes at least the time spent on A
    plus about the original learning time (docs/schedules.md), and relearning A longer still;
    with λ = 1 the modes reverse at
    once. (c, d) Forgetting of A and of its
    reversal: the loss on that task minus its value at the end of its phase, theory (lines)
    and simulation (markers), from the same runs.
    """
    task = Task.from_dataset(datasets.four_items(), normalise="sum")
    schedule = Schedule(list(zip((task, reversed_task(task), task), DURATIONS)),
                        names=("A", "reverse A", "A again"))
    n_seeds, n_steps, record_every = (2, 200, 4) if quick else (3, 2000, 20)
    runs = [(lam, seed) for lam in LAMBDAS for seed in range(n_seeds)]
    t = np.union1d(np.linspace(0.0, schedule.total_time, 200 if quick else 800),
                   schedule.end_times)
    with jax.enable_x64(True):  # the reversal is resolved from components ~1e-7 of the weights
        starts = [pair for lam in LAMBDAS for pair in zip(*initial_weights(
            task, hidden=HIDDEN, init="lambda_balanced", init_scale=PRODUCT_SCALE, lam=lam,
            n_seeds=n_seeds, key=0, dtype="float64"))]
        t_sim, simulated = _simulate_phases(schedule, starts, n_steps, record_every)
        solutions = [schedule_solution(schedule, w1, w2, t) for w1, w2 in starts]
        theory_maps = np.stack([np.asarray(solution.network_map) for solution in solutions])
    theory_modes, sim_modes = task.mode_strengths(theory_maps), task.mode_strengths(simulated)
    predicted = forgetting(schedule, theory_maps, t).forgetting
    measured = forgetting(schedule, simulated, t_sim).forgetting
    every = max(1, t_sim.size // 45)

    with _readable():
        fig, axes = plt.subplots(2, 2, figsize=(8.5, 7.6), sharex=True)
        for column, lam in enumerate(LAMBDAS):
            ax = axes[0, column]
            for index, (run_lam, _) in enumerate(runs):
                if run_lam != lam:
                    continue
                for mode in range(task.n_modes):
                    color = plotting.mode_color(mode)
                    ax.plot(t, theory_modes[index, :, mode], color=color, linewidth=1.2)
                    ax.plot(t_sim[::every], sim_modes[index, ::every, mode], linestyle="none",
                            marker=plotting.mode_marker(mode), markersize=3.5,
                            markerfacecolor="none", color=color)
            ax.set_title(f"({'ab'[column]}) λ = {lam:g}" + (": unlearns via W ≈ 0" if lam == 0
                                                            else ": reverses at once"))
            ax.set_ylabel(r"$a_\alpha = u_\alpha^T W v_\alpha$ (A's modes)" if column == 0
                          else "")
        for column, (phase, label) in enumerate(((0, "A"), (1, "reverse A"))):
            ax = axes[1, column]
            for index, (lam, _) in enumerate(runs):
                color = LAMBDA_COLORS[LAMBDAS.index(lam)]
                ax.plot(t, predicted[index, :, phase], color=color, linewidth=1.2)
                ax.plot(t_sim[::every], measured[index, ::every, phase], linestyle="none",
                        marker="o", markersize=3.5, markerfacecolor="none", color=color)
            ax.set_title(f"({'cd'[column]}) forgetting of {label}")
            ax.set_xlabel(r"$t/\tau$")
            ax.set_ylabel("loss on it − loss at its end" if column == 0 else "")
        for ax in axes.ravel():
            _mark_phases(ax, schedule)

        line = dict(linestyle="none", markerfacecolor="none", color="0.3")
        handles = [plt.Line2D([], [], color=plotting.mode_color(mode), linewidth=2)
                   for mode in range(task.n_modes)]
        labels = [f"mode {mode + 1}, s = {value:.2f}" for mode, value in enumerate(task.s)]
        handles += [plt.Line2D([], [], color=color, linewidth=2) for color in LAMBDA_COLORS]
        labels += [f"forgetting, λ = {lam:g}" for lam in LAMBDAS]
        handles += [plt.Line2D([], [], color="0.3"), plt.Line2D([], [], marker="o", **line)]
        labels += ["closed form (lines)", f"RK4, {n_seeds} seeds (markers)"]
        fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False,
                   columnspacing=1.2, handlelength=1.6)
        fig.suptitle("Reversal learning through task switches, 4→4→7 net", fontsize=FONT + 1)
        fig.tight_layout(rect=(0, 0.11, 1, 1))
        return _save(fig, out_dir, "reversal")
