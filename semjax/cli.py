"""The ``semjax`` command: parse arguments, call the public API, write files. No science here.

Commands: ``simulate``, ``sweep``, ``show``, ``compare``, ``figures`` (``semjax CMD --help``).
Exit status: 0 success; 1 a result holds diverged runs (simulate, sweep, show) or a check
failed (``compare --fail-above``); 2 bad arguments or unreadable input (one line
``semjax: error: ...`` on stderr); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np

from semjax._cli_specs import SPEC_EXAMPLE, UsageError, one_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141

EXIT_CODES = """\
exit status:
  0    success
  1    the result holds diverged runs (simulate, sweep, show; the file is still written),
       or a check failed (compare --fail-above)
  2    bad arguments or unreadable input (one line 'semjax: error: ...' on stderr)
  130  interrupted (Ctrl-C)"""

MAIN_EPILOG = f"""\
examples:
  semjax simulate four_items --hidden 16 --scales 1e-3 --seeds 64 --dt 0.005 --t-max 7.5 \\
      --record modes,loss,weights -o run.npz
  semjax show run.npz --plot run.png
  semjax sweep sweep.toml
  semjax compare run.npz reference.npz --fail-above 1e-3
  semjax figures --quick --out figures

{EXIT_CODES}
"""

SIMULATE_EPILOG = f"""\
examples:
  # 64 seeds of the seed's four-item experiment (Σx = I), recording weights for the theory
  semjax simulate four_items --normalise sum --hidden 16 --scales 1e-3 --seeds 64 \\
      --dt 0.005 --t-max 7.5 --record modes,loss,weights -o run.npz

  # the exact closed-form start, two init scales, RK4, float64
  semjax simulate rumelhart --hidden 32 --init aligned --scales 1e-4,1e-2 --dt 0.01 \\
      --n-steps 2000 --method rk4 --dtype float64 --record-every 10 -o aligned.npz

  # a random dataset with options, a tanh network with biases
  semjax simulate branching_diffusion -D branching=2 -D depth=3 -D n_features=400 \\
      -D flip=0.1 --hidden 32 --activation tanh --bias --scales 1e-3 --seeds 8 \\
      --dt 0.05 --t-max 12 -o hier.npz

datasets: four_items, rumelhart, braun_hierarchy, branching_diffusion, regular_tree, ring,
  chain, grid, clusters, tree, coherent_category, level_contrast_tree, teacher_student
  (a wrong or missing -D option names the options the dataset takes).

{EXIT_CODES}
"""

SWEEP_EPILOG = f"""\
examples:
  semjax sweep sweep.toml
  semjax sweep sweep.toml -o other.npz --no-progress
  semjax sweep sweep.toml --dry-run          # check the spec, run nothing

a spec (TOML); unknown keys are refused by name:

{SPEC_EXAMPLE}
[sweep] takes the arguments of semjax.sweep and semjax.simulate (see their docstrings);
init_scale, lam and dt may be lists (axes inside one compilation). [over] makes an outer
grid; the result's batch axes are (*over, *those of one call).
Relative paths in the spec are relative to the spec file.

{EXIT_CODES}
"""

SHOW_EPILOG = f"""\
examples:
  semjax show run.npz
  semjax show run.npz --plot run.png

The plot draws every mode's strength over time: the median over runs (markers) with the
10-90 percentile band, one panel per init scale, and the closed form (lines) when the file
says how to build it: results of 'semjax simulate'/'semjax sweep' on a linear network
without biases, from an aligned start (exact) or, for depth 2 with recorded weights
(--record ...,weights), from the median effective a0 of the random start (the aligned
approximation). Otherwise the summary says why the theory is omitted.

{EXIT_CODES}
"""

COMPARE_EPILOG = f"""\
examples:
  # float32 against float64 from the same aligned start (random starts would draw different
  # weights in each precision): only rounding differs
  semjax simulate four_items --normalise sum --hidden 8 --init aligned --scales 1e-3 \\
      --dt 0.02 --t-max 8 -o float32.npz
  semjax simulate four_items --normalise sum --hidden 8 --init aligned --scales 1e-3 \\
      --dt 0.02 --t-max 8 --dtype float64 -o float64.npz
  semjax compare float32.npz float64.npz --fail-above 1e-4 && echo agree

