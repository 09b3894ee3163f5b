"""The ``semjax`` command end to end: simulate → show → compare, a sweep spec, bad arguments
(one-line message, exit status 2), diverged runs (exit status 1), and the ``--help`` of every
command. Tiny problems, so that the file runs in well under a minute. The commands that make
the results, one bad argument, ``compare``'s exit status and the help run as separate
processes (``python -m semjax.cli``, the console script); the other commands run
``semjax.cli.main`` in this process (`semjax`), which shares its imports and compilations."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

COMMANDS = ("simulate", "sweep", "show", "compare", "figures")
TINY = ("--hidden", "4", "--scales", "1e-3", "--seeds", "3", "--dt", "0.1", "--n-steps", "20")
SPEC = """\
output = "sweep.npz"

[dataset]
name = "four_items"

[sweep]
n_seeds = 3
chunk_size = 3
key = 0
hidden = 4
init_scale = 1e-3
dt = 0.1
n_steps = 20
record = ["modes", "loss", "weights"]
"""
GRID_SPEC = SPEC.replace('"sweep.npz"', '"grid.npz"').replace(
    "init_scale = 1e-3", "init_scale = [1e-3, 1e-2]").replace(
    'record = ["modes", "loss", "weights"]', 'record = ["modes", "loss"]').replace(
    "hidden = 4\n", "") + '\n[over]\nhidden = [3, 4]\nmethod = ["euler", "rk4"]\n'


def _environment():
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}


def _start(arguments, cwd):
    return subprocess.Popen([sys.executable, "-m", "semjax.cli", *arguments], cwd=cwd,
                            env=_environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(process, timeout=120):
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:  # a command that fails to finish in time is not left running
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, stdout, stderr


def semjax(*arguments, cwd):
    """Run ``semjax ARGUMENTS`` in this process, in ``cwd``: (exit status, stdout, stderr)."""
    import contextlib
    import io

    from semjax import cli
    stdout, stderr, before = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = cli.main([str(argument) for argument in arguments])
    except SystemExit as exit:  # argparse's own errors exit, as they would end the process
        status = exit.code
    finally:
        os.chdir(before)
    return status, stdout.getvalue(), stderr.getvalue()


def semjax_all(commands, cwd):
    """Run several commands at once (each is a separate process); results in order."""
    processes = [_start(arguments, cwd) for arguments in commands]
    try:
        return [_finish(process) for process in processes]
    finally:  # if one fails, none of the others is left running
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A tiny simulation and the same runs as a sweep spec, both saved."""
    folder = tmp_path_factory.mktemp("cli")
    (folder / "sweep.toml").write_text(SPEC)
    (folder / "grid.toml").write_text(GRID_SPEC)
    simulated, swept, grid = semjax_all(
        [("simulate", "four_items", *TINY, "--record", "modes,loss,weights", "-o", "run.npz"),
         ("sweep", "sweep.toml", "--no-progress"), ("sweep", "grid.toml", "--no-progress")],
        cwd=folder)
    return folder, simulated, swept, grid


def test_simulate_writes_a_trajectory_and_a_summary(results):
    from semjax import Trajectory

    folder, (status, stdout, stderr), _, _ = results
    assert status == 0, stderr
    assert "Simulated 3 runs (seed 3)" in stdout and "All 3 runs finite" in stdout
    assert "Saved to run.npz" in stdout
    run = Trajectory.load(folder / "run.npz")
    assert run.batch_axes == ("seed",) and run.modes.shape == (3, 21, 4)
    assert run.weights is not None and run.info["dt"] == 0.1
    assert run.info["dataset"] == "four_items"  # what `show` needs to rebuild the task


def test_sweep_spec_equals_simulate_and_compare_says_so(results):
    from semjax import Trajectory

    folder, (status, _, stderr), (swept, stdout, sweep_err), _ = results
    assert status == 0 and swept == 0, stderr + sweep_err
    assert "Saved to" in stdout and (folder / "sweep.npz").exists()
    a, b = Trajectory.load(folder / "run.npz"), Trajectory.load(folder / "sweep.npz")
    np.testing.assert_allclose(a.modes, b.modes, rtol=1e-6, atol=1e-9)
    status, stdout, stderr = semjax("compare", "run.npz", "sweep.npz", "--fail-above", "1e-5",
                                    cwd=folder)
    assert status == 0, stderr
    assert "max rel" in stdout and "max relative error" in stdout


def test_a_spec_with_an_over_table_sweeps_a_grid(results):
    from semjax import Trajectory

    folder, (status, _, stderr), _, (gridded, stdout, grid_err) = results
    assert status == 0 and gridded == 0, stderr + grid_err
    grid, run = Trajectory.load(folder / "grid.npz"), Trajectory.load(folder / "run.npz")
    assert grid.batch_axes == ("hidden", "method", "scale", "seed")
    assert grid.modes.shape == (2, 2, 2, 3, 21, 4)
    assert list(grid.coords["method"]) == ["euler", "rk4"]
    np.testing.assert_allclose(grid.modes[1, 0, 0], run.modes, rtol=1e-6, atol=1e-9)
    status, stdout, stderr = semjax("show", "grid.npz", cwd=folder)
    assert status == 0, stderr
    assert "hidden" in stdout and "method" in stdout and "all 24 runs finite" in stdout


