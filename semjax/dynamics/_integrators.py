"""Fixed-step integrators of the gradient flow over pytrees of weights.

Each integrator maps (field, weights, dt) to the weights one step later, where
``field(weights)`` returns dW/dt with the same pytree structure. Euler with step dt is full-batch
gradient descent with learning rate dt (the seed's loop); RK4 is the classical 4th-order scheme.
"""

from __future__ import annotations

import jax


def _axpy(scale, direction, weights):
    return jax.tree.map(lambda w, d: w + scale * d, weights, direction)


def euler(field, weights, dt):
    """W ← W + dt f(W): first order, global error O(dt)."""
    return jax.tree.map(lambda w, d: w + d * dt, weights, field(weights))


def rk4(field, weights, dt):
    """Classical Runge-Kutta: fourth order, global error O(dt⁴)."""
    k1 = field(weights)
    k2 = field(_axpy(dt / 2, k1, weights))
    k3 = field(_axpy(dt / 2, k2, weights))
    k4 = field(_axpy(dt, k3, weights))
    return jax.tree.map(lambda w, a, b, c, d: w + (dt / 6) * (a + 2 * b + 2 * c + d),
                        weights, k1, k2, k3, k4)


INTEGRATORS = {"euler": euler, "rk4": rk4}
