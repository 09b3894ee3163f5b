"""The item-by-property environment container shared by every dataset generator."""

from __future__ import annotations

import dataclasses

import numpy as np

from semjax import _validation


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """An item-by-property environment: P items, each an input vector and a property vector.

    Columns are items, as in docs/theory.md: ``inputs`` is X (N1 x P), ``targets`` is Y (N3 x P).
    For one-hot items X is the identity. Build a `semjax.Task` from it with
    `semjax.Task.from_dataset`, which holds the normalisation convention.

    Attributes:
        inputs: X, shape (n_inputs, n_items).
        targets: Y, shape (n_properties, n_items).
        item_names: one name per item (column).
        property_names: one name per property (row of Y).
        name: a short identifier, e.g. ``"four_items"``.
    """

    inputs: np.ndarray
    targets: np.ndarray
    item_names: tuple[str, ...]
    property_names: tuple[str, ...]
    name: str = "dataset"

    @classmethod
    def from_arrays(cls, targets, inputs=None, *, item_names=None, property_names=None,
                    name: str = "dataset") -> Dataset:
        """Validate and build a dataset; ``inputs=None`` means one-hot items (X = I).

        Raises:
            ValueError: shapes disagree, or an entry is not finite.
        """
        targets = _validation.finite_matrix("targets", targets)
        n_items = targets.shape[1]
        if inputs is None:
            inputs = np.eye(n_items)
        inputs = _validation.finite_matrix("inputs", inputs, shape=(None, n_items))
        return cls(
            inputs=inputs,
            targets=targets,
            item_names=_validation.names("item_names", item_names, n_items, "item"),
            property_names=_validation.names(
                "property_names", property_names, targets.shape[0], "property"),
            name=str(name),
        )

    @property
    def n_items(self) -> int:
        """P, the number of items."""
        return self.targets.shape[1]

    @property
    def n_properties(self) -> int:
        """N3, the number of properties (output units)."""
        return self.targets.shape[0]

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, n_items={self.n_items}, "
                f"n_inputs={self.inputs.shape[0]}, n_properties={self.n_properties})")