A and B must share the time grid and the number of modes; batch axes are matched by name
and broadcast (semjax.compare). B is the reference of the relative error.

{EXIT_CODES}
"""

FIGURES_EPILOG = """\
examples:
  semjax figures --quick --out /tmp/figures
  semjax figures --only seed_deep theory_vs_simulation --out figures
"""


def _wrap(text: str) -> str:
    """A description wrapped for the raw help formatter (which keeps the epilog's layout)."""
    import textwrap
    return textwrap.fill(text, 88)


class _Parser(argparse.ArgumentParser):
    """argparse with errors on one line: ``semjax simulate: error: ... (see --help)``."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see "
                              f"'{self.prog} --help')\n")


def _number(kind, condition, text):
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {text}; got {value!r}") from None
        if not (np.isfinite(number) and condition(number)):
            raise argparse.ArgumentTypeError(f"must be {text}; got {value!r}")
        return number
    return parse


_positive_float = _number(float, lambda x: x > 0, "a number > 0")
_nonnegative_float = _number(float, lambda x: x >= 0, "a number ≥ 0")
_positive_int = _number(int, lambda x: x > 0, "an integer > 0")
_float = _number(float, lambda x: True, "a number")


def _list_of(parse, text):
    def parse_list(value: str):
        parts = [part.strip() for part in value.split(",")]
        if not all(parts):
            raise argparse.ArgumentTypeError(f"must be {text}, separated by commas; got "
                                             f"{value!r}")
        try:
            return tuple(parse(part) for part in parts)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"must be {text}, separated by commas; got "
                                             f"{value!r}") from None
    return parse_list


def _parser(argv=None) -> argparse.ArgumentParser:
    from semjax import __version__
    from semjax.dynamics._initialisation import INIT_NAMES
    from semjax.readouts import NAMES as RECORDABLE

    if "figures" in (sys.argv[1:] if argv is None else argv):
        from semjax.gallery import FIGURES  # matplotlib and more: only when asked for
    else:
        FIGURES = ()

    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="semjax", formatter_class=raw, epilog=MAIN_EPILOG, description=_wrap(
        "Learning dynamics of deep linear networks (Saxe, McClelland & Ganguli 2019)."))
    parser.add_argument("--version", action="version", version=f"semjax {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate = commands.add_parser(
        "simulate", help="simulate gradient flow on a built-in dataset", formatter_class=raw,
        epilog=SIMULATE_EPILOG, description=_wrap(
            "Simulate gradient flow of deep networks on a built-in dataset, batched over init "
            "scales and seeds (semjax.simulate), print a summary and save the Trajectory."))
    data = simulate.add_argument_group("task")
    data.add_argument("dataset", help="built-in dataset name, e.g. four_items, rumelhart")
    data.add_argument("--normalise", choices=("mean", "sum"), default="mean",
                      help="Σx = XXᵀ/P, Σyx = YXᵀ/P (mean, default) or XXᵀ, YXᵀ (sum)")
    data.add_argument("-D", "--dataset-option", action="append", metavar="NAME=VALUE",
                      dest="dataset_options", help="an option of the dataset generator, e.g. "
                      "-D branching=2 (repeat for several; comma lists give tuples)")
    data.add_argument("--dataset-key", type=int, default=0, metavar="INT",
                      help="PRNG key of random datasets (default 0)")
    network = simulate.add_argument_group("network")
    network.add_argument("--depth", type=_positive_int, default=2,
                         help="number of weight matrices (default 2; 1 = shallow)")
    network.add_argument("--hidden", type=_list_of(_positive_int, "integers > 0"),
                         metavar="N[,N...]", help="hidden width, or one per hidden layer "
                         "(required for depth ≥ 2)")
    network.add_argument("--activation", choices=("linear", "tanh", "relu"), default="linear",
                         help="nonlinearity between layers (default linear)")
    network.add_argument("--bias", action="store_true", help="give every layer a bias")
    start = simulate.add_argument_group("initial weights")
    start.add_argument("--init", choices=INIT_NAMES, default="gaussian",
                       help="initialiser (default gaussian)")
    start.add_argument("--scales", type=_list_of(_nonnegative_float, "numbers ≥ 0"),
                       metavar="S[,S...]", help="init scale; several add a 'scale' axis")
    start.add_argument("--lam", type=_float, default=0.0,
                       help="λ of aligned/lambda_balanced starts (default 0)")
    start.add_argument("--seeds", type=_positive_int, default=1, metavar="N",
                       help="number of seeds (default 1); seed i uses fold_in(key, i)")
    start.add_argument("--key", type=int, default=0, help="base PRNG key (default 0)")
    integration = simulate.add_argument_group("integration")
    integration.add_argument("--dt", type=_positive_float, required=True,
                             help="step size in units of τ (Euler: the learning rate)")
    length = integration.add_mutually_exclusive_group(required=True)
    length.add_argument("--t-max", type=_positive_float, help="final time in units of τ")
    length.add_argument("--n-steps", type=_positive_int, help="number of steps")
    integration.add_argument("--method", choices=("euler", "rk4"), default="euler",
                             help="integrator (default euler)")
    integration.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                             help="precision (default float32)")
    integration.add_argument("--kernel", choices=("auto", "tiled", "reference"),
                             default="auto", help="backend (default auto)")
    integration.add_argument("--devices", type=_positive_int,
                             help="spread runs over this many devices (default all)")
    output = simulate.add_argument_group("output")
    output.add_argument("--record", type=_list_of(str, "field names"), default=("modes", "loss"),
                        metavar="F[,F...]", help=f"fields to record, from {', '.join(RECORDABLE)} "
                        "(default modes,loss)")
    output.add_argument("--record-every", type=_positive_int, default=1, metavar="K",
                        help="record every K steps (default 1)")
    output.add_argument("-o", "--output", metavar="FILE.npz",
                        help="write the Trajectory here (semjax.Trajectory.load reads it)")
    output.add_argument("--no-progress", action="store_true",
                        help="no progress bar (shown, with ETA, for runs of several "
                        "compiled calls)")

    sweep = commands.add_parser(
        "sweep", help="run a sweep described by a TOML spec", formatter_class=raw,
        epilog=SWEEP_EPILOG, description=_wrap(
            "Run semjax.sweep from a TOML spec (dataset, sweep arguments, output file), in "
            "chunks of seeds with a progress bar, and save the Trajectory."))
    sweep.add_argument("spec", metavar="SPEC.toml", help="the sweep spec")
    sweep.add_argument("-o", "--output", metavar="FILE.npz",
                       help="write the result here instead of the spec's output")
    sweep.add_argument("--dry-run", action="store_true",
                       help="check the spec and print the call; run nothing")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")

    show = commands.add_parser(
        "show", help="summarise a result file (and plot its mode strengths)",
        formatter_class=raw, epilog=SHOW_EPILOG, description=_wrap(
            "Summarise a Trajectory file: batch axes, sizes, coordinates, recorded fields, "
            "diverged runs and info; optionally plot the mode strengths with the theory."))
    show.add_argument("result", metavar="RESULT.npz", help="a file written by semjax")
    show.add_argument("--plot", metavar="FILE.png", help="draw the mode strengths here")

    compare = commands.add_parser(
        "compare", help="compare the mode strengths of two result files", formatter_class=raw,
        epilog=COMPARE_EPILOG, description=_wrap(
            "Print semjax.compare's per-mode table of A against the reference B."))
    compare.add_argument("a", metavar="A.npz", help="a result file")
    compare.add_argument("b", metavar="B.npz", help="the reference result file")
    compare.add_argument("--fail-above", type=_nonnegative_float, metavar="TOL",
                         help="exit with status 1 when the max relative error exceeds TOL")

    figures = commands.add_parser("figures", help="reproduce the gallery of figures as PNG files",
                                  formatter_class=raw, epilog=FIGURES_EPILOG)
    figures.add_argument("--out", default="figures", help="output folder (default: figures)")
    figures.add_argument("--only", nargs="+", choices=sorted(FIGURES) or None, metavar="NAME",
                         help=f"only these figures: {', '.join(FIGURES)}")
    figures.add_argument("--quick", action="store_true",
                         help="tiny sizes, for a smoke test (a few seconds a figure)")
    figures.add_argument("--jobs", type=_positive_int, default=_cores(), metavar="N",
                         help="figures drawn at once, one process each (default: the number "
                         f"of cores, {_cores()})")
    figures.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


# ----------------------------------------------------------------------------- helpers

def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover  (macOS, Windows)
        return os.cpu_count() or 1


def _check_output(path) -> None:
    """Refuse an output file that cannot be written, before any work."""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {os.fspath(path)!r}: folder {folder!r} does not exist.")
    if os.path.isdir(os.fspath(path)):
        raise UsageError(f"cannot write {os.fspath(path)!r}: it is a folder.")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {os.fspath(path)!r}: the file is not writable.")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {os.fspath(path)!r}: folder {folder!r} is not "
                         "writable.")


def _save(result, path) -> str:
    """Save a computed result to ``path``; if that fails after all (a full or read-only disk),
    to a temporary file, so nothing computed is lost. Returns the path written."""
    try:
        result.save(path)
        return os.fspath(path)
    except OSError as error:
        import tempfile
        fd, rescue = tempfile.mkstemp(prefix="semjax-result-", suffix=".npz")
        os.close(fd)
        result.save(rescue)
        print(f"semjax: cannot write {os.fspath(path)!r} ({error.strerror or error}); the "
              f"result is saved in {rescue!r} instead.", file=sys.stderr)
        return rescue


def _load(path):
    """`Trajectory.load`, with every failure as one UsageError naming the file."""
    from semjax.trajectory import Trajectory
    if not os.path.exists(path):
        raise UsageError(f"no such file: {os.fspath(path)!r}.")
    try:
        return Trajectory.load(path)
    except Exception as error:  # a bad file fails in many ways (zip, JSON, missing arrays)
        raise UsageError(f"cannot read {os.fspath(path)!r} as a semjax result: "
                         f"{type(error).__name__}: {one_line(error)}") from None


def _with_info(trajectory, extra: dict):
    """The trajectory with ``extra`` entries added to its info (scalars and strings)."""
    items = dict(trajectory.info_items) | extra
    return dataclasses.replace(trajectory, info_items=tuple(sorted(items.items())))


def _values(values, limit: int = 8) -> str:
    """Coordinates as a short list: all of them, or the first and last few."""
    values = np.asarray(values).ravel()
    text = [f"{v:g}" if np.issubdtype(values.dtype, np.number) else str(v) for v in values]
    if len(text) > limit:
        text = [*text[:3], "…", *text[-2:]]
    return ", ".join(text)


def _diverged(trajectory) -> str:
    failed = trajectory.failed
    n_runs = int(np.prod(trajectory.batch_shape, dtype=int))
    if not failed:
        return f"all {n_runs} runs finite"
    more = " ..." if len(failed) > 10 else ""
    return (f"{len(failed)} of {n_runs} runs diverged (inf/NaN): "
            f"{trajectory.describe_runs(failed[:10])}{more}")


def _run_summary(trajectory, task_info: dict, seconds: float, output) -> str:
    """One paragraph about a finished simulation or sweep."""
    info = trajectory.info
    axes = " × ".join(f"{a} {n}" for a, n in zip(trajectory.batch_axes, trajectory.batch_shape))
    n_runs = int(np.prod(trajectory.batch_shape, dtype=int))
    hidden = "-".join(str(h) for h in info.get("hidden", ()))
    network = (f"depth-{info.get('depth')} {info.get('activation', 'linear')} network"
               f"{' with biases' if info.get('bias') else ''}"
               f"{f' (hidden {hidden})' if hidden else ''}")
    s = ", ".join(f"{v:.3g}" for v in info.get("task_s", ()))
    scales = info.get("init_scale")
    start = f"init={info.get('init', '?')}" + (
        f", scale {_values(scales)}" if scales is not None else "")
    text = (f"Simulated {n_runs} runs ({axes}) of a {network} on "
            f"{task_info.get('dataset')} (normalise={task_info.get('dataset_normalise')}; "
            f"s = {s}) from {start}: {info.get('method')} with dt={_values(info.get('dt'))}, "
            f"{info.get('n_steps')} steps to t={float(trajectory.t[-1]):g}, "
            f"{info.get('dtype')}, {len(trajectory.t)} records, in {seconds:.1f} s on "
            f"{info.get('devices', 1)} device(s). ")
    finite = np.asarray(trajectory.finite)
    if trajectory.loss is not None and finite.any():
        final = np.asarray(trajectory.loss)[..., -1][finite]
        text += (f"Final excess loss: median {np.median(final):.3g} "
                 f"[{final.min():.3g}, {final.max():.3g}]. ")
    if trajectory.modes is not None and trajectory.phase is None and finite.any():
        final = np.median(np.asarray(trajectory.modes)[..., -1, :][finite], axis=0)
        text += f"Final mode strengths (median): {', '.join(f'{v:.3g}' for v in final)}. "
    runs = _diverged(trajectory)
    text += runs[0].upper() + runs[1:] + ". "
    text += f"Saved to {os.fspath(output)}." if output else "Not saved (pass -o FILE.npz)."
    return text


def _finish(trajectory) -> int:
    return EXIT_FAILED if trajectory.failed else EXIT_OK


# ----------------------------------------------------------------------------- commands

def _simulate(arguments) -> int:
    from semjax._cli_specs import build_task, parse_options
    if arguments.output:
        _check_output(arguments.output)
    task, task_info = build_task(arguments.dataset, normalise=arguments.normalise,
                                 options=parse_options(arguments.dataset_options),
                                 key=arguments.dataset_key)
    if arguments.dtype == "float64":
        import jax
        jax.config.update("jax_enable_x64", True)
    from semjax import simulate
    scales = arguments.scales
    hidden = arguments.hidden
    if hidden is not None and len(hidden) == 1:
        hidden = hidden[0]
    length = ({"t_max": arguments.t_max} if arguments.t_max is not None
              else {"n_steps": arguments.n_steps})
    started = time.perf_counter()
    run = simulate(task, hidden=hidden, depth=arguments.depth, dt=arguments.dt,
                   init=arguments.init, init_scale=(None if scales is None else scales[0]
                                                    if len(scales) == 1 else list(scales)),
                   lam=arguments.lam, n_seeds=arguments.seeds, key=arguments.key,
                   method=arguments.method, record=tuple(arguments.record),
                   record_every=arguments.record_every, dtype=arguments.dtype,
                   kernel=arguments.kernel, devices=arguments.devices, throw=False,
                   activation=arguments.activation, bias=arguments.bias,
                   progress=not arguments.no_progress, **length)
    seconds = time.perf_counter() - started
    run = _with_info(run, task_info)
    output = _save(run, arguments.output) if arguments.output else None
    print(_run_summary(run, task_info, seconds, output))
    return _finish(run)


def _sweep(arguments) -> int:
    from semjax._cli_specs import load_spec
    spec = load_spec(arguments.spec)
    output = arguments.output or spec["output"]
    call = dict(spec["arguments"]) | ({"over": spec["over"]} if spec["over"] else {})
    if call.get("dtype") == "float64":
        import jax
        jax.config.update("jax_enable_x64", True)
    from semjax.sweeps import plan
    try:  # every configuration checked before anything runs; errors name the spec's table
        checked = plan(spec["task"], **call)
    except (ValueError, TypeError, MemoryError) as error:
        raise UsageError(f"{arguments.spec}{_table_of(error, spec)}: {one_line(error)}") from None
    if arguments.dry_run:
        listed = ", ".join(f"{k}={v!r}" for k, v in sorted(call.items()))
        print(f"semjax.sweep(task={spec['task_info']['dataset']!r}, {listed}) -> "
              f"{os.fspath(output)}: {len(checked.specs)} configuration(s) checked, nothing "
              "run.")
        return EXIT_OK
    _check_output(output)
    from semjax import SimulationDiverged, sweep
    from semjax.store import StoreLockedError
    call |= {"progress": not arguments.no_progress, "throw": False}
    started = time.perf_counter()
    try:
        result = sweep(spec["task"], **call)
    except SimulationDiverged as error:  # a sweep without throw=
        result = error.trajectory
    except StoreLockedError as error:
        raise UsageError(one_line(error)) from None
    except KeyboardInterrupt:
        if call.get("checkpoint_dir"):
            print(f"semjax: interrupted; finished chunks are in {call['checkpoint_dir']!r}: "
                  f"run 'semjax sweep {arguments.spec}' again to resume.", file=sys.stderr)
            return EXIT_INTERRUPTED
        raise
    seconds = time.perf_counter() - started
    result = _with_info(result, spec["task_info"])
    output = _save(result, output)
    print(_run_summary(result, spec["task_info"], seconds, output))
    return _finish(result)


def _table_of(error, spec) -> str:
    """" [sweep]" or " [over]" when the error names a key of that table, else ""."""
    first = str(error).split(" ", 1)[0].rstrip(":=")
    for table in ("over", "arguments"):
        if first in spec[table]:
            return " [over]" if table == "over" else " [sweep]"
    return ""


def _producer(info: dict) -> str:
    """The function that made a result, from its info: its runs' ``source`` (semjax.simulate,
    semjax.train, semjax.theory.trajectory), or semjax.sweep for a sweep (which records its
    ``chunk_size``), naming the function of its runs."""
    source = info.get("source", "semjax")
    return f"semjax.sweep (of {source} runs)" if "chunk_size" in info else source


def _show(arguments) -> int:
    run = _load(arguments.result)
    info = run.info
    n_runs = int(np.prod(run.batch_shape, dtype=int))
    lines = [f"{os.fspath(arguments.result)}: {_producer(info)} result, "
             f"{n_runs} run(s), {len(run.t)} records at t = {float(run.t[0]):g} … "
             f"{float(run.t[-1]):g}"]
    lines.append("axes:" if run.batch_axes else "axes: none (a single run)")
    for axis, size in zip(run.batch_axes, run.batch_shape):
        lines.append(f"  {axis:<12} {size:>7}   {_values(run.coords[axis])}")
    lines.append("fields:")
    for name, value in run.fields.items():
        if isinstance(value, tuple):
            shapes = ", ".join(str(tuple(np.shape(w))) for w in value)
            lines.append(f"  {name:<16} {shapes}")
        else:
            lines.append(f"  {name:<16} {tuple(np.shape(value))} {np.asarray(value).dtype}")
    for name in ("step", "phase"):
        if getattr(run, name) is not None:
            lines.append(f"  {name:<16} {tuple(np.shape(getattr(run, name)))}")
    lines.append(f"runs: {_diverged(run)}")
    lines.append("info:")
    for key, value in sorted(info.items()):
        text = one_line(value if not isinstance(value, tuple) else list(value))
        lines.append(f"  {key} = {text if len(text) <= 100 else text[:97] + '...'}")
    if arguments.plot:
        _check_output(arguments.plot)
        lines.append(_plot(run, arguments.plot))
    print("\n".join(lines))
    return _finish(run)


def _theory(run):
    """The closed form for a result file, as (trajectory or None, what it is or why not)."""
    from semjax import theory
    from semjax._cli_specs import task_from_info
    info = run.info
    if "task_s" not in info:
        return None, "theory omitted: the file does not record the task's singular values."
    try:
        task = task_from_info(info)
    except UsageError as error:
        return None, f"theory omitted: cannot rebuild the task ({error})"
    if task is None:
        return None, ("theory omitted: the file does not say which dataset it ran on "
                      "(only results of 'semjax simulate' and 'semjax sweep' do).")
    try:
        closed = theory.closed_form_for(run, task)
    except ValueError as error:
        return None, f"theory omitted: {one_line(error)}"
    return closed, f"theory: {closed.info['closed_form']}."


def _plot(run, path) -> str:
    """Draw the mode strengths (median and band over runs) with the theory into ``path``; say
    what was drawn."""
    import matplotlib.pyplot as plt
    figure, note = _plot_figure(run)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return f"plot: {os.fspath(path)} ({note})"


def _plot_figure(run):
    """The figure of `_plot` (one panel per init scale, at most 6) and what its theory is."""
    if run.modes is None:
        raise UsageError("cannot plot: the file has no recorded modes (record them with "
                         "--record modes,...).")
    if run.phase is not None:
        raise UsageError("cannot plot a task-schedule run here; plot Trajectory.on_task(...) "
                         "in Python.")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from semjax import plotting
    closed, note = _theory(run)
    panels = list(range(len(run.coords["scale"]))) if "scale" in run.batch_axes else [None]
    if len(panels) > 6:
        panels = [None]
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.6),
                                squeeze=False, constrained_layout=True)
    for ax, panel in zip(axes[0], panels):
        runs, curves = run, closed
        if panel is not None:
            runs = run.select(scale=panel)
            curves = None if closed is None else closed.select(scale=panel)
            ax.set_title(f"init scale {np.asarray(run.coords['scale'])[panel]:g}")
        if not np.asarray(runs.finite).all():
            keep = np.asarray(runs.finite)
            runs = dataclasses.replace(runs, fields={"modes": np.asarray(runs.modes)[keep]},
                                       finite=keep[keep], batch_axes=("run",))
        if np.size(runs.finite):  # degenerate modes: staggered markers, distinct line styles
            plotting.plot_mode_strengths(ax, runs)
        if curves is not None and curves.modes is not None:
            plotting.plot_curves(ax, curves.t, np.median(plotting.runs_of(
                curves.modes, len(curves.batch_axes)), axis=0), label="theory")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return figure, note


def _compare(arguments) -> int:
    import semjax
    a, b = _load(arguments.a), _load(arguments.b)
    try:
        comparison = semjax.compare(a, b)
    except ValueError as error:
        raise UsageError(f"cannot compare {arguments.a!r} with {arguments.b!r}: "
                         f"{one_line(error)}") from None
    worst = float(np.nanmax(comparison.max_rel_error)) if comparison.max_rel_error.size else 0.0
    print(f"a: {arguments.a}   b (reference): {arguments.b}")
    print(comparison)
    print(f"max relative error: {worst:.3e}")
    if arguments.fail_above is not None and not worst <= arguments.fail_above:
        print(f"semjax: check failed: max relative error {worst:.3e} > "
              f"{arguments.fail_above:g}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _figures(arguments) -> int:
    flags = os.environ.get("XLA_FLAGS", "")
    if arguments.quick and "xla_backend_optimization_level" not in flags:
        # tiny runs: compiling is most of the time, and XLA compiles in about half the CPU
        # time at level 0 (same IEEE results); read when JAX first compiles, i.e. after this
        os.environ["XLA_FLAGS"] = f"{flags} --xla_backend_optimization_level=0".strip()
    from semjax.gallery import make_figures
    paths = make_figures(arguments.out, names=arguments.only, quick=arguments.quick,
                         progress=not arguments.no_progress, jobs=arguments.jobs)
    for path in paths:
        print(path)
    return EXIT_OK


COMMANDS = {"simulate": _simulate, "sweep": _sweep, "show": _show, "compare": _compare,
            "figures": _figures}


def main(argv=None) -> int:
    """Entry point of the ``semjax`` console script; returns the exit status."""
    from semjax import _interrupts
    previous = _interrupts.install()
    try:
        arguments = _parser(argv).parse_args(argv)
        _interrupts.check()  # a Ctrl-C during the imports
        return COMMANDS[arguments.command](arguments)
    except (UsageError, ValueError, TypeError, MemoryError) as error:
        # UsageError: the CLI's own checks; ValueError/TypeError/MemoryError: the library's
        # argument checks (they name the argument and the fix)
        print(f"semjax: error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("semjax: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. 'semjax show run.npz | head': stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    finally:
        _interrupts.restore(previous)


if __name__ == "__main__":
    raise SystemExit(main())
