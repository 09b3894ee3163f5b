"""semjax: exact and simulated learning dynamics of deep linear networks, in JAX.

Saxe, McClelland & Ganguli, "A mathematical theory of semantic development in deep neural
networks", PNAS (2019). Conventions: `semjax.task`.
"""

from semjax import analysis as analysis
from semjax import datasets as datasets
from semjax import dynamics as dynamics
from semjax import theory as theory
from semjax.analysis import Comparison as Comparison
from semjax.analysis import compare as compare
from semjax.dynamics import SimulationDiverged as SimulationDiverged
from semjax.dynamics import simulate as simulate
from semjax.sweeps import sweep as sweep
from semjax.task import Task as Task
from semjax.trajectory import Trajectory as Trajectory

__version__ = "0.1.0"
