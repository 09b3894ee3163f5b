"""Training dynamics of deep linear networks: networks, objectives, steppers, the pure solver
core, and the host wrappers `simulate` (gradient flow) and `train` (optax optimisers,
finite learning rates, minibatches).

The core (`integrate`, batched by `run_batch`) is a pure JAX function of a `TrainState`, an
objective (`Correlations`, `Items`) and a static stepper (`GradientFlow`, `Optax`): compose
them from outside with `jax.jit`, `jax.vmap`, `jax.grad` or sharding. Every argument of the
host wrappers is declared once, in `OPTIONS`, and a call is checked once, as a `RunSpec`.
Conventions (Σ normalisation, the ½ in the loss, time in units of τ) are stated once, in
`semjax.task`.
"""

from semjax.dynamics._core import CoreConfig as CoreConfig
from semjax.dynamics._core import TrainState as TrainState
from semjax.dynamics._core import integrate as integrate
from semjax.dynamics._core import observe as observe
from semjax.dynamics._core import run_batch as run_batch
from semjax.dynamics._gated import GatedNetwork as GatedNetwork
from semjax.dynamics._gated import Gates as Gates
from semjax.dynamics._gated import GateValues as GateValues
from semjax.dynamics._initialisation import INIT_NAMES as INIT_NAMES
from semjax.dynamics._initialisation import initialise as initialise
from semjax.dynamics._network import Network as Network
from semjax.dynamics._network import layer_shapes as layer_shapes
from semjax.dynamics._network import network_map as network_map
from semjax.dynamics._network import vector_field as vector_field
from semjax.dynamics._objectives import Correlations as Correlations
from semjax.dynamics._objectives import Items as Items
from semjax.dynamics._runs import SimulationDiverged as SimulationDiverged
from semjax.dynamics._runs import UnstableRunWarning as UnstableRunWarning
from semjax.dynamics._simulate import initial_weights as initial_weights
from semjax.dynamics._spec import OPTIONS as OPTIONS
from semjax.dynamics._spec import Option as Option
from semjax.dynamics._spec import RunSpec as RunSpec
from semjax.dynamics._simulate import simulate as simulate
from semjax.dynamics._steppers import GradientFlow as GradientFlow
from semjax.dynamics._steppers import Optax as Optax
from semjax.dynamics._steppers import euler as euler
from semjax.dynamics._steppers import rk4 as rk4
from semjax.dynamics._train import train as train
