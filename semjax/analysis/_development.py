"""Developmental read-outs on any `semjax.Trajectory` (docs/theory.md §5.1–§5.4, §5.8).

Every function takes a Trajectory and does not care whether it came from `semjax.simulate` or
`semjax.theory.trajectory`; it works on the host in numpy, vectorised over the trajectory's
batch axes and its time axis (results keep the leading ``(*batch,)`` axes, in the order of
``trajectory.batch_axes``). The common ingredients (docs/theory.md §5, balanced decoupled modes):

    W(t) = Σ_α w_α(t) u_α v_αᵀ,   ŷ^i(t) = W(t) x_i,   W1ᵀW1 = V A(t) Vᵀ,

with w_α = a_α/d_α the product strength (a_α = u_αᵀ W Σx v_α the recorded mode strength and
d_α = v_αᵀ Σx v_α; d = 1 for white inputs, 1/P for one-hot items under the "mean" convention
of `semjax.task`).

Read-outs:

* mode learning times and stages: `mode_learning_times`, `plateaus`, `loss_staircase` (§2.2,
  §5.2);
* progressive differentiation: `hierarchy_levels_of_modes`, `level_learning_order` (§5.1);
* representational similarity: `representational_similarity`, `mds_embedding` (§5.8, §5.1);
* illusory correlations: `illusory_correlations` (§5.3);
* typicality: `typicality`, `category_response_times` (§5.4).
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from typing import NamedTuple

import numpy as np

from semjax import _validation
from semjax.analysis._times import crossing_times
from semjax.task import Task, require_task
from semjax.theory import hierarchy_modes, hierarchy_spectrum

_RSM_NORMALISATIONS = (None, "cosine", "correlation")


# ----------------------------------------------------------------------------- validation


def _field(trajectory, name: str, argument: str = "trajectory") -> np.ndarray:
    """``trajectory.<name>`` as a float64 array, or a ValueError saying how to record it."""
    value = getattr(trajectory, name, None)
    if value is None:
        raise ValueError(
            f"{argument} has no recorded {name!r}; make it with record=(..., {name!r}) in "
            f"semjax.simulate or semjax.theory.trajectory.")
    return np.asarray(value, dtype=np.float64)


def _strengths(name: str, s, n_modes: int) -> np.ndarray:
    """``s`` as r positive finite asymptotic strengths."""
    s = np.asarray(s, dtype=np.float64)
    if s.shape != (n_modes,):
        raise ValueError(f"{name} must give one asymptotic strength per mode, shape "
                         f"({n_modes},) (e.g. task.modes.s); got shape {s.shape}.")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"{name} must be finite and > 0 (a mode's final strength); got {s}.")
    return s


def _check_modes(trajectory, s) -> np.ndarray:
    """Check that ``trajectory`` recorded modes and ``s`` gives one final strength per mode."""
    return _strengths("s", s, _field(trajectory, "modes").shape[-1])


def _fractions(name: str, values) -> np.ndarray:
    try:
        fractions = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be fractions in (0, 1); got {values!r}.") from None
    if fractions.ndim != 1 or fractions.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of fractions; got {values!r}.")
    for value in fractions:
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1 (fractions of the final "
                             f"strength s); got {values!r}.")
    return fractions


def _item_indices(task: Task, items) -> np.ndarray:
    """Indices of ``items`` (names or integer indices; None = all) among the task's items."""
    names = task.checked.item_names
    if items is None:
        return np.arange(len(names))
    if isinstance(items, (str, int, np.integer)):
        items = [items]
    indices = []
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise ValueError(f"items: unknown item {item!r}; the task's items are {names}.")
            indices.append(names.index(item))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not -len(names) <= item < len(names):
                raise ValueError(f"items: index {item} out of range for {len(names)} items.")
            indices.append(int(item) % len(names))
        else:
            raise TypeError(f"items must be item names or integer indices; got {item!r}.")
    if not indices:
        raise ValueError("items must name at least one item (or be None for all items).")
    return np.asarray(indices)


def _mode_index(name: str, mode, n_modes: int) -> int:
    mode = _validation.positive_int(name, mode, minimum=0)
    if mode >= n_modes:
        raise ValueError(f"{name} must index one of the task's {n_modes} modes (0 = strongest); "
                         f"got {mode}.")
    return mode


def _product_matches(product: np.ndarray, task: Task) -> np.ndarray:
    if product.shape[-2:] != (task.n_out, task.n_in):
        raise ValueError(f"trajectory.product has maps of shape {product.shape[-2:]}; the task "
                         f"needs (N3, N1) = ({task.n_out}, {task.n_in}). Use the trajectory's own "
                         "task.")
    return product


# ------------------------------------------------------------------ learning times (§2.2, §5.2)


