"""Mode dynamics under L2 weight decay on every layer (docs/theory-fitting.md, "Weight decay";
derived here).

Gradient flow on the regularised loss L + (γ/2) Σ_l ‖W_l‖², τ dW_l/dt = −∂L/∂W_l − γ W_l,
is what full-batch gradient descent with decoupled weight decay follows as η → 0:
``optax.chain(optax.add_decayed_weights(γ), optax.sgd(η))`` updates W_l ← W_l − η (∂L/∂W_l +
γ W_l), one Euler step of this flow with dt = η (time in units of τ, `semjax.task`).

Aligned starts (Saxe et al. 2014 §1.3). With Σyx = U S Vᵀ, Σx v_α = d v_α (d = 1 for white
inputs) and an aligned start, each mode of layer l is a scalar w_l; the decay term −γ W_l keeps
the aligned form, so each mode follows (depth 2, c the W_2 and b the W_1 component)

    τ dc/dt = b (s − d cb) − γ c,     τ db/dt = c (s − d cb) − γ b.

The imbalance obeys τ d(c² − b²)/dt = −2γ (c² − b²) (in matrix form, W_2ᵀW_2 − W_1W_1ᵀ decays
as e^{−2γt/τ} instead of being conserved), so balanced starts stay balanced and λ-balanced
ones become balanced. For balanced c = b = w, ũ = w² and the recorded strength m = d ũ,

    τ dm/dt = 2m (s − γ − m):

the sigmoid of Saxe et al. 2014 eq. 12 with s replaced by s − γ, whatever d. A mode with
s > γ is learned to m* = s − γ (every singular value shrunk by γ, a soft threshold); a mode
with s ≤ γ decays to 0 (it is never learned), as m(t) = m0 g e^{−2gt/τ} / (g + m0 (1 −
e^{−2gt/τ})) with g = γ − s ≥ 0 (m0 / (1 + 2 m0 t/τ) at s = γ).

Depth 1 (shallow): τ db/dt = s − d b − γ b, so the recorded m = d b relaxes exponentially at
rate (d + γ)/τ to m* = d s / (d + γ) (white: s/(1 + γ), a uniform shrinkage, never a
threshold).

Depth L ≥ 3 (balanced, aligned): τ du/dt = L u^{2−2/L} (s − d u) − L γ u for the product
u = w^L. The decay term is linear in u but the growth only of order u^{2−2/L}, so weight
decay makes the saddle u = 0 stable: starts below a threshold (u ≈ (γ/s)^{L/(L−2)} for small
γ) decay to 0 and are never learned, larger ones approach the larger root of
u^{1−2/L} (s − d u) = γ. No closed form is given here for L ≥ 3.
"""

from __future__ import annotations

import jax.numpy as jnp

from semjax import _validation
from semjax.theory._modes import (_A0_FIX, _TIME_FIX, _check_broadcastable, _check_concrete,
                                  deep_mode_strength, shallow_mode_strength)


def weight_decay_mode_strength(t, s, a0, gamma, *, tau=1.0, depth=2, d=1.0):
    """Recorded strength m(t) = u_αᵀ W(t) Σx v_α of an aligned balanced mode trained with L2
    weight decay γ on every layer: gradient flow on L + (γ/2) Σ_l ‖W_l‖² (module docstring;
    derived here), the η → 0 limit of ``optax.chain(optax.add_decayed_weights(γ),
    optax.sgd(η))`` with t = step · η.

    - depth 2: τ dm/dt = 2m (s − γ − m), Saxe et al. 2014 eq. 12 with s → s − γ: for s > γ
      `deep_mode_strength` (t, s − γ, d·a0), tending to s − γ; for s ≤ γ the decay
      m(t) = m0 g e^{−2gt/τ} / (g + m0 (1 − e^{−2gt/τ})), g = γ − s, m0 = d·a0, to 0;
    - depth 1: τ dm/dt = d s − (d + γ) m: `shallow_mode_strength` relaxing to d s / (d + γ)
      at rate (d + γ)/τ.

    Args:
        t: times ≥ 0 in units of τ, broadcast against the other arguments.
        s: singular value s_α of Σyx (> 0 for depth 2).
        a0: initial product strength ũ(0) = u_αᵀ W(0) v_α (≥ 0 for depth 2; any sign for
            depth 1), as ``init_scale`` of ``init="aligned"`` sets it.
        gamma: weight-decay coefficient γ ≥ 0 (optax's ``weight_decay``), in the units of s.
        tau: time constant τ.
        depth: number of weight matrices, 1 or 2 (static; module docstring for L ≥ 3).
        d: eigenvalue of Σx along v_α (1 for white inputs; docs/theory.md §2.5).

    Raises:
        ValueError: depth not 1 or 2; t < 0, γ < 0, τ ≤ 0, d ≤ 0, s ≤ 0 or a0 < 0 (depth 2),
            or non-finite values (when concrete); shapes that do not broadcast.
    """
    depth = _validation.positive_int("depth", depth)
    if depth > 2:
        raise ValueError(f"weight_decay_mode_strength has closed forms for depth 1 and 2; got "
                         f"depth={depth}. For L ≥ 3 the product obeys τ du/dt = L u^(2−2/L) "
                         "(s − d u) − L γ u (no closed form; weight decay makes u = 0 stable): "
                         "simulate it with semjax.train.")
    _check_broadcastable(t=t, s=s, a0=a0, gamma=gamma, tau=tau, d=d)
    _check_concrete("t", t, fix=_TIME_FIX)
    _check_concrete("s", s, allow_zero=depth == 1, allow_negative=depth == 1)
    _check_concrete("a0", a0, allow_negative=depth == 1, fix=_A0_FIX)
    _check_concrete("gamma", gamma, fix="gamma is the weight-decay coefficient γ ≥ 0.")
    _check_concrete("tau", tau, allow_zero=False)
    _check_concrete("d", d, allow_zero=False,
                    fix="d is the eigenvalue of Σx along the mode (1 for white inputs).")
    arrays = [jnp.asarray(v) for v in (t, s, a0, gamma, tau, d)]  # x64 or not, as jax sets
    dtype = jnp.result_type(*arrays, float)
    t, s, a0, gamma, tau, d = jnp.broadcast_arrays(*(v.astype(dtype) for v in arrays))
    if depth == 1:
        rate = d + gamma
        return shallow_mode_strength(t, d * s / rate, d * a0, tau=tau / rate)
    m0, shrunk = d * a0, s - gamma
    grows = shrunk > 0
    learned = deep_mode_strength(t, jnp.where(grows, shrunk, 1.0), m0, tau=tau)
    g = jnp.where(grows, 0.0, -shrunk)
    decay = jnp.exp(-2 * g * t / tau)
    # (1 − e^{−2gt/τ}) / g, continuous at g = 0 (where it is 2t/τ)
    spent = jnp.where(g > 0, -jnp.expm1(-2 * g * t / tau) / jnp.where(g > 0, g, 1.0),
                      2 * t / tau)
    return jnp.where(grows, learned, m0 * decay / (1 + m0 * spent))
