"""`train`: finite learning rates, optax optimisers and online (minibatch) SGD on the same core
and with the same inputs and `Trajectory` as `simulate`.

Time axis (the one place this mapping is set): a step of gradient descent with learning rate η
on the loss of `semjax.task` is an Euler step of size η of gradient flow in units of τ, so the
trajectory's time is t = step · η (docs/theory.md §1.3; ``Trajectory.step`` holds the step index).
For adaptive optimisers (Adam, ...) t = step · η is only a label; read ``step``. With a sequence
of learning rates the runs have different time grids, so ``t`` is the step index itself
(``info["time_unit"] == "step"``) and each run's time is ``step · coords["learning_rate"]``:
`Trajectory.on_times` puts the runs on one time axis, ``run.select(learning_rate=η)`` one run,
and ``semjax.compare(runs, flow, t=...)`` compares them with gradient flow.
"""

from __future__ import annotations

from semjax.dynamics import _runs, _spec
from semjax.trajectory import Trajectory


@_spec.entry_point("train")
def train(*args, **arguments) -> Trajectory:
    """Train deep networks with an optax optimiser, batched over learning rates, init
    scales and seeds in one compilation.

    The loss is the task's (conventions in `semjax.task`), full batch in correlation form, or
    on minibatches of the task's items. ``train(optimizer=optax.sgd(η))`` on the full batch is
    `simulate(method="euler", dt=η)`. Building a new optax object for every call recompiles;
    pass the factory with ``learning_rate=``, or reuse the object.

    Args:
        **arguments: its options, as declared (generated on import).

    Returns:
        A `Trajectory` with batch axes ("learning_rate",)? + ("lam",)? + ("scale",)? +
        ("seed",), ``t`` as described in this module's docstring and ``step`` the step index
        of each record.

    Raises:
        ValueError, TypeError: bad arguments (checked on the host, before compiling).
        MemoryError: the records cannot fit in the memory available.
        SimulationDiverged: a run diverged and ``throw`` is True.

    Examples:
        Gradient descent at two learning rates in one compiled call. ``t`` then counts steps,
        and step k of learning rate η is at time kη (in units of τ):

        >>> import numpy as np
        >>> import optax
        >>> import semjax
        >>> from semjax import datasets
        >>> task = semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
        >>> run = semjax.train(task, hidden=16, init_scale=1e-3, n_seeds=4,
        ...                    optimizer=optax.sgd, learning_rate=[0.05, 0.1], n_steps=160,
        ...                    record_every=4)
        >>> run.batch_axes, run.modes.shape          # (learning_rate, seed, time, mode)
        (('learning_rate', 'seed'), (2, 4, 41, 4))
        >>> run.coords["learning_rate"] * run.step[-1]     # the time each rate reached
        array([ 8., 16.])
        >>> np.median(run.modes[:, :, -1], axis=1).astype(float).round(2)  # final strengths
        array([[2.65, 1.73, 0.98, 0.98],
               [2.65, 1.73, 1.  , 1.  ]])
    """
    return _runs.run(_spec.RunSpec.build("train", *args, **arguments))
