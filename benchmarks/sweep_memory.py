"""One million seed-problem trajectories: time and peak memory, chunked sweep vs one call.

    python benchmarks/sweep_memory.py [--n-seeds 1000000] [--chunk-size 65536]

Each candidate runs in a fresh Python process, whose peak resident memory (ru_maxrss) is
reported: ``semjax.sweep`` (chunks written into preallocated arrays) against one
``semjax.simulate`` call with every seed at once. Problem: the seed's 4→16→7 net, 1500 Euler
steps of dt = 0.005, float32, mode strengths every 100th step (16 records per trajectory:
the result itself is n_seeds × 16 × 4 float32 values).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _harness import print_table, write_json

CHILD = r"""
import json, resource, sys, time
import semjax
from semjax import Task, datasets
n_seeds, chunk_size, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
task = Task.from_dataset(datasets.four_items(), normalise="sum")
arguments = dict(hidden=16, n_steps=1500, dt=0.005, init="gaussian", init_scale=1e-2,
                 record=("modes",), record_every=100)
start = time.perf_counter()
if mode == "sweep":
    run = semjax.sweep(task, n_seeds=n_seeds, chunk_size=chunk_size, progress=False, **arguments)
else:
    run = semjax.simulate(task, n_seeds=n_seeds, **arguments)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak, "result_bytes": run.modes.nbytes,
                  "finite": bool(run.finite.all())}))
"""


def measure(n_seeds: int, chunk_size: int, mode: str) -> dict:
    """Run one candidate in a fresh process and parse its JSON line."""
    completed = subprocess.run([sys.executable, "-c", CHILD, str(n_seeds), str(chunk_size),
                                mode], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-seeds", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=65536)
    arguments = parser.parse_args()
    results = {mode: measure(arguments.n_seeds, arguments.chunk_size, mode)
               for mode in ("sweep", "simulate")}
    rows = [[mode, arguments.n_seeds, r["seconds"], arguments.n_seeds / r["seconds"],
             r["peak_bytes"] / 2 ** 30, r["result_bytes"] / 2 ** 30, r["finite"]]
            for mode, r in results.items()]
    print_table(f"{arguments.n_seeds} seed-problem trajectories (float32, modes every 100th "
                f"step; sweep chunk {arguments.chunk_size})",
                ["candidate", "trajectories", "seconds", "traj/s", "peak GiB", "result GiB",
                 "all finite"], rows)
    write_json("sweep_memory", {"n_seeds": arguments.n_seeds,
                                "chunk_size": arguments.chunk_size, "results": results})


if __name__ == "__main__":
    main()
