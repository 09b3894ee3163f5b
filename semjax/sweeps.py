"""Sweeps: grids of runs in bounded memory, resumable, on every device of one or many machines.

`sweep` runs `semjax.simulate` (or `semjax.train`, given an ``optimizer``) on chunks of seeds
and writes each chunk into preallocated arrays, so a sweep's peak memory is its result plus
one chunk's working set. A sweep is a grid:

- the traced quantities (``init_scale``, ``lam`` and ``dt`` of `simulate`, ``learning_rate``
  of `train`, given as sequences) and the seeds are axes inside each compiled call;
- the options that change shapes or code (``task``, ``hidden``, ``depth``, ``method``,
  ``init``, ``activation``, ``bias``, ``optimizer``), given in ``over``, form an outer product
  of compilations.

The result is one `Trajectory` whose batch axes are the ``over`` axes, in the order given,
followed by the call's own (e.g. ("hidden", "lam", "scale", "seed")), every axis with its
coordinates. Seed i uses ``fold_in(key, i)`` exactly as in `simulate`, so a sweep equals one
big `simulate` call per configuration, whatever the chunk size, device count or process count.

With ``checkpoint_dir`` the sweep writes into a results store (`semjax.store`), one per
configuration of the outer grid: every finished chunk is saved atomically with a checksum,
next to a manifest of the configuration's full settings. A rerun with the same settings
resumes (it says how many chunks it found, and recomputes any missing or corrupted one); a
rerun with other settings is refused, naming what differs. Ctrl-C stops with a
`SweepInterrupted` that says how to resume. `semjax.store.load` reads a store, or a slice of
it, back.

Under `jax.distributed` (``jax.distributed.initialize()`` in every process, e.g. one per node
of a SLURM job, which it detects itself) the same call runs on every process: process p
computes chunks p, p + n, p + 2n, ... on its own devices and writes them into the store, which
must be a folder every process can read; after a barrier every process reads the whole result.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import json
import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _interrupts, _validation, store
from semjax.dynamics import SimulationDiverged, _runs, _spec
from semjax.dynamics._spec import REQUIRED, Axis, ExplicitWeights, Option, RunSpec
from semjax.trajectory import Trajectory

OUTER_AXES = _spec.GRID  # the options an outer grid can vary (declared in semjax.dynamics)


def _checked_folder(value, earlier):
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"checkpoint_dir must be a folder path; got {value!r}.")
    path = Path(value)
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ValueError(f"checkpoint_dir={os.fspath(value)!r} cannot be a folder: "
                         f"{os.fspath(existing)!r} is a file. Give a folder path.")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"checkpoint_dir={os.fspath(value)!r}: {os.fspath(existing)!r} is not "
                         "writable. Give a folder you can write to.")
    return path


# The sweep's own arguments, declared like those of a run (`semjax.dynamics.OPTIONS`).
SWEEP_OPTIONS = (
    Option("n_seeds", REQUIRED, "number of seeds per configuration.",
           lambda value, earlier: _validation.positive_int("n_seeds", value)),
    Option("over", None, "the outer grid: option name → a sequence of values, or a mapping "
           "label → value (the labels become the axis's coordinates; needed for tasks and "
           "optimisers), e.g. ``{\"hidden\": [4, 8], \"task\": {\"seed\": task_a, "
           "\"noisy\": task_b}}``. Names from `OUTER_AXES`; the traced quantities "
           "(``init_scale``, ``lam``, ``dt``, ``learning_rate``) are not given here but as "
           "sequences among the run arguments.", lambda value, earlier: value, toml=False),
    Option("key", 0, "base PRNG key or int seed (seed i uses fold_in(key, i) in every "
           "configuration).", lambda value, earlier: _spec.BY_NAME["key"].check(value, earlier)),
    Option("chunk_size", 65536, "seeds per chunk (the memory/speed trade-off).",
           lambda value, earlier: _validation.positive_int("chunk_size", value)),
    Option("checkpoint_dir", None, "folder of a results store (`semjax.store`) for finished "
           "chunks (with ``over``, one store per configuration in a subfolder named after it, "
           "and ``grid.json`` listing them); a rerun with the same settings resumes where it "
           "stopped, one with any other setting raises ``ValueError`` naming what differs. Read "
           "it back, or a slice of it, with `semjax.store.load`. Needed when more than one "
           "process runs the sweep (`jax.distributed`), as a folder all processes share.",
           _checked_folder),
    Option("progress", True, "show a progress bar with ETA (and, on resume, how many chunks "
           "were found).", _spec.BY_NAME["progress"].check, toml=False),
    Option("throw", True, "raise `SimulationDiverged` after the sweep if any run diverged (the "
           "exception carries the whole sweep); False returns it with the ``finite`` flags.",
           _spec.BY_NAME["throw"].check, toml=False),
    Option("overwrite", False, "discard the stores in ``checkpoint_dir`` (if any) and start "
           "new ones.", _spec.flag("overwrite")),
)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep with a ``checkpoint_dir``: its message says how to resume."""


