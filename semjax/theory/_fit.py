"""Fitting the closed form to any run (docs/theory-fitting.md): each mode's (s, a0), and τ
where asked, with standard errors, the residual, and R², how much of the run's learning the
theory of decoupled linear modes explains.

Model (Saxe et al. 2014 eqs. 12 and 15; docs/theory.md §2.2, §2.4). Every recorded
mode-strength curve m(t) is fitted by the balanced decoupled mode of ``depth`` L,

    τ da/dt = L a^{2−2/L} (s − a),   a(0) = a0;
    depth 2:  a(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/a0),

evaluated by `mode_strength` (overflow-free), by least squares over the recorded times. The
fit runs in the parameters φ = (ln s, ln(s/a0), ln τ), those held fixed (a given s; τ unless
``fit_tau``) masked out: positive s, a0 and τ without constraints, and a0 measured against
s, so that the half-time (depth 2: t½ = (τ/2s) ln(s/a0 − 1)) is nearly a function of one
coordinate. From a robust start (s the mean of the last 5 % of the curve; τ from its
10 %→90 % rise time, `rise_time`; a0 the start whose closed form crosses s/2 where the curve
does, `initial_strength_from_half_time`), an optax optimiser (default Adam) takes ``steps``
steps on the mean squared residual, then ``polish`` Levenberg–Marquardt steps (Gauss–Newton,
damped only while a step fails to lower the residual) converge it. Curves, seeds and any
leading axes are one `jax.vmap`, compiled once per shape (whichever parameters are held).

Identifiability. The mode equation is autonomous, so a delayed curve is the same curve from
another start: a(t − d; s, a0) = a(t; s, a(−d; s, a0)) exactly, at every depth. A start and
a delay cannot be told apart from the curve, and are never fitted together: `fit` estimates
a0, and where the run's actual start is known (``start``) reports the delay d by which the
run lags the closed form from that start, the time the closed form takes from the fitted a0
to ``start`` (depth 2: d = (τ/2s) ln[start (s − a0) / (a0 (s − start))]; negative when the
run is ahead), with its standard error.

Uncertainties. With residuals r (T recorded times, p free parameters) and the Jacobian
J = ∂r/∂φ at the optimum, the Gauss–Newton covariance is Σφ = σ² (JᵀJ)⁻¹,
σ² = Σ r² / (T − p) (the textbook least-squares approximation: independent errors of equal
variance, a model linear in φ near the optimum). Each reported quantity q(φ) (s, a0, τ,
delay) has the standard error √(∇q Σφ ∇qᵀ) (delta method). A direction the data do not
determine (e.g. s of a mode still on its plateau at the last record) has an eigenvalue of
JᵀJ below eps·max; it is floored there, so its standard error comes out huge rather than
infinite or NaN.

Goodness of fit. Per mode, R² = 1 − Σ_t (m − m̂)² / Σ_t (m − m̄)² (m̄ the curve's mean over
time), and the root-mean-square residual √(mean_t (m − m̂)²). ``linearity``, the one-number
summary of a run, is the fraction of the variance of all its mode-strength curves that the
fitted closed forms explain: 1 − Σ_{α,t} (m − m̂)² / Σ_{α,t} (m − m̄_α)², so strong modes (which
carry the loss) weigh most and a mode that never moves weighs nothing. It is 1 for a run that
follows the closed form exactly, and drops as the run's curves leave the sigmoid family
(e.g. nonlinear networks, large or unaligned starts).
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from semjax import _validation
from semjax.theory._modes import _check_broadcastable, _check_concrete, mode_strength
from semjax.theory._times import initial_strength_from_half_time, rise_time, transition_time
from semjax.trajectory import Trajectory

_mode_strength = jax.jit(mode_strength, static_argnames=("depth",))  # one compilation
_ADAM = optax.adam(0.05)  # one object: a fresh optax transformation would recompile the fit
_RATIO_BOUNDS = (-20.0, 0.9)  # ln(s/a0) from −20 (a0 = e^20 s) to 0.9·ln(1/tiny) (a0 normal)


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=("s", "a0", "tau", "delay", "s_se", "a0_se", "tau_se", "delay_se", "rms", "r2",
                 "linearity"),
    meta_fields=("depth",),
)
@dataclasses.dataclass(frozen=True)
class Fit:
    """Closed-form fits to mode-strength curves (`fit`), one per curve.

    Every per-mode attribute has the curves' shape (*batch, M); the ``_se`` attributes are
    standard errors (0 for a parameter held fixed).

    Attributes:
        s: fitted singular value (the strength the mode approaches).
        a0: fitted initial strength a(0) of the closed form.
        tau: time constant τ (fitted with ``fit_tau=True``, else the one given).
        delay: lag of the run behind the closed form from the given ``start`` (module
            docstring), or None when no start was given; NaN for a curve whose start and
            fitted a0 lie on opposite sides of s (the closed form from a0 never passes
            ``start``; `fit` warns, naming how many).
        s_se, a0_se, tau_se, delay_se: their standard errors (delay_se None with delay).
        rms: root-mean-square residual per curve, in the curves' units.
        r2: R² per curve, 1 − Σ_t (m − m̂)² / Σ_t (m − m̄)².
        linearity: per run (*batch,), the fraction of the variance of all its curves the
            fits explain (module docstring).
        depth: the depth L of the closed form fitted.
    """

    s: np.ndarray
    a0: np.ndarray
    tau: np.ndarray
    delay: np.ndarray | None
    s_se: np.ndarray
    a0_se: np.ndarray
    tau_se: np.ndarray
    delay_se: np.ndarray | None
    rms: np.ndarray
    r2: np.ndarray
    linearity: np.ndarray
    depth: int

    def curves(self, t) -> jax.Array:
        """The fitted closed forms at times ``t`` ≥ 0 (shape (T,)), of shape (*batch, T, M).

        Raises:
            ValueError: t not a 1-D array of finite times ≥ 0.
        """
        t = np.asarray(t)
        if t.ndim != 1 or not np.all(np.isfinite(t) & (t >= 0)):
            raise ValueError(f"t must be a 1-D array of finite times ≥ 0; got "
                             f"{_validation.describe(t)}.")
        return _mode_strength(t[:, None], self.s[..., None, :], self.a0[..., None, :],
                              tau=self.tau[..., None, :], depth=self.depth, d=1.0)


def _curves_of(data, modes, fit_tau: bool) -> tuple[np.ndarray, np.ndarray]:
    """(t, modes) from a Trajectory or from arrays, checked: t increasing and ≥ 0, modes
    (..., T, M) finite, and a trajectory's t in units of τ unless τ is fitted."""
    if isinstance(data, Trajectory):
        if data.info.get("time_unit") == "step" and not fit_tau:
            raise ValueError("the trajectory's t counts steps (runs of several step sizes, each "
                             "at its own time step · η): fit it on one time axis, "
                             "fit(run.on_times()), or one step size, fit(run.select(...)), or "
                             "fit τ in steps too, fit(run, fit_tau=True).")
        if modes is not None:
            raise TypeError("modes is taken from the trajectory; pass fit(run) or fit(t, modes).")
        if data.modes is None:
            raise ValueError(f"the trajectory did not record 'modes' (recorded: "
                             f"{sorted(data.fields)}); run it with record=('modes', ...).")
        if np.ndim(data.modes) != len(data.batch_axes) + 2:
            raise ValueError("the trajectory's modes have a task axis (a schedule run); fit one "
                             "task's read-outs, fit(run.on_task(k)).")
        if not np.all(data.finite):
            raise ValueError(f"runs {data.describe_runs(data.failed)} diverged; select the "
                             "finite runs (run.select(...)) before fitting.")
        t, modes = data.t, data.modes
    elif modes is None:
        raise TypeError(f"fit takes a semjax.Trajectory, or times t and the mode strengths: "
                        f"fit(t, modes); got {_validation.describe(data)} and no modes.")
    else:
        t = data
    t = np.asarray(t)
    modes = np.asarray(modes)
    if t.ndim != 1 or not np.issubdtype(t.dtype, np.number):
        raise ValueError(f"t must be a 1-D array of times; got {_validation.describe(t)}.")
    if not (np.issubdtype(modes.dtype, np.floating) or np.issubdtype(modes.dtype, np.integer)):
        raise TypeError(f"modes must be a real array; got {_validation.describe(modes)}.")
    if modes.ndim < 2 or modes.shape[-2] != t.shape[0]:
        raise ValueError(f"modes must have shape (..., T, M) with T = len(t) = {t.shape[0]}; "
                         f"got {modes.shape}.")
    if not (np.all(np.isfinite(t)) and np.all(t >= 0) and np.all(np.diff(t) > 0)):
        raise ValueError(f"t must be finite, ≥ 0 and strictly increasing (times since the "
                         f"start, in units of τ or of any clock with fit_tau=True); got "
                         f"{_validation.describe(t)}.")
    if not np.all(np.isfinite(modes)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(modes))[0])
        raise ValueError(f"modes must be finite; entry {bad} is {modes[bad]}.")
    return t, modes


