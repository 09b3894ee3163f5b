"""The results store loses nothing: SIGKILL at random moments and during every step of a chunk
write, corrupted chunks, changed settings, a second process, Ctrl-C; and Trajectory.load's
errors on bad files."""

import functools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from semjax import Task, Trajectory, simulate, store, sweep
from semjax.store import StoreLockedError, StoreWarning
from semjax.sweeps import SweepInterrupted

SMALL = dict(hidden=4, n_steps=20, dt=0.05, init="gaussian", init_scale=0.1,
             record=("modes", "loss"), record_every=5, dtype="float64")
SEED_MATRIX = [[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0], [0, 1, 0, 0],
               [0, 0, 1, 0], [0, 0, 0, 1]]
KILL_SEEDS, KILL_CHUNK = 200, 1  # 200 chunks of one seed: many writes to land in, and some left

CHILD = textwrap.dedent("""
    import os, random, signal, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    import numpy as np
    from semjax import Task, store, sweep
    folder, mode, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # The store writes every file to a temporary name and renames it with os.replace; the
    # rename is where a write lands, so this process is killed around the n-th rename of a
    # kind: "chunk_written" (a chunk complete but not in place), "chunk_replaced" (in place,
    # not yet recorded), "record_written" (the record complete, not in place),
    # "manifest_written" (a new store's manifest, not in place).
    replace = os.replace
    before = {{"chunk_written": ".npz", "record_written": ".json", "manifest_written": "manifest"}}
    seen = [0]
    def kill_at(stage, count):
        seen[0] += 1
        if seen[0] == count:
            os.kill(os.getpid(), signal.SIGKILL)
    def patched(source, target):
        name = os.path.basename(target)
        if mode == "random":  # the parent kills this process once chunks are being written
            if name.endswith(".npz") and not seen[0]:
                seen[0] = 1
                print("go", flush=True)
            return replace(source, target)
        stage, count = mode.split(":")
        chunk = name.startswith("chunk_")
        if stage in before and before[stage] in name and (chunk or stage == "manifest_written"):
            kill_at(stage, int(count))
        replace(source, target)
        if stage == "chunk_replaced" and chunk and name.endswith(".npz"):
            kill_at(stage, int(count))
    os.replace = patched
    if mode != "random":
        print("go", flush=True)
    task = Task(sigma_yx=np.array({matrix}, float), sigma_x=np.eye(4))
    sweep(task, n_seeds={n_seeds}, chunk_size={chunk}, checkpoint_dir=folder, progress=False,
          **{small})
""").format(matrix=SEED_MATRIX, n_seeds=KILL_SEEDS, chunk=KILL_CHUNK, small=SMALL)


def _equal(a: Trajectory, b: Trajectory) -> None:
    """Bitwise equality of every recorded array."""
    assert a.batch_axes == b.batch_axes
    for name in ("t", "finite", "modes", "loss"):
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name
    np.testing.assert_array_equal(a.coords["seed"], b.coords["seed"])


def _manifest(folder: Path) -> dict:
    return json.loads((folder / store.MANIFEST).read_text())


def _finished(folder: Path) -> list[int]:
    return sorted(store.records(folder))