def mode_learning_times(trajectory, s, thresholds=(0.1, 0.5, 0.9)) -> np.ndarray:
    """Times at which each mode first reaches given fractions of its final strength.

    For each threshold f the first t with a_α(t) = f · s_α (linear interpolation between
    recorded times, `semjax.analysis.crossing_times`); NaN where a mode never gets there. For a
    deep decoupled balanced mode from a0 (docs/theory.md §2.2, Saxe et al. 2014 eq. 11)

        t_f = (τ/2s) ln[ f (s − a0) / (a0 (1 − f)) ],

    so f = ½ gives t½ = (τ/2s) ln(s/a0 − 1); a shallow mode crosses at τ ln((s − b0)/((1 − f)s))
    whatever s (§2.3).

    Args:
        trajectory: a `Trajectory` with recorded ``modes`` (*batch, time, r).
        s: the modes' final strengths (r,), e.g. ``task.modes.s`` or ``info["task_s"]``.
        thresholds: fractions f in (0, 1).

    Returns:
        Array (*batch, n_thresholds, r) of times in units of τ.

    Raises:
        ValueError: no recorded ``modes``; ``s`` of the wrong shape or not > 0; a threshold
            outside (0, 1).
    """
    s = _check_modes(trajectory, s)
    fractions = _fractions("thresholds", thresholds)
    return np.stack([crossing_times(trajectory, s, fraction) for fraction in fractions], axis=-2)


class Plateaus(NamedTuple):
    """Stage-like transitions of each mode (docs/theory.md §5.2).

    Attributes:
        length: plateau length, the time to reach ``low``·s, (*batch, r).
        width: transition width, t(``high``·s) − t(``low``·s), (*batch, r).
        low, high: the fractions used.
    """

    length: np.ndarray
    width: np.ndarray
    low: float
    high: float


def plateaus(trajectory, s, low: float = 0.1, high: float = 0.9) -> Plateaus:
    """Plateau length and transition width of every mode (docs/theory.md §5.2, §2.2).

    The plateau is the time a mode takes to reach ``low`` of its final strength; the transition
    is the time from ``low`` to ``high``. For a deep decoupled balanced mode from a0 these are
    exactly (docs/theory.md §2.2)

        length = (τ/2s) ln[ low·s (s − a0) / (a0 (s − low·s)) ],
        width  = (τ/2s) ln[ high (1 − low) / ((1 − high) low) ]  (= (τ/2s) ln 81 for 10–90 %),

    so the plateau grows like ln(s/a0)/s while the width ∝ 1/s does not depend on a0: stages
    sharpen as a0 → 0. A shallow mode has no plateau: length τ ln(1/(1 − low)) and width
    τ ln((1 − low)/(1 − high)) for every s (§2.3).

    Args:
        trajectory: a `Trajectory` with recorded ``modes``.
        s: the modes' final strengths (r,).
        low, high: fractions with 0 < low < high < 1.

    Returns:
        A `Plateaus` (length, width) of arrays (*batch, r); NaN where not reached.

    Raises:
        ValueError: no recorded ``modes``, bad ``s``, or not 0 < low < high < 1.
    """
    low, high = _fractions("low", low)[0], _fractions("high", high)[0]
    if not low < high:
        raise ValueError(f"low must be below high; got low={low}, high={high}.")
    times = mode_learning_times(trajectory, s, (low, high))
    return Plateaus(length=times[..., 0, :], width=times[..., 1, :] - times[..., 0, :],
                    low=float(low), high=float(high))


class LossStaircase(NamedTuple):
    """Drops and plateaus of the loss curve, padded with NaN (and 0 in ``n_drops``) per run.

    Attributes:
        n_drops: number of drops of each run, int (*batch,).
        times: time of each drop, the peak of the drop rate −dL/d ln t, (*batch, k).
        rates: the peak drop rates −dL/d ln t, (*batch, k).
        drops: loss lost across each drop, L(plateau before) − L(plateau after), (*batch, k).
        plateau_times: times of the k + 1 plateau points bracketing the drops: the first
            record, the slowest point (minimum rate) between consecutive drops, the last record,
            (*batch, k + 1).
        plateau_losses: the loss at those points, (*batch, k + 1).
        rate_times, rate: the drop rate on the midpoints sqrt(t_k t_{k+1}) of the records with
            t > 0, (time − 1,) and (*batch, time − 1) (time counted over t > 0).
    """

    n_drops: np.ndarray
    times: np.ndarray
    rates: np.ndarray
    drops: np.ndarray
    plateau_times: np.ndarray
    plateau_losses: np.ndarray
    rate_times: np.ndarray
    rate: np.ndarray


