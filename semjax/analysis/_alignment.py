"""Comparing bases and configurations that are defined only up to a rotation.

Degenerate singular values leave the basis of their eigenspace a convention (docs/theory.md
§5.9: ring modes come in degenerate pairs; sampled data split each degenerate level of a tree,
§4.5), and MDS recovers points only up to a rotation or reflection (docs/theory.md §5.1). To
put a measured basis or configuration beside its prediction, find the degenerate groups
(`degenerate_groups`), rotate within each onto the prediction (`align_within_groups`, by
orthogonal Procrustes, `procrustes_rotation`), or embed both and rotate one onto the other
(`aligned_mds`).
"""

from __future__ import annotations

import numpy as np

from semjax import _validation
from semjax.analysis._development import mds_embedding


def _matrix(name: str, value) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite.")
    return array


def procrustes_rotation(source, target) -> np.ndarray:
    """The orthogonal R minimising ‖source R − target‖_F (orthogonal Procrustes).

    With sourceᵀ target = P Σ Qᵀ (SVD), R = P Qᵀ (Schönemann 1966): the rotation (or
    reflection) that best maps the columns of ``source`` onto those of ``target``. If
    target = source R₀ for an orthogonal R₀ and source has full column rank, R = R₀.

    Args:
        source: (n, k) array.
        target: (n, k) array of the same shape.

    Returns:
        R, orthogonal (k, k).

    Raises:
        ValueError: ``source`` or ``target`` not a finite non-empty 2-D array, or their
            shapes differ.
    """
    source, target = _matrix("source", source), _matrix("target", target)
    if source.shape != target.shape:
        raise ValueError(f"source and target must have the same shape; got {source.shape} "
                         f"and {target.shape}.")
    left, _, right = np.linalg.svd(source.T @ target)
    return left @ right


def degenerate_groups(values, rtol: float = 1e-6) -> list[np.ndarray]:
    """Indices of runs of equal consecutive values: the degenerate eigenspaces of a sorted
    spectrum (docs/theory.md §5.9).

    A group extends while the next value is within ``rtol`` · |first value of the group| of
    the group's first value; within a group the basis of the eigenspace is a convention.

    Args:
        values: 1-D array, sorted (e.g. eigenvalues or singular values, descending).
        rtol: relative tolerance ≥ 0 for "equal".

    Returns:
        A list of index arrays, consecutive and covering ``range(len(values))``.

    Raises:
        ValueError: ``values`` not a finite non-empty 1-D array, or ``rtol`` < 0.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be a finite non-empty 1-D array; got shape "
                         f"{values.shape}.")
    rtol = _validation.positive_float("rtol", rtol, allow_zero=True)
    groups, start = [], 0
    while start < len(values):
        stop = start + 1
        while (stop < len(values)
               and abs(values[stop] - values[start]) <= rtol * abs(values[start])):
            stop += 1
        groups.append(np.arange(start, stop))
        start = stop
    return groups


def align_within_groups(basis, reference, groups) -> np.ndarray:
    """``basis`` with the columns of each group rotated onto ``reference`` (Procrustes).

    Rotating within a degenerate eigenspace changes no prediction of the theory, so this puts
    a measured basis (e.g. the object analyzers V of sampled data) into the convention of a
    predicted one column by column; columns outside every group are left as they are.

    Args:
        basis: (n, k) array, e.g. measured object analyzers as columns.
        reference: (n, k) array, the predicted basis.
        groups: sequences of column indices (e.g. `degenerate_groups`), disjoint.

    Returns:
        The aligned basis (n, k); it spans the same subspace per group.

    Raises:
        ValueError: shapes differ, a group is empty, out of range, or groups overlap.
    """
    basis, reference = _matrix("basis", basis), _matrix("reference", reference)
    if basis.shape != reference.shape:
        raise ValueError(f"basis and reference must have the same shape; got {basis.shape} "
                         f"and {reference.shape}.")
    aligned, used = basis.copy(), set()
    for group in groups:
        group = np.asarray(group, dtype=int).ravel()
        if group.size == 0 or group.min() < 0 or group.max() >= basis.shape[1]:
            raise ValueError(f"groups must be non-empty column indices in [0, "
                             f"{basis.shape[1]}); got {group.tolist()}.")
        if used & set(group.tolist()):
            raise ValueError(f"groups must be disjoint; column(s) "
                             f"{sorted(used & set(group.tolist()))} appear twice.")
        used |= set(group.tolist())
        aligned[:, group] = basis[:, group] @ procrustes_rotation(basis[:, group],
                                                                  reference[:, group])
    return aligned


def aligned_mds(grams, reference_grams, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Classical MDS of Gram matrices in the frame of their references' MDS.

    Both stacks are embedded in all P dimensions (`mds_embedding`), each configuration is
    rotated onto its reference (`procrustes_rotation`: nearly degenerate components that the
    two order differently still line up), and the first ``n_components`` reference axes are
    returned. The rotation preserves distances, so the configuration's geometry is untouched
    (docs/theory.md §5.1, §5.8).

    Args:
        grams: (..., P, P) similarity matrices (e.g. simulated hidden Grams).
        reference_grams: (..., P, P) of the same shape (e.g. the closed form's V A(t) Vᵀ).
        n_components: axes kept, 1 <= k <= P.

    Returns:
        (embedded, reference): coordinates (..., P, k) each.

    Raises:
        ValueError: the stacks' shapes differ, or `mds_embedding` rejects them.
    """
    grams, references = np.asarray(grams, float), np.asarray(reference_grams, float)
    if grams.shape != references.shape:
        raise ValueError(f"grams and reference_grams must have the same shape; got "
                         f"{grams.shape} and {references.shape}.")
    n_items = grams.shape[-1] if grams.ndim >= 2 else 0
    coordinates = mds_embedding(grams, max(n_items, 1))
    reference = mds_embedding(references, max(n_items, 1))
    k = _validation.positive_int("n_components", n_components)
    if k > n_items:
        raise ValueError(f"n_components must be <= P = {n_items}; got {k}.")
    flat, flat_reference = (c.reshape(-1, n_items, n_items) for c in (coordinates, reference))
    rotated = np.stack([c @ procrustes_rotation(c, r) for c, r in zip(flat, flat_reference)])
    return (rotated.reshape(coordinates.shape)[..., :k], reference[..., :k])
