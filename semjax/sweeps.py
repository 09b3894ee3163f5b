"""Large seed sweeps: chunked, with progress, resumable, in bounded memory.

`sweep` runs `semjax.simulate` on chunks of seeds and writes each chunk into preallocated
arrays, so a sweep's peak memory is its result plus one chunk's working set. Seed i uses
``fold_in(key, i)`` exactly as in `simulate`, so a sweep equals one big `simulate` call,
whatever the chunk size. With ``checkpoint_dir`` the sweep writes into a results store
(`semjax.store`): every finished chunk is saved atomically with a checksum, next to a manifest
of the sweep's full configuration. A rerun with the same settings resumes (it says how many
chunks it found, and recomputes any missing or corrupted one); a rerun with other settings is
refused, naming what differs. Ctrl-C stops with a `SweepInterrupted` that says how to resume.
"""

from __future__ import annotations

import inspect
import math
import sys

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation, store
from semjax.dynamics import SimulationDiverged, simulate
from semjax.trajectory import Trajectory

_NOT_CONFIG = ("task", "n_seeds", "keys", "key", "throw")


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep with a ``checkpoint_dir``: its message says how to resume."""


def sweep(task, *, n_seeds: int, key=0, chunk_size: int = 65536, checkpoint_dir=None,
          progress: bool = True, throw: bool = True, overwrite: bool = False,
          **simulate_arguments) -> Trajectory:
    """`simulate` for many seeds, in chunks of ``chunk_size`` seeds.

    Args:
        task: the `Task`.
        n_seeds: total number of seeds.
        key: base PRNG key or int seed (seed i uses fold_in(key, i)).
        chunk_size: seeds per chunk (the memory/speed trade-off).
        checkpoint_dir: folder of a results store (`semjax.store`) for finished chunks; a
            rerun with the same settings resumes where it stopped, one with any other
            setting raises ``ValueError`` naming what differs. Read it back, or some seeds of
            it, with `semjax.store.load`.
        progress: show a progress bar (and, on resume, how many chunks were found).
        throw: raise `SimulationDiverged` after the sweep if any run diverged (the exception
            carries the whole sweep); False returns it with the ``finite`` flags.
        overwrite: discard the store in ``checkpoint_dir`` (if any) and start a new one.
        **simulate_arguments: the other arguments of `simulate` (a named ``init``, not
            explicit weights; ``init_scale`` may be a sequence).

    Returns:
        The same `Trajectory` as ``simulate(task, n_seeds=n_seeds, key=key, ...)``.

    Raises:
        ValueError: bad arguments, or a store of another configuration in ``checkpoint_dir``.
        semjax.store.StoreLockedError: another process is writing to ``checkpoint_dir``.
        SweepInterrupted: Ctrl-C (a ``KeyboardInterrupt``); the finished chunks are kept.
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
    n_chunks = math.ceil(n_seeds / chunk_size)

    results = None
    if checkpoint_dir is not None:
        config = _configuration(task, key, n_seeds, chunk_size, n_chunks, simulate_arguments)
        results = store.ResultStore.open(checkpoint_dir, config, overwrite=overwrite)
    try:
        return _run(task, key, n_seeds, chunk_size, n_chunks, results, progress, throw,
                    simulate_arguments)
    except KeyboardInterrupt:
        if results is None:
            raise
        done = len(results.manifest["chunks"])
        raise SweepInterrupted(
            f"sweep interrupted with {done} of {n_chunks} chunks saved in "
            f"{str(checkpoint_dir)!r}; run the same sweep again to resume.") from None
    finally:
        if results is not None:
            results.close()


def _run(task, key, n_seeds, chunk_size, n_chunks, results, progress, throw,
         simulate_arguments) -> Trajectory:
    from tqdm.auto import tqdm
    if results is not None and results.resumed:
        found = len(results.recorded())
        if progress:
            print(f"sweep: resuming {str(results.folder)!r}: found {found} of {n_chunks} "
                  f"chunks, {n_chunks - found} to compute.", file=sys.stderr)
    assembler = None
    for chunk in tqdm(range(n_chunks), desc="sweep", unit="chunk", disable=not progress):
        start, stop = chunk * chunk_size, min(n_seeds, (chunk + 1) * chunk_size)
        part = None if results is None else results.read_chunk(chunk)
        if part is None:
            part = simulate(task, keys=_keys(key, start, stop), throw=False,
                            **simulate_arguments)
            if results is not None:
                results.write_chunk(chunk, part, start, stop)
        assembler = store.Assembler(part, n_seeds) if assembler is None else assembler
        assembler.write(part, start, stop)
    trajectory = assembler.trajectory(np.arange(n_seeds), {"chunk_size": chunk_size})
    if throw and trajectory.failed:
        failed = trajectory.failed
        raise SimulationDiverged(
            f"{len(failed)} runs of the sweep diverged (inf/NaN): "
            f"{trajectory.describe_runs(failed[:10])}{' ...' if len(failed) > 10 else ''}. "
            "The whole sweep is on this exception's .trajectory.", trajectory)
    return trajectory


def _keys(key, start: int, stop: int):
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(start, stop))


def _configuration(task, key, n_seeds, chunk_size, n_chunks, simulate_arguments) -> dict:
    """Every setting that fixes a sweep's result, flat, by name (the store's manifest)."""
    parameters = inspect.signature(simulate).parameters
    unknown = set(simulate_arguments) - set(parameters)
    if unknown:
        raise TypeError(f"sweep got unexpected arguments {sorted(unknown)} (not arguments "
                        "of simulate).")
    arguments = {name: parameter.default for name, parameter in parameters.items()
                 if name not in _NOT_CONFIG and parameter.default is not inspect.Parameter.empty}
    arguments |= simulate_arguments
    config = {name: store.jsonable(value) for name, value in arguments.items()}
    config |= store.fingerprint(task, "task")
    config |= {"n_seeds": n_seeds, "chunk_size": chunk_size, "n_chunks": n_chunks,
               "key": np.asarray(jax.random.key_data(key)).tolist(),
               "key_impl": str(jax.random.key_impl(key)),
               "jax_enable_x64": bool(jax.config.jax_enable_x64)}
    config |= {f"version.{name}": value for name, value in store.versions().items()}
    return config


__all__ = ["SweepInterrupted", "sweep"]
