"""The read-out registry: every quantity a trajectory can record, declared once.

A `Readout` names a field of `semjax.Trajectory` and says how to compute it for one run from a
*source* and a *state*:

* in a simulation the source is the run's objective (`semjax.dynamics.Correlations` or
  `semjax.dynamics.Items`, which hold the task and the network) and the state is the weights
  (W_1, ..., W_L);
* in a closed form (`semjax.theory.trajectory`) the source is the closed-form solution and the
  state what it evolves (mode strengths, or the network map).

Both kinds of source offer the same methods (``mode_strengths``, ``excess_loss``,
``network_map``, ``outputs``, ``hidden_gram``, ``singular_values``, ``io_correlation``), so
one declaration serves the core, the memory
check (sizes come from `jax.eval_shape` of the declaration), `semjax.Trajectory` (field names
and documentation), `semjax.theory` (which read-outs have a closed form) and the command line:

==================  ====================================  ==========================================
name                per run and record                    meaning
==================  ====================================  ==========================================
``modes``           (r,)                                  a_α = u_αᵀ Σ̂yx v_α on the task's fixed
                                                          modes, Σ̂yx = c f(X) Xᵀ (= W Σx for a
                                                          linear chain)
``loss``            ()                                    excess loss L(f) − L(T) over the best
                                                          linear map T
``product``         (N3, N1)                              the network map W = W_L ⋯ W_1 (linear
                                                          chains only)
``outputs``         (N3, P)                               the outputs f(X) on the items
``hidden_gram``     (P, P)                                Hᵀ H, H = φ(W_1 X + b_1): the items'
                                                          similarity in the first hidden layer
``singular_values`` (r,)                                  singular values of Σ̂yx, descending
``weights``         tuple of (n_l, n_{l−1})               the weights (W_1, ..., W_L)
``pathway_modes``   (n_paths, r)                          a gated network's pathway strengths
                                                          a_{p,α} = u_αᵀ W̄_p v_α (`semjax.Gates`)
==================  ====================================  ==========================================

Any function of the weights is a read-out too, as diffrax's ``SaveAt(fn=...)``: pass it in
``record`` (named by its ``__name__``) or as ``Readout.of_weights(fn, name=...)``; it is
batched, checked and stored like the built-in ones. Under a task schedule the task-dependent
read-outs are recorded against every task of the schedule (`semjax.Trajectory.on_task`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence



@dataclasses.dataclass(frozen=True)
class Readout:
    """A quantity recorded along a trajectory (module docstring).

    Attributes:
        name: the field's name in `semjax.Trajectory` and in saved files.
        compute: ``compute(source, state)`` → the value for one run (an array; the built-in
            ``weights`` is a tuple of arrays).
        doc: what it is, for documentation and the command line.
        task_dependent: read against the task (under a schedule: against every task).
        linear_chain: defined only for linear networks without biases.
        closed_form: `semjax.theory.trajectory` can record it.
        gated: defined only for gated networks (``gates=``).
    """

    name: str
    compute: Callable
    doc: str = ""
    task_dependent: bool = True
    linear_chain: bool = False
    closed_form: bool = True
    gated: bool = False

    @classmethod
    def of_weights(cls, function: Callable, name: str | None = None, doc: str = "") -> Readout:
        """A read-out ``function(weights)`` of the weights (W_1, ..., W_L) of one run, returning
        one array; named ``name`` or the function's ``__name__``.

        Raises:
            ValueError: no usable name (a lambda without ``name``), or the name of a built-in.
        """
        if not callable(function):
            raise TypeError(f"a read-out must be callable; got {function!r}.")
        name = name or getattr(function, "__name__", "")
        if not name.isidentifier():
            raise ValueError(f"record: a function read-out needs a name that is a Python "
                             f"identifier; got {name!r}. Give a named function (def ...), or "
                             "semjax.Readout.of_weights(fn, name='...').")
        if name in REGISTRY:
            raise ValueError(f"record: {name!r} is a built-in read-out; give the function "
                             "another name.")
        return cls(name, _OfWeights(function),
                   doc or (function.__doc__ or "").strip().split("\n")[0],
                   task_dependent=False, closed_form=False)


@dataclasses.dataclass(frozen=True)
class _OfWeights:
    """``compute`` of a user's function of the weights (equal for the same function, so that
    a call with the same function reuses its compilation)."""

    function: Callable

    def __call__(self, source, weights):
        del source
        return self.function(tuple(weights))


def _method(name: str):
    """``compute`` of a built-in read-out: the source's method of that name."""
    def compute(source, state):
        return getattr(source, name)(state)
    compute.__name__ = name
    return compute


