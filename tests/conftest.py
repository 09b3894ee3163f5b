"""Suite-wide settings: 64-bit JAX (tests compare to 1e-12), matplotlib without a display, and
XLA's backend optimisation level 0.

Compiling, not running, is most of the suite's time: at level 0 XLA:CPU compiles about 40 %
less CPU time for the same tests and the same IEEE results (no fast-math either way). The
bitwise device-count checks run in subprocesses at the default level, and
``XLA_FLAGS= python -m pytest`` runs everything at the default level (an explicit XLA_FLAGS,
even empty, is left alone).
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)

SEED_MATRIX = np.array([[1, 1, 1, 1],
                        [1, 1, 0, 0],
                        [0, 0, 1, 1],
                        [1, 0, 0, 0],
                        [0, 1, 0, 0],
                        [0, 0, 1, 0],
                        [0, 0, 0, 1]], dtype=float)


@pytest.fixture(scope="session")
def seed_task():
    """The seed's experiment: Σyx = Y (7×4), Σx = I."""
    from semjax import Task
    return Task(sigma_yx=SEED_MATRIX, sigma_x=np.eye(4))


@pytest.fixture(scope="session")
def nonwhite_task():
    """A task with a generic (non-white, not shared-basis) input correlation."""
    from semjax import Task
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 6))
    Y = rng.normal(size=(3, 6))
    return Task(sigma_yx=Y @ X.T / 6, sigma_x=X @ X.T / 6, inputs=X)
