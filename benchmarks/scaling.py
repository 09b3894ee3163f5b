"""Scaling to large hierarchies: achieved GFLOP/s against the machine's matmul peak.

    python benchmarks/scaling.py [--quick]

Tasks: branching-diffusion hierarchies (B = 2) with P = 8 … 1024 items, as many features as
items, one-hot inputs (mean convention, Σx = I/P), a two-layer net with hidden = P, Euler,
float32, modes recorded every 10th step. One Euler step of the two-layer flow costs
6·N1·N2·N3 flops in its three matrix products (W2W1, W2ᵀE, EW1ᵀ), which is what is counted.
The peak is the best float32 matmul rate measured in the same run (jax and numpy, n = 2048).
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from _harness import first_call_seconds, interleaved_medians, print_table, write_json

import semjax
from semjax import Task, datasets


def matmul_peak(n: int = 2048, repeats: int = 5) -> dict:
    """Best float32 matmul GFLOP/s of jax (XLA) and numpy on n × n matrices."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    ja = jax.device_put(a)
    dot = jax.jit(jnp.dot)
    jax.block_until_ready(dot(ja, ja))
    medians = interleaved_medians({"jax": lambda: dot(ja, ja), "numpy": lambda: a @ a}, repeats)
    return {name: 2 * n ** 3 / seconds / 1e9 for name, seconds in medians.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="up to 256 items")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    peak = matmul_peak()
    best_peak = max(peak.values())
    print("float32 matmul peak: " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peak.items()))
    depths = range(3, 9 if arguments.quick else 11)
    rows, records = [], []
    for depth in depths:
        n_items = 2 ** depth
        data = datasets.branching_diffusion(jax.random.key(depth), branching=2, depth=depth,
                                            n_features=n_items, flip=0.1)
        task = Task.from_dataset(data)
        flops_per_step = 6 * n_items ** 3
        n_steps = int(np.clip(4e10 / flops_per_step / 10, 4, 300)) * 10
        n_runs = int(np.clip(2e6 / n_items ** 2, 1, 4096))

        def run(task=task, n_steps=n_steps, n_runs=n_runs):
            return semjax.simulate(task, hidden=n_items, n_steps=n_steps, dt=0.05,
                                   init="gaussian", init_scale=1e-3, n_seeds=n_runs,
                                   record=("modes",), record_every=10)

        first = first_call_seconds(run)
        seconds = interleaved_medians({"run": run}, arguments.repeats)["run"]
        rate = flops_per_step * n_steps * n_runs / seconds / 1e9
        kernel = run().info["kernel"]
        records.append({"items": n_items, "hidden": n_items, "features": n_items,
                        "runs": n_runs, "steps": n_steps, "kernel": kernel,
                        "seconds": seconds, "first_call_seconds": first, "gflops": rate,
                        "fraction_of_peak": rate / best_peak})
        rows.append([n_items, n_runs, n_steps, kernel, seconds, rate, rate / best_peak, first])
        print(f"  {n_items} items done ({time.strftime('%H:%M:%S')})", flush=True)
    print_table(f"two-layer Euler on branching-diffusion hierarchies, float32 "
                f"(peak {best_peak:.1f} GFLOP/s)",
                ["items", "runs", "steps", "kernel", "run s", "GFLOP/s", "of peak",
                 "first call s"], rows)
    write_json("scaling", {"matmul_peak_gflops": peak, "results": records})


if __name__ == "__main__":
    main()
