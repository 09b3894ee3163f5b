"""The tutorials in examples/: each runs in quick mode, writes a non-blank figure and shows
the fact of the paper it is about (so that a broken tutorial fails here)."""

import importlib.util
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name: str, out_dir) -> dict:
    """Import examples/<name>.py by path and run its main in quick mode."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(quick=True, out_dir=out_dir)
    _check_figure(results["figure"], out_dir)
    return results


def _check_figure(path, out_dir) -> None:
    """The PNG exists in ``out_dir`` and shows something: many distinct pixel values."""
    path = Path(path)
    assert path.parent == Path(out_dir) and path.is_file()
    image = matplotlib.image.imread(path)
    assert min(image.shape[:2]) > 200
    assert image[..., :3].std() > 0.05 and len(np.unique(image[..., :3])) > 50


def test_every_example_has_a_test():
    tested = {"01_modes_deep_vs_shallow", "02_progressive_differentiation",
              "03_random_starts_vs_theory", "04_illusions_and_typicality",
              "05_gated_networks"}
    assert {path.stem for path in EXAMPLES.glob("*.py")} == tested


def test_deep_modes_are_learned_in_order_of_s_and_shallow_ones_together(tmp_path):
    results = _run("01_modes_deep_vs_shallow", tmp_path)
    s, deep, shallow = results["s"], results["deep_half_times"], results["shallow_half_times"]
    assert np.all(np.diff(s) <= 0)
    assert np.all(np.diff(deep[:3]) > 2.0)  # distinct s: stages several τ apart
    assert abs(deep[3] - deep[2]) < 0.05 * deep[2]  # modes 3 and 4 share s = 1/4
    assert np.ptp(shallow) < 0.02 * shallow.mean()  # one time constant for every mode
    assert shallow.max() < deep.min()


def test_the_hierarchy_is_learned_coarse_to_fine(tmp_path):
    results = _run("02_progressive_differentiation", tmp_path)
    assert list(results["levels"]) == [-1, 0, 1, 2]
    assert np.all(results["coarse_to_fine"])  # in every seed
    assert np.all(np.diff(results["level_half_times"]) > 0)
    assert np.all(np.diff(results["snapshot_times"]) > 0)


def test_random_starts_trail_the_closed_form_and_aligned_starts_follow_it(tmp_path):
    results = _run("03_random_starts_vs_theory", tmp_path)
    random_delay = np.median(results["random_delay"], axis=0)
    assert np.max(np.abs(results["aligned_delay"])) < 0.02
    assert np.all(random_delay > -0.02) and random_delay[-1] > 0.2
    assert random_delay[-1] > random_delay[0] + 0.2  # weak modes trail most


def test_deep_nets_have_illusions_and_typical_items_respond_first(tmp_path):
    results = _run("04_illusions_and_typicality", tmp_path)
    assert results["deep_illusion"] > 0.3
    assert results["shallow_illusion"] < 1e-3 * results["deep_illusion"]
    members, times = list(results["members"]), results["response_times"]
    typical = np.argsort(-results["typicality"])
    most, least = typical[0], typical[-1]
    assert members[most] == "oak"
    assert np.all(times[:, most] < times[:, least])  # in every seed


def test_gated_pathways_race_as_reduced_and_a_relu_net_follows_its_gdln(tmp_path):
    results = _run("05_gated_networks", tmp_path)
    assert results["race_error"] < 1e-5  # RK4 at dt = 0.1 against the reduction
    assert abs(results["race_factor"] - 3) < 1e-9  # the shared module serves 3 contexts
    assert results["relu_gap"] < 0.08  # measured 3.9 %


@pytest.mark.parametrize("name", ["01_modes_deep_vs_shallow"])
def test_examples_run_from_the_command_line(name, tmp_path, monkeypatch):
    """``python examples/<name>.py --quick --out DIR`` parses its arguments and writes the
    figure (runpy runs the file as __main__)."""
    import runpy

    monkeypatch.setattr("sys.argv", [f"{name}.py", "--quick", "--out", str(tmp_path / "new")])
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    _check_figure(tmp_path / "new" / f"{name}.png", tmp_path / "new")
