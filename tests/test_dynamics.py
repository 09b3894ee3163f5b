"""The gradient-flow engine: vector field, the seed's loop, invariants, batching, compilation,
initialisations and failure reporting."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from semjax import SimulationDiverged, Task, UnstableRunWarning, simulate
from semjax.dynamics import layer_shapes, vector_field
from tests.conftest import SEED_MATRIX


@pytest.mark.parametrize("hidden", [(), (5,), (5, 3), (4, 6, 2)])
def test_vector_field_is_minus_gradient_of_the_loss(nonwhite_task, hidden):
    """dW_l/dt = −∂L/∂W_l with L = ½tr(WΣxWᵀ) − tr(WᵀΣyx) (+const), for every depth."""
    shapes = layer_shapes(nonwhite_task.n_in, hidden, nonwhite_task.n_out)
    keys = jax.random.split(jax.random.key(0), len(shapes))
    weights = tuple(jax.random.normal(k, s, jnp.float64) for k, s in zip(keys, shapes))
    task = nonwhite_task

    def loss(ws):
        W = ws[0]
        for w in ws[1:]:
            W = w @ W
        return 0.5 * jnp.trace(W @ task.sigma_x @ W.T) - jnp.trace(W.T @ task.sigma_yx)

    gradients = jax.grad(loss)(weights)
    for field, gradient in zip(vector_field(weights, task), gradients):
        np.testing.assert_allclose(field, -gradient, rtol=1e-12, atol=1e-12)


def _seed_loop(w_1, w_2, n_steps, dt=0.005):
    """The seed's deep loop, transcribed line by line (Σx = I, per-step SVD)."""
    s_yx, s_x = SEED_MATRIX, np.eye(4)
    A = np.zeros((n_steps, 4))
    for t in range(n_steps):
        D = s_yx - w_2 @ w_1 @ s_x
        dw_1 = (w_2.T @ D) * dt
        dw_2 = (D @ w_1.T) * dt
        w_1 += dw_1
        w_2 += dw_2
        s_yx_hat = w_2 @ w_1 @ s_x
        u, a, v = np.linalg.svd(s_yx_hat)  # noqa: RUF059 (verbatim from the seed)
        A[t] += a
    return A, w_1, w_2


def _seed_shallow_loop(w_s, n_steps, dt=0.005):
    """The seed's shallow loop, transcribed line by line."""
    s_yx, s_x = SEED_MATRIX, np.eye(4)
    A = np.zeros((n_steps, 4))
    for t in range(n_steps):
        dw_s = (s_yx - w_s @ s_x) * dt
        w_s += dw_s
        s_yx_hat = w_s @ s_x
        u, a, v = np.linalg.svd(s_yx_hat)  # noqa: RUF059 (verbatim from the seed)
        A[t] += a
    return A, w_s


def test_deep_euler_equals_the_seed_loop(seed_task):
    rng = np.random.RandomState(0)
    w_1, w_2 = 1e-2 * rng.rand(16, 4), 1e-2 * rng.rand(7, 16)
    run = simulate(seed_task, hidden=16, n_steps=1500, dt=0.005, init=(w_1, w_2),
                   record=("singular_values", "weights"), dtype="float64")
    A, w_1_end, w_2_end = _seed_loop(w_1.copy(), w_2.copy(), 1500)
    assert run.batch_axes == () and run.t[-1] == pytest.approx(7.5)
    np.testing.assert_allclose(run.singular_values[1:], A, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.weights[0][-1], w_1_end, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.weights[1][-1], w_2_end, rtol=0, atol=1e-12)


def test_shallow_euler_equals_the_seed_loop(seed_task):
    w_s = 1e-2 * np.random.RandomState(1).rand(7, 4)
    run = simulate(seed_task, depth=1, n_steps=1000, dt=0.005, init=(w_s,),
                   record=("singular_values", "product"), dtype="float64")
    A, w_end = _seed_shallow_loop(w_s.copy(), 1000)
    np.testing.assert_allclose(run.singular_values[1:], A, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.product[-1], w_end, rtol=0, atol=1e-12)


