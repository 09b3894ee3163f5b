"""Developmental read-outs (semjax/analysis/_development.py) against the theory (docs/theory.md §5).

Every tolerance below is derived in the test that uses it. Two recurring ones:

* Linear interpolation of crossing times. A crossing of a(t) read by linear interpolation on
  a grid of step Δt is off by at most Δt² max|a''| / (8 min a') over the bracketing step. For
  the deep sigmoid τ da/dt = 2a(s − a): a'' = 4a(s − a)(s − 2a), |a''| ≤ 0.385 s³ (maximum of
  4x(1 − x)(1 − 2x) on [0, 1]).
* Small random starts against the aligned closed form (`theory.effective_a0`): the residual is
  the known delay of random starts (mode competition, rotation inside near-degenerate levels;
  Saxe et al. 2014 Fig. 3 right), a few per cent of a transition width.
"""

import dataclasses

import jax
import numpy as np
import pytest

from semjax import Task, Trajectory, datasets, simulate, theory
from semjax.analysis import _development as dev

_X = (3 - np.sqrt(3)) / 6  # argmax of 4x(1 − x)(1 − 2x) on [0, 1]
CURVATURE_BOUND = 4 * _X * (1 - _X) * (1 - 2 * _X)  # ≈ 0.385: |a''| ≤ 0.385 s³


def _interpolation_error(s, slope, dt):
    """Bound on a linearly interpolated crossing time of a deep mode (module docstring)."""
    return dt ** 2 * CURVATURE_BOUND * s ** 3 / (8 * 0.9 * slope)  # 0.9: slope change in a step


# --------------------------------------------------------------------- fixtures (module scope)


@pytest.fixture(scope="module")
def four_items():
    """The seed's four-item experiment (Σyx = Y, Σx = I) with item and property names."""
    return Task.from_dataset(datasets.four_items(), normalise="sum")


@pytest.fixture(scope="module")
def tree_task():
    """Branching diffusion, B = 2, D = 3 (P = 8), ε = 0.02, 4000 features, mean convention.

    Level singular values (docs/theory.md §4.5) ≈ 20.5 (root), 5.5, 3.7, 2.2: sampled fluctuations
    (relative sqrt(P/N_f) ≈ 4.5 %) split each level but keep the levels apart."""
    ds = datasets.branching_diffusion(jax.random.key(0), branching=2, depth=3, n_features=4000,
                                      flip=0.02)
    return Task.from_dataset(ds)


@pytest.fixture(scope="module")
def tree_deep_run(tree_task):
    """A deep net from a small Gaussian start on the tree task (3 seeds, RK4, float64)."""
    return simulate(tree_task, hidden=16, t_max=6.0, dt=0.01, init="gaussian", init_scale=1e-4,
                    n_seeds=3, method="rk4", record=("modes", "hidden_gram", "weights"),
                    record_every=10, dtype="float64", key=2)


@pytest.fixture(scope="module")
def rumelhart_task():
    return Task.from_dataset(datasets.rumelhart())


# ------------------------------------------------------------------- learning times, plateaus


def test_mode_learning_times_are_the_exact_crossings(seed_task):
    s, a0, dt = seed_task.modes.s, 1e-3, 1e-3
    run = theory.trajectory(seed_task, np.arange(0, 12, dt), a0)
    thresholds = (0.1, 0.5, 0.9)
    times = dev.mode_learning_times(run, s, thresholds)
    assert times.shape == (3, 4)
    for row, f in zip(times, thresholds):
        exact = np.asarray(theory.transition_time(s, a0, f * s))
        tolerance = _interpolation_error(s, 2 * f * (1 - f) * s ** 2, dt)
        assert np.all(np.abs(row - exact) <= tolerance), (row - exact, tolerance)


@pytest.mark.parametrize("a0", [1e-4, 1e-6])
def test_plateaus_match_the_closed_form(seed_task, a0):
    """Plateau = (τ/2s) ln(0.1 s (s − a0) / (a0 (s − 0.1 s))), width = (τ/2s) ln 81 (§2.2)."""
    s, dt = seed_task.modes.s, 1e-3
    runs = theory.trajectory(seed_task, np.arange(0, 12, dt), np.array([[a0], [2 * a0]]),
                             batch_axes=("scale",))
    result = dev.plateaus(runs, s)
    assert result.length.shape == result.width.shape == (2, 4)
    exact_length = np.log(0.1 * s * (s - a0) / (a0 * (s - 0.1 * s))) / (2 * s)
    tolerance = _interpolation_error(s, 0.18 * s ** 2, dt)  # slope 2a(s − a) at a = 0.1 s, 0.9 s
    assert np.all(np.abs(result.length[0] - exact_length) <= tolerance)
    assert np.all(np.abs(result.width - np.log(81) / (2 * s)) <= 2 * tolerance)
    # doubling a0 shortens the plateau by ≈ ln 2 / 2s and leaves the width unchanged
    np.testing.assert_allclose(result.length[0] - result.length[1], np.log(2) / (2 * s),
                               rtol=2 * a0 / (0.1 * s).min() + 1e-3)


