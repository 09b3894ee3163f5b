"""`simulate` and `initial_weights`: gradient flow of deep networks, batched over seeds, init
scales, λ and step sizes — thin entry points to the run specification
(`semjax.dynamics._spec`) and the pure core `semjax.dynamics.integrate`."""

from __future__ import annotations

import numpy as np

from semjax.dynamics import _runs, _spec
from semjax.trajectory import Trajectory


@_spec.entry_point("simulate")
def simulate(*args, **arguments) -> Trajectory:
    """Integrate gradient flow of deep networks on a task, batched over seeds and scales.

    Every run solves τ dW_l/dt = −∂L/∂W_l (conventions in `semjax.task`) with a fixed-step
    integrator, in correlation form for deep linear networks and on the task's items for
    nonlinear ones (``activation``) or networks with biases; all runs go through one
    compiled `lax.scan` (`semjax.dynamics.integrate`), with the run axis spread over every
    local device, and changing ``dt``, ``init_scale``, ``lam`` or the keys reuses that
    compilation.

    Time axis: with one ``dt``, ``t`` is the time in units of τ (t = step · dt,
    ``info["time_unit"] == "tau"``). With a sequence of dt the runs have different time grids,
    so ``t`` is the step index itself (``info["time_unit"] == "step"``) and each run's time is
    ``step · coords["dt"]``, as for `semjax.train`'s learning-rate axis (`Trajectory.on_times`
    puts the runs on one time axis).

    Args:
        **arguments: its options, as declared (generated on import).

    Returns:
        A `Trajectory` with batch axes ("dt",)? + ("lam",)? + ("scale",)? + ("seed",): an axis
        for each of dt, λ and init_scale given as a sequence, and "seed" (for explicit
        weights, only when they carry a run axis). ``t`` as described above.

    Raises:
        ValueError, TypeError: bad arguments (checked on the host, before compiling; every
            message names the argument and the fix).
        MemoryError: the records cannot fit in the memory available.
        SimulationDiverged: a run diverged and ``throw`` is True.

    Examples:
        Deep 4 → 16 → 7 networks from small random weights on the seed's four items learn
        their modes one after another, strongest first (median half-times, in units of τ):

        >>> import numpy as np
        >>> import semjax
        >>> from semjax import analysis, datasets
        >>> task = semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
        >>> run = semjax.simulate(task, hidden=16, init_scale=1e-3, n_seeds=4, dt=0.05,
        ...                       t_max=8, record_every=4)
        >>> run.batch_axes, run.modes.shape                  # (seed, time, mode)
        (('seed',), (4, 41, 4))
        >>> np.median(analysis.crossing_times(run, task.modes.s), axis=0).round(1)
        array([2.6, 3.8, 6.2, 6.1])
    """
    return _runs.run(_spec.RunSpec.build("simulate", *args, **arguments))


@_spec.entry_point("initial_weights")
def initial_weights(*args, **arguments) -> tuple:
    """The starting weights that `simulate` (and `semjax.train`) draw for the same arguments,
    without running anything.

    Seed i starts from ``fold_in(key, i)`` whatever else the call does, so these are exactly
    the weights at t = 0 of a run with the same task, widths, ``init``, ``init_scale``,
    ``lam``, seeds and dtype. Their use is the comparison of small random starts with the
    closed form through the effective initial strength (docs/theory.md §2.2):
    ``theory.effective_a0(task, initial_weights(task, ...))``.

    Args:
        **arguments: its options, as declared (generated on import).

    Returns:
        A tuple (W_1, ..., W_L), each (*batch, n_l, n_{l−1}) with the batch axes `simulate`
        would return: ("lam",)? + ("scale",)? + ("seed",) (with ``bias``, each layer carries
        its zero bias column last).

    Raises:
        ValueError, TypeError: bad arguments, as `simulate` names them.
    """
    spec = _spec.RunSpec.build("initial_weights", *args, **arguments)
    weights, _ = _runs.starts(spec)
    return tuple(np.asarray(w).reshape(*spec.batch_shape, *w.shape[1:]) for w in weights)
