"""The core's speed targets in one same-run A/B: semjax against the kernel of commit d239a91,
numpy batched, torch bmm and the seed's loop.

    python benchmarks/core_speed.py [--quick] [--repeats 5] [--only seed32,rumelhart32]

Every candidate runs in its own worker process (its own JAX runtime, both cores; PyTorch and
numpy with 2 threads), and the candidates take turns on each problem, ``--repeats`` times
(interleaved, so load from other processes hits all alike); each row gives the median and the
range of the seconds per call after the first (compile) call, and the ratio of medians to the
baselines. The d239a91 kernel is this repository's own history: its ``semjax`` folder is
extracted with ``git archive`` into ``benchmarks/results/d239a91`` and imported from there.

Problems (targets of issue 17, on 2 cores):

* ``seed32`` / ``seed64``: the seed's 4→16→7 net on the four-item task (Σx = I), 16,384 runs
  (4,096 with --quick), 1500 Euler steps of dt = 0.005, modes every 10th step, float32 /
  float64 — targets: float32 ≥ 1.3× d239a91 and ≥ 12× torch bmm, float64 ≥ 1.0× d239a91; the
  first call (compile + run) of the seed problem ≤ 2 s more than a warm call;
* ``rumelhart32`` / ``rumelhart256``: the Rumelhart table (8 items, 36 attributes, mean
  convention), hidden 32 / 256, 1,024 runs, 2000 Euler steps of dt = 0.05, float32 — targets
  ≥ 1.0× d239a91 and ≥ 3× torch;
* ``large``: a branching-diffusion hierarchy of 1,024 items and 1,024 features, hidden 1,024,
  float32, 2 runs × 40 Euler steps — target ≥ 70 % of the float32 ``jnp.dot`` peak measured in
  the same run (the best of 1024–4096-square products), counting the 6·N1·N2·N3 flops of a
  step's three products.

Prints a table and writes benchmarks/results/core_speed.json; ``python
benchmarks/readme_tables.py`` puts the table into README.md. With ``--only``, the problems
measured replace theirs in an existing JSON of the same settings and the others are kept;
``measured`` records when (and with how many repeats) each problem was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OLD_COMMIT = "d239a91"

SEED = dict(hidden=16, n_steps=1500, dt=0.005, init_scale=1e-2, record_every=10)
RUMELHART = dict(n_steps=2000, dt=0.05, init_scale=1e-3, record_every=10, n_seeds=1024)
LARGE = dict(items=1024, n_runs=2, n_steps=40, dt=0.05, init_scale=1e-3, record_every=10)
SEED_LOOP_RUNS = 8


def problems(quick: bool) -> dict:
    """Problem name → (dtype, the candidates that run it)."""
    runs = 4096 if quick else 16384
    return {
        "seed32": {"dtype": "float32", "runs": runs,
                   "candidates": ["semjax", OLD_COMMIT, "numpy batched", "torch bmm",
                                  "seed loop"]},
        "seed64": {"dtype": "float64", "runs": runs,
                   "candidates": ["semjax", OLD_COMMIT, "numpy batched", "torch bmm"]},
        "rumelhart32": {"dtype": "float32", "runs": RUMELHART["n_seeds"], "hidden": 32,
                        "candidates": ["semjax", OLD_COMMIT, "numpy batched", "torch bmm"]},
        "rumelhart256": {"dtype": "float32", "runs": RUMELHART["n_seeds"], "hidden": 256,
                         "candidates": ["semjax", OLD_COMMIT, "numpy batched", "torch bmm"]},
        "large": {"dtype": "float32", "runs": LARGE["n_runs"],
                  "candidates": ["semjax", OLD_COMMIT, "jnp.dot peak"]},
    }


# ----------------------------------------------------------------------------- workers

def _task(name: str, semjax):
    """The problem's task, from the (new or old) semjax's own datasets."""
    import jax
    datasets = semjax.datasets
    if name.startswith("seed"):
        return semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
    if name.startswith("rumelhart"):
        return semjax.Task.from_dataset(datasets.rumelhart())
    data = datasets.branching_diffusion(jax.random.key(0), branching=2, depth=10,
                                        n_features=LARGE["items"], flip=0.1)
    return semjax.Task.from_dataset(data)


def _semjax_call(name: str, spec: dict, semjax):
    task = _task(name, semjax)
    if name.startswith("seed"):
        options = dict(SEED, n_seeds=spec["runs"])
    elif name.startswith("rumelhart"):
        options = dict(RUMELHART, hidden=spec["hidden"])
    else:
        options = dict(hidden=LARGE["items"], n_steps=LARGE["n_steps"], dt=LARGE["dt"],
                       init_scale=LARGE["init_scale"], n_seeds=LARGE["n_runs"],
                       record_every=LARGE["record_every"])
    return lambda: semjax.simulate(task, record=("modes",), dtype=spec["dtype"], **options)


def _arrays(name: str, spec: dict, runs: int):
    """(Σyx, Σx scale c, U, V, W1, W2) in numpy for the hand-written baselines."""
    import numpy as np

    import semjax
    task = _task(name, semjax)
    dtype = np.dtype(spec["dtype"])
    hidden = spec.get("hidden", SEED["hidden"])
    scale = SEED["init_scale"] if name.startswith("seed") else RUMELHART["init_scale"]
    rng = np.random.default_rng(0)
    w1 = (scale * rng.standard_normal((runs, hidden, task.n_in))).astype(dtype)
    w2 = (scale * rng.standard_normal((runs, task.n_out, hidden))).astype(dtype)
    return (task.sigma_yx.astype(dtype), dtype.type(task.input_scale), task.U.astype(dtype),
            task.V.astype(dtype), w1, w2)


def _steps(name: str) -> tuple[int, float, int]:
    options = SEED if name.startswith("seed") else RUMELHART
    return options["n_steps"], options["dt"], options["record_every"]


def numpy_batched(name: str, spec: dict):
    import numpy as np
    sigma_yx, c, U, V, W1, W2 = _arrays(name, spec, spec["runs"])
    n_steps, dt, every = _steps(name)

    def run():
        w1, w2, records = W1, W2, []
        for step in range(n_steps):
            error = sigma_yx - c * (w2 @ w1)
            w1, w2 = (w1 + dt * (w2.transpose(0, 2, 1) @ error),
                      w2 + dt * (error @ w1.transpose(0, 2, 1)))
            if (step + 1) % every == 0:
                records.append(np.einsum("ia,bij,ja->ba", U, c * (w2 @ w1), V))
        return np.stack(records, 1)
    return run


def torch_bmm(name: str, spec: dict):
    import torch
    torch.set_num_threads(2)
    arrays = [torch.from_numpy(a) if hasattr(a, "shape") and a.ndim else a
              for a in _arrays(name, spec, spec["runs"])]
    sigma_yx, c, U, V, W1, W2 = arrays
    c = float(c)
    n_steps, dt, every = _steps(name)

    def run():
        w1, w2, records = W1, W2, []
        with torch.no_grad():
            for step in range(n_steps):
                error = sigma_yx - c * torch.bmm(w2, w1)
                w1, w2 = (w1 + dt * torch.bmm(w2.transpose(1, 2), error),
                          w2 + dt * torch.bmm(error, w1.transpose(1, 2)))
                if (step + 1) % every == 0:
                    records.append(torch.einsum("ia,bij,ja->ba", U, c * torch.bmm(w2, w1), V))
        return torch.stack(records, 1).numpy()
    return run


def seed_loop(name: str, spec: dict):
    """The seed's numpy loop, one run at a time (as the seed writes it, recording u_αᵀ W v_α
    instead of a full SVD), over `SEED_LOOP_RUNS` runs."""
    import numpy as np
    sigma_yx, c, U, V, W1, W2 = _arrays(name, spec, SEED_LOOP_RUNS)
    n_steps, dt, every = _steps(name)
    s_x = c * np.eye(sigma_yx.shape[1], dtype=sigma_yx.dtype)

    def run():
        for w1, w2 in zip(W1.copy(), W2.copy()):
            records = []
            for step in range(n_steps):
                error = sigma_yx - w2 @ w1 @ s_x
                d1, d2 = (w2.T @ error) * dt, (error @ w1.T) * dt
                w1, w2 = w1 + d1, w2 + d2
                if (step + 1) % every == 0:
                    records.append(np.einsum("ia,ij,ja->a", U, w2 @ w1 @ s_x, V))
    return run


def dot_peak(name: str, spec: dict):
    """The float32 jnp.dot peak: the fastest of n × n products, n = 1024 … 4096; the call
    returns the seconds of the best size scaled to the large problem's flops."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    dot = jax.jit(jnp.dot)
    matrices = {n: jax.device_put(np.random.default_rng(n).standard_normal(
        (n, n)).astype(np.float32)) for n in (1024, 2048, 3072, 4096)}
    for a in matrices.values():
        dot(a, a).block_until_ready()
    flops = _large_flops()

    def run():
        best = 0.0
        for n, a in matrices.items():
            start = time.perf_counter()
            dot(a, a).block_until_ready()
            best = max(best, 2 * n ** 3 / (time.perf_counter() - start))
        return flops / best
    return run


