"""semjax.plotting's tutorial figures: theory against simulation per mode, the RSM over time
and MDS paths. Each function draws on an Agg figure; the tests read the data back from the
artists and check the errors that name a bad argument."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from semjax import Task, Trajectory, analysis, datasets, plotting, theory


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tree_task():
    """A binary tree of depth 3 with one membership feature per node: a non-negative RSM."""
    return Task.from_dataset(datasets.regular_tree(2, 3))


@pytest.fixture(scope="module")
def tree_closed_form(tree_task):
    return theory.trajectory(tree_task, np.linspace(0, 80, 161), 1e-3,
                             record=("modes", "hidden_gram"))


def _seeds_around(closed_form, n_seeds=5):
    """A fake simulated batch: the closed form's modes times 1 ± 2 % per seed."""
    factors = 1 + 0.02 * np.linspace(-1, 1, n_seeds)
    modes = factors[:, None, None] * np.asarray(closed_form.modes)[None]
    return Trajectory.create(t=closed_form.t, finite=np.ones(n_seeds, bool), modes=modes,
                             batch_axes=("seed",))


def _theory_lines(ax):
    return [line for line in ax.lines if line.get_label().endswith("(theory)")]


def _marker_lines(ax):
    return [line for line in ax.lines if line.get_label().endswith("(simulation)")]


# ------------------------------------------------------------ plot_mode_strengths_with_theory


def test_theory_lines_carry_the_closed_form_and_each_mode_keeps_its_colour(seed_task):
    closed_form = theory.trajectory(seed_task, np.linspace(0, 8, 201), 1e-3)
    run = _seeds_around(closed_form)
    _, ax = plt.subplots()
    plotting.plot_mode_strengths_with_theory(ax, run, closed_form)
    lines, markers = _theory_lines(ax), _marker_lines(ax)
    assert len(lines) == len(markers) == 4
    median = np.median(np.asarray(run.modes), axis=0)
    for mode, (line, points) in enumerate(zip(sorted(lines, key=lambda x: x.get_label()),
                                              sorted(markers, key=lambda x: x.get_label()))):
        np.testing.assert_allclose(line.get_ydata(), np.asarray(closed_form.modes)[:, mode])
        assert line.get_color() == points.get_color() == plotting.mode_color(mode)
        assert points.get_marker() == plotting.mode_marker(mode)
        times = np.asarray(points.get_xdata())
        np.testing.assert_allclose(points.get_ydata(),
                                   median[np.searchsorted(run.t, times), mode])
    assert len(ax.collections) == 4  # one 10–90 % band per mode


def test_degenerate_modes_stay_visible(seed_task):
    """Modes 3 and 4 of the four-item task share s = 1: their closed forms coincide, so they
    get different line styles and markers at different times."""
    closed_form = theory.trajectory(seed_task, np.linspace(0, 8, 201), 1e-3)
    _, ax = plt.subplots()
    plotting.plot_mode_strengths_with_theory(ax, _seeds_around(closed_form), closed_form)
    by_label = {line.get_label(): line for line in ax.lines}
    third, fourth = by_label["$a_{3}$ (theory)"], by_label["$a_{4}$ (theory)"]
    np.testing.assert_allclose(third.get_ydata(), fourth.get_ydata())
    assert third.get_linestyle() != fourth.get_linestyle()
    assert by_label["$a_{1}$ (theory)"].get_linestyle() == "-"  # alone: solid
    marker_times = [set(by_label[f"$a_{{{k}}}$ (simulation)"].get_xdata()) for k in (3, 4)]
    assert not marker_times[0] & marker_times[1]


def test_the_legend_sits_outside_the_data(seed_task):
    closed_form = theory.trajectory(seed_task, np.linspace(0, 8, 101), 1e-3)
    fig, ax = plt.subplots(figsize=(6, 3))
    artists = plotting.plot_mode_strengths_with_theory(ax, _seeds_around(closed_form),
                                                       closed_form, names=list("ABCD"))
    legend = artists[-1]
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1
    texts = [text.get_text() for text in legend.get_texts()]
    assert texts[:4] == list("ABCD") and texts[4] == "theory (lines)"


