"""Carrying out a `RunSpec`: initial weights, the memory check, devices and compiled calls,
and the core's output as a `Trajectory`.

Every check of the user's arguments has happened when the spec was built
(`semjax.dynamics._spec`); what is left here is execution.
"""

from __future__ import annotations

import functools
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from semjax import _interrupts, _validation
from semjax.dynamics import _core, _gated
from semjax.dynamics._initialisation import initialise
from semjax.dynamics._spec import RunSpec
from semjax.task import Task
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


# ----------------------------------------------------------------------------- starts

def _task_bases(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """Full orthonormal bases (N3×N3, N1×N1) whose first r columns are the task's U and V."""
    U_full, _, Vt_full = np.linalg.svd(task.sigma_yx, full_matrices=True)
    V_full = Vt_full.T
    U_full[:, :task.U.shape[1]] = task.U
    V_full[:, :task.V.shape[1]] = task.V
    return U_full, V_full


# Runs initialised per vmapped batch on a CPU. jaxlib 0.10's CPU QR splits a large batch of
# factorisations over the thread pool and waits on the pieces from inside the pool; two such
# QRs at once (the several Haar draws of an "orthogonal" or "lambda_balanced" start) hold
# every worker of a 2-core machine and never finish. Batches of 256 stay below its split
# size (batch · 4n³/3 < 2e5 for n ≤ 8) and give bitwise the same weights (each matrix is
# factorised on its own either way).
CPU_INIT_BATCH = 256


HAAR_INITS = ("orthogonal", "aligned", "lambda_balanced")  # they draw Haar matrices (QR)


@functools.partial(jax.jit, static_argnames=("name", "shapes", "bias", "gated"))
def _draw_starts(keys, seeds, scales, lams, output_basis, input_basis, *, name: str,
                 shapes: tuple, bias: bool, gated: tuple | None = None):
    """Per-run keys (``keys[seeds]`` for an array of keys, ``fold_in(keys, seed)`` for one base
    key) and the named initialiser's weights for each run, with zero bias columns if ``bias``;
    one compiled call. ``gated``: (graph, carried modes) of a gated network's aligned start
    (`semjax.dynamics._gated.aligned_weights`; the bases are the pathways')."""
    if keys.ndim == 0:
        run_keys = jax.vmap(lambda seed: jax.random.fold_in(keys, seed))(seeds)
    else:
        run_keys = keys[seeds]

    def one(arguments):
        key, scale, lam = arguments
        weights = (initialise(name, key, scale, lam, shapes, output_basis, input_basis)
                   if gated is None else
                   _gated.aligned_weights(key, scale, output_basis, input_basis, *gated))
        return tuple(jnp.concatenate([w, jnp.zeros((w.shape[0], 1), w.dtype)], axis=1)
                     if bias else w for w in weights)
    if jax.default_backend() != "cpu" or name not in HAAR_INITS:
        return jax.vmap(one)((run_keys, scales, lams)), run_keys
    return jax.lax.map(one, (run_keys, scales, lams), batch_size=CPU_INIT_BATCH), run_keys


@jax.jit
def _seed_keys(key, seeds):
    return jax.vmap(lambda seed: jax.random.fold_in(key, seed))(seeds)


def starts(spec: RunSpec, runs=None) -> tuple[tuple, object]:
    """The starting weights and the seed key of the runs ``runs`` of ``spec`` (indices on its
    flattened run axis, row-major over ``spec.axes``; default: every run), with zero bias
    columns where the network has biases and zero weights on a gated network's absent edges.
    The host prepares every per-run number, so the draws are one compiled call."""
    weights, seed_keys = _starts(spec, runs)
    if spec.gates is not None:
        weights = _gated.without_absent_edges(spec.gates.network, weights)
    return weights, seed_keys


def _starts(spec: RunSpec, runs) -> tuple[tuple, object]:
    """`starts` before absent edges are zeroed."""
    runs = np.arange(spec.n_runs) if runs is None else np.asarray(runs)
    dtype, shapes = np.dtype(spec.dtype), spec.shapes
    seeds = spec.seed_index()[runs].astype(np.uint32)  # fold_in takes 32-bit data
    keys = spec["keys"] if spec["keys"] is not None else spec["key"]
    if spec.explicit:
        explicit = spec["init"]
        weights = []
        for array, shape in zip(explicit.arrays, shapes):
            array = (array[seeds] if explicit.batched
                     else np.broadcast_to(array, (len(runs), *array.shape)))
            if spec["bias"] and array.shape[-1] == shape[1]:
                array = np.concatenate([array, np.zeros((*array.shape[:-1], 1))], axis=-1)
            weights.append(jnp.asarray(array.astype(dtype)))
        return tuple(weights), _seed_keys(keys, jnp.asarray(seeds))
    init, task, gated = spec["init"], spec.task, None
    if spec.gates is not None and init == "aligned":
        correlations = _gated.pathway_correlations(task, spec.gates)
        output_basis, input_basis = correlations.U, correlations.V
        gated = (spec.gates.network, tuple(map(tuple, correlations.carried.tolist())))
    else:
        output_basis, input_basis = (_task_bases(task) if init == "aligned"
                                     else (np.eye(task.n_out), np.eye(task.n_in)))
    return _draw_starts(keys, jnp.asarray(seeds), jnp.asarray(spec.per_run("init_scale")[runs]
                                                                .astype(dtype)),
                        jnp.asarray(spec.per_run("lam")[runs].astype(dtype)),
                        jnp.asarray(output_basis.astype(dtype)),
                        jnp.asarray(input_basis.astype(dtype)), name=init, shapes=shapes,
                        bias=spec["bias"], gated=gated)


# ----------------------------------------------------------------------------- memory

def record_bytes(spec: RunSpec) -> int:
    """The bytes one run of ``spec`` records: every read-out at every recorded time."""
    _, n_records, _ = spec.timeline
    per_record = sum(leaf.size * leaf.dtype.itemsize
                     for leaf in jax.tree.leaves(spec.record_shapes))
    return (n_records + 1) * per_record


def check_memory(spec: RunSpec) -> None:
    """Refuse, before allocating, a run whose recorded output cannot fit in memory.

    Raises:
        MemoryError: the records need more than 80 % of the memory available now.
    """
    weights = sum(rows * columns for rows, columns in spec.shapes) * spec.dtype.itemsize
    # the records, the initial and final weights and the step's work
    needed = spec.n_runs * (record_bytes(spec) + 3 * weights)
    refuse_beyond_memory(needed, f"{spec.n_runs} runs recording "
                         f"{[r.name for r in spec.readouts]} at {spec.timeline[1] + 1} times",
                         "Use semjax.sweep (chunks of seeds in bounded memory), fewer seeds or "
                         "scales, a larger record_every, or fewer recorded fields.")


def refuse_beyond_memory(needed: int, what: str, fix: str) -> None:
    """Raise MemoryError (naming ``what`` and ``fix``) when ``needed`` bytes exceed 80 % of
    the memory available now."""
    available = _available_memory()
    if available is not None and needed > 0.8 * available:
        raise MemoryError(f"{what}: about {needed / 2 ** 30:.3g} GiB needed, "
                          f"{available / 2 ** 30:.1f} GiB available. {fix}")


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


# ----------------------------------------------------------------------------- execution

def wait_interruptibly(tree) -> None:
    """Wait for JAX's asynchronous results while staying responsive to Ctrl-C.

    Blocking on a result waits inside XLA, where Python cannot deliver a KeyboardInterrupt
    (it would be lost or arrive only when the run ends); polling with short sleeps (at most
    5 ms apart) keeps the interpreter's signal handling alive, so Ctrl-C stops the call at once
    with a one-line message (`execute`). The abandoned computation is discarded with the
    process's JAX runtime.
    """
    leaves = [leaf for leaf in jax.tree.leaves(tree) if isinstance(leaf, jax.Array)
              and not jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)]
    delay = 1e-4
    while not all(leaf.is_ready() for leaf in leaves):
        _interrupts.check()
        time.sleep(delay)
        delay = min(2 * delay, 5e-3)


