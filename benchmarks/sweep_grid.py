"""The lazy → rich sweep of Dominé et al. (ICLR 2025) on the seed problem, as a semjax grid.

    python benchmarks/sweep_grid.py [--quick] [--dtype float64] [--json PATH]

Grid: 20 λ × 20 init scales × 4 hidden widths × 100 seeds = 160,000 runs (``--quick``:
4 λ × 4 scales × 2 widths × 20 seeds = 640 runs). Task: the seed's Σyx = Y (the 7×4 four-item
matrix), Σx = I, i.e. ``Task.from_dataset(datasets.four_items(), normalise="sum")`` as in
seed_problem.py. Depth 2, ``init="lambda_balanced"`` (W2ᵀW2 − W1W1ᵀ = λI, product
W2W1 = U₀ (scale · I) V₀ᵀ in random directions), Euler with dt = 0.05 for 400 steps
(t_max = 20 τ; the slowest mode has s = 1), mode strengths and excess loss recorded every
10th step (41 records).

* λ ∈ linspace(−2, 2, 20) (both signs; 0 is not on the grid), init scale ∈ logspace(−3, 0, 20),
  hidden widths 1, 2, 3, 4: λ < 0 needs hidden ≤ N1 = 4 (λ > 0 allows up to N3 = 7), so
  both signs restrict the widths to ≤ 4; widths 1–3 are bottlenecks (rank(Y) = 4), whose runs
  converge to the best rank-w map (excess loss ½ Σ_{α>w} s_α²).
* semjax: `semjax_grid`, one `semjax.sweep` with ``over={"hidden": widths}``, ``lam=[...]``
  and ``init_scale=[...]`` and ``chunk_size=n_seeds`` (the λ × scale × seed grid of a width is
  one compiled call; 4 widths, 4 compilations), returning one `Trajectory` with batch axes
  ("hidden", "lam", "scale", "seed"). Timed in a fresh process: the first call (compilation
  included) and the steady state (the median of ``--repeats`` further calls); peak memory is
  that process's ru_maxrss. Run three times: with one CPU device per core (semjax's
  default), and with ``SEMJAX_CPU_DEVICES=1`` and ``=4``; the results' hashes must be equal
  (bitwise).
* Baseline: the nested loops a paper's numpy code runs, for λ, for scale, for width, for
  seed: build the λ-balanced start in numpy (Haar matrices by QR) and take the same 400 Euler
  steps in a Python loop, recording the same fields. A random subset (stratified by width:
  4 configurations per width × all seeds; quick: 2 × 20) is timed in its own fresh process and
  extrapolated linearly to the whole grid.
* Agreement: numpy's loop and semjax started from the same explicit weights ``init=(W1, W2)``
  (numpy's λ-balanced starts) give the same final loss and modes (float64 and float32), and
  both constructions of the start satisfy the λ-balance and product identities.

On a CPU semjax draws the λ-balanced starts in batches of 256 runs, because jaxlib 0.10's
batched QR deadlocks on large batches (a grid of 40,000 λ-balanced starts used to hang); this
script measures semjax as a user calls it.

Prints tables and writes benchmarks/results/sweep_grid.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

Y = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0], [0, 1, 0, 0],
              [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float)  # the seed's Σyx (Σx = I)
DT, N_STEPS, RECORD_EVERY, RECORD = 0.05, 400, 10, ("modes", "loss")
FULL = {"lams": np.linspace(-2, 2, 20), "scales": np.logspace(-3, 0, 20), "widths": (1, 2, 3, 4),
        "n_seeds": 100, "baseline_configs_per_width": 4}
QUICK = {"lams": np.linspace(-2, 2, 4), "scales": np.logspace(-3, 0, 4), "widths": (2, 4),
         "n_seeds": 20, "baseline_configs_per_width": 2}
CONVERGED = 1e-4  # final excess loss above the width's optimum counted as converged
DEVICE_COUNTS = (None, 1, 4)  # None: semjax's default (one CPU device per core)


def grid(quick: bool) -> dict:
    return QUICK if quick else FULL


def n_runs(spec: dict) -> int:
    return len(spec["lams"]) * len(spec["scales"]) * len(spec["widths"]) * spec["n_seeds"]


def optimum(width: int) -> float:
    """The smallest excess loss a rank-``width`` map reaches: ½ Σ_{α>w} s_α²."""
    s = np.linalg.svd(Y, compute_uv=False)
    return 0.5 * float(np.sum(s[width:] ** 2))


# ---------------------------------------------------------------------------------- semjax


def semjax_grid(task, widths, lams, scales, n_seeds: int, *, dtype: str, key: int = 0):
    """The grid as one `semjax.sweep` over the hidden widths (each width's λ × scale × seed
    grid is one compiled call: ``chunk_size=n_seeds``). Returns one `Trajectory` with batch
    axes ("hidden", "lam", "scale", "seed")."""
    import semjax
    return semjax.sweep(task, n_seeds=n_seeds, over={"hidden": list(widths)},
                        init="lambda_balanced", lam=lams, init_scale=scales, dt=DT,
                        n_steps=N_STEPS, record=RECORD, record_every=RECORD_EVERY,
                        dtype=dtype, key=key, chunk_size=n_seeds, progress=False)


def seed_task():
    """The seed problem's task, built as seed_problem.py builds it (checked against `Y`)."""
    from semjax import Task, datasets
    task = Task.from_dataset(datasets.four_items(), normalise="sum")
    assert np.array_equal(np.asarray(task.sigma_yx), Y)
    assert np.array_equal(np.asarray(task.sigma_x), np.eye(4))
    return task


