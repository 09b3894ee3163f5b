"""Every gallery figure renders at tiny sizes; the CLI writes them where asked."""

import matplotlib.image
import numpy as np
import pytest

from semjax import cli, gallery


@pytest.mark.parametrize("name", sorted(gallery.FIGURES))
def test_each_figure_renders(tmp_path, name):
    path = gallery.FIGURES[name](tmp_path, quick=True)
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert np.ptp(image[..., :3]) > 0.5  # not blank


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
