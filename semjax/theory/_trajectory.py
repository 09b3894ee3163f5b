"""`trajectory`: closed-form dynamics as a `semjax.Trajectory`, on the axes `simulate` uses."""

from __future__ import annotations

import itertools

import numpy as np

from semjax import _validation, readouts
from semjax.task import Task, require_task
from semjax.theory._finite_step import _check_common, _gd_history
from semjax.theory._modes import mode_strength
from semjax.theory._riccati import exact_solution
from semjax.trajectory import Trajectory

def shared_basis_eigenvalues(task: Task, tolerance: float = 1e-9) -> np.ndarray:
    """d_α with Σx v_α = d_α v_α, the condition of the decoupled closed forms (docs/theory.md §2.5).

    Raises:
        ValueError: Σx does not share the task's right singular vectors, or some d_α ≤ 0.
    """
    sigma_x = task.checked.sigma_x
    V = task.modes.V
    d = np.einsum("ia,ij,ja->a", V, sigma_x, V)
    residual = np.abs(sigma_x @ V - V * d).max()
    if residual > tolerance * max(1.0, np.abs(sigma_x).max()):
        raise ValueError(
            f"sigma_x does not share the task's right singular vectors (‖Σx V − V D‖ = "
            f"{residual:.2e}): modes are coupled and have no decoupled closed form (docs/theory.md "
            "§2.5). Whiten the inputs, or use semjax.simulate.")
    if np.any(d <= 0):
        raise ValueError("sigma_x is singular along a mode of the task (d_α = 0); the mode is "
                         "not learnable. Remove inputs that never vary.")
    return d


