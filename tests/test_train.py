"""`semjax.train`: optax optimisers on the core, against gradient flow, line-by-line optax
loops, the statistics of online SGD, and the argument checks."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from semjax import Task, datasets, simulate, train
from tests.conftest import SEED_MATRIX


@pytest.fixture(scope="module")
def items_task():
    """The four-item data under the sum convention: Σx = XXᵀ = I, Σyx = YXᵀ, items known."""
    return Task.from_dataset(datasets.four_items(), normalise="sum")


def _start(seed, shapes, scale=0.1):
    rng = np.random.default_rng(seed)
    return tuple(scale * rng.standard_normal(shape) for shape in shapes)


def _loss(task):
    def loss(weights):
        W = weights[0]
        for w in weights[1:]:
            W = w @ W
        return 0.5 * jnp.trace(W @ task.sigma_x @ W.T) - jnp.trace(W.T @ task.sigma_yx)
    return loss


@pytest.mark.parametrize("hidden, depth", [(6, 2), ((5, 4), 3)])
def test_full_batch_sgd_is_euler_gradient_flow(nonwhite_task, hidden, depth):
    shapes = [(6 if depth == 2 else 5, 4)] + ([(7, 6)] if depth == 2 else [(4, 5), (3, 4)])
    shapes[-1] = (3, shapes[-1][1])
    start = _start(0, shapes)
    flow = simulate(nonwhite_task, hidden=hidden, depth=depth, n_steps=200, dt=0.05, init=start,
                    record=("modes", "loss", "weights"))
    for optimizer, rate in ((optax.sgd(0.05), 0.05), (optax.sgd, 0.05)):
        run = train(nonwhite_task, hidden=hidden, depth=depth, n_steps=200, init=start,
                    optimizer=optimizer, learning_rate=rate, record=("modes", "loss", "weights"))
        np.testing.assert_allclose(run.t, flow.t, rtol=1e-14)
        assert run.step.tolist() == list(range(201)) and run.info["time_unit"] == "tau"
        np.testing.assert_allclose(run.modes, flow.modes, rtol=0, atol=1e-12)
        for mine, theirs in zip(run.weights, flow.weights):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("optimizer", [optax.sgd(0.05, momentum=0.9),
                                       optax.sgd(0.02, momentum=0.8, nesterov=True),
                                       optax.adam(0.01), optax.adamw(0.01, weight_decay=1e-3),
                                       optax.chain(optax.clip_by_global_norm(0.5),
                                                   optax.adam(0.01))],
                         ids=["momentum", "nesterov", "adam", "adamw", "clipped-adam"])
def test_optimisers_equal_a_line_by_line_optax_loop(seed_task, optimizer):
    """Several runs at once (the CPU tiles apply the transformation per run: a global norm is
    each run's own), each equal to its own optax loop."""
    starts = [_start(seed, [(5, 4), (7, 5)], scale=0.1 * (1 + seed)) for seed in range(3)]
    batched = tuple(np.stack(layer) for layer in zip(*starts))
    runs = train(seed_task, hidden=5, n_steps=150, init=batched, optimizer=optimizer,
                 record=("weights",), record_every=50)
    assert runs.info["kernel"] == "tiled"
    for index, start in enumerate(starts):
        _check_against_optax_loop(seed_task, optimizer, start, runs.select(seed=index))
    assert runs.info["time_unit"] == "step" and runs.t.tolist() == [0, 50, 100, 150]


def _check_against_optax_loop(seed_task, optimizer, start, run):
    params, state = tuple(jnp.asarray(w) for w in start), optimizer.init(start)
    gradient = jax.jit(jax.grad(_loss(seed_task)))
    for step in range(1, 151):
        updates, state = optimizer.update(gradient(params), state, params)
        params = optax.apply_updates(params, updates)
        if step % 50 == 0:
            for layer in range(2):
                np.testing.assert_allclose(run.weights[layer][step // 50], params[layer],
                                           rtol=0, atol=1e-12)


def test_a_learning_rate_axis_equals_separate_runs_in_one_compilation(seed_task):
    common = dict(hidden=5, n_steps=80, init="gaussian", init_scale=[0.05, 0.2], n_seeds=3,
                  key=4, record=("modes",))
    factory = functools.partial(optax.sgd, momentum=0.5)
    grid = train(seed_task, optimizer=factory, learning_rate=[0.01, 0.03], **common)
    assert grid.batch_axes == ("learning_rate", "scale", "seed")
    assert grid.modes.shape == (2, 2, 3, 81, 4) and grid.info["time_unit"] == "step"
    for i, rate in enumerate([0.01, 0.03]):
        alone = train(seed_task, optimizer=factory, learning_rate=rate, **common)
        np.testing.assert_allclose(grid.modes[i], alone.modes, rtol=0, atol=1e-12)
        np.testing.assert_allclose(alone.t, rate * np.arange(81))


def test_changing_learning_rate_scale_or_key_compiles_nothing(seed_task):
    compiles = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    common = dict(hidden=6, n_steps=40, n_seeds=4, record=("modes", "loss"), batch_size=2,
                  optimizer=optax.sgd)
    items = Task.from_dataset(datasets.four_items())
    train(items, learning_rate=[0.1, 0.2], init_scale=[0.1, 0.01], key=0, **common)
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        train(items, learning_rate=[0.3, 0.05], init_scale=[0.2, 0.03], key=1, **common)
        train(items, learning_rate=[0.01, 0.5], init_scale=[1e-3, 0.5], key=jax.random.key(5),
              **common)
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert compiles == [], f"{len(compiles)} compilations when only numbers changed"


def test_minibatches_of_every_item_without_replacement_are_the_full_batch(items_task):
    start = _start(2, [(6, 4), (7, 6)])
    full = train(items_task, hidden=6, n_steps=100, init=start, optimizer=optax.sgd(0.02),
                 record=("weights",))
    every_item = train(items_task, hidden=6, n_steps=100, init=start, batch_size=4,
                       optimizer=optax.sgd(0.02), record=("weights",))
    with_replacement = train(items_task, hidden=6, n_steps=100, init=start, batch_size=4,
                             replace=True, optimizer=optax.sgd(0.02), record=("weights",))
    np.testing.assert_allclose(every_item.weights[0], full.weights[0], rtol=0, atol=1e-12)
    assert np.abs(with_replacement.weights[0][-1] - full.weights[0][-1]).max() > 1e-3


def test_minibatch_draws_depend_on_the_seed_only(items_task):
    common = dict(hidden=6, n_steps=30, init="gaussian", init_scale=0.1, batch_size=1,
                  optimizer=optax.sgd(0.05), record=("modes",), key=9)
    batch = train(items_task, n_seeds=5, **common)
    alone = train(items_task, keys=jax.random.fold_in(jax.random.key(9), 3)[None], **common)
    np.testing.assert_allclose(alone.modes[0], batch.modes[3], rtol=1e-12, atol=1e-14)
    assert np.abs(batch.modes[0] - batch.modes[1]).max() > 1e-3  # different draws


RATES = (0.003125, 0.00625, 0.0125)


@pytest.fixture(scope="module")
def online_sgd(items_task):
    """1,024 seeds of online SGD (with replacement) from one aligned start, for η ∈ RATES and
    k ∈ {1, 2, 4}, to t = 1 (units of τ), mode strengths at t = 0, 0.5 and 1; and the flow."""
    start = simulate(items_task, hidden=6, n_steps=1, dt=1e-3, init="aligned", init_scale=0.05,
                     record=("weights",), dtype="float64").weights
    one = tuple(w[:, 0] for w in start)
    start = tuple(np.repeat(w, 1024, axis=0) for w in one)
    results, every = {}, round(0.5 / RATES[-1])  # one call per k: the rates are a batch axis
    for k in (1, 2, 4):
        run = train(items_task, hidden=6, n_steps=round(1 / RATES[0]), init=start,
                    batch_size=k, replace=True, optimizer=optax.sgd,
                    learning_rate=list(RATES), key=k, record=("modes",), record_every=every)
        for modes, rate in zip(np.asarray(run.modes), RATES):  # t = 0, 0.5, 1 of each rate
            results[k, rate] = modes[:, [0, round(0.5 / rate) // every, round(1 / rate) // every]]
    flow = simulate(items_task, hidden=6, t_max=1.0, dt=1e-3, init=one, method="rk4",
                    record=("modes",), record_every=500).modes[0]
    return results, flow


def test_online_sgd_mean_follows_the_flow(online_sgd):
    """The mean over 1,024 seeds departs from gradient flow by O(η) (fitted order 1 ± 0.2,
    as full-batch gradient descent does), and its Richardson extrapolation to η → 0,
    2 ā(η) − ā(2η), equals the flow within 4 standard errors (+ the O(η²) remainder)."""
    results, flow = online_sgd
    means = {rate: results[4, rate].mean(axis=0)[1:] for rate in RATES}
    errors = {rate: (results[4, rate].std(axis=0) / np.sqrt(1024))[1:] for rate in RATES}
    deviation = [np.abs(means[rate] - flow[1:]).max() for rate in RATES]
    order = np.polyfit(np.log(RATES), np.log(deviation), 1)[0]
    assert abs(order - 1) < 0.2, (deviation, order)
    extrapolated = 2 * means[RATES[0]] - means[RATES[1]]
    standard_error = np.sqrt(4 * errors[RATES[0]] ** 2 + errors[RATES[1]] ** 2)
    remainder = deviation[0] * RATES[0] / RATES[1]  # a generous bound on the O(η²) term
    assert np.all(np.abs(extrapolated - flow[1:]) <= 4 * standard_error + remainder)


def test_online_sgd_variance_grows_as_learning_rate_over_batch_size(online_sgd):
    """Across seeds, Var a_α(t) ≈ C(t) η/k for small η (the diffusion limit of SGD): fitted
    exponents 1 ± 0.2 in η and −1 ± 0.2 in k, for the fine modes 3 and 4 at t = 0.5 and 1.
    (Modes 1 and 2 load every item equally, so a minibatch moves them only at second order:
    their variance goes as (η/k)², which the test checks too.)"""
    results, _ = online_sgd
    sizes = (1, 2, 4)
    for modes, expected in (((2, 3), 1.0), ((0, 1), 2.0)):
        for record in (1, 2):
            variance = np.array([[results[k, rate][:, record, list(modes)].var(axis=0).mean()
                                  for rate in RATES] for k in sizes])
            slope_rate = np.polyfit(np.log(RATES), np.log(variance).mean(axis=0), 1)[0]
            slope_size = np.polyfit(np.log(sizes), np.log(variance).mean(axis=1), 1)[0]
            assert abs(slope_rate - expected) < 0.2 * expected, (modes, slope_rate)
            assert abs(slope_size + expected) < 0.2 * expected, (modes, slope_size)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(optimizer="adam"), TypeError, "optimizer must be an optax GradientTransformation"),
    (dict(optimizer=optax.sgd, learning_rate=None), ValueError, "give learning_rate= too"),
    (dict(optimizer=optax.sgd(0.1), learning_rate=[0.1, 0.2]), ValueError, "needs an optax"),
    (dict(learning_rate=-0.1), ValueError, "learning_rate must be a finite number > 0"),
    (dict(learning_rate=[[0.1]]), ValueError, "learning_rate must be"),
    (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1"),
    (dict(batch_size=9), ValueError, "batch_size=9 exceeds the task's 4 items"),
    (dict(n_steps=None, t_max=1.0, learning_rate=[0.1, 0.2]), ValueError, "t_max needs one"),
    (dict(n_steps=None), ValueError, "exactly one of t_max"),
    (dict(hidden="8"), TypeError, "hidden must be an integer width"),
])
def test_bad_arguments_name_themselves(items_task, kwargs, error, match):
    arguments = dict(hidden=8, n_steps=10, optimizer=optax.sgd, learning_rate=0.1,
                     init_scale=0.01)
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        train(items_task, **arguments)


def test_minibatches_need_items_that_generate_the_correlations(nonwhite_task):
    coupled = Task(sigma_yx=nonwhite_task.sigma_yx, sigma_x=nonwhite_task.sigma_x + np.eye(4))
    with pytest.raises(ValueError, match="batch_size needs a task whose items generate"):
        train(coupled, hidden=3, n_steps=5, optimizer=optax.sgd(0.1), init_scale=0.1,
              batch_size=2)
    one_hot = Task(sigma_yx=SEED_MATRIX)  # Σx = I with one-hot items: Y = Σyx
    run = train(one_hot, hidden=3, n_steps=5, optimizer=optax.sgd(0.1), init_scale=0.1,
                batch_size=2)
    assert run.finite.all()


@pytest.mark.parametrize("depth, hidden", [(1, None), (2, 6), (3, (6, 5))])
def test_sgd_from_an_aligned_start_is_the_exact_discrete_map(seed_task, depth, hidden):
    """`theory.trajectory(..., learning_rate=η)` (the exact gradient-descent map of each mode)
    against `train(optimizer=optax.sgd(η))`, compared with `semjax.compare`."""
    from semjax import compare, theory
    rate = 0.05
    run = train(seed_task, depth=depth, hidden=hidden, n_steps=120, init="aligned",
                init_scale=0.02, optimizer=optax.sgd(rate), learning_rate=rate,
                dtype="float64", record=("modes",), record_every=4)
    exact = theory.trajectory(seed_task, run.t, 0.02, depth=depth, learning_rate=rate)
    assert exact.step.tolist() == run.step.tolist()
    assert compare(run, exact).max_abs_error.max() < 1e-12
    flow = theory.trajectory(seed_task, run.t, 0.02, depth=depth)
    assert compare(run, flow).max_abs_error.max() > 1e-3  # the O(η) gap the map closes


@pytest.mark.parametrize("factor", [0.98, 1.02])
def test_the_stability_bound_separates_converging_and_oscillating_runs(seed_task, factor):
    """Below η* = min over modes of `gd_stability_bound` the strongest mode settles at s₁; just
    above it, it never settles, and `train` reports that per run (never a silent NaN)."""
    from semjax import UnstableRunWarning, theory
    bound = float(np.min(theory.gd_stability_bound(seed_task.s, depth=2)))
    rate = factor * bound
    common = dict(hidden=6, n_steps=600, init="aligned", init_scale=[0.01, 0.5],
                  optimizer=optax.sgd(rate), learning_rate=rate, dtype="float64")
    if factor < 1:
        run = train(seed_task, **common)
        np.testing.assert_allclose(run.modes[:, 0, -1], np.broadcast_to(seed_task.s, (2, 4)),
                                   rtol=1e-6)
    else:
        with pytest.warns(UnstableRunWarning, match="2 of 2 runs did not settle"):
            run = train(seed_task, **common)
        assert np.abs(run.modes[:, 0, -1, 0] - seed_task.s[0]).min() > 1e-2
    assert run.finite.all()
