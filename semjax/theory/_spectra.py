"""Static spectra of structured environments: trees, graphs and noisy categories.

Host-side, pure numpy, float64. Every function checks its arguments on the host (errors name
the argument) and returns exact closed forms, so they serve as references for sampled data:

* Trees (docs/theory.md §4.5): eigenvalues, multiplicities and Haar-like eigenvectors of the
  branching-diffusion item correlation M_ij = q^{D − ℓ(i, j)}, and the singular values of Σyx
  they imply (`hierarchy_spectrum`, `hierarchy_modes`, `hierarchy_singular_values`).
* Structural forms (docs/theory.md §5.9): ring, chain and grid graphs, their Laplacian Δ and the
  spectrum of the graph-Gaussian feature covariance K = (Δ + I/σ²)^{-1}
  (`graph_laplacian`, `structural_spectrum`), and for any K the object analyzers and singular
  values of Σyx it predicts (`covariance_modes`).
* Category coherence (docs/theory.md §5.5): a K_o-item, K_f-feature block of ones in i.i.d. noise;
  coherence, the BBP detection threshold, the outlier's singular value and the noise bulk edge
  (`coherence`, `coherence_threshold`, `category_singular_value`, `noise_bulk_edge`), and
  how well its object analyzer finds the category (`category_overlap`).
* Low-rank approximation (docs/theory.md §6 B): the Eckart–Young error of the truncated SVD
  (`truncation_error`).

Items of a tree are ordered as in `semjax.datasets` (leaf i is the base-B expansion of i), and
grid nodes row-major (node (r, c) of an m1 × m2 grid is r·m2 + c).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from semjax import _validation
from semjax.datasets._trees import _check_tree

_NORMALISATIONS = ("mean", "sum")
_FORMS = ("ring", "chain", "grid")

# ------------------------------------------------------------------------------ trees (§4.5)


class HierarchySpectrum(NamedTuple):
    """Distinct eigenvalues of the branching-diffusion item correlation M, one per level.

    Attributes:
        levels: int array (D + 1,): −1 for the root (uniform) mode, then the split levels
            0 … D − 1 (level ℓ: the splits of the B^ℓ nodes at depth ℓ into their children).
        eigenvalues: λ per level, shape (D + 1,), non-increasing (coarse splits first).
        multiplicities: int array (D + 1,): 1, then B^ℓ (B − 1); they sum to P = B^D.
    """

    levels: np.ndarray
    eigenvalues: np.ndarray
    multiplicities: np.ndarray

    def all_eigenvalues(self) -> np.ndarray:
        """The P eigenvalues of M, each repeated by its multiplicity, sorted descending.

        The order is that of the columns of `hierarchy_modes` (root, level 0, level 1, …): the
        levels are already non-increasing, λ_{ℓ−1} − λ_ℓ = (Bq)^{D−ℓ} (1 − q) ≥ 0 and
        λ_root − λ_0 = (Bq)^D.
        """
        return np.repeat(self.eigenvalues, self.multiplicities)

    def column_levels(self) -> np.ndarray:
        """The level (−1 for the root) of each of the P columns of `hierarchy_modes`."""
        return np.repeat(self.levels, self.multiplicities)


def hierarchy_spectrum(branching: int, depth: int, flip: float) -> HierarchySpectrum:
    """Exact eigen-structure of M_ij = E[y_i y_j] = q^{D − ℓ(i, j)}, q = (1 − 2ε)².

    docs/theory.md §4.5 [derived]: with

        S(k) = 1 + ((B − 1)/B) Σ_{j=1}^{D−k} (Bq)^j,

    the uniform mode has λ_root = S(0) (multiplicity 1) and the splits at level ℓ = 0 … D − 1
    have λ_ℓ = S(ℓ) − (Bq)^{D−ℓ} (multiplicity B^ℓ (B − 1)); the finest is λ_{D−1} = 1 − q.
    M is `semjax.datasets.branching_diffusion_correlation`; its eigenvectors are
    `hierarchy_modes`.

    Args:
        branching: B >= 2, children per internal node.
        depth: D >= 1; there are P = B^D items.
        flip: ε in [0, 1], per-edge sign-flip probability.

    Returns:
        A `HierarchySpectrum` (levels, eigenvalues, multiplicities), root first.

    Raises:
        TypeError, ValueError: an argument out of range or of the wrong type (named).
    """
    branching, depth = _check_tree(branching, depth)
    q = (1.0 - 2.0 * _validation.probability("flip", flip)) ** 2
    growth = branching * q

    def partial_sum(k: int) -> float:  # S(k)
        return 1.0 + (branching - 1) / branching * sum(growth ** j for j in range(1, depth - k + 1))

    splits = [partial_sum(level) - growth ** (depth - level) for level in range(depth)]
    return HierarchySpectrum(
        levels=np.arange(-1, depth),
        eigenvalues=np.array([partial_sum(0), *splits], dtype=np.float64),
        multiplicities=np.array([1] + [branching ** level * (branching - 1)
                                       for level in range(depth)]),
    )


def _contrasts(size: int) -> np.ndarray:
    """Orthonormal basis (size × (size − 1), columns) of the vectors in R^size summing to zero
    (Helmert contrasts: column j is (1, …, 1, −j, 0, …, 0)/sqrt(j(j + 1)) with j ones)."""
    basis = np.zeros((size, size - 1))
    for j in range(1, size):
        basis[:j, j - 1] = 1.0
        basis[j, j - 1] = -float(j)
        basis[:, j - 1] /= math.sqrt(j * (j + 1))
    return basis


def hierarchy_modes(branching: int, depth: int) -> np.ndarray:
    """Orthonormal Haar-like eigenvectors of every tree-structured (ultrametric) item matrix.

    docs/theory.md §4.5 [derived] (and §5.9, tree form): column 0 is the uniform vector 1/sqrt(P);
    then, level by level (ℓ = 0 … D − 1) and node by node within a level, the B − 1 split
    contrasts of that node: constant on each of its B child subtrees (B^{D−ℓ−1} leaves each),
    summing to zero, zero outside its subtree. Within a node the contrasts are the Helmert
    basis of the sum-zero vectors of R^B, scaled to unit norm, so V is orthogonal and
    deterministic. Columns match `HierarchySpectrum.all_eigenvalues()`:
    M V = V diag(all_eigenvalues) for M = `branching_diffusion_correlation` (any ε), and items
    are ordered as in `semjax.datasets`.

    Args:
        branching: B >= 2.
        depth: D >= 1.

    Returns:
        V, float64 (P, P), P = B^D, orthonormal columns.

    Raises:
        TypeError, ValueError: ``branching`` or ``depth`` out of range or not an integer.
    """
    branching, depth = _check_tree(branching, depth)
    n_items = branching ** depth
    contrasts = _contrasts(branching)
    columns = [np.full((n_items, 1), 1.0 / math.sqrt(n_items))]
    for level in range(depth):
        child_size = branching ** (depth - level - 1)
        # Each child subtree is a contiguous run of child_size leaves: the pattern over the
        # B children, repeated child_size times, is the node's block; nodes tile the items.
        block = np.repeat(contrasts, child_size, axis=0) / math.sqrt(child_size)
        columns.append(np.kron(np.eye(branching ** level), block))
    return np.concatenate(columns, axis=1)


def hierarchy_singular_values(branching: int, depth: int, flip: float, n_features: int, *,
                              normalise: str = "mean") -> np.ndarray:
    """Expected singular values of Σyx for one-hot items of the branching-diffusion model.

    docs/theory.md §4.5 [derived]: E[YᵀY] = N_f M exactly, so the singular values whose squares are
    the eigenvalues of E[YᵀY] are sqrt(N_f λ_ℓ), and under the conventions of `semjax.task`

        s_ℓ = sqrt(N_f λ_ℓ) / P   ("mean": Σyx = Y/P),    s_ℓ = sqrt(N_f λ_ℓ)   ("sum").

    This is exact for E[YᵀY]; sampled data (`semjax.datasets.branching_diffusion`) fluctuate
    around it, with relative deviations of order sqrt(P/N_f) that also split each level's
    degenerate multiplet.

    Args:
        branching: B >= 2.
        depth: D >= 1.
        flip: ε in [0, 1].
        n_features: N_f >= 1, number of sampled features (rows of Y).
        normalise: ``"mean"`` (default) or ``"sum"``, as in `semjax.Task.from_dataset`.

    Returns:
        float64 array (D + 1,), one value per level in the order of `hierarchy_spectrum`
        (root, then levels 0 … D − 1); multiplicities as there.

    Raises:
        TypeError, ValueError: an argument out of range or of the wrong type (named).
    """
    spectrum = hierarchy_spectrum(branching, depth, flip)
    n_features = _validation.positive_int("n_features", n_features)
    _validation.choice("normalise", normalise, _NORMALISATIONS)
    scale = 1.0 / branching ** depth if normalise == "mean" else 1.0
    return scale * np.sqrt(n_features * spectrum.eigenvalues)


# ------------------------------------------------------------------ structural forms (§5.9)


class StructuralSpectrum(NamedTuple):
    """Spectrum of the graph-Gaussian feature covariance K = (Δ + I/σ²)^{-1}.

    Attributes:
        eigenvalues: eigenvalues of K, 1/(μ + 1/σ²), descending, shape (n,).
        eigenvectors: orthonormal eigenvectors of K (and of Δ) as columns, shape (n, n), in the
            order of ``eigenvalues``; these are the object analyzers of the form.
        laplacian_eigenvalues: the matching eigenvalues μ of Δ, ascending, shape (n,).
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    laplacian_eigenvalues: np.ndarray