def _large_flops() -> float:
    n = LARGE["items"]
    return 6.0 * n ** 3 * LARGE["n_steps"] * LARGE["n_runs"]


def worker(candidate: str, names: list[str], quick: bool) -> None:
    """Serve ``run NAME`` lines on stdin with the seconds of one call, as JSON on stdout."""
    specs = problems(quick)
    calls = {}
    if candidate in ("semjax", OLD_COMMIT):
        import jax
        if any(specs[name]["dtype"] == "float64" for name in names):
            jax.config.update("jax_enable_x64", True)
        import semjax
        for name in names:
            calls[name] = _semjax_call(name, specs[name], semjax)
    else:
        build = {"numpy batched": numpy_batched, "torch bmm": torch_bmm,
                 "seed loop": seed_loop, "jnp.dot peak": dot_peak}[candidate]
        for name in names:
            calls[name] = build(name, specs[name])
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command, name = line.split()
        start = time.perf_counter()
        result = calls[name]()
        seconds = time.perf_counter() - start
        if candidate == "jnp.dot peak":
            seconds = result
        elif candidate in ("semjax", OLD_COMMIT):
            import jax
            jax.block_until_ready(result.modes)
            seconds = time.perf_counter() - start
        print(json.dumps({"seconds": seconds, "command": command}), flush=True)


