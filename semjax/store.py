"""A results store for chunked sweeps that loses nothing when a sweep is killed.

A store is a folder holding

- ``manifest.json``: the sweep's full configuration (a fingerprint of the task's arrays,
  every argument, the semjax/JAX/numpy versions, the chunk size and count) and the store's
  fingerprint, the SHA-256 of that configuration, written once when the store is created;
- ``chunk_<k>.npz``: the k-th chunk of seeds, a compressed `semjax.Trajectory` file whose
  ``info["store_chunk"]`` names the store's fingerprint, the chunk's index and its seeds, and
  ``chunk_<k>.json``, its record: the same three, and the file's size and SHA-256 checksum;
- ``lock`` (and ``lock.process<p>`` for process p of a `jax.distributed` sweep): while a
  process writes, it holds an exclusive ``fcntl.flock`` on this file, which names the process
  and its host. The process removes the file when it stops writing (the sweep finished, raised,
  or was interrupted with Ctrl-C); only a process that could not (SIGKILL, a crash, a power
  cut) leaves it, and the operating system released its flock when it died: the next process
  takes such a stale lock over, with a `StoreWarning` naming its late holder.

Every file is written atomically: to a temporary file in the same folder, flushed and
fsynced, renamed over its final name with `os.replace`, and the folder fsynced. A chunk counts
as finished only once its record, written the same way after the chunk, is in place; so a kill
at any moment leaves either the old state or the new one, never a half-written file that is
trusted. No file is rewritten by two writers: the manifest is written once and each chunk by
the one process that computes it, so the processes of a distributed sweep share a store
without sharing a lock.

A chunk proves which sweep and which seeds it holds: its record and its own content (covered
by the checksum) must both name this store's fingerprint, its index k and the seeds of chunk
k, and the record must name the file found at ``chunk_<k>.npz``. So a chunk that is missing,
truncated, corrupted, unreadable, swapped with another chunk (with or without its record), or
copied in from another sweep (another key, dt, task, ...) is never used: on resume it is
reported with a `StoreWarning` naming the file and why, and recomputed; `load` refuses it with
a ``ValueError`` naming the file. An edited manifest no longer matches its fingerprint and is
refused; a configuration that differs from the manifest's in any setting is refused with a
``ValueError`` naming each setting.

A grid sweep (`semjax.sweep` with ``over``) keeps one store per configuration of its outer
grid, in subfolders, and ``grid.json`` listing the grid's axes and subfolders.

`load` reads a finished (or partly finished) store, or a grid of them as one trajectory;
asked for some seeds, or some values of another batch axis, it reads only the chunks that
hold them and keeps only what was asked.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import math
import os
import re
import socket
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from semjax import _validation
from semjax.trajectory import Trajectory, _freeze, _map_field

try:  # POSIX; elsewhere the store works without the lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

MANIFEST = "manifest.json"
GRID = "grid.json"
GRID_FORMAT_NAME = "semjax.SweepGrid"
LOCK = "lock"
FORMAT_NAME = "semjax.ResultStore"
FORMAT_VERSION = 4  # 3: the manifest holds the run specification's normalised options;
# 4: the store's fingerprint, and chunks that name it, their index and their seeds
_CHUNK = re.compile(r"chunk_(\d+)\.npz")
_RECORD = re.compile(r"chunk_(\d+)\.json")

class StoreLockedError(RuntimeError):
    """Another process holds the store's lock (it is writing to the store)."""


class StoreWarning(UserWarning):
    """A chunk of a store was missing, truncated or corrupted and will be recomputed, or a
    stale lock of a process that ended without releasing it is taken over."""


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temporary_prefix(process_index: int) -> str:
    """Temporary files start with the writing process's index: a process removes only its
    own leftovers (those of a killed predecessor), never another process's file in flight."""
    return f".p{process_index}."