def test_compare_fails_above_the_tolerance(results):
    import dataclasses

    from semjax import Trajectory

    folder = results[0]
    run = Trajectory.load(folder / "run.npz")
    dataclasses.replace(run, modes=1.1 * run.modes).save(folder / "off.npz")
    (strict, stdout, stderr), (lenient, _, _) = semjax_all(
        [("compare", "off.npz", "run.npz", "--fail-above", "0.01"),
         ("compare", "off.npz", "run.npz", "--fail-above", "0.5")], cwd=folder)
    assert strict == 1 and "check failed" in stderr and "max relative error" in stdout
    assert lenient == 0


def test_show_summarises_and_plots_with_the_theory(results):
    folder = results[0]
    status, stdout, stderr = semjax("show", "run.npz", "--plot", "run.png", cwd=folder)
    assert status == 0, stderr
    for expected in ("axes:", "seed", "modes", "(3, 21, 4)", "weights", "all 3 runs finite",
                     "dt = 0.1", "task_s ="):
        assert expected in stdout
    assert "theory: closed form from the median effective a0" in stdout
    assert (folder / "run.png").stat().st_size > 1000


def test_show_reports_diverged_runs_with_exit_status_1(results):
    import dataclasses

    from semjax import Trajectory

    folder = results[0]
    run = Trajectory.load(folder / "sweep.npz")
    bad = dataclasses.replace(run, finite=np.array([True, False, True]), weights=None)
    bad.save(folder / "bad.npz")
    status, stdout, _ = semjax("show", "bad.npz", "--plot", "bad.png", cwd=folder)
    assert status == 1
    assert "1 of 3 runs diverged" in stdout and "(seed=1)" in stdout
    assert "theory omitted: record the weights" in stdout


def _one_line_error(status, stderr):
    lines = stderr.strip().splitlines()
    assert status == 2, stderr
    assert len(lines) == 1 and "error:" in lines[0] and lines[0].startswith("semjax"), stderr
    return lines[0]


def test_bad_arguments_give_one_line_and_exit_status_2(tmp_path):
    (tmp_path / "typo.toml").write_text(SPEC.replace("n_seeds", "n_seed"))
    (tmp_path / "table.toml").write_text(SPEC + "\n[extra]\nx = 1\n")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    cases = [
        (("simulate", "no_such_data", *TINY), "unknown dataset 'no_such_data'"),
        (("simulate", "four_items", *TINY[:6], "--dt", "-0.1", "--n-steps", "2"),
         "argument --dt: must be a number > 0"),
        (("simulate", "four_items", "-D", "flip=1", *TINY), "has no option(s) flip"),
        (("simulate", "branching_diffusion", "-D", "branchng=2", *TINY),
         "has no option(s) branchng (did you mean 'branching'?)"),
        (("sweep", "typo.toml"), "unknown key(s) 'n_seed'"),
        (("sweep", "table.toml"), "unknown key(s) 'extra'"),
        (("show", "missing.npz"), "no such file: 'missing.npz'"),
        (("show", "junk.npz"), "cannot read 'junk.npz' as a semjax result"),
    ]
    # the first as a separate process (what a user's shell sees), the others in this one
    outcomes = [*semjax_all([cases[0][0]], cwd=tmp_path),
                *(semjax(*arguments, cwd=tmp_path) for arguments, _ in cases[1:])]
    for (arguments, message), (status, _, stderr) in zip(cases, outcomes):
        line = _one_line_error(status, stderr)
        assert message in line, (arguments, line)
        assert "Traceback" not in stderr


HELP_LOOP = """
import contextlib, io, json, sys
from semjax.cli import main
found = {}
for command in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main([command, "--help"])
            status = None
        except SystemExit as exit:
            status = exit.code
    found[command] = [status, out.getvalue()]
print(json.dumps(found))
"""


def test_every_help_exits_0_with_examples(tmp_path):
    import json
    from pathlib import Path

    script = Path(sys.executable).with_name("semjax")  # the console script, where installed
    main_help = ([str(script)] if script.exists() else [sys.executable, "-m", "semjax.cli"])
    top = subprocess.run([*main_help, "--help"], capture_output=True, text=True,
                         env=_environment(), cwd=tmp_path, timeout=120)
    assert top.returncode == 0, top.stderr
    assert "examples:" in top.stdout and "exit status:" in top.stdout
    # the commands' help in one process (each is argparse's own --help: exit status 0)
    loop = subprocess.run([sys.executable, "-c", HELP_LOOP, *COMMANDS], capture_output=True,
                          text=True, env=_environment(), cwd=tmp_path, timeout=120)
    assert loop.returncode == 0, loop.stderr
    found = json.loads(loop.stdout.strip().splitlines()[-1])
    for command in COMMANDS:
        status, text = found[command]
        assert status in (0, None), command
        assert "examples:" in text, command
        assert f"semjax {command}" in text.split("examples:")[1], command
    assert "[sweep]" in found["sweep"][1] and "exit status:" in found["simulate"][1]
