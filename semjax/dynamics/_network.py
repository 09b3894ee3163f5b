"""Networks: parameters, map, and the gradient-flow vector field (docs/theory.md §1.2).

A network of depth L has weights ``(W_1, ..., W_L)`` with W_l of shape (n_l, n_{l-1}),
n_0 = N1 (inputs), n_L = N3 (outputs). The deep *linear* network's map is W = W_L ⋯ W_1; it
sends an input x to W x. Depth 1 is the shallow net, depth 2 the paper's "deep" net.
Conventions (Σ normalisation, loss, time) live in `semjax.task`.

`Network` adds an activation φ between layers and optional biases,
f(x) = W_L φ(⋯ φ(W_1 x + b_1) ⋯) + b_L; a bias is stored as the last column of its layer's
weight matrix, (n_l, n_{l-1} + 1), the weight of a constant input 1, so gradient flow on the
augmented matrix is gradient flow on (W_l, b_l) and every optimiser, record and initialiser
handles one tuple of matrices.

Every function here is written for the plain matrices (n_out, n_in) of one run; the core
batches them with `jax.vmap` or, on a CPU, with `semjax.dynamics._lanes.batch_last`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

SUM_BLOCK = 64  # contraction indices per partial product in a blocked sum (see `matmul`)
BLOCKED_SUM_MIN = 256  # shorter float32 contractions are one dot


ACTIVATIONS = {"linear": None, "tanh": jnp.tanh, "relu": jax.nn.relu}


def layer_shapes(n_in: int, hidden: tuple[int, ...], n_out: int, *,
                 bias: bool = False) -> tuple[tuple[int, int], ...]:
    """Shapes (n_l, n_{l-1}) of W_1 ... W_L for the given hidden widths (L = len(hidden) + 1);
    (n_l, n_{l-1} + 1) with biases (`Network`)."""
    widths = (n_in, *hidden, n_out)
    return tuple((widths[l + 1], widths[l] + int(bias)) for l in range(len(widths) - 1))


@dataclasses.dataclass(frozen=True)
class Network:
    """A feed-forward network's static form: activation and biases (module docstring).

    Attributes:
        activation: "linear" (the paper's deep linear network), "tanh", "relu", or a callable
            applied elementwise between layers (not after the last one).
        bias: whether every layer has a bias (the last column of its weight matrix).
    """

    activation: str | Callable = "linear"
    bias: bool = False

    @property
    def linear_chain(self) -> bool:
        """Whether the network is W_L ⋯ W_1 (no activation, no bias): the closed forms and the
        correlation-form objective apply."""
        return self.activation == "linear" and not self.bias

    def _phi(self, values):
        function = (ACTIVATIONS[self.activation] if isinstance(self.activation, str)
                    else self.activation)
        return values if function is None else function(values)

    def _layer(self, weight, values):
        if not self.bias:
            return matmul(weight, values)
        return matmul(weight[:, :-1], values) + weight[:, -1:]

    def hidden(self, weights, inputs):
        """The first layer's activations φ(W_1 X + b_1) (the pre-activations at depth 1)."""
        values = self._layer(weights[0], inputs)
        return self._phi(values) if len(weights) > 1 else values

    def apply(self, weights, inputs):
        """The outputs f(X) for inputs X (N1, P), layer by layer."""
        values = inputs
        for layer, weight in enumerate(weights):
            values = self._layer(weight, values)
            if layer < len(weights) - 1:
                values = self._phi(values)
        return values


LINEAR = Network()


def matmul(a, b):
    """Matrix product a (m, k) · b (k, n), with its summation order chosen for accuracy.

    A long contraction whose result is small, such as W₂ᵀE summed over thousands of outputs,
    cancels heavily once the coarse modes are learned, and its rounding error then lands in the
    still-small fine modes. Such float32 products are summed in blocks of `SUM_BLOCK` whose
    partial products are added pairwise, so the error grows like log(k/`SUM_BLOCK`) instead of
    with k, whichever kernel XLA picks (benchmarks/NEUROMATCH_PRECISION.md: 6× smaller drift
    from float64 on a 10001-output task, below PyTorch's). Float64 products and short or
    large-result products are one dot."""
    return _blocked_matmul(a, b) if _needs_blocked_sum(a, b) else a @ b


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


def partial_products(weights) -> list:
    """[W_1, W_2 W_1, ..., W_L ⋯ W_1]: the prefix products; the last one is the network map."""
    products = [weights[0]]
    for weight in weights[1:]:
        products.append(matmul(weight, products[-1]))
    return products


def network_map(weights):
    """W = W_L ⋯ W_1."""
    return partial_products(weights)[-1]


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
                              matmul(upstream, prefix[layer - 1].T))
        if layer > 0:
            upstream = matmul(weights[layer].T, upstream)
    return tuple(derivatives)


def mode_strengths(network, task):
    """a_α = u_αᵀ W Σx v_α for every mode of the task, shape (r,)."""
    return projected_modes(network, matmul(task.sigma_x, task.V), task)


def projected_modes(left, right, task):
    """diag(Uᵀ · left · right) for the task's output modes U, computed without the product:
    a_α = u_αᵀ left right_{:,α}, shape (r,)."""
    return jnp.sum(matmul(task.U.T, left) * right.T, axis=1)


def excess_loss(network, task):
    """L(W) − min L = ½ tr((W − T) Σx (W − T)ᵀ), a scalar."""
    residual = network - task.target_map
    return 0.5 * jnp.sum(residual * times_sigma_x(residual, task), axis=(0, 1))
