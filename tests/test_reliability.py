"""Issue 18, inputs: values that were silently accepted or failed obscurely now get one clear
message naming the argument and the fix; a run that cannot end at t_max says so; a comparison
across tasks is refused; warnings point at the caller's line."""

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import semjax
import semjax.sweeps
from semjax import datasets, theory


def test_a_schedule_duration_given_as_text_is_refused(seed_task):
    with pytest.raises(TypeError, match="the duration of phase 1 must be a real number; got '1'"):
        semjax.Schedule([(seed_task, 1.0), (seed_task, "1")])


def test_a_bare_matrix_as_a_dataset_names_the_fix():
    with pytest.raises(TypeError, match=r"dataset must be a semjax.datasets.Dataset .* got an "
                                        r"array of shape \(7, 4\).*Dataset.from_arrays\(Y\).*"
                                        r"semjax.Task\(sigma_yx=..., sigma_x=...\)"):
        semjax.Task.from_dataset(np.ones((7, 4)))
    task = semjax.Task.from_dataset(datasets.Dataset.from_arrays(np.eye(7, 4)))
    assert task.sigma_yx.shape == (7, 4)


@pytest.mark.parametrize("call, named", [
    (lambda: theory.mode_strength(np.ones(3), np.ones(2), np.ones(4)), "t (3,), s (2,), a0 (4,)"),
    (lambda: theory.deep_mode_strength(np.ones(3), np.ones(2), 0.1), "t (3,), s (2,)"),
    (lambda: theory.half_time(np.ones(2), np.full(3, 0.1)), "s (2,), a0 (3,)"),
    (lambda: theory.transition_time(np.ones(2), np.full(3, 0.1), 0.5),
     "s (2,), u_start (3,), u_end ()"),
    (lambda: theory.saxe_learning_time(np.ones(2), np.full(3, 0.1)), "s (2,), a0 (3,)"),
    (lambda: theory.initial_strength_from_half_time(np.ones(2), np.ones(3)),
     "s (2,), t_half (3,)"),
])
def test_closed_forms_name_the_shapes_that_do_not_broadcast(call, named):
    with pytest.raises(ValueError, match="do not broadcast together") as caught:
        call()
    assert named in str(caught.value)


def test_effective_a0_names_weights_whose_batch_axes_differ(seed_task):
    with pytest.raises(ValueError, match=r"the weights' batch axes differ: shapes "
                                         r"\[\(3, 16, 4\), \(5, 7, 16\)\]"):
        theory.effective_a0(seed_task, (np.ones((3, 16, 4)), np.ones((5, 7, 16))))


def test_closed_forms_still_broadcast_as_documented():
    t, s = np.linspace(0, 5, 7)[:, None], np.array([3.0, 1.0])
    assert theory.mode_strength(t, s, 1e-3).shape == (7, 2)


def test_compare_refuses_the_theory_of_another_task(seed_task):
    run = semjax.simulate(seed_task, hidden=3, dt=0.1, n_steps=10, init="aligned",
                          init_scale=0.1)
    other = semjax.Task(sigma_yx=2 * np.asarray(seed_task.sigma_yx),
                        sigma_x=np.asarray(seed_task.sigma_x))
    with pytest.raises(ValueError, match="a and b come from different tasks"):
        semjax.compare(run, theory.trajectory(other, run.t, 0.1))
    assert np.isfinite(semjax.compare(run, theory.trajectory(seed_task, run.t, 0.1))
                       .max_abs_error).all()
    assert run.info["task_fingerprint"] == seed_task.fingerprint != other.fingerprint


def test_a_t_max_that_is_not_a_whole_number_of_records_is_reported_at_the_callers_line(
        seed_task):
    with pytest.warns(UserWarning, match=r"t_max=1 is not a whole number of records .* the "
                                         r"run ends at t = 1\.2 \(4 steps\)") as caught:
        run = semjax.simulate(seed_task, hidden=3, dt=0.3, t_max=1.0, init_scale=0.1)
    assert run.t[-1] == pytest.approx(1.2)
    assert caught[0].filename == __file__  # the user's line, not semjax's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = semjax.simulate(seed_task, hidden=3, dt=0.005, t_max=7.5, record_every=10,
                                init_scale=0.1)
    assert exact.t[-1] == pytest.approx(7.5)