def test_shallow_plateau_is_independent_of_s(seed_task):
    """Shallow b(t) = s − (s − b0) e^{−t}: length ln((s − b0)/(0.9 s)), width ln 9 for all s."""
    s, b0, dt = seed_task.modes.s, 1e-3, 1e-3
    run = theory.trajectory(seed_task, np.arange(0, 6, dt), b0, depth=1)
    result = dev.plateaus(run, s)
    # |b''| ≤ s, b' ≥ 0.1 s near 0.9 s: interpolation error ≤ dt² s / (8 · 0.1 s) = 1.25 dt²
    np.testing.assert_allclose(result.length, np.log((s - b0) / (0.9 * s)), atol=1.5 * dt ** 2)
    np.testing.assert_allclose(result.width, np.log(9), atol=3 * dt ** 2)


def test_loss_staircase_has_one_drop_per_distinct_singular_value(seed_task):
    """s = √7, √3, 1, 1: three drops, in order, each inside its modes' 10–90 % window; each
    drop removes ½ Σ s_α² of its modes up to the loss the other modes move between the two
    plateau points around it (computed from the closed form at those points)."""
    s, a0 = seed_task.modes.s, 1e-8
    run = theory.trajectory(seed_task, np.linspace(0, 14, 14001), a0)
    stairs = dev.loss_staircase(run)
    assert int(stairs.n_drops) == 3 and np.all(np.diff(stairs.times) > 0)
    window = dev.mode_learning_times(run, s, (0.1, 0.9))
    groups = [[0], [1], [2, 3]]
    for drop, group in enumerate(groups):
        assert window[0, group[0]] < stairs.times[drop] < window[1, group[0]]
        a_left, a_right = (np.asarray(theory.mode_strength(t, s, a0))
                           for t in stairs.plateau_times[drop:drop + 2])
        per_mode = 0.5 * (s - a_left) ** 2 - 0.5 * (s - a_right) ** 2  # loss each mode lost
        inside = np.isin(np.arange(4), group)
        leak = np.abs(per_mode[~inside]).sum() + np.abs(0.5 * s[inside] ** 2
                                                        - per_mode[inside]).sum()
        assert abs(stairs.drops[drop] - 0.5 * np.sum(s[group] ** 2)) <= leak + 1e-12
        assert leak < 0.05 * 0.5 * np.sum(s[group] ** 2)  # the plateaus really separate them
    np.testing.assert_allclose(stairs.plateau_losses[0] - stairs.plateau_losses[-1],
                               stairs.drops.sum(), rtol=1e-12)


def test_loss_staircase_of_a_shallow_net_is_one_drop(seed_task):
    run = theory.trajectory(seed_task, np.linspace(0, 12, 6001), np.array([[1e-3], [1e-2]]),
                            depth=1, batch_axes=("scale",))
    stairs = dev.loss_staircase(run)
    assert stairs.n_drops.tolist() == [1, 1] and stairs.times.shape == (2, 1)
    # −dL/d ln t of L = L0 e^{−2t} peaks at t = ½
    np.testing.assert_allclose(stairs.times[:, 0], 0.5, atol=2 * 12 / 6000)


def test_loss_staircase_definition_on_a_synthetic_rate():
    """A rate profile on a uniform ln t grid: a flat-topped drop with a shoulder bump that does
    not fall to half its height (not a drop), a plateau, then a smaller drop. Exactly two
    drops, read at the first point of the top; the drop sizes add up to the loss lost."""
    rate = np.array([0, 0, 1, 2, 2, 1.5, 1.6, 1, 0, 0, 0.3, 1, 0.3, 0, 0], dtype=float)
    h = 0.1
    t = np.concatenate([[0.0], np.exp(h * np.arange(len(rate) + 1))])
    loss = 10 - np.concatenate([[0.0, 0.0], np.cumsum(rate) * h])
    run = Trajectory.create(t=t, finite=np.array(True), loss=loss)
    stairs = dev.loss_staircase(run)
    assert int(stairs.n_drops) == 2
    np.testing.assert_allclose(stairs.rates, [2, 1])
    np.testing.assert_allclose(np.log(stairs.times), h * (np.array([3, 11]) + 0.5))
    np.testing.assert_allclose(stairs.rate, rate)
    np.testing.assert_allclose(stairs.drops.sum(), rate.sum() * h)


