"""Structural-form environments (docs/theory.md §5.9), coherent categories in noise (§5.5) and a
tree with level-specific distinctive features (the derived basic-level check of §5.6).

Graph-Gaussian structural forms (Kemp & Tenenbaum 2008, [unverified] that S1 uses them): the
items are the nodes of a graph G with Laplacian Δ = D − A (unit edge weights), and each of the
N_f features is an independent draw

    y ~ N(0, K),    K = (Δ + I/σ²)^{-1},

so features vary smoothly over the graph and Yᵀ Y / N_f → K. The object analyzers of such data
are the eigenvectors of Δ (ring: Fourier modes, chain: DCT-II, grid: products of chain modes,
tree: Haar-like wavelets, clusters: cluster indicators first), and the singular values of
Σyx = Y/P are ≈ sqrt(N_f λ_k)/P with λ_k = 1/(μ_k + 1/σ²) the eigenvalues of K (μ_k those of
Δ); `semjax.theory.structural_spectrum` gives them analytically for rings, chains and grids,
`form_covariance` gives K for every form here.

Sampling is host-side float64 from one draw Z of i.i.d. standard normals made with
`jax.random.normal` (float64 when ``jax_enable_x64`` is on, else float32, then cast): with
K = L Lᵀ the Cholesky factorisation, Y = Z Lᵀ (features are rows), so the sample is a
deterministic function of the key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.datasets._dataset import Dataset
from semjax.datasets._trees import _check_tree, _node_paths

# ------------------------------------------------------------------------------ graphs


def _laplacian(n_nodes: int, edges) -> np.ndarray:
    """Δ = D − A of the undirected graph on ``n_nodes`` nodes with unit-weight ``edges``."""
    adjacency = np.zeros((n_nodes, n_nodes))
    for a, b in edges:
        adjacency[a, b] = adjacency[b, a] = 1.0
    return np.diag(adjacency.sum(axis=1)) - adjacency


def _cluster_sizes(n_items: int, n_clusters: int) -> list[int]:
    """Sizes of ``n_clusters`` contiguous clusters as equal as possible (larger ones first)."""
    base, extra = divmod(n_items, n_clusters)
    return [base + (k < extra) for k in range(n_clusters)]


def _ring_graph(n_items):
    n = _validation.positive_int("n_items", n_items, minimum=3)
    return n, [(i, (i + 1) % n) for i in range(n)], [f"node{i}" for i in range(n)]


def _chain_graph(n_items):
    n = _validation.positive_int("n_items", n_items, minimum=2)
    return n, [(i, i + 1) for i in range(n - 1)], [f"node{i}" for i in range(n)]


def _grid_sides(shape) -> tuple[int, int]:
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or len(shape) != 2:
        raise ValueError(f"shape must be a pair (m1, m2) of integers >= 1 (rows, columns); "
                         f"got {shape!r}.")
    rows, cols = (_validation.positive_int(f"shape[{axis}]", side)
                  for axis, side in enumerate(shape))
    if rows * cols < 2:
        raise ValueError(f"shape must give at least two items; got {shape!r}.")
    return rows, cols


def _grid_graph(shape):
    rows, cols = _grid_sides(shape)
    node = lambda r, c: r * cols + c  # noqa: E731  (row-major, as semjax.theory)
    edges = [(node(r, c), node(r, c + 1)) for r in range(rows) for c in range(cols - 1)]
    edges += [(node(r, c), node(r + 1, c)) for r in range(rows - 1) for c in range(cols)]
    names = [f"node({r},{c})" for r in range(rows) for c in range(cols)]
    return rows * cols, edges, names


def _clusters_graph(n_items, n_clusters):
    n_clusters = _validation.positive_int("n_clusters", n_clusters)
    n = _validation.positive_int("n_items", n_items, minimum=2)
    if n_clusters > n:
        raise ValueError(f"n_clusters must be <= n_items = {n}; got {n_clusters}.")
    edges, names, start = [], [], 0
    for cluster, size in enumerate(_cluster_sizes(n, n_clusters)):
        members = range(start, start + size)
        edges += [(a, b) for a in members for b in members if a < b]
        names += [f"cluster{cluster}.{j}" for j in range(size)]
        start += size
    return n, edges, names


def _tree_graph(branching, depth):
    """All nodes of the regular tree in level order (as `semjax.datasets.regular_tree`), edges
    child–parent; the items are the B^D leaves, the last nodes."""
    branching, depth = _check_tree(branching, depth)
    offsets = np.cumsum([0] + [branching ** level for level in range(depth + 1)])
    edges = [(offsets[level] + k, offsets[level - 1] + k // branching)
             for level in range(1, depth + 1) for k in range(branching ** level)]
    return int(offsets[-1]), edges, _node_paths(branching, depth)


_GRAPHS = {
    "ring": (_ring_graph, ("n_items",)),
    "chain": (_chain_graph, ("n_items",)),
    "grid": (_grid_graph, ("shape",)),
    "clusters": (_clusters_graph, ("n_items", "n_clusters")),
    "tree": (_tree_graph, ("branching", "depth")),
}


def _form(form: str, sigma2, size: dict) -> tuple[np.ndarray, list[str]]:
    """(K over the items, item names) of a form; ``size`` holds the form's size arguments."""
    _validation.choice("form", form, tuple(_GRAPHS))
    build, wanted = _GRAPHS[form]
    if set(size) != set(wanted):
        raise ValueError(f"form={form!r} takes the size arguments {', '.join(wanted)}; got "
                         f"{', '.join(sorted(size)) or 'none'}.")
    sigma2 = _validation.positive_float("sigma2", sigma2)
    n_nodes, edges, names = build(*(size[name] for name in wanted))
    covariance = np.linalg.inv(_laplacian(n_nodes, edges) + np.eye(n_nodes) / sigma2)
    items = slice(n_nodes - len(names), n_nodes)  # leaves of a tree; every node otherwise
    covariance = covariance[items, items]
    return 0.5 * (covariance + covariance.T), names