@dataclasses.dataclass
class _Progress:
    """What a sweep has done so far (for its bar and its interruption message)."""
    bar: object
    saved: int = 0
    total: int = 0


def sweep(task=None, /, **arguments) -> Trajectory:
    """`simulate` (or `train`) over a grid of configurations × many seeds, in chunks of seeds.

    Example:
        The lazy → rich grid of Dominé et al. (ICLR 2025): 4 widths × 20 λ × 20 scales ×
        100 seeds, four compilations::

            result = semjax.sweep(task, n_seeds=100, over={"hidden": [2, 3, 4, 6]},
                                  init="lambda_balanced", lam=np.linspace(0, 2, 20),
                                  init_scale=np.geomspace(1e-3, 1, 20), dt=0.05, t_max=20,
                                  checkpoint_dir="lazy_rich")
            result.batch_axes  # ("hidden", "lam", "scale", "seed")

    Args:
        task: the `Task` (or `semjax.Schedule`); None when ``over`` has a "task" axis.
        **arguments: its options, as declared (generated on import).
        **run_arguments: the other arguments of `simulate`, or of `train` when they include
            ``optimizer`` (a named ``init``, not explicit weights; ``init_scale``, ``lam``,
            ``dt`` and ``learning_rate`` may be sequences). They are checked, for every
            configuration of the grid, before anything runs.

    Returns:
        A `Trajectory` with batch axes (*over, *axes of one call); without ``over`` the same
        `Trajectory` as ``simulate(task, n_seeds=n_seeds, key=key, ...)``.

    Raises:
        ValueError, TypeError: bad arguments, or a store of another configuration in
            ``checkpoint_dir``.
        semjax.store.StoreLockedError: another process is writing to ``checkpoint_dir``.
        SweepInterrupted: Ctrl-C (a ``KeyboardInterrupt``); the finished chunks are kept.
        SimulationDiverged: a run diverged and ``throw`` is True.
    """
    checked = plan(task, **arguments)
    settings, axes, specs, labels = checked.settings, checked.axes, checked.specs, checked.labels
    n_seeds, chunk_size = settings["n_seeds"], settings["chunk_size"]
    checkpoint_dir = settings["checkpoint_dir"]
    folders = [None] * len(specs)
    if checkpoint_dir is not None:
        folders = ([checkpoint_dir] if not axes else
                   [checkpoint_dir / _folder_name(label) for label in labels])
    n_chunks = math.ceil(n_seeds / chunk_size)
    from tqdm.auto import tqdm
    mine = len(_my_chunks(n_chunks))
    bar = tqdm(total=mine * len(specs), desc="sweep", unit="chunk",
               disable=not settings["progress"])
    state = _Progress(bar, total=n_chunks * len(specs))
    try:
        if checkpoint_dir is not None and axes:
            if not settings["overwrite"]:  # a refused resume changes nothing, grid.json included
                for spec, folder in zip(specs, folders):
                    store.check(folder, _store_config(spec, settings))
            if jax.process_index() == 0:
                store.write_grid(checkpoint_dir, [(name, coordinates) for name, coordinates, _
                                                  in axes], labels, folders)
        parts = [_run_configuration(spec, settings, folder, state)
                 for spec, folder in zip(specs, folders)]
    except KeyboardInterrupt:
        if checkpoint_dir is None:
            raise
        raise SweepInterrupted(
            f"sweep interrupted with {state.saved} of {state.total} chunks saved in "
            f"{str(checkpoint_dir)!r}; run the same sweep again to resume.") from None
    finally:
        bar.close()
    trajectory = parts[0] if not axes else Trajectory.stack(
        parts, [(name, coordinates) for name, coordinates, _ in axes])
    if settings["throw"] and trajectory.failed:
        failed = trajectory.failed
        raise SimulationDiverged(
            f"{len(failed)} runs of the sweep diverged (inf/NaN): "
            f"{trajectory.describe_runs(failed[:10])}{' ...' if len(failed) > 10 else ''}. "
            "The whole sweep is on this exception's .trajectory.", trajectory)
    return trajectory