def digest(run) -> str:
    """SHA-256 of the grid's recorded loss and modes, all widths (bitwise comparison of the
    1-, default- and 4-device runs)."""
    h = hashlib.sha256()
    for array in (run.loss, run.modes):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def child_semjax(quick: bool, dtype: str, repeats: int) -> dict:
    import jax
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import semjax  # noqa: F401  (sets the CPU device count before JAX starts)
    spec, task = grid(quick), seed_task()
    jax.devices()  # the backend is up before the clock starts

    def call():
        return semjax_grid(task, spec["widths"], spec["lams"], spec["scales"],
                           spec["n_seeds"], dtype=dtype)

    start = time.perf_counter()
    run = call()
    first = time.perf_counter() - start
    steady = []
    for _ in range(repeats):
        start = time.perf_counter()
        again = call()
        steady.append(time.perf_counter() - start)
    assert digest(again) == digest(run)
    assert run.batch_axes == ("hidden", "lam", "scale", "seed"), run.batch_axes
    assert list(run.coords["hidden"]) == list(spec["widths"])
    convergence = {}
    for index, width in enumerate(spec["widths"]):
        above = np.asarray(run.loss[index, ..., -1], float) - optimum(width)
        convergence[width] = {"median_above_optimum": float(np.median(above)),
                              "max_above_optimum": float(np.max(above)),
                              "fraction_converged": float(np.mean(above < CONVERGED))}
    return {"first_call_seconds": first, "steady_seconds": statistics.median(steady),
            "steady_samples": steady, "peak_bytes": peak_bytes(),
            "result_bytes": int(np.asarray(run.loss).nbytes + np.asarray(run.modes).nbytes),
            "devices": len(jax.devices()), "kernel": run.info["kernel"],
            "all_finite": bool(np.asarray(run.finite).all()),
            "hash": digest(run), "convergence": convergence}


# ----------------------------------------------------------------------------------- numpy