def loss_staircase(trajectory, *, valley: float = 0.5, min_rate: float = 1e-3) -> LossStaircase:
    """The loss curve as a staircase: steep drops separated by plateaus (docs/theory.md §5.2).

    With white inputs L(t) = ½ Σ_α (s_α − a_α(t))² / d_α, so each mode's sigmoidal transition
    removes ½ s_α²/d_α of loss around its half-time (τ/2s_α) ln(s_α/a0 − 1). On a logarithmic
    time axis every deep transition has the same shape (width ≈ ln 81 / ln(s/a0) in ln t), so
    drops are read off the drop rate per unit log-time,

        r(t) = −dL/d ln t = −t dL/dt   (finite differences between records with t > 0).

    Definition: a **drop** is a local maximum of r with r ≥ ``min_rate`` · max_t r that is
    separated from every higher part of the curve by a **plateau**: on each side, before r
    exceeds the peak again (or the record ends), it falls to ≤ ``valley`` × the peak. (That is,
    its topographic prominence is ≥ (1 − ``valley``) × its height.) Modes whose singular values
    are equal (or too close to be resolved at this a0) form one drop; a shallow network, whose
    modes all relax with the same time constant, shows a single drop. Plateau points are the
    slowest records between consecutive drops (plus the first and last records), and each
    drop's size is the loss lost between the plateau points around it.

    Args:
        trajectory: a `Trajectory` with recorded ``loss`` (*batch, time) and at least three
            records at t > 0.
        valley: in (0, 1); how far the rate must fall between two drops, relative to the lower
            one.
        min_rate: in [0, 1); peaks below this fraction of the run's largest rate are ignored
            (roundoff wiggles).

    Returns:
        A `LossStaircase`, drops in time order, padded to the largest count over runs.

    Raises:
        ValueError: no recorded ``loss``, too few positive times, or bad ``valley``/``min_rate``.
    """
    loss = _field(trajectory, "loss")
    valley = _validation.probability("valley", valley)
    if not 0 < valley < 1:
        raise ValueError(f"valley must lie strictly between 0 and 1; got {valley}.")
    min_rate = _validation.probability("min_rate", min_rate)
    if min_rate >= 1:
        raise ValueError(f"min_rate must be below 1 (a fraction of the largest rate); got "
                         f"{min_rate}.")
    t = np.asarray(trajectory.t, dtype=np.float64)
    positive = t > 0
    if positive.sum() < 3:
        raise ValueError("trajectory needs at least three records at t > 0 to find loss drops.")
    log_t, loss_positive = np.log(t[positive]), loss[..., positive]
    rate = -np.diff(loss_positive, axis=-1) / np.diff(log_t)
    rate_times = np.exp(0.5 * (log_t[1:] + log_t[:-1]))
    batch_shape = loss.shape[:-1]
    flat_rate = rate.reshape(-1, rate.shape[-1])
    flat_loss = loss_positive.reshape(-1, loss_positive.shape[-1])
    found = [_staircase_of_run(r, l, valley, min_rate) for r, l in zip(flat_rate, flat_loss)]
    k = max([len(peaks) for peaks, _ in found] + [0])
    times, rates, drops = (np.full((len(found), k), np.nan) for _ in range(3))
    plateau_times, plateau_losses = np.full((len(found), k + 1), np.nan), np.full(
        (len(found), k + 1), np.nan)
    positive_times = t[positive]
    for run, (peaks, bases) in enumerate(found):
        n = len(peaks)
        times[run, :n] = rate_times[peaks]
        rates[run, :n] = flat_rate[run, peaks]
        plateau_times[run, :n + 1] = positive_times[bases]
        plateau_losses[run, :n + 1] = flat_loss[run, bases]
        drops[run, :n] = -np.diff(flat_loss[run, bases])
    counts = np.array([len(peaks) for peaks, _ in found], dtype=int)

    def shaped(array):
        return array.reshape((*batch_shape, *array.shape[1:]))

    return LossStaircase(n_drops=counts.reshape(batch_shape), times=shaped(times),
                         rates=shaped(rates), drops=shaped(drops),
                         plateau_times=shaped(plateau_times),
                         plateau_losses=shaped(plateau_losses), rate_times=rate_times, rate=rate)