# ------------------------------------------------------------ progressive differentiation (§5.1)


def test_levels_of_an_exact_tree_are_its_haar_levels():
    task = Task.from_dataset(datasets.regular_tree(2, 3))
    levels = dev.hierarchy_levels_of_modes(task, 2, 3)
    assert levels.tolist() == [-1, 0, 1, 1, 2, 2, 2, 2]


def test_progressive_differentiation_deep_in_order_shallow_not(tree_task, tree_deep_run):
    levels = dev.hierarchy_levels_of_modes(tree_task, 2, 3)
    assert levels.tolist() == [-1, 0, 1, 1, 2, 2, 2, 2]

    exact = theory.trajectory(tree_task, np.linspace(0, 6, 6001), 1e-6)
    order = dev.level_learning_order(exact, tree_task, levels)
    assert order.levels.tolist() == [-1, 0, 1, 2]
    assert bool(order.coarse_to_fine) and np.all(np.diff(order.half_times) > 0)
    # each level's half-time is its median mode's (τ/2s) ln(s/(d a0) − 1), d = 1/P
    expected = np.asarray(theory.half_time(tree_task.modes.s, 1e-6 / 8))
    np.testing.assert_allclose(order.mode_half_times, expected, rtol=1e-5)

    simulated = dev.level_learning_order(tree_deep_run, tree_task, levels)
    assert simulated.half_times.shape == (3, 4)
    assert np.all(simulated.coarse_to_fine), simulated.half_times

    shallow = simulate(tree_task, depth=1, t_max=12.0, dt=0.01, init="gaussian",
                       init_scale=1e-3, n_seeds=2, method="rk4", record_every=5,
                       dtype="float64")
    flat = dev.level_learning_order(shallow, tree_task, levels)
    assert not np.any(flat.coarse_to_fine)
    # b(t) = s − (s − b0) e^{−t/P} ⇒ t½ = P ln(2 (1 − b0/s)): all equal up to |b0/s| / ln 2
    b0 = np.abs(shallow.modes[..., 0, :] / tree_task.modes.s).max()
    spread = np.ptp(flat.half_times, axis=-1) / flat.half_times.mean(axis=-1)
    assert np.all(spread <= 2 * b0 / np.log(2) + 1e-6), (spread, b0)
    np.testing.assert_allclose(flat.half_times, 8 * np.log(2), rtol=2 * b0 / np.log(2) + 1e-6)


# ---------------------------------------------------------- representational similarity (§5.8)


def test_rsm_is_the_coarse_part_when_only_coarse_modes_are_learned(tree_task):
    """At t with a/s > 0.9 for the level-0 mode and a/s < 0.05 for the level-1 modes, the RSM
    is Σ_{root, level 0} w_α v_α v_αᵀ up to the neglected modes: with orthonormal v_α the
    Frobenius error is exactly sqrt(Σ_neglected w_β²) ≤ 0.05 sqrt(Σ_neglected s_β²)/d, and
    ‖RSM‖ ≥ 0.9 sqrt(Σ_kept s_α²)/d, so the relative error is ≤ 0.05/0.9 · sqrt(Σ_neglected
    s²/Σ_kept s²)."""
    _, s, V = tree_task.modes
    levels = dev.hierarchy_levels_of_modes(tree_task, 2, 3)
    run = theory.trajectory(tree_task, np.linspace(0, 8, 4001), 1e-14,
                            record=("modes", "hidden_gram"))
    progress = run.modes / s
    level0, finer = levels == 0, levels >= 1
    window = (progress[:, level0].min(axis=1) > 0.9) & (progress[:, finer].max(axis=1) < 0.05)
    assert window.any(), "no time with level 0 learned and level 1 not; lower a0"
    rsm = dev.representational_similarity(run)[window]
    kept = levels <= 0
    w = run.modes[window] * 8  # product strengths a/d, d = 1/P
    coarse = np.einsum("ia,ta,ja->tij", V[:, kept], w[:, kept], V[:, kept])
    error = np.linalg.norm(rsm - coarse, axis=(1, 2)) / np.linalg.norm(rsm, axis=(1, 2))
    exact_error = np.sqrt(np.sum(w[:, ~kept] ** 2, axis=1)) / np.linalg.norm(rsm, axis=(1, 2))
    np.testing.assert_allclose(error, exact_error, rtol=1e-9)
    bound = 0.05 / 0.9 * np.sqrt(np.sum(s[~kept] ** 2) / np.sum(s[kept] ** 2))
    assert error.max() <= bound, (error.max(), bound)
    # block structure over the level-0 split (items 0–3 vs 4–7): within-half similarity above
    # between-half similarity
    last = rsm[-1]
    within = np.r_[last[:4, :4].ravel(), last[4:, 4:].ravel()]
    assert within.min() > last[:4, 4:].max()