def _kill_lane(folder: Path, script: Path, env: dict, rounds: int, rng: random.Random,
               outcomes: list) -> None:
    """Start the sweep in a fresh process ``rounds`` times, SIGKILLing it each time: either
    at a random moment of its work or inside a chunk/manifest write (a hook)."""
    stages = ["chunk_written", "chunk_replaced", "record_written"]
    for round_ in range(rounds):
        mode = "random" if round_ % 2 else f"{stages[round_ // 2 % 3]}:{rng.randint(1, 6)}"
        child = subprocess.Popen([sys.executable, str(script), str(folder), mode, "0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                 text=True)
        try:
            assert child.stdout.readline().strip() == "go"
            if mode == "random":
                time.sleep(rng.uniform(0.0, 0.4))  # while writing chunks
                child.send_signal(signal.SIGKILL)
            child.wait(timeout=120)
            outcomes.append((mode, child.returncode, child.stderr.read()[-2000:]))
        finally:  # a child that did not stop as planned is killed all the same
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
            child.stderr.close()


@pytest.mark.slow  # 20 fresh processes (~25-60 s); run with python -m pytest -m slow
def test_sigkill_at_random_moments_then_resume_is_bitwise_the_uninterrupted_sweep(tmp_path):
    """2 stores × 10 rounds = 20 SIGKILLs (half inside writes, half at random times), each
    followed by a resume in a fresh process; the final result is bitwise the uninterrupted
    one for both stores."""
    task = Task(sigma_yx=np.array(SEED_MATRIX, float), sigma_x=np.eye(4))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(tmp_path / "jax-cache"),
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
               JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")
    folders = [tmp_path / "lane0", tmp_path / "lane1"]
    outcomes = [[], []]
    lanes = [threading.Thread(target=_kill_lane, args=(folders[i], script, env, 10,
                                                       random.Random(i), outcomes[i]))
             for i in range(2)]
    for lane in lanes:
        lane.start()
    reference = sweep(task, n_seeds=KILL_SEEDS, chunk_size=KILL_CHUNK, progress=False, **SMALL)
    for lane in lanes:
        lane.join()
    killed = [o for lane in outcomes for o in lane if o[1] == -signal.SIGKILL]
    errors = [o for lane in outcomes for o in lane if o[1] not in (0, -signal.SIGKILL)]
    assert not errors, errors
    assert len(killed) == 20, [o[:2] for lane in outcomes for o in lane]
    for folder in folders:
        assert 0 < len(_finished(folder)) < KILL_SEEDS  # killed mid-sweep
        resumed = sweep(task, n_seeds=KILL_SEEDS, chunk_size=KILL_CHUNK, checkpoint_dir=folder,
                        progress=False, **SMALL)
        assert not list(folder.glob(".*.tmp"))
        _equal(resumed, reference)
        _equal(store.load(folder), reference)


@pytest.fixture
def small_store(tmp_path, seed_task):
    folder = tmp_path / "store"
    result = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder, progress=False,
                   **SMALL)
    return folder, result


def test_a_resume_says_how_many_chunks_it_found(small_store, seed_task, capsys):
    folder, result = small_store
    again = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder, **SMALL)
    assert "found 3 of 3 chunks, 0 to compute" in capsys.readouterr().err
    _equal(again, result)