def _imbalance_drift(run):
    """max_t ||C_l(t) − C_l(0)||_max over layers, C_l = W_{l+1}ᵀW_{l+1} − W_lW_lᵀ."""
    drifts = []
    for lower, upper in zip(run.weights[:-1], run.weights[1:]):
        C = (np.einsum("...ji,...jk->...ik", upper, upper)
             - np.einsum("...ij,...kj->...ik", lower, lower))
        drifts.append(np.abs(C - C[..., :1, :, :]).max())
    return max(drifts)


@pytest.mark.parametrize("hidden", [8, (6, 5)])
@pytest.mark.parametrize("method, dts, order", [("euler", (0.02, 0.01, 0.005), 1.0),
                                                ("rk4", (0.04, 0.02, 0.01), 4.0)])
def test_imbalance_is_conserved_up_to_the_integrators_order(nonwhite_task, hidden, method, dts,
                                                            order):
    """d/dt (W_{l+1}ᵀW_{l+1} − W_lW_lᵀ) = 0 under gradient flow, so a discretisation's drift of
    the imbalance is its truncation error: O(dt) for Euler, O(dt⁴) for RK4."""
    common = dict(hidden=hidden, depth=2 if isinstance(hidden, int) else 3, t_max=4.0,
                  init="gaussian", init_scale=0.4, n_seeds=2, record=("weights",),
                  dtype="float64", method=method)
    drifts = np.array([_imbalance_drift(simulate(nonwhite_task, dt=dt, **common)) for dt in dts])
    measured = np.polyfit(np.log(dts), np.log(drifts), 1)[0]
    assert drifts[-1] > 1e-10  # a truncation error, well above roundoff
    assert abs(measured - order) < (0.2 if order == 1 else 0.5), (drifts, measured)


def test_batched_runs_equal_single_runs(seed_task):
    common = dict(hidden=6, t_max=2.0, dt=0.01, init="gaussian", dtype="float64",
                  record=("modes", "loss"))
    batch = simulate(seed_task, init_scale=[0.05, 0.2], n_seeds=3, key=7, **common)
    assert batch.batch_axes == ("scale", "seed") and batch.modes.shape == (2, 3, 201, 4)
    for i, scale in enumerate([0.05, 0.2]):
        for seed in range(3):
            key = jax.random.fold_in(jax.random.key(7), seed)
            single = simulate(seed_task, init_scale=scale, keys=key[None], **common)
            np.testing.assert_allclose(batch.modes[i, seed], single.modes[0], rtol=1e-12,
                                       atol=1e-14)
            np.testing.assert_allclose(batch.loss[i, seed], single.loss[0], rtol=1e-12,
                                       atol=1e-14)


def test_seed_results_do_not_depend_on_batch_size(seed_task):
    common = dict(hidden=5, n_steps=20, dt=0.01, init="orthogonal", init_scale=0.3,
                  record=("weights",))
    small, large = simulate(seed_task, n_seeds=2, **common), simulate(seed_task, n_seeds=9,
                                                                       **common)
    np.testing.assert_array_equal(small.weights[0][:, 0], large.weights[0][:2, 0])


def test_changing_dt_scale_or_key_does_not_recompile(seed_task):
    compiles = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    common = dict(hidden=16, n_steps=50, n_seeds=4, init="gaussian", record=("modes", "loss"))
    simulate(seed_task, dt=0.01, init_scale=[0.1, 0.01], key=0, **common)  # warm-up
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        first = simulate(seed_task, dt=0.02, init_scale=[0.2, 0.03], key=1, **common)
        simulate(seed_task, dt=0.005, init_scale=[1e-3, 0.5], key=jax.random.key(5), **common)
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert first.finite.all()
    assert compiles == [], f"{len(compiles)} compilations when only numbers changed"


def test_aligned_init_is_decoupled_with_the_given_strength(seed_task):
    for depth, hidden in [(1, None), (2, 16), (3, (9, 5))]:
        run = simulate(seed_task, depth=depth, hidden=hidden, n_steps=1, dt=1e-3,
                       init="aligned", init_scale=0.01, n_seeds=2, record=("product",),
                       dtype="float64")
        U, _, V = seed_task.modes
        np.testing.assert_allclose(U.T @ run.product[:, 0] @ V, np.broadcast_to(
            0.01 * np.eye(4), (2, 4, 4)), atol=1e-14)


