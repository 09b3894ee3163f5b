"""The compiled kernels: `lax.scan` over time, batched over runs in one of two layouts.

* ``integrate_batch`` (the reference): `jax.vmap` over runs of the plain-matrix integrator;
  XLA batches the products into dot calls. Best for large matrices.
* ``integrate_tiles`` (the fast small-network kernel): runs are grouped in tiles of ``tile``
  runs stored as the last array axis (`semjax.dynamics._network`'s batch-last layout) and
  `lax.map` walks the tiles, so each tile's whole scan stays in cache and every product is a
  fused vector loop over the tile's runs. The host wrapper `integrate` splits the tiles across
  worker threads (one per core; XLA releases the GIL while a computation runs).

Everything that sets array shapes is in the static `KernelConfig`; dt, the initial weights and
the task's arrays are traced, so one compilation serves every dt, init scale and key.
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import os
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from semjax.dynamics import _initialisation, _network
from semjax.dynamics._integrators import INTEGRATORS

RECORDABLE = ("modes", "loss", "product", "hidden_gram", "singular_values", "weights")
KERNELS = ("auto", "reference", "tiled")
TILED_WIDTH_LIMIT = 64  # "auto" never tiles wider networks: XLA's batched dot wins there


class KernelConfig(NamedTuple):
    """Static (shape-determining) options of one compiled kernel.

    Attributes:
        shapes: layer shapes (n_l, n_{l-1}) of W_1 ... W_L.
        isotropic: whether Σx = c·I (products with it become a scalar multiple).
        method: integrator name, ``"euler"`` or ``"rk4"``.
        record: names of the recorded fields (subset of `RECORDABLE`).
        record_every: integration steps between records.
        n_records: records after t = 0 (the run takes n_records · record_every steps).
    """

    shapes: tuple
    isotropic: bool
    method: str
    record: tuple
    record_every: int
    n_records: int


def _observe(weights, task: _network.TaskArrays, config: KernelConfig, batch_last: bool):
    network = _network.network_map(weights, batch_last)
    observed = {}
    if "modes" in config.record:
        observed["modes"] = _network.mode_strengths(network, task, batch_last)
    if "loss" in config.record:
        observed["loss"] = _network.excess_loss(network, task, config.isotropic, batch_last)
    if "product" in config.record:
        observed["product"] = network
    if "hidden_gram" in config.record:
        hidden = _network.matmul(weights[0], task.inputs, batch_last)
        observed["hidden_gram"] = _network.matmul(_network.transpose(hidden), hidden, batch_last)
    if "singular_values" in config.record:
        estimate = _network.times_sigma_x(network, task, config.isotropic, batch_last)
        if batch_last:
            estimate = jnp.moveaxis(estimate, -1, 0)
        values = jnp.linalg.svd(estimate, compute_uv=False)
        observed["singular_values"] = jnp.moveaxis(values, 0, -1) if batch_last else values
    if "weights" in config.record:
        observed["weights"] = tuple(weights)
    return observed


def _all_finite(tree, batch_last: bool) -> jnp.ndarray:
    """Per run: whether every value is finite (a scalar, or (b,) in the batch-last layout)."""
    def finite(leaf):
        axes = tuple(range(leaf.ndim - 1)) if batch_last else None
        return jnp.all(jnp.isfinite(leaf), axis=axes)
    return functools.reduce(jnp.logical_and, [finite(leaf) for leaf in jax.tree.leaves(tree)])


def _integrate(weights, task: _network.TaskArrays, dt, config: KernelConfig, batch_last: bool):
    """Integrate one run (plain layout) or one tile of runs (batch-last layout)."""
    integrator = INTEGRATORS[config.method]
    field = functools.partial(_network.vector_field, task=task, isotropic=config.isotropic,
                              batch_last=batch_last)

    def step(current, _):
        return integrator(field, current, dt), None

    def segment(current, _):
        current, _ = lax.scan(step, current, None, length=config.record_every)
        return current, _observe(current, task, config, batch_last)

    final, records = lax.scan(segment, weights, None, length=config.n_records)
    first = _observe(weights, task, config, batch_last)
    records = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, records)
    return records, _all_finite((records, final), batch_last)


@functools.partial(jax.jit, static_argnames=("config",))
def integrate_batch(weights, task: _network.TaskArrays, dt, *, config: KernelConfig):
    """The reference kernel: `jax.vmap` over runs.

    Args:
        weights: tuple of initial weights, each with a leading batch axis.
        task: the task's arrays (shared by all runs).
        dt: the step (traced scalar).
        config: static options.

    Returns:
        ``(records, finite)``: a dict of recorded fields, each (batch, n_records + 1, ...), and
        a (batch,) bool flag that is False where any record or the final weights are not finite.
    """
    one = functools.partial(_integrate, config=config, batch_last=False)
    return jax.vmap(one, in_axes=(0, None, None))(weights, task, dt)


@functools.partial(jax.jit, static_argnames=("config",))
def integrate_tiles(weights, task: _network.TaskArrays, dt, *, config: KernelConfig):
    """The batch-last kernel: weights (n_tiles, n_out, n_in, tile), `lax.map` over tiles.

    Returns the same as `integrate_batch`, with the batch axis flattened from (n_tiles, tile).
    """
    lifted = _network.TaskArrays(*(a[..., None] for a in task))
    one = functools.partial(_integrate, task=lifted, dt=dt, config=config, batch_last=True)
    records, finite = lax.map(one, weights)

    def runs_first(leaf):  # (n_tiles, time, ..., tile) -> (n_tiles * tile, time, ...)
        leaf = jnp.moveaxis(leaf, -1, 1)
        return leaf.reshape(-1, *leaf.shape[2:])
    return jax.tree.map(runs_first, records), finite.reshape(-1)


def tile_size(dtype) -> int:
    """Runs per tile: one SIMD register's worth of the dtype (8 float32, 4 float64 on AVX2)."""
    return 8 if jnp.dtype(dtype).itemsize == 4 else 4


