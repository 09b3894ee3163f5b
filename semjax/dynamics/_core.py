"""The pure solver core: one run advanced by a stepper with `lax.scan`, batched two ways.

`integrate` advances *one* run: a `TrainState` (weights, stepper state, PRNG key) is stepped
``record_every`` times per record, ``n_records`` times, by a stepper (`semjax.dynamics.
GradientFlow` or `Optax`) on an objective (`Correlations` or `Items`), and the read-outs
(`semjax.readouts`) are recorded at t = 0 and after every segment. It is a pure JAX function —
no host callbacks, threads or numpy — so it can be jitted, vmapped, differentiated (e.g. a final
loss with respect to the init scale) and sharded from outside. Everything that sets shapes is in
the static `CoreConfig`; step sizes, learning rates, initial weights, keys and the task's arrays
are traced, so one compilation serves them all.

Every function of this module is written for one run. `run_batch`, the batched entry point of
`semjax.simulate` and `semjax.train`, runs them on the leading run axis by one of two backends
that give the same trajectories (up to rounding), with the run axis sharded over the given
devices (`jax.shard_map` over a 1-D mesh), bitwise equal to the unsharded result:

* ``"vmap"``: `jax.vmap` of `integrate` over chunks of ``tile`` runs, `lax.map` over the
  chunks (XLA batches the products into dot calls; any stepper and objective; the backend for
  accelerators, where one chunk holds a device's runs, and for wide networks);
* ``"tiled"`` (CPU, full batch, small networks): runs are regrouped as tiles of ``tile`` runs
  on a trailing axis and `lax.map` walks the tiles; `integrate` carries a tile through its
  scans with its per-run step, read-out and summary transformed by
  `semjax.dynamics._lanes.batch_last`, so each tile's whole scan stays in cache and every
  product is a fused vector loop over the tile's runs. The regrouping happens inside
  `run_batch`: callers always see runs on the leading axis.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, PartitionSpec

from semjax.dynamics import _lanes


class TrainState(NamedTuple):
    """The carry of one run.

    Attributes:
        weights: tuple (W_1, ..., W_L).
        stepper_state: the stepper's state (its step size, an optimiser's moments).
        key: the run's PRNG key, split once per step when the objective draws minibatches;
            None for deterministic objectives.
    """

    weights: tuple
    stepper_state: object
    key: object = None


class CoreConfig(NamedTuple):
    """Static options of one compiled core.

    Attributes:
        stepper: the stepper (static, hashable).
        readouts: the recorded read-outs (`semjax.readouts.Readout`, hashable).
        record_every: steps between records.
        n_records: records after t = 0 (the run takes n_records · record_every steps).
        phases: None for one objective; for a task schedule, ((phase, records), ...) in
            order, summing to n_records: the objective holds every phase's task stacked on a
            leading axis, phase k trains on task k for that many records, and the
            task-dependent read-outs are observed against every task (`observe_schedule`).
    """

    stepper: object
    readouts: tuple
    record_every: int
    n_records: int
    phases: tuple | None = None


def phase_objective(objective, phase: int):
    """The objective of one phase of a stacked (schedule) objective."""
    return jax.tree.map(lambda leaf: leaf[phase], objective)


def advance(state: TrainState, objective, stepper) -> TrainState:
    """One step of one run: the stepper's update on the objective (drawing a minibatch key
    when the objective is stochastic)."""
    key, subkey = state.key, None
    if objective.stochastic:
        key, subkey = jax.random.split(key)
    weights, stepper_state = stepper.update(objective, state.weights, state.stepper_state,
                                            subkey)
    return TrainState(tuple(weights), stepper_state, key)


def observe(weights, objective, readouts: tuple) -> dict:
    """The read-outs of one run's weights (W_1, ..., W_L) under ``objective``."""
    return {readout.name: readout.compute(objective, weights) for readout in readouts}


def observe_schedule(weights, objective, readouts: tuple) -> dict:
    """`observe` under a schedule: the task-dependent read-outs against every task of the
    stacked ``objective`` (a task axis first), the others once."""
    dependent = tuple(readout for readout in readouts if readout.task_dependent)
    others = tuple(readout for readout in readouts if not readout.task_dependent)
    observed = jax.vmap(lambda one: observe(weights, one, dependent))(objective)
    return observed | observe(weights, phase_objective(objective, 0), others)