def _staircase_of_run(rate: np.ndarray, loss: np.ndarray, valley: float, min_rate: float):
    """Drop peaks (indices into ``rate``) and plateau points (indices into ``loss``) of one run.

    Candidates are local maxima (a flat top counts once, at its left end) above the noise
    floor; `_separated` keeps those with a plateau on both sides. Vectorised over time and
    over blocks of candidates (a (candidates × time) comparison of at most ~4M entries).
    """
    empty = np.array([], dtype=int), np.array([0, len(loss) - 1])
    top = rate.max(initial=0.0)
    if not np.all(np.isfinite(rate)) or top <= 0:
        return empty
    padded = np.concatenate([[-np.inf], rate, [-np.inf]])
    index = np.arange(len(rate))
    maximum = (rate > padded[:-2]) & (rate >= padded[2:])
    candidates = index[maximum & (rate >= min_rate * top)]
    if candidates.size == 0:
        return empty
    block = max(1, 2 ** 22 // len(rate))
    keep = np.concatenate([_separated(rate, index, candidates[first:first + block], valley)
                           for first in range(0, len(candidates), block)])
    peaks = candidates[keep]
    # plateau points: slowest record between consecutive drops (rate index k spans records
    # k and k + 1; the slowest stretch's right record is taken), plus the ends
    inner = [int(a + 1 + np.argmin(rate[a + 1:b])) + 1 for a, b in itertools.pairwise(peaks)]
    bases = np.array([0, *inner, len(loss) - 1], dtype=int)
    return peaks, bases


def _separated(rate, index, candidates, valley: float) -> np.ndarray:
    """Whether each candidate peak (height h) has a plateau on both sides: the last earlier
    point with r ≤ valley·h exists and comes after the last earlier point with r > h, and
    likewise for the first later points."""
    heights = rate[candidates][:, None]
    higher = rate[None, :] > heights
    low = rate[None, :] <= valley * heights
    before = index[None, :] < candidates[:, None]
    after = index[None, :] > candidates[:, None]
    last_higher = np.where(higher & before, index, -1).max(axis=1)
    last_low = np.where(low & before, index, -1).max(axis=1)
    first_higher = np.where(higher & after, index, len(rate)).min(axis=1)
    first_low = np.where(low & after, index, len(rate)).min(axis=1)
    return ((last_low >= 0) & (last_low > last_higher)
            & (first_low < len(rate)) & (first_low < first_higher))


# ---------------------------------------------------------- progressive differentiation (§5.1)


def hierarchy_levels_of_modes(task, branching: int, depth: int) -> np.ndarray:
    """Assign each mode of a tree-structured task to the tree level it resolves
    (docs/theory.md §4.5).

    The object analyzers of a regular B-ary tree of depth D (branching diffusion, docs/theory.md
    §4.5) are the uniform vector and the Haar wavelets of its splits; level ℓ's wavelets span a
    subspace H_ℓ of item space (`semjax.theory.hierarchy_modes`). Sampled data rotate and
    slightly mix each level's degenerate modes, so mode α is assigned to the level whose
    projector captures most of its item profile p_α = Xᵀ v_α / ‖Xᵀ v_α‖ (p_α = v_α for one-hot
    items):

        level(α) = argmax_ℓ ‖P_ℓ p_α‖²,    P_ℓ = H_ℓ H_ℓᵀ.

    Labels follow `semjax.theory.hierarchy_spectrum`: −1 for the root (uniform) mode, then the
    split levels 0 … D − 1 (0 = the coarsest split).

    Args:
        task: a `Task` whose P = B^D items are the tree's leaves, in the order of
            `semjax.datasets` (leaf i is the base-B expansion of i).
        branching: B >= 2.
        depth: D >= 1.

    Returns:
        int array (r,) of level labels, one per task mode (in the order of ``task.modes``).

    Raises:
        TypeError: ``task`` is not a Task.
        ValueError: the task does not have B^D items, or bad ``branching``/``depth``.
    """
    task = require_task(task)
    basis = hierarchy_modes(branching, depth)
    spectrum = hierarchy_spectrum(branching, depth, 0.0)
    labels = np.repeat(spectrum.levels, spectrum.multiplicities)
    inputs = task.checked.inputs
    if inputs.shape[1] != basis.shape[0]:
        raise ValueError(f"task has {inputs.shape[1]} items but a tree with branching="
                         f"{branching}, depth={depth} has {basis.shape[0]} leaves.")
    profiles = inputs.T @ task.modes.V
    profiles = profiles / np.maximum(np.linalg.norm(profiles, axis=0), 1e-300)
    levels = np.unique(labels)
    overlap = np.stack([np.sum((basis[:, labels == level].T @ profiles) ** 2, axis=0)
                        for level in levels], axis=-1)  # (r, n_levels)
    return levels[np.argmax(overlap, axis=-1)].astype(int)


class LevelOrder(NamedTuple):
    """Half-times by hierarchy level (docs/theory.md §5.1).

    Attributes:
        levels: the distinct level labels, ascending (coarse → fine), (n_levels,).
        half_times: median t½ over each level's modes, (*batch, n_levels); NaN when the
            median is a mode that never reaches s/2 within the record.
        mode_half_times: t½ of every mode, (*batch, r) (NaN: not reached).
        coarse_to_fine: whether every level's half-time exceeds the previous (coarser) one by
            more than ``rtol`` relative, (*batch,) bool.
    """

    levels: np.ndarray
    half_times: np.ndarray
    mode_half_times: np.ndarray
    coarse_to_fine: np.ndarray


def level_learning_order(trajectory, task, levels, *, rtol: float = 0.01) -> LevelOrder:
    """Progressive differentiation: are coarse hierarchy levels learned before fine ones?

    docs/theory.md §5.1: mode α becomes active at t½(s_α) = (τ/2s_α) ln(s_α/a0 − 1); on hierarchical
    data s decreases with the level of the split, so a deep network learns levels in order
    ℓ = root, 0, 1, … (strictly increasing half-times), while a shallow network learns every
    mode with the same time constant (equal half-times (τ/d) ln 2 from a small start, §2.3;
    d = 1 for white inputs, 1/P for one-hot items under the "mean" convention).

    Each level's half-time is the median over its modes of t½ (`crossing_times` at s/2, modes
    never learned counting as later than any record).

    Args:
        trajectory: a `Trajectory` with recorded ``modes``.
        task: the trajectory's `Task` (its singular values are the final strengths).
        levels: per-mode level labels (r,) (smaller = coarser), e.g. from
            `hierarchy_levels_of_modes`.
        rtol: relative margin for "later": level k + 1 must satisfy
            t½_{k+1} > (1 + rtol) t½_k.

    Returns:
        A `LevelOrder`.

    Raises:
        ValueError: no recorded ``modes``, ``levels`` of the wrong shape, or negative ``rtol``.
    """
    task = require_task(task)
    s = task.modes.s
    modes = _field(trajectory, "modes")
    if modes.shape[-1] != len(s):
        raise ValueError(f"trajectory has {modes.shape[-1]} modes but task has {len(s)}; pass "
                         "the trajectory's own task.")
    labels = np.asarray(levels)
    if labels.shape != (len(s),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"levels must be integer labels, one per mode, shape ({len(s)},); got "
                         f"{np.asarray(levels)!r}. Use hierarchy_levels_of_modes(task, B, D).")
    rtol = _validation.positive_float("rtol", rtol, allow_zero=True)
    learnable = s > 0  # a mode with s = 0 has nothing to learn: no half-time
    half = np.where(learnable, crossing_times(trajectory, np.where(learnable, s, 1.0), 0.5),
                    np.nan)
    unique = np.unique(labels)
    late = np.where(np.isnan(half), np.inf, half)
    per_level = np.stack([np.median(late[..., labels == level], axis=-1) for level in unique],
                         axis=-1)
    per_level = np.where(np.isinf(per_level), np.nan, per_level)
    later = per_level[..., 1:] > (1 + rtol) * per_level[..., :-1]
    ordered = np.all(later, axis=-1) & np.all(np.isfinite(per_level), axis=-1)
    return LevelOrder(levels=unique, half_times=per_level, mode_half_times=half,
                      coarse_to_fine=ordered)


# ----------------------------------------------------------- representational similarity (§5.8)


def representational_similarity(trajectory, normalise: str | None = None) -> np.ndarray:
    """Hidden representational similarity matrix of the items over time (docs/theory.md §5.8).

    RSM_ij(t) = h^iᵀ h^j with h^i = W1(t) x_i, read from the recorded ``hidden_gram``
    (W1 X)ᵀ(W1 X). For balanced decoupled dynamics with one-hot items it is

        RSM(t) = W1ᵀW1 = V A(t) Vᵀ = Σ_α a_α(t) v_α v_αᵀ    (white inputs; docs/theory.md §5.8),

    two layers (a_α → w_α = a_α/d_α for shared-basis non-white inputs, e.g. one-hot items
    under the "mean" convention; w_α^{2/L} for a balanced chain of L layers), independent of
    the hidden basis R, hence identical across networks from small balanced starts.
    Normalisations:

    * ``None``: the Gram matrix itself (S6's RSM = H Hᵀ);
    * ``"cosine"``: h^iᵀh^j / (‖h^i‖ ‖h^j‖);
    * ``"correlation"``: the cosine of item-centred representations h^i − h̄ (h̄ = mean over
      items), i.e. the double-centred Gram J G J (J = I − 11ᵀ/P) normalised to a unit diagonal.
      Unlike a per-unit Pearson correlation it does not depend on the hidden basis, so it keeps
      the theory's invariance.

    Entries whose normalisation divides by a zero norm are NaN.

    Args:
        trajectory: a `Trajectory` with recorded ``hidden_gram`` (*batch, time, P, P).
        normalise: ``None``, ``"cosine"`` or ``"correlation"``.

    Returns:
        Array (*batch, time, P, P).

    Raises:
        ValueError: no recorded ``hidden_gram``, or an unknown ``normalise``.
    """
    _validation.choice("normalise", normalise, _RSM_NORMALISATIONS)
    gram = _field(trajectory, "hidden_gram")
    if normalise is None:
        return gram
    if normalise == "correlation":
        gram = gram - gram.mean(axis=-1, keepdims=True)
        gram = gram - gram.mean(axis=-2, keepdims=True)
    norms = np.sqrt(np.clip(np.diagonal(gram, axis1=-2, axis2=-1), 0, None))
    scale = norms[..., :, None] * norms[..., None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, gram / np.where(scale > 0, scale, 1.0), np.nan)


def mds_embedding(rsm, n_components: int = 2) -> np.ndarray:
    """Classical (Torgerson) multidimensional scaling of items from a similarity (Gram) matrix.

    Squared distances from the Gram G: D²_ij = G_ii + G_jj − 2 G_ij (= ‖h^i − h^j‖², the
    semantic distance of docs/theory.md §5.10). Double centring, B = −½ J D² J = J G J with
    J = I − 11ᵀ/P, recovers the Gram of the centred points; with B = Q Λ Qᵀ (Λ descending) the
    coordinates are X = Q_k Λ_k^{1/2} (negative eigenvalues clipped to 0), which reproduces
    the points up to a rotation/reflection and a translation (docs/theory.md §5.1: MDS of h^i(t)
    shows progressive differentiation).

    Sign convention (deterministic): in every component the first coordinate whose magnitude
    is within 1e-6 (relative) of the component's largest is positive (as `semjax.task`'s
    convention for object analyzers). Components of equal eigenvalue are an arbitrary basis of
    their subspace.

    Args:
        rsm: array (..., P, P), symmetric (e.g. `representational_similarity` with
            ``normalise=None`` or ``"cosine"``), any leading axes.
        n_components: k, 1 <= k <= P.

    Returns:
        Coordinates (..., P, k), centred (each column sums to 0).

    Raises:
        ValueError: ``rsm`` not (..., P, P), not symmetric, or not finite; bad ``n_components``.
    """
    gram = np.asarray(rsm, dtype=np.float64)
    if gram.ndim < 2 or gram.shape[-1] != gram.shape[-2] or gram.shape[-1] == 0:
        raise ValueError(f"rsm must be a stack of square (P, P) matrices; got shape "
                         f"{gram.shape}.")
    if not np.all(np.isfinite(gram)):
        raise ValueError("rsm must be finite; a normalised RSM is NaN where an item's hidden "
                         "representation is zero (e.g. at t = 0 from a zero start).")
    scale = max(float(np.abs(gram).max(initial=0.0)), 1e-300)
    if np.abs(gram - np.swapaxes(gram, -1, -2)).max(initial=0.0) > 1e-8 * scale:
        raise ValueError("rsm must be symmetric (a Gram / similarity matrix h^iᵀh^j).")
    n_items = gram.shape[-1]
    k = _validation.positive_int("n_components", n_components)
    if k > n_items:
        raise ValueError(f"n_components must be <= P = {n_items}; got {k}.")
    centred = gram - gram.mean(axis=-1, keepdims=True)
    centred = centred - centred.mean(axis=-2, keepdims=True)
    centred = 0.5 * (centred + np.swapaxes(centred, -1, -2))
    eigenvalues, eigenvectors = np.linalg.eigh(centred)
    eigenvalues, eigenvectors = eigenvalues[..., ::-1][..., :k], eigenvectors[..., ::-1][..., :k]
    coordinates = eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))[..., None, :]
    magnitude = np.abs(coordinates)
    leading = np.argmax(magnitude >= magnitude.max(axis=-2, keepdims=True) * (1 - 1e-6), axis=-2)
    signs = np.sign(np.take_along_axis(coordinates, leading[..., None, :], axis=-2))
    return coordinates * np.where(signs == 0, 1.0, signs)