def _atomic_write(path: Path, write: Callable[[str], None], prefix: str) -> None:
    """Write ``path`` atomically: ``write(temporary_path)``, fsync, rename, fsync the folder."""
    fd, temporary = tempfile.mkstemp(prefix=f"{prefix}{path.name}.", suffix=".tmp",
                                     dir=path.parent)
    os.close(fd)
    try:
        write(temporary)
        with open(temporary, "rb+") as file:
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(path.parent)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_fingerprint(config: Mapping) -> str:
    """The SHA-256 of a store's configuration in canonical JSON: the store's identity."""
    return _sha256(json.dumps(jsonable(dict(config)), sort_keys=True).encode())


def jsonable(value):
    """A canonical JSON-able form of an argument (sequences and arrays as lists, numpy scalars
    as Python numbers, module-level functions by qualified name, `functools.partial` by its
    function and arguments, anything else by repr)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype"):
        return np.asarray(value).tolist()
    if isinstance(value, functools.partial):
        return {"partial": jsonable(value.func), "args": jsonable(value.args),
                "keywords": jsonable(value.keywords)}
    if callable(value) and hasattr(value, "__qualname__") and not (
            "<" in value.__qualname__ or getattr(value, "__closure__", None)):
        # a module-level function by name; a lambda or closure (whose captured values, such
        # as a built optimiser's hyperparameters, a name cannot show) falls to its repr
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return repr(value)


def fingerprint(value, prefix: str = "task") -> dict[str, str]:
    """SHA-256 fingerprints of every array and setting in ``value`` (a `semjax.Task`, a
    `semjax.Schedule`, or any dataclass/sequence/array), one per field, keyed by its dotted
    name, e.g. ``{"task.sigma_yx": "3f2a...", "task.item_weight": ...}``."""
    import dataclasses
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for field in dataclasses.fields(value):
            out |= fingerprint(getattr(value, field.name), f"{prefix}.{field.name}")
        return out
    if isinstance(value, (list, tuple)) and any(
            dataclasses.is_dataclass(v) or hasattr(v, "shape") for v in value):
        out = {}
        for i, item in enumerate(value):
            out |= fingerprint(item, f"{prefix}.{i}")
        return out
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        array = np.ascontiguousarray(np.asarray(value))
        digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
        return {prefix: digest.hexdigest()}
    return {prefix: _sha256(json.dumps(jsonable(value), sort_keys=True).encode())}


def versions() -> dict[str, str]:
    """The versions of the packages a stored result depends on."""
    import jax
    import jaxlib

    import semjax
    return {"semjax": semjax.__version__, "jax": jax.__version__,
            "jaxlib": jaxlib.__version__, "numpy": np.__version__}


def _show(value) -> str:
    text = json.dumps(value, sort_keys=True)
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
        text = f"sha256 {value[:12]}…"
    return text if len(text) <= 60 else text[:57] + "..."


def _differences(old: Mapping, new: Mapping) -> list[str]:
    lines = []
    for name in sorted(set(old) | set(new)):
        before = old.get(name, "(not set)")
        after = new.get(name, "(not set)")
        if json.dumps(before, sort_keys=True) != json.dumps(after, sort_keys=True):
            lines.append(f"{name}: stored {_show(before)}, now {_show(after)}")
    return lines


def _read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{os.fspath(path)!r} is not a readable store manifest ({error}). "
                         "Pass overwrite=True to start a new store there, or use another "
                         "folder.") from None
    if (not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME
            or not isinstance(manifest.get("config"), dict)):
        raise ValueError(f"{os.fspath(path)!r} is not a semjax results-store manifest. Pass "
                         "overwrite=True to start a new store there, or use another folder.")
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(f"{os.fspath(path)!r} has store format version "
                         f"{manifest.get('version')!r}; this semjax reads version "
                         f"{FORMAT_VERSION}. Run the sweep again with overwrite=True (or into "
                         "another folder) to recompute it.")
    if manifest.get("fingerprint") != config_fingerprint(manifest["config"]):
        raise ValueError(f"{os.fspath(path)!r} was changed after it was written (its settings "
                         "no longer match its fingerprint), so its chunks cannot be trusted. "
                         "Pass overwrite=True to start a new store there, or use another "
                         "folder.")
    return manifest


def _lock_name(process_index: int) -> str:
    return LOCK if process_index == 0 else f"{LOCK}.process{process_index}"


def _acquire_lock(path: Path):
    """Take the exclusive lock of a store: open ``path`` (creating it), ``flock`` it without
    waiting, and write this process's name into it. Returns the open file, which holds the
    lock until `_release_lock`, and what a previous holder that ended without removing the
    file wrote there ("" if none: the file was new).

    A holder removes the file before it releases the flock, so a process that opened the file
    just before may lock a removed file: it then sees that the path no longer names the file
    it holds and tries again.

    Raises:
        StoreLockedError: another live process holds the lock (named when it wrote its name).
    """
    while True:
        lock_file = open(path, "a+b")
        if fcntl is None:  # pragma: no cover  (no flock: the store works without the lock)
            break
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().decode(errors="replace").strip()
            lock_file.close()
            raise StoreLockedError(
                f"another process is writing to this store ({os.fspath(path.parent)!r}"
                f"{f'; {holder} holds its lock' if holder else ''}); wait for it to finish, or "
                "use another folder.") from None
        held = os.fstat(lock_file.fileno())
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        if current is not None and (current.st_dev, current.st_ino) == (held.st_dev,
                                                                        held.st_ino):
            break
        lock_file.close()  # its holder removed it while we opened it: lock the new one
    lock_file.seek(0)
    previous = lock_file.read().decode(errors="replace").strip()
    lock_file.truncate(0)
    lock_file.write(f"process {os.getpid()} on host {socket.gethostname()}\n".encode())
    lock_file.flush()
    return lock_file, previous


def _release_lock(lock_file) -> None:
    """Remove the lock file, then release its flock (in that order: see `_acquire_lock`)."""
    with contextlib.suppress(OSError):  # already gone, or a platform that cannot remove it
        os.unlink(lock_file.name)
    lock_file.close()


def _record_path(folder: Path, chunk: int) -> Path:
    return folder / f"chunk_{chunk}.json"


def _read_record(path: Path) -> dict | None:
    """A chunk's record, or None when it is missing or unreadable (the chunk is redone)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    keys = ("store", "chunk", "file", "start", "stop", "bytes", "sha256")
    return record if isinstance(record, dict) and all(k in record for k in keys) else None