# ----------------------------------------------------------------------------- the run

def old_tree(commit: str = OLD_COMMIT) -> Path:
    """The ``semjax`` package of ``commit`` (default d239a91), extracted once from this
    repository into ``benchmarks/results/<commit>``."""
    target = HERE / "results" / commit
    if not (target / "semjax" / "__init__.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", commit, "semjax"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def start_worker(candidate: str, names: list[str], quick: bool):
    environment = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="2",
                       OPENBLAS_NUM_THREADS="2")
    environment.pop("XLA_FLAGS", None)
    path = str(old_tree()) if candidate == OLD_COMMIT else str(ROOT)
    environment["PYTHONPATH"] = path + os.pathsep + str(HERE)
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", candidate, "--names", ",".join(names)]
        + (["--quick"] if quick else []), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=environment, cwd=str(HERE))
    message = json.loads(process.stdout.readline())
    assert message.get("ready"), message
    return process


def call(process, name: str) -> float:
    process.stdin.write(f"run {name}\n")
    process.stdin.flush()
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"a worker stopped while running {name}")
    return json.loads(line)["seconds"]


def measure(name: str, spec: dict, repeats: int, quick: bool) -> dict:
    """First call and interleaved repeats of every candidate of one problem."""
    workers, first = {}, {}
    try:
        for candidate in spec["candidates"]:
            if candidate == "torch bmm":
                try:
                    import torch  # noqa: F401
                except ImportError:
                    print("  torch is not installed: skipping the torch bmm baseline")
                    continue
            workers[candidate] = start_worker(candidate, [name], quick)
            first[candidate] = call(workers[candidate], name)
        samples = {candidate: [] for candidate in workers}
        for _ in range(repeats):
            for candidate, process in workers.items():
                samples[candidate].append(call(process, name))
    finally:
        for process in workers.values():
            process.kill()
            process.wait()
    runs = {candidate: (SEED_LOOP_RUNS if candidate == "seed loop" else spec["runs"])
            for candidate in samples}
    rows = {}
    for candidate, values in samples.items():
        median = statistics.median(values)
        rows[candidate] = {"median_s": median, "min_s": min(values), "max_s": max(values),
                           "runs": runs[candidate], "runs_per_s": runs[candidate] / median,
                           "first_call_s": first[candidate], "samples_s": values}
    for candidate, row in rows.items():  # ratios of rates (runs per second)
        row["x_vs"] = {other: row["runs_per_s"] / rows[other]["runs_per_s"]
                       for other in rows if other != candidate}
    if name == "large" and "jnp.dot peak" in rows:
        peak = _large_flops() / rows["jnp.dot peak"]["median_s"]
        for candidate in ("semjax", OLD_COMMIT):
            if candidate in rows:
                rows[candidate]["gflops"] = _large_flops() / rows[candidate]["median_s"] / 1e9
                rows[candidate]["fraction_of_peak"] = rows[candidate]["gflops"] * 1e9 / peak
        rows["jnp.dot peak"]["gflops"] = peak / 1e9
    return rows


