"""Scaling to large hierarchies: achieved GFLOP/s against the machine's matmul peak.

    python benchmarks/scaling.py [--quick]

(--quick: up to 256 items and about 2e9 flops per call, fewer steps, so about a minute.)

Tasks: branching-diffusion hierarchies (B = 2) with P = 8 … 1024 items, as many features as
items, one-hot inputs (mean convention, Σx = I/P), a two-layer net with hidden = P, Euler,
float32, modes recorded every 10th step. One Euler step of the two-layer flow costs
6·N1·N2·N3 flops in its three matrix products (W2W1, W2ᵀE, EW1ᵀ), which is what is counted.
The peak is measured in the same run: float32 n × n matmuls with jax (jitted jnp.dot) and
numpy for n = 1024, 2048, 3072, 4096, each warmed, then timed 5 times; the peak is the best rate
of either library at any size (a per-size table is printed). A rate above that peak
("of peak" > 100 %) cannot be real (the peak or the flop count is wrong): such a row is flagged
with a warning and ``"peak_exceeded": true`` in benchmarks/results/scaling.json, and its
fraction of peak is not reported.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from _harness import block, first_call_seconds, interleaved_medians, print_table, write_json

import semjax
from semjax import Task, datasets

PEAK_SIZES = (1024, 2048, 3072, 4096)
QUICK_WORK = 2e9  # flops per simulate call with --quick (steps shrink to fit, runs as without)


def matmul_peak(sizes=PEAK_SIZES, repeats: int = 5) -> dict:
    """The machine's float32 matmul peak: for jax (a jitted jnp.dot, XLA) and numpy (its BLAS)
    on n × n matrices of each size, warmed first, then timed ``repeats`` times in turns; a
    library's peak is its best (largest) rate over all sizes and repeats.

    Returns:
        {"gflops": {library: best GFLOP/s}, "by_size": [{"n", "jax", "numpy"}, ...]}.
    """
    dot = jax.jit(jnp.dot)
    by_size = []
    for n in sizes:
        a = np.random.default_rng(n).standard_normal((n, n)).astype(np.float32)
        ja = jax.device_put(a)
        candidates = {"jax": lambda ja=ja: dot(ja, ja), "numpy": lambda a=a: a @ a}
        for function in candidates.values():  # compile / first touch outside the clock
            block(function())
        best = dict.fromkeys(candidates, float("inf"))
        for _ in range(repeats):
            for name, function in candidates.items():
                start = time.perf_counter()
                block(function())
                best[name] = min(best[name], time.perf_counter() - start)
        by_size.append({"n": n, **{name: 2 * n ** 3 / seconds / 1e9
                                   for name, seconds in best.items()}})
    gflops = {name: max(row[name] for row in by_size) for name in ("jax", "numpy")}
    return {"gflops": gflops, "by_size": by_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"up to 256 items, about {QUICK_WORK:.0e} flops per call")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    peak = matmul_peak()
    best_peak = max(peak["gflops"].values())
    print_table("float32 matmul, best of 5 (GFLOP/s)", ["n", "jax", "numpy"],
                [[row["n"], row["jax"], row["numpy"]] for row in peak["by_size"]])
    print("float32 matmul peak: "
          + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peak["gflops"].items()))
    depths = range(3, 9 if arguments.quick else 11)
    rows, records = [], []
    for depth in depths:
        n_items = 2 ** depth
        data = datasets.branching_diffusion(jax.random.key(depth), branching=2, depth=depth,
                                            n_features=n_items, flip=0.1)
        task = Task.from_dataset(data)
        flops_per_step = 6 * n_items ** 3
        n_runs = int(np.clip(2e6 / n_items ** 2, 1, 4096))
        if arguments.quick:  # a fixed amount of work per call
            n_steps = int(np.clip(QUICK_WORK / (flops_per_step * n_runs) / 10, 1, 300)) * 10
        else:
            n_steps = int(np.clip(4e10 / flops_per_step / 10, 4, 300)) * 10

        def run(task=task, n_steps=n_steps, n_runs=n_runs):
            return semjax.simulate(task, hidden=n_items, n_steps=n_steps, dt=0.05,
                                   init="gaussian", init_scale=1e-3, n_seeds=n_runs,
                                   record=("modes",), record_every=10)

        calls = []
        first = first_call_seconds(lambda run=run: calls.append(run()) or calls[-1])
        kernel = calls[0].info["kernel"]
        seconds = interleaved_medians({"run": run}, arguments.repeats)["run"]
        rate = flops_per_step * n_steps * n_runs / seconds / 1e9
        exceeded = rate > best_peak
        if exceeded:
            print(f"  WARNING: {n_items} items: {rate:.1f} GFLOP/s is above the measured peak "
                  f"{best_peak:.1f} GFLOP/s ({rate / best_peak:.0%}): a measurement error (peak "
                  "or flop count), not a result", flush=True)
        records.append({"items": n_items, "hidden": n_items, "features": n_items,
                        "runs": n_runs, "steps": n_steps, "kernel": kernel,
                        "seconds": seconds, "first_call_seconds": first, "gflops": rate,
                        "fraction_of_peak": None if exceeded else rate / best_peak,
                        "peak_exceeded": exceeded})
        rows.append([n_items, n_runs, n_steps, kernel, seconds, rate,
                     "> peak (error)" if exceeded else rate / best_peak, first])
        print(f"  {n_items} items done ({time.strftime('%H:%M:%S')})", flush=True)
    print_table(f"two-layer Euler on branching-diffusion hierarchies, float32 "
                f"(peak {best_peak:.1f} GFLOP/s)",
                ["items", "runs", "steps", "kernel", "run s", "GFLOP/s", "of peak",
                 "first call s"], rows)
    write_json("scaling", {"matmul_peak_gflops": peak["gflops"], "peak_gflops": best_peak,
                           "matmul_by_size": peak["by_size"],
                           "peak_exceeded": any(r["peak_exceeded"] for r in records),
                           "results": records})


if __name__ == "__main__":
    main()