def records(folder) -> dict[int, dict]:
    """The chunk records in ``folder``: chunk index → its record (the store's fingerprint, the
    chunk's index, file name, seeds ``start:stop``, size and SHA-256 checksum of the chunk
    file), as found, unchecked."""
    found = {}
    for path in Path(folder).glob("chunk_*.json"):
        match = _RECORD.fullmatch(path.name)
        record = _read_record(path) if match else None
        if record is not None:
            found[int(match.group(1))] = record
    return dict(sorted(found.items()))


def check(folder, config: Mapping) -> bool:
    """Whether ``folder`` already holds a store, refusing one of another configuration.

    Read-only (no lock): processes of a `jax.distributed` sweep each check before one of them
    creates or overwrites the store.

    Raises:
        ValueError: the folder holds a store of another configuration, naming each setting
            that differs with its stored and new values, or unrecognised chunk files.
    """
    folder = Path(folder)
    config = json.loads(json.dumps(jsonable(dict(config))))
    manifest = _read_manifest(folder) if folder.is_dir() else None
    if manifest is None:
        if folder.is_dir() and any(_CHUNK.fullmatch(p.name) for p in folder.iterdir()):
            raise ValueError(
                f"{os.fspath(folder)!r} holds chunk files but no {MANIFEST} (an older semjax, "
                "or another tool): their settings cannot be checked. Pass overwrite=True to "
                "start a new store there, or use another folder.")
        return False
    differences = _differences(manifest["config"], config)
    if differences:
        raise ValueError(
            f"{os.fspath(folder)!r} holds a sweep with other settings, so it cannot be resumed "
            "with these: " + "; ".join(differences) + ". Pass overwrite=True to discard it "
            "and start a new store there, or use another folder.")
    return True


