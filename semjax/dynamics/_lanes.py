"""`batch_last`: a function of one run, transformed to act on a tile of runs held on a trailing
array axis (the CPU backend's layout).

The core's functions (a step of a stepper, the read-outs, the run summary) are written once,
for the plain matrices of one run. `jax.vmap` batches them for accelerators and wide networks,
where XLA turns the products into batched dots. On a CPU the paper's small networks run faster
with the runs on the *last* axis of every array, (n_out, n_in, b): every product then becomes a
broadcast multiply-and-sum over the contraction index, which XLA:CPU fuses into one vector loop
over the tile's runs, and a tile's whole scan stays in cache. `batch_last(f)` derives that
layout from ``f`` the way `jax.vmap` derives a batched function: it traces ``f`` for one run to
a jaxpr and evaluates the jaxpr on tiles, equation by equation,

* ``dot_general`` (every matrix product) by the fused multiply-and-sum of `lane_product`;
* calls (``jit``, ``closed_call``, ``custom_jvp_call``, ``custom_vjp_call``) by evaluating
  their inner jaxpr the same way (custom derivative rules are not needed: the transformed
  function is evaluated, not differentiated);
* every other primitive by its own batching rule, `jax.vmap` with the run axis last
  (elementwise operations keep it there, so they fuse with the products).

Values that do not depend on the runs (the task's arrays) stay unbatched and are computed
once; results are always returned with the run axis last.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.extend import core as jex

FUSED_ELEMENTS = 4096  # XLA:CPU fuses a multiply-and-sum into one vector loop below this size

_CALLS = {jex.primitives.jit_p: "jaxpr", jex.primitives.closed_call_p: "call_jaxpr",
          jex.primitives.custom_jvp_call_p: "call_jaxpr",
          jex.primitives.custom_vjp_call_p: "call_jaxpr"}


def batch_last(fun, lanes):
    """``fun`` of one run, transformed to take and return tiles with a trailing run axis.

    Args:
        fun: a function of arrays (pytrees) for one run.
        lanes: a pytree prefix of ``fun``'s positional arguments (like `jax.vmap`'s
            ``in_axes``): True where the leaves carry a trailing run axis, False where they are
            shared by every run.

    Returns:
        A function of the same arguments whose results carry a trailing run axis of the tile's
        width (results that do not depend on the runs are broadcast along it).
    """
    def transformed(*args):
        flags = _broadcast_prefix(lanes, args)
        leaves, tree = jax.tree.flatten(args)
        widths = {leaf.shape[-1] for leaf, lane in zip(leaves, flags) if lane}
        if len(widths) != 1:
            raise ValueError(f"batch_last needs one tile width among the batched arguments; "
                             f"got {sorted(widths)}.")
        width = widths.pop()
        one_run = [jax.ShapeDtypeStruct(leaf.shape[:-1] if lane else leaf.shape, leaf.dtype)
                   for leaf, lane in zip(leaves, flags)]
        closed, out_shape = jax.make_jaxpr(
            lambda *flat: fun(*jax.tree.unflatten(tree, flat)), return_shape=True)(*one_run)
        values = _evaluate(closed.jaxpr, closed.consts, leaves, flags, width)
        return jax.tree.unflatten(jax.tree.structure(out_shape),
                                  [value if lane else _to_lanes(value, width)
                                   for value, lane in values])
    return transformed


def _broadcast_prefix(prefix, args) -> list[bool]:
    """The flattened lane flags of ``args`` from a prefix tree of booleans."""
    flags = []
    jax.tree.map(lambda flag, subtree: flags.extend([flag] * len(jax.tree.leaves(subtree))),
                 prefix, args, is_leaf=lambda node: isinstance(node, bool))
    return flags


def _to_lanes(value, width: int):
    """A shared value repeated along a new trailing run axis."""
    value = jnp.asarray(value)
    return lax.broadcast_in_dim(value, (*value.shape, width), tuple(range(value.ndim)))


def _evaluate(jaxpr, consts, args, flags, width: int) -> list[tuple]:
    """Evaluate ``jaxpr`` on (value, on lanes) pairs; returns the outputs' pairs."""
    env = {}

    def read(atom):
        if isinstance(atom, jex.Literal):
            return atom.val, False
        return env[atom]

    for var, const in zip(jaxpr.constvars, consts):
        env[var] = (const, False)
    for var, arg, flag in zip(jaxpr.invars, args, flags):
        env[var] = (arg, flag)
    for equation in jaxpr.eqns:
        inputs = [read(atom) for atom in equation.invars]
        outputs = _apply(equation, inputs, width)
        for var, output in zip(equation.outvars, outputs):
            env[var] = output
    return [read(atom) for atom in jaxpr.outvars]


