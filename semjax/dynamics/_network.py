"""Deep linear networks: parameters, map, and the gradient-flow vector field (theory.md §1.2).

A network of depth L has weights ``(W_1, ..., W_L)`` with W_l of shape (n_l, n_{l-1}),
n_0 = N1 (inputs), n_L = N3 (outputs); its map is W = W_L ⋯ W_1 and it sends an input x to
W x (`apply`). Depth 1 is the shallow net, depth 2 the paper's "deep" net. Conventions (Σ
normalisation, loss, time) live in `semjax.task`.

Every function here works on plain matrices (n_out, n_in), batched from outside with
`jax.vmap`, and, unchanged, on the batch-last tiles of the CPU backend in
`semjax.dynamics._core`, whose arrays carry a trailing run axis (n_out, n_in, b). Only
`matmul` tells the two apart, by the number of axes; callers never choose a layout.
"""

from __future__ import annotations

import jax.numpy as jnp

FUSED_ELEMENTS = 4096  # XLA:CPU fuses a multiply-and-sum into one vector loop below this size
SUM_BLOCK = 64  # contraction indices per partial product in a blocked sum (see `matmul`)
BLOCKED_SUM_MIN = 256  # shorter float32 contractions are one dot


def layer_shapes(n_in: int, hidden: tuple[int, ...], n_out: int) -> tuple[tuple[int, int], ...]:
    """Shapes (n_l, n_{l-1}) of W_1 ... W_L for the given hidden widths (L = len(hidden) + 1)."""
    widths = (n_in, *hidden, n_out)
    return tuple((widths[l + 1], widths[l]) for l in range(len(widths) - 1))


def matmul(a, b):
    """Matrix product a (m, k) · b (k, n); on batch-last tiles a (m, k, b) · b (k, n, b).

    Summation order (it decides float32 accuracy). A long contraction whose result is small,
    such as W₂ᵀE summed over thousands of outputs, cancels heavily once the coarse modes are
    learned, and its rounding error then lands in the still-small fine modes. Such products are
    summed in blocks of `SUM_BLOCK` whose partial products are added pairwise, so the error
    grows like log(k/`SUM_BLOCK`) instead of with k, whichever kernel XLA picks
    (benchmarks/NEUROMATCH_PRECISION.md: 6× smaller drift from float64 on a 10001-output task,
    below PyTorch's). Float64 products and short or large-result products are one dot.

    Tiles (three axes) are multiplied as a broadcast multiply-and-sum over the contraction
    index, which XLA:CPU fuses into vector loops over the tile's runs; the contraction is split
    into chunks whose broadcast product stays below `FUSED_ELEMENTS`, the size up to which
    XLA:CPU emits one vectorised loop (measured: larger ones ran up to 12× slower), and the
    chunks' sums are added pairwise."""
    if a.ndim == 2 and b.ndim == 2:
        return _blocked_matmul(a, b) if _needs_blocked_sum(a, b) else a @ b
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    per_index = m * n * max(a.shape[-1], b.shape[-1])
    chunk = max(1, min(k, (FUSED_ELEMENTS - 1) // per_index))
    n_chunks = -(-k // chunk)
    chunk = -(-k // n_chunks)
    parts = [jnp.sum(a[:, start:start + chunk, None, :] * b[None, start:start + chunk, :, :],
                     axis=1) for start in range(0, k, chunk)]
    while len(parts) > 1:
        parts = [parts[i] + parts[i + 1] if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _needs_blocked_sum(a, b) -> bool:
    """Whether a (m, k) · b (k, n) is summed blockwise: a float32-or-coarser product with a
    contraction longer than `BLOCKED_SUM_MIN` whose block partials, (k/`SUM_BLOCK`)·m·n
    numbers, take no more memory than its operands (so large square products stay one dot)."""
    (m, k), n = a.shape, b.shape[1]
    coarse = jnp.finfo(jnp.result_type(a, b)).bits <= 32
    return coarse and k > BLOCKED_SUM_MIN and m * n <= SUM_BLOCK * (m + n)


def _blocked_matmul(a, b):
    """a · b as partial products over blocks of `SUM_BLOCK` contraction indices, added
    pairwise (zero-padded to whole blocks)."""
    k = a.shape[1]
    n_blocks = -(-k // SUM_BLOCK)
    padding = n_blocks * SUM_BLOCK - k
    a_blocks = jnp.pad(a, ((0, 0), (0, padding))).reshape(a.shape[0], n_blocks, SUM_BLOCK)
    b_blocks = jnp.pad(b, ((0, padding), (0, 0))).reshape(n_blocks, SUM_BLOCK, b.shape[1])
    partials = jnp.einsum("mkb,kbn->kmn", a_blocks, b_blocks)
    while partials.shape[0] > 1:
        if partials.shape[0] % 2:
            partials = jnp.concatenate([partials, jnp.zeros_like(partials[:1])])
        partials = partials[0::2] + partials[1::2]
    return partials[0]


def transpose(a):
    """Swap the two matrix axes (a trailing run axis stays in place)."""
    return jnp.swapaxes(a, 0, 1)


def partial_products(weights) -> list:
    """[W_1, W_2 W_1, ..., W_L ⋯ W_1]: the prefix products; the last one is the network map."""
    products = [weights[0]]
    for weight in weights[1:]:
        products.append(matmul(weight, products[-1]))
    return products


def network_map(weights):
    """W = W_L ⋯ W_1."""
    return partial_products(weights)[-1]


def apply(weights, inputs):
    """The network's outputs W_L ⋯ W_1 X for inputs X (N1, P): layer by layer, so a batch of
    items costs what the layers cost, not what the map costs."""
    outputs = inputs
    for weight in weights:
        outputs = matmul(weight, outputs)
    return outputs


def times_sigma_x(matrix, task):
    """M Σx, a scalar multiple c·M when Σx = c·I (the task's static ``isotropic``)."""
    return task.isotropic_scale * matrix if task.isotropic else matmul(matrix, task.sigma_x)


def vector_field(weights, task) -> tuple:
    """Gradient flow dW_l/dt = −∂L/∂W_l (time in units of τ), for any depth L ≥ 1:

        dW_l/dt = (W_L ⋯ W_{l+1})ᵀ (Σyx − W Σx) (W_{l-1} ⋯ W_1)ᵀ     (Saxe et al. 2014, eq. 13).

    Computed with one backward sweep: G_L = E, G_l = W_{l+1}ᵀ G_{l+1}, dW_l = G_l (W_{l-1}⋯W_1)ᵀ.

    Args:
        weights: tuple (W_1, ..., W_L).
        task: a `semjax.Task` (its arrays, possibly traced).
    """
    prefix = partial_products(weights)
    upstream = task.sigma_yx - times_sigma_x(prefix[-1], task)
    derivatives = [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        derivatives[layer] = (upstream if layer == 0 else
                              matmul(upstream, transpose(prefix[layer - 1])))
        if layer > 0:
            upstream = matmul(transpose(weights[layer]), upstream)
    return tuple(derivatives)


def mode_strengths(network, task):
    """a_α = u_αᵀ W Σx v_α for every mode of the task, shape (r[, b])."""
    projected = matmul(transpose(task.U), network)
    return jnp.sum(projected * transpose(matmul(task.sigma_x, task.V)), axis=1)


def excess_loss(network, task):
    """L(W) − min L = ½ tr((W − T) Σx (W − T)ᵀ), shape ([b])."""
    residual = network - task.target_map
    return 0.5 * jnp.sum(residual * times_sigma_x(residual, task), axis=(0, 1))
