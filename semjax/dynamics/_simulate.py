"""`simulate`: validate on the host, initialise, integrate in one compiled call, return a
Trajectory."""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.dynamics import _kernel, _network
from semjax.dynamics._initialisation import INIT_NAMES
from semjax.dynamics._integrators import INTEGRATORS
from semjax.task import Task, require_task
from semjax.trajectory import Trajectory


class SimulationDiverged(FloatingPointError):
    """Raised when runs of a simulation produced inf/NaN.

    Attributes:
        trajectory: the whole batch, finite runs intact, ``finite`` False for the failed ones.
        failed: batch indices of the failed runs.
    """

    def __init__(self, message: str, trajectory: Trajectory):
        super().__init__(message)
        self.trajectory = trajectory
        self.failed = trajectory.failed


def _resolve_dtype(dtype):
    if dtype is None:
        return jnp.float32
    name = np.dtype(dtype).name
    _validation.choice("dtype", name, ("float32", "float64"))
    if name == "float64" and not jax.config.jax_enable_x64:
        raise ValueError('dtype="float64" needs 64-bit JAX: call '
                         'jax.config.update("jax_enable_x64", True) before creating arrays.')
    return jnp.dtype(name)


def _hidden_widths(hidden, depth: int) -> tuple[int, ...]:
    depth = _validation.positive_int("depth", depth)
    if depth == 1:
        if hidden not in (None, (), []):
            raise ValueError(f"hidden must be None for depth=1 (a shallow net has no hidden "
                             f"layer); got {hidden!r}.")
        return ()
    if hidden is None:
        raise ValueError(f"hidden is required for depth={depth}: give the hidden width, e.g. "
                         "hidden=16, or one width per hidden layer.")
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        return (_validation.positive_int("hidden", hidden),) * (depth - 1)
    widths = tuple(_validation.positive_int("hidden", h) for h in hidden)
    if len(widths) != depth - 1:
        raise ValueError(f"hidden must give {depth - 1} widths for depth={depth}; got {widths}.")
    return widths


def _number_of_steps(t_max, n_steps, dt: float) -> int:
    if (t_max is None) == (n_steps is None):
        raise ValueError("give exactly one of t_max (final time, in units of τ) or n_steps.")
    if n_steps is not None:
        return _validation.positive_int("n_steps", n_steps)
    t_max = _validation.positive_float("t_max", t_max)
    return max(1, math.ceil(t_max / dt - 1e-9))


def _as_keys(key, keys, n_seeds):
    """Per-seed keys: ``keys`` as given, else fold_in(key, i) for i < n_seeds (so seed i's
    weights do not depend on how many seeds run alongside it)."""
    if keys is not None:
        if n_seeds is not None:
            raise ValueError("give n_seeds or keys, not both.")
        keys = jnp.asarray(keys) if not isinstance(keys, jax.Array) else keys
        if not jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
            if keys.dtype != jnp.uint32 or keys.ndim != 2:
                raise TypeError("keys must be an array of jax PRNG keys, e.g. "
                                "jax.random.split(jax.random.key(0), 8).")
            keys = jax.random.wrap_key_data(keys)
        if keys.ndim != 1:
            raise ValueError(f"keys must be a 1-D array of keys; got shape {keys.shape}.")
        return keys
    n_seeds = _validation.positive_int("n_seeds", 1 if n_seeds is None else n_seeds)
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        key = jax.random.key(int(key))
    key = _validation.prng_key("key", key)
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(n_seeds))


def _task_bases(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """Full orthonormal bases (N3×N3, N1×N1) whose first r columns are the task's U and V."""
    U_full, _, Vt_full = np.linalg.svd(task.checked.sigma_yx, full_matrices=True)
    U, _, V = task.modes
    V_full = Vt_full.T
    U_full[:, :U.shape[1]] = U
    V_full[:, :V.shape[1]] = V
    return U_full, V_full


def _explicit_weights(init, shapes, dtype):
    """Validate user-given initial weights; returns (batched weights, batch_axes)."""
    if len(init) != len(shapes):
        raise ValueError(f"init gives {len(init)} weight matrices; this network has {len(shapes)} "
                         f"layers with shapes {shapes}.")
    arrays = [np.asarray(w, dtype=np.float64) for w in init]
    batched = arrays[0].ndim == 3
    for layer, (array, shape) in enumerate(zip(arrays, shapes)):
        if array.shape[-2:] != shape or array.ndim != (3 if batched else 2):
            raise ValueError(f"init[{layer}] must have shape {shape} (or (n_runs, *{shape}) for a "
                             f"batch); got {array.shape}.")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"init[{layer}] contains non-finite values.")
    if batched and len({a.shape[0] for a in arrays}) != 1:
        raise ValueError("init: every batched weight matrix needs the same leading batch size.")
    weights = tuple(jnp.asarray(a if batched else a[None], dtype=dtype) for a in arrays)
    return weights, (("seed",) if batched else ())