TARGETS = {  # problem → (candidate, baseline, least ratio of rates)
    "seed32": [("semjax", OLD_COMMIT, 1.3), ("semjax", "torch bmm", 12.0)],
    "seed64": [("semjax", OLD_COMMIT, 1.0)],
    "rumelhart32": [("semjax", OLD_COMMIT, 1.0), ("semjax", "torch bmm", 3.0)],
    "rumelhart256": [("semjax", OLD_COMMIT, 1.0), ("semjax", "torch bmm", 3.0)],
}


def verdicts(results: dict) -> list[dict]:
    """Each target with its measured value and whether it is met."""
    found = []
    for name, targets in TARGETS.items():
        for candidate, baseline, least in targets:
            rows = results.get(name, {})
            if candidate in rows and baseline in rows:
                value = rows[candidate]["x_vs"][baseline]
                found.append({"problem": name, "target": f"≥ {least:g}× {baseline}",
                              "measured": value, "met": value >= least})
    large = results.get("large", {}).get("semjax", {})
    if "fraction_of_peak" in large:
        found.append({"problem": "large", "target": "≥ 70 % of the jnp.dot peak",
                      "measured": large["fraction_of_peak"],
                      "met": large["fraction_of_peak"] >= 0.7})
    seed = results.get("seed32", {}).get("semjax")
    if seed:
        compile_s = seed["first_call_s"] - seed["median_s"]
        found.append({"problem": "seed32", "target": "first call ≤ 2 s more than a warm one",
                      "measured": compile_s, "met": compile_s <= 2.0})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seed-problem runs")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="comma-separated problems (default: all); the others "
                                       "are kept from an existing JSON of the same settings")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--names", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.worker, arguments.names.split(","), arguments.quick)
        return
    from _harness import print_table, write_json
    specs = problems(arguments.quick)
    names = arguments.only.split(",") if arguments.only else list(specs)
    results, measured = {}, {}
    previous = HERE / "results" / "core_speed.json"
    if arguments.only and previous.exists():
        kept = json.loads(previous.read_text())
        if kept.get("quick") == arguments.quick and kept.get("old_commit") == OLD_COMMIT:
            results = {name: rows for name, rows in kept["results"].items() if name in specs}
            measured = {name: when for name, when in kept.get("measured", {}).items()
                        if name in results}
    for name in names:
        print(f"{name} ...", flush=True)
        results[name] = measure(name, specs[name], arguments.repeats, arguments.quick)
        measured[name] = {"date": time.strftime("%Y-%m-%d %H:%M"),
                          "repeats": arguments.repeats}
    results = {name: results[name] for name in specs if name in results}
    rows = []
    for name, candidates in results.items():
        for candidate, row in candidates.items():
            ratios = ", ".join(f"{value:.2f}× {other}" for other, value in row["x_vs"].items()
                               if other in ("semjax", OLD_COMMIT, "torch bmm"))
            rows.append([name, candidate, row["runs"], f"{row['median_s']:.3f}",
                         f"{row['min_s']:.3f}–{row['max_s']:.3f}", f"{row['runs_per_s']:.4g}",
                         f"{row['first_call_s']:.2f}", ratios])
    print_table("seconds per call (median and range of interleaved repeats after the first "
                "call), runs per second, ratios of rates",
                ["problem", "candidate", "runs", "median s", "range s", "runs/s",
                 "first s", "ratios"], rows)
    checked = verdicts(results)
    print_table("targets", ["problem", "target", "measured", "met"],
                [[v["problem"], v["target"], f"{v['measured']:.3g}", v["met"]]
                 for v in checked])
    write_json("core_speed", {"repeats": arguments.repeats, "quick": arguments.quick,
                              "measured": measured,
                              "old_commit": OLD_COMMIT, "seed": SEED, "rumelhart": RUMELHART,
                              "large": LARGE, "results": results, "targets": checked})


if __name__ == "__main__":
    main()
