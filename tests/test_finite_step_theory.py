"""Finite-learning-rate theory: the exact gradient-descent map against full matrix gradient
descent (a numpy float64 loop), its stability bound, and the orders of the flow and of the
modified flow (Barrett & Dherin 2021) against the exact map."""

import numpy as np
import pytest

from semjax import Task, theory

S = np.array([2.0, 1.1, 0.4])  # singular values of Σyx
D = np.array([1.3, 0.7, 1.0])  # eigenvalues of Σx along v_α (non-white, shared basis)
A0 = np.array([0.02, 0.05, 0.3])  # initial product strengths ũ(0)


def _orthonormal(rng, rows, columns):
    return np.linalg.qr(rng.normal(size=(rows, columns)))[0]


def _problem(seed=0, n_in=4, n_out=5, hidden=4):
    """Σyx = U S Vᵀ and Σx = Q diag(D, 0.9, …) Qᵀ with Q = [V, v⊥, …]; orthonormal hidden
    bases."""
    rng = np.random.default_rng(seed)
    V_full = _orthonormal(rng, n_in, n_in)
    U, V = _orthonormal(rng, n_out, len(S)), V_full[:, :len(S)]
    sigma_x = V_full @ np.diag(np.r_[D, np.full(n_in - len(S), 0.9)]) @ V_full.T
    hidden_bases = [_orthonormal(rng, hidden, len(S)) for _ in range(3)]
    return U, V, U @ np.diag(S) @ V.T, sigma_x, hidden_bases


def _aligned_start(U, V, hidden_bases, depth, lam):
    """W_l = B_l diag(w) B_{l−1}ᵀ with B_0 = V, B_L = U, w = a0^{1/L}; for λ ≠ 0 (depth 2)
    W_1 = B_1 diag(b) Vᵀ, W_2 = U diag(c) B_1ᵀ with c² − b² = λ, cb = a0."""
    if lam:
        root = np.sqrt(lam ** 2 + 4 * A0 ** 2)
        c, b = np.sqrt((root + lam) / 2), np.sqrt((root - lam) / 2)
        return [hidden_bases[0] @ np.diag(b) @ V.T, U @ np.diag(c) @ hidden_bases[0].T]
    bases = [V, *hidden_bases[:depth - 1], U]
    w = A0 ** (1 / depth)
    return [bases[l + 1] @ np.diag(w) @ bases[l].T for l in range(depth)]


def _chain(layers, size):
    """W_k ⋯ W_j for layers [W_j, …, W_k]; the identity of ``size`` if empty."""
    result = np.eye(size)
    for w in layers:
        result = w @ result
    return result


def _matrix_gradient_descent(weights, sigma_yx, sigma_x, eta, n_steps, U, V):
    """Full-batch gradient descent W_l ← W_l − η ∂L/∂W_l on L = ½tr Σy − tr(WᵀΣyx) +
    ½tr(WΣxWᵀ), ∂L/∂W_l = (W_L⋯W_{l+1})ᵀ (WΣx − Σyx) (W_{l−1}⋯W_1)ᵀ; records
    m_α = u_αᵀ W Σx v_α and v_αᵀ W_1ᵀW_1 v_α at every step."""
    modes, grams = [], []
    for _ in range(n_steps + 1):
        product = _chain(weights, sigma_x.shape[0])
        modes.append(np.diag(U.T @ product @ sigma_x @ V))
        grams.append(np.diag(V.T @ weights[0].T @ weights[0] @ V))
        residual = product @ sigma_x - sigma_yx
        weights = [w - eta * _chain(weights[l + 1:], w.shape[0]).T @ residual
                   @ _chain(weights[:l], sigma_x.shape[0]).T for l, w in enumerate(weights)]
    return np.array(modes), np.array(grams)


CASES = [(1, 0.0), (2, 0.0), (3, 0.0), (2, 0.8), (2, -0.5)]


@pytest.mark.parametrize("depth, lam", CASES)
def test_gd_map_is_matrix_gradient_descent(depth, lam):
    """The scalar map equals full matrix gradient descent from an aligned start, mode by mode,
    including non-white shared-basis Σx and λ-balanced pairs (which do not conserve λ)."""
    U, V, sigma_yx, sigma_x, hidden_bases = _problem()
    eta, n_steps = 0.05, 150
    weights = _aligned_start(U, V, hidden_bases, depth, lam)
    modes, _ = _matrix_gradient_descent(weights, sigma_yx, sigma_x, eta, n_steps, U, V)
    theory_modes = np.asarray(theory.gd_mode_strength(n_steps, S, A0, eta, depth=depth, lam=lam,
                                                      d=D))
    assert theory_modes.shape == (n_steps + 1, len(S))
    np.testing.assert_allclose(theory_modes, modes, rtol=1e-12, atol=1e-14)
    assert abs(modes[-1, 0] / S[0] - 1) < 1e-3  # the strongest mode has been learned
    at = np.array([[0, 7], [150, 33]])
    np.testing.assert_array_equal(theory.gd_mode_strength(at, S, A0, eta, depth=depth, lam=lam,
                                                          d=D), theory_modes[at])