# --------------------------------------------------------------- illusory correlations (§5.3)


class Illusion(NamedTuple):
    """One transient (illusory) attribution of a property to an item."""

    item: str
    property: str
    size: float
    time: float
    sign: int


@dataclasses.dataclass(frozen=True, eq=False)
class Illusions:
    """Transient excursions of the network's predictions beyond their monotone path (§5.3).

    Arrays have shape (*batch, N3, P) (property × item), batch axes ``batch_axes``.

    Attributes:
        size: max_t of how far ŷ_mi(t) leaves [min(ŷ0, ŷ∞), max(ŷ0, ŷ∞)] (0: monotone-like).
        time: the time of that maximum (NaN where ``size`` is 0).
        sign: +1 if the excursion overshoots above the interval, −1 below, 0 none.
        peak: ŷ_mi at that time.
        initial: ŷ_mi(t0), the first record.
        final: ŷ∞ = T x_i, the converged prediction (N3, P).
        ranked: `Illusion` tuples (item, property, size, time, sign), largest first, of the
            pairs with size > ``min_size``; for a batched trajectory sizes and times are the
            medians over runs (`ranking` gives one run's).
        min_size: the roundoff floor used for the rankings.
        item_names, property_names, batch_axes: labels.
    """

    size: np.ndarray
    time: np.ndarray
    sign: np.ndarray
    peak: np.ndarray
    initial: np.ndarray
    final: np.ndarray
    ranked: tuple
    min_size: float
    item_names: tuple
    property_names: tuple
    batch_axes: tuple

    def ranking(self, index=()) -> tuple:
        """The ranked `Illusion` tuples of one run; ``index`` is an int or a tuple of ints
        into the batch axes (``()`` for an unbatched trajectory)."""
        index = index if isinstance(index, tuple) else (index,)
        if len(index) != len(self.batch_axes):
            raise ValueError(f"index must give one position per batch axis {self.batch_axes}; "
                             f"got {index!r}.")
        return _rank(self.size[index], self.time[index], self.sign[index], self.item_names,
                     self.property_names, self.min_size)


