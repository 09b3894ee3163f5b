"""Large seed sweeps: chunked, with progress, resumable, in bounded memory.

`sweep` runs `semjax.simulate` on chunks of seeds and writes each chunk into preallocated
arrays, so a sweep's peak memory is its result plus one chunk's working set. Seed i uses
``fold_in(key, i)`` exactly as in `simulate`, so a sweep equals one big `simulate` call,
whatever the chunk size. With ``checkpoint_dir`` every finished chunk is saved, and a rerun
loads the chunks already there instead of recomputing them.
"""

from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.dynamics import SimulationDiverged, simulate
from semjax.trajectory import Trajectory


def sweep(task, *, n_seeds: int, key=0, chunk_size: int = 65536, checkpoint_dir=None,
          progress: bool = True, throw: bool = True, **simulate_arguments) -> Trajectory:
    """`simulate` for many seeds, in chunks of ``chunk_size`` seeds.

    Args:
        task: the `Task`.
        n_seeds: total number of seeds.
        key: base PRNG key or int seed (seed i uses fold_in(key, i)).
        chunk_size: seeds per chunk (the memory/speed trade-off).
        checkpoint_dir: folder for finished chunks (``chunk_<k>.npz``); existing ones are
            loaded, so an interrupted sweep resumes where it stopped.
        progress: show a progress bar.
        throw: raise `SimulationDiverged` after the sweep if any run diverged (the exception
            carries the whole sweep); False returns it with the ``finite`` flags.
        **simulate_arguments: the other arguments of `simulate` (a named ``init``, not
            explicit weights; ``init_scale`` may be a sequence).

    Returns:
        The same `Trajectory` as ``simulate(task, n_seeds=n_seeds, key=key, ...)``.
    """
    n_seeds = _validation.positive_int("n_seeds", n_seeds)
    chunk_size = _validation.positive_int("chunk_size", chunk_size)
    for name in ("keys", "throw"):
        if name in simulate_arguments:
            raise ValueError(f"sweep sets {name} itself; pass key= and n_seeds= instead.")
    if not isinstance(simulate_arguments.get("init", "gaussian"), str):
        raise ValueError("sweep needs a named init (random starts drawn per seed).")
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        key = jax.random.key(int(key))
    key = _validation.prng_key("key", key)
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

    from tqdm.auto import tqdm
    n_chunks = math.ceil(n_seeds / chunk_size)
    result = None
    for chunk in tqdm(range(n_chunks), desc="sweep", unit="chunk", disable=not progress):
        start, stop = chunk * chunk_size, min(n_seeds, (chunk + 1) * chunk_size)
        path = None if folder is None else folder / f"chunk_{chunk}.npz"
        if path is not None and path.exists():
            part = Trajectory.load(path)
        else:
            keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(start, stop))
            part = simulate(task, keys=keys, throw=False, **simulate_arguments)
            if path is not None:
                part.save(path)
        result = _allocate(part, n_seeds) if result is None else result
        _write(result, part, start, stop)
    trajectory = Trajectory.create(
        t=result["t"], finite=result["finite"], batch_axes=result["batch_axes"],
        coords=result["coords"] | {"seed": np.arange(n_seeds)},
        info=result["info"] | {"chunk_size": chunk_size}, **result["fields"])
    if throw and trajectory.failed:
        failed = trajectory.failed
        raise SimulationDiverged(
            f"{len(failed)} runs of the sweep diverged (inf/NaN): "
            f"{trajectory.describe_runs(failed[:10])}{' ...' if len(failed) > 10 else ''}. "
            "The whole sweep is on this exception's .trajectory.", trajectory)
    return trajectory


def _allocate(part: Trajectory, n_seeds: int) -> dict:
    """Preallocated arrays for the whole sweep, shaped like ``part`` with n_seeds seeds."""
    seed_axis = part.batch_axes.index("seed")

    def empty(array):
        shape = list(np.shape(array))
        shape[seed_axis] = n_seeds
        return np.empty(shape, dtype=np.asarray(array).dtype)

    fields = {name: empty(getattr(part, name)) for name in
              ("modes", "loss", "product", "hidden_gram", "singular_values")
              if getattr(part, name) is not None}
    if part.weights is not None:
        fields["weights"] = tuple(empty(w) for w in part.weights)
    return {"t": part.t, "finite": empty(part.finite), "batch_axes": part.batch_axes,
            "coords": {k: v for k, v in part.coords.items() if k != "seed"},
            "info": part.info, "fields": fields, "seed_axis": seed_axis}


def _write(result: dict, part: Trajectory, start: int, stop: int) -> None:
    """Copy one chunk into the preallocated arrays along the seed axis."""
    index = [slice(None)] * (result["seed_axis"] + 1)
    index[result["seed_axis"]] = slice(start, stop)
    index = tuple(index)
    result["finite"][index] = part.finite
    for name, array in result["fields"].items():
        if name == "weights":
            for target, source in zip(array, part.weights):
                target[index] = source
        else:
            array[index] = getattr(part, name)