def _grid_shape(form: str, n, shape) -> tuple[int, ...]:
    """Validate (form, n, shape) and return the factor sizes: (n,) or (m1, m2) for a grid."""
    _validation.choice("form", form, _FORMS)
    if form != "grid":
        if shape is not None:
            raise ValueError(f"shape is only used with form='grid'; got shape={shape!r} "
                             f"with form={form!r}. Pass n instead.")
        if n is None:
            raise ValueError(f"n is required for form={form!r} (the number of nodes).")
        return (_validation.positive_int("n", n, minimum=3 if form == "ring" else 1),)
    if shape is None:
        if n is None:
            raise ValueError("form='grid' needs n (a perfect square m*m) or shape=(m1, m2).")
        n = _validation.positive_int("n", n)
        side = math.isqrt(n)
        if side * side != n:
            raise ValueError(f"n must be a perfect square m*m for form='grid'; got n={n}. "
                             "Pass shape=(m1, m2) for a rectangular grid.")
        return (side, side)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise ValueError(f"shape must be a pair (m1, m2) of integers >= 1; got {shape!r}.")
    sides = tuple(_validation.positive_int(f"shape[{axis}]", side)
                  for axis, side in enumerate(shape))
    if n is not None and _validation.positive_int("n", n) != sides[0] * sides[1]:
        raise ValueError(f"n must equal m1*m2 = {sides[0] * sides[1]} for shape={sides}; "
                         f"got n={n}. Pass only one of them.")
    return sides