def _check_lambda(init: str, lam: float, shapes) -> None:
    if lam != 0 and (len(shapes) != 2 or init not in ("aligned", "lambda_balanced")):
        raise ValueError(f"lam={lam} applies to depth=2 with init='aligned' or "
                         f"'lambda_balanced'; got init={init!r} with depth={len(shapes)}.")
    if len(shapes) == 2:
        (n_hidden, n_in), (n_out, _) = shapes
        if lam > 0 and n_hidden > n_out:
            raise ValueError(f"lam={lam} > 0 needs hidden ≤ N3={n_out} (W2ᵀW2 = W1W1ᵀ + λI must "
                             f"be reachable); got hidden={n_hidden}. Use lam ≤ 0 or a smaller "
                             "hidden width.")
        if lam < 0 and n_hidden > n_in:
            raise ValueError(f"lam={lam} < 0 needs hidden ≤ N1={n_in}; got hidden={n_hidden}. "
                             "Use lam ≥ 0 or a smaller hidden width.")
    if init == "lambda_balanced" and len(shapes) != 2:
        raise ValueError(f"init='lambda_balanced' is defined for depth=2; got depth={len(shapes)}.")


def simulate(task: Task, *, hidden=None, depth: int = 2, t_max=None, n_steps=None, dt,
             init="gaussian", init_scale=None, lam: float = 0.0, n_seeds=None, keys=None,
             key=0, method: str = "euler", record: Sequence[str] = ("modes", "loss"),
             record_every: int = 1, dtype=None, kernel: str = "auto", workers=None,
             throw: bool = True) -> Trajectory:
    """Integrate gradient flow of deep linear networks on a task, batched over seeds and scales.

    Every run solves τ dW_l/dt = −∂L/∂W_l (conventions in `semjax.task`) with a fixed-step
    integrator; all runs of the batch go through one compiled `lax.scan` inside `jax.vmap`, and
    changing ``dt``, ``init_scale``, ``lam`` or the keys reuses that compilation.

    Args:
        task: the `Task` (Σyx, Σx).
        hidden: hidden width (int) or one width per hidden layer; None for ``depth=1``.
        depth: number of weight matrices L (1 = shallow, 2 = the paper's deep net).
        t_max: final time in units of τ; the run takes ceil(t_max/dt) steps. Or give
        n_steps: the number of integration steps instead.
        dt: step size in units of τ (Euler: the learning rate of full-batch gradient descent).
        init: an initialiser name ("gaussian", "uniform", "orthogonal", "aligned",
            "lambda_balanced"; meanings of ``init_scale`` in `semjax.dynamics.initialise`) or
            explicit weights ``(W_1, ..., W_L)``, each (n_l, n_{l-1}) or (n_runs, n_l, n_{l-1}).
        init_scale: a number or a sequence of numbers (adds a leading "scale" batch axis).
        lam: λ of λ-balanced starts (W_2ᵀW_2 − W_1W_1ᵀ = λI), for depth 2.
        n_seeds: number of random seeds (default 1); seed i uses fold_in(key, i).
        keys: explicit per-seed PRNG keys instead of ``n_seeds``.
        key: base PRNG key or int seed.
        method: "euler" (the seed's scheme) or "rk4".
        record: fields to record, from "modes", "loss", "product", "hidden_gram",
            "singular_values", "weights".
        record_every: record every this many steps (t = 0 is always recorded).
        dtype: "float32" (default) or "float64" (needs jax_enable_x64).
        kernel: "auto" (default: "tiled" for small networks such as the paper's, "reference"
            for single runs and widths > 64, and in between the faster of the two, timed once
            per configuration; see `semjax.dynamics._kernel.choose_kernel`), "tiled"
            (runs as the last array axis, in cache-sized tiles spread over worker threads) or
            "reference" (`jax.vmap` of the plain-matrix integrator). All give the same
            trajectories up to floating-point rounding; ``info["kernel"]`` says which ran.
        workers: threads for the tiled kernel (default: one per CPU core).
        throw: raise `SimulationDiverged` (a FloatingPointError carrying the whole batch) when
            any run is not finite; False returns the trajectory with ``finite`` flags.

    Returns:
        A `Trajectory` with batch axes ("scale", "seed") for a sequence of scales, ("seed",)
        for one scale, and those of the explicit weights for an explicit init.

    Raises:
        ValueError, TypeError: bad arguments (checked on the host, before compiling).
        SimulationDiverged: a run diverged and ``throw`` is True.
    """
    checked = require_task(task).checked
    dtype = _resolve_dtype(dtype)
    shapes = _network.layer_shapes(task.n_in, _hidden_widths(hidden, depth), task.n_out)
    dt = _validation.positive_float("dt", dt)
    steps = _number_of_steps(t_max, n_steps, dt)
    _validation.choice("method", method, tuple(INTEGRATORS))
    _validation.choice("kernel", kernel, _kernel.KERNELS)
    if workers is not None:
        workers = _validation.positive_int("workers", workers)
    record = tuple(dict.fromkeys(record))
    for name in record:
        _validation.choice("record", name, _kernel.RECORDABLE)
    record_every = _validation.positive_int("record_every", record_every)
    n_records = math.ceil(steps / record_every)

    coords, info = {}, {}
    if isinstance(init, str):
        _validation.choice("init", init, INIT_NAMES)
        if init_scale is None:
            raise ValueError(f"init={init!r} needs init_scale (e.g. init_scale=1e-3).")
        scales = np.atleast_1d(np.asarray(init_scale, dtype=np.float64))
        if scales.ndim != 1 or not np.all(np.isfinite(scales)) or np.any(scales < 0):
            raise ValueError(f"init_scale must be a finite number ≥ 0 or a 1-D sequence of them; "
                             f"got {init_scale!r}.")
        lam = float(lam)
        _check_lambda(init, lam, shapes)
        seed_keys = _as_keys(key, keys, n_seeds)
        n_scales, n_runs = len(scales), len(seed_keys)
        output_basis, input_basis = (_task_bases(task) if init == "aligned"
                                     else (np.eye(task.n_out), np.eye(task.n_in)))
        weights = _kernel.initialise_batch(
            jnp.tile(seed_keys, n_scales), jnp.asarray(np.repeat(scales, n_runs), dtype=dtype),
            jnp.asarray(lam, dtype=dtype), jnp.asarray(output_basis, dtype=dtype),
            jnp.asarray(input_basis, dtype=dtype), name=init, shapes=shapes)
        scalar_scale = np.ndim(init_scale) == 0
        batch_axes = ("seed",) if scalar_scale else ("scale", "seed")
        batch_shape = (n_runs,) if scalar_scale else (n_scales, n_runs)
        coords = {"seed": np.arange(n_runs)} | ({} if scalar_scale else {"scale": scales})
        info = {"init": init, "init_scale": scales.tolist(), "lam": lam}
    else:
        if init_scale is not None:
            raise ValueError("init_scale applies to named initialisers; explicit weights are used "
                             "as given.")
        weights, batch_axes = _explicit_weights(tuple(init), shapes, dtype)
        batch_shape = weights[0].shape[:1] if batch_axes else ()
        info = {"init": "explicit"}

    U, _, V = task.modes
    arrays = _network.TaskArrays(
        sigma_yx=checked.sigma_yx, sigma_x=checked.sigma_x, target_map=task.target_map,
        readout_left=U, readout_right=checked.sigma_x @ V, inputs=checked.inputs,
        input_scale=np.asarray(task.input_scale or 1.0))
    arrays = _network.TaskArrays(*(jnp.asarray(a, dtype=dtype) for a in arrays))
    config = _kernel.KernelConfig(shapes=shapes, isotropic=task.input_scale is not None,
                                  method=method, record=record, record_every=record_every,
                                  n_records=n_records)
    kernel = _kernel.choose_kernel(kernel, shapes, weights[0].shape[0], dtype)
    records, finite, kernel = _kernel.integrate(weights, arrays, jnp.asarray(dt, dtype=dtype),
                                                config=config, kernel=kernel, workers=workers)

    def unflatten(array):
        return np.asarray(array).reshape((*batch_shape, *np.shape(array)[1:]))

    fields = {name: unflatten(records[name]) for name in record if name != "weights"}
    if "weights" in record:
        fields["weights"] = tuple(unflatten(w) for w in records["weights"])
    info |= {"depth": len(shapes), "hidden": [s[0] for s in shapes[:-1]], "dt": dt,
             "method": method, "record_every": record_every, "dtype": np.dtype(dtype).name,
             "n_steps": n_records * record_every, "source": "semjax.simulate",
             "task_s": task.modes.s.tolist(), "kernel": kernel}
    trajectory = Trajectory.create(
        t=dt * record_every * np.arange(n_records + 1), finite=unflatten(finite),
        coords=coords, batch_axes=batch_axes, info=info, **fields)
    if throw and trajectory.failed:
        failed = trajectory.failed
        raise SimulationDiverged(
            f"{len(failed)} of {int(np.prod(batch_shape, dtype=int))} runs diverged (inf/NaN): "
            f"{trajectory.describe_runs(failed[:10])}{' ...' if len(failed) > 10 else ''}. "
            f"Reduce dt (now {dt}) or init_scale. The whole batch, finite runs intact, is on this "
            "exception's .trajectory; pass throw=False to have it returned.", trajectory)
    return trajectory