def test_truncated_flipped_and_missing_chunks_are_detected_and_recomputed(small_store,
                                                                           seed_task):
    folder, result = small_store
    before = _finished(folder)
    data = (folder / "chunk_0.npz").read_bytes()
    (folder / "chunk_0.npz").write_bytes(data[:len(data) // 2])  # truncated
    data = bytearray((folder / "chunk_1.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    (folder / "chunk_1.npz").write_bytes(bytes(data))
    (folder / "chunk_2.npz").unlink()
    with pytest.warns(StoreWarning) as caught:
        again = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder,
                      progress=False, **SMALL)
    messages = " ".join(str(w.message) for w in caught)
    assert "chunk_0.npz' is truncated" in messages
    assert "chunk_1.npz' is corrupted" in messages
    assert "chunk_2.npz' is missing" in messages
    _equal(again, result)
    after = store.records(folder)
    assert sorted(after) == before == [0, 1, 2]
    for entry in after.values():  # every chunk verified again
        assert store._verify(folder / entry["file"], entry) is None


def test_a_chunk_copied_over_another_is_detected(small_store, seed_task):
    folder, result = small_store
    (folder / "chunk_2.npz").write_bytes((folder / "chunk_0.npz").read_bytes())
    with pytest.warns(StoreWarning, match="chunk_2.npz' is"):
        again = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder,
                      progress=False, **SMALL)
    _equal(again, result)


def _swap(a: Path, b: Path) -> None:
    parked = a.with_name(a.name + ".parked")
    a.rename(parked)
    b.rename(a)
    parked.rename(b)


def _forge_record(folder: Path, chunk: int) -> None:
    """Rewrite chunk k's record so that its size and checksum match the file now at k."""
    path, record_path = folder / f"chunk_{chunk}.npz", folder / f"chunk_{chunk}.json"
    record = json.loads(record_path.read_text())
    data = path.read_bytes()
    record |= {"bytes": len(data), "sha256": store._sha256(data)}
    record_path.write_text(json.dumps(record, sort_keys=True))


def _copy_in(source: Path, folder: Path, chunk: int, suffixes=(".npz", ".json")) -> None:
    for suffix in suffixes:
        name = f"chunk_{chunk}{suffix}"
        (folder / name).write_bytes((source / name).read_bytes())


@pytest.fixture(scope="module")
def foreign_stores(tmp_path_factory, seed_task):
    """Stores of the same shape as small_store's from sweeps with another key and another dt."""
    folder = tmp_path_factory.mktemp("foreign")
    for name, change in (("key", dict(key=1)), ("dt", dict(dt=0.04))):
        sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder / name,
              progress=False, **(SMALL | change))
    return {"key": folder / "key", "dt": folder / "dt"}


TAMPERS = {  # name → (change to the store, what the message says)
    "chunks and records swapped": (
        lambda f, o: (_swap(f / "chunk_1.npz", f / "chunk_2.npz"),
                      _swap(f / "chunk_1.json", f / "chunk_2.json")),
        "chunk_1.npz' holds another chunk (its record names chunk 2, seeds 4:6"),
    "records swapped": (lambda f, o: _swap(f / "chunk_1.json", f / "chunk_2.json"),
                        "chunk_1.npz' holds another chunk (its record names chunk 2"),
    "chunks swapped": (lambda f, o: _swap(f / "chunk_1.npz", f / "chunk_2.npz"),
                       "chunk_1.npz' is"),
    "chunk and record of another key": (lambda f, o: _copy_in(o["key"], f, 1),
                                        "chunk_1.npz' belongs to another sweep (its record"),
    "chunk and record of another dt": (lambda f, o: _copy_in(o["dt"], f, 1),
                                       "chunk_1.npz' belongs to another sweep (its record"),
    "chunk of another key, record forged": (
        lambda f, o: (_copy_in(o["key"], f, 1, (".npz",)), _forge_record(f, 1)),
        "chunk_1.npz' belongs to another sweep (its content names"),
    "chunk moved, record forged": (
        lambda f, o: ((f / "chunk_1.npz").write_bytes((f / "chunk_2.npz").read_bytes()),
                      _forge_record(f, 1)),
        "chunk_1.npz' holds another chunk (its content names chunk 2, seeds 4:6"),
}


@pytest.mark.parametrize("tamper", TAMPERS)
def test_swapped_moved_and_foreign_chunks_are_refused_by_load_and_recomputed_on_resume(
        small_store, foreign_stores, seed_task, tamper):
    """Issue 18: a chunk proves which sweep and which seeds it holds, by its record and by its
    own (checksummed) content."""
    folder, result = small_store
    change, message = TAMPERS[tamper]
    change(folder, foreign_stores)
    with pytest.raises(ValueError, match=re.escape(message)):
        store.load(folder)
    with pytest.warns(StoreWarning, match=re.escape(message)):
        again = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder,
                      progress=False, **SMALL)
    _equal(again, result)
    loaded = store.load(folder)
    _equal(loaded, result)
    assert store.CHUNK_INFO not in loaded.info and store.CHUNK_INFO not in again.info


