"""Generalisation read-outs and the datasets behind them (docs/theory.md §5.5–§5.9): structural
forms, category coherence, the derived basic-level check, inductive projection and RSA.

Every tolerance is derived in a comment next to it; all runs are float64 (conftest enables x64).
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from semjax import Task, datasets, simulate, theory
from semjax.analysis import _generalisation as gen

KEY = jax.random.key(0)


def _relative(a, b) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _first_order_subspace_tolerance(eigenvalues, n_modes: int, n_features: int) -> float:
    """Four times the RMS first-order error of the top-n eigenspace of a sample covariance.

    For N_f Gaussian features with covariance K = Σ λ_k v_k v_kᵀ, Ŝ = K^{1/2} W K^{1/2} with
    W − I of i.i.d. entries of variance 1/N_f, and first-order perturbation theory rotates v_k
    towards v_j (k <= n < j) by sqrt(λ_k λ_j) (W − I)_kj / (λ_k − λ_j). The sine of the largest
    principal angle is at most the Frobenius norm of these rotations, whose RMS is
    sqrt(Σ λ_k λ_j / (λ_k − λ_j)² / N_f): ∝ sqrt(1/N_f) relative to the eigen-gap.
    """
    top, rest = eigenvalues[:n_modes, None], eigenvalues[None, n_modes:]
    return 4 * math.sqrt(np.sum(top * rest / (top - rest) ** 2) / n_features)


# ------------------------------------------------------------------------------------ datasets

FORMS = [
    (datasets.ring, {"n_items": 7}, 7),
    (datasets.chain, {"n_items": 5}, 5),
    (datasets.grid, {"shape": (2, 3)}, 6),
    (datasets.clusters, {"n_items": 7, "n_clusters": 3}, 7),
    (datasets.tree, {"branching": 2, "depth": 2}, 4),
]


@pytest.mark.parametrize("generator, size, n_items", FORMS)
def test_structural_forms_are_deterministic_shaped_and_named(generator, size, n_items):
    first = generator(KEY, n_features=11, **size)
    again = generator(jax.random.key(0), n_features=11, **size)
    other = generator(jax.random.key(1), n_features=11, **size)
    assert first.targets.shape == (11, n_items) and first.targets.dtype == np.float64
    np.testing.assert_array_equal(first.targets, again.targets)
    assert not np.allclose(first.targets, other.targets)
    np.testing.assert_array_equal(first.inputs, np.eye(n_items))
    assert first.name == generator.__name__
    assert len(set(first.item_names)) == n_items
    assert first.property_names == tuple(f"feature{k}" for k in range(11))
    # Legacy raw keys draw the same numbers.
    legacy = generator(jax.random.PRNGKey(0), n_features=11, **size)
    np.testing.assert_array_equal(first.targets, legacy.targets)


def test_item_names_follow_the_graph():
    assert datasets.grid(KEY, shape=(2, 3), n_features=1).item_names[4] == "node(1,1)"
    assert datasets.clusters(KEY, n_items=7, n_clusters=3, n_features=1).item_names == (
        "cluster0.0", "cluster0.1", "cluster0.2", "cluster1.0", "cluster1.1", "cluster2.0",
        "cluster2.1")
    assert datasets.tree(KEY, branching=2, depth=2, n_features=1).item_names == (
        "0.0", "0.1", "1.0", "1.1")


@pytest.mark.parametrize("form, size, analytic", [
    ("ring", {"n_items": 9}, {"n": 9}),
    ("chain", {"n_items": 6}, {"n": 6}),
    ("grid", {"shape": (3, 4)}, {"shape": (3, 4)}),
])
def test_form_covariance_is_the_analytic_spectrum(form, size, analytic):
    # K is built from an edge list and inverted; the analytic modes come from
    # semjax.theory.structural_spectrum: agreement to rounding (1e-12 of ‖K‖ <= σ²).
    for sigma2 in (0.5, 3.0):
        spectrum = theory.structural_spectrum(form, sigma2=sigma2, **analytic)
        K = datasets.form_covariance(form, sigma2=sigma2, **size)
        expected = spectrum.eigenvectors @ np.diag(spectrum.eigenvalues) @ spectrum.eigenvectors.T
        np.testing.assert_allclose(K, expected, rtol=0, atol=1e-12)


def test_tree_covariance_has_haar_modes_and_coarse_levels_first():
    # Marginalising the internal nodes keeps the tree's symmetry: the leaf covariance depends
    # only on the LCA level, so the Haar-like modes diagonalise it exactly (to rounding).
    for branching, depth in [(2, 3), (3, 2)]:
        K = datasets.form_covariance("tree", branching=branching, depth=depth, sigma2=10.0)
        haar = theory.hierarchy_modes(branching, depth)
        rotated = haar.T @ K @ haar
        np.testing.assert_allclose(rotated, np.diag(np.diag(rotated)), rtol=0, atol=1e-12)
        levels = theory.hierarchy_spectrum(branching, depth, 0.0).column_levels()
        per_level = [np.diag(rotated)[levels == level] for level in np.unique(levels)]
        assert all(np.ptp(values) < 1e-12 for values in per_level)  # constant on each level
        assert np.all(np.diff([values[0] for values in per_level]) < 0)  # coarse first


def test_cluster_covariance_is_block_diagonal_with_indicator_modes():
    sigma2 = 2.0
    K = datasets.form_covariance("clusters", n_items=7, n_clusters=3, sigma2=sigma2)
    sizes = [3, 2, 2]
    blocks = np.repeat(np.arange(3), sizes)
    assert np.all(K[blocks[:, None] != blocks[None, :]] == 0)
    indicators = (blocks[:, None] == np.arange(3)).astype(float)
    np.testing.assert_allclose(K @ indicators, sigma2 * indicators, atol=1e-12)
    expected = sorted([sigma2] * 3 + [1 / (m + 1 / sigma2) for m in sizes for _ in range(m - 1)])
    np.testing.assert_allclose(np.linalg.eigvalsh(K), expected, atol=1e-12)


def test_level_contrast_tree_spectrum():
    # λ_ℓ = n_ℓ (B/(B−1))² B^{D−ℓ−1} on the level's Haar modes, n_shared B^D on the uniform one.
    for branching, depth, counts, shared in [(2, 3, (1, 4, 1), 3), (3, 2, (2, 1), 1)]:
        dataset = datasets.level_contrast_tree(branching, depth, counts, shared_features=shared)
        haar = theory.hierarchy_modes(branching, depth)
        gram = haar.T @ dataset.targets.T @ dataset.targets @ haar
        levels = theory.hierarchy_spectrum(branching, depth, 0.0).column_levels()
        expected = [shared * branching ** depth if level < 0 else
                    counts[level] * (branching / (branching - 1)) ** 2
                    * branching ** (depth - level - 1) for level in levels]
        np.testing.assert_allclose(gram, np.diag(expected), rtol=0, atol=1e-10)
        assert dataset.targets.shape[0] == shared + sum(
            n * branching ** (level + 1) for level, n in enumerate(counts))


def test_coherent_category_block_and_noise():
    clean = datasets.coherent_category(KEY, n_items=6, n_features=5, category_items=2,
                                       category_features=3, noise_variance=0.0)
    block = np.zeros((5, 6))
    block[:3, :2] = 1.0
    np.testing.assert_array_equal(clean.targets, block)
    assert clean.item_names[:3] == ("member0", "member1", "item2")
    assert clean.property_names[2:4] == ("shared2", "feature3")
    noisy = datasets.coherent_category(KEY, n_items=300, n_features=400, category_items=2,
                                       category_features=3, noise_variance=0.25)
    again = datasets.coherent_category(KEY, n_items=300, n_features=400, category_items=2,
                                       category_features=3, noise_variance=0.25)
    np.testing.assert_array_equal(noisy.targets, again.targets)
    noise = noisy.targets - np.pad(np.ones((3, 2)), ((0, 397), (0, 298)))
    # 120000 draws: the sample variance is within 5 standard errors (0.25 sqrt(2/120000)).
    assert abs(noise.var() - 0.25) < 5 * 0.25 * math.sqrt(2 / noise.size)


@pytest.mark.parametrize("call, error", [
    (lambda: datasets.ring(KEY, n_items=2, n_features=3), ValueError),
    (lambda: datasets.chain(KEY, n_items=4, n_features=0), ValueError),
    (lambda: datasets.grid(KEY, shape=(3,), n_features=3), ValueError),
    (lambda: datasets.grid(KEY, shape=(1, 1), n_features=3), ValueError),
    (lambda: datasets.clusters(KEY, n_items=3, n_clusters=4, n_features=3), ValueError),
    (lambda: datasets.tree(KEY, branching=1, depth=2, n_features=3), ValueError),
    (lambda: datasets.ring(KEY, n_items=5, n_features=3, sigma2=0.0), ValueError),
    (lambda: datasets.ring(0, n_items=5, n_features=3), TypeError),
    (lambda: datasets.ring(jax.random.split(KEY, 2), n_items=5, n_features=3), ValueError),
    (lambda: datasets.form_covariance("sphere", n_items=4), ValueError),
    (lambda: datasets.form_covariance("ring", shape=(2, 2)), ValueError),
    (lambda: datasets.coherent_category(KEY, n_items=4, n_features=5, category_items=5,
                                        category_features=1, noise_variance=1.0), ValueError),
    (lambda: datasets.coherent_category(KEY, n_items=4, n_features=5, category_items=1,
                                        category_features=1, noise_variance=-1.0), ValueError),
    (lambda: datasets.level_contrast_tree(2, 3, (1, 1)), ValueError),
    (lambda: datasets.level_contrast_tree(2, 2, (0, 0)), ValueError),
    (lambda: datasets.level_contrast_tree(2, 2, "11"), TypeError),
])
def test_bad_dataset_arguments_raise(call, error):
    with pytest.raises(error):
        call()


# ---------------------------------------------------------------- structural forms (§5.9)

N_FEATURES = 20000


@pytest.mark.parametrize("form, size, analytic, sizes", [
    ("ring", {"n_items": 12}, {"n": 12}, (1, 3, 5)),       # constant, then cos/sin pairs
    ("chain", {"n_items": 10}, {"n": 10}, (2, 3, 4)),
    ("grid", {"shape": (3, 4)}, {"shape": (3, 4)}, (1, 2, 3)),
])
def test_structural_form_object_analyzers_and_singular_values(form, size, analytic, sizes):
    dataset = getattr(datasets, form)(KEY, n_features=N_FEATURES, **size)
    spectrum = theory.structural_spectrum(form, **analytic)
    n_items = dataset.n_items
    for n_modes in sizes:
        distance = gen.object_analyzer_distance(dataset, spectrum.eigenvectors, n_modes)
        assert distance < _first_order_subspace_tolerance(spectrum.eigenvalues, n_modes,
                                                          N_FEATURES), (n_modes, distance)
    # Singular values of Σyx = Y/P: (P s_k)²/N_f are the eigenvalues of Ŝ = YᵀY/N_f, within
    # ‖Ŝ − K‖ <= λ_1 ((1 + sqrt(P/N_f) + 3/sqrt(N_f))² − 1) of λ_k (Weyl; Davidson–Szarek
    # bound on ‖W − I‖, exceeded with probability < e^{-9/2}).
    s = Task.from_dataset(dataset).modes.s
    bound = spectrum.eigenvalues[0] * (
        (1 + math.sqrt(n_items / N_FEATURES) + 3 / math.sqrt(N_FEATURES)) ** 2 - 1)
    np.testing.assert_array_less(np.abs((n_items * s) ** 2 / N_FEATURES - spectrum.eigenvalues),
                                 bound)


def test_wrong_form_basis_is_far():
    # The same ring data against the chain's DCT basis: the subspaces differ at O(1).
    dataset = datasets.ring(KEY, n_items=12, n_features=N_FEATURES)
    dct = theory.structural_spectrum("chain", 12).eigenvectors
    fourier = theory.structural_spectrum("ring", 12)
    tolerance = _first_order_subspace_tolerance(fourier.eigenvalues, 3, N_FEATURES)
    assert gen.object_analyzer_distance(dataset, dct, 3) > 2 * tolerance


def test_tree_and_cluster_data_have_haar_and_indicator_analyzers():
    tree = datasets.tree(KEY, branching=2, depth=3, n_features=N_FEATURES, sigma2=10.0)
    K = datasets.form_covariance("tree", branching=2, depth=3, sigma2=10.0)
    haar = theory.hierarchy_modes(2, 3)
    eigenvalues = np.diag(haar.T @ K @ haar)  # exact (previous test), ordered coarse first
    for n_modes in (1, 2, 4):  # root; + level 0; + level 1 (the level-1 pair is degenerate)
        assert gen.object_analyzer_distance(tree, haar, n_modes) < (
            _first_order_subspace_tolerance(eigenvalues, n_modes, N_FEATURES))
    groups = datasets.clusters(KEY, n_items=9, n_clusters=3, n_features=N_FEATURES)
    indicators = np.kron(np.eye(3), np.ones((3, 1)))
    eigenvalues = np.linalg.eigvalsh(
        datasets.form_covariance("clusters", n_items=9, n_clusters=3))[::-1]
    assert gen.object_analyzer_distance(groups, indicators, 3) < (
        _first_order_subspace_tolerance(eigenvalues, 3, N_FEATURES))


def test_object_analyzer_distance_validates():
    task = Task.from_dataset(datasets.four_items())
    with pytest.raises(ValueError, match="n_modes"):
        gen.object_analyzer_distance(task, np.eye(4), 5)
    with pytest.raises(ValueError, match="basis"):
        gen.object_analyzer_distance(task, np.eye(3), 1)
    with pytest.raises(TypeError):
        gen.object_analyzer_distance(np.eye(4), np.eye(4), 1)


# ------------------------------------------------------------------ category coherence (§5.5)

N_ITEMS, N_FEATURES_CATEGORY, NOISE = 60, 240, 1.0


def _category(k_items, k_features, key=1):
    return datasets.coherent_category(
        jax.random.key(key), n_items=N_ITEMS, n_features=N_FEATURES_CATEGORY,
        category_items=k_items, category_features=k_features, noise_variance=NOISE)


def test_coherent_categories_are_learnable_and_learned_in_time_inverse_to_s():
    a0 = 1e-3
    times = {}
    for k_items, k_features in [(10, 80), (20, 80)]:
        dataset = _category(k_items, k_features)
        # Mean convention (Σyx = Y/P): singular values scale by 1/P, learnability does not.
        mean = gen.category_coherence(dataset, category_items=k_items,
                                      category_features=k_features, noise_variance=NOISE)
        assert mean.learnable and mean.separated and mean.mode == 0
        assert mean.coherence == pytest.approx(k_items * k_features / math.sqrt(60 * 240))
        # The outlier fluctuates by δs = aᵀ G b ~ N(0, σ²) to first order: allow 4σ (Y units).
        assert abs(mean.measured_singular_value - mean.predicted_singular_value) * N_ITEMS < (
            4 * math.sqrt(NOISE))
        # Overlap fluctuations are O(N_o^{-1/2}).
        assert abs(mean.overlap - mean.predicted_overlap) < 1 / math.sqrt(N_ITEMS)

        # Learning time, sum convention (Σyx = Y, Σx = I), aligned start: every mode at a0.
        task = Task.from_dataset(dataset, normalise="sum")
        run = simulate(task, hidden=N_ITEMS, t_max=0.5, dt=0.002, init="aligned",
                       init_scale=a0, method="rk4", dtype="float64", record=("modes",))
        result = gen.category_coherence(task, category_items=k_items,
                                        category_features=k_features, noise_variance=NOISE,
                                        trajectory=run)
        assert result.predicted_singular_value == pytest.approx(
            mean.predicted_singular_value * N_ITEMS)
        # t½ = ln(s/a0 − 1)/(2s): a relative error δs/s in s moves t½ by
        # (δs/s)(1 + 1/ln(s/a0 − 1)); δs <= 4σ as above; + 1e-3 for RK4 and interpolation.
        s = result.predicted_singular_value
        tolerance = 4 * math.sqrt(NOISE) / s * (1 + 1 / math.log(s / a0 - 1)) + 1e-3
        measured, predicted = float(result.measured_half_time[0]), float(
            result.predicted_half_time[0])
        assert abs(measured - predicted) / predicted < tolerance
        # ∝ 1/s: t½ · s is the logarithm alone.
        assert measured * s == pytest.approx(0.5 * math.log(s / a0 - 1), rel=tolerance)
        times[k_items] = measured
    assert times[20] < times[10]  # more coherent: learned sooner


def test_incoherent_category_is_not_separable():
    k_items, k_features = 5, 6  # C = 30/120 = 0.25 < σ² = 1
    # Tracy–Widom scale of the top singular value of an N_f × N_o noise matrix:
    # σ (N_o^{-1/2} + N_f^{-1/2})^{1/3} / 2; allow 4 of them above the bulk edge.
    tracy_widom = math.sqrt(NOISE) * (N_ITEMS ** -0.5 + N_FEATURES_CATEGORY ** -0.5) ** (1 / 3) / 2
    for key in range(3):
        dataset = _category(k_items, k_features, key)
        result = gen.category_coherence(dataset, category_items=k_items,
                                        category_features=k_features, noise_variance=NOISE)
        assert not result.learnable and result.coherence < result.threshold
        assert not result.separated and result.predicted_overlap == 0.0
        assert result.predicted_singular_value == pytest.approx(result.bulk_edge)
        task = Task.from_dataset(dataset)
        top = task.modes.s[0] * N_ITEMS
        assert top < (result.bulk_edge * N_ITEMS + 4 * tracy_widom)
        # The top mode is noise: its overlap with the category is far below the ≈ 0.9 that a
        # learnable category's mode has (previous test), and no larger than a random unit
        # vector's maximum over the N_o modes, sqrt(2 ln(2 N_o)/N_o) ≈ 0.4.
        indicator = np.r_[np.ones(k_items), np.zeros(N_ITEMS - k_items)] / math.sqrt(k_items)
        assert abs(task.modes.V[:, 0] @ indicator) < math.sqrt(2 * math.log(2 * N_ITEMS) / N_ITEMS)


def test_category_mode_locates_the_block():
    dataset = _category(10, 80)
    mode, overlap = gen.category_mode(dataset, 10)
    assert mode == 0 and overlap > 0.9
    assert gen.category_mode(dataset, list(range(10))) == (mode, overlap)
    with pytest.raises(ValueError, match="category_items"):
        gen.category_mode(dataset, [0, 0, 1])
    with pytest.raises(ValueError, match="one-hot"):
        gen.category_coherence(Task(sigma_yx=np.ones((3, 2)), sigma_x=np.diag([1.0, 2.0])),
                               category_items=1, category_features=1, noise_variance=1.0)


# --------------------------------------------------------------------- basic level (§5.6)


def test_basic_level_check_on_constructed_and_plain_trees():
    # Level eigenvalues of YᵀY (Y units, see the dataset's docstring): with counts (1, 4, 1)
    # levels 0, 1, 2 have 16, 32, 4 (uniform 24) so level 1 is strongest; with (1, 1, 1) they
    # are 16, 8, 4: coarse first.
    for counts, first in [((1, 4, 1), 1), ((1, 1, 1), 0)]:
        dataset = datasets.level_contrast_tree(2, 3, counts, shared_features=3)
        task = Task.from_dataset(dataset, normalise="sum")
        check = gen.basic_level_check(task, branching=2, depth=3)
        assert int(check.first_level) == first == check.strongest_level
        np.testing.assert_allclose(check.purity, 1.0, atol=1e-12)
        expected = np.sqrt([24.0, 16 * counts[0], 8 * counts[1], 4 * counts[2]])
        np.testing.assert_allclose(check.singular_values, expected, rtol=1e-12)
        # Closed form: t½ decreases with s (same a0), so the order of the half-times is the
        # reverse order of the singular values.
        assert np.argsort(check.half_times).tolist() == np.argsort(-expected).tolist()
        # The same verdict from simulated small random starts (2 seeds).
        run = simulate(task, hidden=16, t_max=8, dt=0.01, init="gaussian", init_scale=1e-4,
                       n_seeds=2, dtype="float64", record=("modes",))
        simulated = gen.basic_level_check(task, branching=2, depth=3, trajectory=run)
        assert simulated.first_level.tolist() == [first, first]
    # An ordinary membership tree (and the mean convention) is coarse first.
    plain = gen.basic_level_check(datasets.regular_tree(2, 3), branching=2, depth=3)
    assert int(plain.first_level) == 0 and np.all(np.diff(plain.half_times) > 0)
    with pytest.raises(ValueError, match="leaves"):
        gen.basic_level_check(datasets.four_items(), branching=2, depth=3)


# ----------------------------------------------------------------- inductive projection (§5.7)


@pytest.fixture(scope="module")
def four_item_run():
    dataset = datasets.four_items()
    task = Task(sigma_yx=dataset.targets, sigma_x=np.eye(4), item_names=dataset.item_names,
                property_names=dataset.property_names)
    run = simulate(task, hidden=16, t_max=20, dt=0.01, init="gaussian", init_scale=1e-6,
                   key=1, dtype="float64", record=("modes", "hidden_gram", "weights"),
                   record_every=10)
    return task, run


def test_learned_projections_equal_the_formulas(four_item_run):
    task, run = four_item_run
    U, s, V = task.modes
    times = run.t[::20]
    # Trained new output row / input column against G_ji/G_ii and (W2W2ᵀ)_nm/(W2W2ᵀ)_mm:
    # gradient descent halves the error each step (100 steps: 2^-100), so they agree to
    # float64 rounding of O(1) numbers (1e-12).
    for method in ("gradient", "least_squares"):
        learned = gen.learn_novel_property(run, task, "canary", times=times, method=method)
        predicted = gen.novel_property_projection(run, task, "canary", times=times)
        np.testing.assert_allclose(learned.values, predicted.values, rtol=0, atol=1e-12)
        np.testing.assert_array_less(learned.final_loss, 1e-24)
        assert learned.names == task.item_names and np.array_equal(learned.t, times)
        learned = gen.learn_novel_item(run, task, "fly", times=times, method=method)
        predicted = gen.novel_item_projection(run, task, "fly", times=times)
        np.testing.assert_allclose(learned.values, predicted.values, rtol=0, atol=1e-12)
        assert learned.values[0, -1, 3] == pytest.approx(1.0)

    # The balanced §5.7 formulas with the network's own strengths, ŷ^j = (V A Vᵀ)_ji/(V A Vᵀ)_ii
    # and ŷ_n = (U A Uᵀ)_nm/(U A Uᵀ)_mm, on the plateaus t = 6 (mode 1 learned), 10 (modes 1-2),
    # 20 (all). They neglect cross-mode terms sqrt(a_α a_β) r_αᵀr_β, which vanish where every
    # mode is either learned or at its start: allow 2ε with ε the largest unfinished fraction
    # min(a/s, 1 − a/s), plus 1e-6 for the O(init²) imbalance.
    plateaus = np.array([6.0, 10.0, 20.0])
    index = np.searchsorted(run.t, plateaus)
    strengths = run.modes[0, index]
    fraction = strengths / s
    epsilon = np.minimum(fraction, 1 - fraction).max(axis=-1)
    assert np.all(epsilon < 0.01)  # they are plateaus
    gram = np.einsum("ia,ta,ja->tij", V, strengths, V)
    learned = gen.learn_novel_property(run, task, "canary", times=plateaus).values[0]
    error = np.abs(learned - gram[:, :, 0] / gram[:, :1, 0]).max(axis=-1)
    np.testing.assert_array_less(error, 2 * epsilon + 1e-6)
    gram = np.einsum("ia,ta,ja->tij", U, strengths, U)
    learned = gen.learn_novel_item(run, task, "fly", times=plateaus).values[0]
    error = np.abs(learned - gram[:, :, 3] / gram[:, 3:4, 3]).max(axis=-1)
    np.testing.assert_array_less(error, 2 * epsilon + 1e-6)

    # Broad → narrow: mode 1 only: every item ≈ 1; modes 1-2: animals 1, plants
    # (√7 − √3)/(√7 + √3); all modes: the min-norm RSM's column, salmon
    # ((√7 + √3)/4 − ½)/((√7 + √3)/4 + ½) = 0.373, plants 0.143.
    canary = gen.learn_novel_property(run, task, "canary", times=plateaus).values[0]
    assert np.all(canary[0] > 0.99)
    plants = (math.sqrt(7) - math.sqrt(3)) / (math.sqrt(7) + math.sqrt(3))
    np.testing.assert_allclose(canary[1], [1, 1, plants, plants], atol=2 * epsilon[1] + 1e-6)
    final = gen.min_norm_rsm(task)[:, 0] / gen.min_norm_rsm(task)[0, 0]
    np.testing.assert_allclose(canary[2], final, atol=1e-6)
    assert (canary > 0.5).sum(axis=-1).tolist() == [4, 2, 1]


def test_inductive_projection_narrows_over_development_on_rumelhart():
    dataset = datasets.rumelhart()
    task = Task.from_dataset(dataset)
    run = simulate(task, hidden=16, t_max=120, dt=0.05, init="gaussian", init_scale=1e-4,
                   key=0, dtype="float64", record=("modes", "weights"), record_every=20)
    fraction = run.modes[0] / task.modes.s

    def first_time(learned, pending):
        """First recorded time at which modes [:learned] are > 0.9 done and the mode
        ``pending`` is < 0.25 done."""
        ok = np.all(fraction[:, :learned] > 0.9, axis=1) & (fraction[:, pending] < 0.25)
        return run.t[np.argmax(ok)] if ok.any() else pytest.fail("no such plateau")

    stages = [first_time(1, 1), first_time(2, 2), first_time(4, 4), run.t[-1]]
    learned = gen.learn_novel_property(run, task, "canary", times=stages).values[0]
    names = np.array(task.item_names)
    # Living things → animals → birds → the canary alone.
    assert [set(names[row > 0.5]) for row in learned] == [
        set(names), {"robin", "canary", "sunfish", "salmon"}, {"robin", "canary"}, {"canary"}]
    # A novel item that "can fly": every property early; then animal properties (gills too)
    # but not plant ones; from the bird stage on, bird properties and not fish ones.
    item = gen.learn_novel_item(run, task, "can fly", times=stages).values[0]
    column = {name: item[:, task.property_names.index(name)]
              for name in ("has roots", "has gills", "has wings", "has feathers")}
    assert np.all(item[0] > 0.3)
    assert column["has gills"][1] > 0.5 and column["has roots"][1] < 0
    assert np.all(column["has gills"][2:] < 0)
    assert np.all(column["has wings"] > 0.9) and np.all(column["has feathers"] > 0.9)


def test_projection_from_modes_matches_weights_for_aligned_starts(seed_task):
    run = simulate(seed_task, hidden=8, t_max=8, dt=0.01, init="aligned", init_scale=1e-4,
                   dtype="float64", record=("modes", "weights", "hidden_gram"), record_every=50)
    from_weights = gen.novel_item_projection(run, seed_task, 0)
    from_modes = gen.novel_item_projection(run, seed_task, 0, from_modes=True)
    # Aligned balanced starts stay exactly balanced and decoupled: W2W2ᵀ = U diag(a) Uᵀ up to
    # Euler rounding of the conserved imbalance (zero here): agreement to 1e-9.
    np.testing.assert_allclose(from_modes.values, from_weights.values, atol=1e-9)
    closed = theory.trajectory(seed_task, run.t, a0=1e-4, record=("modes", "hidden_gram"))
    np.testing.assert_allclose(gen.novel_item_projection(closed, seed_task, 0,
                                                         from_modes=True).values,
                               from_weights.values[0], atol=1e-2)


def test_inductive_projection_validates(seed_task):
    run = simulate(seed_task, hidden=4, n_steps=3, dt=0.01, init_scale=1e-3,
                   record=("modes",), dtype="float64")
    with pytest.raises(ValueError, match="weights"):
        gen.learn_novel_property(run, seed_task, 0)
    with pytest.raises(ValueError, match="weights"):
        gen.novel_property_projection(run, seed_task, 0)
    with pytest.raises(ValueError, match="item"):
        gen.novel_property_projection(run, seed_task, "dragon")
    with pytest.raises(ValueError, match="property"):
        gen.novel_item_projection(run, seed_task, 99)
    with pytest.raises(ValueError, match="method"):
        gen.learn_novel_item(run, seed_task, 0, method="adam")


# ----------------------------------------------------------------------------------- RSA (§5.8)

RSA_RUN = {"t_max": 20, "dt": 0.01, "dtype": "float64",
           "record": ("hidden_gram", "modes", "weights"), "record_every": 10}


def test_rsm_is_identical_across_hidden_widths_and_seeds_from_balanced_starts(seed_task):
    # Aligned balanced starts (W1 = f R Vᵀ, W2 = f U Rᵀ, a0 = 1e-6) with hidden widths 16 and
    # 32 and different random hidden bases R: W1ᵀW1 = V A(t) Vᵀ does not see R, so the RSM
    # trajectories agree to rounding (1e-10), although the hidden units differ.
    a = simulate(seed_task, hidden=16, init="aligned", init_scale=1e-6, key=0, method="rk4",
                 **RSA_RUN)
    b = simulate(seed_task, hidden=32, init="aligned", init_scale=1e-6, key=1, method="rk4",
                 **RSA_RUN)
    comparison = gen.rsa_invariance(a, b)
    assert comparison.max_relative_difference.max() < 1e-10
    assert comparison.relative_difference.shape == (1, len(a.t))
    # ... and equal the closed form V A(t) Vᵀ: RK4's error in the growth exponent per step is
    # O((s dt)⁵), over t½/dt steps a time shift ≲ 1e-8, times the slope s²/2: < 1e-6.
    closed = theory.trajectory(seed_task, a.t, a0=1e-6, record=("hidden_gram",))
    assert gen.rsa_invariance(a, closed).max_relative_difference.max() < 1e-6
    np.testing.assert_allclose(a.hidden_gram[0, -1], gen.min_norm_rsm(seed_task), atol=1e-8)


def test_rsm_of_small_random_starts(seed_task):
    # Small Gaussian starts, widths 16 and 32 (σ scaled by sqrt(16/32) so that the expected
    # effective initial strengths agree), different seeds.
    sigma = 1e-5
    a = simulate(seed_task, hidden=16, init="gaussian", init_scale=sigma, key=0, **RSA_RUN)
    b = simulate(seed_task, hidden=32, init="gaussian", init_scale=sigma / math.sqrt(2),
                 key=100, **RSA_RUN)
    s = seed_task.modes.s
    target = gen.min_norm_rsm(seed_task)
    np.testing.assert_allclose(target, seed_task.modes.V @ np.diag(s) @ seed_task.modes.V.T,
                               atol=1e-12)
    # Final state: the min-norm (balanced) factorisation, up to the conserved imbalance
    # W2ᵀW2 − W1W1ᵀ = O(σ² (√N2 + √N1 + √N3)²) < 1e-8 here, relative to s_min = 1.
    for run in (a, b):
        assert _relative(run.hidden_gram[0, -1], target) < 1e-7
    # Over development the two RSMs differ only because each mode starts at a different
    # effective strength ã_α (theory.effective_a0): mode α is shifted in time by
    # |ln(ã_α/b̃_α)|/(2 s_α), at most s_α²/2 in slope, so ‖ΔG(t)‖_F <= Σ_α s_α|ln(ã_α/b̃_α)|/4.
    # This does not shrink with σ (a log-time shift), only the final-state error does.
    start_a = theory.effective_a0(seed_task, tuple(w[0, 0] for w in a.weights))
    start_b = theory.effective_a0(seed_task, tuple(w[0, 0] for w in b.weights))
    comparison = gen.rsa_invariance(a, b)
    bound = np.sum(s * np.abs(np.log(start_a / start_b))) / 4 / comparison.scale[0]
    assert comparison.max_relative_difference[0] < bound
    assert comparison.relative_difference[0, -1] < 1e-7


def test_lambda_balanced_starts_converge_to_their_own_rsm(seed_task):
    # λ-balanced starts (W2ᵀW2 − W1W1ᵀ = λI, hidden 4 = N1) conserve λ, so the final RSM is
    # V S1² Vᵀ with S1² = (sqrt(λ² + 4S²) − λ)/2 ≠ V S Vᵀ. RK4 conserves λ to O(dt⁴), and the
    # modes converge at rate >= 2 s_min: at t = 20 both errors are < 1e-8.
    target = gen.min_norm_rsm(seed_task)
    _, s, V = seed_task.modes
    for lam in (1.0, -1.0):
        run = simulate(seed_task, hidden=4, init="lambda_balanced", lam=lam, init_scale=1e-3,
                       key=3, t_max=20, dt=0.01, method="rk4", dtype="float64",
                       record=("hidden_gram",), record_every=100)
        final = gen.lambda_balanced_final_rsm(seed_task, lam)
        np.testing.assert_allclose(final, V @ np.diag((np.sqrt(lam ** 2 + 4 * s ** 2) - lam) / 2)
                                   @ V.T, atol=1e-12)
        assert _relative(run.hidden_gram[0, -1], final) < 1e-8
        assert _relative(final, target) > 0.2
    np.testing.assert_allclose(gen.lambda_balanced_final_rsm(seed_task, 0.0), target, atol=1e-12)


def test_large_unbalanced_starts_break_the_invariance(seed_task):
    # Entries N(0, 0.5²): the imbalance W2ᵀW2 − W1W1ᵀ is O(1), comparable with S, so the final
    # RSM keeps the random start and differs between networks by O(1).
    a = simulate(seed_task, hidden=16, init="gaussian", init_scale=0.5, key=0, **RSA_RUN)
    b = simulate(seed_task, hidden=32, init="gaussian", init_scale=0.5, key=100, **RSA_RUN)
    target = gen.min_norm_rsm(seed_task)
    assert _relative(a.hidden_gram[0, -1], target) > 0.2
    assert _relative(b.hidden_gram[0, -1], target) > 0.2
    assert gen.rsa_invariance(a, b).relative_difference[0, -1] > 0.2


def test_min_norm_rsm_follows_the_convention():
    # Mean convention (Σyx = Y/P, Σx = I/P): the network converges to T = Y, so the RSM is
    # (YᵀY)^{1/2} = P (ΣyxᵀΣyx)^{1/2}, the same as the sum convention's.
    dataset = datasets.four_items()
    mean = gen.min_norm_rsm(Task.from_dataset(dataset))
    total = gen.min_norm_rsm(Task.from_dataset(dataset, normalise="sum"))
    np.testing.assert_allclose(mean, total, atol=1e-12)
    values, vectors = np.linalg.eigh(dataset.targets.T @ dataset.targets)
    np.testing.assert_allclose(total, vectors @ np.diag(np.sqrt(values)) @ vectors.T, atol=1e-12)


def test_rsa_invariance_validates(seed_task):
    run = simulate(seed_task, hidden=4, n_steps=3, dt=0.01, init_scale=1e-3,
                   record=("modes",), dtype="float64")
    other = simulate(seed_task, hidden=4, n_steps=4, dt=0.01, init_scale=1e-3,
                     record=("hidden_gram",), dtype="float64")
    with pytest.raises(ValueError, match="hidden_gram"):
        gen.rsa_invariance(run, other)
    shorter = simulate(seed_task, hidden=4, n_steps=3, dt=0.01, init_scale=1e-3,
                       record=("hidden_gram",), dtype="float64")
    with pytest.raises(ValueError, match="time grid"):
        gen.rsa_invariance(shorter, other)