class SweepPlan(NamedTuple):
    """A checked sweep (`plan`).

    Attributes:
        settings: the sweep's own options (`SWEEP_OPTIONS`), normalised.
        axes: the outer grid as (name, coordinates, values), outermost first.
        specs: one `RunSpec` per configuration of the grid (row-major), checked as a run of
            one seed; each chunk of seeds is that spec with its keys.
        labels: each configuration's coordinates by axis name.
    """

    settings: dict
    axes: list
    specs: list
    labels: list


def plan(task=None, /, **arguments) -> SweepPlan:
    """Check a sweep's arguments (those of `sweep`) and every configuration of its grid, on
    the host, running nothing (``semjax sweep --dry-run``).

    Raises:
        ValueError, TypeError: as `sweep` would, before computing anything.
    """
    if "task" in arguments:
        if task is not None:
            raise TypeError("sweep() got multiple values for argument 'task'.")
        task = arguments.pop("task")
    own, run_arguments = {}, {}
    for name, value in arguments.items():
        (own if name in _OWN else run_arguments)[name] = value
    settings = _spec.check_values("sweep", SWEEP_OPTIONS, own)
    for name in ("keys", "throw", "progress"):
        if name in run_arguments:
            raise ValueError(f"sweep sets {name} itself for each run; pass key= and n_seeds= "
                             "(and the sweep's own throw= and progress=) instead.")
    swept = settings["over"].get("init", ()) if isinstance(settings["over"], Mapping) else ()
    inits = [run_arguments.get("init", "gaussian"),
             *(swept.values() if isinstance(swept, Mapping) else swept)]
    if not all(isinstance(init, str) for init in inits):
        raise ValueError("sweep needs a named init (random starts drawn per seed), e.g. "
                         "init='gaussian'; explicit weights run with semjax.simulate.")
    entry = "train" if "optimizer" in run_arguments or "optimizer" in (
        settings["over"] or {}) else "simulate"
    axes = _outer_axes(settings["over"], task, run_arguments, entry)
    n_processes = jax.process_count()
    if n_processes > 1 and settings["checkpoint_dir"] is None:
        raise ValueError(f"this sweep runs in {n_processes} processes (jax.distributed): give "
                         "checkpoint_dir=, a folder every process can read, where each "
                         "process writes its chunks.")
    labels = [dict(zip([name for name, _, _ in axes], values))
              for values in itertools.product(*[labels for _, labels, _ in axes])]
    specs = [_configuration_spec(entry, task, run_arguments,
                                 dict(zip([name for name, _, _ in axes], values)), label)
             for values, label in zip(itertools.product(*[values for _, _, values in axes]),
                                      labels)]
    _check_stackable(specs, labels)
    n_seeds = settings["n_seeds"]  # each spec is one seed of its configuration
    _runs.refuse_beyond_memory(
        sum(n_seeds * spec.n_runs * _runs.record_bytes(spec) for spec in specs),
        f"the sweep's result ({len(specs)} configuration(s) × {n_seeds} seeds, returned in "
        "memory)", "Use fewer seeds, a larger record_every or fewer recorded fields, or split "
        "the grid into several sweeps (each with its own checkpoint_dir) and read slices back "
        "with semjax.store.load.")
    return SweepPlan(settings, axes, specs, labels)


