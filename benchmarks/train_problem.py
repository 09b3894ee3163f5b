"""`semjax.train` on the seed problem: runs per second against a batched PyTorch loop.

    python benchmarks/train_problem.py [--quick] [--runs N] [--repeats R]

Problem: the seed's 4→16→7 deep linear net on the four one-hot items (sum convention, Σx = I),
float32, 1500 optimiser steps from a gaussian start of scale 1e-2, mode strengths u_αᵀ W v_α
recorded every 10th step (and at step 0), over a batch of independent runs (4096; 512 with
--quick). Rows:

* ``SGD full batch``: ``train(optimizer=optax.sgd(0.005))``, i.e. gradient descent (each
  transformation is built once and passed to every call, so that repeats reuse the compilation);
* ``SGD k=1 online``: ``train(optimizer=optax.sgd(0.005), batch_size=1, replace=True)``: each
  step each run draws one item, the loss c·(P/k)·½‖y_μ − W x_μ‖² with c = 1, P = 4, k = 1;
* ``Adam full batch``: ``train(optimizer=optax.adam(1e-3))``;
* ``simulate Euler``: ``simulate(method="euler", dt=0.005)``, the same maths as the first row,
  for reference (its auto kernel may differ from train's).

Each semjax row is matched by a PyTorch loop over the same number of runs (torch.bmm over all
runs at once, 2 threads): explicit gradients for the two SGD rows (item indices drawn per run
with torch.randint and gathered for k = 1), and autograd with torch.optim.Adam for Adam, the
loss being the sum of the runs' losses so that each run's gradient is its own (OpenMP waiting
set to passive, see below, unless OMP_WAIT_POLICY is set). Candidates are
interleaved (medians over repeats); semjax's first call (trace + compile + one run) is timed
apart. Prints a table and writes benchmarks/results/train_problem.json.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import optax

from _harness import (  # sets OMP_WAIT_POLICY=PASSIVE before torch loads
    interleaved_medians, print_table, torch_environment, try_first_call, write_json)

import semjax
from semjax import Task, datasets

N_STEPS, EVERY, HIDDEN, SCALE = 1500, 10, 16, 1e-2
SGD_RATE, ADAM_RATE = 0.005, 1e-3
TASK = Task.from_dataset(datasets.four_items(), normalise="sum")


def semjax_rows(n_runs: int) -> dict:
    """The semjax candidates, each a zero-argument callable over ``n_runs`` runs."""
    common = dict(hidden=HIDDEN, n_steps=N_STEPS, init="gaussian", init_scale=SCALE,
                  n_seeds=n_runs, record=("modes",), record_every=EVERY, dtype="float32")
    # Each transformation is built once and reused: a freshly built optax.sgd(η) is a new
    # object that jax does not recognise, so every call would compile again (~1 s here).
    sgd, adam = optax.sgd(SGD_RATE), optax.adam(ADAM_RATE)
    return {
        "SGD full batch": lambda: semjax.train(TASK, optimizer=sgd, **common),
        "SGD k=1 online": lambda: semjax.train(TASK, optimizer=sgd, batch_size=1, replace=True,
                                               **common),
        "Adam full batch": lambda: semjax.train(TASK, optimizer=adam, **common),
        "simulate Euler": lambda: semjax.simulate(TASK, dt=SGD_RATE, method="euler",
                                                  **common),
    }


class TorchProblem:
    """The seed problem as float32 torch tensors, and the three batched training loops."""

    def __init__(self, n_runs: int):
        import torch
        self.torch = torch
        self.n_runs = n_runs
        as_tensor = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        self.sigma_yx, self.sigma_x = as_tensor(TASK.sigma_yx), as_tensor(TASK.sigma_x)
        self.inputs, self.targets = as_tensor(TASK.inputs), as_tensor(TASK.targets)
        U, _, V = TASK.modes
        self.U, self.V = as_tensor(U), as_tensor(V)
        self.weight = float(TASK.item_weight) * TASK.n_items  # c · P/k with k = 1
        generator = torch.Generator().manual_seed(0)
        n_in, n_out = self.sigma_x.shape[0], self.sigma_yx.shape[0]
        self.W1 = SCALE * torch.randn(n_runs, HIDDEN, n_in, generator=generator)
        self.W2 = SCALE * torch.randn(n_runs, n_out, HIDDEN, generator=generator)

    def modes(self, W1, W2):
        return self.torch.einsum("ia,bij,ja->ba", self.U, self.torch.bmm(W2, W1), self.V)

    def sgd_full(self):
        """Gradient descent with explicit gradients of the correlation-form loss."""
        torch = self.torch
        W1, W2 = self.W1.clone(), self.W2.clone()
        records = [self.modes(W1, W2)]
        with torch.no_grad():
            for step in range(N_STEPS):
                E = self.sigma_yx - torch.bmm(W2, W1) @ self.sigma_x
                W1, W2 = (W1 + SGD_RATE * torch.bmm(W2.transpose(1, 2), E),
                          W2 + SGD_RATE * torch.bmm(E, W1.transpose(1, 2)))
                if (step + 1) % EVERY == 0:
                    records.append(self.modes(W1, W2))
        return torch.stack(records, 1).numpy()

    def sgd_online(self):
        """One item per run and step, drawn with replacement, explicit gradients."""
        torch = self.torch
        W1, W2 = self.W1.clone(), self.W2.clone()
        X, Y = self.inputs.T.contiguous(), self.targets.T.contiguous()  # (P, n_in), (P, n_out)
        generator = torch.Generator().manual_seed(1)
        rate = SGD_RATE * self.weight
        records = [self.modes(W1, W2)]
        with torch.no_grad():
            for step in range(N_STEPS):
                items = torch.randint(0, X.shape[0], (self.n_runs,), generator=generator)
                x, y = X[items].unsqueeze(2), Y[items].unsqueeze(2)  # (runs, n, 1)
                h = torch.bmm(W1, x)
                r = y - torch.bmm(W2, h)
                W1, W2 = (W1 + rate * torch.bmm(torch.bmm(W2.transpose(1, 2), r),
                                                x.transpose(1, 2)),
                          W2 + rate * torch.bmm(r, h.transpose(1, 2)))
                if (step + 1) % EVERY == 0:
                    records.append(self.modes(W1, W2))
        return torch.stack(records, 1).numpy()

    def adam_full(self):
        """torch.optim.Adam on batched weights; the loss is the sum of the runs' losses."""
        torch = self.torch
        W1 = self.W1.clone().requires_grad_(True)
        W2 = self.W2.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([W1, W2], lr=ADAM_RATE)
        with torch.no_grad():
            records = [self.modes(W1, W2)]
        for step in range(N_STEPS):
            optimiser.zero_grad(set_to_none=True)
            W = torch.bmm(W2, W1)
            loss = 0.5 * (W * (W @ self.sigma_x)).sum() - (W * self.sigma_yx).sum()
            loss.backward()
            optimiser.step()
            if (step + 1) % EVERY == 0:
                with torch.no_grad():
                    records.append(self.modes(W1, W2))
        return torch.stack(records, 1).numpy()


