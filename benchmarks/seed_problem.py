"""The seed problem at scale: trajectories per second, semjax against its baselines.

    python benchmarks/seed_problem.py [--quick]

Problem: the seed's 4→16→7 deep linear net on the four-item Σyx (Σx = I), 1500 Euler steps
of dt = 0.005, mode strengths recorded every step or every 10th. Candidates, run in the same
process and interleaved (medians over repeats; compile timed apart):

* ``semjax``: `semjax.simulate` (auto kernel: tiled batch-last layout, one thread per core);
* ``semjax reference``: the plain `jax.vmap` kernel (``kernel="reference"``), i.e. naive vmap;
* ``seed loop (SVD)``: the seed's numpy loop, transcribed, with its per-step SVD;
* ``seed loop (projection)``: the same loop recording u_αᵀ W v_α instead of an SVD;
* ``numpy batched``: batched matmuls over all trajectories at once;
* ``torch bmm``: the same with torch.bmm (2 threads), when PyTorch is installed.

"x seed" is the ratio to the seed's loop as the seed runs it (float64, full SVD every step);
"x seed same" to the seed's loop with the row's dtype and recording. Prints a table and writes
benchmarks/results/seed_problem.json.
"""

from __future__ import annotations

import argparse
import os

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from _harness import (  # noqa: E402
    first_call_seconds, interleaved_medians, print_table, two_thread_torch, write_json)

import semjax  # noqa: E402
from semjax import Task, datasets  # noqa: E402

N_STEPS, DT, HIDDEN, SCALE = 1500, 0.005, 16, 1e-2
TASK = Task.from_dataset(datasets.four_items(), normalise="sum")
Y = TASK.sigma_yx
U, _, V = TASK.modes


def initial_weights(batch: int, dtype):
    rng = np.random.default_rng(0)
    return (SCALE * rng.standard_normal((batch, HIDDEN, 4)).astype(dtype),
            SCALE * rng.standard_normal((batch, 7, HIDDEN)).astype(dtype))


