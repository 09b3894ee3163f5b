"""Tests for semjax.datasets: literature tables (docs/theory.md §4.1, §4.2, §4.4) and tree models
(§4.5)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from semjax import datasets


def _projector(vectors) -> np.ndarray:
    """Orthogonal projector onto the span of the rows of ``vectors``."""
    basis = np.linalg.qr(np.atleast_2d(np.asarray(vectors, dtype=np.float64)).T)[0]
    return basis @ basis.T


def _object_analyzers(dataset):
    """Singular values and object analyzers (rows of V^T) of Y."""
    _, singular_values, vt = np.linalg.svd(dataset.targets, full_matrices=False)
    return singular_values, vt


def _separates(vector, positive, negative, *, others=()) -> bool:
    """True if ``vector`` has one sign on ``positive``, the other on ``negative`` (either way),
    and is at least four times smaller on ``others`` than anywhere on those two groups."""
    groups = np.asarray(vector)[list(positive) + list(negative)]
    pattern = np.array([1] * len(positive) + [-1] * len(negative))
    split = np.all(np.sign(groups) == pattern) or np.all(np.sign(groups) == -pattern)
    weak = np.all(np.abs(np.asarray(vector)[list(others)]) < np.min(np.abs(groups)) / 4)
    return bool(split and weak)


# ---------------------------------------------------------------- four_items (docs/theory.md §4.1)


def test_four_items_table():
    data = datasets.four_items()
    assert data.item_names == ("canary", "salmon", "oak", "rose")
    assert data.property_names == ("grow", "move", "roots", "fly", "swim", "leaves", "petals")
    expected = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0],
                         [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float)
    np.testing.assert_array_equal(data.targets, expected)
    np.testing.assert_array_equal(data.inputs, np.eye(4))
    assert data.targets.dtype == np.float64 and data.name == "four_items"


def test_four_items_spectrum():
    singular_values, vt = _object_analyzers(datasets.four_items())
    np.testing.assert_allclose(singular_values, [np.sqrt(7), np.sqrt(3), 1, 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.abs(vt[0]), np.full(4, 0.5), atol=1e-12)
    assert _separates(vt[1], positive=[0, 1], negative=[2, 3])
    np.testing.assert_allclose(np.abs(vt[1]), np.full(4, 0.5), atol=1e-12)
    np.testing.assert_allclose(_projector(vt[2:]), _projector([[1, -1, 0, 0], [0, 0, 1, -1]]),
                               atol=1e-12)


# ---------------------------------------------------------------- rumelhart (docs/theory.md §4.2)

_PLANTS, _ANIMALS = [0, 1, 2, 3], [4, 5, 6, 7]


def _has(data, item: str, prop: str) -> float:
    return data.targets[data.property_names.index(prop), data.item_names.index(item)]


def test_rumelhart_table():
    data = datasets.rumelhart()
    assert data.targets.shape == (36, 8)
    assert data.item_names == ("pine", "oak", "rose", "daisy", "robin", "canary", "sunfish",
                               "salmon")
    names = data.property_names
    assert names[:8] == ("ISA living thing", "ISA plant", "ISA animal", "ISA tree", "ISA flower",
                         "ISA bird", "ISA fish", "ISA pine")
    assert names[15] == "is pretty" and names[21] == "can grow" and names[-1] == "has scales"
    assert len(set(names)) == 36
    np.testing.assert_array_equal(data.targets[7:15], np.eye(8))
    assert _has(data, "canary", "can sing") == 1 and _has(data, "robin", "can sing") == 0
    assert _has(data, "pine", "has leaves") == 0 and _has(data, "oak", "has leaves") == 1
    assert _has(data, "salmon", "is red") == 1 and _has(data, "sunfish", "is red") == 0
    assert _has(data, "pine", "is green") == 1 and _has(data, "daisy", "is yellow") == 1
    np.testing.assert_array_equal(data.targets[names.index("can move")], [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(data.targets[names.index("is yellow")], [0, 0, 0, 1, 0, 1, 1, 0])
    # Column sums (number of attributes per item) pin down the whole transcription.
    np.testing.assert_array_equal(data.targets.sum(axis=0), [11, 11, 11, 11, 12, 13, 12, 12])


def test_rumelhart_modes():
    singular_values, vt = _object_analyzers(datasets.rumelhart())
    assert np.linalg.matrix_rank(datasets.rumelhart().targets) == 8
    assert singular_values[-1] > 0.5
    assert np.all(np.diff(singular_values) < -1e-3)  # eight distinct values
    assert np.all(np.sign(vt[0]) == np.sign(vt[0][0]))  # mode 1: all items
    assert _separates(vt[1], _PLANTS, _ANIMALS)  # mode 2: plants vs animals
    assert _separates(vt[2], [4, 5], [6, 7], others=_PLANTS)  # mode 3: birds vs fish
    assert _separates(vt[3], [0, 1], [2, 3], others=_ANIMALS)  # mode 4: trees vs flowers


# ----------------------------------------------------------- braun_hierarchy (docs/theory.md §4.4)

def _haar_labels() -> np.ndarray:
    """Braun et al.'s labels (items x features) rebuilt from their structure: a root feature,
    then one +1/-1 split (first half / second half) per node of a depth-3 binary tree."""
    columns = [np.ones(8)]
    for level in range(3):
        width = 8 >> level
        for node in range(2 ** level):
            column = np.zeros(8)
            column[node * width:(node + 1) * width] = np.repeat([1.0, -1.0], width // 2)
            columns.append(column)
    return np.stack(columns, axis=1)


_BRAUN_LABELS = _haar_labels()


def test_braun_hierarchy_matrix():
    data = datasets.braun_hierarchy()
    np.testing.assert_array_equal(data.targets, _BRAUN_LABELS.T)
    np.testing.assert_array_equal(data.targets[:, 2], [1, 1, -1, 0, 0, 1, 0, 0])  # S5, row 3
    np.testing.assert_array_equal(data.inputs, np.eye(8))
    assert data.name == "braun_hierarchy"
    assert data.item_names[0] == "item0" and data.property_names[-1] == "feature7"
    singular_values, _ = _object_analyzers(data)
    np.testing.assert_allclose(singular_values, np.sqrt([8, 8, 4, 4, 2, 2, 2, 2]), atol=1e-12)


def test_braun_hierarchy_options():
    corrected = datasets.braun_hierarchy(correct=True).targets
    scale = 1 + 0.1 / np.arange(1, 9)
    np.testing.assert_allclose(corrected, (_BRAUN_LABELS * scale).T, rtol=1e-15)
    singular_values, _ = _object_analyzers(datasets.braun_hierarchy(correct=True))
    assert np.min(-np.diff(singular_values)) > 1e-3
    np.testing.assert_allclose(np.sort(singular_values),
                               np.sort(np.sqrt([8, 8, 4, 4, 2, 2, 2, 2]) * scale), atol=1e-12)
    reversed_ = datasets.braun_hierarchy(reversal=True).targets
    np.testing.assert_array_equal(reversed_[-1], -_BRAUN_LABELS[:, -1])
    np.testing.assert_array_equal(reversed_[:-1], _BRAUN_LABELS[:, :-1].T)
    both = datasets.braun_hierarchy(correct=True, reversal=True).targets
    np.testing.assert_allclose(both[-1], -corrected[-1], rtol=1e-15)


# ---------------------------------------------------------------- regular_tree


@pytest.mark.parametrize("branching, depth", [(2, 1), (2, 3), (3, 2), (4, 2)])
def test_regular_tree_shapes(branching, depth):
    data = datasets.regular_tree(branching, depth)
    n_nodes = sum(branching ** level for level in range(depth + 1))
    assert data.targets.shape == (n_nodes, branching ** depth)
    np.testing.assert_array_equal(data.targets.sum(axis=0), depth + 1)
    np.testing.assert_array_equal(data.targets[0], 1)  # root
    np.testing.assert_array_equal(data.targets[-branching ** depth:], np.eye(branching ** depth))
    level_sizes = [branching ** (depth - level) for level in range(depth + 1)
                   for _ in range(branching ** level)]
    np.testing.assert_array_equal(data.targets.sum(axis=1), level_sizes)
    assert len(set(data.item_names)) == branching ** depth
    assert len(set(data.property_names)) == n_nodes


def test_regular_tree_names_and_signed():
    data = datasets.regular_tree(2, 2)
    assert data.item_names == ("0.0", "0.1", "1.0", "1.1")
    assert data.property_names[:3] == ("node root", "node 0", "node 1")
    np.testing.assert_array_equal(data.targets[data.property_names.index("node 1")], [0, 0, 1, 1])
    signed = datasets.regular_tree(2, 2, signed=True).targets
    np.testing.assert_array_equal(signed, 2 * data.targets - 1)


@pytest.mark.parametrize("kwargs, argument", [
    ({"branching": 1, "depth": 2}, "branching"),
    ({"branching": 2.0, "depth": 2}, "branching"),
    ({"branching": 2, "depth": 0}, "depth"),
    ({"branching": 2, "depth": "3"}, "depth"),
])
def test_regular_tree_bad_input(kwargs, argument):
    with pytest.raises((TypeError, ValueError), match=argument):
        datasets.regular_tree(**kwargs)


# ---------------------------------------------------------------- branching_diffusion (4.5)


def _sample(seed=0, **kwargs):
    params = {"branching": 2, "depth": 3, "n_features": 50, "flip": 0.15} | kwargs
    return datasets.branching_diffusion(jax.random.key(seed), **params)


def test_branching_diffusion_basic():
    data = _sample(n_features=300)
    assert data.targets.shape == (300, 8) and data.targets.dtype == np.float64
    assert set(np.unique(data.targets)) == {-1.0, 1.0}
    np.testing.assert_array_equal(data.inputs, np.eye(8))
    assert data.item_names[5] == "1.0.1" and data.property_names[-1] == "feature299"
    np.testing.assert_array_equal(_sample(n_features=300).targets, data.targets)
    assert not np.array_equal(_sample(seed=1, n_features=300).targets, data.targets)
    legacy = datasets.branching_diffusion(jax.random.PRNGKey(0), branching=2, depth=3,
                                          n_features=300, flip=0.15)
    np.testing.assert_array_equal(legacy.targets, data.targets)


def test_branching_diffusion_no_flips():
    copies = _sample(n_features=2_000, flip=0.0).targets
    np.testing.assert_array_equal(copies, copies[:, :1] * np.ones((1, 8)))
    assert 0.4 < np.mean(copies[:, 0] == 1) < 0.6  # root sign is a fair coin
    np.testing.assert_array_equal(_sample(flip=0.0, root_flip=0.0).targets, 1.0)
    np.testing.assert_array_equal(_sample(flip=0.0, root_flip=1.0).targets, -1.0)


def test_branching_diffusion_leaves_flip_independently():
    # flip = 1/2 randomises every edge, so distinct items are uncorrelated.
    targets = _sample(n_features=20_000, flip=0.5, root_flip=0.0).targets
    gram = targets.T @ targets / targets.shape[0]
    np.testing.assert_allclose(gram, np.eye(8), atol=5 / np.sqrt(targets.shape[0]))


@pytest.mark.parametrize("branching, depth, flip", [(2, 3, 0.15), (3, 2, 0.1), (2, 4, 0.05)])
def test_branching_diffusion_converges_to_correlation(branching, depth, flip):
    exact = datasets.branching_diffusion_correlation(branching, depth, flip)

    def error(n_features):
        targets = _sample(seed=n_features, branching=branching, depth=depth,
                          n_features=n_features, flip=flip).targets
        return np.max(np.abs(targets.T @ targets / n_features - exact))

    small, large = error(2_000), error(200_000)
    assert large < 5 / np.sqrt(200_000)
    assert small / large > 3  # ~ sqrt(100) = 10 for 1/sqrt(n) convergence


def test_branching_diffusion_correlation_entries():
    q = (1 - 2 * 0.1) ** 2
    exact = datasets.branching_diffusion_correlation(3, 2, 0.1)
    assert exact.shape == (9, 9) and exact.dtype == np.float64
    np.testing.assert_allclose(np.diag(exact), 1.0, rtol=0, atol=0)
    assert exact[0, 1] == pytest.approx(q) and exact[0, 3] == pytest.approx(q ** 2)
    np.testing.assert_array_equal(datasets.branching_diffusion_correlation(2, 2, 0.0), 1.0)


@pytest.mark.parametrize("branching, depth, flip", [(2, 3, 0.15), (3, 2, 0.1), (2, 4, 0.05),
                                                   (4, 2, 0.3)])
def test_branching_diffusion_correlation_spectrum(branching, depth, flip):
    b, d, q = branching, depth, (1 - 2 * flip) ** 2

    def s(k):
        return 1 + (b - 1) / b * sum((b * q) ** j for j in range(1, d - k + 1))

    expected = [s(0)] + [s(level) - (b * q) ** (d - level)
                         for level in range(d) for _ in range(b ** level * (b - 1))]
    eigenvalues = np.linalg.eigvalsh(datasets.branching_diffusion_correlation(b, d, flip))
    np.testing.assert_allclose(eigenvalues, np.sort(expected), rtol=0, atol=1e-12)
    assert eigenvalues[0] == pytest.approx(4 * flip * (1 - flip))  # finest level: 1 - q


def test_branching_diffusion_correlation_eigenvectors():
    # Haar wavelets of a (2, 2) tree: root split and the two leaf-pair splits.
    exact = datasets.branching_diffusion_correlation(2, 2, 0.2)
    for haar in ([1, 1, -1, -1], [1, -1, 0, 0], [0, 0, 1, -1]):
        image = exact @ np.array(haar, dtype=float)
        np.testing.assert_allclose(_projector(haar) @ image, image, atol=1e-12)


@pytest.mark.parametrize("kwargs, error, argument", [
    ({"key": 0}, TypeError, "key"),
    ({"key": np.zeros(2, np.uint32)}, TypeError, "key"),
    ({"key": jax.random.split(jax.random.key(0))}, ValueError, "key"),
    ({"branching": 1}, ValueError, "branching"),
    ({"depth": 0}, ValueError, "depth"),
    ({"n_features": 0}, ValueError, "n_features"),
    ({"n_features": 10.0}, TypeError, "n_features"),
    ({"flip": -0.1}, ValueError, "flip"),
    ({"flip": 1.5}, ValueError, "flip"),
    ({"root_flip": 2}, ValueError, "root_flip"),
    ({"root_flip": "half"}, TypeError, "root_flip"),
])
def test_branching_diffusion_bad_input(kwargs, error, argument):
    params = {"key": jax.random.key(0), "branching": 2, "depth": 3, "n_features": 5,
              "flip": 0.1} | kwargs
    with pytest.raises(error, match=argument):
        datasets.branching_diffusion(params.pop("key"), **params)


@pytest.mark.parametrize("args, argument", [((1, 2, 0.1), "branching"), ((2, 0, 0.1), "depth"),
                                            ((2, 2, 1.1), "flip")])
def test_branching_diffusion_correlation_bad_input(args, argument):
    with pytest.raises(ValueError, match=argument):
        datasets.branching_diffusion_correlation(*args)
