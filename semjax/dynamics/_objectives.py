"""What is minimised: the loss of a network on a task, in correlation form or on the items.

Both objectives are pytrees holding the task (traced) and their static options, and give the
same thing to a stepper: ``gradient(weights, key)`` (∂L/∂W_l per layer) and ``flow(weights)``
(−∂L/∂W_l, the gradient-flow vector field in units of τ); and they are the *source* of the
read-outs of `semjax.readouts` (``outputs``, ``mode_strengths``, ``io_correlation``,
``excess_loss``, ``hidden_gram``, defined for any network through its outputs on the items and
equal to the linear-chain formulas for a linear chain; ``network_map`` for linear chains). All
take the weights of one run.
Conventions in `semjax.task`:

    L(W) = ½ tr Σy − tr(Wᵀ Σyx) + ½ tr(W Σx Wᵀ) = c · ½ Σ_μ ‖y_μ − W x_μ‖²,

with c the task's ``item_weight`` (1/P under the mean convention, 1 under the sum convention).

* `Correlations` (full batch, linear chains): the closed-form field of
  `semjax.dynamics.vector_field`, from Σx and Σyx alone.
* `Items` (the data form on X and Y, any `semjax.dynamics.Network`, or a gated network whose
  gates travel with the items, `semjax.Gates`): autodiff of the loss on
  the items, full batch or a minibatch of k items drawn from the key each step (with or
  without replacement); the minibatch loss c (P/k) · ½ Σ_{μ∈B} ‖y_μ − f(x_μ)‖² is an unbiased
  estimate of L.

Read-outs for a network f with outputs F = f(X) on the items: its input-output correlation
Σ̂yx = c F Xᵀ (= W Σx for a linear chain), the mode strengths a_α = u_αᵀ Σ̂yx v_α on the task's
fixed modes, and the excess loss L(f) − L(T), T the best linear map (for a linear chain the
excess loss ½ tr((W − T)Σx(W − T)ᵀ); a nonlinear net with biases can go below 0).
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp

from semjax.dynamics import _network


class _Spectrum:
    """The singular values of an objective's estimate Σ̂yx (`semjax.readouts`)."""

    def singular_values(self, weights):
        """Singular values of Σ̂yx, descending."""
        return jnp.linalg.svd(self.io_correlation(weights), compute_uv=False)


@functools.partial(jax.tree_util.register_dataclass, data_fields=("task",), meta_fields=())
@dataclasses.dataclass(frozen=True)
class Correlations(_Spectrum):
    """Full-batch loss of a linear chain in correlation form (exact, no items needed).

    Attributes:
        task: the `semjax.Task`.
    """

    task: object
    stochastic = False
    network = _network.LINEAR

    def network_map(self, weights):
        """W = W_L ⋯ W_1."""
        return _network.network_map(weights)

    def outputs(self, weights):
        """W X on the task's inputs."""
        return _network.matmul(_network.network_map(weights), self.task.inputs)

    def hidden_gram(self, weights):
        """Hᵀ H with H = W_1 X (the map itself at depth 1)."""
        return _hidden_gram(self.network, weights, self.task)

    def io_correlation(self, weights):
        """W Σx."""
        return _network.times_sigma_x(_network.network_map(weights), self.task)

    def mode_strengths(self, weights):
        """a_α = u_αᵀ W Σx v_α."""
        return _network.mode_strengths(_network.network_map(weights), self.task)

    def excess_loss(self, weights):
        """½ tr((W − T) Σx (W − T)ᵀ)."""
        return _network.excess_loss(_network.network_map(weights), self.task)

    def flow(self, weights) -> tuple:
        """−∂L/∂W_l for every layer (`semjax.dynamics.vector_field`)."""
        return _network.vector_field(weights, self.task)

    def gradient(self, weights, key=None) -> tuple:
        """∂L/∂W_l for every layer (``key`` unused: the loss is deterministic)."""
        del key
        return tuple(-field for field in self.flow(weights))


@functools.partial(jax.tree_util.register_dataclass, data_fields=("task", "gates"),
                   meta_fields=("batch_size", "replace", "network"))