SPEC = """[dataset]
name = "four_items"
[sweep]
hidden = 3
dt = 0.1
n_steps = 10
init_scale = 0.1
n_seeds = 2
"""


def _semjax(capsys, *argv):
    from semjax.cli import main
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("change, message", [
    (("init_scale = 0.1", 'init_scale = "small"'), "[sweep]: init_scale must be a finite number"),
    (("n_seeds = 2", 'n_seeds = 2\nlam = "x"'), "[sweep]: lam must be a finite number"),
    (("n_seeds = 2", "n_seeds = 2\ncheckpoint_dir = 5"), "[sweep]: checkpoint_dir must be a"),
    (('name = "four_items"', 'nme = "four_items"'), "([dataset] has 'nme', but no 'name')"),
    (("n_seeds = 2", "n_seeds = 1_000_000_000_000"), ": the sweep's result (1 configuration(s) "
                                                     "× 1000000000000 seeds, returned in memory)"),
    (("n_seeds = 2", "n_seeds = 9223372036854775807"), "GiB needed"),
])
def test_a_bad_toml_spec_is_named_with_its_table_before_anything_runs(tmp_path, capsys, change,
                                                                     message):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace(*change))
    for dry_run in ((), ("--dry-run",)):
        code, output = _semjax(capsys, "sweep", spec, *dry_run)
        assert code == 2 and output.startswith(f"semjax: error: {spec}"), output
        assert message in output, output
        assert output.count("\n") == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["spec.toml"]  # nothing ran


def test_a_binary_file_as_a_spec_is_named(tmp_path, capsys):
    spec = tmp_path / "garbage.toml"
    spec.write_bytes(bytes(range(128, 256)))
    code, output = _semjax(capsys, "sweep", spec)
    assert code == 2 and f"'{spec}' is not a TOML spec (not UTF-8 text)" in output


def test_a_sweep_too_large_for_memory_is_refused_before_computing(seed_task, tmp_path):
    with pytest.raises(MemoryError, match="the sweep's result"):
        semjax.sweep(seed_task, n_seeds=10 ** 12, hidden=3, dt=0.1, n_steps=10,
                     init_scale=0.1, checkpoint_dir=tmp_path / "store", progress=False)
    assert not (tmp_path / "store").exists()


def test_an_output_that_cannot_be_written_is_refused_first_and_a_late_failure_loses_nothing(
        tmp_path, capsys, monkeypatch):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if os.fspath(path) == str(
        tmp_path) and mode == os.W_OK else real_access(path, mode))
    code, output = _semjax(capsys, "sweep", spec)
    assert code == 2 and f"folder '{tmp_path}' is not writable" in output
    monkeypatch.setattr(os, "access", real_access)
    real_save = semjax.Trajectory.save

    def full_disk(self, path):
        if os.fspath(path) == str(tmp_path / "spec.npz"):
            raise OSError(28, "No space left on device")
        real_save(self, path)
    monkeypatch.setattr(semjax.Trajectory, "save", full_disk)
    code, output = _semjax(capsys, "sweep", spec, "--no-progress")
    assert code == 0, output
    rescue = output.split("the result is saved in '")[1].split("'")[0]
    try:
        assert "No space left on device" in output
        assert semjax.Trajectory.load(rescue).modes.shape[0] == 2
    finally:
        os.unlink(rescue)


