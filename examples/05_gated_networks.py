"""Tutorial 5: gated networks, the race between their pathways, and ReLU networks as gated ones.

What the papers claim (docs/gated-networks.md). A gated deep linear network (GDLN) switches
its modules on and off item by item with gates that belong to the data, here the context an
item is seen in. Given its gates it is linear, and its learning reduces to a *race* between
pathways (Saxe, Sodhani & Lewallen 2022): a pathway active on k items has singular values
proportional to k, so a hidden module shared by K contexts learns K times faster than a module
of one context, and where pathways meet in an output they compete for its error. A ReLU
network is the GDLN gated by its own activation pattern (Jarvis et al. 2025); its learning
follows that GDLN, and it prefers hidden units reused by several contexts.

What this script shows. On the four items in K = 3 contexts (`semjax.datasets.contexts`) it
builds the race network (`semjax.Gates.contexts`, a shared module and one per context, each
context module also feeding the shared block), simulates it from the aligned start and draws
the pathway strengths against the reduction's solution (`semjax.theory.neural_race`). Then it
trains a ReLU network on the same items with the context in the input, and draws its loss
against the GDLN of its own gating pattern (`semjax.Gates.relu`) from the same start. It
returns the largest gap between simulation and reduction, the race factor s_shared/s_context,
and the ReLU's largest loss gap to its GDLN.

Run ``python examples/05_gated_networks.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import semjax
from semjax import datasets, plotting, theory

K = 3  # contexts
START = 1e-2  # the aligned start: every pathway mode at 0.01
SHOWN = {(0, 0, 0): ("shared → shared block", "black"),
         (0, 1, 0): ("context 1 → shared block", "tab:cyan"),
         (0, 1, 1): ("context 1 → its own block", "tab:orange")}


def main(quick: bool = False, out_dir=".") -> dict:
    """Race a GDLN's pathways against the reduction, and a ReLU network against its GDLN.

    Args:
        quick: a coarse time step and a short ReLU run (a few seconds), the same code path.
        out_dir: the folder the figure is written to (created if needed).

    Returns:
        A dict with ``race_error`` (the largest |simulated − reduced| pathway strength),
        ``race_factor`` (s of the shared pathway over a context's), ``relu_gap`` (the largest
        gap between the ReLU's loss and its GDLN's, over the ReLU's initial loss),
        ``relu_half_time`` (when the gates were taken) and ``figure`` (the PNG's path).
    """
    with jax.enable_x64(True):  # the reduction is compared to 1e-6
        return _main(quick, out_dir)


def _main(quick: bool, out_dir) -> dict:
    context = np.repeat(np.arange(K), 4)  # item k·4 + i is item i in context k
    task = semjax.Task.from_dataset(datasets.contexts(datasets.four_items(), K))
    gates = semjax.Gates.contexts(context, n_in=4, hidden=4, outputs=[7] * (K + 1),
                                  compete=True)
    run = semjax.simulate(task, gates=gates, hidden=16, init="aligned", init_scale=START,
                          dt=0.1 if quick else 0.05, t_max=40.0, method="rk4",
                          dtype="float64", record=("pathway_modes", "loss"))
    correlations = theory.pathway_correlations(task, gates)
    race = np.asarray(theory.neural_race(run.t, correlations, START))

    relu_task = semjax.Task.from_dataset(datasets.contexts(datasets.four_items(), K,
                                                           context_inputs=True))
    t_max = 30.0 if quick else 60.0
    relu = semjax.simulate(relu_task, hidden=32, activation="relu", init="gaussian",
                           init_scale=START, dt=0.05, t_max=t_max, record_every=10,
                           dtype="float64", record=("loss", "weights"))
    weights = tuple(layer[0] for layer in relu.weights)
    half = int(np.argmax(relu.loss[0] < 0.5 * relu.loss[0, 0]))
    own_gates = semjax.Gates.relu(tuple(layer[half] for layer in weights), relu_task.inputs)
    gdln = semjax.simulate(relu_task, hidden=32, gates=own_gates,
                           init=tuple(layer[0] for layer in weights), dt=0.05, t_max=t_max,
                           record_every=10, record=("loss",))

    fig, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    for path, (label, color) in SHOWN.items():
        p = correlations.paths.index(path)
        plotting.plot_theory_and_runs(axes[0], run.t, race[:, p, 0], run.t,
                                      run.pathway_modes[:, :, p, 0], color=color, label=label,
                                      band=None, separate_labels=False)
    axes[0].set_xlabel(r"$t/\tau$")
    axes[0].set_ylabel("pathway strength, mode 1")
    axes[0].set_title("(a) GDLN: pathways race for the shared block")
    plotting.add_style_legend(axes[0], theory="neural race reduction (lines)",
                              simulation="aligned GDLN (markers)", fontsize=9)
    axes[1].plot(relu.t[::2], relu.loss[0, ::2], "o", markerfacecolor="none", color="black",
                 label="ReLU network")
    axes[1].plot(gdln.t, gdln.loss, color="tab:red",
                 label=f"GDLN of its gates at t = {relu.t[half]:g}")
    axes[1].set_xlabel(r"$t/\tau$")
    axes[1].set_ylabel("excess loss")
    axes[1].set_title("(b) a ReLU network and the GDLN of its gates")
    axes[1].legend(fontsize=9)
    fig.suptitle(f"Gated networks on the four items in {K} contexts")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    figure = Path(out_dir) / "05_gated_networks.png"
    fig.savefig(figure, dpi=80 if quick else 120)
    plt.close(fig)
    return {"race_error": float(np.abs(run.pathway_modes[0] - race).max()),
            "race_factor": float(correlations.s[0, 0] / correlations.s[2, 0]),
            "relu_gap": float(np.abs(gdln.loss - relu.loss[0]).max() / relu.loss[0, 0]),
            "relu_half_time": float(relu.t[half]), "figure": figure}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarse time step, short runs")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    arguments = parser.parse_args()
    results = main(quick=arguments.quick, out_dir=arguments.out)
    print(f"GDLN vs the race reduction: largest gap {results['race_error']:.1e}; the shared "
          f"pathway is {results['race_factor']:.2f}× faster than a context's")
    print(f"ReLU vs the GDLN of its gates at t = {results['relu_half_time']:g}: largest loss "
          f"gap {100 * results['relu_gap']:.1f} % of the initial loss")
    print("wrote", results["figure"])
