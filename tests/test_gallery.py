"""Every gallery figure renders at tiny sizes, within the gallery's conventions (a size a page
can show; panels that show what they name; overlapping series kept visible); quick mode stays
small and compiles little; the CLI writes the figures where asked."""

import os

import matplotlib.collections
import matplotlib.colors
import matplotlib.figure
import matplotlib.image
import numpy as np
import pytest
from PIL import Image

import semjax.dynamics._runs
from semjax import cli, gallery

MAX_PIXELS = 2000  # the tallest figure a page shows at full width without scrolling far
QUICK_RUNS, QUICK_STEPS = 8, 3000  # quick mode: every simulation at most this large


def _frames(path) -> list[np.ndarray]:
    """The frames of an image file as float RGB arrays in [0, 1] (one for a PNG)."""
    if path.suffix == ".png":
        return [matplotlib.image.imread(path)[..., :3]]
    frames = []
    with Image.open(path) as image:
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB"), dtype=float) / 255)
    return frames


# Figures whose quick mode takes 3–11 s on 2 cores (deep_vs_shallow, illusions: their
# phenomena are tested in test_development.py and test_examples.py): rendered by
# `semjax figures` (the README's main job) and by `python -m pytest -m slow`, not in the
# default run.
SLOW_FIGURES = {"coherence", "structural_forms", "rsa", "theory_vs_simulation", "depth",
                "svd_rumelhart", "nonlinear_hierarchy", "hierarchy", "gated_race", "relu_gdln",
                "theory_fits", "deep_vs_shallow", "illusions"}


@pytest.fixture
def drawn(monkeypatch):
    """What a figure function does: the figures it saves and the specs of the runs it
    simulates, in order."""
    figures, specs = [], []
    save, run = matplotlib.figure.Figure.savefig, semjax.dynamics._runs.run

    def recording_save(self, *args, **kwargs):
        figures.append(self)
        return save(self, *args, **kwargs)

    def recording_run(spec):
        specs.append(spec)
        return run(spec)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", recording_save)
    monkeypatch.setattr(semjax.dynamics._runs, "run", recording_run)
    return figures, specs


def _titled(figure, start: str):
    """The panels of ``figure`` whose title starts with ``start``."""
    return [ax for ax in figure.axes if ax.get_title().startswith(start)]


def _singular_values_are_bars(figure):
    """The S panel shows each singular value as a bar of that length (not a mostly blank
    diagonal matrix)."""
    from semjax.gallery._common import _rumelhart_task, _seed_task
    panel, = _titled(figure, "S = diag")
    widths = [bar.get_width() for bar in panel.patches]
    s = (_seed_task() if len(widths) == 4 else _rumelhart_task()).modes.s
    np.testing.assert_allclose(widths, s, rtol=1e-12)


def _bands_and_seed_count(figure):
    """Every network's panel has the band over seeds, and the figure states the seed count."""
    panels = [ax for ax in figure.axes if ax.get_title().endswith(" net")]
    assert len(panels) == 3
    for ax in panels:
        assert any(isinstance(c, matplotlib.collections.PolyCollection) for c in ax.collections)
    assert "seeds per network" in figure.get_suptitle()


