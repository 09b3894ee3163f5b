"""Hierarchical environments on a regular tree (docs/theory.md §4.5).

Items are the P = B^D leaves of a rooted tree with branching factor B and depth D. Nodes are
ordered level by level (root first) and, within a level, by their path from the root; leaf i
is the node whose path is the base-B expansion of i with D digits. A node at level l with
index k lies above leaves k B^(D-l) .. (k + 1) B^(D-l) - 1.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.datasets._dataset import Dataset


def _check_tree(branching, depth) -> tuple[int, int]:
    return (_validation.positive_int("branching", branching, minimum=2),
            _validation.positive_int("depth", depth, minimum=1))


def _node_paths(branching: int, level: int) -> list[str]:
    """Paths ``"d1.d2..."`` of the B^level nodes at ``level`` (the root's path is ``""``)."""
    return [".".join(str(int(d)) for d in np.unravel_index(k, (branching,) * level))
            for k in range(branching ** level)]


def _ancestors(branching: int, depth: int) -> np.ndarray:
    """A[n, i] = 1 if node n lies on the path from the root to leaf i (node n is above i).

    Shape (n_nodes, P), n_nodes = sum_{l=0}^{D} B^l, nodes in level order.
    """
    n_items = branching ** depth
    leaves = np.arange(n_items)
    return np.concatenate([
        (leaves // branching ** (depth - level) == np.arange(branching ** level)[:, None])
        for level in range(depth + 1)
    ]).astype(np.int32)


def _lca_levels(branching: int, depth: int) -> np.ndarray:
    """l(i, j), the level of the lowest common ancestor of leaves i and j (l(i, i) = D).

    Two leaves share exactly the ancestors at levels 0..l(i, j), so l = (A^T A)_ij - 1.
    """
    ancestors = _ancestors(branching, depth)
    return ancestors.T @ ancestors - 1


def regular_tree(branching: int, depth: int, *, signed: bool = False) -> Dataset:
    """A deterministic tree-structured environment: one feature per node of a regular tree.

    Items are the P = B^D leaves; feature n is the membership indicator of node n,
    Y[n, i] = 1 if leaf i lies under node n (the node itself included) else 0, for all
    sum_{l=0}^{D} B^l nodes from the root (level 0) to the leaves (level D). Every item
    therefore has D + 1 features on. This is the noiseless limit of the branching-diffusion
    model (docs/theory.md §4.5; cf. the ISA hierarchy of S8).

    Args:
        branching: B >= 2, children per internal node.
        depth: D >= 1, number of levels below the root.
        signed: map 0 -> -1, so Y[n, i] = +1 under node n and -1 elsewhere.

    Returns:
        A `Dataset` named ``"regular_tree"`` with one-hot inputs, items named by their path
        (e.g. ``"0.1.1"``) and features ``"node root"``, ``"node 0"``, ``"node 0.1"``, ...

    Raises:
        TypeError, ValueError: ``branching`` < 2 or ``depth`` < 1, or not an integer.
    """
    branching, depth = _check_tree(branching, depth)
    targets = _ancestors(branching, depth).astype(np.float64)
    if signed:
        targets = 2 * targets - 1
    node_names = ["node " + (path or "root")
                  for level in range(depth + 1) for path in _node_paths(branching, level)]
    return Dataset.from_arrays(targets, item_names=_node_paths(branching, depth),
                               property_names=node_names, name="regular_tree")


def branching_diffusion(key, *, branching: int, depth: int, n_features: int, flip: float,
                        root_flip: float = 0.5) -> Dataset:
    """Sample features from the hierarchical branching-diffusion process (docs/theory.md §4.5, S6).

    For each feature independently the root takes the sign -1 with probability ``root_flip``
    (else +1), and every non-root node flips its parent's sign with probability ε = ``flip``.
    Item i (a leaf) takes the resulting sign,

        y_i = (-1)^(sum_n A[n, i] f_n),   f_n ~ Bernoulli(root_flip if n is the root else ε),

    with A the node-above-leaf indicator matrix, so the whole sample is one Bernoulli draw and
    one integer matrix product. This equals S6's ``sample_from_tree`` (each node draws its own
    sign; leaf value = product along the path). The expected item-item correlation is
    `branching_diffusion_correlation`; S2's Fig. 3 used B = 2, D = 5, ε = 0.1.

    Args:
        key: a JAX PRNG key (``jax.random.key(seed)`` or ``jax.random.PRNGKey(seed)``); the
            sample is a deterministic function of it.
        branching: B >= 2, children per internal node.
        depth: D >= 1; there are P = B^D items.
        n_features: N3 >= 1, number of independently sampled features.
        flip: ε in [0, 1], per-edge sign-flip probability.
        root_flip: probability in [0, 1] that the root is -1 (S6 uses 1/2).

    Returns:
        A `Dataset` named ``"branching_diffusion"`` with float64 ±1 targets of shape
        (n_features, P), one-hot inputs, items named by path and features ``"feature0"``..

    Raises:
        TypeError, ValueError: an argument is out of range or of the wrong type; the message
            names it.
    """
    key = _validation.prng_key("key", key)
    branching, depth = _check_tree(branching, depth)
    n_features = _validation.positive_int("n_features", n_features)
    flip = _validation.probability("flip", flip)
    root_flip = _validation.probability("root_flip", root_flip)
    ancestors = _ancestors(branching, depth)
    flip_probability = jnp.full((ancestors.shape[0], 1), flip).at[0].set(root_flip)
    flips = jax.random.bernoulli(key, flip_probability, (ancestors.shape[0], n_features))
    parity = (jnp.asarray(ancestors.T) @ flips.astype(jnp.int32)) % 2
    targets = 1.0 - 2.0 * np.asarray(parity, dtype=np.float64).T
    return Dataset.from_arrays(targets, item_names=_node_paths(branching, depth),
                               property_names=[f"feature{k}" for k in range(n_features)],
                               name="branching_diffusion")


def branching_diffusion_correlation(branching: int, depth: int, flip: float) -> np.ndarray:
    """Exact expected item-item correlation of the branching-diffusion process.

    With q = (1 - 2ε)^2 (docs/theory.md §4.5, [derived]),

        M_ij = E[y_i y_j] = q^(D - l(i, j)),

    where l(i, j) is the level of the lowest common ancestor of leaves i and j (l(i, i) = D).
    The root's sign is shared by every item, so ``root_flip`` does not enter. M is
    ultrametric; its eigenvectors are the uniform vector and the Haar wavelets of the tree.

    Args:
        branching: B >= 2.
        depth: D >= 1.
        flip: ε in [0, 1].

    Returns:
        M, a float64 array of shape (P, P), P = B^D, items ordered as in `branching_diffusion`.
    """
    branching, depth = _check_tree(branching, depth)
    q = (1 - 2 * _validation.probability("flip", flip)) ** 2
    return q ** (depth - _lca_levels(branching, depth)).astype(np.float64)