def test_simulated_rsm_matches_the_theory(tree_task, tree_deep_run):
    """Small Gaussian start vs V A(t) Vᵀ with the effective a0 of the same weights, once the
    root mode is half learned (before that the RSM is the random initial Gram, which the
    aligned approximation leaves out). With W_sim = diag(a_sim/d) the simulation's own mode
    strengths,

        ‖RSM_sim − RSM_th‖ ≤ ‖V (W_sim − W_th) Vᵀ‖ + ‖RSM_sim − V W_sim Vᵀ‖
                          = sqrt(Σ_α Δw_α²)      + (off-mode part):

    the first is the known delay of random starts, the second the transient rotation inside
    each near-degenerate level (the sampled level-2 singular values differ by 1–5 %). Over 12
    runs (keys 0–3) each part stays ≤ 3.8 % of ‖RSM_th‖ (total ≤ 4.7 %); tolerance 6 % each.

    Normalised RSMs inherit the Gram's error: with Δ = max|G_sim − G_th| and m = min_i
    (G_th)_ii, |cos_sim − cos_th| ≤ Δ/(m − Δ) (numerator) + Δ/(m − Δ) (norms) = 2Δ/(m − Δ);
    "correlation" is the same on the item-centred Grams J G J."""
    run, V = tree_deep_run, tree_task.modes.V
    a0 = theory.effective_a0(tree_task, [w[:, 0] for w in run.weights])
    exact = theory.trajectory(tree_task, run.t, a0, batch_axes=("seed",),
                              record=("modes", "hidden_gram"))
    sim, th = dev.representational_similarity(run), dev.representational_similarity(exact)
    learned = run.t >= dev.mode_learning_times(exact, tree_task.modes.s, (0.5,))[:, 0, 0].max()
    size = np.linalg.norm(th, axis=(-2, -1))[:, learned]
    error = np.linalg.norm(sim - th, axis=(-2, -1))[:, learned] / size
    timing = np.sqrt(np.sum(((run.modes - exact.modes) * 8) ** 2, axis=-1))[:, learned] / size
    own = np.einsum("ia,...a,ja->...ij", V, run.modes * 8, V)  # V W_sim Vᵀ, d = 1/P
    rotation = np.linalg.norm(sim - own, axis=(-2, -1))[:, learned] / size
    assert np.all(error <= timing + rotation + 1e-12)
    assert timing.max() < 0.06 and rotation.max() < 0.06, (timing.max(), rotation.max())
    centre = np.eye(8) - 1 / 8
    for normalise, J in (("cosine", np.eye(8)), ("correlation", centre)):
        sim_n = dev.representational_similarity(run, normalise)[:, learned]
        th_n = dev.representational_similarity(exact, normalise)[:, learned]
        assert np.abs(np.diagonal(sim_n, axis1=-2, axis2=-1) - 1).max() < 1e-12
        g_sim, g_th = J @ sim[:, learned] @ J, J @ th[:, learned] @ J
        delta = np.abs(g_sim - g_th).max(axis=(-2, -1))
        smallest = np.diagonal(g_th, axis1=-2, axis2=-1).min(axis=-1)
        assert np.all(delta < smallest)
        bound = 2 * delta / (smallest - delta)
        assert np.all(np.abs(sim_n - th_n).max(axis=(-2, -1)) <= bound + 1e-12)


def test_rsm_normalisations():
    H = np.array([[1.0, 0.0, 2.0], [1.0, 1.0, 0.0], [3.0, 1.0, 1.0]])  # rows: hidden units
    gram = H.T @ H
    run = Trajectory.create(t=np.arange(1.0), finite=np.array(True), hidden_gram=gram[None])
    np.testing.assert_allclose(dev.representational_similarity(run)[0], gram)
    norms = np.linalg.norm(H, axis=0)
    np.testing.assert_allclose(dev.representational_similarity(run, "cosine")[0],
                               gram / np.outer(norms, norms), rtol=1e-14)
    centred = H - H.mean(axis=1, keepdims=True)  # item-centred: subtract the mean item
    c_norms = np.linalg.norm(centred, axis=0)
    np.testing.assert_allclose(dev.representational_similarity(run, "correlation")[0],
                               centred.T @ centred / np.outer(c_norms, c_norms), rtol=1e-13)
    zero = Trajectory.create(t=np.arange(1.0), finite=np.array(True),
                             hidden_gram=np.zeros((1, 2, 2)))
    assert np.all(np.isnan(dev.representational_similarity(zero, "cosine")))