def _legend_clear_of_the_panels(figure):
    """The GIF's legend lies outside every panel (the curves sweep across the whole panel)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(figure)  # the figure was closed after its frames were saved
    canvas.draw()
    renderer = canvas.get_renderer()
    legends = [*figure.legends, *(ax.get_legend() for ax in figure.axes if ax.get_legend())]
    assert legends
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in figure.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title()


def _comparisons_stay_visible(figure):
    """The RSA comparisons that coincide keep their markers apart, the black one on top."""
    ax, = [ax for ax in figure.axes if ax.get_ylabel().startswith("RSM difference")]
    markers = [line for line in ax.lines if line.get_marker() not in ("None", None, "")]
    assert len(markers) == 3
    for k, line in enumerate(markers):
        for other in markers[k + 1:]:
            assert not np.intersect1d(line.get_xdata(), other.get_xdata()).size
    black = [line for line in markers if matplotlib.colors.to_rgb(line.get_color()) == (0, 0, 0)]
    assert len(black) == 1 and black[0].get_zorder() == max(m.get_zorder() for m in markers)


FIGURE_CHECKS = {"svd_four_items": _singular_values_are_bars,
                 "svd_rumelhart": _singular_values_are_bars,
                 "nonlinear_hierarchy": _bands_and_seed_count,
                 "svd_image_animation": _legend_clear_of_the_panels,
                 "rsa": _comparisons_stay_visible}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW_FIGURES else name
    for name in gallery.FIGURES])
def test_each_figure_renders(tmp_path, name, drawn):
    path = gallery.FIGURES[name](tmp_path, quick=True)
    assert path.exists() and path.parent == tmp_path and path.stem == name
    frames = _frames(path)
    if path.suffix == ".gif":
        assert len(frames) >= 5  # an animation, not a still
        assert path.stat().st_size < 2 * 2 ** 20
        assert np.ptp(frames[-1] - frames[0]) > 0.1  # the frames change
    else:
        assert path.suffix == ".png"
    for image in frames:  # quick mode draws at the full size: the committed figure's pixels
        assert 200 < image.shape[0] <= MAX_PIXELS and 400 < image.shape[1] <= MAX_PIXELS
        assert np.ptp(image) > 0.5  # not blank
    figures, specs = drawn
    for spec in specs:  # quick mode is small: few runs, short ones
        assert spec.n_runs <= QUICK_RUNS and spec.n_steps <= QUICK_STEPS, (spec.n_runs,
                                                                           spec.n_steps)
    if name in FIGURE_CHECKS:
        FIGURE_CHECKS[name](figures[-1])


def test_tasks_that_differ_only_in_names_share_one_compilation(seed_task):
    """Figures that sweep tasks of one shape (coherence: a new noisy dataset per point;
    structural forms: one per form) compile their simulation once in quick mode."""
    import dataclasses

    from semjax import simulate
    from semjax.dynamics import _core
    settings = dict(hidden=3, init_scale=0.1, dt=0.1, n_steps=7, kernel="reference")
    simulate(seed_task, **settings)
    compiled = _core.run_batch._cache_size()
    renamed = dataclasses.replace(seed_task, item_names=("w", "x", "y", "z"), U=None)
    assert renamed.item_names == ("w", "x", "y", "z")
    simulate(renamed, **settings)
    assert _core.run_batch._cache_size() == compiled


def test_quick_figures_compile_at_the_cheapest_xla_level(tmp_path, monkeypatch):
    """Quick mode's runs are tiny, so compiling is most of its time: the command asks XLA for
    its optimisation level 0 (about half the compile time) unless XLA_FLAGS chooses a level."""
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    assert cli.main(["figures", "--out", str(tmp_path), "--only", "seed_shallow", "--quick",
                     "--no-progress"]) == 0
    assert "--xla_backend_optimization_level=0" in os.environ["XLA_FLAGS"]
    assert "--xla_cpu_enable_fast_math=false" in os.environ["XLA_FLAGS"]
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=2")
    assert cli.main(["figures", "--out", str(tmp_path), "--only", "seed_shallow", "--quick",
                     "--no-progress"]) == 0
    assert os.environ["XLA_FLAGS"] == "--xla_backend_optimization_level=2"


def test_cli_writes_requested_figures(tmp_path, capsys):
    assert cli.main(["figures", "--out", str(tmp_path / "out"), "--only", "seed_shallow",
                     "--quick", "--no-progress"]) == 0
    assert (tmp_path / "out" / "seed_shallow.png").exists()
    assert "seed_shallow.png" in capsys.readouterr().out


def test_jobs_must_be_a_whole_number_of_processes(tmp_path):
    for jobs in (0, 1.5):
        with pytest.raises((TypeError, ValueError), match="jobs must be an integer"):
            gallery.make_figures(tmp_path, names=["seed_shallow"], jobs=jobs)


@pytest.mark.slow  # two fresh processes import semjax and compile
def test_figures_drawn_in_parallel_are_those_drawn_in_turn(tmp_path):
    names = ["seed_shallow", "svd_image"]
    parallel = gallery.make_figures(tmp_path / "parallel", names=names, quick=True,
                                    progress=False, jobs=2)
    in_turn = gallery.make_figures(tmp_path / "in_turn", names=names, quick=True,
                                   progress=False)
    assert [path.name for path in parallel] == [f"{name}.png" for name in names]
    for a, b in zip(parallel, in_turn):
        np.testing.assert_array_equal(_frames(a)[0], _frames(b)[0])


def test_unknown_figure_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown figure names"):
        gallery.make_figures(tmp_path, names=["fig9"])
    with pytest.raises(SystemExit):
        cli.main(["figures", "--only", "fig9"])
