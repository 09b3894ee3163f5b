"""`simulate`: gradient flow of deep linear networks, batched over seeds and init scales — a
thin host wrapper (validation, keys, initialisation, batch axes, `Trajectory`) over the pure
core `semjax.dynamics.integrate`."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.dynamics import _core, _runs
from semjax.dynamics._steppers import INTEGRATORS, GradientFlow
from semjax.task import Task
from semjax.trajectory import Trajectory

KERNELS = ("auto", "tiled", "reference")


def simulate(task: Task, *, hidden=None, depth: int = 2, t_max=None, n_steps=None, dt,
             init="gaussian", init_scale=None, lam: float = 0.0, n_seeds=None, keys=None,
             key=0, method: str = "euler", record: Sequence[str] = ("modes", "loss"),
             record_every: int = 1, dtype=None, kernel: str = "auto",
             devices=None, throw: bool = True, activation="linear",
             bias: bool = False, progress: bool = False) -> Trajectory:
    """Integrate gradient flow of deep networks on a task, batched over seeds and scales.

    Every run solves τ dW_l/dt = −∂L/∂W_l (conventions in `semjax.task`) with a fixed-step
    integrator, in correlation form for deep linear networks and on the task's items for
    nonlinear ones (``activation``) or networks with biases; all runs go through one
    compiled `lax.scan` (`semjax.dynamics.integrate`), with
    the run axis spread over every local device, and changing ``dt``, ``init_scale``, ``lam``
    or the keys reuses that compilation.

    Time axis: with one ``dt``, ``t`` is the time in units of τ (t = step · dt,
    ``info["time_unit"] == "tau"``). With a sequence of dt the runs have different time grids,
    so ``t`` is the step index itself (``info["time_unit"] == "step"``) and each run's time is
    ``step · coords["dt"]``, as for `semjax.train`'s learning-rate axis.

    Args:
        task: the `Task` (Σyx, Σx), or a `semjax.Schedule` of tasks trained on one after
            another in the same compiled call (its durations set the run: leave ``n_steps``
            and ``t_max`` out; ``record_every`` must divide every phase's steps). Read-outs
            are then recorded against every task (`semjax.Trajectory`, ``phase``).
        hidden: hidden width (int) or one width per hidden layer; None for ``depth=1``.
        depth: number of weight matrices L (1 = shallow, 2 = the paper's deep net).
        t_max: final time in units of τ (one dt only): the run takes ceil(t_max/dt) steps. Or give
        n_steps: the number of integration steps instead (needed with a sequence of dt).
        dt: step size in units of τ (Euler: the learning rate of full-batch gradient descent),
            or a 1-D sequence of them: a leading "dt" batch axis (before "lam"), traced, so
            the dt × λ × scale × seed grid is one compilation; every run takes ``n_steps``
            steps of its own dt. Not with a `semjax.Schedule` (its durations need one dt).
        init: an initialiser name ("gaussian", "uniform", "orthogonal", "aligned",
            "lambda_balanced"; meanings of ``init_scale`` in `semjax.dynamics.initialise`) or
            explicit weights ``(W_1, ..., W_L)``, each (n_l, n_{l-1}) or (n_runs, n_l, n_{l-1}).
        init_scale: a number or a sequence of numbers (adds a leading "scale" batch axis).
        lam: λ of λ-balanced starts (W_2ᵀW_2 − W_1W_1ᵀ = λI), for depth 2; a sequence adds a
            leading "lam" batch axis (before "scale"), traced: the λ × scale × seed grid of
            the lazy → rich sweeps is one compilation.
        n_seeds: number of random seeds (default 1); seed i uses fold_in(key, i).
        keys: explicit per-seed PRNG keys instead of ``n_seeds``.
        key: base PRNG key or int seed.
        method: "euler" (the seed's scheme) or "rk4".
        record: fields to record, from "modes", "loss", "product" (linear chains),
            "outputs", "hidden_gram", "singular_values", "weights" (`semjax.Trajectory`;
            defined for any network through its outputs on the items).
        record_every: record every this many steps (t = 0 is always recorded); must divide
            ``n_steps``; with ``t_max`` the run is rounded up to whole records.
        dtype: "float32" (default; float64 when explicit weights are float64) or "float64"
            (needs jax_enable_x64).
        kernel: "auto" (default; a static rule, `semjax.dynamics._core.choose_backend`:
            the batch-last "tiled" CPU backend for the paper's small networks, else
            "reference"), "tiled" or "reference" (`jax.vmap` of the core). Both give the
            same trajectories up to rounding; ``info["kernel"]`` says which ran. On a CPU a
            seed gives bitwise the same result alone and inside any batch, on either backend
            (on accelerators, up to rounding).
        devices: spread the runs over this many of `jax.local_devices()` (default: all; on a CPU,
            one device per core, see `semjax`); bitwise the same result on any number.
        throw: raise `SimulationDiverged` (a FloatingPointError carrying the whole batch) when
            any run is not finite; False returns the trajectory with ``finite`` flags. Runs
            that stay finite but end with a larger loss than they started with (a step past
            the stability limit) give an `UnstableRunWarning`.
        activation: "linear" (default), "tanh", "relu" or a callable φ applied elementwise
            between layers; anything but "linear" trains on the task's items (the task must
            come from items, e.g. `Task.from_dataset`). The closed forms of `semjax.theory`
            stay those of the linear network.
        bias: give every layer a bias, starting at zero (`semjax.dynamics.Network`: it is
            the last column of the layer's weight matrix in ``init`` and recorded weights).
        progress: show a progress bar on stderr, in integration steps with their rate and
            the time left, when the run is long enough to take several compiled calls
            (`semjax.dynamics._runs.SEGMENT_WORK`); the results are the same either way.

    Returns:
        A `Trajectory` with batch axes ("dt",)? + ("lam",)? + ("scale",)? + ("seed",): "dt"
        for a sequence of dt, "lam" for a sequence of λ, "scale" for a sequence of scales;
        for an explicit init, "dt" (if any) then those of the explicit weights. ``t`` as
        described above.

    Raises:
        ValueError, TypeError: bad arguments (checked on the host, before compiling).
        MemoryError: the records cannot fit in the memory available.
        SimulationDiverged: a run diverged and ``throw`` is True.
    """
    run_plan = _runs.plan(task)
    task = run_plan.task
    dtype = _runs.resolve_dtype(dtype, None if isinstance(init, str) else init)
    shapes = _runs.task_shapes(task, hidden, depth)
    dts, dt_axis = _step_sizes(dt, run_plan, n_steps, t_max)
    single_dt = None if dt_axis else float(dts[0])
    _validation.choice("method", method, tuple(INTEGRATORS))
    _validation.choice("kernel", kernel, KERNELS)
    record, record_every, n_records, phases = _runs.timeline(run_plan, single_dt, n_steps,
                                                             t_max, record, record_every)
    outer = (("dt", dts),) if dt_axis else ()
    _runs.check_memory(_runs.count_runs(init, init_scale, keys, n_seeds, outer, lam), n_records,
                       record, shapes, task, dtype)
    net = _runs.network(activation, bias)
    objective = _runs.plan_objective(run_plan, net, None, False, dtype, record)
    batch = _runs.initial_batch(task, shapes, init, init_scale, lam, key, keys, n_seeds, dtype,
                                outer_axes=outer, bias=net.bias)

    stepper = GradientFlow(method)
    per_run_dt = np.repeat(dts, batch.n_runs // len(dts))
    states = _core.TrainState(batch.weights, jnp.asarray(per_run_dt, dtype))
    backend = _runs.backend(kernel, shapes, task, dtype, objective)
    config = _core.CoreConfig(stepper=stepper, record=record, record_every=record_every,
                              n_records=n_records, phases=phases)
    labels, schedule_info = _runs.plan_labels(run_plan, phases)
    records, _, summary, n_devices = _runs.execute(
        states, objective, config, backend, dtype, _runs.device_count(devices),
        progress=progress)
    records_at = np.arange(n_records + 1)
    info = {"depth": len(shapes), "hidden": [s[0] for s in shapes[:-1]],
            "dt": dts.tolist() if dt_axis else single_dt,
            "time_unit": "step" if dt_axis else "tau",
            "method": method, "record_every": record_every, "dtype": np.dtype(dtype).name,
            "n_steps": n_records * record_every, "source": "semjax.simulate",
            "task_s": task.s.tolist(),
            "kernel": {"vmap": "reference"}.get(backend, backend), "devices": n_devices,
            **_runs.network_info(net), **schedule_info}
    t = record_every * records_at if dt_axis else single_dt * record_every * records_at
    return _runs.to_trajectory(
        batch, records, summary, t=t, phase=labels, record=record, info=info, throw=throw,
        hint=f"Reduce dt (now {info['dt']}) or init_scale.")


def initial_weights(task: Task, *, hidden=None, depth: int = 2, init="gaussian",
                    init_scale=None, lam=0.0, n_seeds=None, keys=None, key=0, dtype=None,
                    bias: bool = False) -> tuple:
    """The starting weights that `simulate` (and `semjax.train`) draw for the same arguments,
    without running anything.

    Seed i starts from ``fold_in(key, i)`` whatever else the call does, so these are exactly
    the weights at t = 0 of a run with the same task, widths, ``init``, ``init_scale``,
    ``lam``, seeds and dtype. Their use is the comparison of small random starts with the
    closed form through the effective initial strength (docs/theory.md §2.2):
    ``theory.effective_a0(task, initial_weights(task, ...))``.

    Args:
        task: the `Task` (or the `semjax.Schedule` whose first task sets the shapes).
        hidden, depth, init, init_scale, lam, n_seeds, keys, key, dtype, bias: as in
            `simulate`.

    Returns:
        A tuple (W_1, ..., W_L), each (*batch, n_l, n_{l−1}) with the batch axes `simulate`
        would return: ("lam",)? + ("scale",)? + ("seed",) (with ``bias``, each layer carries
        its zero bias column last).

    Raises:
        ValueError, TypeError: bad arguments, as `simulate` names them.
    """
    task = _runs.plan(task).task
    dtype = _runs.resolve_dtype(dtype, None if isinstance(init, str) else init)
    shapes = _runs.task_shapes(task, hidden, depth)
    net = _runs.network("linear", bias)
    batch = _runs.initial_batch(task, shapes, init, init_scale, lam, key, keys, n_seeds, dtype,
                                bias=net.bias)
    return tuple(batch.unflatten(w) for w in batch.weights)


def _step_sizes(dt, run_plan: _runs.Plan, n_steps, t_max) -> tuple[np.ndarray, bool]:
    """(dt values as a 1-D array, whether they form a "dt" batch axis): one number keeps the
    time in units of τ; a sequence is an axis, whose runs all take ``n_steps`` steps.

    Raises:
        TypeError, ValueError: dt is not a finite number > 0 or a non-empty 1-D sequence of
            them; a sequence of dt with t_max (or without n_steps), or with a Schedule.
    """
    sequence = (isinstance(dt, (Sequence, np.ndarray, jax.Array)) and not isinstance(dt, str)
                and getattr(dt, "ndim", 1) > 0)
    if not sequence:
        return np.array([_validation.positive_float("dt", dt)]), False
    try:
        values = np.asarray(dt, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if (values is None or values.ndim != 1 or values.size == 0
            or not np.all(np.isfinite(values)) or np.any(values <= 0)):
        raise ValueError(f"dt must be a finite number > 0 or a non-empty 1-D sequence of them "
                         f"(a \"dt\" batch axis), e.g. dt=[0.01, 0.05]; got {dt!r}.")
    if run_plan.schedule is not None:
        raise ValueError("a Schedule turns its durations (in units of τ) into steps with one dt: "
                         "give one dt, or make one call per dt.")
    if t_max is not None or n_steps is None:
        raise ValueError("a sequence of dt needs n_steps, not t_max: runs with different dt "
                         "reach different times in the same number of steps. Give n_steps (t is "
                         "then the step index), or make one call per dt with t_max.")
    return values, True