def _path_laplacian(size: int, *, closed: bool) -> np.ndarray:
    """Laplacian of the path on ``size`` nodes, or of the cycle when ``closed``."""
    adjacency = np.eye(size, k=1) + np.eye(size, k=-1)
    if closed:
        adjacency[0, -1] = adjacency[-1, 0] = 1.0
    return np.diag(adjacency.sum(axis=1)) - adjacency


def graph_laplacian(form: str, n: int | None = None, *, shape=None) -> np.ndarray:
    """The Laplacian Δ = D − A of a ring, chain or grid graph, built entry by entry.

    docs/theory.md §5.9: ring = cycle of n nodes (n >= 3), chain = path of n nodes, grid = the
    Cartesian product of two chains, Δ = Δ_{m1} ⊗ I + I ⊗ Δ_{m2}, nodes row-major. Unit edge
    weights. The explicit matrix lets `structural_spectrum`'s analytic modes be checked
    against a numeric eigendecomposition.

    Args:
        form: ``"ring"``, ``"chain"`` or ``"grid"``.
        n: number of nodes; for a grid a perfect square m*m unless ``shape`` is given.
        shape: ``(m1, m2)`` for a rectangular grid (rows, columns).

    Returns:
        Δ, float64 (n, n), symmetric, rows summing to zero.

    Raises:
        TypeError, ValueError: an unknown form, or n/shape invalid for it (named).
    """
    sides = _grid_shape(form, n, shape)
    if form != "grid":
        return _path_laplacian(sides[0], closed=form == "ring")
    rows, cols = sides
    return (np.kron(_path_laplacian(rows, closed=False), np.eye(cols))
            + np.kron(np.eye(rows), _path_laplacian(cols, closed=False)))