def test_a_batched_closed_form_is_drawn_as_its_median(seed_task):
    t = np.linspace(0, 8, 101)
    a0 = np.array([[1e-3], [2e-3], [4e-3]])
    closed_form = theory.trajectory(seed_task, t, a0, batch_axes=("seed",))
    _, ax = plt.subplots()
    plotting.plot_mode_strengths_with_theory(ax, _seeds_around(closed_form.select(seed=1)),
                                             closed_form, legend=False)
    first = next(line for line in _theory_lines(ax) if line.get_label().startswith("$a_{1}$"))
    np.testing.assert_allclose(first.get_ydata(), np.asarray(closed_form.modes)[1, :, 0])
    assert ax.get_legend() is None


def test_mode_strength_errors_name_the_argument(seed_task):
    closed_form = theory.trajectory(seed_task, np.linspace(0, 8, 51), 1e-3)
    run = _seeds_around(closed_form)
    _, ax = plt.subplots()
    no_modes = theory.trajectory(seed_task, closed_form.t, 1e-3, record=("loss",))
    fewer = Trajectory.create(t=closed_form.t, finite=True,
                              modes=np.asarray(closed_form.modes)[:, :3])
    for kwargs, name in ((dict(run=run, closed_form=no_modes), "closed_form"),
                         (dict(run=no_modes, closed_form=closed_form), "run"),
                         (dict(run=np.zeros((51, 4)), closed_form=closed_form), "run"),
                         (dict(run=run, closed_form=fewer), "closed_form"),
                         (dict(run=run, closed_form=closed_form, names=["a"]), "names")):
        with pytest.raises(ValueError, match=name):
            plotting.plot_mode_strengths_with_theory(ax, **kwargs)


# ---------------------------------------------------------------------- plot_rsm_over_time


def _lightness(cmap_name: str) -> np.ndarray:
    """Relative luminance along a colour map."""
    rgb = matplotlib.colormaps[cmap_name](np.linspace(0, 1, 64))[:, :3]
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def test_rsm_panels_share_a_sequential_scale_and_one_colour_bar(tree_task, tree_closed_form):
    times = [5.0, 10.0, 20.0, 80.0]
    fig, axes = plt.subplots(1, 4, figsize=(12, 3))
    artists = plotting.plot_rsm_over_time(axes, tree_closed_form, times,
                                          names=tree_task.checked.item_names)
    images, colorbar = artists[:-1], artists[-1]
    expected = analysis.representational_similarity(tree_closed_form)
    indices = [int(np.argmin(np.abs(tree_closed_form.t - time))) for time in times]
    for image, index in zip(images, indices):
        np.testing.assert_allclose(image.get_array(), expected[index])
    limits = {image.get_clim() for image in images}
    assert len(limits) == 1  # one shared colour scale
    low, high = limits.pop()
    shown = expected[indices]
    assert low == 0 and low <= shown.min() + 1e-9 and high >= shown.max()
    assert colorbar.vmin == low and colorbar.vmax == high
    assert len(fig.axes) == 5  # four panels and one colour bar
    name = images[0].get_cmap().name
    assert name == "viridis" and np.all(np.diff(_lightness(name)) > 0)  # sequential
    assert [ax.get_title() for ax in axes] == [f"t = {time:.3g} τ" for time in times]


def test_rsm_with_negative_entries_takes_a_diverging_symmetric_scale(tree_closed_form):
    _, axes = plt.subplots(1, 2)
    images = plotting.plot_rsm_over_time(axes, tree_closed_form, [20.0, 80.0],
                                         normalise="correlation")[:-1]
    low, high = images[0].get_clim()
    assert low == -high < 0 and images[0].get_cmap().name == "RdBu_r"


def test_rsm_of_a_batch_draws_the_median_or_the_chosen_run(tree_task):
    t = np.linspace(0, 40, 41)
    closed_form = theory.trajectory(tree_task, t, np.array([[1e-3], [1e-2], [1e-1]]),
                                    batch_axes=("seed",), record=("hidden_gram",))
    grams = analysis.representational_similarity(closed_form)
    for run, expected in ((None, np.median(grams, axis=0)[20]), (2, grams[2, 20]),
                          ((0,), grams[0, 20])):
        _, ax = plt.subplots()
        image = plotting.plot_rsm_over_time([ax], closed_form, [20.0], run=run)[0]
        np.testing.assert_allclose(image.get_array(), expected)