def test_mds_recovers_known_configurations():
    """Points on a line and the corners of a rectangle: classical MDS returns them centred, up
    to a rotation/reflection (exact distances), with the stated sign convention."""
    line = np.array([0.0, 1.0, 3.0, 7.0])
    coords = dev.mds_embedding(np.outer(line, line), n_components=1)[:, 0]
    np.testing.assert_allclose(coords, line - line.mean(), atol=1e-12)  # largest |x| positive

    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]]) + 5.0
    gram = square @ square.T
    coords = dev.mds_embedding(np.stack([gram, 4 * gram]))  # batched, scaled copy
    assert coords.shape == (2, 4, 2)
    for k, points in enumerate((square, 2 * square)):
        distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
        found = np.linalg.norm(coords[k][:, None] - coords[k][None], axis=-1)
        np.testing.assert_allclose(found, distances, atol=1e-12)
        np.testing.assert_allclose(coords[k].sum(axis=0), 0, atol=1e-12)
        # the long side (length 2·scale) is the first component: |x| = scale on every corner
        np.testing.assert_allclose(np.abs(coords[k][:, 0]), k + 1, atol=1e-12)
    # determinism: every component's first largest-magnitude entry is positive
    magnitude = np.abs(coords)
    first = np.argmax(magnitude >= magnitude.max(axis=-2, keepdims=True) * (1 - 1e-6), axis=-2)
    assert np.all(np.take_along_axis(coords, first[:, None], axis=-2) > 0)


def test_mds_of_learned_representations_separates_the_coarsest_split(tree_task):
    """Once the level-0 mode is learned (and finer ones not), the first MDS axis is the
    level-0 split: animals and plants on opposite sides.

    Bound on the second axis: MDS diagonalises J G J with G = Σ_α w_α v_α v_αᵀ. By Weyl,
    λ2(JGJ) ≤ w_root ‖J v_root‖² + max_{finer} w_β (J G_level0 J has rank one), and
    λ1(JGJ) ≥ w_0 ‖J v_0‖², so ‖x_2‖/‖x_1‖ = sqrt(λ2/λ1) is bounded by their ratio."""
    levels = dev.hierarchy_levels_of_modes(tree_task, 2, 3)
    run = theory.trajectory(tree_task, np.linspace(0, 8, 4001), 1e-14,
                            record=("modes", "hidden_gram"))
    progress = run.modes / tree_task.modes.s
    window = (progress[:, levels == 0].min(axis=1) > 0.9) & (progress[:, levels >= 1].max(
        axis=1) < 0.05)
    coords = dev.mds_embedding(dev.representational_similarity(run)[window])
    first, second = coords[..., 0], coords[..., 1]
    assert np.all(first[:, :4] > 0) and np.all(first[:, 4:] < 0)  # sign convention: item 0 +
    V, w = tree_task.modes.V, run.modes[window] * 8  # product strengths a/d, d = 1/P
    centred = V - V.mean(axis=0)  # J v_α
    leak = np.sum(centred ** 2, axis=0)
    bound = np.sqrt((w[:, 0] * leak[0] + w[:, levels >= 1].max(axis=1))
                    / (w[:, 1] * leak[1]))
    ratio = np.linalg.norm(second, axis=-1) / np.linalg.norm(first, axis=-1)
    assert np.all(ratio <= bound * (1 + 1e-9)) and bound.max() < 0.25, (ratio, bound)


# ------------------------------------------------------------------ illusory correlations (§5.3)

WITHIN_PAIR = {("salmon", "fly"), ("canary", "swim"), ("oak", "petals"), ("rose", "leaves")}
ACROSS_SPLIT = {("canary", "roots"), ("salmon", "roots"), ("oak", "move"), ("rose", "move")}


@pytest.fixture(scope="module")
def four_item_deep(four_items):
    return simulate(four_items, hidden=16, t_max=14.0, dt=0.01, init="gaussian",
                    init_scale=1e-4, n_seeds=3, method="rk4",
                    record=("modes", "product", "weights"), record_every=5, dtype="float64",
                    key=1)


