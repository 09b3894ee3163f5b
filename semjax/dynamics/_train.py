"""`train`: finite learning rates, optax optimisers and online (minibatch) SGD on the same core
and with the same inputs and `Trajectory` as `simulate`.

Time axis (the one place this mapping is set): a step of gradient descent with learning rate η
on the loss of `semjax.task` is an Euler step of size η of gradient flow in units of τ, so the
trajectory's time is t = step · η (docs/theory.md §1.3; ``Trajectory.step`` holds the step index).
For adaptive optimisers (Adam, ...) t = step · η is only a label; read ``step``. With a sequence
of learning rates the runs have different time grids, so ``t`` is the step index itself
(``info["time_unit"] == "step"``) and each run's time is ``step · coords["learning_rate"]``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from semjax.dynamics import _core, _runs
from semjax.dynamics._steppers import Optax
from semjax.task import Task
from semjax.trajectory import Trajectory


@functools.lru_cache(maxsize=64)
def _injected(factory: Callable) -> optax.GradientTransformation:
    """``inject_hyperparams(factory)`` built once per factory, so that one compilation serves
    every learning rate (the rate itself is set in each run's optimiser state)."""
    transformation = optax.inject_hyperparams(factory)(learning_rate=0.0)
    if "learning_rate" not in transformation.init(jnp.zeros(1)).hyperparams:
        raise ValueError("optimizer must take a learning_rate argument (e.g. optax.sgd, "
                         "optax.adam) to be given with learning_rate=.")
    return transformation


def _learning_rates(learning_rate) -> tuple[np.ndarray | None, bool]:
    """(rates, is_axis): the learning rate(s) as a 1-D array, and whether they form an axis."""
    if learning_rate is None:
        return None, False
    rates = np.atleast_1d(np.asarray(learning_rate, dtype=np.float64))
    if rates.ndim != 1 or not np.all(np.isfinite(rates)) or np.any(rates <= 0):
        raise ValueError(f"learning_rate must be a finite number > 0 or a 1-D sequence of them; "
                         f"got {learning_rate!r}.")
    return rates, np.ndim(learning_rate) > 0


def _stepper(optimizer, rates) -> Optax:
    if isinstance(optimizer, optax.GradientTransformation):
        if rates is not None and len(rates) > 1:
            raise ValueError("a sequence of learning rates needs an optax factory, e.g. "
                             "optimizer=optax.sgd, learning_rate=[0.01, 0.1]; a built "
                             "GradientTransformation has its learning rate inside.")
        return Optax(optimizer)
    if callable(optimizer):
        if rates is None:
            raise ValueError("optimizer is a factory (e.g. optax.sgd): give learning_rate= too, "
                             "or pass a built transformation such as optax.sgd(0.1).")
        return Optax(_injected(optimizer), injected=True)
    raise TypeError(f"optimizer must be an optax GradientTransformation (e.g. optax.adam(1e-3)) "
                    f"or a factory such as optax.sgd; got {optimizer!r}.")


def train(task: Task, *, optimizer, learning_rate=None, batch_size=None, replace: bool = False,
          hidden=None, depth: int = 2, n_steps=None, t_max=None, init="gaussian",
          init_scale=None, lam: float = 0.0, n_seeds=None, keys=None, key=0,
          record: Sequence[str] = ("modes", "loss"), record_every: int = 1, dtype=None,
          devices=None, throw: bool = True, activation="linear",
          bias: bool = False, progress: bool = False) -> Trajectory:
    """Train deep networks with an optax optimiser, batched over learning rates, init
    scales and seeds in one compilation.

    The loss is the task's (conventions in `semjax.task`), full batch in correlation form, or
    on minibatches of the task's items. ``train(optimizer=optax.sgd(η))`` on the full batch is
    `simulate(method="euler", dt=η)`.

    Args:
        task: the `Task`, or a `semjax.Schedule` (as in `semjax.simulate`; durations are
            turned into steps with the one learning rate, t = step · η).
        optimizer: an optax `GradientTransformation` (e.g. ``optax.adam(1e-3)``), or a factory
            with a ``learning_rate`` argument (e.g. ``optax.sgd``, or
            ``functools.partial(optax.sgd, momentum=0.9)``) together with ``learning_rate``;
            the factory is wrapped in `optax.inject_hyperparams` so rates are traced.
        learning_rate: η, a number or a sequence (a leading "learning_rate" batch axis). With a
            built transformation it only sets the time axis t = step · η.
        batch_size: None (full batch) or k items per step, drawn from each run's key.
        replace: draw minibatches with replacement (default: k distinct items per step).
        hidden: as in `semjax.simulate`, and so are ``depth``, ``init``, ``init_scale``,
            ``lam``, ``n_seeds``, ``keys``, ``key``, ``record``, ``dtype``, ``throw``,
            ``activation`` and ``bias``. Seed i's key draws its initial weights and its
            minibatches.
        n_steps: the number of optimiser steps, or
        t_max: the final time, in units of τ (needs one learning rate: steps = ceil(t_max/η)).
        record_every: record every this many steps; must divide the number of steps.
        devices: spread the runs over this many of `jax.local_devices()` (default: all).
        progress: show a progress bar on stderr with the time left, when the run takes
            several compiled calls (as in `semjax.simulate`).

    Returns:
        A `Trajectory` with batch axes ("learning_rate",)? + ("scale",)? + ("seed",), ``t`` as
        described in this module's docstring and ``step`` the step index of each record.

    Raises:
        ValueError, TypeError: bad arguments (checked on the host, before compiling).
        MemoryError: the records cannot fit in the memory available.
        SimulationDiverged: a run diverged and ``throw`` is True.
    """
    run_plan = _runs.plan(task)
    task = run_plan.task
    dtype = _runs.resolve_dtype(dtype, None if isinstance(init, str) else init)
    shapes = _runs.task_shapes(task, hidden, depth)
    rates, rate_axis = _learning_rates(learning_rate)
    stepper = _stepper(optimizer, rates)
    single_rate = None if rates is None or rate_axis else float(rates[0])
    record, record_every, n_records, phases = _runs.timeline(run_plan, single_rate, n_steps,
                                                             t_max, record, record_every)
    net = _runs.network(activation, bias)
    objective = _runs.plan_objective(run_plan, net, batch_size, replace, dtype, record)
    outer = (("learning_rate", rates),) if rate_axis else ()
    _runs.check_memory(_runs.count_runs(init, init_scale, keys, n_seeds, outer, lam), n_records,
                       record, shapes, task, dtype)
    batch = _runs.initial_batch(task, shapes, init, init_scale, lam, key, keys, n_seeds, dtype,
                                outer_axes=outer, bias=net.bias)

    per_run_rate = np.repeat(rates, batch.n_runs // len(rates)) if rates is not None else (
        np.zeros(batch.n_runs))
    stepper_states = jax.vmap(stepper.init)(batch.weights, jnp.asarray(per_run_rate, dtype))
    run_keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(batch.keys)
    states = _core.TrainState(batch.weights, stepper_states,
                              run_keys if objective.stochastic else None)
    config = _core.CoreConfig(stepper=stepper, record=record, record_every=record_every,
                              n_records=n_records, phases=phases)
    labels, schedule_info = _runs.plan_labels(run_plan, phases)
    backend = _runs.backend("auto", shapes, task, dtype, objective)
    records, _, summary, n_devices = _runs.execute(
        states, objective, config, backend, dtype, _runs.device_count(devices),
        progress=progress)
    step = record_every * np.arange(n_records + 1)
    time_unit = "tau" if single_rate is not None else "step"
    info = {"depth": len(shapes), "hidden": [s[0] for s in shapes[:-1]],
            "optimizer": getattr(optimizer, "__name__", type(optimizer).__name__),
            "learning_rate": None if rates is None else rates.tolist(),
            "batch_size": batch_size, "replace": bool(replace), "time_unit": time_unit,
            "record_every": record_every, "dtype": np.dtype(dtype).name,
            "n_steps": n_records * record_every,
            "source": "semjax.train", "task_s": task.s.tolist(),
            "kernel": {"vmap": "reference"}.get(backend, backend),
            "devices": n_devices, **_runs.network_info(net), **schedule_info}
    return _runs.to_trajectory(
        batch, records, summary, t=step * single_rate if single_rate is not None else step,
        step=step, phase=labels, record=record, info=info, throw=throw,
        hint="Reduce the learning rate (see semjax.theory.gd_stability_bound) or init_scale.")