def _random_tamper(folder: Path, foreign: dict, rng: random.Random) -> str:
    """One random change to a store of 3 chunks: swaps, substitutes, truncations, flipped
    bytes, deletions, forged records, an edited manifest. Returns its description."""
    i, j = rng.sample(range(3), 2)
    other = foreign[rng.choice(sorted(foreign))]
    kind = rng.choice(["swap both", "swap records", "swap chunks", "foreign both",
                       "foreign chunk", "foreign forged", "moved forged", "truncate",
                       "flip chunk", "flip record", "delete chunk", "delete record",
                       "edit manifest"])
    chunk, record = folder / f"chunk_{i}.npz", folder / f"chunk_{i}.json"
    if kind == "swap both":
        _swap(chunk, folder / f"chunk_{j}.npz")
        _swap(record, folder / f"chunk_{j}.json")
    elif kind == "swap records":
        _swap(record, folder / f"chunk_{j}.json")
    elif kind == "swap chunks":
        _swap(chunk, folder / f"chunk_{j}.npz")
    elif kind == "foreign both":
        _copy_in(other, folder, i)
    elif kind == "foreign chunk":
        _copy_in(other, folder, i, (".npz",))
    elif kind == "foreign forged":
        _copy_in(other, folder, i, (".npz",))
        _forge_record(folder, i)
    elif kind == "moved forged":
        chunk.write_bytes((folder / f"chunk_{j}.npz").read_bytes())
        _forge_record(folder, i)
    elif kind == "truncate":
        data = chunk.read_bytes()
        chunk.write_bytes(data[:rng.randrange(len(data))])
    elif kind in ("flip chunk", "flip record"):
        target = chunk if kind == "flip chunk" else record
        data = bytearray(target.read_bytes())
        at = rng.randrange(len(data))
        data[at] = rng.choice([b for b in b"0123456789abcdefxyz" if b != data[at]])
        target.write_bytes(bytes(data))
    elif kind == "delete chunk":
        chunk.unlink()
    elif kind == "delete record":
        record.unlink()
    else:
        manifest = json.loads((folder / store.MANIFEST).read_text())
        manifest["config"]["dt"] = 0.04
        (folder / store.MANIFEST).write_text(json.dumps(manifest))
    return f"{kind} (chunk {i}, {j})"


def test_a_randomised_tamper_is_always_detected_and_nothing_wrong_is_loaded(
        small_store, foreign_stores, seed_task, tmp_path):
    """60 random tampers of a finished store: `store.load` refuses every one naming the file
    (or the manifest), and a resume (every third trial) gives bitwise the untampered result."""
    folder, result = small_store
    rng = random.Random(18)
    for trial in range(60):
        copy = tmp_path / f"trial{trial}"
        shutil.copytree(folder, copy)
        what = _random_tamper(copy, foreign_stores, rng)
        with pytest.raises(ValueError, match=r"chunk_\d\.npz'|manifest\.json'") as caught:
            store.load(copy)
        assert "resume the sweep" in str(caught.value) or "overwrite=True" in str(
            caught.value), (what, caught.value)
        if trial % 3:
            continue
        if what.startswith("edit manifest"):
            with pytest.raises(ValueError, match="changed after it was written"):
                sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=copy,
                      progress=False, **SMALL)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StoreWarning)
            again = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=copy,
                          progress=False, **SMALL)
        _equal(again, result)
        _equal(store.load(copy), result)


def _other_task():
    return Task(sigma_yx=2 * np.array(SEED_MATRIX, float), sigma_x=np.eye(4))


@pytest.mark.parametrize("change, named", [
    (dict(dt=0.1), "dt: stored 0.05, now 0.1"),
    (dict(hidden=5), "hidden: stored [4], now [5]"),
    (dict(key=7), "key: stored [0, 0], now [0, 7]"),
    (dict(n_seeds=8), "n_seeds: stored 6, now 8"),
    (dict(chunk_size=3), "chunk_size: stored 2, now 3"),
    (dict(init_scale=[0.1, 0.2]), "init_scale: stored 0.1, now [0.1, 0.2]"),
    (dict(method="rk4"), 'method: stored "euler", now "rk4"'),
    (dict(task="other"), "task.sigma_yx: stored sha256"),
])
def test_resuming_with_another_setting_is_refused_naming_it(small_store, seed_task, change,
                                                            named):
    folder, _ = small_store
    arguments = dict(SMALL, n_seeds=6, chunk_size=2) | change
    task = _other_task() if arguments.pop("task", None) else seed_task
    with pytest.raises(ValueError, match="overwrite=True") as caught:
        sweep(task, checkpoint_dir=folder, progress=False, **arguments)
    assert named in str(caught.value)
    if "n_seeds" in change:  # on request, a new store in the same folder
        fresh = sweep(task, checkpoint_dir=folder, progress=False, overwrite=True, **arguments)
        assert fresh.finite.all() and fresh.modes.shape[0] == 8
        assert _finished(folder) == [0, 1, 2, 3]


