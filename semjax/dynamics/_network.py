"""Deep linear networks and the gradient-flow vector field (theory.md §1.2).

A network of depth L has weights ``(W_1, ..., W_L)`` with W_l of shape (n_l, n_{l-1}),
n_0 = N1 (inputs), n_L = N3 (outputs); its map is W = W_L ⋯ W_1. Depth 1 is the shallow net,
depth 2 the paper's "deep" net. Conventions (Σ normalisation, loss, time) live in `semjax.task`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp


class TaskArrays(NamedTuple):
    """The arrays of a `semjax.Task` that compiled code needs (all traced, none static).

    Attributes:
        sigma_yx: Σyx (N3, N1).
        sigma_x: Σx (N1, N1).
        target_map: T = Σyx Σx⁺ (N3, N1), the optimum the excess loss is measured from.
        readout_left: U (N3, r), the task's feature synthesizers.
        readout_right: Σx V (N1, r), so that a_α = u_αᵀ W (Σx v_α).
        inputs: X (N1, P), the items' input vectors.
    """

    sigma_yx: jnp.ndarray
    sigma_x: jnp.ndarray
    target_map: jnp.ndarray
    readout_left: jnp.ndarray
    readout_right: jnp.ndarray
    inputs: jnp.ndarray


def layer_shapes(n_in: int, hidden: tuple[int, ...], n_out: int) -> tuple[tuple[int, int], ...]:
    """Shapes (n_l, n_{l-1}) of W_1 ... W_L for the given hidden widths (L = len(hidden) + 1)."""
    widths = (n_in, *hidden, n_out)
    return tuple((widths[l + 1], widths[l]) for l in range(len(widths) - 1))


def partial_products(weights) -> list:
    """[W_1, W_2 W_1, ..., W_L ⋯ W_1]: the prefix products; the last one is the network map."""
    products = [weights[0]]
    for weight in weights[1:]:
        products.append(weight @ products[-1])
    return products


def network_map(weights):
    """W = W_L ⋯ W_1."""
    return partial_products(weights)[-1]


def error_matrix(network, task: TaskArrays, white: bool):
    """E = Σyx − W Σx (skipping the product with Σx when it is the identity)."""
    return task.sigma_yx - (network if white else network @ task.sigma_x)


def vector_field(weights, task: TaskArrays, white: bool) -> tuple:
    """Gradient flow dW_l/dt = −∂L/∂W_l (time in units of τ), for any depth L ≥ 1:

        dW_l/dt = (W_L ⋯ W_{l+1})ᵀ (Σyx − W Σx) (W_{l-1} ⋯ W_1)ᵀ     (Saxe et al. 2014, eq. 13).

    Computed with one backward sweep: G_L = E, G_l = W_{l+1}ᵀ G_{l+1}, dW_l = G_l (W_{l-1}⋯W_1)ᵀ.

    Args:
        weights: tuple (W_1, ..., W_L).
        task: the task's arrays.
        white: static; True when Σx is the identity.
    """
    prefix = partial_products(weights)
    upstream = error_matrix(prefix[-1], task, white)
    derivatives = [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        derivatives[layer] = upstream if layer == 0 else upstream @ prefix[layer - 1].T
        if layer > 0:
            upstream = weights[layer].T @ upstream
    return tuple(derivatives)


def mode_strengths(network, task: TaskArrays):
    """a_α = u_αᵀ W Σx v_α for every mode of the task, shape (r,)."""
    return jnp.sum((task.readout_left.T @ network) * task.readout_right.T, axis=-1)


def excess_loss(network, task: TaskArrays, white: bool):
    """L(W) − min L = ½ tr((W − T) Σx (W − T)ᵀ)."""
    residual = network - task.target_map
    weighted = residual if white else residual @ task.sigma_x
    return 0.5 * jnp.sum(residual * weighted)
