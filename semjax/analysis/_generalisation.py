"""Read-outs of what a network generalises, and of what its representations share
(docs/theory.md §5.5–§5.9): structural forms, category coherence, the derived basic-level check,
inductive projection of novel properties and items, and representational similarity.

Every function takes a `semjax.Task` (or a `semjax.datasets.Dataset`, turned into a task with
`Task.from_dataset`, i.e. the "mean" convention) and, where dynamics matter, a
`semjax.Trajectory` of that task, simulated or closed-form. Host-side numpy float64, except the
measured inductive projections, which train new weights in one compiled `jax.vmap`/`lax.scan`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.analysis._times import crossing_times
from semjax.datasets import Dataset
from semjax.task import Task
from semjax.theory._spectra import (
    category_overlap,
    category_singular_value,
    coherence,
    coherence_threshold,
    hierarchy_modes,
    hierarchy_spectrum,
    noise_bulk_edge,
)
from semjax.theory._times import half_time
from semjax.theory._trajectory import shared_basis_eigenvalues


def _as_task(task_or_dataset) -> Task:
    if isinstance(task_or_dataset, Dataset):
        return Task.from_dataset(task_or_dataset)
    if isinstance(task_or_dataset, Task):
        return task_or_dataset
    raise TypeError(f"expected a semjax.Task or semjax.datasets.Dataset; got "
                    f"{type(task_or_dataset).__name__}.")


def _one_hot_scale(task: Task) -> float:
    """c with Σx = c I (`Task.input_scale`) and one-hot items (X = I), so that Σyx = c Y; else
    ValueError."""
    one_hot = np.allclose(task.checked.inputs, np.eye(task.n_in), rtol=0, atol=1e-12)
    if task.input_scale is None or not one_hot:
        raise ValueError("this read-out needs one-hot items (inputs X = I) with Σx = c·I, as "
                         "Task.from_dataset gives for one-hot datasets (c = 1/P for 'mean', 1 "
                         "for 'sum').")
    return task.input_scale


def _projector_distance(first: np.ndarray, second: np.ndarray) -> float:
    """‖P₁ − P₂‖₂ of the orthogonal projectors onto two column spans = sin of the largest
    principal angle between them when the spans have equal dimension."""
    q1, q2 = np.linalg.qr(first)[0], np.linalg.qr(second)[0]
    return float(np.linalg.norm(q1 @ q1.T - q2 @ q2.T, 2))


# ------------------------------------------------------------------- structural forms (§5.9)


def object_analyzer_distance(task_or_dataset, basis, n_modes: int) -> float:
    """Distance between the span of the top ``n_modes`` object analyzers and a predicted basis.

    docs/theory.md §5.9: data from a structural form have object analyzers (columns of V in
    Σyx = U S Vᵀ) equal to the graph Laplacian's eigenvectors, e.g. Fourier modes for a ring
    and DCT-II modes for a chain (`semjax.theory.structural_spectrum(...).eigenvectors`).
    Degenerate or nearly degenerate modes (ring cos/sin pairs, sampled data) are only defined
    as a subspace, so the comparison is of subspaces: the spectral norm of the difference of
    the orthogonal projectors onto span(v_1 … v_n) and span(b_1 … b_n), which is the sine of
    the largest principal angle (0: same subspace, 1: some direction is orthogonal). Choose
    ``n_modes`` at a gap of the predicted spectrum (not inside a degenerate pair).

    For sampled data the distance is of order ‖Ŝ − K‖/gap (Davis–Kahan), with
    ‖Ŝ − K‖ ≲ ‖K‖ ((1 + sqrt(P/N_f))² − 1) for N_f Gaussian features.

    Args:
        task_or_dataset: a `Task`, or a `Dataset` (made into a task, "mean" convention).
        basis: predicted object analyzers, (N1, k) with k >= ``n_modes``, ordered strongest
            first; the first ``n_modes`` columns are used (they need not be orthonormal).
        n_modes: 1 <= n <= min(r, k).

    Returns:
        The projector distance, in [0, 1].
    """
    task = _as_task(task_or_dataset)
    basis = _validation.finite_matrix("basis", basis, shape=(task.n_in, None))
    n_modes = _validation.positive_int("n_modes", n_modes)
    if n_modes > min(task.n_modes, basis.shape[1]):
        raise ValueError(f"n_modes must be <= min(r, basis columns) = "
                         f"{min(task.n_modes, basis.shape[1])}; got {n_modes}.")
    return _projector_distance(task.modes.V[:, :n_modes], basis[:, :n_modes])


# ------------------------------------------------------------------ category coherence (§5.5)


def _index_set(name: str, value, size: int) -> np.ndarray:
    """Indices from a count K (the first K) or a sequence of distinct indices in [0, size)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        count = _validation.positive_int(name, value)
        if count > size:
            raise ValueError(f"{name} must be <= {size}; got {count}.")
        return np.arange(count)
    indices = np.asarray(value)
    if (indices.ndim != 1 or indices.size == 0 or not np.issubdtype(indices.dtype, np.integer)
            or indices.min() < 0 or indices.max() >= size
            or len(np.unique(indices)) != indices.size):
        raise ValueError(f"{name} must be a count or distinct integer indices in [0, {size}); "
                         f"got {value!r}.")
    return indices