def test_a_second_process_gets_the_lock_error(small_store, seed_task):
    folder, _ = small_store
    config = _manifest(folder)["config"]
    with store.ResultStore.open(folder, config):
        with pytest.raises(StoreLockedError, match="another process is writing to this store"):
            sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder, progress=False,
                  **SMALL)
        code = ("import sys, json; from semjax import store\n"
                "c = json.load(open(sys.argv[1] + '/manifest.json'))['config']\n"
                "try:\n    store.ResultStore.open(sys.argv[1], c)\n"
                "except store.StoreLockedError as e:\n    print(e); sys.exit(3)\n")
        child = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                               text=True, timeout=120)
        assert child.returncode == 3, child.stderr
        assert "another process is writing to this store" in child.stdout
    with store.ResultStore.open(folder, config):  # released on close
        pass


def test_ctrl_c_stops_with_one_line_on_how_to_resume(tmp_path, seed_task, monkeypatch):
    import semjax.sweeps
    folder = tmp_path / "store"
    calls = []

    run = semjax.dynamics._runs.run

    @functools.wraps(run)
    def interrupted(*args, **kwargs):  # Ctrl-C during the third chunk
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return run(*args, **kwargs)

    monkeypatch.setattr(semjax.dynamics._runs, "run", interrupted)
    with pytest.raises(SweepInterrupted) as caught:
        sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder, progress=False,
              **SMALL)
    message = str(caught.value)
    assert "\n" not in message and "2 of 3 chunks saved" in message
    assert "run the same sweep again to resume" in message
    assert isinstance(caught.value, KeyboardInterrupt)
    monkeypatch.undo()
    resumed = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder, progress=False,
                    **SMALL)
    _equal(resumed, sweep(seed_task, n_seeds=6, chunk_size=2, progress=False, **SMALL))