TORCH_MATCH = {"SGD full batch": "sgd_full", "SGD k=1 online": "sgd_online",
               "Adam full batch": "adam_full", "simulate Euler": "sgd_full"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="512 runs, 2 repeats")
    parser.add_argument("--runs", type=int, default=None, help="runs per call (default 4096)")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (quick: 2)")
    arguments = parser.parse_args()
    n_runs = arguments.runs or (512 if arguments.quick else 4096)
    repeats = arguments.repeats or (2 if arguments.quick else 3)
    import torch
    torch.set_num_threads(2)
    problem = TorchProblem(n_runs)
    candidates = semjax_rows(n_runs)
    rows, records = [], []
    for name, run in candidates.items():
        first, message = try_first_call(name, run)
        if message is not None:
            records.append({"row": name, "runs": n_runs, "error": message})
            rows.append([name, "-", "-", "-", "-", "-", "-", f"failed: {message[:40]}"])
            continue
        kernel = run().info["kernel"]
        torch_run = getattr(problem, TORCH_MATCH[name])
        medians = interleaved_medians({"semjax": run, "torch": torch_run}, repeats)
        rate, torch_rate = n_runs / medians["semjax"], n_runs / medians["torch"]
        records.append({"row": name, "runs": n_runs, "steps": N_STEPS, "record_every": EVERY,
                        "kernel": kernel, "semjax_seconds": medians["semjax"],
                        "torch_seconds": medians["torch"], "semjax_runs_per_second": rate,
                        "torch_runs_per_second": torch_rate, "x_torch": rate / torch_rate,
                        "first_call_seconds": first, "torch_loop": TORCH_MATCH[name]})
        rows.append([name, kernel, medians["semjax"], rate, torch_rate, rate / torch_rate,
                     first, ""])
        print(f"  {name} done ({time.strftime('%H:%M:%S')})", flush=True)
    print_table(f"train on the seed problem (4→16→7, float32, {N_STEPS} steps, modes every "
                f"{EVERY}th), {n_runs} runs; torch.bmm loops with 2 threads",
                ["row", "kernel", "semjax s", "semjax runs/s", "torch runs/s", "x torch",
                 "first call s", "note"], rows)
    write_json("train_problem", {"n_steps": N_STEPS, "record_every": EVERY, "hidden": HIDDEN,
                                 "init_scale": SCALE, "runs": n_runs, "repeats": repeats,
                                 "cores": os.cpu_count(), **torch_environment(torch),
                                 "results": records})


if __name__ == "__main__":
    main()
