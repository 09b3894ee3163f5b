"""Which contexts a ReLU network's hidden units serve: the structured mixed selectivity of
Jarvis et al. (2025), read from the weights."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from semjax import _validation
from semjax.dynamics._gated import context_labels


class ContextSelectivity(NamedTuple):
    """The contexts each hidden unit of a two-layer ReLU network is active in.

    Attributes:
        active: (*batch, H, K) unit h is active in context k: its largest activity
            relu(w_h · x_μ) over the items μ of context k exceeds ``threshold`` times its
            largest over all items.
        significant: (*batch, H) the unit matters: its largest activity times the norm of its
            output weights exceeds ``threshold`` times the largest unit's.
        counts: (*batch, K) how many significant units are active in exactly n = 1..K
            contexts (silent units, active in none, are not counted).
    """

    active: np.ndarray
    significant: np.ndarray
    counts: np.ndarray

    @property
    def fractions(self) -> np.ndarray:
        """``counts`` over the significant units active in any context, (*batch, K)."""
        total = self.counts.sum(axis=-1, keepdims=True)
        return self.counts / np.maximum(total, 1)


def context_selectivity(weights, inputs, contexts, *, threshold: float = 0.1
                        ) -> ContextSelectivity:
    """The contexts each hidden unit of a ReLU network f(x) = W2 relu(W1 x) is active in.

    A unit active in every context serves them all (a shared module), one active in one
    context is a context's own module, and one active in some but not all contexts is *mixed
    selective*: reused by several contexts yet still context-dependent. Jarvis et al. (2025)
    find ReLU networks prefer the latter, more so with more contexts (node reuse: a pathway
    active on more items has larger singular values and learns faster,
    `semjax.theory.pathway_correlations`).

    Args:
        weights: (W1, W2), each with the same leading batch axes, (*batch, H, N1) and
            (*batch, N3, H) (e.g. the last record of a run's ``weights``).
        inputs: X (N1, P), the task's items.
        contexts: each item's context, integers 0..K−1, shape (P,).
        threshold: the fraction of a unit's (or the largest unit's) size that counts.

    Raises:
        ValueError, TypeError: weights that are not two finite arrays or do not chain, inputs of the
            wrong width, contexts of the wrong length, not integers 0..K−1 or with a context
            unused.
    """
    if (isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__")
            or len(weights) != 2):
        got = (f"{len(weights)} arrays" if hasattr(weights, "__len__")
               else _validation.describe(weights))
        raise ValueError(f"weights must be (W1, W2), the two weight layers of a two-layer "
                         f"network; got {got}. Pass a depth-2 run's weights.")
    w1, w2 = (_finite_weights(f"weights[{layer}]", weight)
              for layer, weight in enumerate(weights))
    inputs = _validation.finite_matrix("inputs", inputs, shape=(w1.shape[-1], None))
    contexts = context_labels("contexts", contexts, n_items=inputs.shape[1])
    if w2.shape[-1] != w1.shape[-2] or w1.shape[:-2] != w2.shape[:-2]:
        raise ValueError(f"weights must be (W1, W2) of a two-layer network with the same batch "
                         f"axes; got shapes {w1.shape} and {w2.shape}.")
    threshold = _validation.probability("threshold", threshold)
    n_contexts = int(contexts.max()) + 1
    activity = np.maximum(w1 @ inputs, 0.0)  # (*batch, H, P)
    peak = activity.max(axis=-1)
    per_context = np.stack([activity[..., contexts == k].max(axis=-1)
                            for k in range(n_contexts)], axis=-1)
    active = per_context > threshold * peak[..., None]
    size = peak * np.linalg.norm(w2, axis=-2)
    significant = size > threshold * size.max(axis=-1, keepdims=True)
    n_active = active.sum(axis=-1)
    counts = np.stack([np.sum(significant & (n_active == n), axis=-1)
                       for n in range(1, n_contexts + 1)], axis=-1)
    return ContextSelectivity(active, significant, counts)


def _finite_weights(name: str, value) -> np.ndarray:
    """``value`` as a float64 array of matrices (*batch, rows, columns), or raise naming
    ``name``."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a real array of weight matrices; got "
                        f"{_validation.describe(value)} ({error}).") from None
    if array.ndim < 2 or 0 in array.shape:
        raise ValueError(f"{name} must be a non-empty weight matrix (*batch, rows, columns); "
                         f"got an array of shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{name} must be finite; entry {bad} is {array[bad]}. Pass the "
                         f"weights of runs that did not diverge (or drop those runs).")
    return array
