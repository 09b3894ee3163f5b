"""Read-outs against closed forms."""

import numpy as np
import pytest

from semjax import Trajectory, analysis, theory


def test_crossing_times_recover_the_exact_half_time():
    s, a0 = np.array([3.0, 1.0, 0.4]), 1e-4
    t = np.linspace(0, 30, 30001)
    modes = np.asarray(theory.mode_strength(t[:, None], s, a0))
    run = Trajectory.create(t=t, finite=np.ones(2, bool), batch_axes=("seed",),
                            modes=np.stack([modes, modes]))
    times = analysis.crossing_times(run, s)
    np.testing.assert_allclose(times, np.broadcast_to(theory.half_time(s, a0), (2, 3)), rtol=1e-6)


def test_crossing_times_are_nan_when_never_reached():
    t = np.linspace(0, 1, 11)
    run = Trajectory.create(t=t, finite=np.array(True), modes=np.tile(t[:, None], (1, 2)) * 0.4)
    times = analysis.crossing_times(run, np.array([1.0, 0.5]), fraction=0.6)
    assert np.isnan(times[0]) and times[1] == pytest.approx(0.75)
