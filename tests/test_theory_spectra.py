"""Tests for semjax.theory._spectra: tree spectra (docs/theory.md §4.5), structural forms (5.9) and
category coherence (5.5), each against direct eigendecomposition or sampled data."""

from __future__ import annotations

import itertools
import math

import jax
import numpy as np
import pytest

from semjax import Task, datasets
from semjax.theory import _spectra as spectra

TREES = [(2, 3, 0.15), (3, 2, 0.1), (2, 4, 0.05), (4, 2, 0.3)]


def _projector(columns) -> np.ndarray:
    """Orthogonal projector onto the span of the columns of ``columns``."""
    basis = np.linalg.qr(np.asarray(columns, dtype=np.float64))[0]
    return basis @ basis.T


def _eigh_descending(matrix):
    values, vectors = np.linalg.eigh(matrix)
    return values[::-1], vectors[:, ::-1]


def _degenerate_groups(values, tol=1e-9):
    """Index ranges [start, stop) of runs of equal (within ``tol``) entries of a sorted array."""
    breaks = np.flatnonzero(np.abs(np.diff(values)) > tol) + 1
    edges = [0, *breaks.tolist(), len(values)]
    return list(itertools.pairwise(edges))


# ------------------------------------------------------------ hierarchy (docs/theory.md §4.5)


@pytest.mark.parametrize("branching, depth, flip", TREES)
def test_hierarchy_spectrum_is_the_eigendecomposition(branching, depth, flip):
    spectrum = spectra.hierarchy_spectrum(branching, depth, flip)
    correlation = datasets.branching_diffusion_correlation(branching, depth, flip)
    values = np.linalg.eigvalsh(correlation)[::-1]
    np.testing.assert_allclose(spectrum.all_eigenvalues(), values, rtol=0, atol=1e-12)
    # Multiplicities: the numeric spectrum splits into runs of exactly these sizes.
    runs = [stop - start for start, stop in _degenerate_groups(values)]
    assert runs == spectrum.multiplicities.tolist()
    assert spectrum.multiplicities.tolist() == (
        [1] + [branching ** level * (branching - 1) for level in range(depth)])
    assert spectrum.levels.tolist() == list(range(-1, depth))
    np.testing.assert_array_equal(spectrum.column_levels(),
                                  np.repeat(spectrum.levels, spectrum.multiplicities))


