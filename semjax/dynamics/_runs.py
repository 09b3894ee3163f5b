"""Host side shared by `simulate` and `train`: argument checks, keys, initial weights, batch
axes, padding and devices, and turning the core's output into a `Trajectory`.

Nothing here is traced: every check runs on concrete values before compiling, and every error
names the argument, its value and the fix.
"""

from __future__ import annotations

import functools
import math
import os
import time
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.dynamics import _core, _network
from semjax.dynamics._initialisation import INIT_NAMES, initialise
from semjax.dynamics._objectives import Correlations, Items
from semjax.schedule import Schedule
from semjax.task import Task, require_task
from semjax.trajectory import Trajectory


class SimulationDiverged(FloatingPointError):
    """Raised when runs of a simulation produced inf/NaN.

    Attributes:
        trajectory: the whole batch, finite runs intact, ``finite`` False for the failed ones.
        failed: batch indices of the failed runs.
    """

    def __init__(self, message: str, trajectory: Trajectory):
        super().__init__(message)
        self.trajectory = trajectory
        self.failed = trajectory.failed


class UnstableRunWarning(RuntimeWarning):
    """Runs that stayed finite but did not settle: the loss ended above its start, or still
    rises from step to step. Gradient flow never raises the loss, so the step size is past
    the scheme's stability limit (runs with minibatches are not checked: their loss is noisy
    by design)."""


def resolve_dtype(dtype, explicit_weights=None):
    """The run's dtype: ``dtype`` if given, else that of explicit float64 weights (never run
    silently in float32), else float32.

    Raises:
        ValueError: an unknown dtype, or float64 without ``jax_enable_x64``.
    """
    if dtype is None and explicit_weights is not None:
        if any(np.asarray(w).dtype == np.float64 for w in explicit_weights):
            dtype = "float64"
    if dtype is None:
        return jnp.dtype(jnp.float32)
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"dtype must be one of 'float32', 'float64'; got {dtype!r}.") from None
    _validation.choice("dtype", name, ("float32", "float64"))
    if name == "float64" and not jax.config.jax_enable_x64:
        hint = (" (the explicit initial weights are float64: pass dtype='float32' to run them "
                "in float32 on purpose)" if explicit_weights is not None else "")
        raise ValueError('dtype="float64" needs 64-bit JAX: call '
                         'jax.config.update("jax_enable_x64", True) before creating arrays'
                         f"{hint}.")
    return jnp.dtype(name)


def hidden_widths(hidden, depth) -> tuple[int, ...]:
    """Hidden widths for ``depth`` weight matrices from an int or one int per hidden layer."""
    depth = _validation.positive_int("depth", depth)
    if depth == 1:
        if hidden not in (None, (), []):
            raise ValueError(f"hidden must be None for depth=1 (a shallow net has no hidden "
                             f"layer); got {hidden!r}.")
        return ()
    if hidden is None:
        raise ValueError(f"hidden is required for depth={depth}: give the hidden width, e.g. "
                         "hidden=16, or one width per hidden layer.")
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        return (_validation.positive_int("hidden", hidden),) * (depth - 1)
    if not isinstance(hidden, Sequence) or isinstance(hidden, str):
        raise TypeError(f"hidden must be an integer width (e.g. hidden=16) or a sequence of "
                        f"{depth - 1} integer widths; got {hidden!r}.")
    widths = tuple(_validation.positive_int("hidden", h) for h in hidden)
    if len(widths) != depth - 1:
        raise ValueError(f"hidden must give {depth - 1} widths for depth={depth}; got {widths}.")
    return widths


def number_of_steps(t_max, n_steps, step_size: float | None) -> int:
    """Steps from exactly one of ``n_steps`` or ``t_max`` (ceil(t_max / step size))."""
    if (t_max is None) == (n_steps is None):
        raise ValueError("give exactly one of t_max (final time, in units of τ) or n_steps.")
    if n_steps is not None:
        return _validation.positive_int("n_steps", n_steps)
    t_max = _validation.positive_float("t_max", t_max)
    if step_size is None:
        raise ValueError("t_max needs one learning rate to convert time to steps (t = step·η); "
                         "give n_steps instead.")
    return max(1, math.ceil(t_max / step_size - 1e-9))