def _start_semjax(argv, cwd):
    """The console script in a fresh process in its own session (a Ctrl-C at the terminal
    reaches only this test), SIGINT at its default whatever the parent does."""
    return subprocess.Popen([shutil.which("semjax") or "semjax", *map(str, argv)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _finish(process, timeout=120):
    try:
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out + err
    finally:  # a process that did not stop is killed all the same
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("moment", ["during the imports", "twice, 30 ms apart, mid-sweep"])
def test_every_ctrl_c_stops_a_sweep_keeps_its_chunks_and_says_how_to_resume(tmp_path, moment):
    """Issue 18: no SIGINT is lost (one arriving where Python drops exceptions, e.g. in a
    garbage-collector callback, is counted and acted on at the next safe point), and a second
    one does not cut the message short."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace("n_seeds = 2", 'n_seeds = 100000\nchunk_size = 2\n'
                                 'checkpoint_dir = "store"'))
    process = _start_semjax(["sweep", spec, "--no-progress"], tmp_path)
    try:
        if moment == "during the imports":  # once JAX's libraries load: past the handler
            maps = Path(f"/proc/{process.pid}/maps")
            if not maps.exists():
                pytest.skip("needs /proc to see the child's imports")
            deadline = time.monotonic() + 60
            while "jaxlib" not in maps.read_text():
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.005)
        else:
            deadline = time.monotonic() + 90
            while not list((tmp_path / "store").glob("chunk_*.json")):
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        if moment != "during the imports":
            time.sleep(0.03)
            process.send_signal(signal.SIGINT)
    finally:
        code, output = _finish(process)
    assert code == 130, output
    assert "Traceback" not in output and "Exception ignored" not in output, output
    if moment == "during the imports":
        assert output.strip().splitlines()[-1].startswith("semjax: interrupted"), output
    else:
        assert f"run 'semjax sweep {spec}' again to resume" in output, output
        assert list((tmp_path / "store").glob("chunk_*.json"))  # the finished chunks are kept
        assert not (tmp_path / "store" / "lock").exists()  # the lock went with the process


def test_a_dropped_ctrl_c_is_acted_on_at_the_next_chunk(seed_task, tmp_path, monkeypatch):
    """A SIGINT whose KeyboardInterrupt was swallowed (as in a garbage-collector callback) is
    still counted; the sweep stops before its next chunk, keeping what is finished."""
    from semjax import _interrupts
    previous = _interrupts.install()
    try:
        calls = []
        real = semjax.sweeps._runs.run

        def run_then_drop_a_sigint(spec):
            calls.append(1)
            if len(calls) == 2:
                try:
                    _interrupts.handler(signal.SIGINT, None)
                except KeyboardInterrupt:
                    pass  # dropped, as Python drops exceptions raised in gc callbacks
            return real(spec)
        monkeypatch.setattr(semjax.sweeps._runs, "run", run_then_drop_a_sigint)
        with pytest.raises(semjax.sweeps.SweepInterrupted, match="of 5 chunks saved") as stop:
            semjax.sweep(seed_task, n_seeds=10, chunk_size=2, hidden=3, dt=0.1, n_steps=10,
                         init_scale=0.1, checkpoint_dir=tmp_path / "store", progress=False)
        # stopped at the next safe point: while waiting for chunk 1's call, or before chunk 2
        saved = int(str(stop.value).split("with ")[1].split(" of")[0])
        assert len(calls) == 2 and saved in (1, 2)
        assert len(semjax.store.records(tmp_path / "store")) == saved
    finally:
        _interrupts.restore(previous)


DEVICE_SCRIPT = """
import warnings
warnings.simplefilter("always")
import jax
{before}
with warnings.catch_warnings(record=True) as caught:
    import semjax
print(len(jax.devices("cpu")), [str(w.message) for w in caught])
"""


@pytest.mark.parametrize("before, env, devices, notice", [  # a plain import: tests everywhere
    ("jax.devices()", {}, 1, True),
    ("jax.devices()", {"SEMJAX_CPU_DEVICES": "1"}, 1, False),
])
def test_the_cpu_device_count_is_set_at_import_or_a_notice_says_how(tmp_path, before, env,
                                                                     devices, notice):
    """Issue 18: importing semjax gives JAX one CPU device per core when it can; when JAX had
    already started (and so keeps one device), a one-time notice names the cause and the fix."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("XLA_FLAGS", "SEMJAX_CPU_DEVICES")} | env
    result = subprocess.run([sys.executable, "-c", DEVICE_SCRIPT.format(before=before)],
                            capture_output=True, text=True, timeout=120, env=environment,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    count, messages = result.stdout.strip().split(" ", 1)
    assert int(count) == devices
    assert ("could not give JAX one CPU device per core" in messages) == notice, messages
    if notice:
        assert "Import semjax before any JAX computation" in messages


def test_a_checkpoint_dir_that_cannot_be_a_folder_is_refused_before_running(seed_task,
                                                                           tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for folder in (blocker, blocker / "store"):
        with pytest.raises(ValueError, match=f"'{blocker}' is a file. Give a folder path"):
            semjax.sweep(seed_task, n_seeds=2, hidden=3, dt=0.1, n_steps=10, init_scale=0.1,
                         checkpoint_dir=folder, progress=False)


def test_modes_outside_the_aligned_approximation_are_named_not_refused(seed_task):
    """A start that is small for the strong modes but not for weak ones still has a closed
    form; the modes where the approximation fails are named (the gallery's coherence figure
    stopped on the refusal before)."""
    rng = np.random.default_rng(0)
    weights = (0.6 * rng.standard_normal((8, 16, 4)), 0.6 * rng.standard_normal((8, 7, 16)))
    with pytest.warns(UserWarning, match=r"does not hold for mode\(s\) .*1"):
        a0 = theory.random_start_a0(seed_task, weights)
    assert a0.shape == (4,) and np.all(np.isfinite(a0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theory.random_start_a0(seed_task, tuple(1e-3 * w for w in weights))


def _origin_of_semjax(python: str, folder: Path) -> str:
    """Where ``python``, run in ``folder`` as a user would (no PYTHONPATH), finds semjax:
    its ``__init__.py``, or "None" for a namespace package (the child is killed after 60 s)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    result = subprocess.run([python, "-c", "import importlib.util as u; "
                             "print(u.find_spec('semjax').origin)"], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_semjax_imports_from_the_folder_above_a_checkout_named_semjax(tmp_path):
    """A clone is a folder named semjax; run from the folder above it, Python sees that folder
    first, as an empty namespace package, unless the installed semjax is a regular package on
    sys.path (pyproject's package-dir: an editable install by a .pth path, not an import hook
    asked after the namespace package is made). Needs an install from this pyproject."""
    (tmp_path / "semjax").symlink_to(Path(__file__).resolve().parents[1],
                                     target_is_directory=True)
    origin = _origin_of_semjax(sys.executable, tmp_path)
    assert origin.endswith(os.path.join("semjax", "__init__.py")), (
        f"semjax from the folder above a checkout is {origin}: reinstall (pip install -e .)")


@pytest.mark.slow
def test_an_editable_install_of_a_clone_imports_from_the_folder_above_it(tmp_path):
    """The same from a fresh editable install of a copy of the checkout named semjax (about
    10 s: pip builds the editable wheel with this environment's setuptools)."""
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 68:
        pytest.skip("pyproject needs setuptools >= 68 to build")
    root, clone = Path(__file__).resolve().parents[1], tmp_path / "semjax"
    clone.mkdir()
    for path in root.iterdir():  # pyproject.toml, README.md and every other top-level file
        if path.is_file():
            shutil.copy(path, clone / path.name)
    shutil.copytree(root / "semjax", clone / "semjax",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")],
                   check=True, timeout=120)
    python = str(tmp_path / "venv" / "bin" / "python")
    packages = subprocess.run([python, "-c", "import sysconfig; "
                               "print(sysconfig.get_paths()['purelib'])"], capture_output=True,
                              text=True, check=True, timeout=60).stdout.strip()
    import site  # the venv borrows this environment's pip, setuptools and dependencies
    Path(packages, "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "-e", str(clone)], check=True, timeout=300,
                   capture_output=True)
    assert _origin_of_semjax(python, tmp_path) == str(clone / "semjax" / "__init__.py")