_OWN = frozenset(option.name for option in SWEEP_OPTIONS)


def _outer_axes(over, task, run_arguments, entry: str) -> list[tuple[str, list, list]]:
    """The outer grid as (name, coordinates, values), validated on the host."""
    over = {} if over is None else over
    if not isinstance(over, Mapping):
        raise ValueError(f"over must be a mapping of option name → values, e.g. "
                         f"over={{'hidden': [4, 8]}}; got {over!r}.")
    grid = [option.name for option in _spec.options(entry) if option.grid]
    axes = []
    for name, values in over.items():
        if name not in grid:
            option = _spec.BY_NAME.get(name)
            hint = (f" {name} is traced: give {name}=[...] as a sequence instead, it becomes "
                    "an axis inside each compiled call." if option is not None and option.axis
                    else "")
            raise ValueError(f"over has {name!r}; the outer grid takes {grid} (for {entry})."
                             + hint)
        if name in run_arguments or (name == "task" and task is not None):
            raise ValueError(f"{name} is given both in over and as an argument; give it once.")
        if isinstance(values, Mapping):
            coordinates, values = [str(label) for label in values], list(values.values())
        elif isinstance(values, (list, tuple, np.ndarray)):
            values = list(values)
            if _spec.BY_NAME[name].labelled or any(callable(v) for v in values):
                raise ValueError(f"over[{name!r}] needs a label for every value: give a "
                                 f"mapping, e.g. over={{{name!r}: {{'a': ..., 'b': ...}}}}.")
            coordinates = [v.item() if isinstance(v, np.generic) else v for v in values]
        else:
            raise ValueError(f"over[{name!r}] must be a sequence or a mapping label → value; "
                             f"got {values!r}.")
        if not values or len(set(map(str, coordinates))) != len(values):
            raise ValueError(f"over[{name!r}] needs at least one value and distinct labels; "
                             f"got {coordinates!r}.")
        axes.append((name, coordinates, values))
    if task is None and "task" not in over:
        raise ValueError("sweep needs a task: give task=..., or over={'task': {label: task}}.")
    tasks = next((values for name, _, values in axes if name == "task"), [])
    if len({np.shape(getattr(t, "sigma_yx", None)) for t in tasks}) > 1:
        raise ValueError(f"the tasks of over['task'] have different sizes "
                         f"{sorted({np.shape(t.sigma_yx) for t in tasks})}, so their records "
                         "cannot share one result: sweep them one at a time.")
    return axes


def _configuration_spec(entry: str, task, run_arguments: dict, configuration: dict,
                        label: dict) -> RunSpec:
    """One configuration of the grid, checked as a run of one seed (its chunks then replace
    the seeds).

    Raises:
        ValueError, TypeError: as the run would, with the configuration named.
    """
    arguments = run_arguments | configuration
    if task is not None:
        arguments["task"] = task
    where = f" (configuration {label})" if label else ""
    try:
        spec = RunSpec.build(entry, **arguments)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{error}{where}") from None
    return spec