def test_rsm_errors_name_the_argument(tree_task, tree_closed_form):
    _, axes = plt.subplots(1, 2)
    no_gram = theory.trajectory(tree_task, tree_closed_form.t, 1e-3)
    for args, kwargs, name in (((axes, tree_closed_form, [1.0, 90.0]), {}, "times"),
                               ((axes, tree_closed_form, [1.0]), {}, "axes"),
                               ((axes, no_gram, [1.0, 2.0]), {}, "trajectory"),
                               ((axes, tree_closed_form, [1.0, 2.0]), {"run": 0}, "run"),
                               ((axes, tree_closed_form, [1.0, 2.0]), {"names": ["a"]},
                                "names"),
                               ((axes, tree_closed_form, [1.0, 2.0]), {"normalise": "z"},
                                "normalise")):
        with pytest.raises(ValueError, match=name):
            plotting.plot_rsm_over_time(*args, **kwargs)


# ------------------------------------------------------------------ plot_mds_trajectories


def test_mds_axes_are_fixed_across_time():
    """Two orthogonal item contrasts a and b, a strong early and b stronger late: a per-time
    MDS would swap its axes where b overtakes a; on fixed axes (the final ones) each item moves
    along b on the first axis and along a on the second at every time."""
    draws = np.random.default_rng(0).normal(size=(6, 2))
    a, b = np.linalg.qr(draws - draws.mean(axis=0))[0].T  # centred, orthonormal item profiles
    t = np.linspace(0, 10, 21)
    early, late = 1 - np.exp(-t), (t / 5) ** 2  # late overtakes early near t = 4
    grams = (early[:, None, None] ** 2 * np.outer(a, a)
             + late[:, None, None] ** 2 * np.outer(b, b))
    grown = Trajectory.create(t=t, finite=True, hidden_gram=grams)
    times, coordinates = plotting.mds_paths(grown)
    np.testing.assert_allclose(times, t)
    final = coordinates[-1]
    np.testing.assert_allclose(np.abs(final), np.abs(np.column_stack([late[-1] * b,
                                                                      early[-1] * a])),
                               atol=1e-9)
    np.testing.assert_allclose(coordinates, np.stack([late / late[-1], early / early[-1]],
                                                     axis=-1)[:, None, :] * final, atol=1e-9)
    per_time = analysis.mds_embedding(grams[2])  # t = 1: a is the first MDS axis
    np.testing.assert_allclose(np.abs(per_time[:, 0]), np.abs(early[2] * a), atol=1e-9)


def test_mds_paths_of_the_tree_split_coarse_first(tree_task, tree_closed_form):
    """On the closed form every item keeps its side of each axis, and the first axis is the
    coarsest split (the first four leaves against the last four)."""
    _, coordinates = plotting.mds_paths(tree_closed_form, [5.0, 10.0, 20.0, 40.0, 80.0])
    signs = np.sign(coordinates[-1, :, 0])
    assert np.all(signs[:4] == signs[0]) and np.all(signs[4:] == -signs[0])
    moved = np.abs(coordinates[:, :, 0]) > 1e-6
    assert np.all(np.sign(coordinates[:, :, 0])[moved] == np.broadcast_to(signs, moved.shape)[
        moved])
    spread = np.linalg.norm(coordinates, axis=(1, 2))
    assert np.all(np.diff(spread) > 0)  # growth out of the origin


def test_mds_trajectories_draw_the_paths_end_markers_and_labels(tree_task, tree_closed_form):
    _, ax = plt.subplots()
    names = tree_task.checked.item_names
    artists = plotting.plot_mds_trajectories(ax, tree_closed_form, names=names,
                                             colors=["k"] * 4 + ["r"] * 4)
    _, coordinates = plotting.mds_paths(tree_closed_form)
    for item in range(len(names)):
        path, end = artists[2 * item:2 * item + 2]
        np.testing.assert_allclose(np.column_stack([path.get_xdata(), path.get_ydata()]),
                                   coordinates[:, item])
        np.testing.assert_allclose([end.get_xdata()[0], end.get_ydata()[0]],
                                   coordinates[-1, item])
        assert path.get_color() == ("k" if item < 4 else "r")
    labels = artists[2 * len(names):]
    # the first two axes do not separate the pairs: items ending together share a label
    pairs = {name: label for label in labels for name in label.get_text().split(", ")}
    assert sorted(pairs) == sorted(names) and len(labels) < len(names)
    for label in labels:
        first = names.index(label.get_text().split(", ")[0])
        np.testing.assert_allclose(label.xy, coordinates[-1, first])
    _, ax = plt.subplots()
    later_axes = plotting.plot_mds_trajectories(ax, tree_closed_form, components=(2, 1))
    _, coordinates = plotting.mds_paths(tree_closed_form, n_components=3)
    np.testing.assert_allclose(np.column_stack([later_axes[0].get_xdata(),
                                                later_axes[0].get_ydata()]),
                               coordinates[:, 0, [2, 1]])
    assert (ax.get_xlabel().startswith("MDS 3"), ax.get_ylabel()) == (True, "MDS 2")