def seed_loop(w_1, w_2, every: int, use_svd: bool):
    """The seed's loop for one trajectory, as the seed writes it (Σx multiplied in, a full
    SVD of the map per record), or recording the projections u_αᵀ W v_α instead."""
    s_x = np.eye(4, dtype=w_1.dtype)
    A = np.zeros((N_STEPS // every, 4))
    for t in range(N_STEPS):
        D = Y - w_2 @ w_1 @ s_x
        dw_1 = (w_2.T @ D) * DT
        dw_2 = (D @ w_1.T) * DT
        w_1 += dw_1
        w_2 += dw_2
        if (t + 1) % every == 0:
            s_yx_hat = w_2 @ w_1 @ s_x
            if use_svd:
                u, a, v = np.linalg.svd(s_yx_hat)  # noqa: RUF059 (the seed's call)
            else:
                a = np.einsum("ia,ij,ja->a", U, s_yx_hat, V)
            A[t // every] += a
    return A


def numpy_batched(W1, W2, every: int):
    """All trajectories at once with numpy's batched matmul."""
    Yb, Ub, Vb = (np.asarray(a, W1.dtype) for a in (Y, U, V))
    records = []
    for step in range(N_STEPS):
        E = Yb - W2 @ W1
        W1, W2 = W1 + DT * (W2.transpose(0, 2, 1) @ E), W2 + DT * (E @ W1.transpose(0, 2, 1))
        if (step + 1) % every == 0:
            records.append(np.einsum("ia,bij,ja->ba", Ub, W2 @ W1, Vb))
    return np.stack(records, 1)


def torch_bmm(W1, W2, every: int):
    """All trajectories at once with torch.bmm."""
    import torch
    W1, W2 = torch.from_numpy(W1), torch.from_numpy(W2)
    Yb, Ub, Vb = (torch.from_numpy(np.asarray(a, W1.numpy().dtype)) for a in (Y, U, V))
    records = []
    with torch.no_grad():
        for step in range(N_STEPS):
            E = Yb - torch.bmm(W2, W1)
            W1, W2 = (W1 + DT * torch.bmm(W2.transpose(1, 2), E),
                      W2 + DT * torch.bmm(E, W1.transpose(1, 2)))
            if (step + 1) % every == 0:
                records.append(torch.einsum("ia,bij,ja->ba", Ub, torch.bmm(W2, W1), Vb))
    return torch.stack(records, 1).numpy()


def semjax_run(batch: int, dtype, every: int, kernel: str = "auto"):
    return semjax.simulate(TASK, hidden=HIDDEN, n_steps=N_STEPS, dt=DT, init="gaussian",
                           init_scale=SCALE, n_seeds=batch, record=("modes",),
                           record_every=every, dtype=np.dtype(dtype).name, kernel=kernel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller batches, fewer repeats")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    have_torch = two_thread_torch() is not None
    batch = 2048 if arguments.quick else 16384
    baseline_batch = 512 if arguments.quick else 4096
    seed_runs = 2 if arguments.quick else 8
    rows, records = [], []
    W1, W2 = initial_weights(seed_runs, np.float64)
    seed_as_written = seed_runs / interleaved_medians({"seed": lambda: [
        seed_loop(W1[i].copy(), W2[i].copy(), 1, True) for i in range(seed_runs)]},
        arguments.repeats)["seed"]
    print(f"the seed's loop as written (float64, SVD every step): {seed_as_written:.1f} traj/s")
    for dtype in (np.float32, np.float64):
        for every in (10, 1):
            W1, W2 = initial_weights(baseline_batch, dtype)
            candidates = {
                "semjax": (batch, lambda: semjax_run(batch, dtype, every)),
                "semjax reference (naive vmap)": (
                    baseline_batch, lambda: semjax_run(baseline_batch, dtype, every,
                                                       "reference")),
                "seed loop (SVD)": (seed_runs, lambda: [
                    seed_loop(W1[i].copy(), W2[i].copy(), every, True)
                    for i in range(seed_runs)]),
                "seed loop (projection)": (seed_runs, lambda: [
                    seed_loop(W1[i].copy(), W2[i].copy(), every, False)
                    for i in range(seed_runs)]),
                "numpy batched": (baseline_batch, lambda: numpy_batched(W1, W2, every)),
            }
            if have_torch:
                candidates["torch bmm (2 threads)"] = (baseline_batch,
                                                       lambda: torch_bmm(W1, W2, every))
            first = {name: first_call_seconds(run) for name, (_, run) in candidates.items()
                     if name.startswith("semjax")}
            medians = interleaved_medians({k: v[1] for k, v in candidates.items()},
                                          arguments.repeats)
            rates = {name: candidates[name][0] / seconds for name, seconds in medians.items()}
            for name, rate in rates.items():
                row = {"dtype": np.dtype(dtype).name, "record_every": every, "candidate": name,
                       "batch": candidates[name][0], "trajectories_per_second": rate,
                       "x_seed_as_written": rate / seed_as_written,
                       "x_seed_loop_svd": rate / rates["seed loop (SVD)"],
                       "x_numpy_batched": rate / rates["numpy batched"],
                       "first_call_seconds": first.get(name)}
                if have_torch:
                    row["x_torch"] = rate / rates["torch bmm (2 threads)"]
                records.append(row)
                rows.append([row["dtype"], every, name, row["batch"], rate,
                             row["x_seed_as_written"], row["x_seed_loop_svd"],
                             row["x_numpy_batched"],
                             row.get("x_torch", float("nan")),
                             first.get(name, float("nan"))])
    print_table("seed problem (4→16→7, 1500 Euler steps), trajectories per second",
                ["dtype", "every", "candidate", "batch", "traj/s", "x seed", "x seed same",
                 "x numpy", "x torch", "first s"], rows)

    sizes = [1, 64, 1024, 16384] + ([] if arguments.quick else [65536])
    scaling = []
    for size in sizes:
        first = first_call_seconds(lambda size=size: semjax_run(size, np.float32, 10))
        seconds = interleaved_medians({"run": lambda size=size: semjax_run(size, np.float32,
                                                                             10)},
                                      arguments.repeats)["run"]
        scaling.append({"batch": size, "trajectories_per_second": size / seconds,
                        "first_call_seconds": first})
    print_table("semjax float32, modes every 10th step, by batch size",
                ["batch", "traj/s", "first call s"],
                [[r["batch"], r["trajectories_per_second"], r["first_call_seconds"]]
                 for r in scaling])
    write_json("seed_problem", {"n_steps": N_STEPS, "dt": DT, "hidden": HIDDEN,
                                "cores": os.cpu_count(), "seed_as_written": seed_as_written,
                                "results": records,
                                "batch_scaling": scaling})


if __name__ == "__main__":
    main()