def test_deep_illusions_are_the_within_pair_properties(four_items, four_item_deep):
    """ŷ = Σ_α w_α u^α_m v^α_i: the all-items and animal/plant modes (learned first) give
    'salmon can fly' 1/4 + 1/4 = 1/2 before the pair mode removes it, so the four within-pair
    illusions approach 1/2; the across-split ones (plants 'move', animals 'have roots') peak
    lower because the animal/plant mode follows the first mode closely."""
    for result in (dev.illusory_correlations(four_item_deep, four_items),
                   *(dev.illusory_correlations(four_item_deep.select(seed=k), four_items)
                     for k in range(3))):
        top = [(r.item, r.property) for r in result.ranked[:8]]
        assert set(top[:4]) == WITHIN_PAIR and set(top[4:]) == ACROSS_SPLIT, top
        assert all(r.sign == 1 and 0.35 < r.size < 0.5 for r in result.ranked[:8])
    result = dev.illusory_correlations(four_item_deep, four_items)
    assert result.size.shape == (3, 7, 4) and result.final.shape == (7, 4)
    np.testing.assert_allclose(result.final, datasets.four_items().targets, atol=1e-12)
    # an illusion peaks between the learning of the coarse modes and of the pair mode
    half = dev.mode_learning_times(four_item_deep, four_items.modes.s, (0.5,))[:, 0]
    fly = result.time[:, 3, 1]  # property 'fly', item 'salmon'
    assert np.all((half[:, 1] < fly) & (fly < half[:, 2:].max(axis=1)))
    assert result.ranking(0) == dev.illusory_correlations(four_item_deep.select(seed=0),
                                                          four_items).ranked


def test_simulated_illusions_match_the_theory(four_items, four_item_deep):
    """The illusion size is 1-Lipschitz in the prediction path and its endpoints, so per run
    |size_sim − size_theory| ≤ sup_t |ŷ_sim − ŷ_th| + |ŷ_sim(0) − ŷ_th(0)|; the path gap of a
    small Gaussian start against its aligned approximation is a few % of the illusion (< 0.1)."""
    run = four_item_deep
    a0 = theory.effective_a0(four_items, [w[:, 0] for w in run.weights])
    exact = theory.trajectory(four_items, run.t, a0, batch_axes=("seed",), record=("product",))
    sim, th = (dev.illusory_correlations(x, four_items) for x in (run, exact))
    gap = np.abs(run.product - exact.product).max(axis=1)  # (seed, N3, N1), X = I
    start = np.abs(run.product[:, 0] - exact.product[:, 0])
    assert np.all(np.abs(sim.size - th.size) <= gap + start + 1e-12)
    assert gap.max() < 0.1, gap.max()
    top = [(r.item, r.property) for r in th.ranked[:8]]
    assert set(top[:4]) == WITHIN_PAIR and set(top[4:]) == ACROSS_SPLIT


HAS_BONES = np.array([-1, 1, 1, 1, -1, -1, -1, -1])  # item 0 the shark, 0–3 the animals


def test_the_shark_has_bones_before_it_has_none(tree_task, tree_deep_run):
    """docs/theory.md §4.3, §5.3 (the Neuromatch illusion): some sampled features of the tree
    equal has_bones (8 of 4000 here). With ŷ = Σ_α (a_α/d) u_α[f] v_α[shark], each level of
    modes, once learned, sets the shark's prediction to the mean of has_bones over the shark's
    group at that level: −1/4 (all items), then +1/2 (animals), then 0 (fish), then −1 (the
    shark alone). The simulated nets (Gaussian starts) and their closed forms (from the
    effective a0, the call of test_simulated_rsm_matches_the_theory) both sit at −1/4, then
    predict bones for the shark (above 0.45) between the animal/plant and the fish/bird
    half-times, positive over the same records to one record, and end at −1."""
    features = np.flatnonzero(np.all(tree_task.targets == HAS_BONES, axis=1))
    assert features.size > 0
    U, s, V = tree_task.modes
    run = tree_deep_run
    a0 = theory.effective_a0(tree_task, [w[:, 0] for w in run.weights])
    exact = theory.trajectory(tree_task, run.t, a0, batch_axes=("seed",),
                              record=("modes", "hidden_gram"))
    w1, w2 = run.weights
    predictions = {  # (seed, time)
        "simulation": np.einsum("sth,sth->st", w2[:, :, features[0]], w1[..., 0]),
        "closed form": exact.modes @ (U[features[0]] * V[0] / tree_task.input_scale)}
    half = dev.mode_learning_times(exact, s, (0.5,))[:, 0]  # (seed, mode)
    t = run.t
    windows = []
    for name, prediction in predictions.items():
        plateau = np.where(t < half[:, 1:2], prediction, np.inf).min(axis=1)
        np.testing.assert_allclose(plateau, -0.25, atol=0.02, err_msg=name)
        peak = t[prediction.argmax(axis=1)]
        assert np.all(prediction.max(axis=1) > 0.45), (name, prediction.max(axis=1))
        assert np.all((half[:, 1] < peak) & (peak < half[:, 2:4].min(axis=1))), (name, peak)
        assert np.all(prediction[:, -1] < -0.99), (name, prediction[:, -1])
        positive = (prediction > 0) & (t > half[:, :1])
        windows.append([(t[row].min(), t[row].max()) for row in positive])
    np.testing.assert_allclose(*windows, atol=0.1 + 1e-9)


