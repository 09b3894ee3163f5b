"""semjax: exact and simulated learning dynamics of deep linear networks, in JAX.

Saxe, McClelland & Ganguli, "A mathematical theory of semantic development in deep neural
networks", PNAS (2019). Conventions: `semjax.task`.

Importing semjax before JAX has started its backends gives JAX one CPU device per core
(``jax_num_cpu_devices``), so that `simulate` and `train` spread their runs over every core
through JAX's own sharding (no threads of semjax's). It leaves an explicit setting alone
(``jax_num_cpu_devices``, ``XLA_FLAGS=--xla_force_host_platform_device_count``), and
``SEMJAX_CPU_DEVICES=N`` chooses N (1 keeps JAX's default single CPU device). When JAX had
already started (a ``jax.devices()`` or any computation before ``import semjax``), it keeps
its one CPU device, and the import says so once, with the fix (import semjax first, or set
``jax_num_cpu_devices`` yourself); every run records its device count in
``Trajectory.info["devices"]``.
"""

import os as _os
import sys as _sys

if _os.path.basename(_sys.argv[0] if _sys.argv else "") == "semjax":
    # the console script: a Ctrl-C during the imports below is counted, and the command
    # stops with its one-line message once they are done (semjax._interrupts)
    from semjax import _interrupts

    _interrupts.install(raising=False)

from semjax import _devices

_devices.use_every_core()

from semjax import analysis as analysis
from semjax import datasets as datasets
from semjax import dynamics as dynamics
from semjax import readouts as readouts
from semjax import theory as theory
from semjax.analysis import Comparison as Comparison
from semjax.analysis import compare as compare
from semjax.dynamics import Gates as Gates
from semjax.dynamics import RunSpec as RunSpec
from semjax.dynamics import SimulationDiverged as SimulationDiverged
from semjax.dynamics import UnstableRunWarning as UnstableRunWarning
from semjax.dynamics import initial_weights as initial_weights
from semjax.dynamics import simulate as simulate
from semjax.dynamics import train as train
from semjax.readouts import Readout as Readout
from semjax.schedule import Schedule as Schedule
from semjax.schedule import reversed_task as reversed_task
from semjax.sweeps import sweep as sweep
from semjax.task import Task as Task
from semjax.trajectory import Trajectory as Trajectory

__version__ = "0.1.0"


def __getattr__(name: str):
    """``semjax.plotting`` and ``semjax.gallery`` load on first use (they import matplotlib,
    which simulations and theory do not need)."""
    if name in ("plotting", "gallery"):
        import importlib
        return importlib.import_module(f"semjax.{name}")
    raise AttributeError(f"module 'semjax' has no attribute {name!r}")