def integrate(state: TrainState, objective, *, config: CoreConfig, lanes: bool = False):
    """Advance one run and record its read-outs (pure; jit, vmap and grad from outside).

    Args:
        state: the initial `TrainState`.
        objective: `Correlations` or `Items` (holds the task).
        config: static options.
        lanes: the state is a tile of runs on a trailing axis (the ``"tiled"`` backend): the
            per-run step and read-out are applied through `_lanes.batch_last`.

    Returns:
        ``(records, final_state)``: a dict of recorded fields, each (n_records + 1, ...), and
        the state after n_records · record_every steps.
    """
    step = functools.partial(advance, stepper=config.stepper)
    read = functools.partial(observe if config.phases is None else observe_schedule,
                             readouts=config.readouts)
    if lanes:
        step, read = _lanes.batch_last(step, (True, False)), _lanes.batch_last(read,
                                                                               (True, False))
    if config.phases is None:
        phases = ((objective, config.n_records),)
    else:
        phases = tuple((phase_objective(objective, phase), length)
                       for phase, length in config.phases)

    def run_phase(active, current: TrainState, length: int):
        def segment(current: TrainState, _):
            current, _ = lax.scan(lambda carry, _: (step(carry, active), None), current, None,
                                  length=config.record_every)
            return current, read(current.weights, objective)

        return lax.scan(segment, current, None, length=length)

    parts, final = [read(state.weights, objective)], state
    for active, length in phases:
        final, records = run_phase(active, final, length)
        parts.append(records)
    parts[0] = jax.tree.map(lambda leaf: leaf[None], parts[0])
    records = jax.tree.map(lambda *leaves: jnp.concatenate(leaves), *parts)
    return records, final


def summarise(initial: TrainState, records, final: TrainState, objective, reference_loss,
              last, stepper) -> dict:
    """For one run: whether everything stayed finite, the excess loss at the start and end,
    and (when this call is the ``last`` of the run: a traced flag, so every call of a long run
    shares one compilation) whether a deterministic run is unstable: it ended above its
    initial loss, or the loss rose over either of two further steps from the final state by
    more than 1e-3 of the initial loss (``reference_loss``: the run's, when a long run is split
    into calls; NaN: this call's initial loss). Gradient descent below its stability limit only
    ever lowers the loss; past the limit it oscillates or grows."""
    leaves = [leaf for leaf in jax.tree.leaves((records, final.weights))
              if jnp.issubdtype(leaf.dtype, jnp.floating)]
    finite = functools.reduce(jnp.logical_and, [jnp.all(jnp.isfinite(leaf)) for leaf in leaves])
    loss = objective.excess_loss
    summary = {"finite": finite, "initial_loss": loss(initial.weights),
               "final_loss": loss(final.weights)}
    if objective.stochastic:
        return summary
    reference = jnp.where(jnp.isnan(reference_loss), summary["initial_loss"], reference_loss)

    def stable():
        losses, state = [summary["final_loss"]], final
        for _ in range(2):
            state = advance(state, objective, stepper)
            losses.append(loss(state.weights))
        tolerance = 1e-3 * reference
        return ((losses[0] <= reference) & (losses[1] <= losses[0] + tolerance)
                & (losses[2] <= losses[1] + tolerance))

    summary["stable"] = lax.cond(last, stable, lambda: jnp.asarray(True))
    return summary


def _integrate_and_summarise(state: TrainState, reference_loss, objective, last,
                             config: CoreConfig, lanes: bool):
    """`integrate` one run (or one tile) and its `summarise`, in the same layout."""
    records, final = integrate(state, objective, config=config, lanes=lanes)
    end = objective if config.phases is None else phase_objective(objective,
                                                                   config.phases[-1][0])
    summary = functools.partial(summarise, stepper=config.stepper)
    if lanes:
        summary = _lanes.batch_last(summary, (True, True, True, False, True, False))
    return records, final, summary(state, records, final, end, reference_loss, last)


def _integrate_vmap(states, reference_loss, objective, last, config: CoreConfig, tile: int):
    """Runs (a multiple of ``tile``) in chunks of ``tile``, `jax.vmap` within a chunk and
    `lax.map` over chunks: every chunk runs the same program, so a run's result does not
    depend on how many runs share the call or the device."""
    def to_chunks(leaf):
        return leaf.reshape(-1, tile, *leaf.shape[1:])

    def to_runs(leaf):
        return leaf.reshape(-1, *leaf.shape[2:])

    one = jax.vmap(functools.partial(_integrate_and_summarise, objective=objective, last=last,
                                     config=config, lanes=False))
    outputs = lax.map(lambda chunk: one(*chunk),
                      jax.tree.map(to_chunks, (states, reference_loss)))
    return jax.tree.map(to_runs, outputs)


def _integrate_tiled(states, reference_loss, objective, last, config: CoreConfig, tile: int):
    """Runs (a multiple of ``tile``) regrouped as (n_tiles, ..., tile) and mapped over tiles."""
    def to_tiles(leaf):
        return jnp.moveaxis(leaf.reshape(-1, tile, *leaf.shape[1:]), 1, -1)

    def to_runs(leaf):
        leaf = jnp.moveaxis(leaf, -1, 1)
        return leaf.reshape(-1, *leaf.shape[2:])

    one = functools.partial(_integrate_and_summarise, objective=objective, last=last,
                            config=config, lanes=True)
    outputs = lax.map(lambda tiles: one(*tiles),
                      jax.tree.map(to_tiles, (states, reference_loss)))
    return jax.tree.map(to_runs, outputs)


_BACKEND_FUNCTIONS = {"vmap": _integrate_vmap, "tiled": _integrate_tiled}