def test_loading_some_seeds_reads_only_their_chunks(small_store, monkeypatch):
    folder, result = small_store
    read = []
    original = Trajectory.load.__func__
    monkeypatch.setattr(Trajectory, "load",
                        classmethod(lambda cls, p: read.append(Path(p).name) or original(cls, p)))
    part = store.load(folder, seeds=[5, 4])
    assert read == ["chunk_2.npz"]
    np.testing.assert_array_equal(part.coords["seed"], [5, 4])
    assert part.modes.tobytes() == result.modes[[5, 4]].tobytes()
    read.clear()
    assert store.load(folder, seeds=slice(1, 3)).modes.tobytes() == result.modes[1:3].tobytes()
    assert read == ["chunk_0.npz", "chunk_1.npz"]
    (folder / "chunk_0.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="chunk_0.npz' is truncated"):
        store.load(folder, seeds=[0])


def test_a_folder_of_unrecorded_chunks_is_refused(tmp_path, seed_task):
    part = simulate(seed_task, n_seeds=2, **SMALL)
    part.save(tmp_path / "chunk_0.npz")
    with pytest.raises(ValueError, match="chunk files but no manifest.json"):
        sweep(seed_task, n_seeds=2, chunk_size=2, checkpoint_dir=tmp_path, progress=False,
              **SMALL)


# ---- Trajectory.load: one clear error naming the file and the field ----

def _saved(tmp_path, seed_task) -> dict:
    traj = simulate(seed_task, n_seeds=3, **(SMALL | dict(init_scale=[0.1, 0.2])))
    traj.save(tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as data:
        return {name: data[name] for name in data.files}


def _write(tmp_path, arrays, header=None, name="bad.npz") -> Path:
    arrays = dict(arrays)
    if header is not None:
        arrays["__semjax__"] = np.asarray(json.dumps(header))
    path = tmp_path / name
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    return path


@pytest.mark.parametrize("case, field", [
    ("batch axes", "finite"),
    ("time axis", "modes"),
    ("version 0", "version"),
    ("no version", "version"),
    ("no header", "__semjax__"),
    ("bad json", "__semjax__"),
    ("pickle", "loss"),
    ("coords", "coord_seed"),
    ("missing array", "t"),
    ("version 1 without n_layers", "n_layers"),
])
def test_trajectory_load_names_the_file_and_the_field(tmp_path, seed_task, case, field):
    arrays = _saved(tmp_path, seed_task)
    header = json.loads(str(arrays.pop("__semjax__")))
    if case == "batch axes":
        header["batch_axes"] = ["seed"]
    elif case == "time axis":
        arrays["modes"] = arrays["modes"][:, :, :2]
    elif case == "version 0":
        header["version"] = 0
    elif case == "no version":
        del header["version"]
    elif case == "no header":
        header = None
    elif case == "bad json":
        arrays["__semjax__"] = np.asarray("{not json")
        header = None
    elif case == "pickle":
        arrays["loss"] = np.array([{"a": 1}], dtype=object)
    elif case == "coords":
        arrays["coord_seed"] = np.arange(5)
    elif case == "missing array":
        del arrays["t"]
    elif case == "version 1 without n_layers":  # issue 18: it was read without its layers
        header["version"] = 1
        header.pop("fields")
    path = _write(tmp_path, arrays, header)
    with pytest.raises(ValueError) as caught:
        Trajectory.load(path)
    message = str(caught.value)
    assert repr(str(path)) in message
    if case == "no header":
        assert "no '__semjax__' header" in message
    else:
        assert f"field {field!r}" in message


def test_trajectory_load_rejects_truncated_files_naming_them(tmp_path, seed_task):
    _saved(tmp_path, seed_task)
    data = (tmp_path / "good.npz").read_bytes()
    for size in (0, 402, len(data) // 2):
        (tmp_path / "cut.npz").write_bytes(data[:size])
        with pytest.raises(ValueError, match="cut.npz' is not"):
            Trajectory.load(tmp_path / "cut.npz")
    assert Trajectory.load(tmp_path / "good.npz").modes.shape == (2, 3, 5, 4)


def test_a_refused_resume_of_a_grid_changes_nothing_and_leftovers_are_cleaned(tmp_path,
                                                                              seed_task):
    """A grid store resumed with another setting is refused before any file is written
    (grid.json included); a resume removes the temporary files a killed run left."""
    arguments = {name: value for name, value in SMALL.items() if name != "hidden"}
    arguments |= dict(n_seeds=2, chunk_size=2, progress=False, checkpoint_dir=tmp_path)
    sweep(seed_task, over={"hidden": [3, 4]}, **arguments)
    grid = tmp_path / store.GRID
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    stamp = grid.stat().st_mtime_ns
    with pytest.raises(ValueError, match="dt: stored 0.05, now 0.1"):
        sweep(seed_task, over={"hidden": [3, 4]}, **(arguments | {"dt": 0.1}))
    after = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert after == before and grid.stat().st_mtime_ns == stamp
    leftover = tmp_path / f".p0.{store.GRID}.abc.tmp"
    leftover.write_text("{")
    sweep(seed_task, over={"hidden": [3, 4]}, **arguments)
    assert not leftover.exists() and grid.stat().st_mtime_ns == stamp


def test_devices_do_not_change_the_stored_setting(small_store, seed_task):
    """``devices`` changes how runs are spread, not the result, so a store written on all
    devices resumes on one."""
    folder, result = small_store
    again = sweep(seed_task, n_seeds=6, chunk_size=2, checkpoint_dir=folder, progress=False,
                  devices=1, **SMALL)
    _equal(again, result)