def test_mds_and_rsm_plots_name_the_tasks_items_by_default(tree_task, tree_closed_form):
    """Without ``names`` the plots use the item names the trajectory records from its task
    (issue 19: they said "item 1", "item 2", ...)."""
    names = list(tree_task.item_names)
    assert list(tree_closed_form.info["item_names"]) == names
    _, ax = plt.subplots()
    artists = plotting.plot_mds_trajectories(ax, tree_closed_form)
    labelled = [name for artist in artists if hasattr(artist, "get_text")
                for name in artist.get_text().split(", ")]
    assert sorted(labelled) == sorted(names)
    _, axes = plt.subplots(1, 2)
    plotting.plot_rsm_over_time(axes, tree_closed_form, [20.0, 80.0])
    assert [label.get_text() for label in axes[0].get_yticklabels()] == names
    unnamed = Trajectory.create(t=tree_closed_form.t, finite=True,
                                hidden_gram=tree_closed_form.hidden_gram)
    _, ax = plt.subplots()
    artists = plotting.plot_mds_trajectories(ax, unnamed)
    assert "item 1" in " ".join(a.get_text() for a in artists if hasattr(a, "get_text"))


def test_degenerate_modes_stay_visible_in_the_plain_plots(seed_task):
    """`plot_curves` and `plot_mode_strengths` (the README's plot and `semjax show --plot`):
    modes 3 and 4 of the seed's task share s = 1, so their curves coincide; the second gets
    another line style and staggered markers (issue 19: a₃ hid under a₄)."""
    closed_form = theory.trajectory(seed_task, np.linspace(0, 8, 201), 1e-3)
    _, ax = plt.subplots()
    lines = plotting.plot_curves(ax, closed_form.t, closed_form.modes, label="theory")
    assert [line.get_linestyle() for line in lines] == ["-", "-", "-", "--"]
    assert lines[0].get_label() == "theory"
    artists = plotting.plot_mode_strengths(ax, _seeds_around(closed_form))
    markers = [artist for artist in artists if hasattr(artist, "get_xdata")]
    assert len(markers) == 4
    assert not np.intersect1d(markers[2].get_xdata(), markers[3].get_xdata()).size
    np.testing.assert_array_equal(markers[0].get_xdata(), markers[1].get_xdata())
    _, ax = plt.subplots()
    dashed = plotting.plot_curves(ax, closed_form.t, closed_form.modes, linestyle="--")
    assert {line.get_linestyle() for line in dashed} == {"--"}


def test_mds_errors_name_the_argument(tree_task, tree_closed_form):
    _, ax = plt.subplots()
    for kwargs, name in (({"names": ["a"]}, "names"), ({"colors": ["k"]}, "colors"),
                         ({"times": [-1.0]}, "times"), ({"run": 0}, "run")):
        with pytest.raises(ValueError, match=name):
            plotting.plot_mds_trajectories(ax, tree_closed_form, **kwargs)
    with pytest.raises(ValueError, match="n_components"):
        plotting.mds_paths(tree_closed_form, n_components=9)
    with pytest.raises(ValueError, match="n_components"):  # the 9th axis of 8 items
        plotting.plot_mds_trajectories(ax, tree_closed_form, components=(0, 8))
    for components in ((1, 1), (0,), (-1, 0)):
        with pytest.raises(ValueError, match="components"):
            plotting.plot_mds_trajectories(ax, tree_closed_form, components=components)
    with pytest.raises(ValueError, match="trajectory"):
        plotting.mds_paths(theory.trajectory(tree_task, [0.0, 1.0], 1e-3))
