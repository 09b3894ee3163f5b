"""Generalisation dynamics of deep linear networks trained on noisy teacher data.

Lampinen & Ganguli (2019) combine the exact mode dynamics of Saxe et al. with the random-matrix
theory of a low-rank signal in Gaussian noise: the training data's input-output correlation
is the teacher's map plus a noise matrix, its strong modes are inflated copies of the teacher's
modes tilted away from them, its weak modes are lost in the noise bulk (a BBP-type
transition), and a small-init network learns each empirical mode along the sigmoid a(t) of
`semjax.theory.mode_strength`, strongest first. The test error therefore falls while the
teacher's modes are learned and rises once the network starts to learn the noise bulk; the
minimum is the optimal early-stopping time.

Setting and conventions (those of `semjax.task` and `semjax.datasets.teacher_student`):

* Teacher W̄ = Σ_k s̄_k ū_k v̄_kᵀ (N3 × N1, rank r ≤ min(N1, N3)); P ≥ N1 training examples with
  whitened inputs, Σx = X Xᵀ/P = I, and targets y = W̄ x + z, z ~ N(0, σ² I) fixed through
  training. Under the "mean" convention Σyx = Y Xᵀ/P = W̄ + Z̃, where Z̃ = Z Xᵀ/P has i.i.d.
  N(0, σ²/P) entries (exactly, since X/√P has orthonormal rows).
* Noise geometry. With n = min(N1, N3), m = max(N1, N3), the noise matrix is, in units of
  σ_eff = σ √(m/P), an n × m matrix with entries of variance 1/m and aspect ratio c = n/m ≤ 1
  (the paper's 𝒜 = N3/N1 with σ_z = 1 and P = N1): its singular values follow the
  Marchenko–Pastur law on σ_eff [1 − √c, 1 + √c], whose upper edge is
  `semjax.theory.noise_bulk_edge` (N1, N3, σ²/P). More examples act as less noise:
  σ_eff ∝ σ √(N1/P) when N1 ≥ N3.
* Loss, errors and time. Training error = the excess loss ½‖W − Σyx‖²_F that `semjax.simulate`
  records (Σx = I); test error = ½‖W − W̄‖²_F, the expected loss ½E‖(W − W̄)x‖² on fresh
  inputs x ~ N(0, I) with clean targets W̄x (add ½N3σ² for noisy test targets). With
  ``relative=True`` both are divided by their value at W = 0 (½E‖Σyx‖² = ½(Σs̄² + N1N3σ²/P)
  and ½Σs̄², `zero_map_errors`), the paper's normalisation. Time is in units of τ; a mode
  of Σyx with singular value ŝ is learned along a(t; ŝ, a0) of `mode_strength`
  (training-aligned start, each empirical mode from a0; a small random start is the
  λ-balanced mode from 0 with λ = 2Hσ0², see `generalisation_errors`).

Results (each in units of σ_eff, θ = s̄/σ_eff, asymptotically in N1, N3 → ∞ at fixed c):

* Detection threshold θ > c^{1/4}, i.e. s̄ > s̄* = σ (N1 N3)^{1/4} / √P; below it the teacher
  mode leaves no outlier (`detection_threshold`).
* Training singular value ŝ = √((1 + θ²)(c + θ²)) / θ above threshold, the bulk edge
  1 + √c below (Lampinen & Ganguli; Benaych-Georges & Nadakuditi 2012).
* Singular-vector overlaps above threshold: on the short side (length n) of Σyx
  cos² = 1 − c(1 + θ²) / (θ²(c + θ²)), on the long side cos² = 1 − (c + θ²) / (θ²(1 + θ²));
  O(s̄) = |û·ū||v̂·v̄| is their product (the paper's overlap), 0 below threshold.
* Errors of a training-aligned network: with a_k(t) = a(t; ŝ_k) for detected modes and the
  bulk learned along a(t; x) at each noise singular value x,

      E_train = ½[Σ_det (a_k − ŝ_k)² + Σ_bulk (a(x) − x)²],
      E_test  = ½[Σ_det a_k² + Σ_bulk a(x)² + Σ_k s̄_k² − 2 Σ_k s̄_k (O_k a_k + Σ_bulk w_k(x) a(x))],

  (the paper's train and test errors). Sums over the bulk are n ∫ p_MP(x) f(x) dx plus this
  module's O(1) corrections, which make the t → ∞ limits exact in expectation (E_test → ½ N1N3σ²/P):
  the finite-rank deformation of the bulk, Δμ = −(1/π) Im ∂_z ln(1 − θ² D(z)), which removes
  the outliers' mass from the bulk, and the bulk's overlap with the teacher,
  w_k(x) = Σ_α (û_α·ū_k)(v̂_α·v̄_k) δ(x − ŝ_α) = −(2/π) Im[θ D / (1 − θ² D)], with
  D(z) = z² G_n(z²) G_m(z²) the D-transform of the noise (G the Stieltjes transforms of the
  Marchenko–Pastur laws of Z̃Z̃ᵀ and Z̃ᵀZ̃, z → x + i0). (Lampinen & Ganguli keep only the
  leading n ∫ p_MP term and the outliers; the corrections are O(1/n) relative, comparable to
  the spread over data draws at the sizes one simulates.)
* Optimal early stopping: t_opt = argmin_t E_test(t) (`optimal_stopping`); the paper's
  non-gradient optimum, shrinking each detected mode to s̄ O(s̄) and dropping the bulk, gives
  E = ½ Σ s̄² (1 − O²) (`shrinkage_error`).
* Transfer (the paper's multi-task setting): a network with two output heads trained on tasks
  A and B at once sees the stacked teacher [W̄_A; W̄_B]; for rank-one teachers its modes
  depend only on s̄_A, s̄_B and the input alignment q = v̄_A·v̄_B (`joint_teacher`), and the
  transfer benefit is
  𝒯^{A←B} = ε_A^opt − ε_{A←B}^opt, the drop in head A's optimally stopped relative test error
  (`transfer_benefit`).

Reference:
    A. K. Lampinen, S. Ganguli, "An analytic theory of generalization dynamics and transfer
    learning in deep linear networks", ICLR (2019), arXiv:1809.10374. Random-matrix results:
    F. Benaych-Georges, R. R. Nadakuditi, "The singular values and vectors of low rank
    perturbations of large rectangular random matrices", J. Multivariate Anal. 111 (2012).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import numpy as np

from semjax import _validation
from semjax.theory._modes import mode_strength
from semjax.theory._spectra import noise_bulk_edge
from semjax.theory._times import half_time

_EXAMPLES_FIX = ("The theory assumes whitened inputs (Σx = X Xᵀ/P = I), which needs at least "
                 "as many examples as inputs; the undersampled case P < N1 is not covered.")


class TrainingModes(NamedTuple):
    """How teacher modes appear in noisy training data (asymptotic, per teacher mode).

    Attributes:
        singular_value: ŝ, the singular value of Σyx carrying the teacher mode (the bulk
            edge when it is not detected).
        output_overlap: |û·ū|, cosine between the data's and the teacher's output vectors
            (0 when not detected).
        input_overlap: |v̂·v̄|, the same for the input vectors.
        overlap: O(s̄) = |û·ū||v̂·v̄| (Lampinen & Ganguli's overlap).
        detected: whether s̄ is above the detection threshold (an outlier leaves the bulk).
    """

    singular_value: np.ndarray
    output_overlap: np.ndarray
    input_overlap: np.ndarray
    overlap: np.ndarray
    detected: np.ndarray


class GeneralisationErrors(NamedTuple):
    """Predicted training and test errors over time (see the module docstring).

    Attributes:
        t: the times, in units of τ.
        train: E_train(t), ½‖W − Σyx‖²_F (or relative to its value at W = 0).
        test: E_test(t), ½‖W − W̄‖²_F (or relative to ½‖W̄‖²_F).
    """

    t: np.ndarray
    train: np.ndarray
    test: np.ndarray


class OptimalStopping(NamedTuple):
    """The minimum of the predicted test error.

    Attributes:
        time: t_opt = argmin_t E_test(t) on [0, t_max], in units of τ.
        test_error: E_test(t_opt).
        train_error: E_train(t_opt).
    """

    time: float
    test_error: float
    train_error: float


class JointTeacher(NamedTuple):
    """Modes of the two-head teacher [W̄_A; W̄_B] of two rank-one tasks.

    With W̄_A = s̄_A ū_A v̄_Aᵀ, W̄_B = s̄_B ū_B v̄_Bᵀ and q = v̄_A·v̄_B, the stacked teacher has two
    modes (s_k, u_k, v_k); task A's teacher is Σ_{k,l} s̄_A α_k β_l u_k v_lᵀ on head A.

    Attributes:
        singular_values: s_k, shape (2,), descending (the second is 0 when |q| = 1).
        output_weights: α_k = (ū_A, 0)·u_k, the weight of head A's teacher output in u_k.
        input_weights: β_k = v̄_A·v_k.
    """

    singular_values: np.ndarray
    output_weights: np.ndarray
    input_weights: np.ndarray


class TransferBenefit(NamedTuple):
    """Transfer from task B to task A (relative test errors on task A, optimally stopped).

    Attributes:
        alone: ε_A^opt, task A learned alone.
        joint: ε_{A←B}^opt, head A of a network learning A and B at once.
        benefit: 𝒯^{A←B} = alone − joint (> 0: B helps A; < 0: interference).
        time_alone: optimal stopping time of A alone.
        time_joint: optimal stopping time of head A in the joint network.
    """

    alone: float
    joint: float
    benefit: float
    time_alone: float
    time_joint: float


# ------------------------------------------------------------------------------ validation


class _Noise(NamedTuple):
    """The noise geometry of Σyx: scale σ_eff, ratio c = n/m, n, m, which side is short."""

    noise: float
    scale: float
    ratio: float
    n_short: int
    n_long: int
    outputs_short: bool


def _geometry(noise, n_inputs, n_outputs, n_examples) -> _Noise:
    noise = _validation.positive_float("noise", noise, allow_zero=True)
    n_inputs = _validation.positive_int("n_inputs", n_inputs)
    n_outputs = _validation.positive_int("n_outputs", n_outputs)
    n_examples = _validation.positive_int("n_examples", n_examples)
    if n_examples < n_inputs:
        raise ValueError(f"n_examples must be >= n_inputs = {n_inputs}; got {n_examples}. "
                         + _EXAMPLES_FIX)
    n_short, n_long = min(n_inputs, n_outputs), max(n_inputs, n_outputs)
    return _Noise(noise=noise, scale=noise * math.sqrt(n_long / n_examples),
                  ratio=n_short / n_long, n_short=n_short, n_long=n_long,
                  outputs_short=n_outputs <= n_inputs)


def _teacher_spectrum(s_bar, geometry: _Noise | None = None) -> np.ndarray:
    try:
        values = np.asarray(s_bar, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"s_bar must be a sequence of real teacher singular values; got "
                        f"{s_bar!r}.") from None
    values = np.atleast_1d(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"s_bar must be a non-empty 1-D sequence of teacher singular values; "
                         f"got shape {values.shape}.")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"s_bar must hold finite values >= 0 (singular values); got "
                         f"{values[~np.isfinite(values) | (values < 0)][0]}.")
    if geometry is not None and values.size > geometry.n_short:
        raise ValueError(f"s_bar has {values.size} values but a {geometry.n_short}-dimensional "
                         f"side (min(n_inputs, n_outputs)) holds at most {geometry.n_short} "
                         "teacher modes; pass fewer singular values.")
    return values


def _times(t) -> np.ndarray:
    times = np.asarray(t, dtype=np.float64)
    if times.ndim > 1 or times.size == 0 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError("t must be a number or a non-empty 1-D array of finite times >= 0 "
                         "(in units of τ).")
    return times


class _Start(NamedTuple):
    """How every mode starts: product strength a0, λ (depth 2) and the depth."""

    a0: float
    lam: float
    depth: int

    @property
    def effective_a0(self) -> float:
        """The a0 of the sigmoid a mode follows once it has grown (a λ-start grows like
        (|λ|/4) e^{2st} from a0 = 0)."""
        return self.a0 + abs(self.lam) / 4


def _start(a0, depth, lam) -> _Start:
    depth = _validation.positive_int("depth", depth)
    try:
        lam = float(lam)
    except (TypeError, ValueError):
        raise TypeError(f"lam must be a real number; got {lam!r}.") from None
    if not math.isfinite(lam):
        raise ValueError(f"lam must be finite; got {lam}.")
    if lam != 0 and depth != 2:
        raise ValueError(f"lam applies to depth 2 (the λ-balanced mode); got depth={depth}. "
                         "Pass lam=0 for deeper networks.")
    a0 = _validation.positive_float("a0", a0, allow_zero=lam != 0)
    return _Start(a0, lam, depth)


# ------------------------------------------------------------------- random-matrix results


def detection_threshold(*, noise, n_inputs, n_outputs, n_examples) -> float:
    """The teacher singular value below which a mode is lost in the noise bulk.

        s̄* = σ_eff c^{1/4} = σ (N1 N3)^{1/4} / √P

    (Lampinen & Ganguli 2019: s̄ > 𝒜^{1/4} with σ_z = 1, P = N1; the BBP-type transition
    of a rank-one signal in rectangular Gaussian noise). Above it the data carry an outlier
    singular value and overlaps that grow with s̄; below it the mode is invisible to training.

    Args:
        noise: σ >= 0, standard deviation of each target's noise.
        n_inputs: N1.
        n_outputs: N3.
        n_examples: P >= N1 (whitened inputs).

    Raises:
        TypeError, ValueError: an argument out of range (named).
    """
    geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
    return geometry.scale * geometry.ratio ** 0.25


def _outlier(theta: np.ndarray, c: float):
    """ŝ/σ_eff and the squared cosines on the short and long sides for θ above threshold
    (NaN-free: values below threshold are returned for θ = threshold and masked by callers)."""
    theta = np.maximum(theta, c ** 0.25)
    t2 = theta ** 2
    s_hat = np.sqrt((1 + t2) * (c + t2)) / theta
    cos2_short = np.clip(1 - c * (1 + t2) / (t2 * (c + t2)), 0.0, 1.0)
    cos2_long = np.clip(1 - (c + t2) / (t2 * (1 + t2)), 0.0, 1.0)
    return s_hat, cos2_short, cos2_long


def training_modes(s_bar, *, noise, n_inputs, n_outputs, n_examples) -> TrainingModes:
    """The noisy training data's singular values and overlaps for teacher singular values s̄.

    With θ = s̄/σ_eff, c = min(N1, N3)/max(N1, N3), σ_eff = σ √(max(N1, N3)/P) (module docstring),
    above the threshold θ > c^{1/4} (`detection_threshold`):

        ŝ = σ_eff √((1 + θ²)(c + θ²)) / θ,
        cos²(short side) = 1 − c(1 + θ²) / (θ²(c + θ²)),
        cos²(long side)  = 1 − (c + θ²) / (θ²(1 + θ²)),

    the short side being the outputs when N3 <= N1; below it ŝ is the bulk edge
    σ_eff (1 + √c) = `noise_bulk_edge`(N1, N3, σ²/P) and the overlaps are 0 (Lampinen &
    Ganguli 2019). σ = 0 gives ŝ = s̄ and overlaps 1; P → ∞ at fixed σ tends to that.

    Args:
        s_bar: teacher singular values s̄ >= 0 (a number or a 1-D sequence).
        noise: σ >= 0.
        n_inputs: N1.
        n_outputs: N3.
        n_examples: P >= N1.

    Returns:
        `TrainingModes`, each field of the shape of ``s_bar`` (1-D).

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
    s_bar = _teacher_spectrum(s_bar)
    if geometry.scale == 0:
        ones = np.ones_like(s_bar)
        return TrainingModes(s_bar.copy(), ones, ones, ones, s_bar > 0)
    c = geometry.ratio
    theta = s_bar / geometry.scale
    detected = theta > c ** 0.25
    s_hat, cos2_short, cos2_long = _outlier(theta, c)
    edge = noise_bulk_edge(n_inputs, n_outputs, geometry.noise ** 2 / n_examples)
    singular_value = np.where(detected, geometry.scale * s_hat, edge)
    cos2_out, cos2_in = ((cos2_short, cos2_long) if geometry.outputs_short
                         else (cos2_long, cos2_short))
    output_overlap = np.where(detected, np.sqrt(cos2_out), 0.0)
    input_overlap = np.where(detected, np.sqrt(cos2_in), 0.0)
    return TrainingModes(singular_value, output_overlap, input_overlap,
                         output_overlap * input_overlap, detected)


def training_noise_density(x, *, noise, n_inputs, n_outputs, n_examples) -> np.ndarray:
    """Density of the singular values of the noise part Z̃ of Σyx (Marchenko–Pastur).

        p(x) = √(4c − (y² − 1 − c)²) / (π c y) / σ_eff,   y = x/σ_eff ∈ [1 − √c, 1 + √c],

    normalised to 1 over the n = min(N1, N3) singular values (Lampinen & Ganguli 2019).

    Args:
        x: singular values (any shape).
        noise: σ > 0.
        n_inputs, n_outputs, n_examples: N1, N3, P >= N1.

    Raises:
        ValueError: σ = 0 (no bulk), or other bad arguments (named).
    """
    geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
    if geometry.scale == 0:
        raise ValueError("noise must be > 0 for a noise density; with noise = 0 the data have "
                         "no noise bulk.")
    y = np.asarray(x, dtype=np.float64) / geometry.scale
    c = geometry.ratio
    inside = 4 * c - (y ** 2 - 1 - c) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.sqrt(np.maximum(inside, 0.0)) / (np.pi * c * y)
    return np.where((inside > 0) & (y > 0), density, 0.0) / geometry.scale


# ------------------------------------------------------------ bulk quadrature and densities


class _Bulk(NamedTuple):
    """Quadrature over the bulk in units of σ_eff: nodes y, weights dy, the Stieltjes
    boundary values g_short = z G_n(z²), g_long = z G_m(z²) at z = y + i0, and derivatives."""

    y: np.ndarray
    weight: np.ndarray
    g_short: np.ndarray
    g_long: np.ndarray
    dg_short: np.ndarray
    dg_long: np.ndarray


@functools.lru_cache(maxsize=32)
def _bulk(c: float, n_nodes: int) -> _Bulk:
    """Gauss–Legendre in φ with y = mid − half cos φ: the square-root edges of the densities
    (and the inverse square roots of Δμ) become smooth in φ."""
    low, high = 1 - math.sqrt(c), 1 + math.sqrt(c)
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    phi = (nodes + 1) * np.pi / 2
    half = (high - low) / 2
    y = (low + high) / 2 - half * np.cos(phi)
    weight = half * np.sin(phi) * weights * np.pi / 2
    inner = y ** 2 - 1 + c
    root = 1j * np.sqrt(np.maximum(4 * c * y ** 2 - inner ** 2, 0.0))  # branch: Im G < 0
    g_short = (inner - root) / (2 * c * y)
    d_root = 2 * y * (y ** 2 - 1 - c) / root
    dg_short = (y ** 2 + 1 - c + root - y * d_root) / (2 * c * y ** 2)
    g_long = c * g_short + (1 - c) / y
    dg_long = c * dg_short - (1 - c) / y ** 2
    arrays = (y, weight, g_short, g_long, dg_short, dg_long)
    for array in arrays:
        array.setflags(write=False)  # cached: shared by every call
    return _Bulk(*arrays)


def _bulk_densities(bulk: _Bulk, theta: float):
    """For one teacher mode of strength θ (units of σ_eff), on the bulk nodes: the deformation
    Δμ of the singular-value count, the cross weight w(y) = Σ (û·ū)(v̂·v̄) δ(y − ŝ), and the
    squared-overlap densities of ū (short side) and v̄ (long side)."""
    D = bulk.g_short * bulk.g_long
    dD = bulk.dg_short * bulk.g_long + bulk.g_short * bulk.dg_long
    denominator = 1 - theta ** 2 * D
    deformation = -np.imag(-theta ** 2 * dD / denominator) / np.pi
    cross = -2 / np.pi * np.imag(theta * D / denominator)
    short = -2 / np.pi * np.imag(bulk.g_short / denominator)
    long = -2 / np.pi * np.imag(bulk.g_long / denominator)
    return deformation, cross, short, long


_compiled_strength = jax.jit(lambda t, s, a0, depth: mode_strength(t, s, a0, depth=depth),
                             static_argnums=3)
_compiled_balanced = jax.jit(lambda t, s, a0, lam: mode_strength(t, s, a0, lam=lam))


def _strength(t: np.ndarray, s, start: _Start) -> np.ndarray:
    """a(t; s) of `mode_strength` for times t (T,) against strengths s (K,): (T, K). The
    arguments are validated by the callers; the evaluation is compiled once per shape."""
    s = np.asarray(s, dtype=np.float64)
    if s.size == 0:
        return np.zeros((t.size, 0))
    if start.lam == 0:
        values = _compiled_strength(t[:, None], s[None, :], start.a0, start.depth)
    else:
        values = _compiled_balanced(t[:, None], s[None, :], start.a0, start.lam)
    return np.asarray(values, dtype=np.float64)


class _Head(NamedTuple):
    """What is evaluated: the target's coefficients in the data's teacher modes. Head A of a
    joint teacher sees Σ_{k,l} s̄_A α_k β_l u_k v_lᵀ and a fraction ``share`` of the noise."""

    norm2: float  # ‖target‖²_F
    cross: np.ndarray  # per teacher mode k: the coefficient of u_k v_kᵀ (s̄_k, or s̄_A α_k β_k)
    output_weight2: np.ndarray  # α_k² (1 for a single task)
    share: float  # fraction of the output space on this head (1 for a single task)


def _errors(t, s_data, head: _Head, start: _Start, geometry: _Noise, n_nodes: int):
    """E_train and E_test (½‖·‖²_F, absolute) over t for data whose teacher modes have
    singular values ``s_data``, evaluated against ``head`` (module docstring)."""
    if geometry.scale == 0:  # no noise: Σyx = W̄, every teacher mode learned exactly
        a = _strength(t, np.where(s_data > 0, s_data, 1.0), start) * (s_data > 0)
        train = 0.5 * np.sum((a - s_data) ** 2, axis=1)
        test = 0.5 * (np.sum(a ** 2 * head.output_weight2, axis=1) + head.norm2
                      - 2 * a @ head.cross)
        return train, test
    c, scale = geometry.ratio, geometry.scale
    theta = s_data / scale
    detected = theta > c ** 0.25
    s_hat, cos2_short, cos2_long = _outlier(theta, c)
    cos2_out, cos2_in = ((cos2_short, cos2_long) if geometry.outputs_short
                         else (cos2_long, cos2_short))
    s_hat = scale * s_hat[detected]
    a_out = _strength(t, s_hat, start)
    bulk = _bulk(c, n_nodes)
    x = scale * bulk.y
    a_bulk = _strength(t, x, start)
    mp = -2 / np.pi * np.imag(bulk.g_short)  # Marchenko–Pastur density in y
    count = geometry.n_short * mp * bulk.weight  # n p(y) dy
    share_count = head.share * count
    cross = np.zeros_like(bulk.y)
    for k, strength in enumerate(theta):
        if strength == 0:
            continue
        deformation, weight, short, long = _bulk_densities(bulk, strength)
        count = count + deformation * bulk.weight
        share_count = share_count + head.share * deformation * bulk.weight
        overlap_out = short if geometry.outputs_short else long
        share_count = share_count + ((head.output_weight2[k] - head.share)
                                     * overlap_out * bulk.weight)
        cross = cross + head.cross[k] * weight * bulk.weight
    train = 0.5 * (np.sum((a_out - s_hat) ** 2, axis=1) + ((a_bulk - x) ** 2) @ count)
    output_norm = (cos2_out * head.output_weight2 + (1 - cos2_out) * head.share)[detected]
    coefficient = (head.cross * np.sqrt(cos2_out * cos2_in))[detected]
    test = 0.5 * (a_out ** 2 @ output_norm + a_bulk ** 2 @ share_count + head.norm2
                  - 2 * (a_out @ coefficient + a_bulk @ cross))
    return train, test


def _single_head(s_bar: np.ndarray) -> _Head:
    return _Head(norm2=float(np.sum(s_bar ** 2)), cross=s_bar,
                 output_weight2=np.ones_like(s_bar), share=1.0)


def _train_norm(s_bar: np.ndarray, noise, n_inputs, n_outputs, n_examples) -> float:
    """½E‖Σyx‖²_F = ½(Σ s̄² + N1 N3 σ² / P), the training error at W = 0."""
    return 0.5 * (float(np.sum(s_bar ** 2)) + n_inputs * n_outputs * noise ** 2 / n_examples)


def generalisation_errors(t, s_bar, a0, *, noise, n_inputs, n_outputs, n_examples,
                          depth: int = 2, lam: float = 0.0, relative: bool = False,
                          n_nodes: int = 256) -> GeneralisationErrors:
    """Predicted training and test errors of a deep linear network on noisy teacher data.

    A network whose every empirical mode starts at a0 (training-aligned start, Lampinen &
    Ganguli 2019) learns mode ŝ of Σyx along a(t; ŝ, a0) (`mode_strength`, depth L), so

        E_train(t) = ½[Σ_det (a(t; ŝ_k) − ŝ_k)² + Σ_bulk (a(t; x) − x)²],
        E_test(t)  = ½[Σ_det a(t; ŝ_k)² + Σ_bulk a(t; x)² + Σ_k s̄_k²
                       − 2 Σ_k s̄_k (O_k a(t; ŝ_k) + Σ_bulk w_k(x) a(t; x))]

    (Lampinen & Ganguli's train and test errors, with the O(1) bulk corrections of the module
    docstring; the student is assumed to have rank >= min(N1, N3), i.e. enough hidden units
    to learn every mode).
    Distinct teacher modes are treated as independent (exact as N → ∞).

    Starts. ``a0`` (with ``lam=0``) is the paper's training-aligned start, every empirical mode
    at a0 (`simulate(init="aligned", init_scale=a0)`). A small random start
    (``init="gaussian"``, entries N(0, σ0²) in both layers, H hidden units) is described by
    ``a0=0, lam=2Hσ0²``: for each mode the vectors h = W1v̂ and g = W2ᵀû start with
    ‖h ± g‖² ≈ 2Hσ0² and h·g ≈ 0, so, as long as the modes do not interact, the mode evolves
    exactly as an aligned λ-balanced mode with λ = ‖h + g‖‖h − g‖ started from 0 (early on
    h·g = (λ/2) sinh(2ŝt), later the sigmoid with a0 = λ/4; `lambda_balanced_mode_strength`).
    The modes' interaction through the shared hidden layer adds an O(n/H) alignment delay
    (Lampinen & Ganguli's random students lag the training-aligned ones), small for
    H ≫ min(N1, N3).

    Args:
        t: times >= 0 in units of τ (a number or a 1-D array).
        s_bar: teacher singular values s̄ >= 0 (at most min(N1, N3)).
        a0: initial strength of every mode, > 0 (small); may be 0 when ``lam`` ≠ 0.
        noise: σ >= 0, standard deviation of the targets' noise.
        n_inputs: N1.
        n_outputs: N3.
        n_examples: P >= N1 (whitened inputs).
        depth: number of weight matrices L of the network (`mode_strength`).
        lam: λ of a λ-balanced start (depth 2; see Starts above), 0 for aligned starts.
        relative: divide E_train by ½(Σs̄² + N1N3σ²/P) and E_test by ½Σs̄² (their values at
            W = 0; the paper's normalisation).
        n_nodes: quadrature nodes over the noise bulk.

    Returns:
        `GeneralisationErrors` (t, train, test), each of the shape of ``t``.

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
    s_bar = _teacher_spectrum(s_bar, geometry)
    times = _times(t)
    start = _start(a0, depth, lam)
    n_nodes = _validation.positive_int("n_nodes", n_nodes, minimum=8)
    flat = np.atleast_1d(times)
    train, test = _errors(flat, s_bar, _single_head(s_bar), start, geometry, n_nodes)
    if relative:
        if np.sum(s_bar ** 2) == 0:
            raise ValueError("relative=True divides by ½Σs̄², which is 0 here; pass a teacher "
                             "with a singular value > 0 or relative=False.")
        train = train / _train_norm(s_bar, geometry.noise, n_inputs, n_outputs, n_examples)
        test = test / (0.5 * np.sum(s_bar ** 2))
    return GeneralisationErrors(times, train.reshape(times.shape), test.reshape(times.shape))


def zero_map_errors(s_bar, *, noise, n_inputs, n_outputs, n_examples) -> GeneralisationErrors:
    """Expected training and test errors of the map W = 0, the normalisation of
    ``relative=True`` (Lampinen & Ganguli 2019):

        E_train(W = 0) = ½E‖Σyx‖²_F = ½(Σ_k s̄_k² + N1 N3 σ²/P),   E_test(W = 0) = ½Σ_k s̄_k²,

    since Σyx = W̄ + Z̃ with i.i.d. N(0, σ²/P) entries of Z̃ (module docstring). Divide measured
    errors by these to compare them with `generalisation_errors` (``relative=True``).

    Args:
        s_bar, noise, n_inputs, n_outputs, n_examples: as `generalisation_errors`.

    Returns:
        `GeneralisationErrors` at t = 0 (``train`` and ``test`` floats).

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
    s_bar = _teacher_spectrum(s_bar, geometry)
    return GeneralisationErrors(
        t=np.asarray(0.0), train=_train_norm(s_bar, geometry.noise, n_inputs, n_outputs,
                                             n_examples),
        test=0.5 * float(np.sum(s_bar ** 2)))


def _default_horizon(s_data: np.ndarray, start: _Start, geometry: _Noise) -> float:
    """A time by which the noise bulk's upper half (or, without noise, every teacher mode) is
    learned: three half-times of the bulk's median singular value."""
    if geometry.scale > 0:
        bulk = _bulk(geometry.ratio, 64)
        mp = -2 / np.pi * np.imag(bulk.g_short) * bulk.weight
        median = geometry.scale * bulk.y[np.searchsorted(np.cumsum(mp), 0.5)]
        strengths = np.append(s_data[s_data > 0], median)
    else:
        strengths = s_data[s_data > 0]
    slowest = float(np.min(strengths))
    a0 = start.effective_a0
    if a0 >= slowest / 2:
        return 10.0 / slowest
    return 3 * float(half_time(slowest, a0, depth=start.depth))


def _minimise(function, t_max: float, n_grid: int = 2001):
    """argmin of a smooth function of t on [0, t_max]: a grid, then golden-section search in
    the bracket around the grid minimum (to ~1e-10 relative)."""
    grid = np.linspace(0.0, t_max, n_grid)
    values = function(grid)
    i = int(np.argmin(values))
    low, high = grid[max(i - 1, 0)], grid[min(i + 1, n_grid - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = function(np.array([a, b]))
    while high - low > 1e-10 * max(t_max, 1.0):
        if fa <= fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = function(np.array([a]))[0]
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = function(np.array([b]))[0]
    best = (low + high) / 2
    candidates = np.array([best, grid[i]])
    values = function(candidates)
    return float(candidates[int(np.argmin(values))])


def optimal_stopping(s_bar, a0, *, noise, n_inputs, n_outputs, n_examples, depth: int = 2,
                     lam: float = 0.0, t_max=None, relative: bool = False,
                     n_nodes: int = 256) -> OptimalStopping:
    """The optimal early-stopping time t_opt = argmin_t E_test(t) and the errors there.

    E_test is `generalisation_errors`' prediction; the minimum is searched on [0, t_max] (a
    fine grid, then golden-section refinement). Early on the test error falls as the detected
    teacher modes are learned; it rises once a mode overshoots its optimal strength s̄ O(s̄)
    (ŝ > s̄ O) and the noise bulk starts to be learned (Lampinen & Ganguli 2019). Without
    noise E_test only falls, and the minimum is at t_max.

    Args:
        s_bar, a0, noise, n_inputs, n_outputs, n_examples, depth, lam, relative, n_nodes: as
            `generalisation_errors`.
        t_max: end of the search (default: three half-times of the noise bulk's median
            singular value, by which the test error has long passed its minimum).

    Returns:
        `OptimalStopping` (time, test_error, train_error).

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
    s_bar = _teacher_spectrum(s_bar, geometry)
    start = _start(a0, depth, lam)
    if np.sum(s_bar) == 0 and geometry.scale == 0:
        raise ValueError("s_bar is all zeros and noise = 0: there is nothing to learn, so no "
                         "stopping time; pass a teacher with a singular value > 0.")
    t_max = (_default_horizon(s_bar, start, geometry) if t_max is None
             else _validation.positive_float("t_max", t_max))

    def errors(times):
        return generalisation_errors(times, s_bar, a0, noise=noise, n_inputs=n_inputs,
                                     n_outputs=n_outputs, n_examples=n_examples, depth=depth,
                                     lam=lam, relative=relative, n_nodes=n_nodes)

    time = _minimise(lambda times: errors(times).test, t_max)
    at = errors(np.array([time]))
    return OptimalStopping(time, float(at.test[0]), float(at.train[0]))


def shrinkage_error(s_bar, *, noise, n_inputs, n_outputs, n_examples,
                    relative: bool = False) -> float:
    """Test error of the paper's non-gradient optimum: shrink each detected mode of Σyx to
    s̄ O(s̄) and drop the rest, E = ½ Σ_k s̄_k² (1 − O(s̄_k)²) (Lampinen & Ganguli 2019).

    No gradient-descent stopping time does better (asymptotically): the network cannot set
    each mode's strength independently of the others.

    Args:
        s_bar, noise, n_inputs, n_outputs, n_examples: as `training_modes`.
        relative: divide by ½Σs̄².

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    modes = training_modes(s_bar, noise=noise, n_inputs=n_inputs, n_outputs=n_outputs,
                           n_examples=n_examples)
    s_bar = _teacher_spectrum(s_bar)
    error = 0.5 * float(np.sum(s_bar ** 2 * (1 - modes.overlap ** 2)))
    if relative:
        if np.sum(s_bar ** 2) == 0:
            raise ValueError("relative=True divides by ½Σs̄², which is 0 here; pass a teacher "
                             "with a singular value > 0.")
        error /= 0.5 * float(np.sum(s_bar ** 2))
    return error


# ---------------------------------------------------------------------------------- transfer


def _alignment(q) -> float:
    try:
        q = float(q)
    except (TypeError, ValueError):
        raise TypeError(f"q must be a real number in [-1, 1]; got {q!r}.") from None
    if not math.isfinite(q) or abs(q) > 1:
        raise ValueError(f"q must be the cosine v̄_A·v̄_B of the two input vectors, in [-1, 1]; "
                         f"got {q}.")
    return q


def joint_teacher(s_a, s_b, q) -> JointTeacher:
    """Modes of the stacked teacher [W̄_A; W̄_B] of two rank-one tasks sharing their inputs.

    In the orthonormal output basis {(ū_A, 0), (0, ū_B)}, W̄W̄ᵀ is
    K = [[s̄_A², q s̄_A s̄_B], [q s̄_A s̄_B, s̄_B²]]; with its eigenpairs (s_k², e_k),
    u_k = e_kA (ū_A, 0) + e_kB (0, ū_B) and v_k = (e_kA s̄_A v̄_A + e_kB s̄_B v̄_B)/s_k, so
    α_k = e_kA and β_k = (e_kA s̄_A + e_kB s̄_B q)/s_k (Lampinen & Ganguli 2019, transfer theorem:
    the transfer depends on the teachers only through s̄_A, s̄_B and q = v̄_Aᵀv̄_B).

    Args:
        s_a: s̄_A > 0.
        s_b: s̄_B >= 0.
        q: v̄_A·v̄_B in [−1, 1].

    Returns:
        `JointTeacher` (singular_values, output_weights α, input_weights β), shape (2,) each.

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    s_a = _validation.positive_float("s_a", s_a)
    s_b = _validation.positive_float("s_b", s_b, allow_zero=True)
    q = _alignment(q)
    gram = np.array([[s_a ** 2, q * s_a * s_b], [q * s_a * s_b, s_b ** 2]])
    eigenvalues, vectors = np.linalg.eigh(gram)
    eigenvalues, vectors = eigenvalues[::-1], vectors[:, ::-1]
    singular = np.sqrt(np.maximum(eigenvalues, 0.0))
    vectors = vectors * np.where(vectors[0] < 0, -1.0, 1.0)  # α_k >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(singular > 0, (vectors[0] * s_a + vectors[1] * s_b * q) / singular, 0.0)
    return JointTeacher(singular, vectors[0].copy(), beta)


def transfer_errors(t, s_a, s_b, q, a0, *, noise, n_inputs, n_outputs, n_examples,
                    depth: int = 2, lam: float = 0.0,
                    n_nodes: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Relative test error on task A over time, learned alone and with task B on a second head.

    Alone: `generalisation_errors` of the rank-one teacher s̄_A (N3 outputs). Jointly: a network
    with 2·N3 outputs trained on the stacked data [Y_A; Y_B] (same P inputs, noise σ on every
    target) learns the modes of the joint data, whose teacher modes are `joint_teacher`'s; the
    error on head A is ½‖P_A W − W̄_A‖²_F, evaluated with the same random-matrix results
    (each data mode's output vector splits between the heads as the teacher's does plus an
    even share of the noise), divided by ½ s̄_A².

    Args:
        t: times >= 0 (a number or a 1-D array), in units of τ.
        s_a, s_b, q: as `joint_teacher`.
        a0: initial strength of every mode, > 0 (or 0 with ``lam`` ≠ 0).
        noise: σ >= 0.
        n_inputs: N1.
        n_outputs: N3, outputs per task (the joint network has 2 N3).
        n_examples: P >= N1.
        depth, lam, n_nodes: as `generalisation_errors`.

    Returns:
        (alone, joint), relative test errors on task A, each of the shape of ``t``.

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    teacher = joint_teacher(s_a, s_b, q)
    s_a = float(s_a)
    times = _times(t)
    flat = np.atleast_1d(times)
    start = _start(a0, depth, lam)
    n_nodes = _validation.positive_int("n_nodes", n_nodes, minimum=8)
    alone_geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
    joint_geometry = _geometry(noise, n_inputs, 2 * n_outputs, n_examples)
    s_alone = np.array([s_a])
    _, alone = _errors(flat, s_alone, _single_head(s_alone), start, alone_geometry, n_nodes)
    head = _Head(norm2=s_a ** 2, cross=s_a * teacher.output_weights * teacher.input_weights,
                 output_weight2=teacher.output_weights ** 2, share=0.5)
    _, joint = _errors(flat, teacher.singular_values, head, start, joint_geometry, n_nodes)
    norm = 0.5 * s_a ** 2
    return (alone / norm).reshape(times.shape), (joint / norm).reshape(times.shape)


def transfer_benefit(s_a, s_b, q, a0, *, noise, n_inputs, n_outputs, n_examples,
                     depth: int = 2, lam: float = 0.0, t_max=None,
                     n_nodes: int = 256) -> TransferBenefit:
    """The transfer benefit 𝒯^{A←B} = ε_A^opt − ε_{A←B}^opt (Lampinen & Ganguli 2019).

    ε_A^opt is task A's relative test error at its optimal stopping time when learned alone,
    ε_{A←B}^opt that of head A of a network learning A and B at once, stopped at head A's
    optimum (`transfer_errors`). Positive: B helps A (a weak task A can be pulled out of the
    noise bulk by an aligned, stronger B); negative: interference (a poorly aligned B tilts
    the shared input modes away from v̄_A and adds its noise). Depends on the teachers only
    through s̄_A, s̄_B and q.

    Args:
        s_a, s_b, q, a0, noise, n_inputs, n_outputs, n_examples, depth, lam, n_nodes: as
            `transfer_errors`.
        t_max: end of the search for each optimum (default as `optimal_stopping`, the later
            of the two settings').

    Returns:
        `TransferBenefit` (alone, joint, benefit, time_alone, time_joint).

    Raises:
        TypeError, ValueError: bad arguments (named).
    """
    teacher = joint_teacher(s_a, s_b, q)
    start = _start(a0, depth, lam)
    if t_max is None:
        alone_geometry = _geometry(noise, n_inputs, n_outputs, n_examples)
        joint_geometry = _geometry(noise, n_inputs, 2 * n_outputs, n_examples)
        t_max = max(_default_horizon(np.array([float(s_a)]), start, alone_geometry),
                    _default_horizon(teacher.singular_values, start, joint_geometry))
    else:
        t_max = _validation.positive_float("t_max", t_max)
    options = dict(noise=noise, n_inputs=n_inputs, n_outputs=n_outputs,
                   n_examples=n_examples, depth=depth, lam=lam, n_nodes=n_nodes)
    times = {}
    values = {}
    for which in (0, 1):
        def curve(grid, which=which):
            return transfer_errors(grid, s_a, s_b, q, a0, **options)[which]
        times[which] = _minimise(curve, t_max)
        values[which] = float(curve(np.array([times[which]]))[0])
    return TransferBenefit(values[0], values[1], values[0] - values[1], times[0], times[1])
