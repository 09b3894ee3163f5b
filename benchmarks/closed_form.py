"""Closed-form throughput: mode-strength evaluations per second, semjax (jit) vs numpy.

    python benchmarks/closed_form.py [--size 10000000] [--repeats 7]

Evaluates a(t; s, a0) on a (time × mode) grid in float32 and float64: the deep sigmoid, the
λ-balanced form and the depth-3 exact inversion, against the same overflow-free deep formula
in numpy (and the paper's form, which overflows, for reference). Compile time is reported
apart; run times are medians over interleaved repeats.
"""

from __future__ import annotations

import argparse

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from _harness import first_call_seconds, interleaved_medians, print_table, write_json  # noqa: E402

from semjax import theory  # noqa: E402

DEPTH3_SHARE = 200


def numpy_deep(t, s, a0):
    """The overflow-free deep form, in numpy (the baseline)."""
    return s / (1 + np.sign(s - a0) * np.exp(np.log(np.abs(s - a0)) - np.log(a0) - 2 * s * t))


def numpy_paper_form(t, s, a0):
    """The paper's form s e^{2st}/(e^{2st} − 1 + s/a0), as a notebook would write it."""
    growth = np.exp(2 * s * t)
    return s * growth / (growth - 1 + s / a0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000, help="evaluations per call")
    parser.add_argument("--repeats", type=int, default=7)
    arguments = parser.parse_args()
    n_modes = 100
    n_times = arguments.size // n_modes
    rows, records = [], []
    for dtype in (np.float32, np.float64):
        t = np.linspace(0, 50, n_times, dtype=dtype)[:, None]
        s = np.geomspace(0.05, 5, n_modes).astype(dtype)
        a0 = np.full(n_modes, 1e-4, dtype)
        jt, js, ja0 = (jax.device_put(x) for x in (t, s, a0))
        compiled = {
            "deep": jax.jit(lambda t, s, a0: theory.deep_mode_strength(t, s, a0)),
            "lambda": jax.jit(lambda t, s, a0: theory.lambda_balanced_mode_strength(t, s, a0,
                                                                                     0.5)),
            "depth3": jax.jit(lambda t, s, a0: theory.mode_strength(t, s, a0, depth=3)),
        }
        # the depth-3 inversion is iterative and ~1000x costlier: it gets 1/DEPTH3_SHARE of
        # the grid, and its rate is scaled accordingly
        sizes = {name: n_times * n_modes // (DEPTH3_SHARE if name == "depth3" else 1)
                 for name in compiled}
        candidates = {f"semjax {name}": (lambda f=f, args=(jt[:sizes[name] // n_modes], js,
                                                            ja0): f(*args))
                      for name, f in compiled.items()}
        compile_seconds = {name: first_call_seconds(f) for name, f in candidates.items()}
        arrays = (t, s, a0)
        candidates["numpy deep"] = lambda arrays=arrays: numpy_deep(*arrays)
        with np.errstate(over="ignore", invalid="ignore"):
            candidates["numpy paper form"] = lambda arrays=arrays: numpy_paper_form(*arrays)
            medians = interleaved_medians(candidates, arguments.repeats)
        rates = {name: sizes.get(name.removeprefix("semjax "), n_times * n_modes) / seconds
                 for name, seconds in medians.items()}
        for name, rate in rates.items():
            speedup = rate / rates["numpy deep"]
            rows.append([np.dtype(dtype).name, name, rate / 1e6, speedup,
                         compile_seconds.get(name, float("nan"))])
            records.append({"dtype": np.dtype(dtype).name, "candidate": name,
                            "evaluations_per_second": rate, "speedup_vs_numpy": speedup,
                            "first_call_seconds": compile_seconds.get(name)})
    print_table(f"closed-form mode strengths, {n_times} times x {n_modes} modes per call",
                ["dtype", "candidate", "M eval/s", "x numpy", "first call s"], rows)
    write_json("closed_form", {"size": n_times * n_modes, "repeats": arguments.repeats,
                               "results": records})


if __name__ == "__main__":
    main()