def haar(rng, n: int) -> np.ndarray:
    """A Haar-random n × n orthogonal matrix (sign-corrected QR of a Gaussian matrix)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def numpy_lambda_balanced(rng, lam: float, scale: float, hidden: int, dtype=np.float64):
    """W1 = R S1 V0ᵀ, W2 = U0 S2 Rᵀ with W2ᵀW2 − W1W1ᵀ = λI and W2W1 = U0 (scale·I) V0ᵀ on the
    min(N1, hidden, N3) paired directions (semjax's construction, written in numpy)."""
    n_out, n_in = Y.shape
    rotation, out_basis, in_basis = haar(rng, hidden), haar(rng, n_out), haar(rng, n_in)
    root = np.sqrt(lam ** 2 + 4 * scale ** 2)
    small, large = 2 * scale ** 2 / (root + abs(lam)), (root + abs(lam)) / 2
    s1, s2 = np.sqrt((small, large) if lam >= 0 else (large, small))
    paired = np.arange(hidden) < min(n_in, hidden, n_out)
    d1 = np.where(paired, s1, np.sqrt(-lam) if lam < 0 else 0.0)
    d2 = np.where(paired, s2, np.sqrt(lam) if lam > 0 else 0.0)
    w1 = rotation @ (np.eye(hidden, n_in) * d1[:, None]) @ in_basis.T
    w2 = out_basis @ (np.eye(n_out, hidden) * d2[None, :]) @ rotation.T
    return w1.astype(dtype), w2.astype(dtype)


def numpy_euler(w1, w2, u, v, sigma_x=None):
    """One run as a paper's numpy loop: N_STEPS Euler steps, recording the excess loss and
    the mode strengths u_αᵀ W Σx v_α every RECORD_EVERY steps (and at t = 0)."""
    dtype = w1.dtype
    sigma_yx = Y.astype(dtype)
    sigma_x = np.eye(Y.shape[1], dtype=dtype) if sigma_x is None else sigma_x
    target = sigma_yx @ np.linalg.pinv(sigma_x)
    u, v = u.astype(dtype), v.astype(dtype)
    loss = np.empty(N_STEPS // RECORD_EVERY + 1, dtype)
    modes = np.empty((len(loss), u.shape[1]), dtype)

    def record(i):
        w = w2 @ w1
        residual = w - target
        loss[i] = 0.5 * np.sum((residual @ sigma_x) * residual)
        modes[i] = np.einsum("ia,ij,ja->a", u, w @ sigma_x, v)

    record(0)
    for step in range(N_STEPS):
        error = sigma_yx - w2 @ w1 @ sigma_x
        w1, w2 = w1 + DT * (w2.T @ error), w2 + DT * (error @ w1.T)
        if (step + 1) % RECORD_EVERY == 0:
            record((step + 1) // RECORD_EVERY)
    return loss, modes


def task_modes():
    """Σyx's singular vectors (numpy's SVD; the baseline records on these)."""
    u, _, vt = np.linalg.svd(Y, full_matrices=False)
    return u, vt.T


def baseline_configs(spec: dict) -> list[tuple[float, float, int]]:
    """A random subset of the grid's (λ, scale, width) configurations, the same number per
    width, in the nested loops' order (λ, then scale, then width)."""
    rng = np.random.default_rng(2025)
    chosen = []
    for width in spec["widths"]:
        pairs = [(lam, scale) for lam in spec["lams"] for scale in spec["scales"]]
        for index in rng.choice(len(pairs), spec["baseline_configs_per_width"], replace=False):
            chosen.append((float(pairs[index][0]), float(pairs[index][1]), int(width)))
    return sorted(chosen)


def child_baseline(quick: bool, dtype: str) -> dict:
    spec = grid(quick)
    u, v = task_modes()
    seconds = {width: 0.0 for width in spec["widths"]}
    runs = {width: 0 for width in spec["widths"]}
    finals = []
    for number, (lam, scale, width) in enumerate(baseline_configs(spec)):  # for λ, scale, width
        for seed in range(spec["n_seeds"]):                                   # for seed
            start = time.perf_counter()
            w1, w2 = numpy_lambda_balanced(np.random.default_rng([number, seed]), lam, scale,
                                           width, np.dtype(dtype))
            loss, _ = numpy_euler(w1, w2, u, v)
            seconds[width] += time.perf_counter() - start
            runs[width] += 1
            finals.append(float(loss[-1]) - optimum(width))
    per_width = len(spec["lams"]) * len(spec["scales"]) * spec["n_seeds"]
    extrapolated = sum(seconds[w] / runs[w] * per_width for w in spec["widths"])
    return {"configs": baseline_configs(spec), "measured_runs": sum(runs.values()),
            "measured_seconds": sum(seconds.values()),
            "seconds_per_run_by_width": {w: seconds[w] / runs[w] for w in spec["widths"]},
            "extrapolated_seconds": extrapolated, "peak_bytes": peak_bytes(),
            "fraction_converged": float(np.mean(np.array(finals) < CONVERGED))}


# ----------------------------------------------------------------------------- agreement


def child_check() -> dict:
    """Same start, both codes: numpy's loop vs semjax from explicit weights (float64 and
    float32); the identities of both λ-balanced constructions."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import semjax

    task = seed_task()
    u, _, v = (np.asarray(a) for a in task.modes)
    configs = [(-1.58, 1e-3, 1), (-0.53, 0.03, 2), (0.11, 1e-3, 3), (1.79, 0.3, 4),
               (-2.0, 1.0, 4), (0.53, 0.01, 4)]
    seeds = 4
    rows, invariants = [], []
    for width in sorted({c[2] for c in configs}):
        chosen = [c for c in configs if c[2] == width]
        starts = [(*numpy_lambda_balanced(np.random.default_rng([width, i, seed]), lam,
                                          scale, width), lam, scale)
                  for i, (lam, scale, _) in enumerate(chosen) for seed in range(seeds)]
        for w1, w2, lam, scale in starts:
            product = np.linalg.svd(w2 @ w1, compute_uv=False)[:min(4, width)]
            invariants.append(max(np.abs(w2.T @ w2 - w1 @ w1.T - lam * np.eye(width)).max(),
                                  np.abs(product - scale).max()))
        w1s, w2s = (np.stack([s[k] for s in starts]) for k in (0, 1))
        for dtype in ("float64", "float32"):
            run = semjax.simulate(task, hidden=width, init=(w1s.astype(dtype),
                                                            w2s.astype(dtype)),
                                  n_steps=N_STEPS, dt=DT, record=RECORD,
                                  record_every=RECORD_EVERY, dtype=dtype)
            for index, (w1, w2, *_) in enumerate(starts):
                loss, modes = numpy_euler(w1.astype(dtype), w2.astype(dtype), u, v)
                rows.append({"dtype": dtype, "width": width,
                             "final_loss": float(loss[-1]),
                             "loss_difference": float(abs(run.loss[index, -1] - loss[-1])),
                             "modes_difference": float(np.abs(run.modes[index] - modes).max())})
    # semjax's own λ-balanced starts satisfy the same identities (t = 0 of recorded weights)
    own = []
    for width in (1, 4):
        lams, scales = [-1.5, 0.25, 2.0], [1e-3, 0.5]
        run = semjax.simulate(task, hidden=width, lam=lams, init_scale=scales, n_seeds=8,
                              init="lambda_balanced", n_steps=RECORD_EVERY, dt=DT,
                              record=("weights",), record_every=RECORD_EVERY, dtype="float64")
        w1, w2 = (w[..., 0, :, :] for w in run.weights)
        balance = (np.swapaxes(w2, -1, -2) @ w2 - w1 @ np.swapaxes(w1, -1, -2)
                   - np.asarray(lams)[:, None, None, None, None] * np.eye(width))
        product = np.linalg.svd(w2 @ w1, compute_uv=False)[..., :min(4, width)]
        own.append(max(np.abs(balance).max(),
                       np.abs(product - np.asarray(scales)[None, :, None, None]).max()))
    return {"rows": rows, "numpy_start_identities_max_error": float(max(invariants)),
            "semjax_start_identities_max_error": float(max(own)),
            "runs_per_dtype": len(rows) // 2}


# ------------------------------------------------------------------------------- harness


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def run_child(kind: str, arguments, *, devices: int | None = None, timeout: float) -> dict:
    """This script re-run with --child KIND in a fresh process; its RESULT line, or
    {"error": ...} when it failed or ran past ``timeout`` seconds (a hang)."""
    environment = dict(os.environ)
    environment.pop("SEMJAX_CPU_DEVICES", None)
    if devices is not None:
        environment["SEMJAX_CPU_DEVICES"] = str(devices)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind,
               "--dtype", arguments.dtype, "--repeats", str(arguments.repeats)]
    command += ["--quick"] if arguments.quick else []
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=environment,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"no result after {timeout:.0f} s (stopped; a hang)"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        return {"error": f"exit {done.returncode}: {tail[0][:200]}"}
    result = json.loads(lines[-1][len("RESULT "):])
    result["process_seconds"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="4 λ × 4 scales × 2 widths × 20 seeds (seconds)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--repeats", type=int, default=None,
                        help="steady-state calls after the first (default 3; quick: 1)")
    parser.add_argument("--json", default=None,
                        help="output path (default benchmarks/results/sweep_grid.json)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before a semjax child counts as hung (default 900; "
                             "quick: 180)")
    parser.add_argument("--child", choices=("semjax", "baseline", "check"),
                        help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    arguments.repeats = arguments.repeats or (1 if arguments.quick else 3)
    if arguments.child:
        result = {"semjax": lambda: child_semjax(arguments.quick, arguments.dtype,
                                                 arguments.repeats),
                  "baseline": lambda: child_baseline(arguments.quick, arguments.dtype),
                  "check": child_check}[arguments.child]()
        print("RESULT " + json.dumps(result))
        return
    from _harness import print_table, write_json

    spec = grid(arguments.quick)
    total = n_runs(spec)
    timeout = arguments.timeout or (180.0 if arguments.quick else 900.0)
    print(f"grid: {len(spec['lams'])} λ × {len(spec['scales'])} scales × "
          f"{len(spec['widths'])} widths {spec['widths']} × {spec['n_seeds']} seeds = "
          f"{total:,} runs, {N_STEPS} Euler steps (dt = {DT}), {arguments.dtype}", flush=True)

    check = run_child("check", arguments, timeout=600)
    print(f"  check done ({time.strftime('%H:%M:%S')})", flush=True)
    baseline = run_child("baseline", arguments, timeout=3600)
    print(f"  numpy baseline done ({time.strftime('%H:%M:%S')})", flush=True)
    semjax_results = {}
    for devices in DEVICE_COUNTS:
        semjax_results[devices] = run_child("semjax", arguments, devices=devices,
                                            timeout=timeout)
        print(f"  semjax, devices={devices or 'default'} done "
              f"({time.strftime('%H:%M:%S')})", flush=True)

    rows = []
    base_seconds = baseline.get("extrapolated_seconds")
    for devices, result in semjax_results.items():
        label = "semjax_grid (1 sweep over widths)"
        if "error" in result:
            rows.append([label, devices or "default", total, result["error"], "-", "-", "-",
                         "-", "-", "-"])
            continue
        steady, first = result["steady_seconds"], result["first_call_seconds"]
        rows.append([label, f"{result['devices']}" + ("" if devices else " (default)"), total,
                     first, steady, total / steady,
                     base_seconds / steady if base_seconds else float("nan"),
                     base_seconds / first if base_seconds else float("nan"),
                     result["peak_bytes"] / 2 ** 20, result["hash"]])
    if "error" in baseline:
        rows.append(["numpy nested loops", "-", total, "-", baseline["error"], "-", "-", "-",
                     "-", "-"])
    else:
        rows.append([f"numpy nested loops (extrapolated from {baseline['measured_runs']} runs)",
                     "-", total, "-", base_seconds, total / base_seconds, 1.0, 1.0,
                     baseline["peak_bytes"] / 2 ** 20, "-"])
    print_table(f"lazy → rich grid on the seed problem ({arguments.dtype}, {N_STEPS} Euler "
                "steps, modes + loss every 10th), wall seconds for the whole grid",
                ["candidate", "devices", "runs", "first call s", "steady s", "runs/s",
                 "x numpy (steady)", "x numpy (first)", "peak MiB", "loss+modes hash"], rows)
    print("first call: a fresh process's first semjax_grid call (4 compilations included); "
          f"steady: median of {arguments.repeats} further calls; peak: ru_maxrss of the "
          "measuring process (JAX runtime included; the numpy process held only its subset).")

    ok = {d: r for d, r in semjax_results.items() if "error" not in r}
    scaling = None
    if 1 in ok and 4 in ok:
        scaling = ok[1]["steady_seconds"] / ok[4]["steady_seconds"]
        hashes = {r["hash"] for r in ok.values()}
        print(f"\ndevice scaling: 1 device {ok[1]['steady_seconds']:.3g} s, 4 emulated devices "
              f"{ok[4]['steady_seconds']:.3g} s: {scaling:.2f}× (this machine has "
              f"{os.cpu_count()} cores, so 4 emulated CPU devices share {os.cpu_count()} "
              f"cores and {os.cpu_count()}× is the ceiling, not 4×; the machine is shared, so "
              "read it as ±20 %).")
        print(f"bitwise identical across device counts {sorted(r['devices'] for r in ok.values())}"
              f": {'yes' if len(hashes) == 1 else 'NO'} (hashes {sorted(hashes)})")

    if "error" in check:
        print(f"\nagreement check failed: {check['error']}")
    else:
        tolerance = {"float64": 1e-10, "float32": 1e-5}
        agreement = []
        for dtype in ("float64", "float32"):
            chosen = [r for r in check["rows"] if r["dtype"] == dtype]
            worst_loss = max(r["loss_difference"] for r in chosen)
            worst_modes = max(r["modes_difference"] for r in chosen)
            agreement.append([dtype, len(chosen), worst_loss, worst_modes, tolerance[dtype],
                              "yes" if max(worst_loss, worst_modes) <= tolerance[dtype]
                              else "NO"])
        print_table("numpy loop vs semjax from the same explicit start (widths 1–4, λ of both "
                    "signs), max |difference| over runs",
                    ["dtype", "runs", "final loss", "modes (all t)", "tolerance", "within"],
                    agreement)
        print(f"λ-balanced start identities (W2ᵀW2 − W1W1ᵀ = λI, singular values of W2W1 = "
              f"scale), max error: numpy {check['numpy_start_identities_max_error']:.1e}, "
              f"semjax {check['semjax_start_identities_max_error']:.1e}")

    convergence_rows = []
    for result in ok.values():
        for width, c in result["convergence"].items():
            convergence_rows.append([width, c["median_above_optimum"], c["max_above_optimum"],
                                     c["fraction_converged"]])
        break
    if convergence_rows:
        print_table(f"convergence at t = {N_STEPS * DT:g} τ: final excess loss above the "
                    "width's optimum ½Σ_{α>w} s_α²",
                    ["width", "median", "max", f"fraction < {CONVERGED:g}"], convergence_rows)

    write_json("sweep_grid", {
        "grid": {"lams": spec["lams"].tolist(), "init_scales": spec["scales"].tolist(),
                 "widths": list(spec["widths"]), "n_seeds": spec["n_seeds"], "runs": total,
                 "n_steps": N_STEPS, "dt": DT, "record": list(RECORD),
                 "record_every": RECORD_EVERY, "dtype": arguments.dtype,
                 "init": "lambda_balanced"},
        "quick": arguments.quick, "repeats": arguments.repeats,
        "semjax": {str(d or "default"): r for d, r in semjax_results.items()},
        "baseline": baseline, "scaling_1_to_4_devices": scaling, "check": check},
        path=arguments.json)


if __name__ == "__main__":
    main()
