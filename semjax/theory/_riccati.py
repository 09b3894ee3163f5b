"""Exact learning dynamics of a two-layer linear network from any λ-balanced start.

With whitened inputs (Σx = I) and weights that satisfy the λ-balanced condition

    W2ᵀW2 − W1W1ᵀ = λ I_{N2}        (conserved by gradient flow; docs/theory.md §3.1)

the stacked weights Q = [W1ᵀ; W2] ((N1+N3) × N2) obey a matrix Riccati equation whose solution
is known in closed form (Fukumizu 1998; Braun et al. 2022 (S3); Dominé et al. 2025 (S4);
docs/theory.md §3.2–3.3):

    τ d(QQᵀ)/dt = F QQᵀ + QQᵀ F − (QQᵀ)²,    F = [[−λ/2 I_{N1}, Σyxᵀ], [Σyx, λ/2 I_{N3}]],

    QQᵀ(t) = e^{Ft/τ} Q0 [I + Q0ᵀ G(t) Q0]⁻¹ Q0ᵀ e^{Ft/τ},   G(t) = ∫₀^{t/τ} e^{2Fσ} dσ.

The blocks of QQᵀ = [[W1ᵀW1, W1ᵀW2ᵀ], [W2W1, W2W2ᵀ]] are the network map W2W1, the input-side
similarity W1ᵀW1 (the hidden representational similarity of one-hot items) and the output-side
similarity W2W2ᵀ, all as explicit functions of t.

Evaluation (stable for every t ≥ 0, any shapes, λ of either sign)
------------------------------------------------------------------
The naive formula overflows (e^{+λ_i t}) and cancels catastrophically. `exact_solution` uses
only decaying exponentials, generalising the recipe of docs/theory.md §3.4 (which needs F to have
exactly N2 positive eigenvalues) to every case, including a hidden bottleneck N2 < rank Σyx,
λ < 0 with N1 > N3, λ > 0 with N3 > N1, hidden layers wider than the task, and eigenvalue 0 of
F (λ = 0 with N1 ≠ N3, or zero singular values of Σyx):

1. Host: F = O Λ Oᵀ (numpy ``eigh``), eigenvalues sorted descending λ_1 ≥ … ≥ λ_n.
2. Host: bring Q̃0 = OᵀQ0 to *column-echelon form* by orthogonal column operations,
   Q̃0 H = T, where column j of T vanishes above a pivot row p_j and p_1 < p_2 < … (rows whose
   remaining component is below ``_RANK_RTOL``·‖Q0‖ are set to zero; columns left empty are
   dropped, which removes the dead hidden directions of a rank-deficient start). Since QQᵀ
   depends on Q0 only through Q0Q0ᵀ = O T Tᵀ Oᵀ, T replaces Q0.
3. Jitted, for each t (write s = t/τ, μ_j = λ_{p_j}, x⁺ = max(x, 0), x⁻ = min(x, 0)):

       d_ij = e^{(λ_i⁺ − μ_j⁺) s} T_ij          (≤ |T_ij|: T_ij ≠ 0 only where λ_i ≤ μ_j)
       κ_i  = (1 − e^{−2|λ_i| s}) / (2|λ_i|)    (= s for λ_i = 0)
       A    = diag(e^{−2μ_j⁺ s}) + dᵀ diag(κ) d  (symmetric positive definite)
       Z    = O diag(e^{λ_i⁻ s}) d,   A = L Lᵀ,   Y = L⁻¹ Zᵀ,   QQᵀ(t) = Yᵀ Y.

   This is the closed form above rewritten exactly: with B = e^{Λs} T and
   K = diag((1 − e^{−2λ_i s})/(2λ_i)), OᵀQQᵀO = B (I + BᵀKB)⁻¹ Bᵀ; B = diag(e^{λ⁻s}) d E with
   E = diag(e^{μ⁺s}), so OᵀQQᵀO = B̂ (E⁻² + B̂ᵀKB̂)⁻¹ B̂ᵀ with B̂ = diag(e^{λ⁻s}) d, and
   K_i e^{2λ_i⁻ s} = κ_i. Every exponential has a non-positive exponent, so the result is finite
   for all t (checked at t = 10⁵ against the fixed point) and equals Q0Q0ᵀ at t = 0.

Conditions (checked on the host, each with an error that says what to do):

* Σx = c·I (the Riccati form needs whitened inputs; Σx = c·I, e.g. one-hot items with the
  mean convention, is solved as the white flow of Σyx/c with τ/c). Otherwise integrate with
  `semjax.simulate`.
* λ-balanced start within ``tolerance`` (relative, see `exact_solution`); λ = mean of the
  diagonal of W2ᵀW2 − W1W1ᵀ.
* No stuck mode: for each of the m = min(N2, #positive eigenvalues of F) leading directions the
  echelon pivot must sit on an eigenvalue equal to λ_j (docs/theory.md §3.4 "Q+ invertible",
  generalised). Otherwise a mode of the initial map is anti-aligned with (or orthogonal to)
  the task, gradient flow converges to a saddle and never reaches Σyx (docs/theory.md §3.6 failure
  mode), and `exact_solution` raises.

References:
    L. Braun, C. Dominé, J. Fitzgerald, A. Saxe, "Exact learning dynamics of deep linear
    networks with prior knowledge", NeurIPS (2022) (S3). C. Dominé, N. Anguita, A. Proca,
    L. Braun, D. Kunin, P. Mediano, A. Saxe, "From Lazy to Rich: Exact Learning Dynamics in Deep
    Linear Networks", ICLR (2025) (S4). K. Fukumizu, "Effect of batch learning in multilayer
    neural networks" (1998). docs/theory.md §3.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.task import Task, require_task

# A row of OᵀQ0 whose component outside the span of the earlier pivots is below this fraction
# of ‖Q0‖₂ counts as zero (an exactly stuck or dead direction, up to rounding).
_RANK_RTOL = 1e-10
# Eigenvalues of F within this fraction of ‖F‖₂ count as equal (degenerate modes); those
# within 64 ε ‖F‖₂ of zero are set to zero.
_EIGEN_RTOL = 1e-9


class ExactSolution(NamedTuple):
    """The closed-form state of a two-layer linear network at times t (docs/theory.md §3.8).

    Attributes:
        network_map: W2W1(t), shape (*t.shape, N3, N1).
        w1tw1: W1ᵀW1(t), shape (*t.shape, N1, N1): the input-side similarity; for one-hot items
            the hidden representational similarity (W1X)ᵀ(W1X) with X = I.
        w2w2t: W2W2ᵀ(t), shape (*t.shape, N3, N3): the output-side similarity.
        ntk: the neural tangent kernel K = I_{N3} ⊗ XᵀW1ᵀW1X + W2W2ᵀ ⊗ XᵀX on the task's inputs
            X (N1 × P; one-hot X = I unless ``task.inputs`` is given), shape
            (*t.shape, N3·P, N3·P) with the output index outer; None unless ``ntk=True``.
        lam: λ of the start, the mean diagonal of W2ᵀW2 − W1W1ᵀ.
    """

    network_map: jax.Array
    w1tw1: jax.Array
    w2w2t: jax.Array
    ntk: jax.Array | None
    lam: float


class _Prepared(NamedTuple):
    """t-independent arrays of the stable evaluation (module docstring, step 3)."""

    basis: np.ndarray        # O, (n, n), columns sorted by descending eigenvalue
    eigenvalues: np.ndarray  # λ_i, (n,)
    echelon: np.ndarray      # T, (n, ρ)
    pivot_values: np.ndarray  # μ_j = λ_{p_j}, (ρ,)


def _weights(name: str, value, shape) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 2:
        raise ValueError(f"{name} must be one (unbatched) weight matrix of shape "
                         f"{tuple('*' if s is None else s for s in shape)}; got an array of shape "
                         f"{np.shape(array)}. Call exact_solution once per start (or use "
                         "semjax.simulate for batches).")
    return _validation.finite_matrix(name, array, shape=shape)


def _input_scale(task: Task) -> float:
    """c with Σx = c·I (`Task.input_scale`), or raise: the Riccati solution needs inputs that
    are white up to a scale. Σx = c·I (e.g. one-hot items under the mean convention, c = 1/P)
    is the white flow of Σyx/c with τ/c: τ dW1/dt = c W2ᵀ(Σyx/c − W2W1)."""
    if task.input_scale is not None:
        return task.input_scale
    raise ValueError(
        "exact_solution needs whitened inputs, Σx = I or a multiple c·I (task.sigma_x is not): "
        "the matrix Riccati solution of docs/theory.md §3.2 holds only for white inputs. Whiten "
        "the inputs, or integrate the flow with semjax.simulate.")


def _balance(w1: np.ndarray, w2: np.ndarray, tolerance: float) -> float:
    """λ = mean diag(W2ᵀW2 − W1W1ᵀ), after checking ‖C − λI‖_F ≤ tolerance·(‖W1W1ᵀ‖_F +
    ‖W2ᵀW2‖_F)."""
    inner, outer = w1 @ w1.T, w2.T @ w2
    imbalance = outer - inner
    lam = float(np.trace(imbalance) / imbalance.shape[0])
    scale = np.linalg.norm(inner) + np.linalg.norm(outer)
    deviation = np.linalg.norm(imbalance - lam * np.eye(imbalance.shape[0]))
    relative = deviation / scale if scale > 0 else 0.0
    if relative > tolerance:
        raise ValueError(
            f"the initial weights are not λ-balanced: W2ᵀW2 − W1W1ᵀ = λI must hold (docs/theory.md "
            f"§3.1), but with λ = {lam:.6g} (its mean diagonal) ‖W2ᵀW2 − W1W1ᵀ − λI‖_F = "
            f"{deviation:.3g}, a relative deviation of {relative:.3g} > tolerance = "
            f"{tolerance:.3g}. Build the start with init='lambda_balanced' (or 'aligned') in "
            "semjax.simulate, or integrate unbalanced starts with semjax.simulate.")
    return lam


def _echelon(rotated: np.ndarray, threshold: float):
    """Orthogonal column operations bringing ``rotated`` (n × N2) to column-echelon form.

    Returns (T, pivots): T (n × ρ) with column j zero above row pivots[j], pivots increasing,
    T Tᵀ = rotated rotatedᵀ up to entries below ``threshold`` that were set to zero.
    """
    work = rotated.copy()
    n_rows, n_cols = work.shape
    pivots = []
    k = 0
    for i in range(n_rows):
        if k == n_cols:
            break
        row = work[i, k:]
        size = np.linalg.norm(row)
        if size <= threshold:
            work[i, k:] = 0.0
            continue
        reflector = row.copy()
        reflector[0] += np.copysign(size, row[0])
        reflector /= np.linalg.norm(reflector)
        work[:, k:] -= 2.0 * np.outer(work[:, k:] @ reflector, reflector)
        work[i, k + 1:] = 0.0
        pivots.append(i)
        k += 1
    return work[:, :k], np.asarray(pivots, dtype=int)


def _prepare(sigma_yx: np.ndarray, w1: np.ndarray, w2: np.ndarray, lam: float) -> _Prepared:
    n_out, n_in = sigma_yx.shape
    n_hidden = w1.shape[0]
    field = np.block([[-lam / 2 * np.eye(n_in), sigma_yx.T],
                      [sigma_yx, lam / 2 * np.eye(n_out)]])
    eigenvalues, basis = np.linalg.eigh(field)
    order = np.argsort(-eigenvalues, kind="stable")
    eigenvalues, basis = eigenvalues[order], basis[:, order]
    spread = max(np.abs(eigenvalues).max(), np.finfo(float).tiny)
    eigenvalues = np.where(np.abs(eigenvalues) <= 64 * np.finfo(float).eps * spread, 0.0,
                           eigenvalues)

    stacked = np.concatenate([w1.T, w2], axis=0)
    norm = np.linalg.norm(stacked, 2)
    echelon, pivots = _echelon(basis.T @ stacked, _RANK_RTOL * norm)

    n_positive = int(np.sum(eigenvalues > _EIGEN_RTOL * spread))
    needed = min(n_hidden, n_positive)
    for j in range(needed):
        if j >= len(pivots) or eigenvalues[pivots[j]] < eigenvalues[j] - _EIGEN_RTOL * spread:
            reached = "none" if j >= len(pivots) else f"{eigenvalues[pivots[j]]:.6g}"
            raise ValueError(
                f"the initial weights have a stuck mode: Q+ = O+ᵀQ0, their projection on the "
                f"leading eigen-directions of F_λ (docs/theory.md §3.4), is singular — direction "
                f"{j + 1} of {needed} (F_λ eigenvalue {eigenvalues[j]:.6g}) has no component "
                f"above {_RANK_RTOL:g}·‖Q0‖ beyond the previous ones (next available eigenvalue: "
                f"{reached}). A mode of the initial network map is exactly anti-aligned with (or "
                f"orthogonal to, or zero along) the task, so gradient flow stays at a saddle and "
                f"does not reach Σyx (docs/theory.md §3.6, failure mode). Perturb the initial "
                f"weights, or integrate this start with semjax.simulate.")
    if len(pivots) == 0:  # zero weights and a task with no positive mode: stays at zero
        echelon, pivots = np.zeros((n_in + n_out, 1)), np.array([n_in + n_out - 1])
    return _Prepared(basis=basis, eigenvalues=eigenvalues, echelon=echelon,
                     pivot_values=eigenvalues[pivots])


def _factor(prepared: _Prepared, time):
    """Y (ρ × (N1+N3)) with QQᵀ = YᵀY at one scaled time s = t/τ; module docstring, step 3."""
    lam = prepared.eigenvalues
    positive, negative = jnp.maximum(lam, 0.0), jnp.minimum(lam, 0.0)
    pivot = jnp.maximum(prepared.pivot_values, 0.0)
    size = jnp.abs(lam)
    # exponent ≤ 0 wherever T_ij ≠ 0; clipped where T_ij = 0 so no inf·0 appears.
    growth = jnp.minimum(positive[:, None] - pivot[None, :], 0.0) * time
    d = jnp.exp(growth) * prepared.echelon
    safe = jnp.where(size > 0, size, 1.0)
    kappa = jnp.where(size > 0, -jnp.expm1(-2.0 * safe * time) / (2.0 * safe), time)
    gram = jnp.diag(jnp.exp(-2.0 * pivot * time)) + d.T @ (kappa[:, None] * d)
    z = prepared.basis @ (jnp.exp(negative * time)[:, None] * d)
    cholesky = jnp.linalg.cholesky(gram)
    return jax.scipy.linalg.solve_triangular(cholesky, z.T, lower=True)


@functools.partial(jax.jit, static_argnames=("n_in",))
def _evaluate(prepared: _Prepared, s, *, n_in: int):
    """QQᵀ blocks at scaled times s = t/τ (shape (m,)); module docstring, step 3."""

    def one(time):
        y = _factor(prepared, time)
        y_in, y_out = y[:, :n_in], y[:, n_in:]
        return y_out.T @ y_in, y_in.T @ y_in, y_out.T @ y_out

    return jax.vmap(one)(s)


@jax.jit
def _ntk(w1tw1, w2w2t, inputs):
    """K[(a, μ), (b, ν)] = δ_ab (XᵀW1ᵀW1X)_μν + (W2W2ᵀ)_ab (XᵀX)_μν (docs/theory.md §3.8)."""
    n_out, n_items = w2w2t.shape[-1], inputs.shape[1]
    hidden = jnp.einsum("ki,...kl,lj->...ij", inputs, w1tw1, inputs)
    kernel = (jnp.einsum("ab,...ij->...aibj", jnp.eye(n_out, dtype=w2w2t.dtype), hidden)
              + jnp.einsum("...ab,ij->...aibj", w2w2t, inputs.T @ inputs))
    return kernel.reshape(*kernel.shape[:-4], n_out * n_items, n_out * n_items)


def _times(t):
    """t as a jax array; concrete values are checked on the host (finite, ≥ 0)."""
    try:
        concrete = np.asarray(t, dtype=np.float64)
    except jax.errors.TracerArrayConversionError:
        return jnp.asarray(t)
    except (TypeError, ValueError):
        raise TypeError(f"t must be a real number or array of times; got {t!r}.") from None
    if not np.all(np.isfinite(concrete)) or np.any(concrete < 0):
        bad = concrete[~(np.isfinite(concrete) & (concrete >= 0))].ravel()[0]
        raise ValueError(f"t must contain finite times ≥ 0 (in the units of tau); got {bad}. "
                         "For t → ∞ evaluate a large finite t (the evaluation is stable).")
    return jnp.asarray(concrete)


def _start(task: Task, w1_0, w2_0, tau, tolerance):
    """Host checks and preparation shared by `exact_solution` and `weights_at`: the checked
    task, the t-independent arrays (as jax arrays), the rate c/τ that turns t into the scaled
    time s of the white flow, and λ."""
    checked = require_task(task).checked
    n_out, n_in = task.n_out, task.n_in
    w1 = _weights("w1_0", w1_0, (None, n_in))
    w2 = _weights("w2_0", w2_0, (n_out, w1.shape[0]))
    tau = _validation.positive_float("tau", tau)
    tolerance = _validation.positive_float("tolerance", tolerance)
    input_scale = _input_scale(task)
    lam = _balance(w1, w2, tolerance)
    prepared = _prepare(checked.sigma_yx / input_scale, w1, w2, lam)
    return (checked, _Prepared(*(jnp.asarray(a) for a in prepared)), input_scale / tau, lam)


def weights_at(task: Task, w1_0, w2_0, t: float, *, tau=1.0,
               tolerance: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Weights (W1, W2) with the closed-form QQᵀ(t) of `exact_solution`, at one time t.

    They are the weights gradient flow reaches from (w1_0, w2_0) up to an orthogonal rotation
    of the hidden layer (W1 → RᵀW1, W2 → W2R; any two factors of the same QQᵀ with N2 columns
    differ by one), so they have the same map, W1ᵀW1, W2W2ᵀ and λ, and continue the flow
    exactly. They come from the factor Y of the stable evaluation (QQᵀ = YᵀY, module
    docstring, step 3), not from factoring QQᵀ: components of the weights far smaller than
    ‖Q‖ keep their relative accuracy (≈ ε‖Q‖/component instead of ε‖Q‖²/component²). Used to
    continue the solution across task switches (`semjax.theory.schedule_solution`).

    Args:
        task, w1_0, w2_0, tau, tolerance: as in `exact_solution`.
        t: one time ≥ 0.

    Returns:
        (W1 of shape (N2, N1), W2 of shape (N3, N2)), float64 numpy arrays evaluated in
        float64 whatever JAX's default dtype (they carry the state into later phases, where
        float32 rounding would break the balance check); the hidden directions beyond the
        rank of QQᵀ are zero.
    """
    time = float(np.asarray(_times(t), dtype=np.float64).reshape(()))
    with jax.enable_x64(True):  # host weights: float64 whatever the default dtype
        _, prepared, rate, _ = _start(task, w1_0, w2_0, tau, tolerance)
        y = np.asarray(_factor_at(prepared, jnp.asarray(time * rate, jnp.float64)))
    n_hidden = np.shape(w1_0)[0]
    factor = np.zeros((y.shape[1], n_hidden))
    factor[:, :y.shape[0]] = y.T  # ρ ≤ N2 columns (module docstring, step 2)
    return factor[:task.n_in].T.copy(), factor[task.n_in:].copy()


