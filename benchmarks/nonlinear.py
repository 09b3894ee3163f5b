"""`semjax.simulate` on nonlinear networks: runs per second against a batched PyTorch loop.

    python benchmarks/nonlinear.py [--quick] [--repeats R]

Full-batch gradient flow, Euler steps of size dt (= gradient descent with learning rate dt), of
the two-layer net f(x) = W2 φ(W1 x + b1) + b2 on a task's items X (N1×P), Y (N3×P) with the
loss c·½Σ_μ‖y_μ − f(x_μ)‖² (c = ``task.item_weight``), float32, from a gaussian start, the mode
strengths a_α = u_αᵀ (c f(X) Xᵀ) v_α ((U, s, V) = ``task.modes``) recorded every 10th step (and
at step 0), over a batch of independent runs. Two problems:

* ``seed``: the four one-hot items (sum convention, c = 1), 4→16→7, 1500 steps of dt 0.005,
  init scale 1e-2, 4096 runs (512 with --quick);
* ``hierarchy``: a branching-diffusion sample (B = 2, D = 3, 400 features, ε = 0.1, key 0;
  mean convention, c = 1/8), 8→32→400, 300 steps of dt 0.05, init scale 1e-3, 1024 runs (128
  with --quick).

Rows, for each problem: ``relu`` (φ = max(0, ·), no biases), ``relu+bias`` (biases on both
layers, starting at zero), ``tanh`` (no biases) and ``linear`` (φ = identity, no biases: for
reference; semjax integrates it in correlation form, W Σx, while the torch loop runs the same
item loss as the other rows, the same maths).

Each semjax row, ``simulate(task, hidden=..., activation=..., bias=..., dt=..., n_steps=...,
init="gaussian", init_scale=..., n_seeds=runs, record=("modes",), record_every=10,
dtype="float32")``, is matched by a PyTorch loop over the same runs: torch.bmm over all runs at
once (the shared inputs X, with a row of ones appended for the bias, by one broadcast matmul),
autograd of the sum of the runs' losses (so that each run's gradient is its own) and the update
W ← W − dt ∂L/∂W under torch.no_grad, 2 threads, OpenMP waiting set to passive (see below)
unless OMP_WAIT_POLICY is set. Before timing, each row is checked once: semjax is given the
torch loop's initial weights (``init=(W1, W2)`` with a leading run axis, biases as the last
column) and the largest difference of the final modes over all runs is reported (max |Δ
modes|), next to the largest final mode (max |modes|) in the JSON. Candidates are interleaved
(medians over repeats); semjax's first call (trace + compile + one run) is timed apart.
Prints a table and writes benchmarks/results/nonlinear.json.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

from _harness import (  # sets OMP_WAIT_POLICY=PASSIVE before torch loads
    interleaved_medians, print_table, torch_gradient_descent, try_first_call,
    write_torch_comparison)

import semjax
from semjax import Task, datasets

EVERY = 10
PROBLEMS = {
    "seed": dict(hidden=16, dt=0.005, n_steps=1500, init_scale=1e-2, runs=4096, quick=512),
    "hierarchy": dict(hidden=32, dt=0.05, n_steps=300, init_scale=1e-3, runs=1024, quick=128),
}
NETWORKS = {"relu": ("relu", False), "relu+bias": ("relu", True), "tanh": ("tanh", False),
            "linear": ("linear", False)}


def make_task(problem: str) -> Task:
    if problem == "seed":
        return Task.from_dataset(datasets.four_items(), normalise="sum")
    return Task.from_dataset(datasets.branching_diffusion(
        jax.random.key(0), branching=2, depth=3, n_features=400, flip=0.1))


def initial_weights(task: Task, hidden: int, scale: float, bias: bool, n_runs: int, seed: int):
    """Gaussian starts of the given scale for ``n_runs`` runs, float32, zero bias columns."""
    rng = np.random.default_rng(seed)
    W1 = scale * rng.standard_normal((n_runs, hidden, task.n_in))
    W2 = scale * rng.standard_normal((n_runs, task.n_out, hidden))
    if bias:
        W1 = np.concatenate([W1, np.zeros((n_runs, hidden, 1))], axis=2)
        W2 = np.concatenate([W2, np.zeros((n_runs, task.n_out, 1))], axis=2)
    return W1.astype(np.float32), W2.astype(np.float32)


class TorchNet:
    """One row's batched PyTorch loop: the task's items as float32 tensors and the training
    loop from given initial weights."""

    def __init__(self, task: Task, activation: str, bias: bool, dt: float, n_steps: int):
        import torch
        self.torch = torch
        as_tensor = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        X = as_tensor(task.inputs)
        self.bias, self.dt, self.n_steps = bias, dt, n_steps
        self.c = float(task.item_weight)
        self.inputs = torch.cat([X, torch.ones(1, X.shape[1])]) if bias else X
        self.targets = as_tensor(task.targets)
        U, _, V = task.modes
        self.U = as_tensor(U)
        self.right = self.c * (X.T @ as_tensor(V))  # c Xᵀ V, (P, r)
        self.phi = {"relu": torch.relu, "tanh": torch.tanh, "linear": lambda h: h}[activation]

    def outputs(self, W1, W2):
        """f(X) for every run, (runs, N3, P)."""
        hidden = self.phi(W1 @ self.inputs)  # (runs, H, P)
        if self.bias:
            ones = hidden.new_ones(hidden.shape[0], 1, hidden.shape[2])
            hidden = self.torch.cat([hidden, ones], dim=1)
        return self.torch.bmm(W2, hidden)

    def modes(self, outputs):
        """a_α = u_αᵀ (c f(X) Xᵀ) v_α for every run, (runs, r)."""
        return self.torch.einsum("ia,biu,ua->ba", self.U, outputs, self.right)

    def run(self, W1, W2):
        """Gradient descent from (W1, W2) (numpy, (runs, ...)); the modes (runs, records, r)."""
        return torch_gradient_descent(
            self.torch, W1, W2, outputs=self.outputs,
            record=lambda W1, W2: self.modes(self.outputs(W1, W2)), targets=self.targets,
            c=self.c, dt=self.dt, n_steps=self.n_steps, every=EVERY)

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="512 runs on the seed problem, 128 on the hierarchy; 2 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (quick: 2)")
    arguments = parser.parse_args()
    repeats = arguments.repeats or (2 if arguments.quick else 3)
    import torch
    torch.set_num_threads(2)
    rows, records = [], []
    for problem, settings in PROBLEMS.items():
        task = make_task(problem)
        n_runs = settings["quick"] if arguments.quick else settings["runs"]
        hidden, dt, n_steps, scale = (settings[k] for k in ("hidden", "dt", "n_steps",
                                                            "init_scale"))
        for network, (activation, bias) in NETWORKS.items():
            name = f"{problem} {network}"
            common = dict(hidden=hidden, activation=activation, bias=bias, dt=dt,
                          n_steps=n_steps, record=("modes",), record_every=EVERY,
                          dtype="float32")

            def run(common=common, n_runs=n_runs):
                return semjax.simulate(task, init="gaussian", init_scale=scale, n_seeds=n_runs,
                                       **common)

            first, message = try_first_call(name, run)
            if message is not None:
                records.append({"row": name, "runs": n_runs, "error": message})
                rows.append([name, n_runs, "-", "-", "-", "-", f"failed: {message[:40]}"])
                continue
            kernel = run().info["kernel"]
            W1, W2 = initial_weights(task, hidden, scale, bias, n_runs, seed=len(records))
            net = TorchNet(task, activation, bias, dt, n_steps)
            reference = net.run(W1, W2)
            check = semjax.simulate(task, init=(W1, W2), **common).modes
            difference = float(np.abs(check[:, -1] - reference[:, -1]).max())
            largest = float(np.abs(reference[:, -1]).max())
            medians = interleaved_medians(
                {"semjax": run, "torch": lambda net=net, W1=W1, W2=W2: net.run(W1, W2)},
                repeats)
            rate, torch_rate = n_runs / medians["semjax"], n_runs / medians["torch"]
            records.append({"row": name, "problem": problem, "activation": activation,
                            "bias": bias, "runs": n_runs, "hidden": hidden, "dt": dt,
                            "steps": n_steps, "init_scale": scale, "record_every": EVERY,
                            "kernel": kernel, "semjax_seconds": medians["semjax"],
                            "torch_seconds": medians["torch"], "semjax_runs_per_second": rate,
                            "torch_runs_per_second": torch_rate, "x_torch": rate / torch_rate,
                            "first_call_seconds": first,
                            "max_abs_diff_final_modes": difference,
                            "max_abs_final_modes": largest})
            rows.append([name, n_runs, rate, torch_rate, rate / torch_rate, first,
                         f"{difference:.2g}"])
            print(f"  {name} done ({time.strftime('%H:%M:%S')})", flush=True)
    print_table("simulate on nonlinear nets (float32, full-batch Euler, modes every "
                f"{EVERY}th step); torch.bmm + autograd loops with 2 threads",
                ["row", "runs", "semjax runs/s", "torch runs/s", "x torch", "first call s",
                 "max |Δ modes|"], rows)
    write_torch_comparison("nonlinear", PROBLEMS, records, record_every=EVERY,
                           quick=arguments.quick, repeats=repeats, torch=torch)


if __name__ == "__main__":
    main()