def _check_stackable(specs: list[RunSpec], labels: list[dict]) -> None:
    """The configurations of a grid must record the same fields with the same shapes and on
    the same time grid, to share one result.

    Raises:
        ValueError: naming the field and the two configurations that differ.
    """
    def layout(spec):
        shapes = {name: [(leaf.shape, leaf.dtype.name) for leaf in jax.tree.leaves(shape)]
                  for name, shape in spec.record_shapes.items()}
        return shapes, spec.timeline[:2], spec.axis_sizes[:-1]

    first = layout(specs[0])
    for spec, label in zip(specs[1:], labels[1:]):
        other = layout(spec)
        if other == first:
            continue
        for name in first[0]:
            if first[0][name] != other[0].get(name):
                raise ValueError(f"record={name!r} has other shapes for {label} "
                                 f"({other[0].get(name)}) than for {labels[0]} "
                                 f"({first[0][name]}), so the grid cannot share one result: drop "
                                 f"{name!r} from record, or sweep one configuration at a time.")
        raise ValueError(f"the configurations {labels[0]} and {label} have different time "
                         "grids or batch axes, so they cannot share one result: sweep them one "
                         "at a time.")


def manifest(spec: RunSpec) -> dict:
    """Every setting that fixes a run's result, flat, JSON-able, by option name (a results
    store's manifest): the static and traced options of `semjax.dynamics.OPTIONS` and the
    task's fingerprint; not the seeds (a sweep records its own) nor how runs are executed.

    Raises:
        ValueError: a setting known only by its memory address (a lambda, a closure, a built
            optimiser), which a resumed sweep could not check.
    """
    from semjax import readouts
    config = {}
    for option in _spec.options(spec.entry):
        if option.role in ("seeds", "execution") or option.name == "task":
            continue
        value = spec[option.name]
        if isinstance(value, Axis):
            value = value.values.tolist() if value.is_axis else float(value.values[0])
        elif isinstance(value, ExplicitWeights):
            value = [np.asarray(a).tolist() for a in value.arrays]
        elif option.name == "record":
            value = [r.name if r.name in readouts.REGISTRY
                     else getattr(r.compute, "function", r.compute) for r in value]
        elif option.name == "dtype":
            value = np.dtype(value).name
        elif dataclasses.is_dataclass(value):  # a `semjax.Gates`: its arrays by fingerprint
            config |= store.fingerprint(value, option.name)
            continue
        config[option.name] = store.jsonable(value)
        if " at 0x" in json.dumps(config[option.name]):
            raise ValueError(f"{option.name}={spec[option.name]!r} cannot be recorded in a store "
                             "(it is only known by its memory address, so a resumed sweep could "
                             "not check it): give a named function, a factory such as optax.adam "
                             "with learning_rate=, or functools.partial(optax.sgd, "
                             "momentum=0.9).")
    return config | store.fingerprint(spec.schedule or spec.task, "task")


def _store_config(spec: RunSpec, settings: Mapping) -> dict:
    """A configuration's store manifest: `manifest` of its spec, the seeds (count, chunking,
    key), the JAX precision and the package versions."""
    n_seeds, chunk_size, key = settings["n_seeds"], settings["chunk_size"], settings["key"]
    config = manifest(spec) | {
        "n_seeds": n_seeds, "chunk_size": chunk_size,
        "n_chunks": math.ceil(n_seeds / chunk_size),
        "key": np.asarray(jax.random.key_data(key)).tolist(),
        "key_impl": str(jax.random.key_impl(key)),
        "jax_enable_x64": bool(jax.config.jax_enable_x64)}
    return config | {f"version.{name}": value for name, value in store.versions().items()}


def _folder_name(labels: Mapping) -> str:
    """A configuration's subfolder, e.g. ``hidden=8,method=rk4``."""
    text = ",".join(f"{name}={label}" for name, label in labels.items())
    return re.sub(r"[^\w.=,+-]", "_", text)


def _my_chunks(n_chunks: int) -> list[int]:
    """The chunks this process computes: p, p + n, p + 2n, ... of n processes."""
    return list(range(jax.process_index(), n_chunks, jax.process_count()))