_factor_at = jax.jit(_factor)


def exact_solution(task: Task, w1_0, w2_0, t, *, tau=1.0, ntk: bool = False,
                   tolerance: float = 1e-8) -> ExactSolution:
    """Closed-form W2W1(t), W1ᵀW1(t), W2W2ᵀ(t) (and the NTK) of a two-layer linear network
    trained by gradient flow from a λ-balanced start (Braun et al. 2022; Dominé et al. 2025).

    Solves τ dW1/dt = W2ᵀ(Σyx − W2W1), τ dW2/dt = (Σyx − W2W1)W1ᵀ (white inputs) exactly via
    the matrix Riccati equation for QQᵀ, Q = [W1ᵀ; W2] (docs/theory.md §3.2–3.3):

        QQᵀ(t) = e^{Ft/τ} Q0 [I + Q0ᵀ G(t) Q0]⁻¹ Q0ᵀ e^{Ft/τ},
        F = [[−λ/2 I, Σyxᵀ], [Σyx, λ/2 I]],  G(t) = ∫₀^{t/τ} e^{2Fσ} dσ,

    evaluated with decaying exponentials only (module docstring), so it is finite and accurate
    for every t ≥ 0, for square and rectangular shapes, hidden bottlenecks and wide hidden
    layers, and λ of either sign. As t → ∞ the map tends to Σyx (to its best rank-N2
    approximation when N2 < rank Σyx) and, for full-rank square tasks, W1ᵀW1 → V S1² Vᵀ with
    S1² = (√(λ² + 4S²) − λ)/2 (docs/theory.md §3.8).

    Args:
        task: a `Task` with white inputs, Σx = I or c·I.
        w1_0: W1(0), shape (N2, N1).
        w2_0: W2(0), shape (N3, N2).
        t: times in the units of ``tau``, any shape (a scalar allowed), ≥ 0. May be traced:
            ``jax.jit``/``jax.vmap`` over t work (the weights must be concrete).
        tau: the time constant τ.
        ntk: also return the neural tangent kernel (docs/theory.md §3.8).
        tolerance: largest relative imbalance ‖W2ᵀW2 − W1W1ᵀ − λI‖_F / (‖W1W1ᵀ‖_F + ‖W2ᵀW2‖_F)
            accepted; the error it leaves in the solution is of the same relative order.

    Returns:
        `ExactSolution` with leading axes t.shape, in JAX's default float dtype (float64 when
        ``jax_enable_x64`` is on, as the library's tests assume; float32 otherwise).

    Raises:
        TypeError: ``task`` is not a `Task`.
        ValueError: mis-shaped or non-finite weights; Σx not a multiple of I; an unbalanced
            start; a
            stuck mode (a mode of the initial map anti-aligned with the task, so that gradient
            flow does not reach Σyx; docs/theory.md §3.6); negative or non-finite t.
    """
    checked, prepared, rate, lam = _start(task, w1_0, w2_0, tau, tolerance)
    times = _times(t)
    s = jnp.ravel(times).astype(prepared.basis.dtype) * rate
    blocks = _evaluate(prepared, s, n_in=task.n_in)
    network_map, w1tw1, w2w2t = (b.reshape(*times.shape, *b.shape[1:]) for b in blocks)
    kernel = _ntk(w1tw1, w2w2t, jnp.asarray(checked.inputs, dtype=w1tw1.dtype)) if ntk else None
    return ExactSolution(network_map=network_map, w1tw1=w1tw1, w2w2t=w2w2t, ntk=kernel, lam=lam)
