"""`trajectory`: closed-form dynamics as a `semjax.Trajectory`, on the axes `simulate` uses."""

from __future__ import annotations

import numpy as np

from semjax import _validation
from semjax.task import Task, require_task
from semjax.theory._finite_step import _check_common, _gd_history
from semjax.theory._modes import mode_strength
from semjax.theory._riccati import exact_solution
from semjax.trajectory import Trajectory

THEORY_RECORDABLE = ("modes", "loss", "product", "hidden_gram", "singular_values")


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
    """Effective initial strength of each mode from small random two-layer weights.

    Early on, gradient flow is linear: with h = W1 v_α and g = W2ᵀ u_α, dh/dt = s g and
    dg/dt = s h (cross-mode and cubic terms are O(weights³)), so h + g grows as e^{st} and
    h − g decays; the product strength then grows as ‖h0 + g0‖²/4 · e^{2st}, which an aligned
    balanced start with a0 = ‖h0 + g0‖²/4 matches. This is the "aligned approximation" of small
    random starts; the remaining mismatch (mode competition, degenerate modes) is the known
    delay of random starts against the closed form (Saxe et al. 2014, Fig. 3 right).

    Args:
        task: the task.
        weights: (W1, W2), each with any leading batch axes (*batch, n_out, n_in).

    Returns:
        ũ(0)_eff of shape (*batch, r), in the units of `mode_strength`'s ``a0``.
    """
    if len(weights) != 2:
        raise ValueError(f"effective_a0 needs two-layer weights (W1, W2); got {len(weights)}.")
    W1, W2 = (np.asarray(w, dtype=float) for w in weights)
    U, _, V = task.modes
    hidden_in = np.einsum("...hi,ia->...ah", W1, V)
    hidden_out = np.einsum("...oh,oa->...ah", W2, U)
    return np.sum((hidden_in + hidden_out) ** 2, axis=-1) / 4


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
        record: fields from ``"modes"``, ``"loss"``, ``"product"``, ``"hidden_gram"``,
            ``"singular_values"``.
        learning_rate: η of full-batch gradient descent (``a0`` route): the theory is the
            exact discrete map, and every t must be a whole number of steps, t = kη.

    Returns:
        A `Trajectory` with ``info["route"]`` "aligned", "gradient_descent" or "riccati".

    Raises:
        ValueError: both or neither of ``a0`` and ``init``; Σx outside the theory; bad shapes;
            unknown fields; for ``init``, the conditions of `exact_solution`; with
            ``learning_rate``: η ≤ 0, ``init`` given, or a t that is not a multiple of η.
    """
    require_task(task)
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t must be a 1-D array of finite times ≥ 0 (in units of τ).")
    for name in record:
        _validation.choice("record", name, THEORY_RECORDABLE)
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
    info |= {"source": "semjax.theory.trajectory", "task_s": task.modes.s.tolist()}
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
    U, s, V = task.modes
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
    product_strength = recorded / d
    fields = {}
    if "modes" in record:
        fields["modes"] = recorded
    if "loss" in record:
        fields["loss"] = 0.5 * np.sum((recorded - s) ** 2 / d, axis=-1)
    if "product" in record:
        fields["product"] = np.einsum("ia,...a,ja->...ij", U, product_strength, V)
    if "hidden_gram" in record:
        if first_layer is None:
            first_layer = _first_layer_gram(product_strength, depth, lam)
        first_layer = np.where(seeded, first_layer, 0.0)
        right = V.T @ task.checked.inputs
        fields["hidden_gram"] = np.einsum("ap,...a,aq->...pq", right, first_layer, right)
    if "singular_values" in record:
        fields["singular_values"] = -np.sort(-np.abs(recorded), axis=-1)
    return batch_axes, fields, a0


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
    inputs = task.checked.inputs
    fields = {}
    if "modes" in record:
        fields["modes"] = task.mode_strengths(product)
    if "loss" in record:
        fields["loss"] = task.excess_loss(product)
    if "product" in record:
        fields["product"] = product
    if "hidden_gram" in record:
        fields["hidden_gram"] = np.einsum("ip,...ij,jq->...pq", inputs, gram, inputs)
    if "singular_values" in record:
        fields["singular_values"] = np.linalg.svd(product @ task.checked.sigma_x,
                                                  compute_uv=False)
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