def _rank(size, time, sign, item_names, property_names, min_size) -> tuple:
    order = np.argsort(-size, axis=None, kind="stable")
    rows = []
    for flat in order:
        m, i = np.unravel_index(flat, size.shape)
        if not size[m, i] > min_size:
            break
        rows.append(Illusion(item=item_names[i], property=property_names[m],
                             size=float(size[m, i]), time=float(time[m, i]),
                             sign=int(sign[m, i])))
    return tuple(rows)


def illusory_correlations(trajectory, task, *, min_size: float | None = None) -> Illusions:
    """Semantic illusions: predictions that transiently leave their monotone path (§5.3).

    The network's prediction of property m for item i is ŷ_mi(t) = (W(t) X)_mi (from the
    recorded ``product`` and ``task.inputs``); it converges to ŷ∞ = T X with T = Σyx Σx⁺
    (``task.target_map``). A monotone path stays in the interval I_mi = [min(ŷ0, ŷ∞),
    max(ŷ0, ŷ∞)]; the illusion is how far the prediction leaves it,

        e_mi(t) = max(ŷ_mi(t) − max I_mi, min I_mi − ŷ_mi(t), 0),   size = max_t e_mi(t),

    with its time and sign (+1: overshoot above, −1: below). For balanced decoupled dynamics
    ŷ_mi(t) = Σ_α w_α(t) u^α_m v^α_i: coarse modes, learned first, carry a category's typical
    value, and the finer mode that corrects it for an exceptional item arrives later, so deep
    networks show illusions (e.g. on the four-item data "salmon can fly", "canary can swim",
    "oak has petals", "rose has leaves"); a shallow network from a small start moves every entry
    monotonically (docs/theory.md §2.3) and has none beyond roundoff. (With a hidden bottleneck the
    network never reaches T; the excursion is still measured against T X.)

    Args:
        trajectory: a `Trajectory` with recorded ``product`` (*batch, time, N3, N1).
        task: its `Task` (inputs X, target map T, names).
        min_size: pairs with size ≤ ``min_size`` are left out of ``ranked``; default
            1e-9 × max |ŷ∞| (roundoff).

    Returns:
        An `Illusions` result.

    Raises:
        TypeError: ``task`` is not a Task.
        ValueError: no recorded ``product``, or maps of a different shape than the task's.
    """
    task = require_task(task)
    product = _product_matches(_field(trajectory, "product"), task)
    checked = task.checked
    inputs = checked.inputs
    predictions = product @ inputs  # (*batch, time, N3, P)
    final = task.target_map @ inputs
    if min_size is None:
        min_size = 1e-9 * float(np.abs(final).max(initial=0.0))
    min_size = _validation.positive_float("min_size", min_size, allow_zero=True)
    initial = predictions[..., 0, :, :]
    upper = np.maximum(initial, final)[..., None, :, :]
    lower = np.minimum(initial, final)[..., None, :, :]
    above, below = predictions - upper, lower - predictions
    excursion = np.maximum(np.maximum(above, below), 0.0)
    when = np.argmax(excursion, axis=-3)
    size = np.take_along_axis(excursion, when[..., None, :, :], axis=-3)[..., 0, :, :]
    peak = np.take_along_axis(predictions, when[..., None, :, :], axis=-3)[..., 0, :, :]
    t = np.asarray(trajectory.t, dtype=np.float64)
    has = size > 0
    time = np.where(has, t[when], np.nan)
    overshoot = np.take_along_axis(above, when[..., None, :, :], axis=-3)[..., 0, :, :] > 0
    sign = np.where(has, np.where(overshoot, 1, -1), 0)
    axes = tuple(range(size.ndim - 2))  # batch axes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN times of pairs without one
        ranked = _rank(np.median(size, axis=axes), np.nanmedian(time, axis=axes),
                       np.sign(np.sum(sign, axis=axes)).astype(int), checked.item_names,
                       checked.property_names, min_size)
    return Illusions(size=size, time=time, sign=sign, peak=peak, initial=initial, final=final,
                     ranked=ranked, min_size=min_size, item_names=checked.item_names,
                     property_names=checked.property_names,
                     batch_axes=tuple(trajectory.batch_axes))


