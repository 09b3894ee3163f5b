"""`theory.exact_solution` (matrix Riccati solution, docs/theory.md §3) against RK4 integration, the
paper forms of Braun et al. (§3.5) and Dominé et al. (§3.6), its fixed points and its errors.

Tolerances (all float64):

* vs `simulate` (RK4, dt = 2e-3, t ≤ 30): the difference is RK4's global truncation error,
  O(dt⁴) ≈ 1e-11 relative here (measured ≲ 1e-12 at dt = 1e-3), plus roundoff; asserted ≤ 1e-8
  relative (max abs error / max abs value over the whole trajectory). A wrong formula is off by
  O(1).
* vs the paper forms and the fixed points: both sides are closed forms evaluated in float64;
  their difference is roundoff amplified by the conditioning of the inverted matrices
  (≲ 1e-13 measured); asserted ≤ 1e-10.
* t = 0: QQᵀ(0) = O T Tᵀ Oᵀ with T an orthogonal transform of OᵀQ0, i.e. Q0Q0ᵀ up to a few ulps;
  asserted ≤ 1e-12.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from semjax import Task, simulate
from semjax.theory._riccati import ExactSolution, exact_solution

LAMBDAS = (0.0, 0.7, -1.3, 3.0)
# (N1, N2, N3): square; N1 < N3 and N1 > N3; hidden bottleneck; hidden wider than N1 or N3.
# Except square with N2 = N1 = N3 (and λ = 0 with N2 = min(N1, N3)), F_λ has more than N2
# positive eigenvalues: the caveat case of docs/theory.md §3.4.
SHAPES = ((4, 4, 4), (3, 3, 5), (5, 3, 3), (4, 2, 4), (3, 4, 5), (5, 4, 3), (3, 6, 5))
T_MAX, DT = 30.0, 2e-3


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))  # Haar (Mezzadri 2007)


def _task(n_in, n_out, s, seed=0):
    rng = np.random.default_rng(seed)
    r = min(n_in, n_out)
    U, V = _orthogonal(rng, n_out)[:, :r], _orthogonal(rng, n_in)[:, :r]
    return Task(sigma_yx=U @ np.diag(s) @ V.T)


def _feasible(shape, lam):
    n_in, n_hidden, n_out = shape
    return not (lam > 0 and n_hidden > n_out) and not (lam < 0 and n_hidden > n_in)


def _balanced_start(task, n_hidden, lam, seed, scale=0.3):
    """W1 = R S1 Vᵀ, W2 = U S2 Rᵀ with a random product U diag(p) Vᵀ (distinct p), so that
    W2ᵀW2 − W1W1ᵀ = λI (docs/theory.md §3.1); spare hidden directions carry √|λ|."""
    rng = np.random.default_rng(seed)
    n_out, n_in = task.n_out, task.n_in
    k = min(n_in, n_hidden, n_out)
    U, V, R = _orthogonal(rng, n_out), _orthogonal(rng, n_in), _orthogonal(rng, n_hidden)
    if n_in == n_hidden == n_out:
        # A full-rank balanced square map cannot change orientation under gradient flow: with
        # det(ŨᵀU VᵀṼ) = −1 one mode is stuck (docs/theory.md §3.6). Keep the orientation of Σyx.
        Ut, _, Vt = task.modes
        if np.linalg.det(Ut.T @ U) * np.linalg.det(V.T @ Vt) < 0:
            U[:, 0] *= -1
    p = scale * np.linspace(1.4, 0.6, k)
    root = np.sqrt(lam ** 2 + 4 * p ** 2)
    s1, s2 = np.zeros(n_hidden), np.zeros(n_hidden)
    s1[:k], s2[:k] = np.sqrt((root - lam) / 2), np.sqrt((root + lam) / 2)
    s1[k:], s2[k:] = np.sqrt(max(-lam, 0.0)), np.sqrt(max(lam, 0.0))
    w1 = R @ (np.eye(n_hidden, n_in) * s1[:, None]) @ V.T
    w2 = U @ (np.eye(n_out, n_hidden) * s2[None, :]) @ R.T
    assert np.allclose(w2.T @ w2 - w1 @ w1.T, lam * np.eye(n_hidden), atol=1e-13)
    return w1, w2


def _relative_error(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / np.abs(np.asarray(b)).max())


def _grams(run, index):
    W1, W2 = run.weights[0][index], run.weights[1][index]
    return (run.product[index], np.einsum("tki,tkj->tij", W1, W1),
            np.einsum("tik,tjk->tij", W2, W2))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_rk4_integration_until_every_mode_saturates(shape):
    n_in, n_hidden, n_out = shape
    task = _task(n_in, n_out, np.linspace(2.5, 0.8, min(n_in, n_out)), seed=sum(shape))
    lams = [lam for lam in LAMBDAS if _feasible(shape, lam)]
    starts = [_balanced_start(task, n_hidden, lam, seed=i) for i, lam in enumerate(lams)]
    run = simulate(task, hidden=n_hidden, init=tuple(np.stack(w) for w in zip(*starts)),
                   t_max=T_MAX, dt=DT, method="rk4", record=("product", "weights"),
                   record_every=250, dtype="float64")
    U, s, V = task.modes
    best = (U[:, :n_hidden] * s[:n_hidden]) @ V[:, :n_hidden].T  # Σyx unless bottlenecked
    for index, (lam, (w1, w2)) in enumerate(zip(lams, starts)):
        exact = exact_solution(task, w1, w2, run.t)
        assert exact.lam == pytest.approx(lam, abs=1e-12)
        for name, got, want in zip(("map", "W1ᵀW1", "W2W2ᵀ"), exact[:3], _grams(run, index)):
            error = _relative_error(got, want)
            assert error < 1e-8, (shape, lam, name, error)
        # every mode has saturated by T_MAX: the comparison covered the whole transition
        assert _relative_error(exact.network_map[-1], best) < 1e-3, (shape, lam)


@pytest.mark.parametrize("lam", [0.0, 0.7])
@pytest.mark.parametrize("s", [(2.0, 1.0, 0.0), (2.0, 1.0, 1.0, 0.5)], ids=["zero_s", "tied_s"])
def test_zero_and_degenerate_singular_values_match_integration(s, lam):
    """A zero singular value (F eigenvalue 0 for λ = 0: algebraic decay) and tied singular
    values (degenerate eigenvalues of F)."""
    n = len(s)
    task = _task(n, n, np.array(s), seed=3)
    w1, w2 = _balanced_start(task, n, lam, seed=5)
    run = simulate(task, hidden=n, init=(w1, w2), t_max=T_MAX, dt=DT, method="rk4",
                   record=("product", "weights"), record_every=250, dtype="float64")
    exact = exact_solution(task, w1, w2, run.t)
    for got, want in zip(exact[:3], _grams(run, ())):
        assert _relative_error(got, want) < 1e-8
    far = exact_solution(task, w1, w2, [1e3, 1e5])
    assert np.all(np.isfinite(far.network_map))
    # the zero mode decays like 1/(2t) for λ = 0, exponentially for λ ≠ 0
    assert _relative_error(far.network_map[-1], task.sigma_yx) < (1e-4 if lam == 0 else 1e-10)


def test_simulate_lambda_balanced_starts():
    """Starts drawn by simulate(init="lambda_balanced"), rectangular, λ of both signs."""
    task = _task(3, 5, np.array([2.0, 1.3, 0.9]), seed=11)
    for lam, hidden in ((0.7, 4), (-1.3, 3)):
        start = simulate(task, hidden=hidden, init="lambda_balanced", init_scale=0.2, lam=lam,
                         n_steps=1, dt=DT, record=("weights",), dtype="float64", key=2)
        w1, w2 = (w[0, 0] for w in start.weights)
        run = simulate(task, hidden=hidden, init=(w1, w2), t_max=T_MAX, dt=DT, method="rk4",
                       record=("product", "weights"), record_every=500, dtype="float64")
        exact = exact_solution(task, w1, w2, run.t)
        assert exact.lam == pytest.approx(lam, abs=1e-12)
        for got, want in zip(exact[:3], _grams(run, ())):
            assert _relative_error(got, want) < 1e-8


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_long_times_are_finite_and_at_the_fixed_point(shape):
    n_in, n_hidden, n_out = shape
    task = _task(n_in, n_out, np.linspace(2.5, 0.8, min(n_in, n_out)), seed=sum(shape))
    U, s, V = task.modes
    best = (U[:, :n_hidden] * s[:n_hidden]) @ V[:, :n_hidden].T
    for lam in (lam for lam in LAMBDAS if _feasible(shape, lam)):
        w1, w2 = _balanced_start(task, n_hidden, lam, seed=1)
        far = exact_solution(task, w1, w2, np.array([1e3, 1e5]))
        for field in far[:3]:
            assert np.all(np.isfinite(field))
        for network_map in far.network_map:
            assert _relative_error(network_map, best) < 1e-10, (shape, lam)
        if n_in == n_hidden == n_out:  # docs/theory.md §3.8: W1ᵀW1 → V S1² Vᵀ, W2W2ᵀ → U S2² Uᵀ
            root = np.sqrt(lam ** 2 + 4 * s ** 2)
            for w1tw1, w2w2t in zip(far.w1tw1, far.w2w2t):
                assert _relative_error(w1tw1, (V * (root - lam) / 2) @ V.T) < 1e-10
                assert _relative_error(w2w2t, (U * (root + lam) / 2) @ U.T) < 1e-10


@pytest.mark.parametrize("shape", SHAPES[:4], ids=lambda s: "x".join(map(str, s)))
def test_t_zero_returns_the_start(shape):
    n_in, n_hidden, n_out = shape
    task = _task(n_in, n_out, np.linspace(2.5, 0.8, min(n_in, n_out)))
    for lam in (lam for lam in LAMBDAS if _feasible(shape, lam)):
        w1, w2 = _balanced_start(task, n_hidden, lam, seed=4)
        start = exact_solution(task, w1, w2, 0.0)
        assert start.network_map.shape == (n_out, n_in)
        for got, want in zip(start[:3], (w2 @ w1, w1.T @ w1, w2 @ w2.T)):
            assert np.abs(np.asarray(got) - want).max() < 1e-12 * max(1.0, np.abs(want).max())


# --- the paper forms, transcribed as in docs/theory.md §3.5 and §3.6 (square N1 = N2 = N3) ---

def _braun_qqt(w1, w2, sigma_yx, t):
    """Braun et al. (2022), zero-balanced: QQᵀ = Z M⁻¹ Zᵀ (docs/theory.md §3.5, τ = 1)."""
    U, S, Vt = np.linalg.svd(w2 @ w1)
    Ut, St, Vtt = np.linalg.svd(sigma_yx)
    V, Vt_ = Vt.T, Vtt.T
    eye = np.eye(len(S))
    B, C = U.T @ Ut + V.T @ Vt_, U.T @ Ut - V.T @ Vt_
    Binv = np.linalg.inv(B)
    e, e2 = np.diag(np.exp(-St * t)), np.diag(np.exp(-2 * St * t))
    Z = np.vstack([Vt_ @ (eye - e @ C.T @ Binv.T @ e), Ut @ (eye + e @ C.T @ Binv.T @ e)])
    M = (4 * e @ Binv @ np.diag(1 / S) @ Binv.T @ e + (eye - e2) @ np.diag(1 / St)
         - e @ Binv @ C @ (e2 - eye) @ np.diag(1 / St) @ C.T @ Binv.T @ e)
    return Z @ np.linalg.solve(M, Z.T)


def _domine_qqt(w1, w2, sigma_yx, t):
    """Dominé et al. (2025), λ-balanced: QQᵀ = Z M⁻¹ Zᵀ (docs/theory.md §3.6, τ = 1)."""
    lam = (w2.T @ w2 - w1 @ w1.T)[0, 0]
    U, _, Vt = np.linalg.svd(w2 @ w1)
    S1, S2 = np.diag(np.linalg.svd(w1)[1]), np.diag(np.linalg.svd(w2)[1])
    Ut, St, Vtt = np.linalg.svd(sigma_yx)
    V, Vt_ = Vt.T, Vtt.T
    eye = np.eye(len(St))
    X = np.diag((np.sqrt(lam ** 2 + 4 * St ** 2) - 2 * St) / lam)
    A = np.diag(1 / np.sqrt(1 + np.diag(X) ** 2))
    Lam = np.diag(np.sqrt(St ** 2 + lam ** 2 / 4))
    B = S2.T @ U.T @ Ut @ (X @ A + A) + S1 @ V.T @ Vt_ @ (A - X @ A)
    C = S2.T @ U.T @ Ut @ (A - X @ A) - S1 @ V.T @ Vt_ @ (X @ A + A)
    Binv = np.linalg.inv(B)
    e, e2 = np.diag(np.exp(-np.diag(Lam) * t)), np.diag(np.exp(-2 * np.diag(Lam) * t))
    Z = np.vstack([Vt_ @ ((A - X @ A) - (A + X @ A) @ e @ C.T @ Binv.T @ e),
                   Ut @ ((A + X @ A) + (A - X @ A) @ e @ C.T @ Binv.T @ e)])
    M = (4 * e @ Binv @ Binv.T @ e + (eye - e2) @ np.linalg.inv(Lam)
         - e @ Binv @ C @ (e2 - eye) @ np.linalg.inv(Lam) @ C.T @ Binv.T @ e)
    return Z @ np.linalg.solve(M, Z.T)


@pytest.mark.parametrize("lam", LAMBDAS)
def test_agrees_with_the_paper_forms(lam):
    n = 4
    task = _task(n, n, np.array([2.2, 1.6, 1.1, 0.7]), seed=7)
    w1, w2 = _balanced_start(task, n, lam, seed=8)
    times = np.array([0.0, 0.3, 1.0, 3.0, 6.0])
    exact = exact_solution(task, w1, w2, times)
    form = _braun_qqt if lam == 0 else _domine_qqt
    for k, t in enumerate(times):
        qqt = form(w1, w2, task.sigma_yx, t)
        assert _relative_error(exact.w1tw1[k], qqt[:n, :n]) < 1e-10, (lam, t)
        assert _relative_error(exact.network_map[k], qqt[n:, :n]) < 1e-10, (lam, t)
        assert _relative_error(exact.w2w2t[k], qqt[n:, n:]) < 1e-10, (lam, t)


def test_scaled_identity_inputs_are_solved_as_a_rescaled_white_flow():
    """Σx = c·I is the white flow of Σyx/c with τ/c; exact_solution applies it itself."""
    c = 0.25
    task = _task(4, 4, np.array([2.0, 1.5, 1.0, 0.5]), seed=2)
    w1, w2 = _balanced_start(task, 4, 0.7, seed=3)
    scaled = Task(sigma_yx=task.sigma_yx, sigma_x=c * np.eye(4))
    run = simulate(scaled, hidden=4, init=(w1, w2), t_max=T_MAX, dt=DT, method="rk4",
                   record=("product",), record_every=500, dtype="float64")
    exact = exact_solution(Task(sigma_yx=task.sigma_yx / c), w1, w2, run.t, tau=1 / c)
    assert _relative_error(exact.network_map, run.product) < 1e-8
    direct = exact_solution(scaled, w1, w2, run.t)
    np.testing.assert_allclose(direct.network_map, exact.network_map, rtol=1e-12, atol=1e-14)


def test_ntk_is_the_jacobian_gram_on_the_task_inputs():
    """K = J Jᵀ with J = ∂ vec(W2W1X)/∂(W1, W2), output index outer (docs/theory.md §3.8)."""
    rng = np.random.default_rng(9)
    base = _task(4, 3, np.array([1.8, 1.2, 0.9]), seed=9)
    X = rng.normal(size=(4, 6))
    task = Task(sigma_yx=base.sigma_yx, inputs=X)
    w1, w2 = _balanced_start(task, 3, -1.3, seed=10)
    run = simulate(task, hidden=3, init=(w1, w2), t_max=2.0, dt=DT, method="rk4",
                   record=("weights",), record_every=500, dtype="float64")
    exact = exact_solution(task, w1, w2, run.t, ntk=True)
    assert exact.ntk.shape == (len(run.t), 18, 18)

    def outputs(weights):
        return (weights[1] @ weights[0] @ X).reshape(-1)

    for k in range(len(run.t)):
        weights = (run.weights[0][k], run.weights[1][k])
        jacobian = jax.jacobian(outputs)(weights)
        J = np.concatenate([np.asarray(j).reshape(18, -1) for j in jacobian], axis=1)
        assert _relative_error(exact.ntk[k], J @ J.T) < 1e-8
    assert exact_solution(task, w1, w2, 1.0).ntk is None


def test_works_under_jit_and_vmap_and_keeps_the_shape_of_t():
    task = _task(5, 3, np.array([2.0, 1.2, 0.8]), seed=12)
    w1, w2 = _balanced_start(task, 3, -1.3, seed=13)
    times = jnp.linspace(0.0, 8.0, 6)
    eager = exact_solution(task, w1, w2, times)
    jitted = jax.jit(lambda t: exact_solution(task, w1, w2, t, ntk=True))(times)
    mapped = jax.vmap(lambda t: exact_solution(task, w1, w2, t).network_map)(times)
    assert isinstance(jitted, ExactSolution)
    np.testing.assert_allclose(jitted.network_map, eager.network_map, rtol=0, atol=1e-13)
    np.testing.assert_allclose(mapped, eager.network_map, rtol=0, atol=1e-13)
    grid = exact_solution(task, w1, w2, np.arange(6.0).reshape(2, 3), ntk=True)
    assert grid.network_map.shape == (2, 3, 3, 5)
    assert grid.w1tw1.shape == (2, 3, 5, 5) and grid.w2w2t.shape == (2, 3, 3, 3)
    assert grid.ntk.shape == (2, 3, 15, 15)
    np.testing.assert_allclose(grid.network_map.reshape(6, 3, 5),
                               exact_solution(task, w1, w2, np.arange(6.0)).network_map,
                               rtol=0, atol=1e-14)


# --- errors ---

def test_rejects_non_white_inputs(nonwhite_task):
    w1, w2 = np.ones((2, 4)), np.ones((3, 2))
    with pytest.raises(ValueError, match="whitened inputs"):
        exact_solution(nonwhite_task, w1, w2, 1.0)


def test_rejects_an_unbalanced_start():
    task = _task(4, 4, np.array([2.0, 1.5, 1.0, 0.5]))
    rng = np.random.default_rng(0)
    w1, w2 = 0.1 * rng.normal(size=(4, 4)), 0.1 * rng.normal(size=(4, 4))
    with pytest.raises(ValueError, match=r"not λ-balanced.*relative deviation of"):
        exact_solution(task, w1, w2, 1.0)
    balanced = _balanced_start(task, 4, 0.7, seed=0)
    perturbed = (balanced[0] + 1e-6 * rng.normal(size=(4, 4)), balanced[1])
    with pytest.raises(ValueError, match="not λ-balanced"):
        exact_solution(task, *perturbed, 1.0)
    exact_solution(task, *perturbed, 1.0, tolerance=1e-4)  # accepted when asked to


def test_rejects_a_stuck_start_that_gradient_flow_cannot_escape():
    """λ = 0, square, W2W1(0) = −ε U S Vᵀ: Q+ = 0, every mode sits on the saddle (§3.6)."""
    task = _task(4, 4, np.array([2.0, 1.5, 1.0, 0.5]))
    U, s, V = task.modes
    R = _orthogonal(np.random.default_rng(1), 4)
    root = np.sqrt(1e-2 * s)
    w1, w2 = R @ (root[:, None] * V.T), -(U * root) @ R.T
    with pytest.raises(ValueError, match=r"stuck mode.*anti-aligned.*does not reach Σyx"):
        exact_solution(task, w1, w2, 1.0)
    run = simulate(task, hidden=4, init=(w1, w2), t_max=T_MAX, dt=0.01, method="rk4",
                   record=("product",), record_every=100, dtype="float64")
    assert _relative_error(run.product[-1], task.sigma_yx) > 0.5  # stays away from Σyx
    # one flipped mode (wrong orientation: det(ŨᵀU VᵀṼ) = −1) is stuck as well
    w1, w2 = R @ (root[:, None] * V.T), (U * root * np.array([1, 1, 1, -1])) @ R.T
    with pytest.raises(ValueError, match="stuck mode"):
        exact_solution(task, w1, w2, 1.0)


def test_rejects_wrong_shapes_and_times():
    task = _task(4, 3, np.array([2.0, 1.5, 1.0]))
    w1, w2 = _balanced_start(task, 2, 0.7, seed=0)
    with pytest.raises(ValueError, match=r"w1_0 must have shape .*expected 4"):
        exact_solution(task, w1[:, :3], w2, 1.0)
    with pytest.raises(ValueError, match=r"w2_0 must have shape \(3, 2\)"):
        exact_solution(task, w1, w2[:, :1], 1.0)
    with pytest.raises(ValueError, match="unbatched"):
        exact_solution(task, w1[None], w2, 1.0)
    with pytest.raises(ValueError, match="finite"):
        exact_solution(task, w1 * np.nan, w2, 1.0)
    with pytest.raises(ValueError, match="t must contain finite times"):
        exact_solution(task, w1, w2, [1.0, -1.0])
    with pytest.raises(TypeError, match="semjax.Task"):
        exact_solution(task.sigma_yx, w1, w2, 1.0)
