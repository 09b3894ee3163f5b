"""Deep linear networks and the gradient-flow vector field (theory.md §1.2).

A network of depth L has weights ``(W_1, ..., W_L)`` with W_l of shape (n_l, n_{l-1}),
n_0 = N1 (inputs), n_L = N3 (outputs); its map is W = W_L ⋯ W_1. Depth 1 is the shallow net,
depth 2 the paper's "deep" net. Conventions (Σ normalisation, loss, time) live in `semjax.task`.

Every function works in two array layouts, chosen by the static flag ``batch_last``:

* ``False``: plain matrices (n_out, n_in) of one run (batched with `jax.vmap`), products by
  ``@`` (XLA dot, best for large matrices);
* ``True``: a tile of runs as the *last* axis, (n_out, n_in, b), with the task's matrices
  given a trailing axis of 1; products are written as broadcast multiply-and-sum over the
  contraction index, which XLA fuses into vector loops over the runs (best for the small
  matrices of the paper's tasks, where a batched dot is dominated by overhead).

Only `matmul` differs; transposes swap the two leading (matrix) axes in both layouts.
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
        input_scale: c when Σx = c·I (then products with Σx are a scalar multiple; used
            when the kernel's static ``isotropic`` flag is set), else 1.
    """

    sigma_yx: jnp.ndarray
    sigma_x: jnp.ndarray
    target_map: jnp.ndarray
    readout_left: jnp.ndarray
    readout_right: jnp.ndarray
    inputs: jnp.ndarray
    input_scale: jnp.ndarray


def layer_shapes(n_in: int, hidden: tuple[int, ...], n_out: int) -> tuple[tuple[int, int], ...]:
    """Shapes (n_l, n_{l-1}) of W_1 ... W_L for the given hidden widths (L = len(hidden) + 1)."""
    widths = (n_in, *hidden, n_out)
    return tuple((widths[l + 1], widths[l]) for l in range(len(widths) - 1))


FUSED_ELEMENTS = 4096  # XLA:CPU fuses multiply-and-sum well below this many elements


def matmul(a, b, batch_last: bool = False):
    """Matrix product in either layout (module docstring): a (m, k[, b]) times b (k, n[, b]).

    In the batch-last layout the contraction is split into chunks whose broadcast product has
    fewer than `FUSED_ELEMENTS` elements, the size up to which XLA:CPU emits one vectorised
    loop for it (measured: larger ones ran up to 12× slower on the same flops)."""
    if not batch_last:
        return a @ b
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    per_index = m * n * max(a.shape[-1], b.shape[-1])
    chunk = max(1, min(k, (FUSED_ELEMENTS - 1) // per_index))
    n_chunks = -(-k // chunk)
    chunk = -(-k // n_chunks)
    total = None
    for start in range(0, k, chunk):
        part = jnp.sum(a[:, start:start + chunk, None, :] * b[None, start:start + chunk, :, :],
                       axis=1)
        total = part if total is None else total + part
    return total


def transpose(a):
    """Swap the two matrix axes (either layout)."""
    return jnp.swapaxes(a, 0, 1)


def partial_products(weights, batch_last: bool = False) -> list:
    """[W_1, W_2 W_1, ..., W_L ⋯ W_1]: the prefix products; the last one is the network map."""
    products = [weights[0]]
    for weight in weights[1:]:
        products.append(matmul(weight, products[-1], batch_last))
    return products


def network_map(weights, batch_last: bool = False):
    """W = W_L ⋯ W_1."""
    return partial_products(weights, batch_last)[-1]


def times_sigma_x(matrix, task: TaskArrays, isotropic: bool, batch_last: bool = False):
    """M Σx, a scalar multiple c·M when Σx = c·I (static ``isotropic``), else a product."""
    return task.input_scale * matrix if isotropic else matmul(matrix, task.sigma_x, batch_last)


def error_matrix(network, task: TaskArrays, isotropic: bool, batch_last: bool = False):
    """E = Σyx − W Σx."""
    return task.sigma_yx - times_sigma_x(network, task, isotropic, batch_last)


def vector_field(weights, task: TaskArrays, isotropic: bool, batch_last: bool = False) -> tuple:
    """Gradient flow dW_l/dt = −∂L/∂W_l (time in units of τ), for any depth L ≥ 1:

        dW_l/dt = (W_L ⋯ W_{l+1})ᵀ (Σyx − W Σx) (W_{l-1} ⋯ W_1)ᵀ     (Saxe et al. 2014, eq. 13).

    Computed with one backward sweep: G_L = E, G_l = W_{l+1}ᵀ G_{l+1}, dW_l = G_l (W_{l-1}⋯W_1)ᵀ.

    Args:
        weights: tuple (W_1, ..., W_L).
        task: the task's arrays.
        isotropic: static; True when Σx = c·I (``task.input_scale`` = c).
        batch_last: static; the array layout (module docstring).
    """
    prefix = partial_products(weights, batch_last)
    upstream = error_matrix(prefix[-1], task, isotropic, batch_last)
    derivatives = [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        derivatives[layer] = (upstream if layer == 0 else
                              matmul(upstream, transpose(prefix[layer - 1]), batch_last))
        if layer > 0:
            upstream = matmul(transpose(weights[layer]), upstream, batch_last)
    return tuple(derivatives)


def mode_strengths(network, task: TaskArrays, batch_last: bool = False):
    """a_α = u_αᵀ W Σx v_α for every mode of the task, shape (r[, b])."""
    projected = matmul(transpose(task.readout_left), network, batch_last)
    return jnp.sum(projected * transpose(task.readout_right), axis=1)


def excess_loss(network, task: TaskArrays, isotropic: bool, batch_last: bool = False):
    """L(W) − min L = ½ tr((W − T) Σx (W − T)ᵀ), shape ([b])."""
    residual = network - task.target_map
    weighted = times_sigma_x(residual, task, isotropic, batch_last)
    return 0.5 * jnp.sum(residual * weighted, axis=(0, 1))