@dataclasses.dataclass(frozen=True)
class Items(_Spectrum):
    """The loss on the task's items (X, Y), on all of them or on a minibatch per step.

    Attributes:
        task: the `semjax.Task`; its ``item_weight`` must be known (items that generate Σx).
        batch_size: items per step, or None for all P items (deterministic).
        replace: draw the minibatch with replacement (i.i.d. items) or without (k distinct).
        network: the `semjax.dynamics.Network` (activation, biases; linear by default), or a
            gated network's graph (`semjax.dynamics.GatedNetwork`).
        gates: a gated network's `GateValues` (each item's gates travel with it), else None.
    """

    task: object
    batch_size: int | None = None
    replace: bool = False
    network: _network.Network = _network.LINEAR
    gates: object = None

    @property
    def stochastic(self) -> bool:
        """Whether each step draws a minibatch (and so consumes a key)."""
        return self.batch_size is not None

    def loss(self, weights, items=None):
        """c (P/k) · ½ Σ_{μ∈B} ‖y_μ − f(x_μ)‖² over the items B (all of them when None)."""
        inputs, targets, gates = self.task.inputs, self.task.targets, self._gates
        if items is not None:
            inputs, targets = inputs[:, items], targets[:, items]
            gates = tuple(g.take(items) for g in gates)
        weight = self.task.item_weight * self.task.inputs.shape[1] / inputs.shape[1]
        residual = targets - self.network.apply(weights, inputs, *gates)
        return 0.5 * weight * jnp.sum(residual ** 2, axis=(0, 1))

    @property
    def _gates(self) -> tuple:
        """The network's per-item arguments after the inputs: (gates,) or ()."""
        return () if self.gates is None else (self.gates,)

    def outputs(self, weights):
        """f(X) on all items."""
        return self.network.apply(weights, self.task.inputs, *self._gates)

    def pathway_modes(self, weights):
        """Each pathway's strength per mode, a_{p,α} = u_αᵀ W̄_p v_α (gated networks)."""
        return self.network.pathway_modes(weights, self.gates)

    def network_map(self, weights):
        """W = W_L ⋯ W_1 (a linear network without biases)."""
        return _network.network_map(weights)

    def hidden_gram(self, weights):
        """Hᵀ H with H = φ(W_1 X + b_1) (the pre-activations at depth 1; the gated
        activity of a gated network)."""
        return _hidden_gram(self.network, weights, self.task, *self._gates)

    def io_correlation(self, weights):
        """Σ̂yx = c f(X) Xᵀ."""
        return self.task.item_weight * _network.matmul(
            self.outputs(weights), self.task.inputs.T)

    def mode_strengths(self, weights):
        """a_α = u_αᵀ (c f(X) Xᵀ) v_α."""
        inputs = self.task.inputs
        right = self.task.item_weight * _network.matmul(inputs.T, self.task.V)
        return _network.projected_modes(self.outputs(weights), right, self.task)

    def excess_loss(self, weights):
        """L(f) − L(T): the loss on all items above that of the best linear map T."""
        task = self.task
        best = task.targets - _network.matmul(task.target_map, task.inputs)
        return self.loss(weights) - 0.5 * task.item_weight * jnp.sum(best ** 2, axis=(0, 1))

    def draw(self, key):
        """Indices of one minibatch of ``batch_size`` items."""
        n_items = self.task.inputs.shape[1]
        if self.replace:
            return jax.random.randint(key, (self.batch_size,), 0, n_items)
        return jax.random.permutation(key, n_items)[:self.batch_size]

    def gradient(self, weights, key=None) -> tuple:
        """∂L/∂W_l on a fresh minibatch drawn from ``key`` (all items if ``batch_size`` is
        None)."""
        items = None if self.batch_size is None else self.draw(key)
        return tuple(jax.grad(self.loss)(tuple(weights), items))

    def flow(self, weights) -> tuple:
        """−∂L/∂W_l on all items."""
        return tuple(-g for g in jax.grad(self.loss)(tuple(weights)))


def _hidden_gram(network, weights, task, *gates):
    """The items' similarity Hᵀ H in the first hidden layer of ``network``."""
    hidden = network.hidden(weights, task.inputs, *gates)
    return _network.matmul(hidden.T, hidden)