@pytest.mark.parametrize("init, lam, hidden", [("lambda_balanced", 0.7, 5),
                                               ("lambda_balanced", -0.4, 3),
                                               ("aligned", 1.3, 4), ("aligned", 0.0, 16)])
def test_lambda_balanced_starts(seed_task, init, lam, hidden):
    run = simulate(seed_task, hidden=hidden, n_steps=1, dt=1e-3, init=init, init_scale=0.2,
                   lam=lam, n_seeds=2, record=("weights", "product"), dtype="float64")
    W1, W2 = run.weights[0][:, 0], run.weights[1][:, 0]
    imbalance = np.swapaxes(W2, 1, 2) @ W2 - W1 @ np.swapaxes(W1, 1, 2)
    np.testing.assert_allclose(imbalance, np.broadcast_to(lam * np.eye(hidden), imbalance.shape),
                               atol=1e-13)
    singular = np.linalg.svd(run.product[:, 0], compute_uv=False)
    n_paired = min(4, hidden)
    np.testing.assert_allclose(singular[:, :n_paired], 0.2, rtol=1e-12)
    if init == "aligned":
        U, _, V = seed_task.modes
        np.testing.assert_allclose(np.diagonal(U.T @ run.product[:, 0] @ V, axis1=1, axis2=2),
                                   0.2, rtol=1e-12)


def test_orthogonal_and_gaussian_scales(seed_task):
    run = simulate(seed_task, hidden=16, n_steps=1, dt=1e-3, init="orthogonal", init_scale=0.5,
                   n_seeds=2, record=("weights",), dtype="float64")
    W1 = run.weights[0][:, 0]  # (2, 16, 4): orthonormal columns times 0.5
    np.testing.assert_allclose(np.swapaxes(W1, 1, 2) @ W1, np.broadcast_to(0.25 * np.eye(4),
                                                                           (2, 4, 4)), atol=1e-14)
    run = simulate(seed_task, hidden=200, n_steps=1, dt=1e-3, init="gaussian", init_scale=0.1,
                   record=("weights",), dtype="float64")
    assert np.std(run.weights[1][0, 0]) == pytest.approx(0.1, rel=0.05)


def test_recorded_readouts_match_their_definitions(nonwhite_task):
    run = simulate(nonwhite_task, hidden=5, n_steps=30, dt=0.02, init="gaussian", init_scale=0.3,
                   record=("modes", "loss", "product", "hidden_gram", "singular_values",
                           "weights"), dtype="float64")
    W = run.product[0]
    np.testing.assert_allclose(W, run.weights[1][0] @ run.weights[0][0], atol=1e-14)
    np.testing.assert_allclose(run.modes[0], nonwhite_task.mode_strengths(W), atol=1e-13)
    np.testing.assert_allclose(run.loss[0], nonwhite_task.excess_loss(W), atol=1e-13)
    hidden = run.weights[0][0] @ nonwhite_task.inputs
    np.testing.assert_allclose(run.hidden_gram[0], np.swapaxes(hidden, 1, 2) @ hidden,
                               atol=1e-13)
    np.testing.assert_allclose(
        run.singular_values[0],
        np.linalg.svd(W @ nonwhite_task.sigma_x, compute_uv=False), atol=1e-13)


def test_record_every_subsamples_the_same_run(seed_task):
    common = dict(hidden=4, n_steps=40, dt=0.05, init="gaussian", init_scale=0.1,
                  dtype="float64")
    every = simulate(seed_task, **common)
    sparse = simulate(seed_task, record_every=10, **common)
    np.testing.assert_allclose(sparse.t, every.t[::10])
    np.testing.assert_allclose(sparse.modes, every.modes[:, ::10], rtol=1e-12, atol=1e-15)