def effective_a0(task: Task, weights) -> np.ndarray:
    """Effective initial strength of each mode from small random weights, at any depth.

    It is the start ũ0 of the aligned closed form (`mode_strength`) whose early growth the
    random start's early growth approaches. Early on the flow's saturating term is of higher
    order in the weights (O(w^{2L−1}) against the drive's O(w^{L−1})), and, leaving out the
    other modes (mode competition), mode α's part of the flow is the gradient ascent of
    s u_αᵀ W_L⋯W_1 v_α: with the signal h = W_1 v_α, g = W_Lᵀ u_α and the middle layers
    W_2, …, W_{L−1},

        τ dh/dt = s W_{2:L−1}ᵀ g,   τ dg/dt = s W_{2:L−1} h,   τ dW_l/dt = s b_l f_lᵀ,

    f_l and b_l the forward signal of h and the backward signal of g at layer l.

    - Depth 1: the product strength u_αᵀ W(0) v_α itself, from which the shallow closed
      form is exact for any start (docs/theory.md §2.3).
    - Depth 2: the flow is linear, τ dh/dt = s g and τ dg/dt = s h, so h + g grows as
      e^{st} and h − g decays; the product strength then grows as ‖h0 + g0‖²/4 · e^{2st},
      which the aligned start with ũ0 = ‖h0 + g0‖²/4 matches (the "aligned approximation" of
      Saxe et al. 2014, Fig. 3 right, whose remaining delay is mode competition).
    - Depth L ≥ 3: the early flow blows up at a finite time T*, its growth becoming balanced
      and rank one, ũ ∝ (T* − t)^{−L/(L−2)}, as that of the aligned start with layer
      strength a, τ da/dt = s a^{L−1}, which blows up at T* = τ ũ0^{(2−L)/L} / ((L−2)s).
      Hence ũ0 = ((L−2) s T*/τ)^{−L/(L−2)}, where s T*/τ does not depend on s; it is found
      by integrating the early flow (RK4, each step changing the weights by 5 %) until every
      layer has grown 100-fold in norm (the growth then dominates), plus the aligned start's
      remaining time from there (docs/theory.md §2.4).

    Args:
        task: the task.
        weights: (W_1, ..., W_L), each with the same leading batch axes
            (*batch, n_l, n_{l−1}), e.g. `semjax.initial_weights`.

    Returns:
        ũ(0)_eff of shape (*batch, r), in the units of `mode_strength`'s ``a0`` (0 for a mode
        whose early flow never grows, e.g. with g = h = 0 at depth ≥ 3).

    Raises:
        ValueError: weights of shapes that do not fit the task or each other.
    """
    U, _, V = task.modes
    arrays = [np.asarray(w, dtype=float) for w in weights]
    n_out, n_in = task.n_out, task.n_in
    if not arrays or any(a.ndim < 2 for a in arrays) or arrays[0].shape[-1] != n_in or (
            arrays[-1].shape[-2] != n_out) or any(
            first.shape[-2] != second.shape[-1] for first, second in itertools.pairwise(arrays)):
        raise ValueError(f"weights of shapes {[a.shape for a in arrays]} do not fit this task "
                         f"({n_out} outputs, {n_in} inputs): give (W_1, ..., W_L), W_l of shape "
                         "(*batch, n_l, n_{l−1}), W_1 taking the inputs and W_L giving the "
                         "outputs.")
    try:
        batch = np.broadcast_shapes(*(a.shape[:-2] for a in arrays))
    except ValueError:
        raise ValueError(f"the weights' batch axes differ: shapes {[a.shape for a in arrays]} "
                         "(every layer needs the same leading batch axes, e.g. (seed, n_l, "
                         "n_l−1) from semjax.initial_weights).") from None
    if len(arrays) == 1:
        return np.einsum("oa,...oi,ia->...a", U, arrays[0], V)
    hidden_in = np.einsum("...hi,ia->...ah", arrays[0], V)
    hidden_out = np.einsum("...oh,oa->...ah", arrays[-1], U)
    if len(arrays) == 2:
        return np.sum((hidden_in + hidden_out) ** 2, axis=-1) / 4
    modes = (*batch, U.shape[1])
    signals = [np.broadcast_to(hidden_in, (*modes, hidden_in.shape[-1])),
               *(np.broadcast_to(a[..., None, :, :], (*modes, *a.shape[-2:]))
                 for a in arrays[1:-1]),
               np.broadcast_to(hidden_out, (*modes, hidden_out.shape[-1]))]
    flat = [np.reshape(x, (-1, *x.shape[len(modes):])) for x in signals]
    per_mode = sum(x[0].size for x in flat)
    chunk = max(1, 2 ** 20 // per_mode)  # bound the memory of one RK4 step
    times = np.concatenate([_blow_up_time([x[i:i + chunk] for x in flat])
                            for i in range(0, flat[0].shape[0], chunk)])
    depth = len(arrays)
    with np.errstate(divide="ignore"):
        a0 = ((depth - 2) * times) ** (-depth / (depth - 2))
    return a0.reshape(modes)


_STEP = 0.05  # each RK4 step of `_blow_up_time` changes the weights by 5 % of their norm
_GROWTH = 100.0  # ... until every layer's norm has grown this much: the growth dominates


def _blow_up_time(layers) -> np.ndarray:
    """s T* of the early flow of `effective_a0` at depth L ≥ 3, for a batch of starts.

    Args:
        layers: [h (n, n_1), W_2 (n, n_2, n_1), ..., W_{L−1}, g (n, n_{L−1})], n starts.

    Returns:
        s T*/τ of each start, shape (n,) (inf for a start whose flow never grows).
    """
    depth = len(layers)

    def velocity(state):  # the flow in the time s t/τ: forward and backward signals
        forward, backward = [state[0]], [state[-1]]
        for middle in state[1:-1]:
            forward.append(np.einsum("nij,nj->ni", middle, forward[-1]))
        for middle in state[-2:0:-1]:
            backward.append(np.einsum("nij,ni->nj", middle, backward[-1]))
        backward = backward[::-1]  # backward[l]: the backward signal into hidden layer l + 1
        return [backward[0],
                *(np.einsum("ni,nj->nij", backward[l], forward[l - 1])
                    for l in range(1, depth - 1)),
                forward[-1]]

    def norms(state):
        return np.sqrt(np.stack([np.sum(x.reshape(len(x), -1) ** 2, axis=1) for x in state]))

    def moved(base, slopes, step):  # base + step · slopes, per start
        return [x + _expand(step, x) * v for x, v in zip(base, slopes)]

    state = [np.array(x, dtype=float) for x in layers]
    start = norms(state).max(axis=0)
    elapsed = np.zeros(len(state[0]))
    running = start > 0
    for _ in range(100_000):
        if not running.any():
            break
        k1 = velocity(state)
        rates = norms(k1).max(axis=0)
        running &= rates > 0
        step = np.where(running, _STEP * norms(state).max(axis=0)
                        / np.where(running, rates, 1.0), 0.0)
        k2 = velocity(moved(state, k1, step / 2))
        k3 = velocity(moved(state, k2, step / 2))
        k4 = velocity(moved(state, k3, step))
        state = moved(state, [(a + 2 * b + 2 * c + d) / 6 for a, b, c, d in zip(k1, k2, k3, k4)],
                      step)
        elapsed += step
        running &= norms(state).min(axis=0) < _GROWTH * start
    else:
        raise RuntimeError("effective_a0: the early flow did not grow within 100000 steps.")
    forward = state[0]
    for middle in state[1:-1]:
        forward = np.einsum("nij,nj->ni", middle, forward)
    product = np.einsum("ni,ni->n", state[-1], forward)
    with np.errstate(divide="ignore", invalid="ignore"):
        remaining = np.where(product > 0, product, np.nan) ** ((2 - depth) / depth) / (depth - 2)
    return np.where((start > 0) & np.isfinite(remaining), elapsed + remaining, np.inf)


def _expand(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Per-start ``values`` (n,) broadcast against ``like`` (n, ...)."""
    return values.reshape((-1,) + (1,) * (like.ndim - 1))


def random_start_a0(task: Task, weights, *, finite=None, seed_axis: int = 0,
                    small: float = 0.1) -> np.ndarray:
    """The a0 of the closed form for a batch of small random starts: the median over seeds of
    each mode's `effective_a0` (exact at depth 1, the aligned approximation deeper).

    Args:
        task: the task.
        weights: the starts (W_1, ...) with leading batch axes, one of them the seeds.
        finite: per-run flags (the batch axes); runs that are not finite are left out.
        seed_axis: the position of the seed axis among the batch axes.
        small: at depth ≥ 2, warn (naming them) about modes whose median effective a0
            reaches ``small``·s, where the aligned approximation does not hold: typically
            weak modes, with s near the scale of the start.

    Returns:
        a0 of shape (*the other batch axes, r).

    Raises:
        ValueError: no finite run for some configuration, or weights `effective_a0`
            refuses.
    """
    a0 = effective_a0(task, weights)
    if finite is not None:
        a0 = np.where(np.asarray(finite)[..., None], a0, np.nan)
    if np.all(np.isnan(a0), axis=seed_axis).any():
        raise ValueError("no finite run to estimate the effective a0 from.")
    median = np.nanmedian(a0, axis=seed_axis)
    beyond = np.flatnonzero(np.any((median >= small * task.modes.s).reshape(-1, median.shape[-1]),
                                   axis=0)) if len(weights) >= 2 else []
    if len(beyond):
        _validation.warn(
            f"the aligned approximation does not hold for mode(s) "
            f"{', '.join(str(mode + 1) for mode in beyond)}: their median effective a0 reaches "
            f"{small:g}·s, so random starts need not follow the closed form there (start "
            "smaller, or compare those modes from aligned starts).")
    return median


def closed_form_for(run: Trajectory, task: Task, t=None, *, record=("modes",),
                    start=None) -> Trajectory:
    """The closed form that describes a simulation of ``task``, on its batch axes.

    From an aligned start (``init="aligned"``) it is exact: every mode starts at the run's
    ``init_scale``. From small random starts (``"gaussian"``, ``"uniform"``,
    ``"orthogonal"``) it starts from `random_start_a0` of the runs' own starts: exact at
    depth 1, the aligned approximation deeper (random starts then learn slightly later than
    it predicts, mode competition: docs/howto/theory-vs-random-starts.md). For a nonlinear
    network it is the closed form of the linear network of the same widths.

    Args:
        run: a `Trajectory` of `semjax.simulate` or `semjax.train` (its ``info`` says how it was
            made); random starts need its weights at t = 0: record ``"weights"``, or give
        start: the runs' starting weights, (W_1, ...) with the run's batch axes
            (`semjax.initial_weights` with the same arguments).
        t: times (default: the run's).
        record: read-outs with a closed form.

    Returns:
        The closed form as a `Trajectory` with the run's "scale" axis (if any);
        ``info["closed_form"]`` says which closed form it is.

    Raises:
        ValueError: no closed form applies (the message says why): biases, a "lam" axis or
            other batch axes besides scale and seed, an unknown or λ-balanced random start,
            a start that is not small, no recorded start.
    """
    info = run.info
    if "task_s" in info and not np.allclose(task.modes.s, info["task_s"], rtol=1e-6):
        raise ValueError("the task's singular values differ from the run's.")
    if info.get("bias"):
        raise ValueError("the closed forms are for networks without biases.")
    if "lam" in run.batch_axes:
        raise ValueError("a 'lam' axis (one closed form per λ) is not supported here.")
    others = [axis for axis in run.batch_axes if axis not in ("scale", "seed")]
    if others:
        raise ValueError(f"batch axes other than scale and seed ({others}).")
    depth, hidden = int(info.get("depth", 2)), info.get("hidden") or None
    init, lam = info.get("init"), float(info.get("lam", 0.0))
    scales = "scale" in run.batch_axes
    options = dict(depth=depth, hidden=hidden, record=record,
                   batch_axes=("scale",) if scales else None,
                   coords={"scale": np.asarray(run.coords["scale"])} if scales else None)
    kind = "" if info.get("activation", "linear") == "linear" else "linear-network "
    t = run.t if t is None else t
    if init == "aligned":
        a0 = np.asarray(info["init_scale"], dtype=float)
        closed = trajectory(task, t, a0[:, None] if scales else a0[0], lam=lam, **options)
        return closed.replace(info_items=_with_note(
            closed, f"{kind}closed form of the aligned start (exact for linear networks)"))
    if init not in ("gaussian", "uniform", "orthogonal") or lam != 0:
        raise ValueError(f"no closed form for init={init!r} with lam={lam:g} here.")
    if start is None:
        if run.weights is None:
            raise ValueError("record the weights (record=(..., 'weights')) or pass start= to "
                             "estimate the effective a0 of the random start.")
        start = tuple(np.asarray(w)[..., 0, :, :] for w in run.weights)
    seed_axis = run.batch_axes.index("seed") if "seed" in run.batch_axes else None
    if seed_axis is None:
        a0 = effective_a0(task, start)
    else:
        a0 = random_start_a0(task, start, finite=run.finite, seed_axis=seed_axis)
    closed = trajectory(task, t, a0, **options)
    note = ("exact shallow closed form from the runs' median initial strength" if depth == 1
            else "closed form from the median effective a0 of the random starts (the aligned "
                 "approximation)")
    return closed.replace(info_items=_with_note(closed, f"{kind}{note}"))


def _with_note(closed: Trajectory, note: str) -> tuple:
    from semjax.trajectory import _freeze
    return _freeze(closed.info | {"closed_form": note})


def trajectory(task: Task, t, a0=None, *, init=None, depth: int = 2, lam: float = 0.0,
               hidden=None, batch_axes=None, coords=None, record=("modes", "loss"),
               learning_rate=None) -> Trajectory:
    """Closed-form dynamics as a `semjax.Trajectory`, on the axes `simulate` uses.

    Three exact routes, and one approximation:

    - ``a0`` (aligned, decoupled starts): every mode follows `mode_strength` (depth L,
      shared-basis Σx, λ-balanced for depth 2), W(t) = Σ_α ũ_α(t) u_α v_αᵀ. Exact for
      `simulate(init="aligned", init_scale=a0, lam=lam)`; for small random starts it is the
      aligned approximation with ``a0 = effective_a0(task, weights)``.
    - ``a0`` with ``learning_rate=η``: every mode follows the exact gradient-descent map
      (`gd_mode_strength`) at step t/η, so
      ``semjax.compare(run, trajectory(task, run.t, a0, learning_rate=η))`` compares a run
      of `semjax.train` with ``optax.sgd(η)`` (aligned start) against the discrete theory,
      with no O(η) discretisation error.
    - ``init=(W1, W2)`` (any λ-balanced two-layer start, white inputs): the matrix Riccati
      solution `exact_solution` for each run (docs/theory.md §3).

    Args:
        task: the task. With ``a0``: Σx shares the right singular vectors of Σyx; with
            ``init``: Σx = c·I.
        t: times in units of τ (1-D), e.g. a simulation's ``run.t``.
        a0: initial product strength ũ(0) = u_αᵀ W(0) v_α (as `simulate`'s aligned
            ``init_scale``): a number, per-mode (r,), or batched (*batch, r) / (*batch, 1);
            > 0 for depth ≥ 2, of either sign for depth 1 (a shallow map relaxes exactly from
            any start, b(t) = s + (d·a0 − s) e^{−d t/τ}, docs/theory.md §2.3, §2.5).
        init: explicit λ-balanced weights (W1, W2), each (n_out, n_in) or (n_runs, n_out, n_in)
            (batch axis "seed", as in `simulate`); instead of ``a0``.
        depth: number of weight matrices L (``a0`` route).
        lam: λ of an aligned λ-balanced start (``a0`` route, depth 2); the ``init`` route reads
            λ from the weights.
        hidden: hidden width(s) (``a0`` route); modes beyond the narrowest layer stay at 0, as
            in an aligned start (Saxe et al. 2014 eq. 7: only the strongest modes are learned).
        batch_axes: names of the leading axes of ``a0`` when it has more than one axis.
        coords: values along the batch axes, e.g. ``{"scale": scales}`` to match a
            simulation's coordinates in `semjax.compare` (default: indices).
        record: read-outs with a closed form (`semjax.readouts.CLOSED_FORM`: ``"modes"``,
            ``"loss"``, ``"product"``, ``"outputs"``, ``"hidden_gram"``,
            ``"singular_values"``).
        learning_rate: η of full-batch gradient descent (``a0`` route): the theory is the
            exact discrete map, and every t must be a whole number of steps, t = kη.

    Returns:
        A `Trajectory` with ``info["route"]`` "aligned", "gradient_descent" or "riccati".

    Raises:
        ValueError: both or neither of ``a0`` and ``init``; Σx outside the theory; bad shapes;
            unknown fields; for ``init``, the conditions of `exact_solution`; with
            ``learning_rate``: η ≤ 0, ``init`` given, or a t that is not a multiple of η.

    Examples:
        The closed form of the seed's deep network from an aligned start a0 = 1e-3, as a
        `Trajectory` like a simulation's:

        >>> import numpy as np
        >>> import semjax
        >>> from semjax import datasets, theory
        >>> task = semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
        >>> closed = theory.trajectory(task, np.linspace(0, 8, 801), 1e-3)
        >>> closed.modes.shape, closed.info["route"]          # (time, mode)
        ((801, 4), 'aligned')
        >>> np.asarray(closed.modes[-1], float).round(3)      # every mode learned: a = s
        array([2.646, 1.732, 1.   , 1.   ])
    """
    require_task(task)
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t must be a 1-D array of finite times ≥ 0 (in units of τ).")
    record = readouts.resolve(record, closed_form=True)
    if (a0 is None) == (init is None):
        raise ValueError("give exactly one of a0 (aligned starts) or init=(W1, W2) (λ-balanced "
                         "starts).")
    if learning_rate is not None:
        if init is not None:
            raise ValueError("learning_rate applies to aligned starts (a0=...); the init= "
                             "route is the gradient-flow Riccati solution.")
        learning_rate = _validation.positive_float("learning_rate", learning_rate)
    if init is None:
        depth = _validation.positive_int("depth", depth)
        batch_axes, fields, a0 = _aligned(task, t, a0, depth, lam, hidden, batch_axes, record,
                                          learning_rate)
        info = {"route": "aligned" if learning_rate is None else "gradient_descent",
                "depth": depth, "lam": float(lam),
                "a0": a0.reshape(-1, a0.shape[-1])[0].tolist()}
        if learning_rate is not None:
            info["learning_rate"] = learning_rate
    else:
        batch_axes, fields, lams = _riccati(task, t, init, record)
        info = {"route": "riccati", "depth": 2, "lam": lams}
    info |= {"source": "semjax.theory.trajectory", "task_s": task.modes.s.tolist(),
             "task_fingerprint": task.fingerprint}
    if task.item_names is not None:  # labels of plots (semjax.plotting)
        info["item_names"] = list(task.item_names)
    batch_shape = np.shape(next(iter(fields.values())))[:len(batch_axes)] if fields else ()
    step = None if learning_rate is None else _steps(t, learning_rate)
    return Trajectory.create(t=t, step=step, finite=np.ones(batch_shape, bool), coords=coords,
                             batch_axes=batch_axes, info=info, **fields)


def _steps(t, learning_rate: float) -> np.ndarray:
    """The step counts k = t/η, or a ValueError if some t is not a whole number of steps."""
    exact = t / learning_rate
    steps = np.round(exact)
    off = np.abs(exact - steps) > 1e-9 * np.maximum(1.0, steps)
    if np.any(off):
        i = int(np.argmax(off))
        raise ValueError(f"t must be whole multiples of learning_rate (each step of gradient "
                         f"descent advances t by η); t[{i}]={float(t[i])!r} is "
                         f"{exact[i]:.12g} steps of learning_rate={learning_rate!r}. Pass "
                         f"t = η·k, e.g. the run's run.t.")
    return steps.astype(np.int64)


def _aligned(task, t, a0, depth, lam, hidden, batch_axes, record, learning_rate):
    """Fields of the decoupled closed form, or of the exact gradient-descent map with
    ``learning_rate`` (the ``a0`` route of `trajectory`)."""
    s = task.modes.s
    d = shared_basis_eigenvalues(task)
    a0 = np.asarray(a0, dtype=float)
    if a0.ndim >= 2 and batch_axes is None:
        raise ValueError(f"a0 has shape {a0.shape}: name its leading axes with batch_axes, "
                         "e.g. batch_axes=('scale',) for a0 of shape (n_scales, 1).")
    batch_axes = () if a0.ndim < 2 else tuple(batch_axes)
    if a0.ndim >= 2 and len(batch_axes) != a0.ndim - 1:
        raise ValueError(f"batch_axes={batch_axes} must name the {a0.ndim - 1} leading axes "
                         f"of a0 (shape {a0.shape}).")
    try:
        a0 = np.broadcast_to(a0, (*a0.shape[:-1], len(s)) if a0.ndim else (len(s),))
    except ValueError:
        raise ValueError(f"a0's last axis must have 1 or r={len(s)} entries; got shape "
                         f"{a0.shape}.") from None
    if not np.all(np.isfinite(a0)) or (depth >= 2 and np.any(a0 <= 0)):
        raise ValueError("a0 must be finite, and > 0 for depth ≥ 2 (a mode started at 0 stays "
                         "at the saddle).")
    # modes beyond the narrowest layer have no hidden direction: they start and stay at 0
    seeded = np.arange(len(s)) < (len(s) if hidden is None else min(np.atleast_1d(hidden)))
    a0 = np.where(seeded, a0, 0.0)

    if learning_rate is None:
        times = t.reshape((len(t),) + (1,) * (a0.ndim - 1) + (1,))
        recorded = np.asarray(mode_strength(times, s, a0, depth=depth, lam=lam, d=d))
        first_layer = None
    else:
        _check_common(s, a0, learning_rate, depth, lam, d)
        steps = _steps(t, learning_rate)
        recorded, first_layer = (np.asarray(x)[steps] for x in _gd_history(
            int(steps.max()), s, a0, learning_rate, depth, lam, d))
        first_layer = np.moveaxis(first_layer, 0, -2)
    recorded = np.where(seeded, np.moveaxis(recorded, 0, -2), 0.0)  # (*batch, time, r)
    source = _AlignedSource(task, d, depth, lam, seeded, first_layer)
    return batch_axes, _fields(record, source, recorded), a0


class _MapSource:
    """The read-outs of `semjax.readouts` for a closed form given as the network map W(t) and
    the first layer's Gram matrix W_1ᵀW_1(t) (broadcasting over leading axes)."""

    def __init__(self, task: Task, gram=None):
        self.task, self.gram = task, gram

    def network_map(self, product):
        return product

    def mode_strengths(self, product):
        return self.task.mode_strengths(self.network_map(product))

    def excess_loss(self, product):
        return self.task.excess_loss(self.network_map(product))

    def outputs(self, product):
        return self.network_map(product) @ self.task.inputs

    def io_correlation(self, product):
        return self.network_map(product) @ self.task.sigma_x

    def singular_values(self, product):
        return np.linalg.svd(self.io_correlation(product), compute_uv=False)

    def hidden_gram(self, product):
        inputs = self.task.inputs
        return np.einsum("ip,...ij,jq->...pq", inputs, self.gram, inputs)


class _AlignedSource(_MapSource):
    """The read-outs of a decoupled closed form, from the mode strengths ũ(t) (*batch, time,
    r) alone where they need nothing more (the map is built only when asked for)."""

    def __init__(self, task: Task, d, depth: int, lam: float, seeded, first_layer=None):
        super().__init__(task)
        self.d, self.depth, self.lam, self.seeded = d, depth, lam, seeded
        self.first_layer = first_layer

    def network_map(self, recorded):
        U, _, V = self.task.modes
        return np.einsum("ia,...a,ja->...ij", U, recorded / self.d, V)

    def mode_strengths(self, recorded):
        return recorded

    def excess_loss(self, recorded):
        return 0.5 * np.sum((recorded - self.task.modes.s) ** 2 / self.d, axis=-1)

    def singular_values(self, recorded):
        return -np.sort(-np.abs(recorded), axis=-1)

    def hidden_gram(self, recorded):
        first_layer = self.first_layer
        if first_layer is None:
            first_layer = _first_layer_gram(recorded / self.d, self.depth, self.lam)
        first_layer = np.where(self.seeded, first_layer, 0.0)
        right = self.task.modes.V.T @ self.task.inputs
        return np.einsum("ap,...a,aq->...pq", right, first_layer, right)


def _fields(record, source, state) -> dict:
    """The recorded read-outs of a closed form, through the registry's declarations."""
    return {readout.name: np.asarray(readout.compute(source, state)) for readout in record}


def _riccati(task, t, init, record):
    """Fields of the matrix Riccati solution (the ``init`` route of `trajectory`)."""
    if len(init) != 2:
        raise ValueError(f"init must be two-layer weights (W1, W2); got {len(init)} matrices.")
    W1, W2 = (np.asarray(w, dtype=float) for w in init)
    batched = W1.ndim == 3
    if W2.ndim != W1.ndim or (batched and W1.shape[0] != W2.shape[0]):
        raise ValueError("init: W1 and W2 must both be unbatched or share one leading batch "
                         f"axis; got shapes {W1.shape} and {W2.shape}.")
    runs = list(zip(W1, W2)) if batched else [(W1, W2)]
    solutions = [exact_solution(task, w1, w2, t) for w1, w2 in runs]
    product = np.stack([np.asarray(x.network_map) for x in solutions])
    gram = np.stack([np.asarray(x.w1tw1) for x in solutions])
    fields = _fields(record, _MapSource(task, gram), product)
    if not batched:
        fields = {name: value[0] for name, value in fields.items()}
    lams = [x.lam for x in solutions]
    return (("seed",) if batched else ()), fields, (lams if batched else lams[0])


def _first_layer_gram(product_strength, depth: int, lam: float):
    """Eigenvalues of W1ᵀW1 along v_α: ũ^{2/L} for a balanced chain; (√(λ² + 4ũ²) − λ)/2 for an
    aligned λ-balanced pair (docs/theory.md §3.1, λ = W2ᵀW2 − W1W1ᵀ)."""
    if lam != 0:
        return (np.sqrt(lam ** 2 + 4 * product_strength ** 2) - lam) / 2
    return np.abs(product_strength) ** (2 / depth)