def _ring_modes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fourier modes of the n-cycle (columns) and μ_k = 2 − 2cos(2πk/n), ascending: the
    constant, then cos/sin pairs k = 1 … ⌈n/2⌉ − 1, then (−1)^i if n is even."""
    nodes = np.arange(n)
    columns, frequencies = [np.full(n, 1.0 / math.sqrt(n))], [0]
    for k in range(1, (n - 1) // 2 + 1):
        angle = 2 * np.pi * k * nodes / n
        columns += [math.sqrt(2.0 / n) * np.cos(angle), math.sqrt(2.0 / n) * np.sin(angle)]
        frequencies += [k, k]
    if n % 2 == 0:
        columns.append((-1.0) ** nodes / math.sqrt(n))
        frequencies.append(n // 2)
    return np.stack(columns, axis=1), 2 - 2 * np.cos(2 * np.pi * np.array(frequencies) / n)


def _chain_modes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """DCT-II modes of the n-path, cos(πk(i + ½)/n) normalised, and μ_k = 2 − 2cos(πk/n)."""
    k = np.arange(n)
    modes = np.cos(np.pi * np.outer(np.arange(n) + 0.5, k) / n) * math.sqrt(2.0 / n)
    modes[:, 0] = 1.0 / math.sqrt(n)
    return modes, 2 - 2 * np.cos(np.pi * k / n)


def structural_spectrum(form: str, n: int | None = None, *, sigma2: float = 1.0,
                        shape=None) -> StructuralSpectrum:
    """Analytic spectrum of K = (Δ + I/σ²)^{-1} for a ring, chain or grid (docs/theory.md §5.9).

    [derived] Features y ~ N(0, K) are smooth on the graph; K shares Δ's eigenvectors, with
    eigenvalues 1/(μ + 1/σ²), so low-frequency modes have the largest singular values
    (≈ sqrt(N_f/(μ + 1/σ²)) in Y) and are learned first:

    * ring (cycle of n): Fourier modes sqrt(2/n) cos(2πki/n), sqrt(2/n) sin(2πki/n) in
      degenerate pairs, plus the constant and, for even n, (−1)^i/sqrt(n);
      μ_k = 2 − 2cos(2πk/n);
    * chain (path of n): DCT-II modes cos(πk(i + ½)/n) (normalised), μ_k = 2 − 2cos(πk/n);
    * grid (m1 × m2, row-major): products of chain modes u_a ⊗ w_b, μ = μ_a + μ_b.

    Nothing is diagonalised numerically: check against `graph_laplacian`. Degenerate
    eigenvalues (ring pairs, (a, b) ↔ (b, a) in square grids, and accidental coincidences)
    leave the basis of their eigenspace a convention; compare eigenspaces by projectors.

    Args:
        form: ``"ring"``, ``"chain"`` or ``"grid"``.
        n: number of nodes (ring: >= 3); for a grid a perfect square m*m unless ``shape``.
        sigma2: σ² > 0, the prior variance scale in K = (Δ + I/σ²)^{-1}.
        shape: ``(m1, m2)`` for a rectangular grid.

    Returns:
        A `StructuralSpectrum` (eigenvalues of K descending, eigenvectors as columns,
        Laplacian eigenvalues ascending).

    Raises:
        TypeError, ValueError: an unknown form, or n/shape/sigma2 invalid (named).
    """
    sides = _grid_shape(form, n, shape)
    sigma2 = _validation.positive_float("sigma2", sigma2)
    if form == "ring":
        modes, laplacian = _ring_modes(sides[0])
    elif form == "chain":
        modes, laplacian = _chain_modes(sides[0])
    else:
        (row_modes, row_mu), (col_modes, col_mu) = _chain_modes(sides[0]), _chain_modes(sides[1])
        modes = np.kron(row_modes, col_modes)  # column a*m2 + b is u_a ⊗ w_b (row-major nodes)
        laplacian = np.add.outer(row_mu, col_mu).ravel()
    # Sort on rounded μ so exactly degenerate modes keep their construction order.
    order = np.argsort(np.round(laplacian, 12), kind="stable")
    laplacian = laplacian[order]
    return StructuralSpectrum(eigenvalues=1.0 / (laplacian + 1.0 / sigma2),
                              eigenvectors=modes[:, order], laplacian_eigenvalues=laplacian)


class CovarianceModes(NamedTuple):
    """Modes of the item covariance K of Gaussian features, and the singular values of Σyx
    they predict (`covariance_modes`).

    Attributes:
        eigenvalues: λ_k of K, descending, (P,).
        eigenvectors: orthonormal eigenvectors of K as columns, in that order, (P, P): the
            predicted object analyzers.
        singular_values: sqrt(N_f λ_k)/P ("mean") or sqrt(N_f λ_k) ("sum"), (P,).
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    singular_values: np.ndarray


