"""Steppers: how one training step moves the weights, as (init, update) pairs in optax's style.

A stepper is a static, hashable object; its numbers (the step size, an optimiser's learning
rate) live in its *state*, which is traced, so one compilation serves every step size. Each
has

* ``init(weights, step_size)`` → the stepper's state for one run;
* ``update(objective, weights, state, key)`` → ``(weights, state)`` one step later.

`GradientFlow` integrates τ dW/dt = −∂L/∂W with a fixed-step scheme (one step advances t by
dt in units of τ; Euler with step dt *is* full-batch gradient descent with learning rate dt).
`Optax` applies any optax `GradientTransformation` to the objective's gradient; with
``injected`` it is built by `optax.inject_hyperparams`, and the run's learning rate is written
into its state.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import optax


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


class GradientFlow(NamedTuple):
    """Fixed-step integration of gradient flow; the state is the step dt (traced).

    Attributes:
        method: ``"euler"`` or ``"rk4"``.
    """

    method: str = "euler"

    def init(self, weights, step_size):
        del weights
        return step_size

    def update(self, objective, weights, dt, key=None):
        del key
        return INTEGRATORS[self.method](objective.flow, weights, dt), dt


class Optax(NamedTuple):
    """An optax `GradientTransformation` on the objective's gradient.

    Attributes:
        transformation: the optax transformation.
        injected: True when it was made by `optax.inject_hyperparams` with a
            ``learning_rate`` hyperparameter, which ``init`` sets to the run's step size.
    """

    transformation: optax.GradientTransformation
    injected: bool = False

    def init(self, weights, step_size):
        state = self.transformation.init(weights)
        if self.injected:
            learning_rate = state.hyperparams["learning_rate"]
            state = state._replace(hyperparams={
                **state.hyperparams,
                "learning_rate": jax.numpy.asarray(step_size, learning_rate.dtype)})
        return state

    def update(self, objective, weights, state, key=None):
        gradients = objective.gradient(weights, key)
        updates, state = self.transformation.update(gradients, state, weights)
        return optax.apply_updates(weights, updates), state