def category_mode(task_or_dataset, category_items) -> tuple[int, float]:
    """The task mode that carries a category: the object analyzer with the largest overlap
    |v_αᵀ e| with the normalised category indicator e (1/sqrt(K_o) on the category's items).

    Args:
        task_or_dataset: a `Task` or `Dataset` with one input per item (N1 = P).
        category_items: K_o (the first K_o items, as `semjax.datasets.coherent_category`) or
            the category's item indices.

    Returns:
        (α, overlap): the mode index (into ``task.modes``) and |v_αᵀ e| in [0, 1].
    """
    task = _as_task(task_or_dataset)
    indicator = np.zeros(task.n_in)
    indicator[_index_set("category_items", category_items, task.n_in)] = 1.0
    overlaps = np.abs(task.modes.V.T @ indicator) / np.linalg.norm(indicator)
    mode = int(np.argmax(overlaps))
    return mode, float(overlaps[mode])


class CategoryCoherence(NamedTuple):
    """Coherence read-out of one category (docs/theory.md §5.5); singular values in Σyx units.

    Attributes:
        coherence: C = K_o K_f / sqrt(N_o N_f).
        threshold: the learnability threshold C* = σ² (BBP transition).
        learnable: C > C* (the theory's verdict).
        mode: index of the category mode (`category_mode`).
        overlap: |v_modeᵀ e| with the normalised category indicator e.
        predicted_overlap: the asymptotic overlap of the outlier's object analyzer with e,
            sqrt(1 − (c + θ̃²)/(θ̃² (θ̃² + 1))) with θ̃² = K_o K_f/(σ² N_o), c = N_f/N_o, above
            threshold (rank-one spiked rectangular model, Benaych-Georges & Nadakuditi 2012;
            it vanishes continuously at C = σ²), 0 below (`semjax.theory.category_overlap`).
        predicted_singular_value: c · `semjax.theory.category_singular_value` (the outlier
            above threshold, the bulk edge below), with Σyx = c Y.
        measured_singular_value: s of the category mode.
        bulk_edge: c σ (sqrt(N_f) + sqrt(N_o)), the top of the noise bulk.
        separated: measured_singular_value > bulk_edge (the data's verdict; near the
            threshold finite-size fluctuations of order N^{-2/3} can flip it).
        predicted_half_time: t½ = (τ/2s) ln(s/m0 − 1) with the predicted s and the mode's
            initial recorded strength m0 (decoupled balanced depth-2 mode); NaN without a
            trajectory or ``a0``. Shape (*batch,) of the trajectory.
        measured_half_time: t½ of the category mode read off the trajectory
            (`crossing_times`); NaN without a trajectory.
    """

    coherence: float
    threshold: float
    learnable: bool
    mode: int
    overlap: float
    predicted_overlap: float
    predicted_singular_value: float
    measured_singular_value: float
    bulk_edge: float
    separated: bool
    predicted_half_time: np.ndarray
    measured_half_time: np.ndarray