# ------------------------------------------------------------------------ typicality (§5.4)


class Typicality(NamedTuple):
    """Item typicality for one category mode (docs/theory.md §5.4).

    Attributes:
        mode: the mode index α.
        items: the item names.
        values: object-analyzer entries v^α_i = v_αᵀ x_i (v^α_i for one-hot items), (n_items,).
        prototype: the feature synthesizer u_α (the category prototype), (N3,).
        order: the item names by decreasing |v^α_i| (most typical first).
    """

    mode: int
    items: tuple
    values: np.ndarray
    prototype: np.ndarray
    order: tuple


def typicality(task, category_mode: int, items=None) -> Typicality:
    """Typicality of items for a category mode: their object-analyzer entries (docs/theory.md §5.4).

    An item's typicality for the category of mode α is its entry v^α_i of the object analyzer
    (for inputs x_i: v_αᵀ x_i); the feature synthesizer u_α acts as the category's prototype.
    For one-hot items under the "mean" convention (Σyx = Y/P) the SVD gives [derived]

        v^α_i = u_αᵀ y^i / (P s_α)        (u_αᵀ y^i / s_α under the "sum" convention),

    typicality = projection of the item's properties onto the prototype direction. Signs of
    v_α are a convention (`semjax.task`), so typicality is read from |v^α_i| within a category
    (items of the same sign).

    Args:
        task: the `Task`.
        category_mode: α, index into ``task.modes`` (0 = strongest).
        items: item names or indices (default all items), e.g. the members of the category.

    Returns:
        A `Typicality`.

    Raises:
        TypeError: ``task`` not a Task, or bad ``items``.
        ValueError: ``category_mode`` out of range, or unknown items.
    """
    task = require_task(task)
    mode = _mode_index("category_mode", category_mode, task.n_modes)
    indices = _item_indices(task, items)
    U, _, V = task.modes
    values = (V[:, mode] @ task.checked.inputs)[indices]
    names = tuple(task.checked.item_names[i] for i in indices)
    order = tuple(names[i] for i in np.argsort(-np.abs(values), kind="stable"))
    return Typicality(mode=mode, items=names, values=values, prototype=U[:, mode], order=order)


