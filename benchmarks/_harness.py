"""Shared benchmark machinery: compile timed apart from runs, medians over interleaved repeats,
a printed table and a JSON record with the machine's description."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

import jax

# PyTorch's OpenMP threads spin while they wait by default; on a machine shared with other
# processes that turns a 1-second loop into 30 seconds at random. Passive waiting (set before
# torch loads its OpenMP runtime) makes the baseline as fast as it is on an idle machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def machine() -> dict:
    """What the numbers were measured on."""
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "jax": jax.__version__,
            "backend": jax.default_backend(), "devices": [str(d) for d in jax.devices()]}


def block(value):
    """Wait for asynchronous jax results (no-op on numpy values)."""
    return jax.block_until_ready(value)


def first_call_seconds(function) -> float:
    """Wall time of the first call (trace + compile + one run)."""
    start = time.perf_counter()
    block(function())
    return time.perf_counter() - start


def try_first_call(name: str, function) -> tuple[float | None, str | None]:
    """(`first_call_seconds`, None), or (None, a one-line message) when the call raised: a
    failing row is reported and the others still run."""
    try:
        return first_call_seconds(function), None
    except Exception as error:
        message = f"{type(error).__name__}: {error}".splitlines()[0][:120]
        print(f"  {name}: semjax failed ({message})", flush=True)
        return None, message


def interleaved_samples(functions: dict, repeats: int) -> dict:
    """Wall times of ``repeats`` calls of each zero-argument callable, the candidates taking
    turns so that load from other processes hits every candidate alike."""
    samples = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            block(function())
            samples[name].append(time.perf_counter() - start)
    return samples


def interleaved_medians(functions: dict, repeats: int) -> dict:
    """Median wall time of each zero-argument callable (`interleaved_samples`)."""
    return {name: statistics.median(values)
            for name, values in interleaved_samples(functions, repeats).items()}


def two_thread_torch():
    """PyTorch set to 2 threads (the baselines' setting), or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    return torch


def torch_environment(torch) -> dict:
    """How the PyTorch baselines ran: version, threads and OpenMP's waiting policy."""
    return {"torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}


def print_table(title: str, columns: list[str], rows: list[list]) -> None:
    """A plain fixed-width table."""
    cells = [[f"{c:.4g}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(columns[i]), *(len(r[i]) for r in cells)) for i in range(len(columns))]
    print(f"\n{title}")
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))


def write_json(name: str, payload: dict, path: str | Path | None = None) -> Path:
    """Write ``benchmarks/results/<name>.json`` (or ``path``) and return its path."""
    if path is None:
        folder = Path(__file__).parent / "results"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.json"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2))
    print(f"\nwrote {path}")
    return path


def write_torch_comparison(name: str, problems: dict, records: list, *, record_every: int,
                           quick: bool, repeats: int, torch) -> Path:
    """`write_json` for a benchmark against PyTorch loops: its problems, its rows and how
    both sides ran (cores, torch version and threads)."""
    return write_json(name, {"problems": problems, "record_every": record_every,
                             "quick": quick, "repeats": repeats, "cores": os.cpu_count(),
                             **torch_environment(torch), "results": records})


def torch_gradient_descent(torch, W1, W2, *, outputs, record, targets, c: float, dt: float,
                           n_steps: int, every: int):
    """Full-batch gradient descent on L = ½c Σ‖Y − f(X)‖² in batched PyTorch autograd, the
    baselines' shared loop: from ``(W1, W2)`` (numpy, (runs, ...)), ``outputs(W1, W2)`` giving
    f(X) for every run and ``record(W1, W2)`` what is recorded at the start and every
    ``every``-th step; returns the records stacked along axis 1, as numpy."""
    W1 = torch.tensor(W1).requires_grad_(True)
    W2 = torch.tensor(W2).requires_grad_(True)
    with torch.no_grad():
        records = [record(W1, W2)]
    for step in range(n_steps):
        loss = 0.5 * c * ((targets - outputs(W1, W2)) ** 2).sum()
        W1.grad = W2.grad = None
        loss.backward()
        with torch.no_grad():
            W1 -= dt * W1.grad
            W2 -= dt * W2.grad
            if (step + 1) % every == 0:
                records.append(record(W1, W2))
    return torch.stack(records, 1).numpy()
