"""Every gallery figure renders at tiny sizes; the CLI writes them where asked."""

import matplotlib.image
import numpy as np
import pytest
from PIL import Image

from semjax import cli, gallery


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


# Figures whose quick mode still takes 6–15 s on 2 cores: rendered by `semjax figures` (the
# README's main job) and by `python -m pytest -m slow`, not in the default run.
SLOW_FIGURES = {"coherence", "structural_forms", "rsa", "theory_vs_simulation", "depth",
                "svd_rumelhart", "nonlinear_hierarchy", "hierarchy"}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW_FIGURES else name
    for name in gallery.FIGURES])
def test_each_figure_renders(tmp_path, name):
    path = gallery.FIGURES[name](tmp_path, quick=True)
    assert path.exists() and path.parent == tmp_path and path.stem == name
    frames = _frames(path)
    if path.suffix == ".gif":
        assert len(frames) >= 5  # an animation, not a still
        assert path.stat().st_size < 2 * 2 ** 20
        assert np.ptp(frames[-1] - frames[0]) > 0.1  # the frames change
    else:
        assert path.suffix == ".png"
    for image in frames:
        assert image.shape[0] > 200 and image.shape[1] > 400
        assert np.ptp(image) > 0.5  # not blank


def test_cli_writes_requested_figures(tmp_path, capsys):
    assert cli.main(["figures", "--out", str(tmp_path / "out"), "--only", "seed_shallow",
                     "--quick", "--no-progress"]) == 0
    assert (tmp_path / "out" / "seed_shallow.png").exists()
    assert "seed_shallow.png" in capsys.readouterr().out


def test_unknown_figure_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown figure names"):
        gallery.make_figures(tmp_path, names=["fig9"])
    with pytest.raises(SystemExit):
        cli.main(["figures", "--only", "fig9"])
