"""Suite-wide settings: 64-bit JAX (tests compare to 1e-12), matplotlib without a display,
XLA's backend optimisation level 0, and one compilation cache for the whole run.

Compiling, not running, is most of the suite's time:

* at level 0 XLA:CPU compiles in about 40 % less CPU time than at its default level, for the
  same IEEE results (no fast-math at any level). Level 1 runs the long simulations faster but
  compiles more: measured on this suite (2 cores, 784 tests), level 0 took 357 s wall and
  656 s CPU, level 1 426 s and 788 s. ``XLA_FLAGS= python -m pytest`` runs everything at the
  default level (an explicit XLA_FLAGS, even empty, is left alone);
* the test workers of one run (pytest-xdist) and every subprocess a test starts share JAX's
  persistent compilation cache, in a temporary folder made for the run, so a program compiled
  by one worker or process is loaded, not compiled, by the others; the folder is removed when
  the run ends. An explicit ``JAX_COMPILATION_CACHE_DIR`` is used instead (and kept).
"""

import os
import shutil
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
if "PYTEST_XDIST_WORKER" not in os.environ and "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    # the controlling process: its workers and subprocesses inherit these
    os.environ.update(JAX_COMPILATION_CACHE_DIR=tempfile.mkdtemp(prefix="semjax-test-jax-cache-"),
                      SEMJAX_TEST_CACHE_OWNED="1",
                      JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                      JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")

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


def pytest_sessionfinish(session):
    """The run's compilation cache goes with the run (removed by the controlling process)."""
    if "PYTEST_XDIST_WORKER" not in os.environ and os.environ.get("SEMJAX_TEST_CACHE_OWNED"):
        shutil.rmtree(os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)


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
