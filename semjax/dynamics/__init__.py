"""Gradient-flow dynamics of deep linear networks: networks, initialisations, integrators,
the compiled batched kernel and `simulate`.

Conventions (Σ normalisation, the ½ in the loss, time in units of τ) are stated once, in
`semjax.task`.
"""

from semjax.dynamics._initialisation import INIT_NAMES as INIT_NAMES
from semjax.dynamics._initialisation import initialise as initialise
from semjax.dynamics._integrators import euler as euler
from semjax.dynamics._integrators import rk4 as rk4
from semjax.dynamics._kernel import RECORDABLE as RECORDABLE
from semjax.dynamics._network import TaskArrays as TaskArrays
from semjax.dynamics._network import layer_shapes as layer_shapes
from semjax.dynamics._network import network_map as network_map
from semjax.dynamics._network import vector_field as vector_field
from semjax.dynamics._simulate import SimulationDiverged as SimulationDiverged
from semjax.dynamics._simulate import simulate as simulate
