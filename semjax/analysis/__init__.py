"""Read-outs on any `semjax.Trajectory`, simulated or theoretical."""

from semjax.analysis._times import crossing_times as crossing_times