def recording(record, record_every, steps: int, *, exact: bool) -> tuple[tuple, int, int]:
    """(record names, record_every, n_records). With ``exact`` (steps given as ``n_steps``)
    ``record_every`` must divide the steps: a run is never silently lengthened. Otherwise
    (steps from ``t_max``) the run is rounded up to a whole number of records, so it reaches
    at least t_max."""
    if isinstance(record, str):
        record = (record,)
    record = tuple(dict.fromkeys(record))
    for name in record:
        _validation.choice("record", name, _core.RECORDABLE)
    record_every = _validation.positive_int("record_every", record_every)
    if exact and (record_every > steps or steps % record_every):
        raise ValueError(f"record_every={record_every} must divide n_steps={steps}: records "
                         f"fall every record_every steps up to the end. Choose a divisor of "
                         f"{steps}, or give t_max (the run is then rounded up to whole records).")
    return record, record_every, -(-steps // record_every)


def seed_keys(key, keys, n_seeds):
    """Per-seed keys: ``keys`` as given, else fold_in(key, i) for i < n_seeds (so seed i's
    draws do not depend on how many seeds run alongside it)."""
    if keys is not None:
        if n_seeds is not None:
            raise ValueError("give n_seeds or keys, not both.")
        keys = jnp.asarray(keys) if not isinstance(keys, jax.Array) else keys
        if not jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
            if keys.dtype != jnp.uint32 or keys.ndim != 2:
                raise TypeError("keys must be an array of jax PRNG keys, e.g. "
                                "jax.random.split(jax.random.key(0), 8).")
            keys = jax.random.wrap_key_data(keys)
        if keys.ndim != 1:
            raise ValueError(f"keys must be a 1-D array of keys; got shape {keys.shape}.")
        return keys
    n_seeds = _validation.positive_int("n_seeds", 1 if n_seeds is None else n_seeds)
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        key = jax.random.key(int(key))
    key = _validation.prng_key("key", key)
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(n_seeds))


def _task_bases(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """Full orthonormal bases (N3×N3, N1×N1) whose first r columns are the task's U and V."""
    U_full, _, Vt_full = np.linalg.svd(task.sigma_yx, full_matrices=True)
    V_full = Vt_full.T
    U_full[:, :task.U.shape[1]] = task.U
    V_full[:, :task.V.shape[1]] = task.V
    return U_full, V_full


def lambda_values(lam) -> np.ndarray:
    """λ as a 1-D array: one number, or a sequence (a "lam" batch axis, traced: one
    compilation serves every value).

    Raises:
        ValueError: non-finite values or a sequence that is not 1-D.
    """
    values = np.atleast_1d(np.asarray(lam, dtype=np.float64))
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"lam must be a finite number or a 1-D sequence of them; got {lam!r}.")
    return values


def _check_lambda(init: str, lam: float, shapes) -> None:
    if lam != 0 and (len(shapes) != 2 or init not in ("aligned", "lambda_balanced")):
        raise ValueError(f"lam={lam} applies to depth=2 with init='aligned' or "
                         f"'lambda_balanced'; got init={init!r} with depth={len(shapes)}.")
    if len(shapes) == 2:
        (n_hidden, n_in), (n_out, _) = shapes
        if lam > 0 and n_hidden > n_out:
            raise ValueError(f"lam={lam} > 0 needs hidden ≤ N3={n_out} (W2ᵀW2 = W1W1ᵀ + λI must "
                             f"be reachable); got hidden={n_hidden}. Use lam ≤ 0 or a smaller "
                             "hidden width.")
        if lam < 0 and n_hidden > n_in:
            raise ValueError(f"lam={lam} < 0 needs hidden ≤ N1={n_in}; got hidden={n_hidden}. "
                             "Use lam ≥ 0 or a smaller hidden width.")
    if init == "lambda_balanced" and len(shapes) != 2:
        raise ValueError(f"init='lambda_balanced' is defined for depth=2; got depth={len(shapes)}.")