def category_coherence(task_or_dataset, *, category_items, category_features,
                       noise_variance: float, trajectory=None, a0=None) -> CategoryCoherence:
    """Coherence, learnability and learning speed of a category in noise (docs/theory.md §5.5).

    For Y = (ones on K_f features × K_o items) + i.i.d. noise of variance σ² (N_f × N_o,
    `semjax.datasets.coherent_category`), the category mode separates from the noise bulk iff
    C = K_o K_f / sqrt(N_o N_f) > σ², with singular value
    s = sqrt((θ² + σ² N_f)(θ² + σ² N_o))/θ, θ² = K_o K_f (rank-one BBP result; [derived]). A
    decoupled deep mode is learned at t½ = (τ/2s) ln(s/m0 − 1) ∝ 1/s: more coherent
    categories are learned sooner.

    Args:
        task_or_dataset: a `Task` with one-hot items and Σx = c·I (Σyx = c Y), or a
            `Dataset` (made into a task, "mean" convention: c = 1/P).
        category_items: K_o or the category's item indices (only their number enters the
            theory; the indices locate the mode).
        category_features: K_f or the category's feature indices.
        noise_variance: σ² > 0 of the noise model.
        trajectory: optional `Trajectory` of this task with recorded ``modes``, for the
            learning times.
        a0: optional initial recorded strength m0 of the category mode (default: read from
            the trajectory at t = 0; for small random starts the effective value of
            `semjax.theory.effective_a0` times c is the better guess).

    Returns:
        A `CategoryCoherence`.

    Raises:
        ValueError: inputs are not one-hot with Σx = c·I, sizes out of range, or the
            trajectory has no modes.
    """
    task = _as_task(task_or_dataset)
    scale = _one_hot_scale(task)
    k_items = len(_index_set("category_items", category_items, task.n_in))
    k_features = len(_index_set("category_features", category_features, task.n_out))
    sizes = (k_items, k_features, task.n_in, task.n_out)
    noise_variance = _validation.positive_float("noise_variance", noise_variance)
    mode, overlap = category_mode(task, category_items)
    predicted = scale * category_singular_value(*sizes, noise_variance)
    measured = float(task.modes.s[mode])
    edge = scale * noise_bulk_edge(task.n_in, task.n_out, noise_variance)
    value = coherence(*sizes)
    threshold = coherence_threshold(noise_variance)
    predicted_overlap = category_overlap(*sizes, noise_variance)
    predicted_time = measured_time = np.asarray(np.nan)
    if trajectory is not None:
        if trajectory.modes is None:
            raise ValueError("trajectory has no recorded modes; record=('modes', ...).")
        measured_time = crossing_times(trajectory, task.modes.s)[..., mode]
        if a0 is None:
            a0 = np.asarray(trajectory.modes)[..., 0, mode]
    if a0 is not None:
        start = np.asarray(a0, dtype=float)
        valid = (start > 0) & (start < predicted / 2)
        predicted_time = np.where(
            valid, np.asarray(half_time(predicted, np.where(valid, start, predicted / 4))),
            np.nan)
    return CategoryCoherence(
        coherence=value, threshold=threshold, learnable=bool(value > threshold), mode=mode,
        overlap=overlap, predicted_overlap=predicted_overlap, predicted_singular_value=predicted,
        measured_singular_value=measured, bulk_edge=edge, separated=bool(measured > edge),
        predicted_half_time=predicted_time, measured_half_time=np.asarray(measured_time))


# ---------------------------------------------------------------------- basic level (§5.6)


class BasicLevelCheck(NamedTuple):
    """Per-level strengths and learning times on a regular tree (derived check, §5.6).

    Attributes:
        levels: (D + 1,) −1 for the uniform (root) mode, then split levels 0 … D − 1.
        singular_values: (D + 1,) mean singular value of each level's modes (0: no mode).
        half_times: (*batch, D + 1) mean t½ of each level's modes (NaN: never learned).
        first_level: (*batch,) the split level (>= 0) learned first (smallest t½).
        strongest_level: the split level with the largest singular value.
        purity: (D + 1,) smallest squared projection of a level's modes on that level's Haar
            subspace (1: the task is exactly tree-structured; NaN: the level has no mode).
        mode_levels: (r,) the level each task mode was assigned to (−2: zero mode).
    """

    levels: np.ndarray
    singular_values: np.ndarray
    half_times: np.ndarray
    first_level: np.ndarray
    strongest_level: int
    purity: np.ndarray
    mode_levels: np.ndarray