class ResultStore:
    """An open, locked store (see the module docstring); use `ResultStore.open`."""

    def __init__(self, folder: Path, manifest: dict, lock_file, resumed: bool,
                 process_index: int = 0):
        self.folder = folder
        self.manifest = manifest
        self._lock_file = lock_file
        self.resumed = resumed
        self.process_index = process_index

    @classmethod
    def open(cls, folder, config: Mapping, *, overwrite: bool = False,
             process_index: int = 0) -> ResultStore:
        """Open (creating it if needed) the store in ``folder`` for a sweep of ``config``.

        Args:
            folder: the store's folder (created with its parents).
            config: the flat mapping setting name → JSON-able value that fixes the result;
                it must hold ``n_chunks``.
            overwrite: discard whatever store is in ``folder`` and start a new one.
            process_index: this process's index in a `jax.distributed` run: each process
                holds its own lock (``lock``, ``lock.process1``, ...) and writes only its own
                chunks; process 0 creates (or overwrites) the store before the others open it.

        Raises:
            StoreLockedError: another process is writing to this store.
            ValueError: the folder holds a store of another configuration (each differing
                setting named with its stored and new values), or unrecognised chunk files.

        Warns:
            StoreWarning: a stale lock (left by a process that was killed) is taken over.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = json.loads(json.dumps(jsonable(dict(config))))
        lock_path = folder / _lock_name(process_index)
        lock_file, stale = _acquire_lock(lock_path)  # held until close
        try:
            if stale:
                _validation.warn(f"{os.fspath(lock_path)!r} is a stale lock: {stale} ended "
                                 "without releasing it (killed, or it crashed) and no longer "
                                 "holds it; taking it over.", StoreWarning)
            for leftover in folder.glob(f"{_temporary_prefix(process_index)}*.tmp"):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            if overwrite:
                for path in [folder / MANIFEST, *folder.glob("chunk_*.npz"),
                             *folder.glob("chunk_*.json")]:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            resumed = check(folder, config)
            manifest = _read_manifest(folder) if resumed else {
                "format": FORMAT_NAME, "version": FORMAT_VERSION, "config": config,
                "fingerprint": config_fingerprint(config)}
            store = cls(folder, manifest, lock_file, resumed, process_index)
            if not resumed:
                store._write(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
            return store
        except BaseException:
            _release_lock(lock_file)
            raise

    def close(self) -> None:
        """Release the lock (and remove its file)."""
        if self._lock_file is not None:
            _release_lock(self._lock_file)
            self._lock_file = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def n_chunks(self) -> int:
        return int(self.manifest["config"]["n_chunks"])

    def recorded(self) -> list[int]:
        """Chunks whose record is this store's, for that chunk, and whose file is there with
        the recorded size (the cheap check; `read_chunk` verifies checksum and content)."""
        found = []
        for chunk, record in records(self.folder).items():
            if _record_problem(self.manifest, chunk, record) is not None:
                continue
            try:
                if (self.folder / record["file"]).stat().st_size == record["bytes"]:
                    found.append(chunk)
            except FileNotFoundError:
                continue
        return found

    def read_chunk(self, chunk: int) -> Trajectory | None:
        """The k-th chunk, verified (`_verified_chunk`); None when it is not finished, and None
        with a `StoreWarning` naming the file and the reason when it is there but cannot be
        trusted (recompute it)."""
        record_path = _record_path(self.folder, chunk)
        if not record_path.exists():  # not finished: nothing to warn about
            return None
        part, problem = _verified_chunk(self.folder, self.manifest, chunk)
        if problem is None:
            return part
        _validation.warn(f"{os.fspath(self.folder / _chunk_name(chunk))!r} {problem}; "
                         "recomputing that chunk.", StoreWarning)
        with contextlib.suppress(FileNotFoundError):
            record_path.unlink()
        return None

    def write_chunk(self, chunk: int, part: Trajectory, start: int, stop: int) -> None:
        """Save the k-th chunk (seeds ``start:stop``) atomically, naming this store and its
        seeds in its own content, then its record (the same, and the checksum): the chunk
        counts as finished once its record is in place."""
        identity = _chunk_identity(self.manifest, chunk)
        if (identity["start"], identity["stop"]) != (int(start), int(stop)):
            raise ValueError(f"chunk {chunk} holds seeds {identity['start']}:{identity['stop']}"
                             f", not {start}:{stop}.")
        path = self.folder / _chunk_name(chunk)
        labelled = part.replace(info_items=_freeze(part.info | {CHUNK_INFO: identity}))
        self._write(path, labelled.save)
        data = path.read_bytes()
        record = identity | {"file": path.name, "bytes": len(data), "sha256": _sha256(data)}
        self._write(_record_path(self.folder, chunk), json.dumps(record, sort_keys=True))

    def _write(self, path: Path, content) -> None:
        write = content if callable(content) else (lambda p: Path(p).write_text(content))
        _atomic_write(path, write, _temporary_prefix(self.process_index))


CHUNK_INFO = "store_chunk"  # the key of a chunk's identity in its Trajectory's info


def _chunk_name(chunk: int) -> str:
    return f"chunk_{chunk}.npz"


def _chunk_identity(manifest: Mapping, chunk: int) -> dict:
    """What chunk k of this store must say of itself: the store's fingerprint, k, its seeds."""
    config = manifest["config"]
    n_seeds, chunk_size = int(config["n_seeds"]), int(config["chunk_size"])
    return {"store": manifest["fingerprint"], "chunk": int(chunk),
            "start": chunk * chunk_size, "stop": min(n_seeds, (chunk + 1) * chunk_size)}