def form_covariance(form: str, *, sigma2: float = 1.0, **size) -> np.ndarray:
    """The item covariance K of a graph-Gaussian structural form (docs/theory.md §5.9).

    K = (Δ + I/σ²)^{-1} for the form's graph (unit edge weights); for ``"tree"`` it is the
    leaf block of that matrix over all the tree's nodes, i.e. the covariance of the leaves
    with the internal nodes marginalised out. Expected Yᵀ Y / N_f of the matching generator.

    Args:
        form: ``"ring"``, ``"chain"``, ``"grid"``, ``"clusters"`` or ``"tree"``.
        sigma2: σ² > 0.
        **size: the generator's size arguments: ``n_items`` (ring, chain), ``shape`` (grid),
            ``n_items, n_clusters`` (clusters), ``branching, depth`` (tree).

    Returns:
        K, float64 (P, P), symmetric positive definite, items in the generator's order.

    Raises:
        TypeError, ValueError: unknown form, missing or extra size arguments, or bad values.
    """
    return _form(form, sigma2, size)[0]


def _sample(key, form: str, n_features, sigma2, size: dict) -> Dataset:
    key = _validation.prng_key("key", key)
    n_features = _validation.positive_int("n_features", n_features)
    covariance, names = _form(form, sigma2, size)
    factor = np.linalg.cholesky(covariance)
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    draws = np.asarray(jax.random.normal(key, (n_features, len(names)), dtype), np.float64)
    return Dataset.from_arrays(draws @ factor.T, item_names=names,
                               property_names=[f"feature{k}" for k in range(n_features)],
                               name=form)


# ---------------------------------------------------------------------- structural forms


def ring(key, *, n_items: int, n_features: int, sigma2: float = 1.0) -> Dataset:
    """Features smooth on a ring (cycle of ``n_items`` nodes), y ~ N(0, (Δ + I/σ²)^{-1}).

    Object analyzers: the Fourier modes of the cycle (constant, then cos/sin pairs of
    frequency k with Laplacian eigenvalue μ_k = 2 − 2cos(2πk/n)); see
    `semjax.theory.structural_spectrum("ring", n)`.

    Args:
        key: a JAX PRNG key; the sample is a deterministic function of it.
        n_items: n >= 3 nodes (items), ``node0`` … ``node{n-1}`` around the ring.
        n_features: N_f >= 1 independent features (rows of the targets).
        sigma2: σ² > 0, the prior variance scale (large σ²: smoother features).

    Returns:
        A `Dataset` named ``"ring"`` with float64 targets (N_f × n) and one-hot inputs.
    """
    return _sample(key, "ring", n_features, sigma2, {"n_items": n_items})


def chain(key, *, n_items: int, n_features: int, sigma2: float = 1.0) -> Dataset:
    """Features smooth on a chain (linear order, path of ``n_items`` nodes).

    Object analyzers: DCT-II modes cos(πk(i + ½)/n), μ_k = 2 − 2cos(πk/n); see
    `semjax.theory.structural_spectrum("chain", n)`. Arguments and return as `ring`
    (n_items >= 2; dataset name ``"chain"``).
    """
    return _sample(key, "chain", n_features, sigma2, {"n_items": n_items})