def basic_level_check(task_or_dataset, *, branching: int, depth: int, trajectory=None,
                      a0: float = 1e-3) -> BasicLevelCheck:
    """Which split level of a tree is learned first, from per-level singular values.

    This is the derived check of docs/theory.md §5.6, not S1's formulation of basic-level effects
    (which is [uncertain]): on one-hot items at the leaves of a regular tree, every mode of
    the task is assigned to the tree level whose Haar-like subspace
    (`semjax.theory.hierarchy_modes`) holds most of its object analyzer; each level's learning
    time is the mean half-time of its modes. A decoupled deep mode is learned at
    t½ = (τ/2s) ln(s/m0 − 1), so the level with the largest singular value comes first: coarse
    first on ordinary trees, an intermediate ("basic") level first when its distinctive
    features make its singular value largest (`semjax.datasets.level_contrast_tree`).

    Args:
        task_or_dataset: a `Task` (inputs one-hot on the P = B^D leaves, Σx sharing the task's
            singular vectors) or a `Dataset` ("mean" convention).
        branching: B >= 2.
        depth: D >= 1.
        trajectory: optional `Trajectory` of the task with ``modes``; its half-times are used.
            Without it, the exact closed form for aligned balanced starts at product strength
            ``a0`` (as `semjax.theory.trajectory`'s ``a0``) is used.
        a0: initial product strength for the closed form.

    Returns:
        A `BasicLevelCheck`.

    Raises:
        ValueError: the task's items are not the tree's leaves, or the trajectory lacks modes.
    """
    task = _as_task(task_or_dataset)
    haar = hierarchy_modes(branching, depth)
    if task.n_in != haar.shape[0] or not np.allclose(task.checked.inputs, np.eye(task.n_in)):
        raise ValueError(f"the task must have one-hot inputs on the P = B^D = {haar.shape[0]} "
                         f"leaves; it has N1 = {task.n_in}.")
    tree_levels = hierarchy_spectrum(branching, depth, 0.0)  # levels only; ε does not enter
    levels, column_levels = tree_levels.levels, tree_levels.column_levels()
    _, s, V = task.modes
    weight = (haar.T @ V) ** 2  # (P, r): squared projection of v_α on each Haar column
    per_level = np.stack([weight[column_levels == level].sum(axis=0) for level in levels])
    nonzero = s > 1e-12 * s.max()
    mode_levels = np.where(nonzero, levels[np.argmax(per_level, axis=0)], -2)
    if trajectory is None:
        d = shared_basis_eigenvalues(task)
        safe = np.where(nonzero, s, 1.0)
        times = np.where(nonzero & (d * a0 < s / 2),
                         np.asarray(half_time(safe, d * a0 * np.ones_like(s))), np.nan)
    else:
        if trajectory.modes is None:
            raise ValueError("trajectory has no recorded modes; record=('modes', ...).")
        times = crossing_times(trajectory, s)
    singular_values, half_times, purity = [], [], []
    for index, level in enumerate(levels):
        members = mode_levels == level
        singular_values.append(s[members].mean() if members.any() else 0.0)
        half_times.append(np.mean(times[..., members], axis=-1) if members.any()
                          else np.full(times.shape[:-1], np.nan))
        purity.append(per_level[index, members].min() if members.any() else np.nan)
    half_times = np.stack(half_times, axis=-1)
    splits = half_times[..., 1:]
    first = np.where(np.all(np.isnan(splits), axis=-1), -1,
                     np.argmin(np.where(np.isnan(splits), np.inf, splits), axis=-1))
    singular_values = np.asarray(singular_values)
    return BasicLevelCheck(
        levels=levels, singular_values=singular_values, half_times=half_times,
        first_level=np.asarray(first), strongest_level=int(np.argmax(singular_values[1:])),
        purity=np.asarray(purity), mode_levels=mode_levels)


# ----------------------------------------------------------------- inductive projection (§5.7)


class Projection(NamedTuple):
    """Generalisation of a novel property (over items) or a novel item (over properties).

    Attributes:
        t: (n_times,) the recorded times used.
        values: (*batch, n_times, n): predicted or learned outputs, 1 at the taught entry.
        names: the n item names (novel property) or property names (novel item).
        final_loss: measured versions only: (*batch, n_times) training loss at the end
            (½(1 − output at the taught entry)²; 0 at convergence); None for predictions.
    """

    t: np.ndarray
    values: np.ndarray
    names: tuple
    final_loss: np.ndarray | None = None