def test_divergence_is_reported_and_finite_runs_are_kept(seed_task):
    common = dict(hidden=8, n_steps=400, dt=0.3, init="gaussian", n_seeds=2)
    with pytest.raises(SimulationDiverged, match=r"2 of 4 runs diverged.*scale=3\.0") as caught:
        simulate(seed_task, init_scale=[1e-2, 3.0], **common)
    assert isinstance(caught.value, FloatingPointError)
    kept = caught.value.trajectory
    assert caught.value.failed == [(1, 0), (1, 1)]
    assert kept.finite.tolist() == [[True, True], [False, False]]
    assert np.all(np.isfinite(kept.modes[0]))
    quiet = simulate(seed_task, init_scale=[1e-2, 3.0], throw=False, **common)
    np.testing.assert_array_equal(quiet.modes[0], kept.modes[0])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(dt=0.0), ValueError, "dt must be a finite number > 0"),
    (dict(dt=-0.1), ValueError, "dt must be"),
    (dict(depth=0), ValueError, "depth must be an integer >= 1"),
    (dict(hidden=0), ValueError, "hidden must be an integer >= 1"),
    (dict(hidden=(4, 4)), ValueError, "hidden must give 1 widths"),
    (dict(init="xavier"), ValueError, "init must be one of"),
    (dict(method="rk45"), ValueError, "method must be one of"),
    (dict(record=("modes", "gradients")), ValueError, "record must be one of"),
    (dict(init_scale=None), ValueError, "needs init_scale"),
    (dict(init_scale=[[0.1]]), ValueError, "init_scale must be"),
    (dict(init_scale=float("nan")), ValueError, "init_scale must be"),
    (dict(t_max=None), ValueError, "exactly one of t_max"),
    (dict(n_steps=10), ValueError, "exactly one of t_max"),
    (dict(lam=0.5), ValueError, "lam=0.5 applies to depth=2 with init='aligned'"),
    (dict(init="lambda_balanced", lam=0.5, hidden=9), ValueError, "needs hidden ≤ N3=7"),
    (dict(init=(np.zeros((3, 4)), np.zeros((7, 3))), init_scale=None), ValueError,
     r"init\[0\] must have shape"),
    (dict(init=(np.zeros((16, 4)),), init_scale=None), ValueError, "init gives 1 weight matrices"),
    (dict(init=(np.zeros((16, 4)), np.zeros((7, 16)))), ValueError, "init_scale applies to named"),
    (dict(key="zero"), TypeError, "key must be a JAX PRNG key"),
    (dict(n_seeds=0), ValueError, "n_seeds must be an integer >= 1"),
    (dict(record_every=0), ValueError, "record_every must be"),
    (dict(dtype="float16"), ValueError, "dtype must be one of"),
    (dict(dtype="floatt"), ValueError, "dtype must be one of"),
    (dict(hidden=2.5), TypeError, "hidden must be an integer width"),
    (dict(t_max=None, n_steps=10, record_every=100), ValueError,
     "record_every=100 must divide n_steps=10"),
    (dict(t_max=None, n_steps=10, record_every=3), ValueError, "must divide"),
    (dict(n_seeds=10 ** 9, record=("product",)), MemoryError, "use semjax.sweep|Use semjax.sweep"),
])
def test_bad_arguments_name_themselves(seed_task, kwargs, error, match):
    arguments = dict(hidden=16, t_max=1.0, dt=0.01, init="gaussian", init_scale=0.01)
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        simulate(seed_task, **arguments)


def test_task_argument_must_be_a_task():
    with pytest.raises(TypeError, match="task must be a semjax.Task"):
        simulate(SEED_MATRIX, hidden=4, t_max=1.0, dt=0.1, init_scale=0.1)


def test_nonfinite_task_is_rejected_before_compiling():
    with pytest.raises(ValueError, match="sigma_yx must be finite"):
        simulate(Task(np.array([[1.0, np.inf]])), hidden=2, t_max=1.0, dt=0.1, init_scale=0.1)


@pytest.mark.parametrize("depth, hidden, method, task_name", [
    (1, None, "euler", "seed"), (2, 16, "euler", "seed"), (2, 5, "rk4", "nonwhite"),
    (3, (6, 4), "rk4", "nonwhite")])
def test_every_kernel_gives_the_same_trajectories(seed_task, nonwhite_task, depth, hidden,
                                                  method, task_name):
    """The tiled batch-last backend (padded batches) and the reference vmap backend agree to
    float64 rounding on every recorded field."""
    task = seed_task if task_name == "seed" else nonwhite_task
    fields = ("modes", "loss", "product", "hidden_gram", "singular_values", "weights")
    common = dict(depth=depth, hidden=hidden, n_steps=60, dt=0.02, init="gaussian",
                  init_scale=[0.1, 0.5], n_seeds=7, method=method, record=fields,
                  record_every=3, dtype="float64", key=11)
    reference = simulate(task, kernel="reference", **common)
    tiled = simulate(task, kernel="tiled", **common)
    assert (reference.info["kernel"], tiled.info["kernel"]) == ("reference", "tiled")
    for name in fields[:-1]:
        np.testing.assert_allclose(getattr(tiled, name), getattr(reference, name),
                                   rtol=1e-12, atol=1e-13, err_msg=name)
    for mine, theirs in zip(tiled.weights, reference.weights):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-13)