def grid(key, *, shape, n_features: int, sigma2: float = 1.0) -> Dataset:
    """Features smooth on an m1 × m2 grid (Cartesian product of two chains), nodes row-major.

    Object analyzers: products of the two chains' DCT modes, Laplacian eigenvalues the sums
    μ_a + μ_b; see `semjax.theory.structural_spectrum("grid", shape=shape)`.

    Args:
        key: a JAX PRNG key.
        shape: (m1, m2), rows and columns (m1 m2 >= 2); item (r, c) is ``node(r,c)``, index
            r m2 + c.
        n_features: N_f >= 1.
        sigma2: σ² > 0.

    Returns:
        A `Dataset` named ``"grid"`` with float64 targets (N_f × m1 m2) and one-hot inputs.
    """
    return _sample(key, "grid", n_features, sigma2, {"shape": shape})


def clusters(key, *, n_items: int, n_clusters: int, n_features: int,
             sigma2: float = 1.0) -> Dataset:
    """Features on a block (cluster) structure: ``n_clusters`` disjoint cliques.

    The graph: items are split into ``n_clusters`` contiguous clusters of sizes as equal as
    possible (the first n_items mod n_clusters clusters one larger); every pair inside a
    cluster is joined by a unit edge, and there are no edges between clusters. So K is
    block-diagonal: for a cluster of size m, K = σ² J/m + (I − J/m)/(m + 1/σ²) (J the all-ones
    block), features are independent across clusters and correlated within. Object analyzers:
    the cluster indicators (eigenvalue σ² each, one per cluster), then within-cluster
    contrasts (1/(m + 1/σ²)).

    Args:
        key: a JAX PRNG key.
        n_items: P >= 2 items, named ``cluster{k}.{j}`` (item j of cluster k).
        n_clusters: 1 <= n_clusters <= P.
        n_features: N_f >= 1.
        sigma2: σ² > 0.

    Returns:
        A `Dataset` named ``"clusters"`` with float64 targets (N_f × P) and one-hot inputs.
    """
    return _sample(key, "clusters", n_features, sigma2,
                   {"n_items": n_items, "n_clusters": n_clusters})


def tree(key, *, branching: int, depth: int, n_features: int, sigma2: float = 1.0) -> Dataset:
    """Features smooth on a regular tree; the items are its leaves.

    Construction: the graph is the whole rooted tree with branching factor B and depth D
    (root, internal nodes and the P = B^D leaves, unit edges child–parent). A feature is a
    graph-Gaussian field on all the nodes, N(0, (Δ_tree + I/σ²)^{-1}), observed at the leaves
    only; the internal nodes are marginalised, so the items' covariance is the leaf block of
    (Δ_tree + I/σ²)^{-1} (`form_covariance("tree", ...)`). By the tree's symmetry this depends
    only on the level of the leaves' lowest common ancestor, so the object analyzers are the
    Haar-like wavelets of `semjax.theory.hierarchy_modes` (coarse splits strongest). Leaves are
    ordered and named as in `semjax.datasets.branching_diffusion` (path, e.g. ``"0.1.1"``).

    Args:
        key: a JAX PRNG key.
        branching: B >= 2.
        depth: D >= 1.
        n_features: N_f >= 1.
        sigma2: σ² > 0.

    Returns:
        A `Dataset` named ``"tree"`` with float64 targets (N_f × B^D) and one-hot inputs.
    """
    return _sample(key, "tree", n_features, sigma2, {"branching": branching, "depth": depth})


# ---------------------------------------------------------------- coherence and basic level


