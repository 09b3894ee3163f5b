"""The pure core: jit/vmap/grad from outside, sharding over devices, and Task as a pytree."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from semjax import Task, datasets, simulate
from semjax.dynamics import (
    CoreConfig,
    Correlations,
    GradientFlow,
    TrainState,
    initialise,
    integrate,
    layer_shapes,
)
from semjax.dynamics import _network
from semjax.readouts import resolve
from tests.conftest import SEED_MATRIX


def _final_loss(task, scale):
    key = jax.random.key(0)
    shapes = layer_shapes(4, (6,), 7)
    weights = initialise("gaussian", key, scale, 0.0, shapes, jnp.eye(7), jnp.eye(4))
    config = CoreConfig(stepper=GradientFlow("rk4"), readouts=resolve(("loss",)), record_every=10,
                        n_records=8)
    records, _ = integrate(TrainState(weights, jnp.asarray(0.05)), Correlations(task),
                           config=config)
    return records["loss"][-1]


def test_grad_of_a_final_loss_through_the_core_matches_a_finite_difference(seed_task):
    gradient = jax.jit(jax.grad(lambda scale: _final_loss(seed_task, scale)))(0.3)
    step = 1e-5
    difference = (_final_loss(seed_task, 0.3 + step) - _final_loss(seed_task, 0.3 - step)) / (
        2 * step)
    assert abs(float(gradient) - float(difference)) <= 1e-7 * abs(float(difference))
    assert abs(float(difference)) > 1e-3  # a real dependence, not a flat loss


def test_the_core_vmaps_over_init_scales_from_outside(seed_task):
    scales = jnp.asarray([0.1, 0.3, 0.5])
    batched = jax.jit(jax.vmap(lambda scale: _final_loss(seed_task, scale)))(scales)
    for scale, value in zip(scales, batched):
        np.testing.assert_allclose(value, _final_loss(seed_task, scale), rtol=1e-12)


def test_a_task_passes_through_jit_and_vmap(seed_task, nonwhite_task):
    maps = jnp.stack([jnp.eye(3, 4), 2 * jnp.eye(3, 4)])
    for task in (nonwhite_task,):
        inside = jax.jit(lambda t, W: (t.mode_strengths(W), t.excess_loss(W)))(task, maps)
        np.testing.assert_allclose(inside[0], task.mode_strengths(np.asarray(maps)), rtol=1e-12)
        np.testing.assert_allclose(inside[1], task.excess_loss(np.asarray(maps)), rtol=1e-12)
    stacked = jax.tree.map(lambda a, b: jnp.stack([a, b]), seed_task,
                           Task(2 * SEED_MATRIX))
    strengths = jax.vmap(lambda t: t.mode_strengths(jnp.zeros((7, 4))))(stacked)
    assert strengths.shape == (2, 4)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sigma_yx=np.ones((2, 3)), sigma_x=np.eye(2)), "sigma_x must have shape"),
    (dict(sigma_yx=np.array([[1.0, np.nan]])), "sigma_yx must be finite"),
    (dict(sigma_yx=np.eye(2), inputs=np.eye(2), targets=np.ones((2, 2))),
     "targets do not reproduce sigma_yx"),
    (dict(sigma_yx=np.eye(2), targets=np.ones((3, 2))), "targets must have shape"),
])
def test_a_task_is_validated_when_it_is_built(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Task(**kwargs)


SHARDED_SCRIPT = textwrap.dedent('''
    import os, sys
    DTYPES = sys.argv[1:]  # the precisions to check
    # 4 emulated devices, compiled at the suite's optimisation level (conftest)
    os.environ["XLA_FLAGS"] = ("--xla_force_host_platform_device_count=4 "
                               + os.environ.get("XLA_FLAGS", ""))
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp, numpy as np, optax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec
    import semjax
    from semjax import datasets
    from semjax.dynamics import _core, _runs
    assert len(jax.devices()) == 4, jax.devices()
    task = semjax.Task.from_dataset(datasets.four_items())
    for kernel in ("tiled", "reference"):
        for dtype in DTYPES:
            run = semjax.simulate(task, hidden=8, n_steps=300, dt=0.05, init_scale=[0.01, 0.1],
                                  n_seeds=9, record=("modes", "loss", "weights"),
                                  dtype=dtype, kernel=kernel)
            assert run.info["devices"] == 4
            one = semjax.simulate(task, hidden=8, n_steps=300, dt=0.05, init_scale=[0.01, 0.1],
                                  n_seeds=9, record=("modes", "loss", "weights"),
                                  dtype=dtype, kernel=kernel, devices=1)
            for a, b in zip(jax.tree.leaves((run.modes, run.loss, run.weights)),
                            jax.tree.leaves((one.modes, one.loss, one.weights))):
                np.testing.assert_array_equal(a, b)
            print("simulate", kernel, dtype, "bitwise")
    # the core under jit with the run axis sharded by a NamedSharding (XLA partitions it)
    mesh = Mesh(np.array(jax.devices()), ("runs",))
    for dtype in DTYPES:
        weights = semjax.simulate(task, hidden=8, n_steps=1, dt=0.05, init_scale=0.1,
                                  n_seeds=16, record=("weights",), dtype=dtype).weights
        weights = tuple(jnp.asarray(w[:, 0]) for w in weights)
        keys = jax.random.split(jax.random.key(0), 16)
        # Adam differs by ~1 ulp across device counts (XLA:CPU compiles its sqrt/divide
        # differently per partitioned shape); SGD, with momentum, is bitwise.
        stepper = semjax.dynamics.Optax(optax.sgd(0.01, momentum=0.9))
        cast = jax.tree.map(lambda a: jnp.asarray(a, dtype), task)
        objective = semjax.dynamics.Items(cast, batch_size=2)
        states = _core.TrainState(weights, jax.vmap(stepper.init)(weights, jnp.zeros(16)), keys)
        config = _core.CoreConfig(stepper, semjax.readouts.resolve(("modes", "weights")), 10, 20)
        plain = _core.run_batch(states, objective, config=config, tile=4)
        sharded_states = jax.device_put(states, NamedSharding(mesh, PartitionSpec("runs")))
        sharded = _core.run_batch(sharded_states, objective, config=config, tile=4)
        mapped = _core.run_batch(states, objective, config=config, n_devices=4, tile=4)
        assert len(mapped[0]["modes"].sharding.device_set) == 4
        for a, b, c in zip(jax.tree.leaves(plain[:2]), jax.tree.leaves(sharded[:2]),
                           jax.tree.leaves(mapped[:2])):
            if jnp.issubdtype(a.dtype, jnp.floating):
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
                np.testing.assert_array_equal(np.asarray(a), np.asarray(c))
        print("core sharded", dtype, "bitwise")
''')


@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=pytest.mark.slow)])
def test_sharded_runs_equal_unsharded_runs_bitwise_on_four_devices(tmp_path, dtype):
    """In a fresh process with 4 emulated CPU devices: `simulate` (both backends) spreads its
    runs over the devices, and the core (minibatch SGD with momentum) under jit with a
    NamedSharding of the run axis, or mapped over the devices, gives bitwise the single-device
    result. float64 (the same code with other compiled kernels) runs with the slow checks."""
    script = tmp_path / "sharded.py"
    script.write_text(SHARDED_SCRIPT)
    environment = {k: v for k, v in os.environ.items() if k != "SEMJAX_CPU_DEVICES"}
    result = subprocess.run([sys.executable, str(script), dtype], capture_output=True, text=True,
                            timeout=600, env=environment,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("bitwise") == 3, result.stdout


def test_a_run_split_into_compiled_segments_equals_one_call(seed_task, monkeypatch):
    """Long runs are cut into calls of bounded work (so Ctrl-C stops them between calls);
    continuing from each call's final state gives bitwise the one-call result, and the calls
    share one compilation per segment length, on one device or several (the first call's
    inputs are sharded as the later calls' are)."""
    from semjax import simulate
    from semjax.dynamics import _core, _runs
    common = dict(hidden=6, n_steps=120, dt=0.02, init_scale=[0.1, 0.3], n_seeds=3,
                  record=("modes", "loss", "weights"), record_every=4)
    whole = simulate(seed_task, **common)
    monkeypatch.setattr(_runs, "SEGMENT_WORK", 2e4)
    lengths = _runs.segment_lengths(30, 4, 6, [w[0, :, 0] for w in whole.weights])
    assert len(lengths) > 5
    compiled = _core.run_batch._cache_size()
    split = simulate(seed_task, **common)
    assert _core.run_batch._cache_size() - compiled == len(set(lengths))
    for a, b in zip(jax.tree.leaves((whole.modes, whole.loss, whole.weights)),
                    jax.tree.leaves((split.modes, split.loss, split.weights))):
        np.testing.assert_array_equal(a, b)


INTERRUPTED_SCRIPT = textwrap.dedent('''
    import signal
    # Ctrl-C raises KeyboardInterrupt here whatever the parent does with SIGINT (a parent that
    # ignores it, as some test runners do, would pass SIG_IGN on to this process)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import semjax
    from semjax import datasets
    from semjax.dynamics import _runs
    # calls of two records (~0.1 s), the same in the warm-up and the long run, so that the
    # interrupt lands in a run (not a compilation) and a loaded machine still answers fast
    _runs.segment_lengths = lambda n_records, *_: [2] * (n_records // 2)
    task = semjax.Task.from_dataset(datasets.four_items(), normalise="sum")
    common = dict(hidden=16, dt=5e-5, init_scale=1e-2, n_seeds=512, record=("modes",),
                  record_every=100)
    semjax.simulate(task, n_steps=400, **common)  # compiles the long run's two-record calls
    print("started", flush=True)
    semjax.simulate(task, n_steps=150000, **common)
''')


def test_ctrl_c_stops_a_long_run_at_once_with_a_short_message(tmp_path):
    import signal
    import time
    script = tmp_path / "long.py"
    script.write_text(INTERRUPTED_SCRIPT)
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        assert process.stdout.readline().strip() == "started"
        time.sleep(1)  # running (the whole run takes over a minute here)
        sent = time.perf_counter()
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    finally:  # never leave the long run behind, whatever failed
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert time.perf_counter() - sent < 15
    assert process.returncode != 0
    last = errors.strip().splitlines()[-1]
    assert last.startswith("KeyboardInterrupt"), errors
    assert len(errors.splitlines()) < 40, errors  # no thread-pool tracebacks


def test_long_float32_contractions_are_summed_in_pairwise_blocks():
    """A long, small-result float32 product is split into `SUM_BLOCK` partials added pairwise;
    its error then obeys the blocked bound (SUM_BLOCK + ⌈log₂ blocks⌉)·ε·Σ|a||b|, also under
    vmap. Float64, short and large-result products stay one dot."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((30, 10001)).astype(np.float32)
    b = rng.standard_normal((10001, 8)).astype(np.float32)
    assert _network._needs_blocked_sum(a, b)
    assert not _network._needs_blocked_sum(a.astype(np.float64), b.astype(np.float64))
    assert not _network._needs_blocked_sum(a[:, :200], b[:200])
    square = np.zeros((4096, 4096), np.float32)
    assert not _network._needs_blocked_sum(square, square)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    blocks = -(-a.shape[1] // _network.SUM_BLOCK)
    bound = ((_network.SUM_BLOCK + np.ceil(np.log2(blocks))) * np.finfo(np.float32).eps
             * (np.abs(a).astype(np.float64) @ np.abs(b)))
    for product in (_network.matmul(a, b), jax.vmap(_network.matmul)(a[None], b[None])[0]):
        assert product.dtype == np.float32
        assert np.all(np.abs(np.asarray(product, np.float64) - exact) <= bound)


def test_float32_stays_close_to_float64_on_a_wide_output_task():
    """Issue 8, item 7 (benchmarks/NEUROMATCH_PRECISION.md): 8 items → 30 hidden → 10000
    branching-diffusion features from a 1e-12 start, the Neuromatch tutorial's problem. Once
    the coarse modes are learned, W₂ᵀE cancels over the 10000 outputs and its rounding seeds
    the still-small fine modes. With the blocked pairwise order, float32 mode strengths stay
    within 0.015·s₁ of float64 over the whole run (measured 0.11 and 0.046 for these seeds;
    one XLA dot under vmap gave 1.46 and 0.58)."""
    dataset = datasets.branching_diffusion(jax.random.key(3), branching=2, depth=3,
                                           n_features=10000, flip=0.15)
    task = Task.from_dataset(dataset)
    n_out = task.sigma_yx.shape[0]
    rng = np.random.default_rng(0)
    init = (rng.standard_normal((2, 30, 8)) * 1e-12 / np.sqrt(38),
            rng.standard_normal((2, n_out, 30)) * 1e-12 / np.sqrt(n_out + 30))
    runs = {dtype: np.asarray(simulate(task, hidden=30, n_steps=250, dt=200 / n_out, init=init,
                                       record="modes", dtype=dtype).modes, np.float64)
            for dtype in ("float32", "float64")}
    assert np.all(runs["float64"][:, -1, 0] > 0.99 * task.s[0])  # the run learns its modes
    drift = np.abs(runs["float32"] - runs["float64"]).max(axis=(1, 2))
    assert np.all(drift < 0.015 * task.s[0]), drift


def test_plotting_and_gallery_are_reachable_from_the_package():
    """`semjax.plotting` and `semjax.gallery` load on first attribute access; other names
    still raise AttributeError."""
    import importlib

    import semjax
    assert semjax.plotting is importlib.import_module("semjax.plotting")
    assert semjax.gallery is importlib.import_module("semjax.gallery")
    with pytest.raises(AttributeError, match="no attribute 'plotter'"):
        semjax.plotter  # noqa: B018