# Multiply-adds per compiled call: about a second on a 2-core CPU (0.9 s measured on the seed
# problem), so Ctrl-C abandons at most about two calls' work; a long run's calls are queued
# one ahead, so the host reads one call's records while the next runs.
SEGMENT_WORK = 2e10


def segment_lengths(n_records: int, record_every: int, n_runs: int, weights) -> list[int]:
    """Records per compiled call: a long run is cut into calls of about `SEGMENT_WORK`
    multiply-adds (at most two distinct lengths, so at most two compilations), so that Ctrl-C
    between calls stops it soon and a progress bar moves; a short run is one call."""
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
            tile: int, n_devices: int, n_runs: int, progress: bool = False):
    """Run the core over ``n_devices`` devices, in one or more compiled calls
    (`segment_lengths`) that continue from each other's final state. The next call is queued
    before the previous one's records are read, so the device never waits for the host.

    Args:
        states: the runs' states, padded to a whole number of ``tile · n_devices`` runs (the
            padding is dropped from the results).
        n_runs: the runs before padding.
        progress: show a `tqdm` bar on stderr, in integration steps and updated after each
            compiled call, when the run takes more than one call (its rate and ETA).

    Returns:
        (records, final weights, summary): numpy arrays with the run axis first; the
        summary's ``stable`` requires the final loss not above the run's initial loss.
    """
    padded = jax.tree.leaves(states.weights)[0].shape[0]
    dtype = states.weights[0].dtype

    def trim(leaf):
        return np.asarray(leaf)[:n_runs]

    lengths = segment_lengths(config.n_records, config.record_every, n_runs, states.weights)
    bar = _progress_bar(config.n_records * config.record_every,
                        show=progress and len(lengths) > 1)
    parts, summaries, start = [], [], 0
    reference = jnp.asarray(np.full(padded, np.nan, dtype))  # the first call's own loss
    if n_devices > 1:  # the first call's inputs sharded as every call's outputs: one compilation
        mesh = Mesh(np.array(jax.local_devices()[:n_devices]), ("runs",))
        states, reference = jax.device_put((states, reference),
                                           NamedSharding(mesh, PartitionSpec("runs")))

    def collect(output, length):
        records, _, summary = output
        wait_interruptibly(output)
        records = jax.tree.map(trim, records)
        parts.append(records if not parts else jax.tree.map(lambda leaf: leaf[:, 1:], records))
        summaries.append(jax.tree.map(trim, summary))
        bar.update(length * config.record_every)

    try:  # Ctrl-C while compiling or waiting: one line, not JAX's internal traceback
        queued = None
        for index, length in enumerate(lengths):
            phases = (None if config.phases is None
                      else _phases_within(config.phases, start, length))
            output = _core.run_batch(
                states, objective, reference, index == len(lengths) - 1,
                config=config._replace(n_records=length, phases=phases),
                backend=backend, tile=tile, n_devices=n_devices)
            states, start = output[1], start + length
            reference = output[2]["initial_loss"] if index == 0 else reference
            if queued is not None:
                collect(*queued)
            queued = (output, length)
        collect(*queued)
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
    return records, jax.tree.map(trim, states.weights), summary