def _optional_positive(name: str, value, shape, fix: str):
    """``value`` broadcast to ``shape`` after the host checks (finite, > 0), or None."""
    if value is None:
        return None
    _check_broadcastable(**{name: value, "curves (*batch, M)": np.empty(shape)})
    if np.broadcast_shapes(np.shape(value), shape) != shape:
        raise ValueError(f"{name} of shape {np.shape(value)} must broadcast to the curves' "
                         f"(*batch, M) = {shape}, not enlarge it.")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be real numbers; got "
                        f"{_validation.describe(value)}.") from None
    _check_concrete(name, array, allow_zero=False, fix=fix)
    return np.broadcast_to(array, shape)


def _crossing(t, y, level):
    """(the first time y reaches ``level``, by linear interpolation, or t[-1] if it never
    does; whether it does)."""
    above = y >= level
    k = jnp.maximum(jnp.argmax(above), 1)
    slope = (y[k] - y[k - 1]) / (t[k] - t[k - 1])
    time = t[k - 1] + (level - y[k - 1]) / jnp.where(slope > 0, slope, jnp.inf)
    return jnp.where(jnp.any(above), time, t[-1]), jnp.any(above)


def _initial_guess(t, y, s, tau, fit_tau, depth: int):
    """φ0 = (ln s, ln(s/a0), ln τ) from the curve: s from its end (unless given, i.e. not
    NaN); with ``fit_tau``, τ from its 10 %→90 % rise time (`rise_time`), if it has one; a0
    from where it crosses s/2 (`initial_strength_from_half_time`), or its first value if it
    starts above s/2."""
    tiny = jnp.finfo(y.dtype).tiny
    tail = max(1, t.shape[0] // 20)
    floor = jnp.maximum(1e-3 * jnp.max(jnp.abs(y)), tiny)
    s = jnp.where(jnp.isnan(s), jnp.maximum(jnp.mean(y[-tail:]), floor), s)
    (low, _), (high, risen) = _crossing(t, y, 0.1 * s), _crossing(t, y, 0.9 * s)
    rises = fit_tau & risen & (y[0] < 0.1 * s) & (high > low)
    tau = jnp.where(rises, (high - low) / rise_time(s, tau=jnp.ones_like(s), depth=depth), tau)
    half, _ = _crossing(t, y, s / 2)
    a0 = jnp.where(y[0] >= s / 2, y[0], initial_strength_from_half_time(
        s, jnp.maximum(half, tiny), tau=tau, depth=depth))
    return jnp.stack([jnp.log(s), jnp.log(s) - jnp.log(jnp.maximum(a0, tiny)), jnp.log(tau)])


def _fit_curve(t, y, s, tau, start, fit_tau, *, depth: int, optimizer, steps: int, polish: int):
    """Fit one curve y(t) in φ = (ln s, ln(s/a0), ln τ), s held where given (not NaN) and τ
    unless ``fit_tau``; returns (estimates, standard errors) of (s, a0, τ, delay) (the delay
    NaN for a NaN ``start``) and the residual sum of squares."""
    dtype = y.dtype
    ratio_high = _RATIO_BOUNDS[1] * -float(np.log(jnp.finfo(dtype).tiny))
    free = jnp.stack([jnp.isnan(s), True, fit_tau]).astype(dtype)  # 1 where fitted
    scale = jnp.maximum(jnp.max(jnp.abs(y)), jnp.finfo(dtype).tiny)

    def parameters(phi):
        log_s, ratio, log_tau = phi
        ratio = jnp.clip(ratio, _RATIO_BOUNDS[0], ratio_high)
        return jnp.exp(log_s), jnp.exp(log_s - ratio), jnp.exp(log_tau)

    def residual(phi):
        s, a0, tau = parameters(phi)
        # d traced, as every argument: the host checks skip it (x64 or not)
        return (mode_strength(t, s, a0, tau=tau, depth=depth, d=jnp.ones_like(s)) - y) / scale

    def linearised(phi):
        """(residuals, Jacobian ∂r/∂φ with zero columns for the held parameters), forward
        mode (three parameters)."""
        jacobian, r = jax.jacfwd(lambda phi: (residual(phi),) * 2, has_aux=True)(phi)
        return r, jacobian * free

    def curvature(jacobian):
        """Eigenvalues and eigenvectors of JᵀJ, each held parameter's axis given the
        eigenvalue tr JᵀJ (it decouples), the free ones floored at eps·max (module
        docstring)."""
        gram = jacobian.T @ jacobian
        values, vectors = jnp.linalg.eigh(gram + jnp.diag(1 - free) * jnp.trace(gram))
        return jnp.maximum(values, jnp.finfo(dtype).eps * jnp.max(values)), vectors

    def iterate(carry, k):
        """Step k: the optimiser's for k < steps, then Levenberg–Marquardt's (a trial that
        does not lower the residual is refused and the damping raised)."""
        phi, r, jacobian, state, damping = carry

        def optimiser_step():
            updates, new_state = optimizer.update(jacobian.T @ r / r.shape[0], state, phi)
            return optax.apply_updates(phi, updates * free), new_state

        def levenberg_marquardt_step():
            values, vectors = curvature(jacobian)
            step = vectors @ ((vectors.T @ (jacobian.T @ r)) / (values + damping * values[-1]))
            return phi - step * free, state

        descending = k < steps
        trial, state = jax.lax.cond(descending, optimiser_step, levenberg_marquardt_step)
        trial_r, trial_jacobian = linearised(trial)
        lower = jnp.sum(trial_r ** 2) < jnp.sum(r ** 2)
        accept = descending | lower
        damping = jnp.where(descending, damping, jnp.where(lower, damping / 3, damping * 4))
        kept = jax.tree.map(lambda new, old: jnp.where(accept, new, old),
                            (trial, trial_r, trial_jacobian), (phi, r, jacobian))
        return (*kept, state, damping), None

    phi = _initial_guess(t, y, s, tau, fit_tau, depth)
    start_state = (phi, *linearised(phi), optimizer.init(phi), jnp.asarray(1e-3, dtype))
    phi, r, jacobian, *_ = jax.lax.scan(iterate, start_state, jnp.arange(steps + polish))[0]

    def reported(phi):
        s, a0, tau = parameters(phi)
        quantities = jnp.stack([s, a0, tau, transition_time(s, a0, start, tau=tau, depth=depth)])
        return quantities, quantities

    gradients, estimates = jax.jacfwd(reported, has_aux=True)(phi)
    values, vectors = curvature(jacobian)
    noise = jnp.sum(r ** 2) / (r.shape[0] - jnp.sum(free))
    spread = (gradients * free) @ vectors
    errors = jnp.sqrt(noise * jnp.sum(spread ** 2 / values, axis=-1))
    return estimates, errors, jnp.sum(r ** 2) * scale ** 2


@functools.lru_cache(maxsize=32)
def _compiled(depth: int, optimizer, steps: int, polish: int):
    """The fit of N curves at once: one compilation per configuration and shape (whichever
    parameters are held, and with or without ``start``)."""
    one = functools.partial(_fit_curve, depth=depth, optimizer=optimizer, steps=steps,
                            polish=polish)
    return jax.jit(jax.vmap(one, in_axes=(None, 0, 0, 0, 0, None)))


def fit(data, modes=None, *, s=None, tau=1.0, fit_tau: bool = False, depth: int = 2,
        start=None, optimizer=None, steps: int = 200, polish: int = 30) -> Fit:
    """Fit the closed form of a balanced decoupled mode to every recorded mode-strength curve.

    Each curve m(t) is fitted by a(t; s, a0, τ) of τ da/dt = L a^{2−2/L}(s − a) (Saxe et al.
    2014 eqs. 12, 15; depth 2: a(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/a0)), in
    (ln s, ln(s/a0), ln τ) by an optax optimiser and then Levenberg–Marquardt steps, all
    curves in one `jax.vmap` (model, identifiability of a0 and a delay, standard errors and
    R²: this module's docstring and docs/theory-fitting.md).

    Args:
        data: a `semjax.Trajectory` that recorded ``modes`` (from `semjax.simulate`,
            `semjax.train`, a store, or built from another framework's run), or the times t
            (shape (T,), ≥ 0, increasing) with ``modes``.
        modes: with times as ``data``: mode strengths of shape (..., T, M) (any leading axes,
            e.g. seeds), e.g. u_αᵀ W(t) Σx v_α of a PyTorch run.
        s: the singular values, if known (broadcast to (..., M)): s is then held fixed and
            only a0 (and τ) fitted. None fits s.
        tau: the time constant τ in the units of t (broadcast to (..., M)); the initial guess
            when ``fit_tau``.
        fit_tau: fit τ too (e.g. t in optimiser steps of an unknown learning rate).
        depth: number of weight matrices L ≥ 2 of the closed form (static).
        start: the run's actual initial strengths a(0) (broadcast to (..., M)), e.g. the
            ``init_scale`` of an aligned start: reports the delay of the run behind the
            closed form from there (``Fit.delay``).
        optimizer: an optax `GradientTransformation` for the first stage (default
            ``optax.adam(0.05)``); reuse one object, since each new one compiles the fit
            again.
        steps: optimiser steps of the first stage.
        polish: Levenberg–Marquardt steps of the second stage.

    Returns:
        A `Fit`: estimates, standard errors, residuals and R² per curve, ``linearity`` per run.

    Raises:
        ValueError, TypeError: bad arguments, each named: times not increasing or negative,
            modes not of shape (..., T, M) or not finite, fewer than p + 2 recorded times for p
            free parameters, s, tau or start not positive or not broadcastable, depth < 2, a
            trajectory without ``modes`` or with diverged runs.
    """
    if not isinstance(fit_tau, (bool, np.bool_)):
        raise TypeError(f"fit_tau must be True or False; got {_validation.describe(fit_tau)}.")
    t, curves = _curves_of(data, modes, bool(fit_tau))
    depth = _validation.positive_int("depth", depth, minimum=2)
    steps = _validation.positive_int("steps", steps, minimum=0)
    polish = _validation.positive_int("polish", polish, minimum=0)
    optimizer = _ADAM if optimizer is None else optimizer
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax GradientTransformation, e.g. "
                        f"optax.adam(0.05); got {_validation.describe(optimizer)}.")
    shape = curves.shape[:-2] + curves.shape[-1:]
    fixed_s = _optional_positive("s", s, shape, "s is the singular value the mode approaches.")
    tau = _optional_positive("tau", tau, shape, "tau is the time constant in the units of t.")
    start = _optional_positive("start", start, shape,
                               "start is the run's initial strength a(0) > 0.")
    n_free = 1 + (fixed_s is None) + bool(fit_tau)
    if t.shape[0] < n_free + 2:
        raise ValueError(f"t has {t.shape[0]} times; fitting {n_free} parameters per curve "
                         f"needs at least {n_free + 2}.")
    dtype = jax.dtypes.canonicalize_dtype(np.result_type(curves.dtype, np.float32))
    flat = np.moveaxis(curves, -1, -2).reshape(-1, t.shape[0])
    per_curve = [np.ravel(np.full(shape, np.nan) if v is None else v)
                 for v in (fixed_s, tau, start)]  # NaN: s fitted, no start
    values, errors, rss = _compiled(depth, optimizer, steps, polish)(
        jnp.asarray(t, dtype), jnp.asarray(flat, dtype),
        *(jnp.asarray(v, dtype) for v in per_curve), jnp.asarray(bool(fit_tau)))
    values, errors, rss = (np.asarray(a).reshape(*shape, -1) for a in (values, errors, rss))
    rss = rss[..., 0]
    total = np.sum((curves - curves.mean(axis=-2, keepdims=True)) ** 2, axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1 - rss / total
        linearity = 1 - rss.sum(axis=-1) / total.sum(axis=-1)
    delay = (values[..., 3], errors[..., 3]) if start is not None else (None, None)
    if start is not None and np.any(np.isnan(delay[0])):
        _validation.warn(f"{int(np.isnan(delay[0]).sum())} of {delay[0].size} curves have no "
                         "delay (NaN): their start and fitted a0 lie on opposite sides of the "
                         "fitted s, so the closed form from a0 never passes start; check start "
                         "(the run's actual a(0)).")
    return Fit(s=values[..., 0], a0=values[..., 1], tau=values[..., 2], delay=delay[0],
               s_se=errors[..., 0], a0_se=errors[..., 1], tau_se=errors[..., 2],
               delay_se=delay[1], rms=np.sqrt(rss / t.shape[0]), r2=r2, linearity=linearity,
               depth=depth)
