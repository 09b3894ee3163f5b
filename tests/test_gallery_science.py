"""The science behind the gallery's figures, each a tested function of `theory` or `analysis`:
the inverse of the half-time, the shallow closed form from a start of either sign, the
category overlap, the Eckart–Young error, the errors of W = 0, category responses and the
alignment of bases and configurations defined up to a rotation."""

import math

import jax
import numpy as np
import pytest

from semjax import Task, analysis, datasets, theory

# ------------------------------------------------------------ initial strength from half-time


@pytest.mark.parametrize("tau", [1.0, 0.5])
def test_initial_strength_is_the_depth_two_closed_form(tau):
    s = np.array([0.25, 1.0, 3.0])[:, None]
    t = np.array([0.01, 0.5, 2.0, 10.0])
    a0 = theory.initial_strength_from_half_time(s, t, tau=tau)
    np.testing.assert_allclose(a0, s / (1 + np.exp(2 * s * t / tau)), rtol=1e-14)
    # far from the start a0 ≈ s e^{−2st/τ}, without overflow
    far = theory.initial_strength_from_half_time(3.0, 100.0)
    np.testing.assert_allclose(far, 3.0 * np.exp(-600.0), rtol=1e-12)


def test_initial_strength_of_a_shallow_mode_may_be_negative():
    s, t = 2.0, np.array([0.1, math.log(2), 3.0])
    b0 = theory.initial_strength_from_half_time(s, t, depth=1)
    np.testing.assert_allclose(b0, s * (1 - np.exp(t) / 2), rtol=1e-14, atol=1e-15)
    assert b0[0] > 0 and abs(b0[1]) < 1e-15 and b0[2] < 0


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 6])
def test_initial_strength_inverts_half_time(depth):
    s = np.array([0.3, 1.0, 2.5])[:, None]
    t = np.array([0.05, 0.7, 4.0])
    a0 = theory.initial_strength_from_half_time(s, t, depth=depth, tau=0.8)
    np.testing.assert_allclose(theory.half_time(s, a0, depth=depth, tau=0.8),
                               np.broadcast_to(t, a0.shape), rtol=1e-10)
    # and the closed form from a0 reaches s/2 at t½
    np.testing.assert_allclose(theory.mode_strength(t, s, a0, depth=depth, tau=0.8), s / 2 + 0 * t,
                               rtol=1e-9)
    assert np.all(np.diff(a0, axis=-1) < 0)  # later half-times, smaller starts


@pytest.mark.parametrize("call, message", [
    (lambda: theory.initial_strength_from_half_time(1.0, 0.0), "t_half must be finite and > 0"),
    (lambda: theory.initial_strength_from_half_time(1.0, -1.0), "t_half must be finite"),
    (lambda: theory.initial_strength_from_half_time(1.0, np.nan), "t_half must be finite"),
    (lambda: theory.initial_strength_from_half_time(0.0, 1.0), "s must be finite and > 0"),
    (lambda: theory.initial_strength_from_half_time(1.0, 1.0, tau=0.0), "tau must be finite"),
    (lambda: theory.initial_strength_from_half_time(1.0, 1.0, depth=0), "depth"),
])
def test_initial_strength_rejects_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------- shallow closed form, any sign