# Runs initialised per vmapped batch on a CPU. jaxlib 0.10's CPU QR splits a large batch of
# factorisations over the thread pool and waits on the pieces from inside the pool; two such
# QRs at once (the several Haar draws of an "orthogonal" or "lambda_balanced" start) hold
# every worker of a 2-core machine and never finish. Batches of 256 stay below its split
# size (batch · 4n³/3 < 2e5 for n ≤ 8) and give bitwise the same weights (each matrix is
# factorised on its own either way).
CPU_INIT_BATCH = 256


@functools.partial(jax.jit, static_argnames=("name", "shapes"))
def _initialise_batch(keys, scales, lams, output_basis, input_basis, *, name: str,
                      shapes: tuple):
    def one(arguments):
        key, scale, lam = arguments
        return initialise(name, key, scale, lam, shapes, output_basis, input_basis)
    if jax.default_backend() != "cpu":
        return jax.vmap(one)((keys, scales, lams))
    return jax.lax.map(one, (keys, scales, lams), batch_size=CPU_INIT_BATCH)


class Batch:
    """The runs of one call: initial weights (flattened run axis), their batch axes and coords.

    ``axes`` lists (name, values) outermost first; the flattened run r of a grid of sizes
    (n_1, ..., n_k) is the row-major index, and `unflatten` restores the grid.
    """

    def __init__(self, weights, axes: list, info: dict, keys=None):
        self.weights, self.axes, self.info, self.keys = weights, axes, info, keys

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(values) for _, values in self.axes)

    @property
    def n_runs(self) -> int:
        return self.weights[0].shape[0]

    def unflatten(self, array):
        array = np.asarray(array)
        return array.reshape((*self.shape, *array.shape[1:]))


def initial_batch(task: Task, shapes, init, init_scale, lam, key, keys, n_seeds, dtype,
                  outer_axes=(), bias: bool = False) -> Batch:
    """Initial weights for every run: a named initialiser over (outer axes ×) scales × seeds,
    or explicit weights (batched or not).

    Args:
        outer_axes: (name, values) pairs of extra grid axes outside "scale" and "seed"
            (e.g. ("learning_rate", rates)); each run's weights repeat across them.
        bias: append bias columns (zeros; explicit weights may carry their own).
    """
    outer = int(np.prod([len(values) for _, values in outer_axes], dtype=int))
    if isinstance(init, str):
        _validation.choice("init", init, INIT_NAMES)
        if init_scale is None:
            raise ValueError(f"init={init!r} needs init_scale (e.g. init_scale=1e-3).")
        scales = np.atleast_1d(np.asarray(init_scale, dtype=np.float64))
        if scales.ndim != 1 or not np.all(np.isfinite(scales)) or np.any(scales < 0):
            raise ValueError(f"init_scale must be a finite number ≥ 0 or a 1-D sequence of them; "
                             f"got {init_scale!r}.")
        lams = lambda_values(lam)
        for value in lams:
            _check_lambda(init, float(value), shapes)
        per_seed = seed_keys(key, keys, n_seeds)
        n_lams, n_scales, n_seeds = len(lams), len(scales), len(per_seed)
        output_basis, input_basis = (_task_bases(task) if init == "aligned"
                                     else (np.eye(task.n_out), np.eye(task.n_in)))
        run_keys = jnp.tile(per_seed, n_lams * n_scales)
        weights = _initialise_batch(
            run_keys, jnp.asarray(np.tile(np.repeat(scales, n_seeds), n_lams), dtype=dtype),
            jnp.asarray(np.repeat(lams, n_scales * n_seeds), dtype=dtype),
            jnp.asarray(output_basis, dtype=dtype), jnp.asarray(input_basis, dtype=dtype),
            name=init, shapes=shapes)
        axes = [] if np.ndim(lam) == 0 else [("lam", lams)]
        axes += [] if np.ndim(init_scale) == 0 else [("scale", scales)]
        axes.append(("seed", np.arange(n_seeds)))
        info = {"init": init, "init_scale": scales.tolist(),
                "lam": float(lams[0]) if np.ndim(lam) == 0 else lams.tolist()}
    else:
        if init_scale is not None:
            raise ValueError("init_scale applies to named initialisers; explicit weights are used "
                             "as given.")
        if np.ndim(lam) > 0:
            raise ValueError("a sequence of lam values applies to named initialisers; explicit "
                             "weights are used as given.")
        weights, axes = _explicit_weights(tuple(init), shapes, dtype, bias)
        run_keys = seed_keys(key, None, weights[0].shape[0])
        info = {"init": "explicit"}
    if bias:
        weights = with_bias_columns(weights, shapes)
    if outer > 1:
        weights = tuple(jnp.tile(w, (outer, *([1] * (w.ndim - 1)))) for w in weights)
        run_keys = jnp.tile(run_keys, outer)
    axes = list(outer_axes) + axes
    return Batch(weights, axes, info, run_keys)