def test_shallow_net_has_no_illusions(four_items):
    """Shallow flow τ dW/dt = Σyx − W: every entry relaxes monotonically (and an RK4 step
    multiplies W − T by a number in (0, 1)), so nothing leaves [ŷ0, ŷ∞] beyond roundoff."""
    run = simulate(four_items, depth=1, t_max=10.0, dt=0.01, init="gaussian", init_scale=1e-3,
                   n_seeds=2, method="rk4", record=("product",), record_every=5,
                   dtype="float64")
    result = dev.illusory_correlations(run, four_items)
    assert result.size.max() <= 1e-12 and result.ranked == ()
    exact = theory.trajectory(four_items, run.t, 1e-3, depth=1, record=("product",))
    assert dev.illusory_correlations(exact, four_items).size.max() <= 1e-12


# --------------------------------------------------------------------------- typicality (§5.4)


def test_typicality_identity(rumelhart_task):
    """v^α_i = u_αᵀ y^i / (P s_α) for one-hot items under the mean convention, to 1e-12."""
    Y = datasets.rumelhart().targets
    U, s, V = rumelhart_task.modes
    for mode in range(len(s)):
        result = dev.typicality(rumelhart_task, mode)
        np.testing.assert_allclose(result.values, U[:, mode] @ Y / (8 * s[mode]), atol=1e-12)
        np.testing.assert_array_equal(result.values, V[:, mode])  # one-hot: v_αᵀ x_i = v^α_i
        np.testing.assert_allclose(result.prototype, U[:, mode])
    birds = dev.typicality(rumelhart_task, 2, items=["robin", "canary"])
    assert birds.items == ("robin", "canary") and birds.order == ("canary", "robin")


# (mode, category): animals/plants on mode 1, birds/fish on mode 2, trees/flowers on mode 3
CATEGORIES = [(0, list(range(8))), (1, [0, 1, 2, 3]), (1, [4, 5, 6, 7]), (2, [4, 5]),
              (2, [6, 7]), (3, [0, 1])]


@pytest.mark.parametrize("mode, items", CATEGORIES)
def test_typical_items_respond_first_exactly(rumelhart_task, mode, items):
    """Theory: r_i(t) = w_α(t) v^α_i with w = a/d, so r_i = θ at a_α = θ d/|v^α_i| and the
    crossing time is the closed-form transition time of a_α: earlier for larger |v^α_i|."""
    s, dt, a0, d = rumelhart_task.modes.s[mode], 1e-3, 1e-6, 1 / 8
    run = theory.trajectory(rumelhart_task, np.arange(0, 40, dt), a0,
                            record=("modes", "product"))
    values = dev.typicality(rumelhart_task, mode, items).values
    threshold = 0.5 * s / d * np.abs(values).min()  # half the weakest final response
    times = dev.category_response_times(run, rumelhart_task, mode, threshold, items)
    target = threshold * d / np.abs(values)
    exact = np.asarray(theory.transition_time(s, d * a0, target))
    tolerance = _interpolation_error(s, 2 * target * (s - target), dt)
    assert np.all(np.abs(times - exact) <= tolerance), (times - exact, tolerance)
    assert np.argsort(times).tolist() == np.argsort(-np.abs(values), kind="stable").tolist()
    modes_only = dataclasses.replace(run, product=None)
    np.testing.assert_allclose(dev.category_response_times(modes_only, rumelhart_task, mode,
                                                           threshold, items), times, rtol=1e-10)