def _barrier(name: str) -> None:
    """Wait for every process of a `jax.distributed` run (nothing to do in one process)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils
        multihost_utils.sync_global_devices(name)


def _open_store(folder: Path, config: dict, overwrite: bool) -> store.ResultStore:
    """Open a configuration's store; with several processes, each checks the settings, then
    process 0 creates (or overwrites) the store before the others open it."""
    index = jax.process_index()
    if jax.process_count() == 1:
        return store.ResultStore.open(folder, config, overwrite=overwrite)
    if not overwrite:
        store.check(folder, config)  # every process refuses a mismatch before any waits
    opened = (store.ResultStore.open(folder, config, overwrite=overwrite) if index == 0
              else None)
    _barrier(f"semjax-store-open:{folder}")
    return opened or store.ResultStore.open(folder, config, process_index=index)


def _run_configuration(spec: RunSpec, settings: dict, folder, state: _Progress) -> Trajectory:
    """One configuration of the grid: its chunks (this process's share), then all of them."""
    n_seeds, chunk_size, key = settings["n_seeds"], settings["chunk_size"], settings["key"]
    n_chunks = math.ceil(n_seeds / chunk_size)
    spec = spec.replace(throw=False, progress=False)
    results = None
    if folder is not None:
        results = _open_store(folder, _store_config(spec, settings), settings["overwrite"])
    try:
        found = set() if results is None else set(results.recorded())
        state.saved += len(found)
        if results is not None and results.resumed and settings["progress"]:
            print(f"sweep: resuming {str(folder)!r}: found {len(found)} of {n_chunks} chunks, "
                  f"{n_chunks - len(found)} to compute.", file=sys.stderr)
        assembler = None
        for chunk in _my_chunks(n_chunks):
            _interrupts.check()  # a Ctrl-C that was dropped where it arrived (command line)
            start, stop = _seeds_of(chunk, chunk_size, n_seeds)
            part = None if results is None else results.read_chunk(chunk)
            if part is None:
                state.saved -= chunk in found
                part = _runs.run(spec.replace(keys=_keys(key, start, stop)))
                if results is not None:
                    results.write_chunk(chunk, part, start, stop)
                    state.saved += 1
            assembler = store.Assembler(part, n_seeds) if assembler is None else assembler
            assembler.write(part, start, stop)
            state.bar.update(1)
    finally:
        if results is not None:
            results.close()
    _barrier(f"semjax-sweep-done:{folder}")
    mine = set(_my_chunks(n_chunks))
    for chunk in (chunk for chunk in range(n_chunks) if chunk not in mine):
        part = _read_finished(results, chunk)
        assembler = store.Assembler(part, n_seeds) if assembler is None else assembler
        assembler.write(part, *_seeds_of(chunk, chunk_size, n_seeds))
    return assembler.trajectory(np.arange(n_seeds), {"chunk_size": chunk_size})


def _seeds_of(chunk: int, chunk_size: int, n_seeds: int) -> tuple[int, int]:
    return chunk * chunk_size, min(n_seeds, (chunk + 1) * chunk_size)


def _read_finished(results: store.ResultStore, chunk: int) -> Trajectory:
    """A chunk another process computed, verified."""
    part = results.read_chunk(chunk)
    if part is None:
        raise RuntimeError(f"chunk {chunk} of {str(results.folder)!r} is not finished after "
                           "every process passed the barrier: a process failed, or the folder "
                           "is not shared between processes. Run the sweep again to resume.")
    return part


def _keys(key, start: int, stop: int):
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(start, stop))


sweep.__signature__ = inspect.Signature(
    [inspect.Parameter("task", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
     *(inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY,
                         default=inspect.Parameter.empty if option.default is REQUIRED
                         else option.default) for option in SWEEP_OPTIONS),
     inspect.Parameter("run_arguments", inspect.Parameter.VAR_KEYWORD)])
sweep.__doc__ = _spec.fill_arguments(sweep.__doc__, SWEEP_OPTIONS)


__all__ = ["OUTER_AXES", "SWEEP_OPTIONS", "SweepInterrupted", "SweepPlan", "manifest", "plan",
           "sweep"]