def _identity_problem(found: Mapping, expected: Mapping, whose: str) -> str | None:
    """Why a chunk's identity, as ``whose`` (its record, its content) gives it, is not the
    expected one, or None."""
    if found.get("store") != expected["store"]:
        return (f"belongs to another sweep ({whose} names the store fingerprint "
                f"{str(found.get('store'))[:12]}..., this store's is {expected['store'][:12]}...)")
    if (found.get("chunk"), found.get("start"), found.get("stop")) != (
            expected["chunk"], expected["start"], expected["stop"]):
        return (f"holds another chunk ({whose} names chunk {found.get('chunk')!r}, seeds "
                f"{found.get('start')!r}:{found.get('stop')!r}; this is chunk "
                f"{expected['chunk']}, seeds {expected['start']}:{expected['stop']})")
    return None


def _record_problem(manifest: Mapping, chunk: int, record: Mapping) -> str | None:
    """Why chunk k's record is not this store's record of chunk k, or None."""
    problem = _identity_problem(record, _chunk_identity(manifest, chunk), "its record")
    if problem is None and record["file"] != _chunk_name(chunk):
        problem = f"holds another chunk (its record names the file {record['file']!r})"
    return problem


def _verified_chunk(folder: Path, manifest: Mapping, chunk: int
                    ) -> tuple[Trajectory | None, str | None]:
    """Chunk k and None, or None and why it cannot be used: no (readable) record; a record
    that is not this store's record of chunk k; a file that is missing, of another size or
    checksum, or unreadable; content that does not name this store, k and k's seeds. The
    chunk is returned without its identity in ``info``."""
    record = _read_record(_record_path(folder, chunk))
    if record is None:
        return None, "is not finished (no readable record)"
    problem = _record_problem(manifest, chunk, record)
    path = folder / _chunk_name(chunk)
    if problem is None:
        problem = _verify(path, record)
        problem = None if problem is None else f"is {problem}"
    if problem is None:
        try:
            part = Trajectory.load(path)
        except (ValueError, OSError) as error:
            return None, f"is unreadable ({error})"
        info = part.info
        problem = _identity_problem(info.get(CHUNK_INFO) or {},
                                    _chunk_identity(manifest, chunk), "its content")
        if problem is None:
            del info[CHUNK_INFO]
            return part.replace(info_items=_freeze(info)), None
    return None, problem