def choose_kernel(kernel: str, shapes, n_runs: int, dtype) -> str:
    """The kernel for ``kernel="auto"``: ``"reference"`` on accelerators (GPU/TPU: `jax.vmap`
    fills them; the tiles are a CPU cache layout), for fewer runs than a tile or widths
    > 64; ``"tiled"`` when every product of a step fits one fused XLA loop (the regime where
    the batch-last kernel was fastest in every case measured, e.g. the paper's small tasks);
    otherwise ``"timed"``: `integrate` times both kernels on a probe batch once per
    configuration (XLA:CPU's code for the batch-last loops varies with the shapes there).
    An explicit choice is kept."""
    if kernel != "auto":
        return kernel
    tile = tile_size(dtype)
    if (jax.default_backend() != "cpu" or n_runs < tile
            or max(max(shape) for shape in shapes) > TILED_WIDTH_LIMIT):
        return "reference"
    n_in = shapes[0][1]
    largest = max(rows * columns * n_in for rows, columns in shapes)
    largest = max(largest, shapes[-1][0] * n_in * n_in)  # products with Σx and the read-out
    return "tiled" if largest * tile < _network.FUSED_ELEMENTS else "timed"


_TIMED_CHOICES: dict = {}


def _timed_choice(weights, task, dt, config: KernelConfig, workers) -> str:
    """The faster kernel on a probe of at most 4 tiles per worker, remembered per config."""
    key = (config, str(weights[0].dtype))
    if key not in _TIMED_CHOICES:
        n_probe = min(weights[0].shape[0], 4 * tile_size(weights[0].dtype) * (workers or 2))
        probe = tuple(w[:n_probe] for w in weights)
        seconds = {}
        for name in ("tiled", "reference"):
            integrate(probe, task, dt, config=config, kernel=name, workers=workers)
            start = time.perf_counter()
            integrate(probe, task, dt, config=config, kernel=name, workers=workers)
            seconds[name] = time.perf_counter() - start
        _TIMED_CHOICES[key] = min(seconds, key=seconds.get)
    return _TIMED_CHOICES[key]


def integrate(weights, task: _network.TaskArrays, dt, *, config: KernelConfig, kernel: str,
              workers: int | None = None):
    """Run the chosen kernel on a batch of runs (weights with a leading batch axis).

    The tiled kernel pads the batch to whole tiles (with copies of run 0, dropped afterwards)
    and gives each worker thread an equal share of tiles, so every call reuses one
    compilation.

    Returns:
        ``(records, finite, kernel)``: numpy arrays, batch axis first, and the kernel used.
    """
    if kernel == "timed":
        kernel = _timed_choice(weights, task, dt, config, workers)
    if kernel == "reference":
        records, finite = integrate_batch(weights, task, dt, config=config)
        return jax.tree.map(np.asarray, records), np.asarray(finite), kernel
    n_runs = weights[0].shape[0]
    tile = tile_size(weights[0].dtype)
    n_tiles = math.ceil(n_runs / tile)
    workers = max(1, min(workers or os.cpu_count() or 1, n_tiles))
    per_worker = math.ceil(n_tiles / workers)

    def shard(weight, worker):  # host-side layout change: no device ops to compile
        weight = np.asarray(weight)
        index = np.arange(worker * per_worker * tile, (worker + 1) * per_worker * tile)
        index = np.where(index < n_runs, index, 0)  # padding repeats run 0
        part = weight[index].reshape(per_worker, tile, *weight.shape[1:])
        return np.ascontiguousarray(np.moveaxis(part, 1, -1))

    def work(worker):
        part = tuple(shard(w, worker) for w in weights)
        return jax.block_until_ready(integrate_tiles(part, task, dt, config=config))

    if workers == 1:
        results = [work(0)]
    else:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(work, range(workers)))
    records = jax.tree.map(lambda *parts: np.concatenate([np.asarray(p) for p in parts])[:n_runs],
                           *(r[0] for r in results))
    finite = np.concatenate([np.asarray(r[1]) for r in results])[:n_runs]
    return records, finite, kernel


@functools.partial(jax.jit, static_argnames=("name", "shapes"))
def initialise_batch(keys, scales, lam, output_basis, input_basis, *, name: str, shapes: tuple):
    """Initial weights for a batch of (key, scale) pairs; see `_initialisation.initialise`."""
    def one(key, scale):
        return _initialisation.initialise(name, key, scale, lam, shapes, output_basis, input_basis)
    return jax.vmap(one)(keys, scales)
