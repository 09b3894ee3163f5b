"""Read-outs on any `semjax.Trajectory`, simulated or theoretical, and their comparison."""

from semjax.analysis._compare import Comparison as Comparison
from semjax.analysis._compare import compare as compare
from semjax.analysis._times import crossing_times as crossing_times
