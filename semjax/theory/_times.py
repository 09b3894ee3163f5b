"""Learning times of decoupled modes (docs/theory.md §2.2, §2.4): which expressions are exact and
which are the papers' approximations.

Exact: `transition_time` (time from strength u0 to u_f for any depth), `half_time`,
`rise_time`, and `initial_strength_from_half_time` (the inverse of `half_time`).
Approximations, kept because the papers quote them: `saxe_learning_time`
(τ/s) ln(s/a0) of Saxe et al. 2014 (the ε → s − ε time, ≈ 2 t½ for a0 ≪ s), and
`large_depth_learning_time` (Saxe et al. 2014 eq. 17, τ du/dt ≈ L u² (s − u)).
All broadcast over their arguments and are jax-traceable. Concrete arguments are checked on
the host: a time that does not exist (a level the mode never reaches) raises a ValueError
instead of returning NaN, a negative number or inf; traced arguments are not checked.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.theory._modes import (
    _S_FIX,
    _antiderivative,
    _check_broadcastable,
    _check_concrete,
    _concrete,
)


def _first_bad(bad, **values) -> str:
    """'name=value, …' at the first entry where ``bad`` holds (values broadcast together)."""
    arrays = np.broadcast_arrays(*values.values())
    index = np.argwhere(np.broadcast_to(bad, arrays[0].shape))[0]
    return ", ".join(f"{name}={array[tuple(index)]}" for name, array in zip(values, arrays))


def _check_path(s, u_start, u_end, *, positive: bool):
    """Concrete check that a mode started at ``u_start`` reaches ``u_end`` in finite time:
    both strictly on the same side of s, ``u_end`` between ``u_start`` and s, and (depth ≥ 2,
    ``positive``) both > 0, since 0 is the saddle."""
    _check_broadcastable(s=s, u_start=u_start, u_end=u_end)
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    saddle = "For depth ≥ 2, 0 is the saddle: a mode started there never moves."
    for name, value in (("u_start", u_start), ("u_end", u_end)):
        _check_concrete(name, value, allow_negative=not positive, allow_zero=not positive,
                        fix=saddle if positive else "")
    concrete = _concrete(s, u_start, u_end)
    if concrete is None:
        return
    s, u0, uf = concrete
    values = {"s": s, "u_start": u0, "u_end": uf}
    opposite = np.sign(s - u0) * np.sign(s - uf) <= 0  # signs: products of tiny gaps underflow
    if np.any(opposite):
        where = _first_bad(opposite, **values)
        raise ValueError(
            f"u_start and u_end must lie strictly on the same side of s: a mode moves "
            f"monotonically towards s, reaching it only as t → ∞; got {where}.")
    backwards = np.sign(uf - u0) * np.sign(s - u0) < 0
    if np.any(backwards):
        raise ValueError(
            f"u_end must lie between u_start and s (a mode moves monotonically from its start "
            f"towards s, never away); got {_first_bad(backwards, **values)}. Swap u_start and "
            f"u_end for the time between them.")


def transition_time(s, u_start, u_end, *, tau=1.0, depth=2):
    """Exact time for a decoupled balanced mode to go from u_start to u_end (same side of s):

        t = (τ/L) ∫ du / (u^{2−2/L} (s − u))        (docs/theory.md §2.4),

    in closed form: depth 1: τ ln((s − u0)/(s − u_f)); depth 2:
    (τ/2s) ln[u_f (s − u0) / (u0 (s − u_f))] (Saxe et al. 2014 eq. 11); depth L ≥ 3: the
    partial-fraction antiderivative in y = (u/s)^{1/L}, whose leading term is
    τ (u_f^γ − u0^γ) / ((2 − L) s) with γ = (2 − L)/L.

    Every ratio is formed in the log domain (ln u − ln s, never u/s; u^γ = e^{γ ln u}), so
    the time is finite and accurate wherever it is representable in the dtype, however small
    a0 or s: e.g. 1e98 for depth 3, s = 1e4, u0 = 1e-306 in float64. Where it is not
    representable the result is inf.

    Args:
        s: singular value > 0.
        u_start: strength at the start (> 0 for depth ≥ 2, where 0 is the saddle).
        u_end: strength reached, strictly between u_start (inclusive) and s.
        tau: time constant τ.
        depth: number of weight matrices L (static).

    Raises:
        ValueError: (concrete arguments) s ≤ 0; u_start or u_end ≤ 0 for depth ≥ 2; u_start
            and u_end not strictly on the same side of s, or u_end not between u_start and s
            (a level the mode never reaches).
    """
    depth = _validation.positive_int("depth", depth)
    _check_concrete("tau", tau, allow_zero=False)
    _check_path(s, u_start, u_end, positive=depth >= 2)
    s, u0, uf = (jnp.asarray(v, dtype=jnp.result_type(s, u_start, u_end, float))
                 for v in (s, u_start, u_end))
    # ln((s − u0)/(s − u_f)) without the ratio; NaN off the domain (traced arguments)
    approach = jnp.where(jnp.sign(s - u0) == jnp.sign(s - uf),
                         jnp.log(jnp.abs(s - u0)) - jnp.log(jnp.abs(s - uf)), jnp.nan)
    if depth == 1:
        return tau * approach
    if depth == 2:
        return tau * ((jnp.log(uf) - jnp.log(u0) + approach) / s) / 2
    gamma = (2 - depth) / depth
    leading = tau * ((jnp.exp(gamma * jnp.log(uf)) - jnp.exp(gamma * jnp.log(u0))) / s) / (
        2 - depth)
    series = (_antiderivative(jnp.exp((jnp.log(uf) - jnp.log(s)) / depth), depth, leading=False)
              - _antiderivative(jnp.exp((jnp.log(u0) - jnp.log(s)) / depth), depth,
                                leading=False))
    return leading + tau * series * jnp.exp(-(2 - 2 / depth) * jnp.log(s)) / depth


def half_time(s, a0, *, tau=1.0, depth=2):
    """Exact time at which a mode started at a0 < s/2 reaches s/2; for depth 2
    t½ = (τ/2s) ln(s/a0 − 1), ≈ half of the paper's (τ/s) ln(s/a0) for a0 ≪ s.

    Raises:
        ValueError: (concrete arguments) s ≤ 0; a0 ≥ s/2, where the mode never crosses s/2
            and the half time is undefined; a0 ≤ 0 for depth ≥ 2 (the saddle).

    Examples:
        Weaker modes take longer, as (τ/2s) ln(s/a0 − 1) at depth 2:

        >>> import numpy as np
        >>> from semjax import theory
        >>> s = np.array([2.0, 1.0, 0.5, 0.25])
        >>> np.asarray(theory.half_time(s, 1e-3), float).round(3)
        array([ 1.9  ,  3.453,  6.213, 11.035])
        >>> (np.log(s / 1e-3 - 1) / (2 * s)).round(3)
        array([ 1.9  ,  3.453,  6.213, 11.035])
    """
    depth = _validation.positive_int("depth", depth)
    _check_broadcastable(s=s, a0=a0, tau=tau)
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    _check_concrete("a0", a0, allow_negative=depth == 1, allow_zero=depth == 1,
                    fix="A balanced mode started at 0 stays at the saddle and never learns.")
    concrete = _concrete(s, a0)
    if concrete is not None and np.any(late := concrete[1] >= concrete[0] / 2):
        raise ValueError(
            f"half_time needs a0 < s/2: a mode started at or above half its final strength "
            f"never crosses s/2, so its half time is undefined; got "
            f"{_first_bad(late, s=concrete[0], a0=concrete[1])}. Use transition_time(s, a0, "
            f"u_end) for a level between a0 and s.")
    s = jnp.asarray(s)
    return transition_time(s, a0, s / 2, tau=tau, depth=depth)


def rise_time(s, *, tau=1.0, depth=2, low=0.1, high=0.9):
    """Exact time from ``low``·s to ``high``·s (the transition width); independent of a0.
    Depth 2: (τ/2s) ln[(high/(1 − high)) ((1 − low)/low)] = (τ/2s) ln 81 ≈ 2.197 τ/s for
    10 %→90 %; depth 1: τ ln 9 for every s.

    Raises:
        ValueError: (concrete arguments) s ≤ 0, or not 0 < low < high < 1.
    """
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    concrete = _concrete(low, high)
    if concrete is not None and np.any(order := ~((0 < concrete[0]) & (concrete[0] < concrete[1])
                                                  & (concrete[1] < 1))):
        raise ValueError(f"rise_time needs fractions 0 < low < high < 1 of s; got "
                         f"{_first_bad(order, low=concrete[0], high=concrete[1])}.")
    s = jnp.asarray(s)
    return transition_time(s, low * s, high * s, tau=tau, depth=depth)


def saxe_learning_time(s, a0, *, tau=1.0):
    """The paper's learning-time scale (τ/s) ln(s/a0) (Saxe et al. 2014, from ε to s − ε with
    ε = a0, ε ≪ s): an approximation, ≈ 2 `half_time`.

    Raises:
        ValueError: (concrete arguments) s ≤ 0, or not 0 < a0 < s.
    """
    _check_broadcastable(s=s, a0=a0, tau=tau)
    _check_concrete("tau", tau, allow_zero=False)
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    _check_concrete("a0", a0, allow_zero=False, fix="The formula needs a start 0 < a0 < s.")
    concrete = _concrete(s, a0)
    if concrete is not None and np.any(late := concrete[1] >= concrete[0]):
        raise ValueError(f"saxe_learning_time needs a0 < s (it is the time from ε = a0 to "
                         f"s − ε); got {_first_bad(late, s=concrete[0], a0=concrete[1])}.")
    s, a0 = jnp.asarray(s), jnp.asarray(a0)
    return tau * ((jnp.log(s) - jnp.log(a0)) / s)


def large_depth_learning_time(s, u_start, u_end, *, tau=1.0, depth):
    """Large-depth approximation (Saxe et al. 2014 eqs. 16–17), τ du/dt ≈ L u² (s − u):

        t = (τ/L) [ (1/s²) ln( u_f (u0 − s) / (u0 (u_f − s)) ) + 1/(s u0) − 1/(s u_f) ].

    The paper writes N_l (number of layers) for L; they agree as depth grows. ``depth`` may be
    an array (broadcast).

    Raises:
        ValueError: (concrete arguments) depth ≤ 0; s ≤ 0; u_start or u_end ≤ 0, not strictly
            on the same side of s, or u_end not between u_start and s.
    """
    _check_concrete("depth", depth, allow_zero=False,
                    fix="depth is the number of weight matrices L ≥ 1.")
    _check_concrete("tau", tau, allow_zero=False)
    _check_path(s, u_start, u_end, positive=True)
    s, u0, uf = jnp.asarray(s), jnp.asarray(u_start), jnp.asarray(u_end)
    logs = (jnp.log(uf) - jnp.log(u0) + jnp.log(jnp.abs(u0 - s)) - jnp.log(jnp.abs(uf - s)))
    return tau / depth * (logs / s / s + (1 / u0 - 1 / uf) / s)


def initial_strength_from_half_time(s, t_half, *, tau=1.0, depth=2, iterations=200):
    """The start a0 whose mode reaches s/2 at ``t_half``: the exact inverse of `half_time`
    (docs/theory.md §2.2–§2.4).

    The mode equation is autonomous, so a0 is the strength a time t½ before the trajectory
    through s/2; in closed form

        depth 1: b0 = s (1 − e^{t½/τ}/2)      (inverts t½ = τ ln((s − b0)/(s/2)); b0 < 0 for
                 t½ > τ ln 2),
        depth 2: a0 = s / (1 + e^{2st½/τ})     (inverts t½ = (τ/2s) ln(s/a0 − 1)),

    and for depth L ≥ 3 by bisection of the exact implicit time (`transition_time`) in
    ln (a0/s)^{1/L}. Used to read the effective initial strength of small random starts off
    their measured half-times (they leave the saddle later than the aligned formula predicts).

    Args:
        s: singular value > 0.
        t_half: half-time > 0 in units of τ (t½ → 0 is a0 → s/2; t½ → ∞ is a0 → 0 for
            depth ≥ 2).
        tau: time constant τ > 0.
        depth: number of weight matrices L (static).
        iterations: bisection steps for depth ≥ 3 (static; each halves the bracket in
            ln y, y = (a0/s)^{1/L}).

    Returns:
        a0 with ``half_time(s, a0, tau=tau, depth=depth) == t_half`` (broadcast shape); it
        underflows to 0 for depth ≥ 2 once s t½/τ exceeds the float range (≈ 350 in float64).

    Raises:
        ValueError: (concrete arguments) depth < 1, s ≤ 0, t_half ≤ 0, tau ≤ 0, or non-finite
            values.
    """
    depth = _validation.positive_int("depth", depth)
    iterations = _validation.positive_int("iterations", iterations)
    _check_broadcastable(s=s, t_half=t_half, tau=tau)
    _check_concrete("s", s, allow_zero=False, fix=_S_FIX)
    _check_concrete("t_half", t_half, allow_zero=False,
                    fix="A mode reaches s/2 after a time t½ > 0 only if it starts below s/2.")
    _check_concrete("tau", tau, allow_zero=False)
    dtype = jnp.result_type(s, t_half, tau, float)
    s, t_half, tau = (jnp.asarray(v, dtype=dtype) for v in (s, t_half, tau))
    if depth == 1:
        return s * (1 - jnp.exp(t_half / tau) / 2)
    if depth == 2:
        return s * jax.nn.sigmoid(-2 * s * t_half / tau)
    s, t_half = jnp.broadcast_arrays(s, t_half)
    # F((a0/s)^{1/L}) = F(2^{−1/L}) − (L s^{2−2/L}/τ) t½, F increasing on (0, 1)
    target = (_antiderivative(jnp.asarray(0.5, dtype) ** (1 / depth), depth)
              - depth * s ** (2 - 2 / depth) * t_half / tau)
    low = jnp.full_like(s, jnp.log(jnp.finfo(dtype).tiny) / depth)  # ln y
    high = jnp.full_like(s, jnp.log(0.5) / depth)

    def bisect(_, bracket):
        low, high = bracket
        middle = (low + high) / 2
        below = _antiderivative(jnp.exp(middle), depth) < target
        return jnp.where(below, middle, low), jnp.where(below, high, middle)

    low, high = jax.lax.fori_loop(0, iterations, bisect, (low, high))
    return s * jnp.exp(depth * (low + high) / 2)