def _time_indices(trajectory, times) -> np.ndarray:
    """Indices of the recorded times nearest to ``times`` (all recorded times for None)."""
    t = np.asarray(trajectory.t, dtype=float)
    if times is None:
        return np.arange(len(t))
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError(f"times must be a 1-D sequence of finite times; got {times!r}.")
    return np.abs(t[None, :] - times[:, None]).argmin(axis=1)


def _lookup(name: str, value, names: tuple) -> int:
    """An index from an int or a name in ``names``."""
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"{name}={value!r} is not one of {names}.")
        return names.index(value)
    index = _validation.positive_int(name, value, minimum=0)
    if index >= len(names):
        raise ValueError(f"{name} must be < {len(names)}; got {index}.")
    return index


def _depth(trajectory) -> int:
    return int(trajectory.info.get("depth", 2) if trajectory.weights is None
               else len(trajectory.weights))


def _weights_at(trajectory, index) -> list[np.ndarray]:
    if trajectory.weights is None:
        raise ValueError("this read-out needs the weights: simulate with "
                         "record=(..., 'weights').")
    return [np.asarray(w, dtype=float)[..., index, :, :] for w in trajectory.weights]


def _chain(matrices) -> np.ndarray:
    """The product M_k ⋯ M_1 of (*batch, n_{l+1}, n_l) matrices (given M_1 first)."""
    return functools.reduce(lambda product, m: m @ product, matrices[1:], matrices[0])


def _last_hidden(trajectory, task: Task, index) -> np.ndarray:
    """H = W_{L−1} ⋯ W_1 X, the items' representations feeding the last layer."""
    weights = _weights_at(trajectory, index)
    if len(weights) < 2:
        raise ValueError("a shallow network (depth 1) has no hidden representation.")
    return _chain(weights[:-1]) @ task.checked.inputs


def _downstream(trajectory, index) -> np.ndarray:
    """B = W_L ⋯ W_2, the fixed map from a new input column (hidden layer 1) to the output."""
    weights = _weights_at(trajectory, index)
    if len(weights) < 2:
        raise ValueError("a shallow network (depth 1) has no hidden layer for a new item.")
    return _chain(weights[1:])