def _verify(path: Path, entry: Mapping) -> str | None:
    """Why the chunk file fails its manifest entry, or None when it matches."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return f"unreadable ({error})"
    if len(data) != entry["bytes"]:
        return f"truncated or changed ({len(data)} bytes; its record says {entry['bytes']})"
    if _sha256(data) != entry["sha256"]:
        return "corrupted (its SHA-256 checksum is not the one its record holds)"
    return None


class Assembler:
    """Preallocated arrays for a whole sweep, filled chunk by chunk along the seed axis."""

    def __init__(self, part: Trajectory, n_seeds: int):
        self.seed_axis = part.batch_axes.index("seed")
        self.part = part

        def empty(array):
            shape = list(np.shape(array))
            shape[self.seed_axis] = n_seeds
            return np.empty(shape, dtype=np.asarray(array).dtype)

        self.finite = empty(part.finite)
        self.fields = {name: _map_field(empty, value) for name, value in part.fields.items()}

    def write(self, part: Trajectory, start: int, stop: int, take=slice(None)) -> None:
        """Copy ``part`` (its seeds ``take``) into seeds ``start:stop``."""
        axis = self.seed_axis
        index = (slice(None),) * axis + (slice(start, stop),)
        pick = (slice(None),) * axis + (take,)
        self.finite[index] = np.asarray(part.finite)[pick]
        for name, array in self.fields.items():
            targets = array if isinstance(array, tuple) else (array,)
            sources = part.fields[name]
            for target, source in zip(targets, sources if isinstance(sources, tuple)
                                      else (sources,)):
                target[index] = np.asarray(source)[pick]

    def trajectory(self, seeds, info: Mapping) -> Trajectory:
        part = self.part
        return Trajectory.create(
            t=part.t, step=part.step, phase=part.phase, finite=self.finite,
            batch_axes=part.batch_axes,
            coords={k: v for k, v in part.coords.items() if k != "seed"} | {"seed": seeds},
            info=part.info | dict(info), **self.fields)


def write_grid(folder, axes, labels, folders) -> None:
    """Write ``grid.json`` into ``folder``: the outer axes of a grid sweep, as (name,
    coordinates) pairs, and each configuration's labels and store subfolder, in the order of
    `itertools.product` over the axes (read by `load`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    grid = {"format": GRID_FORMAT_NAME, "version": 1,
            "axes": [[name, jsonable(coordinates)] for name, coordinates in axes],
            "configurations": [{"labels": jsonable(label), "folder": Path(path).name}
                               for label, path in zip(labels, folders)]}
    text = json.dumps(grid, indent=1, sort_keys=True)
    for leftover in folder.glob(f"{_temporary_prefix(0)}{GRID}.*.tmp"):  # of a killed run
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    with contextlib.suppress(OSError):
        if (folder / GRID).read_text() == text:
            return  # a resume rewrites nothing
    _atomic_write(folder / GRID, lambda p: Path(p).write_text(text), _temporary_prefix(0))


def _load_grid(folder: Path, seeds, indices: dict) -> Trajectory:
    try:
        grid = json.loads((folder / GRID).read_text())
        axes = [(str(name), list(coordinates)) for name, coordinates in grid["axes"]]
        subfolders = [entry["folder"] for entry in grid["configurations"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{os.fspath(folder / GRID)!r} is not a readable grid file "
                         f"({error!r}).") from None
    shape = tuple(len(coordinates) for _, coordinates in axes)
    if len(subfolders) != math.prod(shape):
        raise ValueError(f"{os.fspath(folder / GRID)!r} lists {len(subfolders)} "
                         f"configurations for a grid of shape {shape}.")
    chosen, kept = [], []
    for name, coordinates in axes:
        index = indices.pop(name, slice(None))
        positions = np.atleast_1d(np.arange(len(coordinates))[index])
        chosen.append(positions)
        if not isinstance(index, (int, np.integer)):
            kept.append((name, [coordinates[i] for i in positions]))
    parts = [load(folder / subfolders[int(np.ravel_multi_index(position, shape))], seeds,
                  **indices) for position in itertools.product(*chosen)]
    if not kept:
        return parts[0]
    return Trajectory.stack(parts, kept)


def load(folder, seeds=None, **indices) -> Trajectory:
    """Read a sweep's results from its store, reading only the chunks that hold ``seeds`` and
    keeping only the runs asked for.

    Args:
        folder: the store's folder (the sweep's ``checkpoint_dir``; for a grid sweep, the
            folder with ``grid.json``, whose axes can be indexed like any other).
        seeds: None for every seed, a slice, or a sequence of seed indices.
        **indices: positions along other batch axes, by name, as in `Trajectory.select`:
            an int (the axis is dropped), a slice or a sequence of positions, e.g.
            ``load(folder, scale=[0, 3])``. Each chunk is cut down as it is read, so memory
            holds one chunk and the result.

    Raises:
        ValueError: not a store, a seed out of range, an unknown axis, or a chunk needed that
            is not finished or fails its checksum (the message names the file; resume the
            sweep to redo it).
    """
    folder = Path(folder)
    if (folder / GRID).exists():
        return _load_grid(folder, seeds, dict(indices))
    manifest = _read_manifest(folder)
    if manifest is None:
        raise ValueError(f"{os.fspath(folder)!r} holds no {MANIFEST}: not a semjax store.")
    if "seed" in indices:
        raise ValueError("give seeds with seeds=..., not seed=....")
    config = manifest["config"]
    n_seeds, chunk_size = int(config["n_seeds"]), int(config["chunk_size"])
    if seeds is None:
        seeds = slice(None)
    wanted = np.arange(n_seeds)[seeds] if isinstance(seeds, slice) else np.asarray(seeds)
    wanted = np.atleast_1d(wanted).astype(int)
    if wanted.size and (wanted.min() < 0 or wanted.max() >= n_seeds):
        raise ValueError(f"seeds must lie in [0, {n_seeds}); got {seeds!r}.")
    assembler, position = None, 0
    chunks = wanted // chunk_size
    boundaries = np.flatnonzero(np.diff(chunks)) + 1
    for group in np.split(np.arange(wanted.size), boundaries):
        if group.size == 0:
            continue
        chunk = int(chunks[group[0]])
        part, problem = _verified_chunk(folder, manifest, chunk)
        if problem is not None:
            raise ValueError(f"{os.fspath(folder / _chunk_name(chunk))!r} {problem}: resume the "
                             "sweep to compute it.")
        for axis, index in indices.items():  # one axis at a time: an outer selection
            part = part.select(**{axis: index if isinstance(index, (int, np.integer, slice))
                                  else np.asarray(index, dtype=int)})
        if assembler is None:
            assembler = Assembler(part, wanted.size)
        take = wanted[group] - chunk * chunk_size
        assembler.write(part, position, position + group.size, take)
        position += group.size
    if assembler is None:
        raise ValueError("no seeds selected.")
    return assembler.trajectory(wanted, {"chunk_size": chunk_size})