def test_typical_items_respond_first_in_a_simulated_net(rumelhart_task):
    """Small Gaussian start: the response u_αᵀ ŷ^i also carries transient leakage from other
    modes, which can swap near-ties (e.g. sunfish 0.3154 vs salmon 0.3143 on mode 1); every
    within-category pair whose |v^α_i| differ by > 5 % crosses in the order of |v^α_i|. The
    threshold is 0.8 × the weakest final response, late in the transition, where the leakage
    has decayed against the category mode (at 0.5 one of 12 runs, keys 0–3, swapped a 7.7 %
    pair; at 0.8 none did, smallest margin 0.01 τ)."""
    run = simulate(rumelhart_task, hidden=16, t_max=40.0, dt=0.02, init="gaussian",
                   init_scale=1e-4, n_seeds=3, method="rk4", record=("product",),
                   record_every=5, dtype="float64")
    checked = 0
    for mode, items in CATEGORIES:
        values = np.abs(dev.typicality(rumelhart_task, mode, items).values)
        threshold = 0.8 * rumelhart_task.modes.s[mode] * 8 * values.min()
        times = dev.category_response_times(run, rumelhart_task, mode, threshold, items)
        assert times.shape == (3, len(items)) and np.all(np.isfinite(times))
        for i in range(len(items)):
            for j in range(len(items)):
                if values[i] > 1.05 * values[j]:
                    assert np.all(times[:, i] < times[:, j]), (mode, items[i], items[j])
                    checked += 1
    assert checked >= 8


# --------------------------------------------------------------------------------- bad input


def test_missing_fields_say_which_record_to_use(seed_task):
    run = theory.trajectory(seed_task, np.linspace(0, 1, 5), 1e-3, record=("loss",))
    with pytest.raises(ValueError, match=r"record=\(\.\.\., 'modes'\)"):
        dev.mode_learning_times(run, seed_task.modes.s)
    with pytest.raises(ValueError, match="'hidden_gram'"):
        dev.representational_similarity(run)
    with pytest.raises(ValueError, match="'product'"):
        dev.illusory_correlations(run, seed_task)
    with pytest.raises(ValueError, match="neither 'product' nor 'modes'"):
        dev.category_response_times(run, seed_task, 0, 0.1)
    no_loss = theory.trajectory(seed_task, np.linspace(0, 1, 5), 1e-3, record=("modes",))
    with pytest.raises(ValueError, match="'loss'"):
        dev.loss_staircase(no_loss)


@pytest.mark.parametrize("call, exception, pattern", [
    (lambda t, r: dev.mode_learning_times(r, t.modes.s, (0.5, 1.0)), ValueError, "thresholds"),
    (lambda t, r: dev.mode_learning_times(r, t.modes.s[:2]), ValueError, "s must"),
    (lambda t, r: dev.plateaus(r, t.modes.s, low=0.9, high=0.1), ValueError, "low"),
    (lambda t, r: dev.loss_staircase(r, valley=1.0), ValueError, "valley"),
    (lambda t, r: dev.representational_similarity(r, "pearson"), ValueError, "normalise"),
    (lambda t, r: dev.mds_embedding(np.ones((3, 2))), ValueError, "rsm"),
    (lambda t, r: dev.mds_embedding(np.eye(3), n_components=4), ValueError, "n_components"),
    (lambda t, r: dev.mds_embedding(np.triu(np.ones((3, 3)))), ValueError, "symmetric"),
    (lambda t, r: dev.hierarchy_levels_of_modes(t, 2, 3), ValueError, "leaves"),
    (lambda t, r: dev.hierarchy_levels_of_modes(t.sigma_yx, 2, 2), TypeError, "task"),
    (lambda t, r: dev.level_learning_order(r, t, [0, 1]), ValueError, "levels"),
    (lambda t, r: dev.level_learning_order(r, t, [0.0, 1.0, 2.0, 2.0]), ValueError, "levels"),
    (lambda t, r: dev.typicality(t, 4), ValueError, "category_mode"),
    (lambda t, r: dev.typicality(t, 0, items=["dog"]), ValueError, "dog"),
    (lambda t, r: dev.typicality(t, 0, items=[1.5]), TypeError, "items"),
    (lambda t, r: dev.category_response_times(r, t, 0, -1.0), ValueError, "threshold"),
    (lambda t, r: dev.illusory_correlations(r, Task(np.ones((2, 2)))), ValueError, "product"),
])
def test_bad_arguments_name_the_argument(seed_task, call, exception, pattern):
    run = theory.trajectory(seed_task, np.linspace(0, 1, 5), 1e-3,
                            record=("modes", "loss", "product", "hidden_gram"))
    with pytest.raises(exception, match=pattern):
        call(seed_task, run)
