"""The compiled reference kernel: `lax.scan` over time inside `jax.vmap` over runs.

One call integrates a whole batch of runs (every seed × init scale flattened into one axis).
Everything that sets array shapes is in the static `KernelConfig`; dt, the initial weights and
the task's arrays are traced, so one compilation serves every dt, init scale and key.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from semjax.dynamics import _initialisation, _network
from semjax.dynamics._integrators import INTEGRATORS

RECORDABLE = ("modes", "loss", "product", "hidden_gram", "singular_values", "weights")


class KernelConfig(NamedTuple):
    """Static (shape-determining) options of one compiled kernel.

    Attributes:
        shapes: layer shapes (n_l, n_{l-1}) of W_1 ... W_L.
        white: whether Σx is the identity (skips products with it).
        method: integrator name, ``"euler"`` or ``"rk4"``.
        record: names of the recorded fields (subset of `RECORDABLE`).
        record_every: integration steps between records.
        n_records: records after t = 0 (the run takes n_records · record_every steps).
    """

    shapes: tuple
    white: bool
    method: str
    record: tuple
    record_every: int
    n_records: int


def _observe(weights, task: _network.TaskArrays, config: KernelConfig) -> dict:
    network = _network.network_map(weights)
    observed = {}
    if "modes" in config.record:
        observed["modes"] = _network.mode_strengths(network, task)
    if "loss" in config.record:
        observed["loss"] = _network.excess_loss(network, task, config.white)
    if "product" in config.record:
        observed["product"] = network
    if "hidden_gram" in config.record:
        hidden = weights[0] @ task.inputs
        observed["hidden_gram"] = hidden.T @ hidden
    if "singular_values" in config.record:
        estimate = network if config.white else network @ task.sigma_x
        observed["singular_values"] = jnp.linalg.svd(estimate, compute_uv=False)
    if "weights" in config.record:
        observed["weights"] = tuple(weights)
    return observed


def _all_finite(tree) -> jnp.ndarray:
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]))


def _integrate_one(weights, task: _network.TaskArrays, dt, config: KernelConfig):
    integrator = INTEGRATORS[config.method]
    field = functools.partial(_network.vector_field, task=task, white=config.white)

    def step(current, _):
        return integrator(field, current, dt), None

    def segment(current, _):
        current, _ = lax.scan(step, current, None, length=config.record_every)
        return current, _observe(current, task, config)

    final, records = lax.scan(segment, weights, None, length=config.n_records)
    first = _observe(weights, task, config)
    records = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, records)
    return records, _all_finite((records, final))


@functools.partial(jax.jit, static_argnames=("config",))
def integrate_batch(weights, task: _network.TaskArrays, dt, *, config: KernelConfig):
    """Integrate a batch of runs.

    Args:
        weights: tuple of initial weights, each with a leading batch axis.
        task: the task's arrays (shared by all runs).
        dt: the step (traced scalar).
        config: static options.

    Returns:
        ``(records, finite)``: a dict of recorded fields, each (batch, n_records + 1, ...), and
        a (batch,) bool flag that is False where any record or the final weights are not finite.
    """
    one = functools.partial(_integrate_one, config=config)
    return jax.vmap(one, in_axes=(0, None, None))(weights, task, dt)


@functools.partial(jax.jit, static_argnames=("name", "shapes"))
def initialise_batch(keys, scales, lam, output_basis, input_basis, *, name: str, shapes: tuple):
    """Initial weights for a batch of (key, scale) pairs; see `_initialisation.initialise`."""
    def one(key, scale):
        return _initialisation.initialise(name, key, scale, lam, shapes, output_basis, input_basis)
    return jax.vmap(one)(keys, scales)
