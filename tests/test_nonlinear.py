"""Nonlinear networks and biases in the same harness as the deep linear network (issue 9).

Read-outs are defined for any network through its outputs F = f(X) on the items: they must equal
the linear-chain formulas for a linear network, and the dynamics must reduce to the linear ones
in the limits where the theory says they do (small starts for tanh, centred data for biases)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import semjax
from semjax import Task, analysis, datasets
from semjax.dynamics import Correlations, Items, Network, initialise, layer_shapes, observe
from semjax.readouts import resolve

ALL_READOUTS = ("modes", "loss", "outputs", "hidden_gram", "singular_values")


@pytest.fixture(scope="module")
def four_items():
    return Task.from_dataset(datasets.four_items())


@pytest.fixture(scope="module")
def hierarchy():
    dataset = datasets.branching_diffusion(jax.random.key(0), branching=2, depth=3,
                                           n_features=400, flip=0.1)
    return Task.from_dataset(dataset)


def test_item_readouts_of_a_linear_network_equal_the_correlation_formulas(nonwhite_task):
    """Items' read-outs (through f(X)) equal Correlations' (through W Σx) for a linear chain,
    on a task with non-white inputs."""
    shapes = layer_shapes(nonwhite_task.n_in, (5,), nonwhite_task.n_out)
    weights = initialise("gaussian", jax.random.key(1), 0.7, 0.0, shapes,
                         jnp.eye(nonwhite_task.n_out), jnp.eye(nonwhite_task.n_in))
    by_items = observe(weights, Items(nonwhite_task), resolve(ALL_READOUTS))
    by_correlations = observe(weights, Correlations(nonwhite_task), resolve(ALL_READOUTS))
    for name in ALL_READOUTS:
        np.testing.assert_allclose(by_items[name], by_correlations[name], rtol=1e-12,
                                   atol=1e-13, err_msg=name)


def test_an_identity_activation_runs_the_linear_dynamics(four_items):
    """A callable identity takes the item (autodiff) path and matches the correlation form."""
    options = dict(hidden=8, n_steps=200, dt=0.05, init="gaussian", init_scale=1e-2,
                   n_seeds=2, dtype="float64", record=ALL_READOUTS)
    linear = semjax.simulate(four_items, **options)
    identity = semjax.simulate(four_items, activation=lambda x: x, **options)
    assert identity.info["activation"] == "<lambda>"
    for name in ALL_READOUTS:
        np.testing.assert_allclose(getattr(identity, name), getattr(linear, name), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


@pytest.mark.parametrize("bias", [False, True])
def test_both_backends_run_nonlinear_nets_alike(four_items, bias):
    """The batch-last tiled backend (chosen for small full-batch nets on a CPU) and the vmap
    backend give the same ReLU trajectories, to rounding."""
    options = dict(hidden=8, n_steps=200, dt=0.05, init="gaussian", init_scale=0.1,
                   n_seeds=5, dtype="float64", record=("modes", "loss", "weights"),
                   activation="relu", bias=bias)
    tiled = semjax.simulate(four_items, kernel="tiled", **options)
    reference = semjax.simulate(four_items, kernel="reference", **options)
    assert semjax.simulate(four_items, **options).info["kernel"] == "tiled"
    for layer in range(2):
        np.testing.assert_allclose(tiled.weights[layer], reference.weights[layer], atol=1e-12)
    np.testing.assert_allclose(tiled.modes, reference.modes, atol=1e-12)
    np.testing.assert_allclose(tiled.loss, reference.loss, atol=1e-12)


def test_tanh_nets_from_small_starts_follow_the_linear_net_at_second_order(four_items):
    """tanh(h) = h − h³/3 + …: with pre-activations of the order of the init scale a, the tanh
    net's outputs differ from the linear net's (same start) by a relative O(a²) over a fixed
    early window (t ≤ τ, before the weights grow). The fitted exponent of the relative output
    difference is 2 ± 0.1 (measured 1.98 over a = 0.01 … 0.04; by t = 4τ, once the weights have
    grown, it falls to 1.6)."""
    scales = np.array([0.005, 0.01, 0.02])
    options = dict(hidden=8, n_steps=50, dt=0.02, init="gaussian", init_scale=scales,
                   n_seeds=4, dtype="float64", record=("outputs",))
    linear = semjax.simulate(four_items, **options).outputs
    tanh = semjax.simulate(four_items, activation="tanh", **options).outputs
    relative = (np.abs(tanh - linear).max(axis=(2, 3, 4))
                / np.abs(linear).max(axis=(2, 3, 4))).mean(axis=1)
    slope = np.polyfit(np.log(scales), np.log(relative), 1)[0]
    assert abs(slope - 2) < 0.1, (slope, relative)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_nonlinear_nets_learn_a_hierarchy_coarse_to_fine(hierarchy, activation):
    """Progressive differentiation is not a linear artefact (Saxe et al. 2019, SI): ReLU and
    tanh nets from small starts learn the branching-diffusion levels in order, in every one of
    32 seeds."""
    run = semjax.simulate(hierarchy, hidden=32, t_max=15.0, dt=0.05, record_every=2,
                          init="gaussian", init_scale=1e-3, n_seeds=32, dtype="float64",
                          record=("modes",), activation=activation)
    levels = analysis.hierarchy_levels_of_modes(hierarchy, 2, 3)
    order = analysis.level_learning_order(run, hierarchy, levels)
    assert np.all(order.coarse_to_fine), order.half_times[~order.coarse_to_fine]


def test_biases_change_nothing_on_centred_data():
    """With centred inputs and targets the bias gradients vanish, so biases started at zero
    stay there and the weights follow the bias-free flow (to rounding)."""
    rng = np.random.default_rng(3)
    inputs = rng.standard_normal((5, 40))
    targets = rng.standard_normal((4, 5)) @ inputs + 0.3 * rng.standard_normal((4, 40))
    inputs -= inputs.mean(axis=1, keepdims=True)
    targets -= targets.mean(axis=1, keepdims=True)
    task = Task(sigma_yx=targets @ inputs.T / 40, sigma_x=inputs @ inputs.T / 40,
                inputs=inputs, targets=targets)
    options = dict(hidden=6, n_steps=300, dt=0.05, init="gaussian", init_scale=0.05,
                   n_seeds=2, dtype="float64", record=("modes", "weights"))
    plain = semjax.simulate(task, **options)
    biased = semjax.simulate(task, bias=True, **options)
    for layer, weight in enumerate(biased.weights):
        assert weight.shape[-1] == plain.weights[layer].shape[-1] + 1
        assert np.abs(weight[..., -1]).max() < 1e-13
        np.testing.assert_allclose(weight[..., :-1], plain.weights[layer], atol=1e-12)
    np.testing.assert_allclose(biased.modes, plain.modes, atol=1e-12)


def test_biases_learn_the_mean_first_on_uncentred_data(four_items):
    """One-hot items with uncentred properties: the output bias gets a gradient from t = 0 and
    learns the mean output like a shallow net, exponentially fast, while the deep net's modes
    wait on their plateau. With biases the mean output is half learned in under one τ, long
    before the first item distinction (mode 2, animals vs plants) and several times sooner
    than the bias-free net learns it (through its mode 1)."""
    options = dict(hidden=16, t_max=40.0, dt=0.02, init="gaussian", init_scale=1e-3,
                   n_seeds=4, dtype="float64", record=("outputs", "modes"))
    mean_target = four_items.targets.mean(axis=1)

    def mean_half_time(run):
        mean_output = run.outputs.mean(axis=-1) @ mean_target / (mean_target @ mean_target)
        assert np.all(mean_output[:, -1] > 0.99)
        return run.t[np.argmax(mean_output >= 0.5, axis=-1)]

    biased = semjax.simulate(four_items, bias=True, **options)
    plain = semjax.simulate(four_items, **options)
    first_split = analysis.crossing_times(biased, four_items.s, 0.5)[..., 1]
    assert np.all(mean_half_time(biased) < 1.0)
    assert np.all(mean_half_time(biased) < 0.2 * first_split), first_split
    assert np.all(mean_half_time(biased) < 0.2 * mean_half_time(plain))


def test_train_accepts_activations_and_biases(four_items):
    """`train` builds the same networks: Adam on minibatches of a ReLU net with biases."""
    run = semjax.train(four_items, optimizer=optax.adam(1e-2), activation="relu", bias=True,
                       hidden=8, n_steps=300, record_every=30, init="gaussian",
                       init_scale=0.1, n_seeds=2, batch_size=2, record=("loss", "weights"))
    assert run.info["activation"] == "relu" and run.info["bias"] is True
    assert run.weights[1].shape[-2:] == (7, 9)
    assert np.all(run.loss[:, -1] < 0.05 * run.loss[:, 0])


def test_network_applies_activation_between_layers_and_bias_columns():
    """f(x) = W2 φ(W1 x + b1) + b2 with the bias as the last column."""
    rng = np.random.default_rng(0)
    w1, w2 = rng.standard_normal((3, 3)), rng.standard_normal((2, 4))
    x = rng.standard_normal((2, 5))
    expected = w2[:, :-1] @ np.tanh(w1[:, :-1] @ x + w1[:, -1:]) + w2[:, -1:]
    np.testing.assert_allclose(Network("tanh", True).apply((w1, w2), x), expected, rtol=1e-12)
    np.testing.assert_allclose(Network("relu").hidden((w1[:, :2],), x), w1[:, :2] @ x)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(activation="sigmoidd"), ValueError, "activation"),
    (dict(activation=3), ValueError, "activation"),
    (dict(bias="yes"), TypeError, "bias"),
    (dict(activation="tanh", record=("product",)), ValueError, "outputs"),
])
def test_bad_network_arguments_get_clear_errors(four_items, kwargs, error, match):
    options = dict(hidden=4, n_steps=2, dt=0.1, init="gaussian", init_scale=0.1) | kwargs
    with pytest.raises(error, match=match):
        semjax.simulate(four_items, **options)


def test_nonlinear_nets_need_items(seed_task):
    """A task given only by correlations has no items for a nonlinear net to see."""
    task = Task(sigma_yx=seed_task.sigma_yx, sigma_x=np.diag([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="items generate"):
        semjax.simulate(task, hidden=4, n_steps=2, dt=0.1, init="gaussian", init_scale=0.1,
                        activation="tanh")