def _explicit_weights(init, shapes, dtype, bias: bool = False):
    """Validate user-given initial weights; returns (batched weights, batch axes). With
    ``bias`` a layer may also be given with its bias column, (n_l, n_{l-1} + 1)."""
    if len(init) != len(shapes):
        raise ValueError(f"init gives {len(init)} weight matrices; this network has {len(shapes)} "
                         f"layers with shapes {shapes}.")
    arrays = [np.asarray(w, dtype=np.float64) for w in init]
    batched = arrays[0].ndim == 3
    for layer, (array, shape) in enumerate(zip(arrays, shapes)):
        allowed = (shape, (shape[0], shape[1] + 1)) if bias else (shape,)
        if array.shape[-2:] not in allowed or array.ndim != (3 if batched else 2):
            with_bias = f" or {allowed[1]} with its bias column" if bias else ""
            raise ValueError(f"init[{layer}] must have shape {shape}{with_bias} (or with a leading "
                             f"n_runs axis for a batch); got {array.shape}.")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"init[{layer}] contains non-finite values.")
    if batched and len({a.shape[0] for a in arrays}) != 1:
        raise ValueError("init: every batched weight matrix needs the same leading batch size.")
    weights = tuple(jnp.asarray(a if batched else a[None], dtype=dtype) for a in arrays)
    axes = [("seed", np.arange(arrays[0].shape[0]))] if batched else []
    return weights, axes


def count_runs(init, init_scale, keys, n_seeds, outer_axes=(), lam=0.0) -> int:
    """The number of runs a call will make, known before anything is allocated."""
    outer = int(np.prod([len(values) for _, values in outer_axes], dtype=int))
    if not isinstance(init, str):
        first = np.shape(init[0]) if len(init) else ()
        return outer * (first[0] if len(first) == 3 else 1)
    seeds = len(keys) if keys is not None else (n_seeds if isinstance(
        n_seeds, (int, np.integer)) and not isinstance(n_seeds, bool) else 1)
    return (outer * int(np.size(init_scale) if init_scale is not None else 1) * int(seeds)
            * int(np.size(lam)))


def check_memory(n_runs: int, n_records: int, record: tuple, shapes, task: Task, dtype) -> None:
    """Refuse, before allocating, a call whose recorded output cannot fit in memory.

    Raises:
        MemoryError: the records need more than 80 % of the memory available now.
    """
    n_in, n_out, r = task.n_in, task.n_out, task.n_modes
    sizes = {"modes": r, "loss": 1, "product": n_out * n_in, "singular_values": r,
             "outputs": n_out * task.n_items,
             "hidden_gram": task.n_items ** 2, "weights": sum(a * b for a, b in shapes)}
    per_run = (n_records + 1) * sum(sizes[name] for name in record)
    per_run += 3 * sum(a * b for a, b in shapes)  # initial and final weights, the step's work
    needed = n_runs * per_run * jnp.dtype(dtype).itemsize
    available = _available_memory()
    if available is not None and needed > 0.8 * available:
        raise MemoryError(
            f"{n_runs} runs recording {record} at {n_records + 1} times need about "
            f"{needed / 2 ** 30:.1f} GiB; {available / 2 ** 30:.1f} GiB is available. Use "
            "semjax.sweep (chunks of seeds in bounded memory), fewer seeds or scales, a larger "
            "record_every, or fewer recorded fields.")


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def device_count(devices) -> int:
    """How many of this process's devices (`jax.local_devices()`) to spread runs over: all by
    default (under `jax.distributed` each process computes on its own devices)."""
    available = len(jax.local_devices())
    if devices is None:
        return available
    devices = _validation.positive_int("devices", devices)
    if devices > available:
        raise ValueError(f"devices={devices} but JAX has {available} ({jax.default_backend()}); "
                         "give devices ≤ that, or None for all.")
    return devices