def covariance_modes(covariance, n_features: int, *, basis=None,
                     normalise: str = "mean") -> CovarianceModes:
    """Predicted object analyzers and singular values of Σyx for features y ~ N(0, K) over the
    items (docs/theory.md §5.9 [derived]).

    With N_f i.i.d. features (rows of Y, N_f × P, one-hot items), E[YᵀY] = N_f K, so the data's
    object analyzers approach the eigenvectors of K and its singular values

        s_k = sqrt(N_f λ_k) / P   ("mean": Σyx = Y/P),    s_k = sqrt(N_f λ_k)   ("sum"),

    with relative fluctuations of order sqrt(P/N_f) in sampled data (as
    `hierarchy_singular_values` for trees).

    Args:
        covariance: K, symmetric positive semi-definite (P, P), e.g.
            `semjax.datasets.form_covariance`.
        n_features: N_f >= 1.
        basis: optional analytic eigenvectors of K as columns (P, P) (e.g. the Fourier modes
            of `structural_spectrum` or the Haar modes of `hierarchy_modes`); their
            eigenvalues are the Rayleigh quotients, and degenerate ones keep the basis's order.
            Default: a numerical eigendecomposition of K.
        normalise: ``"mean"`` (default) or ``"sum"``, as in `semjax.Task.from_dataset`.

    Returns:
        A `CovarianceModes`, eigenvalues descending.

    Raises:
        ValueError: ``covariance`` not a finite symmetric (P, P) matrix with eigenvalues ≥ 0,
            ``basis`` not orthonormal (P, P) eigenvectors of it, a bad ``n_features`` or
            ``normalise``.
    """
    covariance = _validation.finite_matrix("covariance", covariance)
    size = covariance.shape[0]
    scale = max(float(np.abs(covariance).max()), 1e-300)
    if covariance.shape != (size, size) or np.abs(covariance - covariance.T).max() > 1e-10 * scale:
        raise ValueError(f"covariance must be a symmetric (P, P) matrix; got shape "
                         f"{covariance.shape}.")
    n_features = _validation.positive_int("n_features", n_features)
    _validation.choice("normalise", normalise, _NORMALISATIONS)
    if basis is None:
        eigenvalues, vectors = np.linalg.eigh(covariance)
        eigenvalues, vectors = eigenvalues[::-1], vectors[:, ::-1]
    else:
        vectors = _validation.finite_matrix("basis", basis, shape=(size, size))
        if np.abs(vectors.T @ vectors - np.eye(size)).max() > 1e-9:
            raise ValueError("basis must have orthonormal columns.")
        projected = vectors.T @ covariance @ vectors
        eigenvalues = np.diag(projected).copy()
        if np.abs(projected - np.diag(eigenvalues)).max() > 1e-9 * scale:
            raise ValueError("basis must consist of eigenvectors of covariance (BᵀKB is not "
                             "diagonal); leave basis=None for a numerical eigenbasis.")
        order = np.argsort(-np.round(eigenvalues / scale, 12), kind="stable")
        eigenvalues, vectors = eigenvalues[order], vectors[:, order]
    if eigenvalues.min() < -1e-10 * scale:
        raise ValueError(f"covariance must be positive semi-definite; it has the eigenvalue "
                         f"{eigenvalues.min():.3g}.")
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    factor = 1.0 / size if normalise == "mean" else 1.0
    return CovarianceModes(eigenvalues=eigenvalues, eigenvectors=vectors,
                           singular_values=factor * np.sqrt(n_features * eigenvalues))


