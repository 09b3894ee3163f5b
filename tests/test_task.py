"""The conventions of semjax.task, each checked once."""

import numpy as np
import pytest

from semjax import Task, datasets


def test_from_dataset_mean_and_sum_conventions():
    data = datasets.four_items()
    mean = Task.from_dataset(data)
    total = Task.from_dataset(data, normalise="sum")
    np.testing.assert_allclose(mean.sigma_x, np.eye(4) / 4)
    np.testing.assert_allclose(mean.sigma_yx, data.targets / 4)
    np.testing.assert_allclose(total.sigma_x, np.eye(4))
    np.testing.assert_allclose(total.sigma_yx, data.targets)
    assert mean.item_names == ("canary", "salmon", "oak", "rose")
    assert not mean.is_white and total.is_white


def test_excess_loss_is_averaged_squared_error_minus_its_minimum(nonwhite_task):
    rng = np.random.default_rng(1)
    X = nonwhite_task.inputs
    Y = nonwhite_task.sigma_yx @ np.linalg.inv(nonwhite_task.sigma_x) @ X  # realisable targets
    Y = Y + 0.1 * rng.normal(size=Y.shape)
    task = Task.from_dataset(datasets.Dataset.from_arrays(Y, X))
    W = rng.normal(size=(3, 4))
    direct = 0.5 * np.mean(np.sum((Y - W @ X) ** 2, axis=0))
    optimum = 0.5 * np.mean(np.sum((Y - task.target_map @ X) ** 2, axis=0))
    np.testing.assert_allclose(task.excess_loss(W), direct - optimum, rtol=1e-12)
    assert task.excess_loss(task.target_map) == pytest.approx(0, abs=1e-14)


def test_modes_reconstruct_sigma_yx_with_deterministic_signs(seed_task):
    U, s, V = seed_task.modes
    np.testing.assert_allclose(U @ np.diag(s) @ V.T, seed_task.sigma_yx, atol=1e-12)
    np.testing.assert_allclose(s, [np.sqrt(7), np.sqrt(3), 1, 1], atol=1e-12)
    for column in V.T:
        leading = np.flatnonzero(np.abs(column) >= np.abs(column).max() * (1 - 1e-6))[0]
        assert column[leading] > 0
    flipped = Task(-seed_task.sigma_yx)
    np.testing.assert_allclose(flipped.modes.V[:, :2], V[:, :2], atol=1e-12)
    np.testing.assert_allclose(flipped.modes.U[:, :2], -U[:, :2], atol=1e-12)


def test_mode_strengths_of_optimum_are_singular_values(nonwhite_task):
    np.testing.assert_allclose(nonwhite_task.mode_strengths(nonwhite_task.target_map),
                               nonwhite_task.modes.s, rtol=1e-10)


def test_task_is_a_pytree_without_validation_on_unflatten(seed_task):
    import jax
    leaves, tree = jax.tree.flatten(seed_task)
    rebuilt = jax.tree.unflatten(tree, [object() for _ in leaves])  # no checks on unflatten
    assert rebuilt.item_names == seed_task.item_names


@pytest.mark.parametrize("kwargs, match", [
    (dict(sigma_yx=np.ones(3)), "sigma_yx must be a 2-D"),
    (dict(sigma_yx=np.array([[1.0, np.nan]])), "sigma_yx must be finite"),
    (dict(sigma_yx=np.ones((2, 3)), sigma_x=np.eye(2)), "sigma_x must have shape"),
    (dict(sigma_yx=np.ones((2, 2)), sigma_x=np.array([[1.0, 2.0], [0.0, 1.0]])), "symmetric"),
    (dict(sigma_yx=np.ones((2, 2)), sigma_x=-np.eye(2)), "positive semi-definite"),
    (dict(sigma_yx=np.ones((2, 2)), item_names=("a",)), "item_names must have 2"),
])
def test_bad_task_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Task(**kwargs).validated()


def test_unknown_normalisation_is_rejected():
    with pytest.raises(ValueError, match="normalise must be one of"):
        Task.from_dataset(datasets.four_items(), normalise="average")


def test_input_scale_detects_isotropic_inputs(nonwhite_task):
    mean = Task.from_dataset(datasets.four_items())
    assert mean.input_scale == pytest.approx(0.25) and not mean.is_white
    assert Task(np.ones((2, 3))).input_scale == 1.0
    assert nonwhite_task.input_scale is None