@pytest.mark.slow  # kept out of the default run for CI time; -m slow runs it
def test_auto_kernel_is_a_static_rule(seed_task):
    """Small networks take the tiled backend whatever the number of runs (one seed alone too);
    wide ones, and the Rumelhart task with 32 hidden units, the reference one; no timing."""
    from semjax import datasets
    rumelhart = Task.from_dataset(datasets.rumelhart())
    common = dict(n_steps=2, dt=0.01, init_scale=0.1)
    kernels = [simulate(task, hidden=hidden, n_seeds=n, **common).info["kernel"]
               for task, hidden, n in [(seed_task, 16, 8), (seed_task, 16, 1),
                                       (seed_task, 80, 8), (rumelhart, 32, 300)]]
    assert kernels == ["tiled", "tiled", "reference", "reference"]


@pytest.mark.parametrize("kernel", ["tiled", "reference"])
def test_a_seed_alone_equals_the_same_seed_in_a_batch(seed_task, kernel):
    """Bitwise on a CPU, on both backends: each run is its own vector lane (tiled), or runs in
    vmapped chunks of a fixed size (reference), whatever the batch size."""
    common = dict(hidden=16, n_steps=200, dt=0.01, init="gaussian", init_scale=0.1,
                  record=("modes", "weights"), kernel=kernel, key=3)
    batch = simulate(seed_task, n_seeds=37, **common)
    for seed in (0, 5, 36):
        alone = simulate(seed_task, keys=jax.random.fold_in(jax.random.key(3), seed)[None],
                         **common)
        np.testing.assert_array_equal(alone.modes[0], batch.modes[seed])
        np.testing.assert_array_equal(alone.weights[1][0], batch.weights[1][seed])


def test_tiled_kernel_flags_diverged_runs_individually(seed_task):
    run = simulate(seed_task, hidden=8, n_steps=400, dt=0.3, init="gaussian",
                   init_scale=[1e-2, 3.0], n_seeds=5, kernel="tiled", throw=False)
    assert run.finite.tolist() == [[True] * 5, [False] * 5]


@pytest.mark.parametrize("dt, n_unstable", [(0.36, 0), (0.40, 2)])
def test_a_step_past_the_stability_limit_is_reported_while_still_finite(seed_task, dt,
                                                                        n_unstable):
    """Euler on an aligned depth-2 start is stable up to dt = 1/s₁ ≈ 0.378 (s₁ = √7); past
    it the strongest mode oscillates around s₁ without overflowing, which is reported as a
    warning naming the runs, never returned silently."""
    common = dict(hidden=8, n_steps=300, dt=dt, init="aligned", init_scale=[0.01, 1.0],
                  dtype="float64")
    if n_unstable:
        with pytest.warns(UnstableRunWarning, match=rf"{n_unstable} of 2 runs did not settle"):
            run = simulate(seed_task, **common)
        assert np.abs(run.modes[:, 0, -1, 0] - np.sqrt(7)).min() > 0.1
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UnstableRunWarning)
            run = simulate(seed_task, **common)
        np.testing.assert_allclose(run.modes[:, 0, -1, 0], np.sqrt(7), rtol=1e-6)
    assert run.finite.all()
    with pytest.raises(SimulationDiverged, match="2 of 2 runs diverged"):  # further past it
        simulate(seed_task, **(common | {"dt": 0.6}))


def test_float64_weights_are_never_run_silently_in_float32(seed_task):
    w1, w2 = 0.1 * np.ones((3, 4)), 0.1 * np.ones((7, 3))
    run = simulate(seed_task, hidden=3, n_steps=2, dt=0.1, init=(w1, w2))
    assert run.modes.dtype == np.float64 and run.info["dtype"] == "float64"
    run = simulate(seed_task, hidden=3, n_steps=2, dt=0.1, init=(w1, w2), dtype="float32")
    assert run.modes.dtype == np.float32