class CategoryResponses(NamedTuple):
    """Category responses of items over time (docs/theory.md §5.4), see `category_responses`.

    Attributes:
        t: the trajectory's times (time,).
        items: the item names.
        values: the responses sign(r_i(∞)) r_i(t), (*batch, time, n_items): positive once the
            item leans towards its final response.
        final: |r_i(∞)| = |u_αᵀ T x_i|, the size of each item's final response (n_items,).
    """

    t: np.ndarray
    items: tuple
    values: np.ndarray
    final: np.ndarray


def category_responses(trajectory, task, mode: int, items=None) -> CategoryResponses:
    """Each item's response along the category of mode α over time (docs/theory.md §5.4).

    The response of item i along the category of mode α is the projection of its prediction
    on the prototype, r_i(t) = u_αᵀ ŷ^i(t) = u_αᵀ W(t) x_i. For decoupled dynamics
    r_i(t) = w_α(t) v^α_i (w_α = a_α/d_α, so r_i = a_α v^α_i for white inputs): it grows
    with the mode, in proportion to the item's typicality v^α_i, towards
    r_i(∞) = u_αᵀ T x_i (T the target map). Returned along the sign of r_i(∞).

    Computed from ``product`` when recorded (exact for any network); otherwise from ``modes``
    through r_i = (a_α/d_α) v_αᵀ x_i, d_α = v_αᵀ Σx v_α (exact for decoupled dynamics, the
    aligned approximation for random starts).

    Args:
        trajectory: a `Trajectory` with recorded ``product`` or ``modes``.
        task: its `Task`.
        mode: α, index into ``task.modes``.
        items: item names or indices (default all items).

    Returns:
        A `CategoryResponses`; items with r_i(∞) = 0 have responses 0.

    Raises:
        TypeError: ``task`` not a Task.
        ValueError: neither ``product`` nor ``modes`` recorded, bad ``mode`` or ``items``.
    """
    task = require_task(task)
    mode = _mode_index("mode", mode, task.n_modes)
    indices = _item_indices(task, items)
    checked = task.checked
    U, _, V = task.modes
    inputs = checked.inputs[:, indices]
    u, v = U[:, mode], V[:, mode]
    if trajectory.product is not None:
        product = _product_matches(np.asarray(trajectory.product, dtype=np.float64), task)
        response = np.einsum("m,...mj,jp->...p", u, product, inputs)
    elif trajectory.modes is not None:
        modes = np.asarray(trajectory.modes, dtype=np.float64)
        if modes.shape[-1] != task.n_modes:
            raise ValueError(f"trajectory has {modes.shape[-1]} modes but task has "
                             f"{task.n_modes}; pass the trajectory's own task.")
        d = v @ checked.sigma_x @ v
        response = (modes[..., mode] / d)[..., None] * (v @ inputs)
    else:
        raise ValueError("trajectory has neither 'product' nor 'modes'; make it with "
                         "record=(..., 'product') (or 'modes').")
    final = u @ task.target_map @ inputs
    return CategoryResponses(t=np.asarray(trajectory.t, dtype=float),
                             items=tuple(checked.item_names[i] for i in indices),
                             values=response * np.sign(final), final=np.abs(final))


def category_response_times(trajectory, task, mode: int, threshold: float,
                            items=None) -> np.ndarray:
    """Time at which each item's category response reaches a threshold (docs/theory.md §5.4).

    The response r_i(t) = u_αᵀ ŷ^i(t) of `category_responses` reaches θ when
    w_α(t) = θ/|v^α_i| (decoupled dynamics): **more typical items (larger |v^α_i|) cross
    earlier** and have larger final responses. The crossing is measured along the sign of the
    final response r_i(∞) = u_αᵀ T x_i: the first t with sign(r_i(∞)) r_i(t) ≥ θ (linear
    interpolation); NaN for items whose response never gets there (e.g. |r_i(∞)| < θ).

    Args:
        trajectory: a `Trajectory` with recorded ``product`` or ``modes``.
        task: its `Task`.
        mode: α, index into ``task.modes``.
        threshold: θ > 0, in the units of the outputs (u_αᵀ ŷ).
        items: item names or indices (default all items).

    Returns:
        Array (*batch, n_items) of times in units of τ.

    Raises:
        TypeError: ``task`` not a Task.
        ValueError: neither ``product`` nor ``modes`` recorded, bad ``mode``, ``threshold`` or
            ``items``.
    """
    task = require_task(task)
    threshold = _validation.positive_float("threshold", threshold)
    responses = category_responses(trajectory, task, mode, items)
    view = trajectory.replace(modes=responses.values)
    times = crossing_times(view, np.full(len(responses.items), threshold), 1.0)
    return np.where(responses.final == 0, np.nan, times)