def coherent_category(key, *, n_items: int, n_features: int, category_items: int,
                      category_features: int, noise_variance: float) -> Dataset:
    """A coherent category embedded in noise (docs/theory.md §5.5): Y = block + noise.

    Y (N_f × N_o) has ones on the first K_f = ``category_features`` features of the first
    K_o = ``category_items`` items (the category: items ``member0`` … and features
    ``shared0`` …; the rest are ``item{i}`` and ``feature{k}``), plus i.i.d. N(0, σ²) noise on
    every entry. The block alone has singular value θ = sqrt(K_o K_f); it separates from the
    noise bulk iff the coherence K_o K_f / sqrt(N_o N_f) exceeds σ² (`semjax.theory.coherence`,
    `coherence_threshold`, `category_singular_value`).

    Args:
        key: a JAX PRNG key (the noise draw).
        n_items: N_o >= 1.
        n_features: N_f >= 1.
        category_items: K_o, 1 <= K_o <= N_o.
        category_features: K_f, 1 <= K_f <= N_f.
        noise_variance: σ² >= 0 (0 gives the clean block).

    Returns:
        A `Dataset` named ``"coherent_category"`` with float64 targets and one-hot inputs.
    """
    key = _validation.prng_key("key", key)
    sizes = {}
    for name, value, total in (("n_items", n_items, None), ("n_features", n_features, None),
                               ("category_items", category_items, "n_items"),
                               ("category_features", category_features, "n_features")):
        sizes[name] = _validation.positive_int(name, value)
        if total is not None and sizes[name] > sizes[total]:
            raise ValueError(f"{name} must be <= {total} = {sizes[total]}; got {sizes[name]}.")
    sigma = math.sqrt(_validation.positive_float("noise_variance", noise_variance,
                                                 allow_zero=True))
    shape = (sizes["n_features"], sizes["n_items"])
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    targets = sigma * np.asarray(jax.random.normal(key, shape, dtype), np.float64)
    targets[:sizes["category_features"], :sizes["category_items"]] += 1.0
    k_items, k_features = sizes["category_items"], sizes["category_features"]
    return Dataset.from_arrays(
        targets,
        item_names=[f"member{i}" if i < k_items else f"item{i}" for i in range(shape[1])],
        property_names=[f"shared{k}" if k < k_features else f"feature{k}"
                        for k in range(shape[0])],
        name="coherent_category")


def level_contrast_tree(branching: int, depth: int, features_per_level, *,
                        shared_features: int = 0) -> Dataset:
    """A regular tree whose per-level counts of distinctive features set each level's strength.

    For every split level ℓ = 0 … D − 1 (the B^ℓ nodes at depth ℓ, each splitting into B
    children) and each of its nodes, every child c gets ``features_per_level[ℓ]`` copies of a
    distinctive feature: +1 on c's leaves, −1/(B − 1) on the leaves of c's siblings, 0
    elsewhere (zero mean inside the parent, like "has feathers vs the other animals").
    ``shared_features`` rows of ones are added (e.g. "can grow"). Because the features of a
    level only contrast siblings, YᵀY has the Haar-like eigenvectors of
    `semjax.theory.hierarchy_modes` with, exactly,

        split at level ℓ:  λ_ℓ = n_ℓ (B/(B − 1))² B^{D−ℓ−1},     uniform:  λ = n_shared B^D,

    so the counts n_ℓ choose which level has the largest singular value (sqrt(λ) in Y). With
    membership features (`regular_tree`, branching diffusion) a split's eigenvalue collects
    every finer level's features and coarse splits always dominate; this dataset is the
    derived basic-level check of docs/theory.md §5.6 (an intermediate level made strongest), not
    S1's formulation.

    Args:
        branching: B >= 2.
        depth: D >= 1.
        features_per_level: D non-negative integers n_0 … n_{D−1}.
        shared_features: n_shared >= 0 rows of ones.

    Returns:
        A `Dataset` named ``"level_contrast_tree"`` (one-hot inputs, items named by path,
        features ``"<child path> vs siblings #<copy>"`` and ``"shared #<copy>"``).

    Raises:
        TypeError, ValueError: bad sizes or counts, or no features at all.
    """
    branching, depth = _check_tree(branching, depth)
    if isinstance(features_per_level, (str, bytes)) or not isinstance(features_per_level,
                                                                       Sequence):
        raise TypeError(f"features_per_level must be a sequence of {depth} integers >= 0; got "
                        f"{features_per_level!r}.")
    if len(features_per_level) != depth:
        raise ValueError(f"features_per_level needs one count per split level (depth = "
                         f"{depth}); got {len(features_per_level)}.")
    counts = [_validation.positive_int(f"features_per_level[{level}]", n, minimum=0)
              for level, n in enumerate(features_per_level)]
    shared = _validation.positive_int("shared_features", shared_features, minimum=0)
    if sum(counts) + shared == 0:
        raise ValueError("level_contrast_tree needs at least one feature; all counts are 0.")
    n_items = branching ** depth
    leaves = np.arange(n_items)
    rows, names = [np.ones(n_items)] * shared, [f"shared #{k}" for k in range(shared)]
    for level, count in enumerate(counts):
        parent = leaves // branching ** (depth - level)
        child = leaves // branching ** (depth - level - 1)
        for node, path in enumerate(_node_paths(branching, level + 1)):
            inside = parent == node // branching
            row = np.where(child == node, 1.0, np.where(inside, -1.0 / (branching - 1), 0.0))
            rows += [row] * count
            names += [f"{path} vs siblings #{k}" for k in range(count)]
    return Dataset.from_arrays(np.stack(rows), item_names=_node_paths(branching, depth),
                               property_names=names, name="level_contrast_tree")