@pytest.mark.parametrize("depth, lam", CASES)
def test_trajectory_with_learning_rate_is_the_exact_map(depth, lam):
    """trajectory(learning_rate=η) reads the map at steps t/η: modes, loss and the hidden Gram
    matrix (for λ ≠ 0 from the W_1 component, since λ drifts) equal matrix gradient descent."""
    U, V, sigma_yx, sigma_x, hidden_bases = _problem(n_in=len(S))  # full rank: r = 3 modes
    eta = 0.05
    task = Task(sigma_yx=sigma_yx, sigma_x=sigma_x)
    weights = _aligned_start(U, V, hidden_bases, depth, lam)
    modes, grams = _matrix_gradient_descent(weights, sigma_yx, sigma_x, eta, 60, U, V)
    steps = np.array([0, 1, 7, 60])
    run = theory.trajectory(task, eta * steps, A0, depth=depth, lam=lam, learning_rate=eta,
                            record=("modes", "loss", "hidden_gram"))
    assert run.info["route"] == "gradient_descent" and run.info["learning_rate"] == eta
    np.testing.assert_allclose(run.modes, modes[steps], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.loss, 0.5 * np.sum((modes[steps] - S) ** 2 / D, axis=-1),
                               rtol=1e-11, atol=1e-14)
    projected = np.einsum("ia,tij,ja->ta", V, run.hidden_gram, V)
    np.testing.assert_allclose(projected, grams[steps], rtol=1e-11, atol=1e-14)


def test_trajectory_learning_rate_errors():
    task = Task(sigma_yx=np.diag(S), sigma_x=np.eye(3))
    with pytest.raises(ValueError, match=r"whole multiples of learning_rate.*t\[1\]=0\.015"):
        theory.trajectory(task, [0.0, 0.015], 1e-3, learning_rate=0.01)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        theory.trajectory(task, [0.0], 1e-3, learning_rate=0.0)
    weights = (np.eye(3) * 0.1, np.eye(3) * 0.1)
    with pytest.raises(ValueError, match="learning_rate applies to aligned starts"):
        theory.trajectory(task, [0.0], init=weights, learning_rate=0.01)
    run = theory.trajectory(task, 0.01 * np.arange(5) * 3, 1e-3, learning_rate=0.01)
    np.testing.assert_array_equal(run.modes, theory.gd_mode_strength(np.arange(5) * 3, S, 1e-3,
                                                                     0.01))


@pytest.mark.parametrize("depth, lam, d", [(1, 0.0, 0.6), (2, 0.0, 1.7), (3, 0.0, 0.6),
                                           (4, 0.0, 1.2), (2, 1.5, 0.8)])
def test_stability_bound_separates_convergence_from_oscillation(depth, lam, d):
    """Near m = s the deviation is multiplied by 1 − ηh per step, h = 2/η*: at 0.98 η* it
    alternates in sign and shrinks by 0.96 per step (and converges); at 1.02 η* it alternates
    and grows by 1.04 per step."""
    s = 1.3
    bound = float(theory.gd_stability_bound(s, depth=depth, lam=lam, d=d))
    start = s / d * (1 + 1e-6)  # recorded strength 1e-6 above s
    for factor in (0.98, 1.02):
        m = np.asarray(theory.gd_mode_strength(200, s, start, factor * bound, depth=depth,
                                               lam=lam, d=d))
        deviation = m - s
        ratios = deviation[1:60] / deviation[:59]
        np.testing.assert_allclose(ratios, 1 - 2 * factor, rtol=2e-4)
        if factor < 1:
            assert abs(deviation[-1]) < 1e-9 * s
        else:
            assert abs(deviation[-1]) > 1e-4 * s


def test_stability_bound_formulas():
    s = np.array([0.5, 2.0])
    np.testing.assert_allclose(theory.gd_stability_bound(s, depth=1, d=0.25), 8.0, rtol=1e-15)
    np.testing.assert_allclose(theory.gd_stability_bound(s, d=0.25), 1 / s, rtol=1e-15)
    np.testing.assert_allclose(theory.gd_stability_bound(s, depth=3),
                               2 / (3 * s ** (4 / 3)), rtol=1e-14)
    np.testing.assert_allclose(theory.gd_stability_bound(s, lam=-3.0, d=2.0),
                               2 / np.sqrt(36 + 4 * s ** 2), rtol=1e-15)
    with pytest.raises(ValueError, match="lam applies to depth 2"):
        theory.gd_stability_bound(s, depth=3, lam=0.5)


