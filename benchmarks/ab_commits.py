"""Same-run A/B of this checkout's `semjax.simulate` against an earlier commit's (fresh processes).

    python benchmarks/ab_commits.py f585a58 [--rounds 3] [--only seed32,rumelhart32]

The earlier commit's ``semjax`` folder is extracted with ``git archive`` into
``benchmarks/results/<commit>`` (`core_speed.old_tree`). For each problem, the
two versions take turns, ``--rounds`` times, each in a fresh process that times its first call
(compilation included) and the median of three warm calls. The problems are `core_speed.py`'s
(its `SEED` and `RUMELHART` settings). Prints a table and writes
``benchmarks/results/ab_<commit>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = """
import json, sys, time
import jax
import semjax
from semjax import datasets
sys.path.insert(0, {here!r})
from core_speed import RUMELHART, SEED
name = {name!r}
if name == "seed32":
    task = semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
    options = dict(SEED, n_seeds=16384)
else:
    task = semjax.Task.from_dataset(datasets.rumelhart())
    options = dict(RUMELHART, hidden=32)

def call():
    start = time.perf_counter()
    run = semjax.simulate(task, record=("modes",), dtype="float32", **options)
    jax.block_until_ready(run.modes)
    return time.perf_counter() - start

first = call()
warm = sorted(call() for _ in range(3))[1]
print(json.dumps({{"first_s": first, "warm_s": warm}}))
"""


def measure(source: Path, name: str) -> dict:
    """One fresh process of the version in ``source`` on problem ``name``."""
    environment = dict(os.environ, PYTHONPATH=str(source))
    environment.pop("XLA_FLAGS", None)
    result = subprocess.run([sys.executable, "-c", CHILD.format(here=str(HERE), name=name)],
                            capture_output=True, text=True, env=environment, check=True,
                            cwd=str(HERE))
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="seed32,rumelhart32")
    arguments = parser.parse_args()
    from _harness import print_table, write_json
    from core_speed import old_tree
    versions = {arguments.commit: old_tree(arguments.commit), "HEAD": ROOT}
    results, rows = {}, []
    for name in arguments.only.split(","):
        samples = {version: [] for version in versions}
        for _ in range(arguments.rounds):
            for version, source in versions.items():
                samples[version].append(measure(source, name))
        warm = {v: statistics.median(s["warm_s"] for s in samples[v]) for v in versions}
        first = {v: statistics.median(s["first_s"] for s in samples[v]) for v in versions}
        results[name] = {"samples": samples, "warm_median_s": warm, "first_median_s": first,
                         "speedup": warm[arguments.commit] / warm["HEAD"]}
        rows.append([name, f"{warm[arguments.commit]:.3f}", f"{warm['HEAD']:.3f}",
                     f"{warm[arguments.commit] / warm['HEAD']:.2f}",
                     f"{first[arguments.commit]:.2f}", f"{first['HEAD']:.2f}"])
    print_table(f"warm and first calls, median over {arguments.rounds} interleaved rounds",
                ["problem", f"{arguments.commit} warm s", "HEAD warm s", "HEAD speed-up",
                 f"{arguments.commit} first s", "HEAD first s"], rows)
    write_json(f"ab_{arguments.commit}", {"commit": arguments.commit,
                                          "rounds": arguments.rounds, "results": results})


if __name__ == "__main__":
    main()