# ---------------------------------------------------------------- category coherence (§5.5)


def _category(n_items_in_category, n_features_in_category, n_items, n_features):
    """Validate the block sizes (K_o, K_f, N_o, N_f) and return them as ints."""
    n_items = _validation.positive_int("n_items", n_items)
    n_features = _validation.positive_int("n_features", n_features)
    k_items = _validation.positive_int("n_items_in_category", n_items_in_category)
    k_features = _validation.positive_int("n_features_in_category", n_features_in_category)
    if k_items > n_items:
        raise ValueError(f"n_items_in_category must be <= n_items = {n_items}; got {k_items}.")
    if k_features > n_features:
        raise ValueError(f"n_features_in_category must be <= n_features = {n_features}; "
                         f"got {k_features}.")
    return k_items, k_features, n_items, n_features


def coherence(n_items_in_category: int, n_features_in_category: int, n_items: int,
              n_features: int) -> float:
    """Category coherence C = K_o K_f / sqrt(N_o N_f) (docs/theory.md §5.5 [derived]).

    A block of ones on K_o of the N_o items and K_f of the N_f features has singular value
    θ = sqrt(K_o K_f) in Y; C = θ² / sqrt(N_o N_f) is its strength relative to the noise, and
    the category is detectable in noise of variance σ² iff C > σ² (`coherence_threshold`).

    Args:
        n_items_in_category: K_o, 1 <= K_o <= N_o.
        n_features_in_category: K_f, 1 <= K_f <= N_f.
        n_items: N_o, number of items (columns of Y).
        n_features: N_f, number of features (rows of Y).

    Raises:
        TypeError, ValueError: a size out of range or not an integer (named).
    """
    k_items, k_features, n_items, n_features = _category(
        n_items_in_category, n_features_in_category, n_items, n_features)
    return k_items * k_features / math.sqrt(n_items * n_features)


def coherence_threshold(noise_variance: float) -> float:
    """The coherence above which a category mode leaves the noise bulk: C* = σ².

    docs/theory.md §5.5 [derived] (rank-one BBP transition of Y = block + noise): the category's
    singular value separates from the bulk iff K_o K_f / sqrt(N_o N_f) > σ².

    Args:
        noise_variance: σ² > 0, variance of the i.i.d. noise entries of Y.
    """
    return _validation.positive_float("noise_variance", noise_variance)


def noise_bulk_edge(n_items: int, n_features: int, noise_variance: float) -> float:
    """Largest singular value of an N_f × N_o matrix of i.i.d. variance-σ² noise, σ(√N_f + √N_o).

    docs/theory.md §5.5 [derived] (Marchenko–Pastur edge, large N_o, N_f). A singular value of Y;
    divide by P = N_o for Σyx under the "mean" convention of `semjax.task`.

    Args:
        n_items: N_o >= 1.
        n_features: N_f >= 1.
        noise_variance: σ² > 0.
    """
    n_items = _validation.positive_int("n_items", n_items)
    n_features = _validation.positive_int("n_features", n_features)
    sigma = math.sqrt(_validation.positive_float("noise_variance", noise_variance))
    return sigma * (math.sqrt(n_features) + math.sqrt(n_items))