@pytest.mark.parametrize("depth, a0", [(1, 0.1), (2, 0.05), (3, 0.05)])
def test_flow_is_first_order_and_modified_flow_second_order(depth, a0):
    """At fixed t = 3, against the exact map with η = t/n: |map − flow| = O(η) and
    |map − modified flow| = O(η²) (fitted orders 1 ± 0.2 and 2 ± 0.3)."""
    s, d, t = 1.0, 1.3, 3.0
    n = np.array([40, 80, 160, 320, 640])
    eta = t / n
    exact = np.diagonal(np.asarray(theory.gd_mode_strength(n, s, a0, eta, depth=depth, d=d)))
    flow = float(theory.mode_strength(t, s, a0, depth=depth, d=d))
    modified = np.asarray(theory.modified_flow_mode_strength(t, s, a0, eta, depth=depth, d=d))
    first = np.polyfit(np.log(eta), np.log(np.abs(exact - flow)), 1)[0]
    second = np.polyfit(np.log(eta), np.log(np.abs(exact - modified)), 1)[0]
    assert abs(first - 1) < 0.2 and abs(second - 2) < 0.3, (first, second)
    assert np.all(np.abs(exact - modified) < 0.1 * np.abs(exact - flow))


def test_modified_flow_limits():
    """Exact start; → s with a vanishing correction as t → ∞ (no overflow); fixed points stay."""
    t = np.array([0.0, 1.0, 50.0, 1e3, 1e8])
    for depth in (1, 2, 3):
        m = np.asarray(theory.modified_flow_mode_strength(t, 1.2, 0.01, 0.1, depth=depth, d=0.5))
        assert np.all(np.isfinite(m)) and m[0] == pytest.approx(0.005, rel=1e-15)
        np.testing.assert_allclose(m[-2:], 1.2, rtol=1e-12)
        above = np.asarray(theory.modified_flow_mode_strength(t, 1.2, 4.0, 0.01, depth=depth))
        assert np.all(np.isfinite(above)) and above[0] == pytest.approx(4.0, rel=1e-14)
        np.testing.assert_allclose(above[-2:], 1.2, rtol=1e-12)
    np.testing.assert_array_equal(theory.modified_flow_mode_strength(t, 1.2, 0.0, 0.1), 0.0)
    np.testing.assert_array_equal(theory.modified_flow_mode_strength(t, 1.2, 2.4, 0.1, d=0.5),
                                  1.2)


def test_modified_flow_depth_one_matches_the_expanded_geometric_decay():
    """Depth 1: the map gives m = s + (d a0 − s)(1 − ηd)^{t/η}, and
    (1 − ηd)^{t/η} = e^{−dt}(1 − ηd²t/2 + O(η²)): the modified flow is this expansion."""
    s, a0, d, eta = 1.0, 0.2, 0.8, 1e-3
    t = np.linspace(0, 6, 13)
    expected = s + (d * a0 - s) * np.exp(-d * t) * (1 - eta * d ** 2 * t / 2)
    np.testing.assert_allclose(theory.modified_flow_mode_strength(t, s, a0, eta, depth=1, d=d),
                               expected, rtol=1e-14)


@pytest.mark.parametrize("call, match", [
    (lambda: theory.gd_mode_strength(-1, 1.0, 0.1, 0.1), "n_steps must be a whole number"),
    (lambda: theory.gd_mode_strength(2.5, 1.0, 0.1, 0.1), "n_steps must be a whole number"),
    (lambda: theory.gd_mode_strength(5, 1.0, 0.1, 0.0), "learning_rate must be finite and > 0"),
    (lambda: theory.gd_mode_strength(5, 0.0, 0.1, 0.1), "s must be finite and > 0"),
    (lambda: theory.gd_mode_strength(5, 1.0, -0.1, 0.1), "a0 must be finite and ≥ 0"),
    (lambda: theory.gd_mode_strength(5, 1.0, 0.1, 0.1, depth=3, lam=1.0), "lam applies"),
    (lambda: theory.gd_mode_strength(5, 1.0, 0.1, 0.1, d=0.0), "d must be finite and > 0"),
    (lambda: theory.modified_flow_mode_strength(-1.0, 1.0, 0.1, 0.1), "t must be finite"),
    (lambda: theory.modified_flow_mode_strength(1.0, 1.0, 0.1, -0.1), "learning_rate must"),
])
def test_bad_finite_step_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
