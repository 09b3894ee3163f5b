"""`batch_last`: a function of one run, transformed to act on tiles with a trailing run axis,
equals `jax.vmap` of it, for every kind of equation the core's functions contain."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from semjax.dynamics import Correlations, GradientFlow, Items, Network, Optax, _core, _lanes
from semjax.readouts import resolve

RUNS = 5
rng = np.random.default_rng(0)


def _tiles(*arguments):
    """Batched arguments (pytrees, runs first) as tiles (runs last)."""
    return jax.tree.map(lambda a: jnp.moveaxis(jnp.asarray(a), 0, -1), arguments)


def _check(function, batched, shared=(), rtol=1e-12):
    """batch_last(function) on tiles equals vmap(function), leaf by leaf, runs last."""
    expected = jax.vmap(function, in_axes=(0,) * len(batched) + (None,) * len(shared))(
        *batched, *shared)
    lanes = (True,) * len(batched) + (False,) * len(shared)
    got = _lanes.batch_last(function, lanes)(*_tiles(*batched), *shared)
    for want, have in zip(jax.tree.leaves(expected), jax.tree.leaves(got)):
        np.testing.assert_allclose(np.moveaxis(np.asarray(have), -1, 0), want, rtol=rtol,
                                   atol=1e-13)


@pytest.mark.parametrize("product", [
    lambda a, b: a @ b,
    lambda a, b: (a.T @ a) @ (b @ b.T),
    lambda a, b: jnp.einsum("ij,jk->ki", a, b),
    lambda a, b: jnp.einsum("ij,jk->", a, b),  # a full contraction
    lambda a, b: jax.vmap(lambda row: row @ b)(a),  # a dot_general with batch dimensions
])
def test_products_of_two_run_dependent_matrices(product):
    a, b = rng.normal(size=(RUNS, 3, 4)), rng.normal(size=(RUNS, 4, 6))
    _check(product, (a, b))


def test_products_and_elementwise_operations_with_shared_operands():
    weights = rng.normal(size=(RUNS, 3, 4))
    shared = rng.normal(size=(4, 2))
    _check(lambda w, s: jnp.tanh(w @ s) + 2.0 * s.sum() - (s.T @ w.T).T, (weights,),
           (shared,))


def test_reductions_svd_and_inner_calls():
    matrices = rng.normal(size=(RUNS, 4, 3))

    @jax.jit
    def inner(m):  # a jit inside the function (jnp's jitted helpers are of this kind)
        return jnp.linalg.svd(m, compute_uv=False)

    _check(lambda m: (inner(m), jnp.sum(m ** 2, axis=0), jnp.all(jnp.isfinite(m))),
           (matrices,))


def test_custom_derivative_rules_and_gradients():
    weights = (rng.normal(size=(RUNS, 3, 4)), rng.normal(size=(RUNS, 2, 3)))
    inputs = rng.normal(size=(4, 6))

    def loss(w1, w2):
        return jnp.sum((w2 @ jax.nn.relu(w1 @ inputs)) ** 2)

    _check(jax.grad(loss, argnums=(0, 1)), weights)


def test_results_that_do_not_depend_on_the_runs_are_broadcast():
    weights = rng.normal(size=(RUNS, 2, 2))
    shared = rng.normal(size=(3,))
    tiles = _lanes.batch_last(lambda w, s: (w + 1, s * 2), (True, False))(*_tiles(weights),
                                                                         shared)
    assert tiles[1].shape == (3, RUNS)
    np.testing.assert_array_equal(tiles[1], np.repeat(2 * shared[:, None], RUNS, axis=1))


def test_the_fused_product_sums_the_contraction_in_chunks_below_the_fused_size():
    """A long contraction is split into chunks whose broadcast product stays below
    FUSED_ELEMENTS; the result is the product all the same."""
    a, b = rng.normal(size=(RUNS, 8, 300)), rng.normal(size=(RUNS, 300, 9))
    _check(lambda a, b: a @ b, (a, b), rtol=1e-11)


@pytest.mark.parametrize("stepper", [GradientFlow("euler"), GradientFlow("rk4"),
                                     Optax(optax.adam(1e-2)),
                                     Optax(optax.chain(optax.clip_by_global_norm(0.1),
                                                       optax.sgd(0.05, momentum=0.9)))])
def test_a_step_of_every_stepper_equals_vmap(seed_task, stepper):
    """The core's step, on the correlation form and on the items of a ReLU net with biases;
    an optimiser's global norm stays per run."""
    from semjax import Task, datasets
    items = Task.from_dataset(datasets.four_items())
    for objective, shapes in ((Correlations(seed_task), ((6, 4), (7, 6))),
                              (Items(items, network=Network("relu", True)), ((6, 5), (7, 7)))):
        weights = tuple(0.3 * rng.normal(size=(RUNS, *shape)) for shape in shapes)
        state = jax.vmap(stepper.init)(weights, jnp.full(RUNS, 0.05))
        _check(lambda w, s, o: _core.advance(_core.TrainState(w, s), o, stepper),
               (weights, state), (objective,), rtol=1e-10)


def test_every_readout_equals_vmap(nonwhite_task):
    weights = (rng.normal(size=(RUNS, 5, 4)), rng.normal(size=(RUNS, 3, 5)))
    readouts = resolve(("modes", "loss", "product", "outputs", "hidden_gram",
                        "singular_values", "weights"))
    _check(lambda w, o: _core.observe(w, o, readouts), (weights,),
           (Correlations(nonwhite_task),))
