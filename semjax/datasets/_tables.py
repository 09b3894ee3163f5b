"""Fixed item-by-property tables from the literature (docs/theory.md §4.1, §4.2, §4.4).

Every table is transcribed with items as columns, so ``targets`` is Y (properties x items)
and the inputs are one-hot (X = I).
"""

from __future__ import annotations

import numpy as np

from semjax.datasets._dataset import Dataset


def _from_rows(rows: tuple[tuple[str, str], ...], item_names: tuple[str, ...],
               name: str) -> Dataset:
    """Build a one-hot dataset from ``(property name, row of 0/1 digits)`` pairs."""
    targets = np.array([[int(digit) for digit in bits] for _, bits in rows], dtype=np.float64)
    return Dataset.from_arrays(targets, item_names=item_names,
                               property_names=[prop for prop, _ in rows], name=name)


_FOUR_ITEMS = ("canary", "salmon", "oak", "rose")
_FOUR_ITEM_ROWS = (
    ("grow", "1111"),
    ("move", "1100"),
    ("roots", "0011"),
    ("fly", "1000"),
    ("swim", "0100"),
    ("leaves", "0010"),
    ("petals", "0001"),
)


def four_items() -> Dataset:
    """The four-item toy environment: canary, salmon, oak, rose with seven properties.

    Y (7 x 4) is the table of docs/theory.md §4.1, transcribed from S7 (compneuro-julia
    ``007.jl``: ``Σyx = [ones(4)'; ones(2)' zeros(2)'; zeros(2)' ones(2)'; I(4)]``).
    Its SVD is exact: singular values sqrt(7), sqrt(3), 1, 1 with object analyzers
    v1 = (1, 1, 1, 1)/2 (all items), v2 = (1, 1, -1, -1)/2 (animals vs plants) and a
    degenerate pair spanning (1, -1, 0, 0)/sqrt(2) and (0, 0, 1, -1)/sqrt(2).

    Returns:
        A `Dataset` with one-hot inputs, items ``("canary", "salmon", "oak", "rose")`` and
        properties ``("grow", "move", "roots", "fly", "swim", "leaves", "petals")``.
    """
    return _from_rows(_FOUR_ITEM_ROWS, _FOUR_ITEMS, "four_items")


_RUMELHART_ITEMS = ("pine", "oak", "rose", "daisy", "robin", "canary", "sunfish", "salmon")
# (relation, attribute, pine oak rose daisy robin canary sunfish salmon), in S8's file order;
# the eight item-name ISA rows (identity) are inserted after "fish" by `rumelhart`.
_RUMELHART_CATEGORIES = (
    ("ISA", "living thing", "11111111"),
    ("ISA", "plant", "11110000"),
    ("ISA", "animal", "00001111"),
    ("ISA", "tree", "11000000"),
    ("ISA", "flower", "00110000"),
    ("ISA", "bird", "00001100"),
    ("ISA", "fish", "00000011"),
)
_RUMELHART_ATTRIBUTES = (
    ("is", "pretty", "00110000"),
    ("is", "big", "11000000"),
    ("is", "living", "11111111"),
    ("is", "green", "10000000"),
    ("is", "red", "00101001"),
    ("is", "yellow", "00010110"),
    ("can", "grow", "11111111"),
    ("can", "move", "00001111"),
    ("can", "swim", "00000011"),
    ("can", "fly", "00001100"),
    ("can", "sing", "00000100"),
    ("has", "skin", "00001111"),
    ("has", "roots", "11110000"),
    ("has", "leaves", "01110000"),
    ("has", "bark", "11000000"),
    ("has", "branch", "11000000"),
    ("has", "petals", "00110000"),
    ("has", "wings", "00001100"),
    ("has", "feathers", "00001100"),
    ("has", "gills", "00000011"),
    ("has", "scales", "00000011"),
)


def rumelhart() -> Dataset:
    """The Rumelhart / Rogers & McClelland semantic-cognition environment: 8 items, 36 attributes.

    Y (36 x 8) is the table of docs/theory.md §4.2, transcribed from S8
    (``ZeeshanGeoPk/semantic-cognition``, ``data/sem_data.txt``) with the four relations
    (ISA / is / can / has) collapsed, since each attribute belongs to exactly one relation.
    Rows follow S8's attribute order: seven category ISA rows, the eight item-name ISA rows
    (an identity block), then the is / can / has attributes. Note that in S8 the pine has no
    leaves.

    Y has full rank with eight distinct nonzero singular values s_1 > ... > s_8 (s_3 and s_4
    close). In decreasing order the object analyzers separate: all items; plants vs animals;
    birds vs fish and trees vs flowers (modes 3-4); within-pair distinctions (modes 5-8).

    Returns:
        A `Dataset` with one-hot inputs, lowercase item names ``("pine", "oak", ..., "salmon")``
        and property names ``"<relation> <attribute>"``, e.g. ``"ISA living thing"``,
        ``"is pretty"``, ``"can grow"``, ``"has roots"``.
    """
    item_rows = tuple(("ISA", item, "".join("1" if other == item else "0"
                                             for other in _RUMELHART_ITEMS))
                      for item in _RUMELHART_ITEMS)
    table = _RUMELHART_CATEGORIES + item_rows + _RUMELHART_ATTRIBUTES
    rows = tuple((f"{relation} {attribute}", bits) for relation, attribute, bits in table)
    return _from_rows(rows, _RUMELHART_ITEMS, "rumelhart")


# Rows are items, columns features (as printed in S5); the targets are its transpose.
_BRAUN_LABELS = np.array([
    [1, 1, 1, 0, 1, 0, 0, 0],
    [1, 1, 1, 0, -1, 0, 0, 0],
    [1, 1, -1, 0, 0, 1, 0, 0],
    [1, 1, -1, 0, 0, -1, 0, 0],
    [1, -1, 0, 1, 0, 0, 1, 0],
    [1, -1, 0, 1, 0, 0, -1, 0],
    [1, -1, 0, -1, 0, 0, 0, 1],
    [1, -1, 0, -1, 0, 0, 0, -1],
], dtype=np.float64)


def braun_hierarchy(*, correct: bool = False, reversal: bool = False) -> Dataset:
    """The ±1 "Hierarchy" dataset of Braun et al. (S5 ``gooseberry/datasets/datasets.py``).

    Eight one-hot items, eight Haar-like features (docs/theory.md §4.4): a root feature, one
    level-1 split, two level-2 splits and four leaf splits. The labels L (items x features)
    have orthogonal columns, so Y = L^T has singular values equal to the column norms,
    s_k = ||L[:, k]|| = sqrt(8), sqrt(8), 2, 2, sqrt(2), sqrt(2), sqrt(2), sqrt(2).

    Args:
        correct: multiply feature k (k = 1..8, 1-based) by (1 + 0.1/k), which breaks the
            degeneracies: s_k = ||L[:, k]|| (1 + 0.1/k), all distinct.
        reversal: flip the sign of the last feature.

    Returns:
        A `Dataset` named ``"braun_hierarchy"`` with targets Y = L^T (8 x 8), items
        ``"item0"``.. and features ``"feature0"``..
    """
    labels = _BRAUN_LABELS.copy()
    if correct:
        labels *= 1 + 0.1 / np.arange(1, labels.shape[1] + 1)
    if reversal:
        labels[:, -1] *= -1
    return Dataset.from_arrays(
        labels.T,
        property_names=[f"feature{k}" for k in range(labels.shape[1])],
        name="braun_hierarchy",
    )
