"""`semjax.simulate` on gated deep linear networks: runs per second against a batched PyTorch
loop of the same gated network.

    python benchmarks/gated.py [--quick] [--repeats R]

The network is the neural race's (`semjax.Gates.contexts` with ``compete=True``): the four
items in K contexts (`semjax.datasets.contexts`, mean convention, P = 4K items), one input
module, a hidden module shared by every context (always on) and one per context (on only in
its context), each ``module`` units wide, and output blocks (shared, one per context); the
shared module feeds the shared block, context module k its own block and the shared block. So
f(x_μ) = (W2 ⊙ M) (g(μ) ⊙ W1 x_μ), M the mask of the existing edges, g(μ) the hidden node
gates, and the loss is c·½Σ_μ‖y_μ − f(x_μ)‖². Full-batch gradient flow, Euler steps of size
dt (= gradient descent with learning rate dt), float32, from a gaussian start, recording the
pathway strengths a_{p,α} = u_αᵀ W̄_p v_α (`semjax.readouts` ``pathway_modes``, on the bases of
`semjax.theory.pathway_correlations`) every 10th step and at step 0, over a batch of runs.
Two problems:

* ``K=3``: 4 → 16 → 28 (modules of 4), 800 steps of dt 0.05, init scale 1e-2, 1024 runs (128
  with --quick);
* ``K=8``: 4 → 72 → 63 (modules of 8), 800 steps of dt 0.05, init scale 1e-2, 256 runs (32
  with --quick).

Each semjax row, ``simulate(task, gates=gates, hidden=..., dt=..., n_steps=...,
init="gaussian", init_scale=..., n_seeds=runs, record=("pathway_modes",), record_every=10,
dtype="float32")``, is matched by a PyTorch loop over the same runs: the gated hidden layer and
masked output layer by broadcast matmuls over all runs at once, autograd of the sum of the
runs' losses and W ← W − dt ∂L/∂W under torch.no_grad, the pathway strengths by einsums over
the pathways' module masks; 2 threads, OpenMP waiting passive unless OMP_WAIT_POLICY is set.
Each row is checked once: semjax is given the torch loop's initial weights (``init=(W1, W2)``
with a run axis) and the largest difference of the final pathway strengths over all runs is
reported (max |Δ a|), beside the largest (max |a|) in the JSON. The candidates are interleaved;
the median and range of the repeats are reported; semjax's first call (trace + compile + one
run) is timed apart. Prints a table and writes benchmarks/results/gated.json.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from _harness import (  # sets OMP_WAIT_POLICY=PASSIVE before torch loads
    interleaved_samples, print_table, torch_gradient_descent, try_first_call,
    write_torch_comparison)

import semjax
from semjax import Gates, Task, datasets, theory

EVERY = 10
PROBLEMS = {
    "K=3": dict(contexts=3, module=4, dt=0.05, n_steps=800, init_scale=1e-2, runs=1024,
                quick=128),
    "K=8": dict(contexts=8, module=8, dt=0.05, n_steps=800, init_scale=1e-2, runs=256,
                quick=32),
}


def make_problem(contexts: int, module: int) -> tuple[Task, Gates]:
    task = Task.from_dataset(datasets.contexts(datasets.four_items(), contexts))
    gates = Gates.contexts(np.repeat(np.arange(contexts), 4), n_in=4, hidden=module,
                           outputs=[7] * (contexts + 1), compete=True)
    return task, gates


class TorchGated:
    """One row's batched PyTorch loop: the items, gates, edge mask and pathway masks as float32
    tensors, and the training loop from given initial weights."""

    def __init__(self, task: Task, gates: Gates, dt: float, n_steps: int):
        import torch
        self.torch = torch
        as_tensor = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        network = gates.network
        self.dt, self.n_steps, self.c = dt, n_steps, float(task.item_weight)
        self.inputs, self.targets = as_tensor(task.inputs), as_tensor(task.targets)
        self.gate = as_tensor(gates.nodes[1][network.unit_modules(1)])  # (H, P)
        self.mask = as_tensor(network.edge_mask(2))  # (N3, H)
        correlations = theory.pathway_correlations(task, gates)
        self.U, self.V = as_tensor(correlations.U), as_tensor(correlations.V)
        masks = [np.stack([network.indicators(layer)[path[layer]] for path in network.paths])
                 for layer in range(3)]
        self.masks = [as_tensor(m) for m in masks]  # (paths, n_l) per layer

    def pathway_modes(self, W1, W2):
        """a_{p,α} = u_αᵀ W̄_p v_α for every run, (runs, paths, r)."""
        einsum, (m0, m1, m2) = self.torch.einsum, self.masks
        right = m0[:, :, None] * self.V  # (paths, N1, r)
        hidden = m1[None, :, :, None] * einsum("bhn,pnr->bphr", W1, right)
        out = m2[None, :, :, None] * einsum("boh,bphr->bpor", W2, hidden)
        return einsum("or,bpor->bpr", self.U, out)

    def outputs(self, W1, W2):
        """f(X) for every run: the gated hidden layer and the masked output layer."""
        return (W2 * self.mask) @ (self.gate * (W1 @ self.inputs))

    def run(self, W1, W2):
        """Gradient descent from (W1, W2) (numpy, (runs, ...)); (runs, records, paths, r)."""
        return torch_gradient_descent(self.torch, W1, W2, outputs=self.outputs,
                                      record=self.pathway_modes, targets=self.targets,
                                      c=self.c, dt=self.dt, n_steps=self.n_steps, every=EVERY)

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 and 32 runs; 2 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="default 5 (quick: 2)")
    arguments = parser.parse_args()
    repeats = arguments.repeats or (2 if arguments.quick else 5)
    import torch
    torch.set_num_threads(2)
    rows, records = [], []
    for name, settings in PROBLEMS.items():
        task, gates = make_problem(settings["contexts"], settings["module"])
        n_runs = settings["quick"] if arguments.quick else settings["runs"]
        hidden = sum(gates.network.modules[1])
        common = dict(gates=gates, hidden=hidden, dt=settings["dt"],
                      n_steps=settings["n_steps"], record=("pathway_modes",),
                      record_every=EVERY, dtype="float32")

        def run(common=common, n_runs=n_runs, scale=settings["init_scale"]):
            return semjax.simulate(task, init="gaussian", init_scale=scale, n_seeds=n_runs,
                                   **common)

        first, message = try_first_call(name, run)
        if message is not None:
            records.append({"row": name, "runs": n_runs, "error": message})
            rows.append([name, n_runs, "-", "-", "-", "-", "-", f"failed: {message[:40]}"])
            continue
        kernel = run().info["kernel"]
        rng = np.random.default_rng(len(records))
        W1 = (settings["init_scale"] * rng.standard_normal((n_runs, hidden, task.n_in))
              ).astype(np.float32)
        W2 = (settings["init_scale"] * rng.standard_normal((n_runs, task.n_out, hidden))
              * gates.network.edge_mask(2)).astype(np.float32)
        net = TorchGated(task, gates, settings["dt"], settings["n_steps"])
        reference = net.run(W1, W2)
        check = semjax.simulate(task, init=(W1, W2), **common).pathway_modes
        difference = float(np.abs(check[:, -1] - reference[:, -1]).max())
        largest = float(np.abs(reference[:, -1]).max())
        samples = interleaved_samples(
            {"semjax": run, "torch": lambda net=net, W1=W1, W2=W2: net.run(W1, W2)}, repeats)
        seconds = {key: statistics.median(values) for key, values in samples.items()}
        rate, torch_rate = n_runs / seconds["semjax"], n_runs / seconds["torch"]
        spread = {key: [n_runs / max(values), n_runs / min(values)]
                  for key, values in samples.items()}
        records.append({"row": name, **{k: v for k, v in settings.items()
                                        if k not in ("runs", "quick")},
                        "runs": n_runs, "n_in": task.n_in, "hidden": hidden,
                        "n_out": task.n_out, "n_paths": len(gates.network.paths),
                        "record_every": EVERY, "kernel": kernel,
                        "semjax_seconds": samples["semjax"], "torch_seconds": samples["torch"],
                        "semjax_runs_per_second": rate, "torch_runs_per_second": torch_rate,
                        "semjax_runs_per_second_range": spread["semjax"],
                        "torch_runs_per_second_range": spread["torch"],
                        "x_torch": rate / torch_rate, "first_call_seconds": first,
                        "max_abs_diff_final_pathway_modes": difference,
                        "max_abs_final_pathway_modes": largest})
        rows.append([name, n_runs, rate,
                     f"{spread['semjax'][0]:.4g}–{spread['semjax'][1]:.4g}", torch_rate,
                     rate / torch_rate, first, f"{difference:.2g}"])
        print(f"  {name} done ({time.strftime('%H:%M:%S')})", flush=True)
    print_table("simulate on gated deep linear networks (float32, full-batch Euler, pathway "
                f"strengths every {EVERY}th step); torch loops with 2 threads",
                ["row", "runs", "semjax runs/s", "semjax range", "torch runs/s", "x torch",
                 "first call s", "max |Δ a|"], rows)
    write_torch_comparison("gated", PROBLEMS, records, record_every=EVERY,
                           quick=arguments.quick, repeats=repeats, torch=torch)


if __name__ == "__main__":
    main()