def _normalised_column(gram: np.ndarray, index: int) -> np.ndarray:
    """gram[..., :, index] / gram[..., index, index] (NaN where the diagonal is 0)."""
    diagonal = gram[..., index, index][..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(diagonal != 0, gram[..., :, index] / diagonal, np.nan)


def novel_property_projection(trajectory, task: Task, item, *, times=None) -> Projection:
    """Predicted generalisation of a novel property taught for one item (docs/theory.md §5.7).

    Training only a new output row w on the hidden representations, target 1 for item i,
    from w = 0, converges to w = h_iᵀ/‖h_i‖², so item j receives

        ŷ^j = h_jᵀ h_i / ‖h_i‖² = G_ji / G_ii,      G = (W1 X)ᵀ (W1 X)  (``hidden_gram``),

    which for balanced decoupled dynamics is (V A(t) Vᵀ)_ji / (V A(t) Vᵀ)_ii. Early in
    development (coarse modes only) the projection is broad, later narrow. Uses the recorded
    ``hidden_gram`` for depth 2 (simulated or `semjax.theory.trajectory`), else the recorded
    weights (the last hidden layer of a deeper network).

    Args:
        trajectory: a `Trajectory` of ``task`` with ``hidden_gram`` (depth 2) or ``weights``.
        task: the task (for item names and inputs).
        item: the taught item, an index or a name.
        times: optional times; the nearest recorded ones are used (default: all).

    Returns:
        A `Projection` over the items (values 1 at the taught item).
    """
    index = _time_indices(trajectory, times)
    item = _lookup("item", item, task.checked.item_names)
    if trajectory.hidden_gram is not None and _depth(trajectory) == 2:
        gram = np.asarray(trajectory.hidden_gram, dtype=float)[..., index, :, :]
    else:
        hidden = _last_hidden(trajectory, task, index)
        gram = np.swapaxes(hidden, -1, -2) @ hidden
    return Projection(t=np.asarray(trajectory.t)[index], values=_normalised_column(gram, item),
                      names=task.checked.item_names)


def novel_item_projection(trajectory, task: Task, property, *, times=None,
                          from_modes: bool = False) -> Projection:
    """Predicted properties of a novel item of which only property m is observed (§5.7).

    Training only the new item's input column c (its hidden representation) with the rest of
    the network fixed, from c = 0 on the one observation (target 1 on output m), converges to
    c ∝ Bᵀ e_m with B = W_L ⋯ W_2 (W2 for depth 2), so the new item's outputs are

        ŷ_n = (B Bᵀ)_nm / (B Bᵀ)_mm       (depth 2: (W2 W2ᵀ)_nm / (W2 W2ᵀ)_mm),

    which for balanced decoupled dynamics is Σ_α a_α u^α_n u^α_m / Σ_α a_α (u^α_m)².

    Args:
        trajectory: a `Trajectory` of ``task`` with recorded ``weights`` (or ``modes`` with
            ``from_modes``).
        task: the task.
        property: the observed property, an index or a name.
        times: optional times; the nearest recorded ones are used (default: all).
        from_modes: use the balanced depth-2 identity W2 W2ᵀ = U diag(a/d) Uᵀ from the
            recorded mode strengths instead of weights: exact for aligned balanced starts
            (`semjax.theory.trajectory` with ``a0``, λ = 0), the small-init approximation
            otherwise.

    Returns:
        A `Projection` over the properties (values 1 at the observed property).
    """
    index = _time_indices(trajectory, times)
    prop = _lookup("property", property, task.checked.property_names)
    if from_modes:
        if trajectory.modes is None:
            raise ValueError("from_modes=True needs recorded modes.")
        if _depth(trajectory) != 2 or trajectory.info.get("lam", 0.0) not in (0, 0.0):
            raise ValueError("from_modes=True holds for zero-balanced depth-2 dynamics only.")
        U = task.modes.U
        strength = np.asarray(trajectory.modes, dtype=float)[..., index, :]
        gram = np.einsum("na,...a,ma->...nm", U, strength / shared_basis_eigenvalues(task), U)
    else:
        downstream = _downstream(trajectory, index)
        gram = downstream @ np.swapaxes(downstream, -1, -2)
    return Projection(t=np.asarray(trajectory.t)[index], values=_normalised_column(gram, prop),
                      names=task.checked.property_names)


_METHODS = ("gradient", "least_squares")


@functools.partial(jax.jit, static_argnames=("method", "n_steps"))
def _fit_one_target(taught, readout, *, method: str, n_steps: int, rate: float = 0.5):
    """Learn x from x = 0 on ½(1 − taughtᵀx)², then read out ``readout @ x``; batched (vmap)
    over the leading axis. "gradient": gradient descent (the Euler scheme of gradient flow)
    with step rate/‖taught‖², under which the error shrinks by (1 − rate) per step;
    "least_squares": its limit, the min-norm solution taught/‖taught‖²."""

    def one(b, out):
        norm2 = b @ b
        safe = jnp.where(norm2 > 0, norm2, 1.0)
        if method == "least_squares":
            x = b / safe
        else:
            def step(x, _):
                return x + rate / safe * (1.0 - b @ x) * b, None
            x, _ = jax.lax.scan(step, jnp.zeros_like(b), None, length=n_steps)
        return jnp.where(norm2 > 0, out @ x, jnp.nan), 0.5 * (1.0 - b @ x) ** 2

    return jax.vmap(one)(taught, readout)


def _measured(trajectory, task: Task, taught: str, target, times, method: str,
              n_steps: int) -> Projection:
    """Train one new weight vector per run and time (see `learn_novel_property`).

    ``taught="item"``: a new output row read out on every item's last hidden representation
    (readout rows H_jᵀ), taught on item ``target``. ``taught="property"``: a new first-layer
    column read out through B = W_L ⋯ W_2 (readout rows of B), taught on property ``target``.
    Either way the taught vector is the readout's row ``target``.
    """
    _validation.choice("method", method, _METHODS)
    n_steps = _validation.positive_int("n_steps", n_steps)
    index = _time_indices(trajectory, times)
    names = task.checked.item_names if taught == "item" else task.checked.property_names
    target = _lookup(taught, target, names)
    readout = (np.swapaxes(_last_hidden(trajectory, task, index), -1, -2) if taught == "item"
               else _downstream(trajectory, index))  # (*batch, n_times, n, k)
    lead = readout.shape[:-2]
    values, loss = _fit_one_target(
        jnp.asarray(readout[..., target, :].reshape(-1, readout.shape[-1])),
        jnp.asarray(readout.reshape(-1, *readout.shape[-2:])), method=method, n_steps=n_steps)
    return Projection(t=np.asarray(trajectory.t)[index],
                      values=np.asarray(values, dtype=float).reshape(*lead, -1), names=names,
                      final_loss=np.asarray(loss, dtype=float).reshape(lead))


def learn_novel_property(trajectory, task: Task, item, *, times=None, method: str = "gradient",
                         n_steps: int = 100) -> Projection:
    """Measured inductive projection of a novel property: actually train a new output row.

    At each chosen recorded time the network's layers below the output are frozen at their
    recorded values; a new output unit's weight row w (the novel property) starts at 0 and is
    trained on one example, the taught item i with target 1, loss ½(1 − w h_i)². The learned
    row is read out on every item, ŷ^j = w h_j. Training is gradient descent from w = 0, i.e.
    the Euler scheme of the gradient flow dw/dt = (1 − w h_i) h_iᵀ, run for ``n_steps`` steps
    of size 0.5/‖h_i‖² in one jitted `lax.scan` (vmapped over runs and times), so every run's
    error shrinks by 1/2 per step (100 steps: converged to float64 precision); the iterate
    stays on span(h_i) and converges to the min-norm solution h_iᵀ/‖h_i‖², which
    ``method="least_squares"`` returns directly. Compare with `novel_property_projection`.

    Args:
        trajectory: a `Trajectory` of ``task`` with recorded ``weights``.
        task: the task.
        item: the taught item, an index or a name.
        times: optional times; the nearest recorded ones are used (default: all).
        method: ``"gradient"`` (trained, default) or ``"least_squares"`` (its limit).
        n_steps: gradient steps.

    Returns:
        A `Projection` over the items, with the final training loss.
    """
    return _measured(trajectory, task, "item", item, times, method, n_steps)


def learn_novel_item(trajectory, task: Task, property, *, times=None, method: str = "gradient",
                     n_steps: int = 100) -> Projection:
    """Measured inductive projection of a novel item: actually train a new input column.

    At each chosen recorded time every weight is frozen except a new item's input column
    c (its first-layer representation), which starts at 0 and is trained on the single
    observed property m, loss ½(1 − (B c)_m)² with B = W_L ⋯ W_2 fixed; the new item's
    outputs are then ŷ = B c for every property. Training as `learn_novel_property`
    (gradient descent from 0 with step 0.5/‖Bᵀe_m‖², converging to the min-norm c =
    Bᵀe_m/‖Bᵀe_m‖², which ``method="least_squares"`` returns). Compare with
    `novel_item_projection`.

    Args:
        trajectory: a `Trajectory` of ``task`` with recorded ``weights``.
        task: the task.
        property: the observed property, an index or a name.
        times, method, n_steps: as `learn_novel_property`.

    Returns:
        A `Projection` over the properties, with the final training loss.
    """
    return _measured(trajectory, task, "property", property, times, method, n_steps)


# ---------------------------------------------------------------------------------- RSA (§5.8)


class RSAComparison(NamedTuple):
    """Difference of two networks' hidden RSM trajectories (docs/theory.md §5.8).

    Attributes:
        t: (time,) recording times.
        relative_difference: (*batch, time) ‖G_a(t) − G_b(t)‖_F / scale.
        max_relative_difference: (*batch,) its maximum over time.
        scale: (*batch,) max over t of max(‖G_a(t)‖_F, ‖G_b(t)‖_F).
    """

    t: np.ndarray
    relative_difference: np.ndarray
    max_relative_difference: np.ndarray
    scale: np.ndarray


def rsa_invariance(trajectory_a, trajectory_b) -> RSAComparison:
    """Compare the hidden representational similarity (RSM) trajectories of two networks.

    The RSM of one-hot items is G(t) = W1ᵀ W1 = V A(t) Vᵀ for balanced dynamics, independent of
    the hidden units' basis and number (docs/theory.md §5.8): networks with different hidden widths
    and seeds, started small and balanced, share their RSM trajectory. The difference at each
    time is normalised by the developed scale of the RSMs (their largest Frobenius norm over
    the run), not by the RSM at that time, which near t = 0 is the O(init²) random start.

    Args:
        trajectory_a, trajectory_b: `Trajectory` objects of the same task with ``hidden_gram``
            on the same time grid; their batch shapes broadcast (numpy rules).

    Returns:
        An `RSAComparison`.

    Raises:
        ValueError: a trajectory lacks ``hidden_gram``, or the time grids or item counts differ.
    """
    grams = []
    for name, run in (("trajectory_a", trajectory_a), ("trajectory_b", trajectory_b)):
        if run.hidden_gram is None:
            raise ValueError(f"{name} has no hidden_gram; record=(..., 'hidden_gram').")
        grams.append(np.asarray(run.hidden_gram, dtype=float))
    t_a, t_b = np.asarray(trajectory_a.t, float), np.asarray(trajectory_b.t, float)
    if t_a.shape != t_b.shape or not np.allclose(t_a, t_b, rtol=1e-9, atol=1e-12):
        raise ValueError("the trajectories must share their time grid (same dt, record_every "
                         "and length).")
    if grams[0].shape[-2:] != grams[1].shape[-2:]:
        raise ValueError(f"the RSMs differ in size: {grams[0].shape[-2:]} vs "
                         f"{grams[1].shape[-2:]}.")
    difference = np.linalg.norm(grams[0] - grams[1], axis=(-2, -1))
    norms = np.maximum(np.linalg.norm(grams[0], axis=(-2, -1)),
                       np.linalg.norm(grams[1], axis=(-2, -1)))
    scale = norms.max(axis=-1)
    relative = difference / np.where(scale > 0, scale, 1.0)[..., None]
    return RSAComparison(t=t_a, relative_difference=relative,
                         max_relative_difference=relative.max(axis=-1), scale=scale)


def _item_rsm(task: Task, input_gram_values) -> np.ndarray:
    """Xᵀ Ṽ diag(f(s̃)) Ṽᵀ X for the target map T = Ũ S̃ Ṽᵀ (full Ṽ, s̃ = 0 on T's null space)."""
    _, s, Vt = np.linalg.svd(task.target_map, full_matrices=True)
    s = np.concatenate([s, np.zeros(Vt.shape[0] - len(s))])
    inputs = task.checked.inputs
    right = Vt @ inputs
    return right.T @ (input_gram_values(s)[:, None] * right)


def min_norm_rsm(task: Task) -> np.ndarray:
    """Final RSM from small (approximately zero-balanced) starts: the minimum-norm factorisation.

    From small initial weights the network converges to the min-norm factorisation of its
    target map T = Σyx Σx⁺, which is balanced: W1ᵀW1 = (TᵀT)^{1/2} (docs/theory.md §5.8). The items'
    RSM is Xᵀ (TᵀT)^{1/2} X; for Σx = I and one-hot items, (ΣyxᵀΣyx)^{1/2} = V S Vᵀ.

    Args:
        task: the task (a `Dataset` is accepted too).

    Returns:
        (P, P) float64.
    """
    task = _as_task(task)
    return _item_rsm(task, lambda s: s)


def lambda_balanced_final_rsm(task: Task, lam: float) -> np.ndarray:
    """Final RSM from a λ-balanced start, W2ᵀW2 − W1W1ᵀ = λ I (docs/theory.md §5.8, [derived]).

    The conservation law and W2W1 → T = Ũ S̃ Ṽᵀ give W1ᵀW1 → Ṽ S₁² Ṽᵀ with
    S₁² = (sqrt(λ² + 4 S̃²) − λ)/2, so the RSM is Xᵀ Ṽ S₁² Ṽᵀ X: V S₁² Vᵀ for Σx = I and
    one-hot items. It depends on λ and equals `min_norm_rsm` only at λ = 0. Input directions
    that T annihilates get (|λ| − λ)/2 (0 for λ >= 0; for λ < 0 this assumes the hidden layer
    spans them, e.g. N2 = N1).

    Args:
        task: the task (a `Dataset` is accepted too).
        lam: λ.

    Returns:
        (P, P) float64.
    """
    task = _as_task(task)
    lam = float(lam)
    if not np.isfinite(lam):
        raise ValueError(f"lam must be finite; got {lam}.")
    return _item_rsm(task, lambda s: (np.sqrt(lam ** 2 + 4 * s ** 2) - lam) / 2)