def category_singular_value(n_items_in_category: int, n_features_in_category: int,
                            n_items: int, n_features: int, noise_variance: float) -> float:
    """Predicted top singular value of Y = (block of ones) + noise (docs/theory.md §5.5 [derived]).

    Y is the N_f × N_o feature × item matrix: ones on K_f features × K_o items (θ = sqrt(K_o K_f))
    plus i.i.d. noise of variance σ². Asymptotically (rank-one BBP result):

    * above threshold, C = θ²/sqrt(N_o N_f) > σ²: the category's outlier singular value
          s = sqrt((θ² + σ² N_f)(θ² + σ² N_o)) / θ,
      which is > the bulk edge and increases with K_o and K_f;
    * at or below threshold: no outlier; the top singular value is the bulk edge
      σ(√N_f + √N_o) (`noise_bulk_edge`); the two branches meet continuously at C = σ².

    These are singular values of Y; under the "mean" convention of `semjax.task` (one-hot
    items, Σyx = Y/P with P = N_o) divide by N_o, under "sum" use them as they are.

    Args:
        n_items_in_category: K_o, 1 <= K_o <= N_o.
        n_features_in_category: K_f, 1 <= K_f <= N_f.
        n_items: N_o.
        n_features: N_f.
        noise_variance: σ² > 0.

    Raises:
        TypeError, ValueError: an argument out of range or of the wrong type (named).
    """
    k_items, k_features, n_items, n_features = _category(
        n_items_in_category, n_features_in_category, n_items, n_features)
    edge = noise_bulk_edge(n_items, n_features, noise_variance)
    variance = coherence_threshold(noise_variance)
    if coherence(k_items, k_features, n_items, n_features) <= variance:
        return edge
    theta2 = float(k_items * k_features)
    return math.sqrt((theta2 + variance * n_features) * (theta2 + variance * n_items) / theta2)


def category_overlap(n_items_in_category: int, n_features_in_category: int, n_items: int,
                     n_features: int, noise_variance: float) -> float:
    """Predicted overlap |vᵀe| of the category mode's object analyzer v with the normalised
    category indicator e over the items (docs/theory.md §5.5 [derived]).

    For Y = (block of ones on K_f features × K_o items) + i.i.d. noise of variance σ²
    (N_f × N_o), the rank-one spiked rectangular model (Benaych-Georges & Nadakuditi 2012)
    gives, above threshold (C = K_o K_f/sqrt(N_o N_f) > σ²),

        |vᵀe|² = 1 − (c + θ̃²) / (θ̃² (θ̃² + 1)),   θ̃² = K_o K_f/(σ² N_o),  c = N_f/N_o,

    which vanishes continuously at C = σ² and tends to 1 as C → ∞ (square Y: 1 − σ²/C);
    at or below threshold the top mode is a noise mode and the overlap is 0.

    Args:
        n_items_in_category: K_o, 1 <= K_o <= N_o.
        n_features_in_category: K_f, 1 <= K_f <= N_f.
        n_items: N_o.
        n_features: N_f.
        noise_variance: σ² > 0.

    Raises:
        TypeError, ValueError: an argument out of range or of the wrong type (named).
    """
    k_items, k_features, n_items, n_features = _category(
        n_items_in_category, n_features_in_category, n_items, n_features)
    variance = coherence_threshold(noise_variance)
    if coherence(k_items, k_features, n_items, n_features) <= variance:
        return 0.0
    spike = k_items * k_features / (variance * n_items)  # θ̃²
    aspect = n_features / n_items
    return math.sqrt(max(0.0, 1 - (aspect + spike) / (spike * (spike + 1))))


# ------------------------------------------------------------ low-rank approximation (§6 B)


def truncation_error(singular_values) -> np.ndarray:
    """Relative error of the best rank-r approximations, by the Eckart–Young theorem.

    The truncated SVD X_r = U_r S_r V_rᵀ keeps the r strongest modes and is the best rank-r
    approximation in Frobenius norm, with

        ‖X − X_r‖_F / ‖X‖_F = sqrt(Σ_{k>r} s_k²) / sqrt(Σ_k s_k²)

    (docs/theory.md §6 B: a deep network learning X passes through soft versions of X_r).

    Args:
        singular_values: the singular values s_1, …, s_n of X (any order, ≥ 0, not all 0).

    Returns:
        Array (n,): entry r − 1 is the relative error at rank r (the last is 0).

    Raises:
        ValueError: ``singular_values`` not a non-empty 1-D array of finite values ≥ 0, or all
            zero.
    """
    s = np.asarray(singular_values, dtype=np.float64)
    if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"singular_values must be a non-empty 1-D array of finite values "
                         f"≥ 0; got {s!r}.")
    if not np.any(s > 0):
        raise ValueError("singular_values must not all be 0 (the relative error of X = 0 is "
                         "undefined).")
    power = np.sort(s)[::-1] ** 2
    tail = np.cumsum(power[::-1])[::-1]  # Σ_{k≥r} s_k², r = 1 … n
    return np.sqrt(np.append(tail[1:], 0.0) / tail[0])