def _apply(equation, inputs, width: int) -> list[tuple]:
    """One equation on (value, on lanes) inputs."""
    primitive, params = equation.primitive, equation.params
    values = [value for value, _ in inputs]
    flags = [flag for _, flag in inputs]
    if not any(flags):
        out = primitive.bind(*values, **primitive.get_bind_params(params))
        return [(o, False) for o in (out if primitive.multiple_results else [out])]
    if primitive in _CALLS:
        inner = params[_CALLS[primitive]]
        inner = inner if isinstance(inner, jex.ClosedJaxpr) else jex.ClosedJaxpr(inner, ())
        return _evaluate(inner.jaxpr, inner.consts, values, flags, width)
    if primitive is jex.primitives.dot_general_p and _fusable(params, values):
        return [(lane_product(values[0], values[1], flags[0], flags[1],
                              params["dimension_numbers"], params["preferred_element_type"]),
                 True)]
    per_run = [var.aval.shape for var in equation.invars]
    if (not primitive.multiple_results and all(shape == equation.outvars[0].aval.shape
                                               for shape in per_run)):
        # elementwise: the shared operands join the lanes, so the run axis stays last
        values = [value if flag else _to_lanes(value, width) for value, flag in inputs]
        flags = [True] * len(values)
    bind_params = primitive.get_bind_params(params)
    out = jax.vmap(lambda *operands: primitive.bind(*operands, **bind_params),
                   in_axes=[-1 if flag else None for flag in flags], out_axes=-1,
                   axis_size=width)(*values)
    return [(o, True) for o in (out if primitive.multiple_results else [out])]


def _fusable(params, values) -> bool:
    """Whether a dot_general becomes a fused multiply-and-sum: floating operands."""
    return all(jnp.issubdtype(v.dtype, jnp.floating) for v in values)


def lane_product(lhs, rhs, lhs_lanes: bool, rhs_lanes: bool, dimension_numbers,
                 preferred_element_type=None):
    """``lax.dot_general`` for one run, computed on tiles as a broadcast multiply-and-sum.

    Each operand is brought to (batch, free, contraction[, runs]) order; the product is
    Σ_k lhs[b, m, k, r] · rhs[b, k, n, r], summed over chunks of the contraction whose broadcast
    product stays below `FUSED_ELEMENTS`, the size up to which XLA:CPU emits one vectorised
    loop over the tile (measured: larger ones ran up to 12× slower), and the chunks' sums are
    added pairwise.

    Returns:
        The product in dot_general's order (batch, lhs free, rhs free) with the run axis last.
    """
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
    lhs_rank, rhs_rank = lhs.ndim - lhs_lanes, rhs.ndim - rhs_lanes
    lhs_free = [d for d in range(lhs_rank) if d not in lhs_contract and d not in lhs_batch]
    rhs_free = [d for d in range(rhs_rank) if d not in rhs_contract and d not in rhs_batch]
    batch_shape = [lhs.shape[d] for d in lhs_batch]
    lhs_free_shape = [lhs.shape[d] for d in lhs_free]
    rhs_free_shape = [rhs.shape[d] for d in rhs_free]

    def arrange(operand, lanes, order):
        operand = jnp.transpose(operand, (*order, *([operand.ndim - 1] if lanes else [])))
        return operand if lanes else operand[..., None]

    dtype = preferred_element_type or jnp.result_type(lhs, rhs)
    a = arrange(lhs, lhs_lanes, (*lhs_batch, *lhs_free, *lhs_contract)).astype(dtype)
    b = arrange(rhs, rhs_lanes, (*rhs_batch, *rhs_contract, *rhs_free)).astype(dtype)
    n_batch, n_runs = len(batch_shape), max(a.shape[-1], b.shape[-1])
    m, n = math.prod(lhs_free_shape), math.prod(rhs_free_shape)
    k = math.prod(lhs.shape[d] for d in lhs_contract)
    a = a.reshape(*batch_shape, m, k, a.shape[-1])
    b = b.reshape(*batch_shape, k, n, b.shape[-1])
    per_index = math.prod(batch_shape) * m * n * n_runs
    chunk = max(1, min(k, (FUSED_ELEMENTS - 1) // per_index))
    n_chunks = -(-k // chunk)
    chunk = -(-k // n_chunks)
    parts = [jnp.sum(a[..., start:start + chunk, None, :] * b[..., None, start:start + chunk,
                                                             :, :], axis=n_batch + 1)
             for start in range(0, k, chunk)]
    while len(parts) > 1:
        parts = [parts[i] + parts[i + 1] if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    out = parts[0]
    return out.reshape(*batch_shape, *lhs_free_shape, *rhs_free_shape, n_runs)