def test_tiled_kernel_is_refused_where_its_unrolled_loops_would_not_compile_in_time():
    wide = Task(np.ones((2000, 8)))
    with pytest.raises(ValueError, match="kernel='tiled' would unroll"):
        simulate(wide, hidden=30, n_steps=2, dt=0.01, init_scale=0.1, kernel="tiled")


def test_a_sequence_of_lambdas_is_one_traced_batch_axis(seed_task):
    """lam=[...] adds a "lam" axis before "scale": each λ's runs equal a call with that λ
    alone (same keys), every start is λ-balanced, and the axis costs no new compilation."""
    from semjax.dynamics import _core
    lams, scales = [-0.5, 0.0, 0.5], [1e-2, 1e-1]
    options = dict(hidden=4, n_steps=50, dt=0.05, init="lambda_balanced", init_scale=scales,
                   n_seeds=3, dtype="float64", record=("modes", "weights"))
    grid = simulate(seed_task, lam=lams, **options)
    assert grid.batch_axes == ("lam", "scale", "seed") and grid.modes.shape[:3] == (3, 2, 3)
    np.testing.assert_array_equal(grid.coords["lam"], lams)
    compiled = _core.run_batch._cache_size()
    simulate(seed_task, lam=[0.1, 0.2, 0.3], **options)  # other values: the same program
    assert _core.run_batch._cache_size() == compiled
    for index, lam in enumerate(lams):
        alone = simulate(seed_task, lam=lam, **options)
        np.testing.assert_array_equal(grid.modes[index], alone.modes)
        w1, w2 = (w[index, ..., 0, :, :] for w in grid.weights)
        gap = np.einsum("...ki,...kj->...ij", w2, w2) - np.einsum("...ik,...jk->...ij", w1, w1)
        np.testing.assert_allclose(gap, lam * np.broadcast_to(np.eye(4), gap.shape), atol=1e-12)
    with pytest.raises(ValueError, match="lam must be"):
        simulate(seed_task, lam=[0.0, np.nan], **options)


def test_large_batches_of_haar_starts_do_not_hang():
    """jaxlib's CPU QR deadlocked on two large batched factorisations at once (40,000
    λ-balanced starts hung every time on 2 cores); semjax draws starts in batches of
    `CPU_INIT_BATCH`. A fresh process with a timeout, so that a hang fails instead of
    stopping the suite."""
    import subprocess
    import sys
    code = ("import numpy as np, semjax\n"
            "task = semjax.Task(sigma_yx=np.eye(7, 4), sigma_x=np.eye(4))\n"
            "run = semjax.simulate(task, hidden=3, lam=[-1.0, 0.5], init_scale=0.1, "
            "n_seeds=20000, init='lambda_balanced', dt=0.05, n_steps=1, record=('loss',))\n"
            "assert run.finite.all(); print('ok')\n")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=180)
    assert child.returncode == 0 and "ok" in child.stdout, child.stderr[-2000:]


@pytest.mark.parametrize("options", [
    dict(init="gaussian", init_scale=[1e-3, 1e-2], n_seeds=3),
    dict(init="lambda_balanced", init_scale=0.1, lam=[0.0, 0.5], n_seeds=2),
    dict(init="uniform", init_scale=0.01, n_seeds=2, bias=True),
])
def test_initial_weights_are_the_starts_of_simulate(seed_task, options):
    """`semjax.initial_weights` draws bitwise the weights a run records at t = 0, with the
    same batch axes, without running."""
    import semjax
    starts = semjax.initial_weights(seed_task, hidden=5, key=3, **options)
    run = semjax.simulate(seed_task, hidden=5, key=3, n_steps=1, dt=0.01, record=("weights",),
                          **options)
    assert len(starts) == 2
    for start, recorded in zip(starts, run.weights):
        assert start.shape == recorded[..., 0, :, :].shape
        np.testing.assert_array_equal(start, recorded[..., 0, :, :])


def test_initial_weights_validate_like_simulate(seed_task):
    import semjax
    with pytest.raises(ValueError, match="init_scale"):
        semjax.initial_weights(seed_task, hidden=5, init="gaussian")
    with pytest.raises(ValueError, match="init"):
        semjax.initial_weights(seed_task, hidden=5, init="xavier", init_scale=1.0)
