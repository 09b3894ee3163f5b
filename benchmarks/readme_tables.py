"""Put the measured tables into README.md, from the benchmarks' JSON (so they cannot drift).

    python benchmarks/readme_tables.py [--check]

Each table sits between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in README.md and is
rewritten from ``benchmarks/results/NAME.json``; ``--check`` only reports whether README.md is
up to date with the JSON (exit status 1 when not).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"

LABELS = {"seed32": "seed problem, float32", "seed64": "seed problem, float64",
          "rumelhart32": "Rumelhart, hidden 32", "rumelhart256": "Rumelhart, hidden 256",
          "large": "1,024 items, hidden 1,024"}


def core_speed(data: dict) -> str:
    """The table of `benchmarks/core_speed.py`: per problem, semjax's median time and runs per
    second with the ratios of rates to each baseline (median [range] of the interleaved
    repeats), and the targets with their verdicts."""
    old = data["old_commit"]
    lines = ["| problem | runs | semjax s (median [range]) | × " + old + " | × torch bmm | "
             "× numpy batched | × seed loop | first call s |",
             "|---|---|---|---|---|---|---|---|"]
    for name, rows in data["results"].items():
        mine = rows.get("semjax")
        if mine is None:
            continue
        ratios = [f"{mine['x_vs'][other]:.2f}" if other in mine["x_vs"] else "—"
                  for other in (old, "torch bmm", "numpy batched", "seed loop")]
        if name == "large" and "fraction_of_peak" in mine:
            ratios[1] = f"{100 * mine['fraction_of_peak']:.1f} % of the jnp.dot peak"
        lines.append(f"| {LABELS.get(name, name)} | {mine['runs']:,} | {mine['median_s']:.3f} "
                     f"[{mine['min_s']:.3f}–{mine['max_s']:.3f}] | " + " | ".join(ratios)
                     + f" | {mine['first_call_s']:.2f} |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for verdict in data["targets"]:
        value = verdict["measured"]
        shown = (f"{100 * value:.1f} %" if "peak" in verdict["target"]
                 else f"{value:.2f} s" if "first call" in verdict["target"]
                 else f"{value:.2f}×")
        lines.append(f"| {LABELS.get(verdict['problem'], verdict['problem'])}: "
                     f"{verdict['target']} | {shown} | {'yes' if verdict['met'] else 'no'} |")
    machine = data["machine"]
    measured = data.get("measured", {})
    when = "; ".join(f"{LABELS.get(name, name)} {value['date']} ({value['repeats']} repeats)"
                     for name, value in measured.items())
    lines += ["", f"({machine['cpu_count']} cores, {machine['platform']}, jax "
              f"{machine['jax']}; interleaved repeats per candidate"
              f"{', --quick' if data['quick'] else ''}; measured {when or 'in one run'}.)"]
    return "\n".join(lines)


def gated(data: dict) -> str:
    """The table of `benchmarks/gated.py`: per problem, semjax's and the torch loop's runs per
    second (median [range] of the interleaved repeats), their ratio, the first call and the
    largest difference of the final pathway strengths."""
    lines = ["| problem | network | runs | semjax runs/s (median [range]) | torch runs/s "
             "(median [range]) | × torch | first call s | max abs Δ final a |",
             "|---|---|---|---|---|---|---|---|"]
    for row in data["results"]:
        if "error" in row:
            lines.append(f"| {row['row']} | — | {row['runs']:,} | failed: {row['error']} | "
                         "— | — | — | — |")
            continue
        low, high = row["semjax_runs_per_second_range"]
        torch_low, torch_high = row["torch_runs_per_second_range"]
        lines.append(
            f"| K = {row['contexts']} | {row['n_in']} → {row['hidden']} → {row['n_out']} "
            f"({row['n_paths']} pathways) | {row['runs']:,} | "
            f"{row['semjax_runs_per_second']:,.0f} [{low:,.0f}–{high:,.0f}] | "
            f"{row['torch_runs_per_second']:,.0f} [{torch_low:,.0f}–{torch_high:,.0f}] | "
            f"{row['x_torch']:.2f} | {row['first_call_seconds']:.2f} | "
            f"{row['max_abs_diff_final_pathway_modes']:.1e} |")
    machine = data["machine"]
    lines += ["", f"({machine['cpu_count']} cores, {machine['platform']}, jax {machine['jax']}, "
              f"torch {data['torch']} with {data['torch_threads']} threads; "
              f"{data['repeats']} interleaved repeats per candidate"
              f"{', --quick' if data['quick'] else ''}.)"]
    return "\n".join(lines)


TABLES = {"core_speed": core_speed, "gated": gated}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report staleness, write nothing")
    arguments = parser.parse_args()
    text = README.read_text()
    updated = text
    for name, render in TABLES.items():
        source = HERE / "results" / f"{name}.json"
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(updated):
            print(f"README.md has no <!-- {name}:begin/end --> markers", file=sys.stderr)
            return 1
        if not source.exists():
            print(f"{source} is missing: run python benchmarks/{name}.py", file=sys.stderr)
            return 1
        table = render(json.loads(source.read_text()))
        updated = pattern.sub(lambda match: match.group(1) + table + "\n" + match.group(2),
                              updated)
    if arguments.check:
        stale = updated != text
        print("README.md is " + ("out of date" if stale else "up to date"))
        return int(stale)
    README.write_text(updated)
    print("README.md updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
