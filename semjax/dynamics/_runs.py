"""Carrying out a `RunSpec`: initial weights, the memory check, devices and compiled calls,
and the core's output as a `Trajectory`.

Every check of the user's arguments has happened when the spec was built
(`semjax.dynamics._spec`); what is left here is execution.
"""

from __future__ import annotations

import functools
import os
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from semjax.dynamics import _core
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


@functools.partial(jax.jit, static_argnames=("name", "shapes"))
def _initialise_batch(keys, scales, lams, output_basis, input_basis, *, name: str,
                      shapes: tuple):
    def one(arguments):
        key, scale, lam = arguments
        return initialise(name, key, scale, lam, shapes, output_basis, input_basis)
    if jax.default_backend() != "cpu":
        return jax.vmap(one)((keys, scales, lams))
    return jax.lax.map(one, (keys, scales, lams), batch_size=CPU_INIT_BATCH)


def initial_weights(spec: RunSpec) -> tuple:
    """The starting weights of every run of ``spec``, on the flattened run axis (row-major
    over ``spec.axes``), with zero bias columns where the network has biases."""
    dtype, shapes = spec.dtype, spec.shapes
    seeds = spec.seed_index()
    if spec.explicit:
        explicit = spec["init"]
        weights = tuple(jnp.asarray(a[seeds] if explicit.batched else
                                    np.broadcast_to(a, (spec.n_runs, *a.shape)), dtype=dtype)
                        for a in explicit.arrays)
    else:
        init, task = spec["init"], spec.task
        output_basis, input_basis = (_task_bases(task) if init == "aligned"
                                     else (np.eye(task.n_out), np.eye(task.n_in)))
        weights = _initialise_batch(
            spec.seed_keys[seeds], jnp.asarray(spec.per_run("init_scale"), dtype),
            jnp.asarray(spec.per_run("lam"), dtype), jnp.asarray(output_basis, dtype),
            jnp.asarray(input_basis, dtype), name=init, shapes=shapes)
    if not spec["bias"]:
        return weights
    return tuple(w if w.shape[-1] == shape[1] + 1 else
                 jnp.concatenate([w, jnp.zeros((*w.shape[:-1], 1), w.dtype)], axis=-1)
                 for w, shape in zip(weights, shapes))


# ----------------------------------------------------------------------------- memory

def check_memory(spec: RunSpec) -> None:
    """Refuse, before allocating, a run whose recorded output cannot fit in memory.

    Raises:
        MemoryError: the records need more than 80 % of the memory available now.
    """
    _, n_records, _ = spec.timeline
    per_record = sum(leaf.size * leaf.dtype.itemsize
                     for leaf in jax.tree.leaves(spec.record_shapes))
    weights = sum(rows * columns for rows, columns in spec.shapes) * spec.dtype.itemsize
    # the records, the initial and final weights and the step's work
    needed = spec.n_runs * ((n_records + 1) * per_record + 3 * weights)
    available = _available_memory()
    if available is not None and needed > 0.8 * available:
        raise MemoryError(
            f"{spec.n_runs} runs recording {[r.name for r in spec.readouts]} at "
            f"{n_records + 1} times need about {needed / 2 ** 30:.1f} GiB; "
            f"{available / 2 ** 30:.1f} GiB is available. Use semjax.sweep (chunks of seeds in "
            "bounded memory), fewer seeds or scales, a larger record_every, or fewer recorded "
            "fields.")


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
            dtype, n_devices: int, progress: bool = False):
    """Run the core over ``n_devices`` devices (runs padded with copies of run 0), in one or
    more compiled calls (`segment_lengths`) that continue from each other's final state. The
    next call is queued before the previous one's records are read, so the device never waits
    for the host.

    Args:
        progress: show a `tqdm` bar on stderr, in integration steps and updated after each
            compiled call, when the run takes more than one call (its rate and ETA).

    Returns:
        (records, final weights, summary): numpy arrays with the run axis first; the
        summary's ``stable`` requires the final loss not above the run's initial loss.
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

    def trim(leaf):
        return np.asarray(leaf)[:n_runs]

    lengths = segment_lengths(config.n_records, config.record_every, n_runs, states.weights)
    bar = _progress_bar(config.n_records * config.record_every,
                        show=progress and len(lengths) > 1)
    parts, summaries, reference, start = [], [], None, 0

    def collect(output, length):
        records, _, summary = output
        wait_interruptibly(output)
        records = jax.tree.map(trim, records)
        parts.append(records if not parts else jax.tree.map(lambda leaf: leaf[:, 1:], records))
        summaries.append(jax.tree.map(trim, summary))
        bar.update(length * config.record_every)

    try:  # Ctrl-C while compiling or waiting: one line, not JAX's internal traceback
        queued = None
        for length in lengths:
            phases = (None if config.phases is None
                      else _phases_within(config.phases, start, length))
            output = _core.run_batch(
                states, objective, reference,
                config=config._replace(n_records=length, phases=phases),
                backend=backend, tile=tile, n_devices=n_devices)
            states, start = output[1], start + length
            reference = output[2]["initial_loss"] if reference is None else reference
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
    weights = initial_weights(spec)
    stepper, objective = spec.stepper, spec.objective
    sizes = spec.step_sizes
    step_size = spec.per_run(spec.step_option) if sizes is not None else np.zeros(spec.n_runs)
    stepper_states = jax.vmap(stepper.init)(weights, jnp.asarray(step_size, spec.dtype))
    keys = None
    if objective.stochastic:
        keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(spec.seed_keys[spec.seed_index()])
    config = spec.core_config()
    records, _, summary = execute(_core.TrainState(weights, stepper_states, keys), objective,
                                  config, spec.backend, spec.dtype, spec["devices"],
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
            warnings.warn(
                f"{len(runs)} of {total} runs did not settle (finite, but past the step's "
                f"stability limit: the loss ended above its start, or still rises from step to "
                f"step): {trajectory.describe_runs(runs[:10])}"
                f"{' ...' if len(runs) > 10 else ''}. {hint}", UnstableRunWarning, stacklevel=4)
    return trajectory


def _phase_labels(phases: tuple) -> np.ndarray:
    """The active phase at every record (record 0 and each switch record belong to the phase
    that starts there)."""
    ends = np.cumsum([count for _, count in phases])
    return np.minimum(np.searchsorted(ends, np.arange(ends[-1] + 1), side="right"),
                      len(phases) - 1)