def wait_interruptibly(tree) -> None:
    """Wait for JAX's asynchronous results while staying responsive to Ctrl-C.

    Blocking on a result waits inside XLA, where Python cannot deliver a KeyboardInterrupt
    (it would be lost or arrive only when the run ends); polling with short sleeps keeps the
    interpreter's signal handling alive, so Ctrl-C stops the call at once with a one-line
    message (`execute`). The abandoned computation is discarded with the process's JAX
    runtime.
    """
    leaves = [leaf for leaf in jax.tree.leaves(tree) if isinstance(leaf, jax.Array)
              and not jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)]
    delay = 1e-4
    while not all(leaf.is_ready() for leaf in leaves):
        time.sleep(delay)
        delay = min(2 * delay, 0.05)


# Multiply-adds per compiled call: about a second on a 2-core CPU (0.9 s measured on the seed
# problem), so Ctrl-C waits at most about that; each call costs ~20 ms more than its steps.
SEGMENT_WORK = 2e10


def segment_lengths(n_records: int, record_every: int, n_runs: int, weights) -> list[int]:
    """Records per compiled call: a long run is cut into calls of about `SEGMENT_WORK`
    multiply-adds (at most two distinct lengths, so at most two compilations), so that Ctrl-C
    between calls stops it at once; a short run is one call."""
    layers = [leaf.shape[1:] for leaf in weights]
    per_step = 3 * sum(rows * columns for rows, columns in layers) * layers[0][1]  # 3 sweeps
    total = float(n_runs) * n_records * record_every * per_step
    pieces = int(min(n_records, max(1, np.ceil(total / SEGMENT_WORK))))
    size = -(-n_records // pieces)
    return [size] * (n_records // size) + ([n_records % size] if n_records % size else [])


def _phases_within(phases: tuple, start: int, length: int) -> tuple:
    """The ((phase, records), ...) of a schedule that fall in records [start, start + length)."""
    within, first = [], 0
    for phase, count in phases:
        low, high = max(first, start), min(first + count, start + length)
        if high > low:
            within.append((phase, high - low))
        first += count
    return tuple(within)


def _progress_bar(total_steps: int, *, show: bool):
    """A `tqdm` bar on stderr counting integration steps (disabled, and silent, unless
    ``show``)."""
    from tqdm.auto import tqdm
    return tqdm(total=total_steps, desc="semjax", unit="step", disable=not show)


def execute(states: _core.TrainState, objective, config: _core.CoreConfig, backend: str,
            dtype, n_devices: int, progress: bool = False):
    """Run the core over ``n_devices`` devices (runs padded with copies of run 0), in one or
    more compiled calls (`segment_lengths`) that continue from each other's final state.

    Args:
        progress: show a `tqdm` bar on stderr, in integration steps and updated after each
            compiled call, when the run takes more than one call (its rate and ETA).

    Returns:
        (records, final weights, summary, n_devices): numpy arrays with the run axis first;
        the summary's ``stable`` requires the final loss not above the run's initial loss.
    """
    n_runs = jax.tree.leaves(states.weights)[0].shape[0]
    largest_layer = max(leaf[0].size for leaf in states.weights)
    tile = _core.tile_size(backend, dtype, jax.default_backend(), -(-n_runs // n_devices),
                           largest_layer)
    unit = tile * n_devices
    padded = -(-n_runs // unit) * unit
    if padded != n_runs:
        index = jnp.concatenate([jnp.arange(n_runs), jnp.zeros(padded - n_runs, int)])
        states = jax.tree.map(lambda leaf: leaf[index], states)
    trim = lambda leaf: np.asarray(leaf)[:n_runs]  # noqa: E731
    parts, summaries = [], []
    lengths = segment_lengths(config.n_records, config.record_every, n_runs, states.weights)
    bar = _progress_bar(config.n_records * config.record_every,
                        show=progress and len(lengths) > 1)
    try:  # Ctrl-C while compiling or waiting: one line, not JAX's internal traceback
        start = 0
        for length in lengths:
            reference = summaries[0]["initial_loss_padded"] if summaries else None
            phases = (None if config.phases is None
                      else _phases_within(config.phases, start, length))
            records, states, summary = _core.run_batch(
                states, objective, reference,
                config=config._replace(n_records=length, phases=phases),
                backend=backend, tile=tile, n_devices=n_devices)
            start += length
            wait_interruptibly((records, states, summary))
            records = jax.tree.map(trim, records)
            parts.append(records if not parts else jax.tree.map(lambda leaf: leaf[:, 1:],
                                                                records))
            summaries.append(jax.tree.map(trim, summary) | {
                "initial_loss_padded": summary["initial_loss"]})
            bar.update(length * config.record_every)
    except KeyboardInterrupt:
        raise KeyboardInterrupt("semjax: interrupted; the run's results were discarded.") from None
    finally:
        bar.close()
    records = jax.tree.map(lambda *leaves: np.concatenate(leaves, axis=1), *parts)
    summary = {"finite": np.logical_and.reduce([part["finite"] for part in summaries]),
               "initial_loss": summaries[0]["initial_loss"],
               "final_loss": summaries[-1]["final_loss"]}
    if "stable" in summaries[-1]:
        summary["stable"] = summaries[-1]["stable"]
    return records, jax.tree.map(trim, states.weights), summary, n_devices


def to_trajectory(batch: Batch, records, summary, *, t, record, info: dict, throw: bool,
                  step=None, phase=None, hint: str) -> Trajectory:
    """The core's output as a `Trajectory`; reports diverged and unstable runs.

    Raises:
        SimulationDiverged: some run produced inf/NaN and ``throw`` is True.
    """
    fields = {name: batch.unflatten(records[name]) for name in record if name != "weights"}
    if "weights" in record:
        fields["weights"] = tuple(batch.unflatten(w) for w in records["weights"])
    trajectory = Trajectory.create(
        t=t, step=step, phase=phase, finite=batch.unflatten(summary["finite"]),
        coords=dict(batch.axes), batch_axes=tuple(name for name, _ in batch.axes),
        info=batch.info | info, **fields)
    total = int(np.prod(batch.shape, dtype=int))
    if throw and trajectory.failed:
        failed = trajectory.failed
        raise SimulationDiverged(
            f"{len(failed)} of {total} runs diverged (inf/NaN): "
            f"{trajectory.describe_runs(failed[:10])}{' ...' if len(failed) > 10 else ''}. "
            f"{hint} The whole batch, finite runs intact, is on this exception's .trajectory; "
            "pass throw=False to have it returned.", trajectory)
    if "stable" in summary:
        unstable = batch.unflatten(summary["finite"] & ~summary["stable"])
        if np.any(unstable):
            runs = [tuple(int(i) for i in index) for index in np.argwhere(unstable)]
            warnings.warn(
                f"{len(runs)} of {total} runs did not settle (finite, but past the step's "
                f"stability limit: the loss ended above its start, or still rises from step to "
                f"step): {trajectory.describe_runs(runs[:10])}"
                f"{' ...' if len(runs) > 10 else ''}. {hint}", UnstableRunWarning, stacklevel=3)
    return trajectory


class Plan(NamedTuple):
    """What a call trains on: one task, or a schedule of tasks (`semjax.Schedule`).

    Attributes:
        task: the task (the schedule's first, which sets shapes and aligned starts).
        schedule: the `Schedule`, or None.
    """

    task: Task
    schedule: Schedule | None


def plan(task_or_schedule) -> Plan:
    """Accept a `Task` or a `Schedule` (raises TypeError naming the argument otherwise)."""
    if isinstance(task_or_schedule, Schedule):
        return Plan(task_or_schedule.tasks[0], task_or_schedule)
    return Plan(require_task(task_or_schedule), None)


def schedule_steps(schedule: Schedule, step_size, n_steps, t_max) -> list[int]:
    """Steps of each phase of ``schedule`` at ``step_size`` (dt or the learning rate).

    Raises:
        ValueError: n_steps or t_max given with a schedule (its durations set the run), no
            single step size, or a duration that is not a whole number of steps.
    """
    if n_steps is not None or t_max is not None:
        raise ValueError("a Schedule sets the run's length from its phases' durations: leave "
                         "n_steps and t_max out.")
    if step_size is None:
        raise ValueError("a Schedule needs one step size to turn durations (in units of τ) "
                         "into steps: give one learning_rate.")
    return list(schedule.steps(step_size))


def schedule_phases(schedule: Schedule, steps: list[int], record_every: int) -> tuple:
    """((phase, records), ...) for `semjax.dynamics.CoreConfig.phases`.

    Raises:
        ValueError: record_every does not divide a phase's steps.
    """
    for index, count in enumerate(steps):
        if count % record_every:
            raise ValueError(f"record_every={record_every} must divide every phase's steps; "
                             f"phase {index} ({schedule.names[index]!r}) has {count}. Choose a "
                             f"divisor of {math.gcd(*steps)}.")
    return tuple((index, count // record_every) for index, count in enumerate(steps))


def phase_labels(phases: tuple) -> np.ndarray:
    """The active phase at every record (record 0 and each switch record belong to the phase
    that starts there)."""
    ends = np.cumsum([count for _, count in phases])
    return np.minimum(np.searchsorted(ends, np.arange(ends[-1] + 1), side="right"),
                      len(phases) - 1)


def schedule_objective(schedule: Schedule, net: _network.Network, batch_size, replace: bool,
                       dtype, record: tuple):
    """Every phase's `objective` stacked on a leading task axis.

    Raises:
        ValueError: the phases' tasks differ in kind (e.g. isotropic and non-isotropic Σx, or
            items given for some only), so that they cannot share one compiled call.
    """
    parts = [objective(task, net, batch_size, replace, dtype, record)
             for task in schedule.tasks]
    structures = {jax.tree.structure(part) for part in parts}
    if len(structures) != 1:
        raise ValueError("the schedule's tasks must be of one kind to run in one compiled call: "
                         "all with Σx a multiple of I or none, and all with items or none "
                         "(build them the same way, e.g. all with Task.from_dataset).")
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *parts)


def schedule_info(schedule: Schedule) -> dict:
    """The schedule for ``Trajectory.info``."""
    return {"schedule": {"names": list(schedule.names),
                         "durations": [float(d) for d in schedule.durations],
                         "task_s": [task.s.tolist() for task in schedule.tasks]}}


def timeline(run_plan: Plan, step_size, n_steps, t_max, record, record_every) -> tuple:
    """(record names, record_every, n_records, phases) of a call: from n_steps or t_max for
    one task, from the phases' durations for a schedule (phases as for
    `semjax.dynamics.CoreConfig`, else None)."""
    if run_plan.schedule is None:
        steps = number_of_steps(t_max, n_steps, step_size)
        return (*recording(record, record_every, steps, exact=n_steps is not None), None)
    steps = schedule_steps(run_plan.schedule, step_size, n_steps, t_max)
    record, record_every, n_records = recording(record, record_every, sum(steps), exact=True)
    return record, record_every, n_records, schedule_phases(run_plan.schedule, steps,
                                                            record_every)


def plan_objective(run_plan: Plan, net: _network.Network, batch_size, replace: bool, dtype,
                   record: tuple):
    """`objective` for one task, `schedule_objective` for a schedule."""
    if run_plan.schedule is None:
        return objective(run_plan.task, net, batch_size, replace, dtype, record)
    return schedule_objective(run_plan.schedule, net, batch_size, replace, dtype, record)


def plan_labels(run_plan: Plan, phases) -> tuple[np.ndarray | None, dict]:
    """(phase per record, info entries) of a call; (None, {}) without a schedule."""
    if run_plan.schedule is None:
        return None, {}
    return phase_labels(phases), schedule_info(run_plan.schedule)


def backend(kernel: str, shapes, task: Task, dtype, run_objective) -> str:
    """`semjax.dynamics._core.choose_backend` for a call: full batch unless the objective draws
    minibatches; products as wide as the inputs in correlation form, as the items otherwise."""
    width = (task.n_in if isinstance(run_objective, Correlations)
             else max(task.n_in, task.n_items))
    return _core.choose_backend(kernel, shapes, width, dtype,
                                full_batch=not run_objective.stochastic,
                                platform=jax.default_backend())


def task_shapes(task: Task, hidden, depth) -> tuple:
    """Layer shapes of the network on ``task`` (without bias columns)."""
    return _network.layer_shapes(task.n_in, hidden_widths(hidden, depth), task.n_out)


def network(activation, bias) -> _network.Network:
    """The validated `semjax.dynamics.Network` for ``activation`` and ``bias``."""
    if not callable(activation):
        _validation.choice("activation", activation, tuple(_network.ACTIVATIONS))
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False; got {bias!r}.")
    return _network.Network(activation, bool(bias))


def objective(task: Task, net: _network.Network, batch_size, replace: bool, dtype,
              record: tuple):
    """The objective a run minimises: the correlation form for a full-batch linear chain, else
    the loss on the task's items (a minibatch of ``batch_size`` per step, or all of them).

    Raises:
        ValueError: items are needed but the task's items do not generate its correlations;
            a minibatch larger than the task; ``"product"`` recorded for a network that is not a
            linear chain.
    """
    cast = jax.tree.map(lambda a: jnp.asarray(a, dtype), task)
    if not net.linear_chain and "product" in record:
        raise ValueError("record='product' is the linear map W_L ⋯ W_1, defined for linear "
                         "networks without biases; record 'outputs' (f(X) on the items).")
    if batch_size is None and net.linear_chain:
        return Correlations(cast)
    if batch_size is not None:
        batch_size = _validation.positive_int("batch_size", batch_size)
    need = "batch_size" if batch_size is not None else f"activation={net.activation!r}, bias"
    if task.item_weight is None:
        raise ValueError(f"{need} needs a task whose items generate its correlations "
                         "(Σx = c X Xᵀ, Σyx = c Y Xᵀ): build it with Task.from_dataset(dataset) "
                         "or pass inputs= and targets= that do.")
    if batch_size is not None and not replace and batch_size > task.n_items:
        raise ValueError(f"batch_size={batch_size} exceeds the task's {task.n_items} items; "
                         "use batch_size ≤ the number of items, or replace=True.")
    return Items(cast, batch_size=batch_size, replace=bool(replace), network=net)


def network_info(net: _network.Network) -> dict:
    """The network's form for ``Trajectory.info``."""
    activation = net.activation if isinstance(net.activation, str) else getattr(
        net.activation, "__name__", repr(net.activation))
    return {"activation": activation, "bias": net.bias}


def with_bias_columns(weights: tuple, shapes) -> tuple:
    """Batched weights (runs, n_l, n_{l-1}) with a zero bias column appended to each layer
    whose matrix lacks one (biases start at zero); layers already (n_l, n_{l-1} + 1) stay."""
    return tuple(w if w.shape[-1] == shape[1] + 1 else
                 jnp.concatenate([w, jnp.zeros((*w.shape[:-1], 1), w.dtype)], axis=-1)
                 for w, shape in zip(weights, shapes))
