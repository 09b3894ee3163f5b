"""Frictions a new user hit with the command line and the docs (issue 19), each checked in
process on tiny problems: the example of ``semjax compare --help`` passes its own check, a
dry run refuses bad values, a TOML spec's mistakes name the key and the fix, ``semjax show``
names the function that made a file and keeps degenerate modes visible in its plot, a store
leaves no lock behind, and the docs' sweeps use distinct store folders."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shlex
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

from semjax import cli, plotting

ROOT = Path(__file__).resolve().parents[1]
# the runs of the compare help's example (one compilation for every run here)
RUN = dict(hidden=8, init="aligned", init_scale=1e-3, dt=0.02, t_max=8.0,
           record=["modes", "loss"])
SPEC = """\
[dataset]
name = "four_items"
normalise = "sum"

[sweep]
n_seeds = 1
""" + "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in RUN.items())


def _semjax(*argv, cwd) -> tuple[int, str]:
    """``semjax ARGV`` in this process, in ``cwd``: (exit status, stdout and stderr)."""
    out, before = io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            status = cli.main([str(a) for a in argv])
    finally:
        os.chdir(before)
    return status, out.getvalue()


def _example_commands(epilog: str) -> list[list[str]]:
    """The commands of a help text's examples: continuation lines joined, comments and what
    follows a shell ``&&`` dropped, ``semjax`` itself removed."""
    examples = epilog.split("examples:\n", 1)[1].split("\n\n")[0]
    lines = examples.replace("\\\n", " ").splitlines()
    return [shlex.split(line.split("&&")[0])[1:] for line in lines
            if line.strip().startswith("semjax ")]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """The example of ``semjax compare --help``, run as it is written."""
    folder = tmp_path_factory.mktemp("compare_help")
    commands = _example_commands(cli.COMPARE_EPILOG)
    return folder, commands, [_semjax(*command, cwd=folder) for command in commands]


def test_the_compare_help_example_passes_its_own_check(compared):
    _, commands, outcomes = compared
    assert [command[0] for command in commands] == ["simulate", "simulate", "compare"]
    for command, (status, output) in zip(commands, outcomes):
        assert status == 0, (command, output)
    worst = float(outcomes[-1][1].split("max relative error: ")[1].split()[0])
    assert worst <= float(commands[-1][commands[-1].index("--fail-above") + 1])


def test_show_keeps_degenerate_modes_visible(compared):
    """Modes 3 and 4 of the four-item task share s = 1: their theory lines differ in style and
    their markers sit at different times, so neither hides the other."""
    import matplotlib.colors
    import matplotlib.pyplot as plt

    from semjax import Trajectory

    folder = compared[0]
    figure, note = cli._plot_figure(Trajectory.load(folder / "float64.npz"))
    try:
        assert note.startswith("theory:"), note
        ax, = figure.axes

        def drawn(mode, markers):
            colour = matplotlib.colors.to_rgba(plotting.mode_color(mode))
            return next(line for line in ax.lines if (line.get_marker() not in ("None", None))
                        == markers and matplotlib.colors.to_rgba(line.get_color()) == colour)
        assert drawn(2, False).get_linestyle() != drawn(3, False).get_linestyle()
        assert not np.intersect1d(drawn(2, True).get_xdata(), drawn(3, True).get_xdata()).size
    finally:
        plt.close(figure)


def test_show_names_the_function_that_made_the_file(compared, tmp_path):
    from semjax import Trajectory, datasets

    folder = compared[0]
    status, output = _semjax("show", folder / "float32.npz", cwd=tmp_path)
    assert status == 0 and "float32.npz: semjax.simulate result" in output, output
    # the file names the task's items too (plots label them by name)
    assert (list(Trajectory.load(folder / "float32.npz").info["item_names"])
            == list(datasets.four_items().item_names))
    (tmp_path / "spec.toml").write_text(SPEC)
    assert _semjax("sweep", "spec.toml", "--no-progress", cwd=tmp_path)[0] == 0
    status, output = _semjax("show", "spec.npz", cwd=tmp_path)
    assert status == 0 and "spec.npz: semjax.sweep (of semjax.simulate runs) result" in output, \
        output


@pytest.mark.parametrize("change, message", [
    (("dt = 0.02", "dt = -0.05"), "[sweep]: dt must be a finite number > 0"),
    (('record = ["modes", "loss"]', 'record = ["mode"]'),
     "[sweep]: record must be one of 'modes'"),
    (("init_scale = 0.001", 'init_scale = "1e-3"'),
     '[sweep]: init_scale = "1e-3" is text (in quotes), not a number; write init_scale = 1e-3 '
     'without quotes.'),
    (("init_scale = 0.001", 'init_scale = [0.1, "1e-2"]'),
     "write init_scale = [0.1, 1e-2] without quotes"),
    (('normalise = "sum"', 'normalize = "sum"'),
     "[dataset]: unknown key(s) 'normalize' (did you mean 'normalise'?); allowed: name, "
     "normalise, key and the options of 'four_items': none."),
    (('name = "four_items"', 'name = "branching_diffusion"\nbranching = 2\ndepth = 2\n'
                             'flip = "0.1"'),
     'flip = "0.1" is text (in quotes), not a number'),
])
def test_a_dry_run_refuses_what_the_sweep_would(tmp_path, change, message):
    (tmp_path / "spec.toml").write_text(SPEC.replace(*change))
    status, output = _semjax("sweep", "spec.toml", "--dry-run", cwd=tmp_path)
    assert status == 2 and output.startswith("semjax: error: spec.toml"), output
    assert message in output, output


def test_a_store_keeps_no_lock_after_an_error_and_takes_over_a_stale_one(
        tmp_path, seed_task, monkeypatch):
    import semjax.sweeps
    from semjax import store, sweep

    settings = dict(RUN, n_seeds=3, chunk_size=1, checkpoint_dir=tmp_path, progress=False)
    real, calls = semjax.sweeps._runs.run, []

    def fail_on_the_second_chunk(spec):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("a failure inside the sweep")
        return real(spec)
    monkeypatch.setattr(semjax.sweeps._runs, "run", fail_on_the_second_chunk)
    with pytest.raises(RuntimeError, match="a failure inside"):
        sweep(seed_task, **settings)
    assert sorted(store.records(tmp_path)) == [0] and not (tmp_path / store.LOCK).exists()
    monkeypatch.setattr(semjax.sweeps._runs, "run", real)
    # a killed process leaves its lock file, naming it, but holds no lock any more
    (tmp_path / store.LOCK).write_text("process 4194305 on host elsewhere\n")
    with pytest.warns(store.StoreWarning, match="is a stale lock: process 4194305 on host "
                                                "elsewhere ended without releasing it"):
        result = sweep(seed_task, **settings)
    assert result.finite.all() and not (tmp_path / store.LOCK).exists()
    config = json.loads((tmp_path / store.MANIFEST).read_text())["config"]
    with store.ResultStore.open(tmp_path, config):  # the holder is named
        with pytest.raises(store.StoreLockedError, match=f"process {os.getpid()} on host"):
            sweep(seed_task, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", store.StoreWarning)  # released cleanly: nothing stale
        sweep(seed_task, **settings)


def _sweep_calls(text: str, language: str):
    """(checkpoint folder, the settings that go with it) of each sweep in a code block."""
    if language == "toml":
        spec = tomllib.loads(text)
        folder = spec.get("sweep", {}).get("checkpoint_dir")
        return [] if folder is None else [(folder, repr(sorted(spec.items())))]
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "sweep":
            folder = {k.arg: k.value for k in node.keywords}.get("checkpoint_dir")
            if isinstance(folder, ast.Constant):
                found.append((folder.value, ast.dump(node)))
    return found


def test_docs_sweeps_with_other_settings_use_other_store_folders():
    """A reader who runs the README's sweep and then the how-to's would get a refusal (the
    folder holds a sweep with other settings) if both used one checkpoint_dir."""
    settings: dict[str, set] = {}
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        for language, text in re.findall(r"```(python|toml)\n(.*?)```", page.read_text(),
                                         flags=re.S):
            for folder, call in _sweep_calls(text, language):
                settings.setdefault(folder, set()).add(call)
    assert "lazy_rich_grid" in settings and "lazy_rich_mini" in settings  # the parser works
    shared = {folder: len(calls) for folder, calls in settings.items() if len(calls) > 1}
    assert not shared, f"one store folder for sweeps with different settings: {shared}"