@pytest.mark.parametrize("branching, depth, flip", TREES)
def test_hierarchy_modes_are_exact_eigenvectors(branching, depth, flip):
    spectrum = spectra.hierarchy_spectrum(branching, depth, flip)
    correlation = datasets.branching_diffusion_correlation(branching, depth, flip)
    modes = spectra.hierarchy_modes(branching, depth)
    n_items = branching ** depth
    assert modes.shape == (n_items, n_items)
    np.testing.assert_allclose(modes.T @ modes, np.eye(n_items), rtol=0, atol=1e-12)
    np.testing.assert_allclose(correlation @ modes, modes * spectrum.all_eigenvalues(),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(modes[:, 0], np.full(n_items, n_items ** -0.5), atol=1e-15)
    # Levels are degenerate: compare each level's eigenspace, not individual vectors.
    _, vectors = _eigh_descending(correlation)
    start = 0
    for level, multiplicity in zip(spectrum.levels, spectrum.multiplicities):
        expected = _projector(vectors[:, start:start + multiplicity])
        got = _projector(modes[:, spectrum.column_levels() == level])
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
        start += multiplicity


def test_hierarchy_modes_are_node_split_contrasts():
    # B = 3, D = 2 in the item order of semjax.datasets: the level-0 contrasts are constant on
    # the three child subtrees {0,1,2}, {3,4,5}, {6,7,8}; a level-1 contrast lives on one node.
    modes = spectra.hierarchy_modes(3, 2)
    level0 = modes[:, 1:3]
    np.testing.assert_allclose(level0.reshape(3, 3, 2).std(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(level0.sum(axis=0), 0, atol=1e-15)
    for column in modes[:, 3:].T:
        support = np.flatnonzero(np.abs(column) > 1e-12)
        assert len(set(support // 3)) == 1 and abs(column.sum()) < 1e-15


def test_hierarchy_level_gaps_and_limits():
    # λ_{l-1} − λ_l = (Bq)^{D-l}(1 − q), λ_root − λ_0 = (Bq)^D, finest λ = 1 − q = 4ε(1 − ε):
    # the levels are non-increasing for every ε, so all_eigenvalues() is sorted.
    branching, depth, flip = 3, 3, 0.2
    q = (1 - 2 * flip) ** 2
    values = spectra.hierarchy_spectrum(branching, depth, flip).eigenvalues
    gaps = [(branching * q) ** depth] + [(branching * q) ** (depth - level) * (1 - q)
                                         for level in range(1, depth)]
    np.testing.assert_allclose(-np.diff(values), gaps, rtol=1e-12)
    np.testing.assert_allclose(values[-1], 4 * flip * (1 - flip), rtol=1e-12)
    # ε = 1/2: independent items, M = I; ε = 0: identical items, M = all ones.
    np.testing.assert_allclose(spectra.hierarchy_spectrum(2, 3, 0.5).eigenvalues, 1, atol=1e-15)
    np.testing.assert_allclose(spectra.hierarchy_spectrum(2, 3, 0.0).eigenvalues,
                               [8, 0, 0, 0], atol=1e-12)


@pytest.mark.parametrize("normalise", ["mean", "sum"])
@pytest.mark.parametrize("branching, depth, flip", TREES)
def test_sampled_singular_values_match_expectation(branching, depth, flip, normalise):
    n_features = 40_000
    data = datasets.branching_diffusion(jax.random.key(7), branching=branching, depth=depth,
                                        n_features=n_features, flip=flip)
    sampled = np.linalg.svd(Task.from_dataset(data, normalise=normalise).sigma_yx,
                            compute_uv=False)
    expected = spectra.hierarchy_singular_values(branching, depth, flip, n_features,
                                                 normalise=normalise)
    multiplicities = spectra.hierarchy_spectrum(branching, depth, flip).multiplicities
    # YᵀY/N_f = M + E with E a sample-covariance fluctuation: a level of multiplicity m splits
    # into a Marchenko–Pastur-like multiplet of relative half-width ~2 sqrt(m/N_f) in λ, i.e.
    # sqrt(m/N_f) <= sqrt(P/N_f) in s, plus O(1/sqrt(N_f)) level shifts. Measured max
    # deviation over seeds 0..4: 0.5–1.3 sqrt(P/N_f); allow 3 sqrt(P/N_f) (6% at P = 16).
    rtol = 3 * math.sqrt(branching ** depth / n_features)
    start = 0
    for value, multiplicity in zip(expected, multiplicities):
        level = sampled[start:start + multiplicity]  # sorted descending, grouped by level
        np.testing.assert_allclose(level, value, rtol=rtol)
        start += multiplicity


@pytest.mark.parametrize("branching, depth, flip", [(2, 4, 0.05), (3, 2, 0.1)])
def test_progressive_differentiation_order(branching, depth, flip):
    n_features = 40_000
    expected = spectra.hierarchy_singular_values(branching, depth, flip, n_features)
    assert np.all(np.diff(expected) < -0.05 * expected[:-1])  # coarse > fine, well separated
    # The sample's singular-value multiplets, taken in descending order, span the root, level
    # 0, level 1, ... Haar spaces: coarse distinctions carry the larger sampled values. The
    # tolerance is the Davis–Kahan sin θ bound ||E|| / δ computed from the sample itself
    # (E = YᵀY/N_f − M, δ = distance from λ_l to the sample eigenvalues outside the multiplet),
    # a theorem, so only wrong modes or a wrong level order can fail it.
    targets = datasets.branching_diffusion(jax.random.key(3), branching=branching, depth=depth,
                                           n_features=n_features, flip=flip).targets
    sample = targets.T @ targets / n_features
    perturbation = np.linalg.norm(
        sample - datasets.branching_diffusion_correlation(branching, depth, flip), 2)
    values, vectors = _eigh_descending(sample)
    spectrum = spectra.hierarchy_spectrum(branching, depth, flip)
    modes = spectra.hierarchy_modes(branching, depth)
    start = 0
    for level, multiplicity, value in zip(spectrum.levels, spectrum.multiplicities,
                                          spectrum.eigenvalues):
        stop = start + multiplicity
        outside = np.abs(np.r_[values[:start], values[stop:]] - value).min()
        distance = np.linalg.norm(_projector(vectors[:, start:stop])
                                  - _projector(modes[:, spectrum.column_levels() == level]), 2)
        assert distance <= perturbation / outside < 0.5
        start = stop


# --------------------------------------------------------- structural forms (docs/theory.md §5.9)

FORMS = [("ring", 5, None), ("ring", 6, None), ("ring", 9, None), ("ring", 12, None),
         ("chain", 1, None), ("chain", 7, None), ("chain", 10, None),
         ("grid", 9, None), ("grid", 16, None), ("grid", None, (3, 5)), ("grid", None, (4, 1))]


@pytest.mark.parametrize("sigma2", [1.0, 0.3])
@pytest.mark.parametrize("form, n, shape", FORMS)
def test_structural_spectrum_matches_eigendecomposition(form, n, shape, sigma2):
    laplacian = spectra.graph_laplacian(form, n, shape=shape)
    size = len(laplacian)
    covariance = np.linalg.inv(laplacian + np.eye(size) / sigma2)
    result = spectra.structural_spectrum(form, n, sigma2=sigma2, shape=shape)
    values, vectors = _eigh_descending(covariance)
    np.testing.assert_allclose(result.eigenvalues, values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.laplacian_eigenvalues, np.linalg.eigvalsh(laplacian),
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.eigenvalues, 1 / (result.laplacian_eigenvalues + 1 / sigma2),
                               rtol=1e-14)
    modes = result.eigenvectors
    np.testing.assert_allclose(modes.T @ modes, np.eye(size), rtol=0, atol=1e-10)
    np.testing.assert_allclose(covariance @ modes, modes * result.eigenvalues, rtol=0, atol=1e-10)
    # Ring pairs, square-grid (a, b) <-> (b, a) and accidental coincidences are degenerate:
    # compare eigenspaces by projectors.
    for start, stop in _degenerate_groups(result.eigenvalues):
        np.testing.assert_allclose(_projector(modes[:, start:stop]),
                                   _projector(vectors[:, start:stop]), rtol=0, atol=1e-10)


def test_ring_modes_come_in_pairs():
    for n in (7, 8):
        mu = spectra.structural_spectrum("ring", n).laplacian_eigenvalues
        runs = [stop - start for start, stop in _degenerate_groups(mu)]
        assert runs == [1] + [2] * ((n - 1) // 2) + [1] * (n % 2 == 0)
        np.testing.assert_allclose(np.unique(mu.round(12)),
                                   2 - 2 * np.cos(2 * np.pi * np.arange(n // 2 + 1) / n),
                                   atol=1e-12)


def test_graph_laplacian_edges():
    ring, chain = spectra.graph_laplacian("ring", 6), spectra.graph_laplacian("chain", 6)
    np.testing.assert_array_equal(np.diag(ring), np.full(6, 2.0))
    np.testing.assert_array_equal(np.diag(chain), [1, 2, 2, 2, 2, 1])
    assert ring[0, 5] == -1 and chain[0, 5] == 0
    rows, cols = 3, 4
    grid = spectra.graph_laplacian("grid", shape=(rows, cols))
    for laplacian in (ring, chain, grid):
        np.testing.assert_array_equal(laplacian, laplacian.T)
        np.testing.assert_array_equal(laplacian.sum(axis=1), 0)
    # Row-major: node (r, c) is r*cols + c, neighbours (r, c ± 1) and (r ± 1, c).
    assert grid[1 * cols + 2, 1 * cols + 3] == -1 and grid[1 * cols + 2, 2 * cols + 2] == -1
    assert grid[0 * cols + 3, 1 * cols + 0] == 0  # end of a row is not next to the next row
    assert -np.triu(grid, 1).sum() == rows * (cols - 1) + cols * (rows - 1)


# ------------------------------------------------------ category coherence (docs/theory.md §5.5)


def _block_plus_noise(k_items, k_features, n_items, n_features, noise_variance, seed):
    rng = np.random.default_rng(seed)
    targets = math.sqrt(noise_variance) * rng.normal(size=(n_features, n_items))
    targets[:k_features, :k_items] += 1.0
    return targets


def _block_sizes(target_coherence, n_items, n_features):
    """(K_o, K_f) with K_o/K_f ≈ N_o/N_f and K_o K_f / sqrt(N_o N_f) ≈ target."""
    theta2 = target_coherence * math.sqrt(n_items * n_features)
    k_items = round(math.sqrt(theta2 * n_items / n_features))
    return k_items, round(theta2 / k_items)


def test_coherence_and_threshold_formulas():
    assert spectra.coherence(10, 20, 100, 400) == pytest.approx(200 / 200)
    assert spectra.coherence_threshold(0.25) == 0.25
    assert spectra.noise_bulk_edge(100, 400, 0.25) == pytest.approx(0.5 * (20 + 10))
    # Continuous at the threshold: K_o K_f = σ² sqrt(N_o N_f) = 1 * 200 gives the bulk edge.
    assert spectra.category_singular_value(10, 20, 100, 400, 1.0) == pytest.approx(30.0)
    assert spectra.category_singular_value(10, 21, 100, 400, 1.0) > 30.0
    assert spectra.category_singular_value(10, 19, 100, 400, 1.0) == 30.0  # below: the edge


def test_category_singular_value_is_monotone():
    n_items, n_features, noise_variance = 200, 400, 1.0
    edge = spectra.noise_bulk_edge(n_items, n_features, noise_variance)
    grid = np.array([[spectra.category_singular_value(k_o, k_f, n_items, n_features,
                                                      noise_variance)
                      for k_f in range(1, 400, 13)] for k_o in range(1, 200, 7)])
    assert np.all(np.diff(grid, axis=0) >= 0) and np.all(np.diff(grid, axis=1) >= 0)
    above = grid > edge
    assert above.any() and (~above).any() and np.all(grid[~above] == edge)
    # Strictly increasing wherever both neighbours are above threshold.
    assert np.all(np.diff(grid, axis=1)[above[:, :-1]] > 0)
    assert np.all(np.diff(grid, axis=0)[above[:-1, :]] > 0)
    # More noise raises the threshold: a fixed block can fall back into the bulk.
    assert spectra.coherence(20, 40, n_items, n_features) > 2.0
    assert spectra.category_singular_value(20, 40, n_items, n_features, 3.0) == pytest.approx(
        spectra.noise_bulk_edge(n_items, n_features, 3.0))


@pytest.mark.parametrize("noise_variance", [1.0, 0.5])
@pytest.mark.parametrize("n_items, n_features", [(200, 400), (400, 800)])
def test_sampled_category_mode_above_threshold(n_items, n_features, noise_variance):
    k_items, k_features = _block_sizes(4 * noise_variance, n_items, n_features)
    targets = _block_plus_noise(k_items, k_features, n_items, n_features, noise_variance, 0)
    top = np.linalg.svd(targets, compute_uv=False)[0]
    predicted = spectra.category_singular_value(k_items, k_features, n_items, n_features,
                                                noise_variance)
    edge = spectra.noise_bulk_edge(n_items, n_features, noise_variance)
    # An outlier singular value fluctuates by O(σ) around its limit (Gaussian, not growing with
    # N); measured std over 20 seeds ≈ 0.75–0.85σ at C = 4σ². Allow 4σ: a relative tolerance
    # 4σ/s ~ 1/sqrt(N) that shrinks with size and stays below the spike's distance to the edge.
    tolerance = 4 * math.sqrt(noise_variance)
    assert predicted - edge > 2 * tolerance
    assert abs(top - predicted) < tolerance
    assert top > edge + tolerance
    # Σyx under the "mean" convention is Y/P (P = N_o items).
    task = Task.from_dataset(datasets.Dataset.from_arrays(targets))
    assert np.linalg.norm(task.sigma_yx, 2) == pytest.approx(top / n_items, rel=1e-12)


@pytest.mark.parametrize("n_items, n_features", [(200, 400), (400, 800)])
def test_sampled_category_below_threshold_stays_in_bulk(n_items, n_features):
    k_items, k_features = _block_sizes(0.5, n_items, n_features)
    assert spectra.coherence(k_items, k_features, n_items, n_features) < 1.0
    edge = spectra.noise_bulk_edge(n_items, n_features, 1.0)
    assert spectra.category_singular_value(k_items, k_features, n_items, n_features, 1.0) == edge
    top = np.linalg.svd(_block_plus_noise(k_items, k_features, n_items, n_features, 1.0, 1),
                        compute_uv=False)[0]
    # Below threshold the top singular value sits at the bulk edge up to Tracy–Widom-scale
    # corrections, relative O(N^{-2/3}); measured ≤ 2.5% at N_o = 200, 1.6% at 400. Allow
    # 2 N_o^{-2/3} (5.8%, 3.7%), well below the ≥ 20% excess of a C = 4σ² spike.
    assert abs(top / edge - 1) < 2 * n_items ** (-2 / 3)


# ---------------------------------------------------------------------- argument checking


@pytest.mark.parametrize("call, exception, name", [
    (lambda: spectra.hierarchy_spectrum(1, 3, 0.1), ValueError, "branching"),
    (lambda: spectra.hierarchy_spectrum(2, 0, 0.1), ValueError, "depth"),
    (lambda: spectra.hierarchy_spectrum(2, 2.0, 0.1), TypeError, "depth"),
    (lambda: spectra.hierarchy_spectrum(2, 3, 1.5), ValueError, "flip"),
    (lambda: spectra.hierarchy_modes(2.5, 3), TypeError, "branching"),
    (lambda: spectra.hierarchy_singular_values(2, 3, 0.1, 0), ValueError, "n_features"),
    (lambda: spectra.hierarchy_singular_values(2, 3, 0.1, 10, normalise="total"), ValueError,
     "normalise"),
    (lambda: spectra.structural_spectrum("tree", 8), ValueError, "form"),
    (lambda: spectra.structural_spectrum("ring", 2), ValueError, "n"),
    (lambda: spectra.structural_spectrum("chain", None), ValueError, "n"),
    (lambda: spectra.structural_spectrum("grid", 10), ValueError, "n"),
    (lambda: spectra.structural_spectrum("grid", 12, shape=(3, 5)), ValueError, "n"),
    (lambda: spectra.structural_spectrum("grid", shape=(3,)), ValueError, "shape"),
    (lambda: spectra.structural_spectrum("grid", shape=(3, 0)), ValueError, r"shape\[1\]"),
    (lambda: spectra.structural_spectrum("chain", 5, shape=(5, 1)), ValueError, "shape"),
    (lambda: spectra.structural_spectrum("chain", 5, sigma2=0.0), ValueError, "sigma2"),
    (lambda: spectra.graph_laplacian("ring", "6"), TypeError, "n"),
    (lambda: spectra.coherence(0, 5, 10, 10), ValueError, "n_items_in_category"),
    (lambda: spectra.coherence(11, 5, 10, 10), ValueError, "n_items_in_category"),
    (lambda: spectra.coherence(5, 12, 10, 10), ValueError, "n_features_in_category"),
    (lambda: spectra.coherence(5, 5, 10, -1), ValueError, "n_features"),
    (lambda: spectra.coherence_threshold(-1.0), ValueError, "noise_variance"),
    (lambda: spectra.noise_bulk_edge(10, 10, "loud"), TypeError, "noise_variance"),
    (lambda: spectra.category_singular_value(5, 5, 10, 10, float("nan")), ValueError,
     "noise_variance"),
])
def test_bad_arguments_name_the_argument(call, exception, name):
    with pytest.raises(exception, match=rf"^{name} "):
        call()
