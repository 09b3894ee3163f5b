"""Tutorial 3: how close do networks from random starts come to the closed form?

What the paper claims (docs/theory.md §2.1–§2.2, §3.1). The closed form a(t; s, a0) of a deep
linear network is exact for aligned, balanced starts: weights that already point along the
task's singular vectors, with W2ᵀW2 = W1W1ᵀ. Real networks start from small random weights.
Early in learning, while the weights are small, the flow is linear in them, and each mode
behaves as an aligned start with an effective initial strength

    a0_eff = ¼ ‖W1(0) v_α + W2(0)ᵀ u_α‖²      (`semjax.theory.effective_a0`),

which sets when the mode takes off. What it leaves out is the competition between modes
while their hidden directions still overlap, and the random basis a start picks within
degenerate modes. So random starts follow the closed form up to a small delay, larger for
weak modes, which is what Saxe et al. (ICLR 2014, Fig. 3) reported and what the how-to
"Compare random starts with the theory" (docs/howto/theory-vs-random-starts.md) explains.

What this script shows. On the Rumelhart environment (8 items, 36 attributes) it runs the
comparison a newcomer would: (a) small random Gaussian starts against the closed form from
each seed's effective a0, (b) aligned balanced starts (``init="aligned"``) against the closed
form from the same a0, where the two agree up to the integrator's error, and (c) the measured
delay t½(simulation) − t½(theory) of every mode (`semjax.compare`): positive for the random
starts, zero for the aligned ones. Both runs use RK4 so that the integrator adds no delay of
its own.

Run ``python examples/03_random_starts_vs_theory.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import semjax
from semjax import datasets, plotting, theory

HIDDEN = 32
INIT_SCALE = 1e-3  # standard deviation of the Gaussian weights


def main(quick: bool = False, out_dir=".") -> dict:
    """Compare random and aligned starts with the closed form and measure the delay.

    Args:
        quick: a few seeds and a coarse time step (a few seconds), the same
            code path.
        out_dir: the folder the figure is written to (created if needed).

    Returns:
        A dict with ``s`` (the singular values), ``a0`` (the aligned start, the median
        effective initial strength of the random starts), ``random_delay`` and
        ``aligned_delay`` (t½(simulation) − t½(theory) per seed and mode, in units of τ) and
        ``figure`` (the path of the PNG).
    """
    task = semjax.Task.from_dataset(datasets.rumelhart())  # Σyx = Y/8, Σx = I/8
    s = task.modes.s
    start = dict(hidden=HIDDEN, n_seeds=4 if quick else 32, key=2)
    settings = dict(t_max=80.0, dt=0.2 if quick else 0.05, method="rk4",
                    record_every=2 if quick else 8, **start)

    random_run = semjax.simulate(task, init="gaussian", init_scale=INIT_SCALE, **settings)
    weights = semjax.initial_weights(task, init="gaussian", init_scale=INIT_SCALE, **start)
    a0 = theory.effective_a0(task, weights)  # (seed, r)
    random_theory = theory.trajectory(task, random_run.t, a0, batch_axes=("seed",))
    random_comparison = semjax.compare(random_run, random_theory)

    aligned_a0 = float(np.median(a0))  # the same typical start, now aligned and balanced
    aligned_run = semjax.simulate(task, init="aligned", init_scale=aligned_a0, **settings)
    aligned_theory = theory.trajectory(task, aligned_run.t, aligned_a0)
    aligned_comparison = semjax.compare(aligned_run, aligned_theory)

    fig = plt.figure(figsize=(16, 4.8), layout="constrained")
    random_ax, aligned_ax, delay_ax = fig.subplots(1, 3, width_ratios=[1, 1.45, 1])
    names = [f"$a_{{{k + 1}}}$, s = {value:.3f}" for k, value in enumerate(s)]
    plotting.plot_mode_strengths_with_theory(random_ax, random_run, random_theory,
                                             names=names, legend=False)
    random_ax.set_title(f"(a) Gaussian starts σ = {INIT_SCALE:g}: theory from each seed's "
                        "effective $a_0$", fontsize=10)
    plotting.plot_mode_strengths_with_theory(aligned_ax, aligned_run, aligned_theory,
                                             names=names)
    aligned_ax.set_title(f"(b) aligned balanced starts $a_0$ = {aligned_a0:.2g}: exact",
                         fontsize=10)
    modes = np.arange(1, len(s) + 1)
    for k, (comparison, label) in enumerate(((random_comparison, "Gaussian starts"),
                                             (aligned_comparison, "aligned starts"))):
        plotting.plot_points(delay_ax, modes, comparison.half_time_error,
                             color=plotting.mode_color(k), marker=plotting.mode_marker(k),
                             label=label, offset=0.1 * (2 * k - 1))
    delay_ax.axhline(0, color="black", linewidth=0.8)
    delay_ax.set(xlabel=r"mode $\alpha$ (strongest first)",
                 ylabel=r"delay $t_{1/2}^{\rm sim} - t_{1/2}^{\rm theory}$ ($\tau$)",
                 xticks=modes)
    delay_ax.set_title("(c) delay per mode (median, 10–90 % over seeds)", fontsize=10)
    delay_ax.legend(fontsize=10)
    fig.suptitle(f"Rumelhart environment, 8→{HIDDEN}→36 networks, {random_run.batch_shape[0]} "
                 "seeds, RK4: random starts trail the closed form a little, aligned ones "
                 "follow it", fontsize=11)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    figure = Path(out_dir) / "03_random_starts_vs_theory.png"
    fig.savefig(figure, dpi=80 if quick else 120)
    plt.close(fig)
    return {"s": s, "a0": aligned_a0, "random_delay": random_comparison.half_time_error,
            "aligned_delay": aligned_comparison.half_time_error, "figure": figure}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few seeds, coarse time step")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    arguments = parser.parse_args()
    results = main(quick=arguments.quick, out_dir=arguments.out)
    print("singular values       ", np.round(results["s"], 3))
    print("delay, Gaussian starts", np.round(np.median(results["random_delay"], axis=0), 3))
    print("delay, aligned starts ", np.round(np.median(results["aligned_delay"], axis=0), 3))
    print("wrote", results["figure"])