def run(spec: RunSpec) -> Trajectory:
    """Carry out a run of `simulate` or `train` and return its `Trajectory`.

    Raises:
        MemoryError: the records cannot fit in the memory available.
        SimulationDiverged: a run diverged and the spec's ``throw`` is True.
    """
    check_memory(spec)
    n_runs, n_devices = spec.n_runs, spec["devices"]
    largest_layer = max(rows * (columns + int(spec["bias"])) for rows, columns in spec.shapes)
    tile = _core.tile_size(spec.backend, spec.dtype, jax.default_backend(),
                           -(-n_runs // n_devices), largest_layer)
    unit = tile * n_devices
    runs = np.arange(-(-n_runs // unit) * unit)
    runs[n_runs:] = 0  # padding repeats run 0; its results are dropped
    weights, seed_keys = starts(spec, runs)
    stepper, objective = spec.stepper, spec.objective
    sizes = (spec.per_run(spec.step_option)[runs] if spec.step_sizes is not None
             else np.zeros(len(runs)))
    stepper_states = jax.vmap(stepper.init)(weights, jnp.asarray(sizes.astype(spec.dtype)))
    keys = None
    if objective.stochastic:
        keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(seed_keys)
    records, _, summary = execute(_core.TrainState(weights, stepper_states, keys), objective,
                                  spec.core_config(), spec.backend, tile, n_devices, n_runs,
                                  progress=spec["progress"])
    return to_trajectory(spec, records, summary)


def to_trajectory(spec: RunSpec, records, summary) -> Trajectory:
    """The core's output as a `Trajectory`; reports diverged and unstable runs.

    Raises:
        SimulationDiverged: some run produced inf/NaN and ``throw`` is True.
    """
    record_every, n_records, phases = spec.timeline
    steps = record_every * np.arange(n_records + 1)
    sizes = spec.step_sizes
    t = (float(sizes.values[0]) * record_every * np.arange(n_records + 1)
         if spec.time_unit == "tau" else steps)
    shape = spec.batch_shape

    def unflatten(array):
        array = np.asarray(array)
        return array.reshape((*shape, *array.shape[1:]))

    fields = {name: tuple(unflatten(w) for w in value) if isinstance(value, tuple)
              else unflatten(value) for name, value in records.items()}
    info = spec.info() | {"kernel": {"vmap": "reference"}.get(spec.backend, spec.backend),
                          "devices": spec["devices"]}
    phase = None if phases is None else _phase_labels(phases)
    trajectory = Trajectory.create(
        t=t, step=steps if spec.entry == "train" else None, phase=phase,
        finite=unflatten(summary["finite"]), coords=dict(spec.axes),
        batch_axes=tuple(name for name, _ in spec.axes), info=info, **fields)
    total = spec.n_runs
    hint = (f"Reduce dt (now {info['dt']}) or init_scale." if spec.entry == "simulate" else
            "Reduce the learning rate (see semjax.theory.gd_stability_bound) or init_scale.")
    if spec["throw"] and trajectory.failed:
        failed = trajectory.failed
        raise SimulationDiverged(
            f"{len(failed)} of {total} runs diverged (inf/NaN): "
            f"{trajectory.describe_runs(failed[:10])}{' ...' if len(failed) > 10 else ''}. "
            f"{hint} The whole batch, finite runs intact, is on this exception's .trajectory; "
            "pass throw=False to have it returned.", trajectory)
    if "stable" in summary:
        unstable = unflatten(summary["finite"] & ~summary["stable"])
        if np.any(unstable):
            runs = [tuple(int(i) for i in index) for index in np.argwhere(unstable)]
            _validation.warn(
                f"{len(runs)} of {total} runs did not settle (finite, but past the step's "
                f"stability limit: the loss ended above its start, or still rises from step to "
                f"step): {trajectory.describe_runs(runs[:10])}"
                f"{' ...' if len(runs) > 10 else ''}. {hint}", UnstableRunWarning)
    return trajectory


def _phase_labels(phases: tuple) -> np.ndarray:
    """The active phase at every record (record 0 and each switch record belong to the phase
    that starts there)."""
    ends = np.cumsum([count for _, count in phases])
    return np.minimum(np.searchsorted(ends, np.arange(ends[-1] + 1), side="right"),
                      len(phases) - 1)