BUILT_IN = (
    Readout("modes", _method("mode_strengths"),
            "mode strengths a_α = u_αᵀ Σ̂yx v_α on the task's fixed modes, (r,)"),
    Readout("loss", _method("excess_loss"),
            "excess loss L(f) − L(T) over the best linear map T, ()"),
    Readout("product", _method("network_map"), "the network map W = W_L ⋯ W_1, (N3, N1)",
            task_dependent=False, linear_chain=True),
    Readout("outputs", _method("outputs"), "the outputs f(X) on the items, (N3, P)"),
    Readout("hidden_gram", _method("hidden_gram"),
            "the items' first-hidden-layer similarity Hᵀ H, (P, P)"),
    Readout("singular_values", _method("singular_values"),
            "singular values of Σ̂yx = c f(X) Xᵀ, descending, (r,)"),
    Readout("weights", lambda source, weights: tuple(weights),
            "the weights (W_1, ..., W_L)", task_dependent=False, closed_form=False),
    Readout("pathway_modes", _method("pathway_modes"),
            "a gated network's pathway strengths a_{p,α} = u_αᵀ W̄_p v_α on the pathways' shared "
            "singular vectors, (n_paths, r)", closed_form=False, gated=True),
)
REGISTRY = {readout.name: readout for readout in BUILT_IN}
NAMES = tuple(REGISTRY)
CLOSED_FORM = tuple(readout.name for readout in BUILT_IN if readout.closed_form)


def resolve(record, *, closed_form: bool = False) -> tuple[Readout, ...]:
    """The read-outs named or given in ``record`` (names, functions of the weights, `Readout`
    objects, or one of them alone), without repeats, in order.

    Args:
        closed_form: only those `semjax.theory.trajectory` can give.

    Raises:
        ValueError, TypeError: an unknown name (the message lists the known ones), a function
            without a usable name, two read-outs of one name, an empty record.
    """
    if isinstance(record, (str, Readout)) or callable(record):
        record = (record,)
    if not isinstance(record, Sequence) or isinstance(record, str):
        raise TypeError(f"record must be a sequence of read-out names (e.g. ('modes', 'loss')) "
                        f"or functions of the weights; got {record!r}.")
    allowed = CLOSED_FORM if closed_form else NAMES
    readouts = {}
    for item in record:
        if isinstance(item, str):
            if item not in allowed:
                raise ValueError(f"record must be one of {', '.join(map(repr, allowed))}"
                                 f"{'' if closed_form else ', or a function of the weights'}; "
                                 f"got {item!r}.")
            readout = REGISTRY[item]
        elif closed_form:
            raise ValueError(f"record: a closed form records only {', '.join(allowed)}; got "
                             f"{item!r}.")
        else:
            readout = item if isinstance(item, Readout) else Readout.of_weights(item)
        if readout.name in readouts and readouts[readout.name] is not readout:
            raise ValueError(f"record has two read-outs named {readout.name!r}.")
        readouts[readout.name] = readout
    if not readouts:
        raise ValueError("record must name at least one read-out, e.g. record=('modes',).")
    return tuple(readouts.values())


def is_task_dependent(name: str) -> bool:
    """Whether the field ``name`` is read against the task (False for read-outs of the
    weights, built-in or the user's)."""
    return name in REGISTRY and REGISTRY[name].task_dependent