@functools.partial(jax.jit, static_argnames=("config", "backend", "tile", "n_devices"))
def run_batch(states: TrainState, objective, reference_loss=None, last=True, *,
              config: CoreConfig, backend: str = "vmap", tile: int = 1, n_devices: int = 1):
    """`integrate` for a batch of runs (leading axis), on one backend, over ``n_devices``.

    Args:
        states: `TrainState` with a leading run axis on every leaf; the number of runs must be
            a multiple of ``tile · n_devices`` (the host pads).
        objective: the objective (shared by all runs).
        reference_loss: per run, the loss that ``stable`` compares against (None or NaN: the
            loss of ``states``; a continued run passes its first call's).
        last: whether this call ends the runs (then ``stable`` is checked); traced, so the
            calls of a long run share one compilation.
        config: static options of `integrate`.
        backend: ``"vmap"`` or ``"tiled"`` (module docstring).
        tile: runs per tile (``"tiled"``) or per vmapped chunk (``"vmap"``).
        n_devices: shard the run axis over the first ``n_devices`` of `jax.local_devices()`.

    Returns:
        ``(records, final_states, summary)``: records (runs, n_records + 1, ...), the final
        states, and per run ``finite`` (no inf/NaN in any record or the final weights),
        ``initial_loss`` and ``final_loss`` (excess loss), and for deterministic objectives
        ``stable`` (see `summarise`; True where not checked).
    """
    if reference_loss is None:
        n_runs = jax.tree.leaves(states.weights)[0].shape[0]
        reference_loss = jnp.full(n_runs, jnp.nan, states.weights[0].dtype)
    body = functools.partial(_BACKEND_FUNCTIONS[backend], config=config, tile=tile)
    if n_devices > 1:
        mesh = Mesh(np.array(jax.local_devices()[:n_devices]), ("runs",))
        # check_vma=False: `_lanes.batch_last` binds primitives directly, without the
        # replication annotations shard_map's type check expects; the body has no collectives
        body = jax.shard_map(body, mesh=mesh, out_specs=PartitionSpec("runs"),
                             in_specs=(PartitionSpec("runs"), PartitionSpec("runs"),
                                       PartitionSpec(), PartitionSpec()), check_vma=False)
    return body(states, reference_loss, objective, jnp.asarray(last))


CPU_CHUNK = 16  # runs per vmapped chunk of small networks on a CPU: they stay in cache
CPU_CHUNK_LAYER_LIMIT = 4096  # layers larger than this run one by one (chunk of 1) on a CPU


def tile_size(backend: str, dtype, platform: str, runs_per_device: int,
              largest_layer: int = 0) -> int:
    """Runs per tile or chunk, fixed per configuration on a CPU so that results are bitwise
    the same for any batch size and device count. Tiled: one SIMD register's worth of the
    dtype (8 float32, 4 float64). Vmap on a CPU: `CPU_CHUNK` runs for small networks, one run
    at a time for layers of more than `CPU_CHUNK_LAYER_LIMIT` entries (their products are
    large enough on their own, and a few seeds are not padded to a chunk). On accelerators all
    of a device's runs in one chunk, which fills the device (results then equal up to rounding
    across batch sizes)."""
    if backend == "tiled":
        return 8 if jnp.dtype(dtype).itemsize == 4 else 4
    if platform != "cpu":
        return max(1, runs_per_device)
    return CPU_CHUNK if largest_layer <= CPU_CHUNK_LAYER_LIMIT else 1


def choose_backend(requested: str, shapes, n_in: int, dtype, *, full_batch: bool,
                   platform: str) -> str:
    """The backend for ``"auto"``, by a static rule that costs nothing to apply.

    ``"tiled"`` on CPU for full-batch training (the correlation form or the items, any
    network and stepper) when every product of a step (the layers' products with an
    ``n_in``-wide matrix: the inputs or Σx, or the items) fits one fused XLA:CPU loop per tile:
    the paper's small tasks, where it was the fastest in every case measured (10–15× the vmap
    backend for a ReLU net on the seed problem).
    Otherwise ``"vmap"`` (accelerators, minibatches, wider networks: there XLA's
    batched dots win, e.g. 30× on the Rumelhart task with 32 hidden units). The rule does not
    depend on the number of runs, so a seed run alone and inside a batch take the same path.

    Raises:
        ValueError: ``"tiled"`` requested where it does not apply, or for products so large
            that its unrolled loops would take minutes to compile.
    """
    if requested == "tiled" and not full_batch:
        raise ValueError("kernel='tiled' runs full-batch training only; use kernel='auto' "
                         "or 'reference' with minibatches.")
    largest = max(max(rows * columns * n_in for rows, columns in shapes),
                  shapes[-1][0] * n_in * n_in)
    per_tile = largest * tile_size("tiled", dtype, platform, 1)
    if requested == "tiled" and per_tile > 64 * _lanes.FUSED_ELEMENTS:
        raise ValueError("kernel='tiled' would unroll this network's products into over 64 "
                         "fused loops each (its compilation can take minutes); use "
                         "kernel='auto' or 'reference'.")
    if requested != "auto":
        return {"reference": "vmap"}.get(requested, requested)
    fits = per_tile < _lanes.FUSED_ELEMENTS
    return "tiled" if platform == "cpu" and full_batch and fits else "vmap"