def test_shallow_trajectory_from_a_start_of_either_sign():
    task = Task.from_dataset(datasets.rumelhart())  # Σx = I/8: d = 1/8
    U, s, V = task.modes
    d = theory.shared_basis_eigenvalues(task)
    b0 = np.linspace(-0.02, 0.03, len(s))  # recorded strengths at t = 0
    t = np.linspace(0.0, 40.0, 9)
    closed = theory.trajectory(task, t, b0 / d, depth=1, record=("modes", "loss", "product"))
    expected = s + (b0 - s) * np.exp(-d * t[:, None])  # b(t) = s + (b0 − s) e^{−d t/τ}
    np.testing.assert_allclose(closed.modes, expected, rtol=1e-13, atol=1e-15)
    product = np.einsum("ia,ta,ja->tij", U, expected / d, V)
    np.testing.assert_allclose(closed.product, product, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(closed.loss, task.excess_loss(product), rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="a0 must be finite, and > 0 for depth ≥ 2"):
        theory.trajectory(task, t, -b0 / d, depth=2)


# -------------------------------------------------------------------------- category overlap


def test_category_overlap_square_closed_form_and_threshold():
    n, noise = 32, 1.0
    for k in (6, 8, 12, 20):
        c = theory.coherence(k, k, n, n)
        expected = math.sqrt(1 - noise / c) if c > noise else 0.0
        assert theory.category_overlap(k, k, n, n, noise) == pytest.approx(expected, rel=1e-14)
    assert theory.category_overlap(4, 8, n, n, noise) == 0.0  # C = 1 = σ²: at threshold
    assert theory.category_overlap(2, 2, n, n, noise) == 0.0  # below
    assert theory.category_overlap(n, n, n, n, 1e-6) == pytest.approx(1.0, abs=1e-6)


def test_category_overlap_rectangular_and_the_read_out_agree():
    k_items, k_features, n_items, n_features, noise = 9, 14, 30, 50, 0.8
    spike = k_items * k_features / (noise * n_items)
    aspect = n_features / n_items
    expected = math.sqrt(1 - (aspect + spike) / (spike * (spike + 1)))
    value = theory.category_overlap(k_items, k_features, n_items, n_features, noise)
    assert value == pytest.approx(expected, rel=1e-14)
    data = datasets.coherent_category(jax.random.key(0), n_items=n_items,
                                      n_features=n_features, category_items=k_items,
                                      category_features=k_features, noise_variance=noise)
    read_out = analysis.category_coherence(data, category_items=k_items,
                                           category_features=k_features, noise_variance=noise)
    assert read_out.predicted_overlap == value
    # just above threshold (C = 1.02) the overlap is small: it vanishes continuously
    assert theory.category_overlap(3, 34, 100, 100, 1.0) == pytest.approx(math.sqrt(1 - 1 / 1.02),
                                                                           rel=1e-12)


@pytest.mark.parametrize("args, message", [
    ((0, 4, 32, 32, 1.0), "n_items_in_category"),
    ((4, 40, 32, 32, 1.0), "n_features_in_category must be <= n_features"),
    ((4, 4, 32, 32, 0.0), "noise_variance"),
])
def test_category_overlap_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        theory.category_overlap(*args)


# -------------------------------------------------------------------------- Eckart–Young error


def test_truncation_error_is_the_error_of_the_truncated_svd():
    matrix = np.random.default_rng(0).normal(size=(12, 7))
    U, s, Vt = np.linalg.svd(matrix, full_matrices=False)
    measured = [np.linalg.norm(matrix - (U[:, :r] * s[:r]) @ Vt[:r]) / np.linalg.norm(matrix)
                for r in range(1, len(s) + 1)]
    np.testing.assert_allclose(theory.truncation_error(s), measured, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(theory.truncation_error(s[::-1]), measured, rtol=1e-12,
                               atol=1e-15)  # order does not matter
    np.testing.assert_allclose(theory.truncation_error([3.0, 4.0]), [3 / 5, 0.0], rtol=1e-15)


@pytest.mark.parametrize("values", [[], [[1.0]], [1.0, -1.0], [np.inf], [0.0, 0.0]])
def test_truncation_error_rejects_bad_spectra(values):
    with pytest.raises(ValueError, match="singular_values"):
        theory.truncation_error(values)


# --------------------------------------------------------------------------- errors of W = 0


def test_zero_map_errors_are_the_relative_normalisation():
    setting = dict(noise=0.7, n_inputs=20, n_outputs=10, n_examples=30)
    s_bar = (2.0, 1.0)
    zero = theory.zero_map_errors(s_bar, **setting)
    assert zero.train == pytest.approx(0.5 * (5.0 + 20 * 10 * 0.49 / 30), rel=1e-14)
    assert zero.test == pytest.approx(2.5, rel=1e-14)
    t = np.linspace(0.0, 5.0, 6)
    plain = theory.generalisation_errors(t, s_bar, 1e-3, **setting)
    relative = theory.generalisation_errors(t, s_bar, 1e-3, relative=True, **setting)
    np.testing.assert_allclose(plain.train / relative.train, zero.train, rtol=1e-12)
    np.testing.assert_allclose(plain.test / relative.test, zero.test, rtol=1e-12)
    with pytest.raises(ValueError, match="n_examples must be >= n_inputs"):
        theory.zero_map_errors(s_bar, noise=0.7, n_inputs=20, n_outputs=10, n_examples=10)


# ------------------------------------------------------------------------ category responses


def test_category_responses_of_the_closed_form():
    task = Task.from_dataset(datasets.rumelhart())
    U, _, V = task.modes
    d = theory.shared_basis_eigenvalues(task)
    t = np.linspace(0.0, 30.0, 61)
    closed = theory.trajectory(task, t, 1e-3, record=("modes", "product"))
    members = ("canary", "robin")
    index = [task.checked.item_names.index(item) for item in members]
    responses = analysis.category_responses(closed, task, 2, members)
    final = U[:, 2] @ task.target_map @ task.checked.inputs[:, index]
    np.testing.assert_allclose(responses.final, np.abs(final), rtol=1e-12)
    # decoupled: r_i(t) = (a_α(t)/d_α) v^α_i, along the sign of r_i(∞)
    expected = np.asarray(closed.modes)[:, 2, None] / d[2] * np.abs(V[index, 2])
    np.testing.assert_allclose(responses.values, expected, rtol=1e-10, atol=1e-14)
    assert responses.items == members and responses.t.shape == t.shape
    modes_only = theory.trajectory(task, t, 1e-3, record=("modes",))
    np.testing.assert_allclose(analysis.category_responses(modes_only, task, 2, members).values,
                               responses.values, rtol=1e-10, atol=1e-14)
    threshold = 0.5 * responses.final.min()
    times = analysis.category_response_times(closed, task, 2, threshold, members)
    for k in range(2):  # the crossing is where the (interpolated) response reaches θ
        assert np.interp(times[k], t, responses.values[:, k]) == pytest.approx(threshold,
                                                                               rel=1e-12)
    with pytest.raises(ValueError, match="mode"):
        analysis.category_responses(closed, task, 99)


# ----------------------------------------------------------------- alignment up to rotations


def _orthogonal(seed: int, n: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def test_procrustes_recovers_a_rotation_and_is_optimal():
    source = np.random.default_rng(1).normal(size=(10, 3))
    rotation = _orthogonal(2, 3)
    found = analysis.procrustes_rotation(source, source @ rotation)
    np.testing.assert_allclose(found, rotation, atol=1e-12)
    target = np.random.default_rng(3).normal(size=(10, 3))
    best = analysis.procrustes_rotation(source, target)
    np.testing.assert_allclose(best.T @ best, np.eye(3), atol=1e-12)
    residual = np.linalg.norm(source @ best - target)
    assert all(residual <= np.linalg.norm(source @ _orthogonal(seed, 3) - target)
               for seed in range(20))
    with pytest.raises(ValueError, match="same shape"):
        analysis.procrustes_rotation(source, target[:, :2])
    with pytest.raises(ValueError, match="source must be a non-empty 2-D"):
        analysis.procrustes_rotation(np.ones(3), np.ones(3))


def test_degenerate_groups():
    groups = analysis.degenerate_groups([3.0, 2.0, 2.0 + 1e-9, 1.0, 1.0, 1.0])
    assert [g.tolist() for g in groups] == [[0], [1, 2], [3, 4, 5]]
    loose = analysis.degenerate_groups([1.0, 0.95, 0.5], rtol=0.1)
    assert [g.tolist() for g in loose] == [[0, 1], [2]]
    strict = analysis.degenerate_groups([1.0, 1.0], rtol=0.0)
    assert [g.tolist() for g in strict] == [[0, 1]]
    with pytest.raises(ValueError, match="values must be a finite non-empty 1-D"):
        analysis.degenerate_groups(np.ones((2, 2)))
    with pytest.raises(ValueError, match="rtol"):
        analysis.degenerate_groups([1.0], rtol=-1.0)


def test_align_within_groups_undoes_rotations_inside_eigenspaces():
    spectrum = theory.structural_spectrum("ring", 8)  # degenerate Fourier pairs
    reference = spectrum.eigenvectors
    groups = analysis.degenerate_groups(spectrum.eigenvalues)
    assert [len(g) for g in groups] == [1, 2, 2, 2, 1]
    rotated = reference.copy()
    for seed, group in enumerate(groups):
        rotated[:, group] = reference[:, group] @ _orthogonal(seed, len(group))
    np.testing.assert_allclose(analysis.align_within_groups(rotated, reference, groups),
                               reference, atol=1e-12)
    with pytest.raises(ValueError, match="disjoint"):
        analysis.align_within_groups(rotated, reference, [[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="column indices"):
        analysis.align_within_groups(rotated, reference, [[8]])


def test_aligned_mds_puts_a_rotated_configuration_on_its_reference():
    points = np.random.default_rng(4).normal(size=(2, 6, 6))
    points -= points.mean(axis=1, keepdims=True)
    reference_grams = points @ np.swapaxes(points, 1, 2)
    moved = points @ _orthogonal(5, 6)  # same geometry, other orientation
    grams = moved @ np.swapaxes(moved, 1, 2)
    embedded, reference = analysis.aligned_mds(grams, reference_grams, 2)
    assert embedded.shape == reference.shape == (2, 6, 2)
    np.testing.assert_allclose(embedded, reference, atol=1e-9)
    np.testing.assert_allclose(reference, analysis.mds_embedding(reference_grams, 2), atol=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        analysis.aligned_mds(grams[0], reference_grams)
    with pytest.raises(ValueError, match="n_components"):
        analysis.aligned_mds(grams, reference_grams, 7)


# ------------------------------------------------------------ modes of a feature covariance


@pytest.mark.parametrize("form, size, basis", [
    ("ring", dict(n_items=12), theory.structural_spectrum("ring", 12).eigenvectors),
    ("grid", dict(shape=(3, 3)), theory.structural_spectrum("grid", 9).eigenvectors),
    ("tree", dict(branching=2, depth=3), theory.hierarchy_modes(2, 3)),
])
def test_covariance_modes_in_an_analytic_basis(form, size, basis):
    covariance = datasets.form_covariance(form, sigma2=4.0, **size)
    n_items = len(covariance)
    modes = theory.covariance_modes(covariance, 200, basis=basis)
    numeric = np.linalg.eigvalsh(covariance)[::-1]
    np.testing.assert_allclose(modes.eigenvalues, numeric, rtol=1e-10)
    np.testing.assert_allclose(covariance @ modes.eigenvectors,
                               modes.eigenvectors * modes.eigenvalues, atol=1e-12)
    np.testing.assert_allclose(modes.singular_values,
                               np.sqrt(200 * modes.eigenvalues) / n_items, rtol=1e-14)
    summed = theory.covariance_modes(covariance, 200, basis=basis, normalise="sum")
    np.testing.assert_allclose(summed.singular_values, n_items * modes.singular_values,
                               rtol=1e-14)


def test_covariance_modes_of_the_ring_agree_with_its_spectrum_and_the_tree_with_its_own():
    spectrum = theory.structural_spectrum("ring", 10, sigma2=3.0)
    covariance = datasets.form_covariance("ring", n_items=10, sigma2=3.0)
    modes = theory.covariance_modes(covariance, 50, basis=spectrum.eigenvectors)
    np.testing.assert_allclose(modes.eigenvalues, spectrum.eigenvalues, rtol=1e-12)
    np.testing.assert_array_equal(modes.eigenvectors, spectrum.eigenvectors)  # order kept
    # the branching-diffusion correlation M in its Haar basis: hierarchy_singular_values
    branching, depth, flip, n_features = 2, 3, 0.2, 300
    tree = theory.hierarchy_spectrum(branching, depth, flip)
    haar = theory.hierarchy_modes(branching, depth)
    correlation = haar @ np.diag(tree.all_eigenvalues()) @ haar.T
    found = theory.covariance_modes(correlation, n_features, basis=haar)
    expected = np.repeat(theory.hierarchy_singular_values(branching, depth, flip, n_features),
                         tree.multiplicities)
    np.testing.assert_allclose(found.singular_values, expected, rtol=1e-12)


def test_covariance_modes_of_clusters_numerically():
    covariance = datasets.form_covariance("clusters", n_items=8, n_clusters=2, sigma2=2.0)
    modes = theory.covariance_modes(covariance, 64)
    assert np.all(np.diff(modes.eigenvalues) <= 1e-12)
    np.testing.assert_allclose(covariance @ modes.eigenvectors,
                               modes.eigenvectors * modes.eigenvalues, atol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(covariance=np.ones((2, 3)), n_features=1), "symmetric"),
    (dict(covariance=np.array([[1.0, 2.0], [0.0, 1.0]]), n_features=1), "symmetric"),
    (dict(covariance=np.diag([1.0, -1.0]), n_features=1), "positive semi-definite"),
    (dict(covariance=np.eye(2), n_features=0), "n_features"),
    (dict(covariance=np.eye(2), n_features=1, normalise="max"), "normalise"),
    (dict(covariance=np.eye(2), n_features=1, basis=2 * np.eye(2)), "orthonormal"),
    (dict(covariance=np.diag([2.0, 1.0]), n_features=1,
          basis=np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2)), "eigenvectors"),
])
def test_covariance_modes_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        theory.covariance_modes(**kwargs)
