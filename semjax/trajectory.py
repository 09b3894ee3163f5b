"""Trajectory: the one object that simulation and theory both produce and every analysis reads.

A `Trajectory` holds recorded fields on a common time grid ``t`` (in units of τ, see
`semjax.task`) with named leading batch axes, e.g. ``("scale", "seed")`` for a sweep over init
scales and random seeds. Field shapes:

====================  =====================================================
``t``                 (time,)
``step``              (time,)                optimiser steps taken (`semjax.train`), else None
``phase``             (time,)                the active phase of a task schedule, else None
``modes``             (*batch, time, r)      a_α(t) = u_αᵀ W(t) Σx v_α (any network:
                                             u_αᵀ c f(X) Xᵀ v_α on the task's fixed modes)
``loss``              (*batch, time)         excess loss L(f) − L(T) over the best linear map
``finite``            (*batch,)              False where the run produced inf/NaN
``product``           (*batch, time, N3, N1) the network map W(t) = W_L ⋯ W_1 (linear chains)
``outputs``           (*batch, time, N3, P)  the network's outputs f(X) on the items
``hidden_gram``       (*batch, time, P, P)   Hᵀ H, H = φ(W_1 X + b_1) the first hidden layer's
                                             activations: the items' hidden similarity
``singular_values``   (*batch, time, r)      singular values of c f(X) Xᵀ (= W(t) Σx for a
                                             linear chain), descending
``weights``           tuple of (*batch, time, n_{l+1}, n_l), one per layer
====================  =====================================================

Under a task schedule (`semjax.Schedule`), the task-dependent read-outs (``modes``, ``loss``,
``outputs``, ``hidden_gram``, ``singular_values``) are recorded against every task of the
schedule, on an axis after time: e.g. ``modes`` (*batch, time, n_tasks, r); ``phase`` says
which task was being trained on (a record at a switch time belongs to the new phase).

Unrecorded fields are ``None``. ``coords`` maps each batch-axis name to the values along it
(init scales, seed indices).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from collections.abc import Mapping

import jax
import numpy as np

FORMAT_NAME = "semjax.Trajectory"
FORMAT_VERSION = 1
_ARRAY_FIELDS = ("modes", "loss", "product", "outputs", "hidden_gram", "singular_values")
_TIME_FIELDS = ("step", "phase")  # optional integer labels of the time axis


def _freeze(info: Mapping) -> tuple:
    """A hashable, JSON-able form of a metadata mapping (sorted key/value pairs)."""
    def freeze_value(value):
        if isinstance(value, (list, tuple)):
            return tuple(freeze_value(v) for v in value)
        if isinstance(value, np.generic):
            return value.item()
        return value
    return tuple(sorted((str(k), freeze_value(v)) for k, v in info.items()))


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=("t", *_TIME_FIELDS, "finite", "coords", *_ARRAY_FIELDS, "weights"),
    meta_fields=("batch_axes", "info_items"),
)
@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory:
    """Recorded learning dynamics with named batch axes (see the module docstring for shapes).

    Attributes:
        t: recording times in units of τ (for `semjax.train`: step · learning rate).
        step: the number of optimiser steps taken at each record (`semjax.train`), or None.
        phase: the schedule phase active at each record (module docstring), or None.
        finite: per-run flag, False where any recorded value or the final weights are not
            finite (a diverged run).
        coords: batch-axis name → values along that axis.
        modes, loss, product, outputs, hidden_gram, singular_values, weights: recorded fields
            or None.
        batch_axes: names of the leading batch axes, outermost first.
        info_items: metadata as sorted (key, value) pairs; read it as the dict `info`.
    """

    t: np.ndarray
    finite: np.ndarray
    coords: dict
    modes: np.ndarray | None = None
    loss: np.ndarray | None = None
    product: np.ndarray | None = None
    outputs: np.ndarray | None = None
    hidden_gram: np.ndarray | None = None
    singular_values: np.ndarray | None = None
    weights: tuple | None = None
    step: np.ndarray | None = None
    phase: np.ndarray | None = None
    batch_axes: tuple[str, ...] = ()
    info_items: tuple = ()

    @classmethod
    def create(cls, *, t, finite, coords=None, batch_axes=(), info=None, step=None,
               phase=None, **fields) -> Trajectory:
        """Build a trajectory, checking that every field agrees with ``batch_axes`` and ``t``.

        Raises:
            ValueError: a field's leading shape disagrees with the batch axes or time grid.
        """
        batch_axes = tuple(batch_axes)
        coords = dict(coords or {})
        finite = np.asarray(finite, dtype=bool)
        if finite.ndim != len(batch_axes):
            raise ValueError(f"finite has shape {finite.shape} but batch_axes={batch_axes}.")
        for name, size in zip(batch_axes, finite.shape):
            coords.setdefault(name, np.arange(size))
            if len(coords[name]) != size:
                raise ValueError(
                    f"coords[{name!r}] has {len(coords[name])} values; axis has {size}.")
        t = np.asarray(t)
        labels = {"step": step, "phase": phase}
        for name, value in labels.items():
            if value is not None:
                labels[name] = np.asarray(value)
                if labels[name].shape != t.shape:
                    raise ValueError(f"{name} has shape {labels[name].shape}; it must match "
                                     f"t's {t.shape}.")
        expected = (*finite.shape, t.shape[0])
        for name, value in fields.items():
            arrays = value if name == "weights" and value is not None else (value,)
            for array in arrays:
                if array is not None and tuple(np.shape(array)[:len(expected)]) != expected:
                    raise ValueError(f"{name} has shape {np.shape(array)}; its leading axes must "
                                     f"be (*batch, time) = {expected}.")
        if fields.get("weights") is not None:
            fields["weights"] = tuple(fields["weights"])
        return cls(t=t, finite=finite, coords=coords, batch_axes=batch_axes,
                   info_items=_freeze(info or {}), **labels, **fields)

    @classmethod
    def stack(cls, parts, axes) -> Trajectory:
        """Trajectories of a grid of configurations as one, with the grid's axes in front.

        Args:
            parts: the configurations' trajectories, the last axis varying fastest (the
                order of `itertools.product`); they must share batch axes, coordinates, time
                grid and field shapes.
            axes: the grid's axes as (name, coordinates) pairs, outermost first.

        Returns:
            A trajectory with batch axes (*names, *the parts' axes); ``info`` is the first
            part's, with each grid axis's name mapped to its coordinates and ``"grid_axes"``
            to the names.

        Raises:
            ValueError: the parts disagree (naming the field), or their number is not the
                grid's size.
        """
        parts, names = list(parts), tuple(name for name, _ in axes)
        grid_shape = tuple(len(coordinates) for _, coordinates in axes)
        if len(parts) != math.prod(grid_shape):
            raise ValueError(f"{len(parts)} trajectories for a grid of shape {grid_shape}.")
        first = parts[0]
        for part in parts[1:]:
            if part.batch_axes != first.batch_axes or not np.array_equal(part.t, first.t):
                raise ValueError("the trajectories differ in batch axes or time grid "
                                 f"({part.batch_axes} vs {first.batch_axes}).")

        def stacked(field: str, arrays):
            if any(a is None for a in arrays):
                return None
            shapes = {np.shape(a) for a in arrays}
            if len(shapes) > 1:
                raise ValueError(f"{field} has different shapes across the grid {shapes}.")
            return np.stack([np.asarray(a) for a in arrays]).reshape(
                grid_shape + np.shape(arrays[0]))

        fields = {name: stacked(name, [getattr(p, name) for p in parts])
                  for name in _ARRAY_FIELDS}
        weights = None if first.weights is None else tuple(
            stacked(f"weights[{i}]", [p.weights[i] for p in parts])
            for i in range(len(first.weights)))
        info = first.info | {name: list(coordinates) for name, coordinates in axes}
        return cls.create(t=first.t, step=first.step, phase=first.phase,
                          finite=stacked("finite", [p.finite for p in parts]),
                          batch_axes=names + first.batch_axes,
                          coords={name: np.asarray(c) for name, c in axes} | first.coords,
                          info=info | {"grid_axes": list(names)}, weights=weights, **fields)

    @property
    def info(self) -> dict:
        """Metadata (how the trajectory was made) as a dict."""
        return dict(self.info_items)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Sizes of the batch axes, in the order of ``batch_axes``."""
        return tuple(np.shape(self.finite))

    @property
    def failed(self) -> list[tuple[int, ...]]:
        """Batch indices of the runs whose ``finite`` flag is False."""
        return [tuple(int(i) for i in index) for index in np.argwhere(~np.asarray(self.finite))]

    def describe_runs(self, indices) -> str:
        """Human-readable labels of runs, e.g. ``"(scale=0.5, seed=3)"``."""
        labels = []
        for index in indices:
            parts = [f"{axis}={np.asarray(self.coords[axis])[i]}"
                     for axis, i in zip(self.batch_axes, index)]
            labels.append("(" + ", ".join(parts) + ")")
        return ", ".join(labels)

    def select(self, **indices: int) -> Trajectory:
        """Index batch axes by name, e.g. ``traj.select(scale=0, seed=3)``; axes indexed by an
        int are dropped.

        Raises:
            ValueError: an unknown axis name.
        """
        unknown = set(indices) - set(self.batch_axes)
        if unknown:
            raise ValueError(f"unknown batch axes {sorted(unknown)}; this trajectory has "
                             f"{self.batch_axes}.")
        index = tuple(indices.get(axis, slice(None)) for axis in self.batch_axes)
        kept = tuple(a for a in self.batch_axes
                     if not isinstance(indices.get(a), (int, np.integer)))
        coords = {a: np.asarray(self.coords[a])[indices.get(a, slice(None))] for a in kept}
        take = lambda x: None if x is None else np.asarray(x)[index]  # noqa: E731
        fields = {name: take(getattr(self, name)) for name in _ARRAY_FIELDS}
        weights = None if self.weights is None else tuple(take(w) for w in self.weights)
        labels = {name: getattr(self, name) for name in _TIME_FIELDS}
        return Trajectory(t=self.t, **labels, finite=np.asarray(self.finite)[index],
                          coords=coords,
                          weights=weights, batch_axes=kept, info_items=self.info_items, **fields)

    def on_task(self, task) -> Trajectory:
        """The read-outs against one task of a schedule run (module docstring), as a
        trajectory on that task alone (``phase`` kept; ``info["task"]`` names the task and
        ``info["task_s"]`` holds its singular values, so `semjax.compare` works on it).

        Args:
            task: the task's index in the schedule, or its name.

        Raises:
            ValueError: not a schedule run, or an unknown task.
        """
        schedule = self.info.get("schedule")
        if self.phase is None or schedule is None:
            raise ValueError("on_task applies to runs of a semjax.Schedule; this trajectory "
                             "has no phases.")
        names = list(schedule["names"])
        index = names.index(task) if task in names else task
        if not isinstance(index, (int, np.integer)) or not 0 <= index < len(names):
            raise ValueError(f"task must be one of {names} or an index below {len(names)}; got "
                             f"{task!r}.")
        depth = len(self.batch_axes) + 1  # the task axis follows time
        fields = {name: np.take(value, index, axis=depth) for name in _ARRAY_FIELDS
                  if name != "product" and (value := getattr(self, name)) is not None}
        info = self.info | {"task": names[index]}
        if "task_s" in schedule:
            info["task_s"] = schedule["task_s"][index]
        return dataclasses.replace(self, **fields, info_items=_freeze(info))

    def save(self, path: str | os.PathLike) -> None:
        """Write the trajectory to a self-describing ``.npz`` file (arrays + JSON metadata).

        The file holds one array per recorded field (``weights_0``, ``weights_1``, ... for the
        layers, ``coord_<axis>`` for coordinates) and a JSON string ``__semjax__`` with the
        format name, version, batch axes and ``info``. It loads without pickle.
        """
        arrays = {"t": np.asarray(self.t), "finite": np.asarray(self.finite)}
        arrays.update({name: np.asarray(getattr(self, name))
                       for name in (*_TIME_FIELDS, *_ARRAY_FIELDS)
                       if getattr(self, name) is not None})
        for layer, weight in enumerate(self.weights or ()):
            arrays[f"weights_{layer}"] = np.asarray(weight)
        for axis, values in self.coords.items():
            arrays[f"coord_{axis}"] = np.asarray(values)
        header = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                  "batch_axes": list(self.batch_axes), "coords": list(self.coords),
                  "n_layers": None if self.weights is None else len(self.weights),
                  "info": self.info}
        arrays["__semjax__"] = np.asarray(json.dumps(header))
        with open(path, "wb") as file:
            np.savez_compressed(file, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Trajectory:
        """Read a file written by `save`.

        Raises:
            ValueError: one clear message naming the file and the field at fault: not a
                readable ``.npz`` file, a missing or invalid JSON header (``__semjax__``), a
                missing or unsupported format version, a missing array, an array that would
                need pickle, or arrays that disagree with the header's batch axes or with
                the time grid ``t``.
        """
        name = repr(os.fspath(path))

        def fail(field: str, problem: str) -> ValueError:
            return ValueError(f"{name} is not a valid semjax Trajectory file: field "
                              f"{field!r} {problem}.")

        try:
            data = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise
        except Exception as error:  # BadZipFile, EOFError, OSError, ValueError, ...
            raise ValueError(f"{name} is not a readable .npz file (truncated or corrupted?): "
                             f"{type(error).__name__}: {error}") from None
        if not hasattr(data, "files"):
            raise ValueError(f"{name} holds a single .npy array, not a semjax Trajectory file.")
        with data:
            def array(field: str) -> np.ndarray:
                if field not in data.files:
                    raise fail(field, "is missing")
                try:
                    return data[field]
                except ValueError as error:
                    if "pickle" in str(error):
                        raise fail(field, "holds Python objects that would need pickle; "
                                          "semjax files hold plain arrays only") from None
                    raise fail(field, f"cannot be read ({error})") from None
                except Exception as error:  # a corrupted member: zlib.error, BadZipFile, ...
                    raise fail(field, f"cannot be read ({type(error).__name__}: "
                                      f"{error})") from None

            if "__semjax__" not in data.files:
                raise ValueError(f"{name} is not a semjax Trajectory file (no '__semjax__' "
                                 "header).")
            raw = array("__semjax__")
            try:
                header = json.loads(str(raw))
            except (json.JSONDecodeError, TypeError) as error:
                raise fail("__semjax__", f"is not valid JSON ({error})") from None
            if not isinstance(header, dict):
                raise fail("__semjax__", "is not a JSON object")
            if header.get("format") != FORMAT_NAME:
                raise fail("format", f"is {header.get('format')!r}, not {FORMAT_NAME!r}")
            version = header.get("version")
            if "version" not in header:
                raise fail("version", "is missing from the header")
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise fail("version", f"is {version!r}; format versions start at 1")
            if version > FORMAT_VERSION:
                raise ValueError(f"{name} has format {FORMAT_NAME} version {version}; this "
                                 f"semjax reads version {FORMAT_VERSION}. Upgrade semjax.")
            batch_axes = header.get("batch_axes")
            if (not isinstance(batch_axes, list)
                    or not all(isinstance(a, str) for a in batch_axes)):
                raise fail("batch_axes", f"must be a list of axis names; got {batch_axes!r}")
            axes = header.get("coords")
            if not isinstance(axes, list) or not all(isinstance(a, str) for a in axes):
                raise fail("coords", f"must be a list of axis names; got {axes!r}")
            n_layers = header.get("n_layers")
            if n_layers is not None and (not isinstance(n_layers, int) or n_layers < 1):
                raise fail("n_layers", f"must be null or a positive integer; got {n_layers!r}")
            info = header.get("info", {})
            if not isinstance(info, dict):
                raise fail("info", f"must be a JSON object; got {info!r}")

            t = array("t")
            if t.ndim != 1:
                raise fail("t", f"has shape {t.shape}; it must be 1-D (time,)")
            finite = array("finite")
            if finite.dtype != bool:
                raise fail("finite", f"has dtype {finite.dtype}; it must be bool")
            if finite.ndim != len(batch_axes):
                raise fail("finite", f"has shape {finite.shape}, which does not match the "
                                     f"header's batch_axes {batch_axes}")
            sizes = dict(zip(batch_axes, finite.shape))
            coords = {}
            for axis in axes:
                values = array(f"coord_{axis}")
                if axis in sizes and (values.ndim != 1 or len(values) != sizes[axis]):
                    raise fail(f"coord_{axis}", f"has shape {values.shape}; batch axis "
                                                f"{axis!r} has {sizes[axis]} entries")
                coords[axis] = values
            expected = (*finite.shape, t.shape[0])
            fields = {}
            for field in (*_TIME_FIELDS, *_ARRAY_FIELDS):
                if field in data.files:
                    fields[field] = array(field)
            weights = None if n_layers is None else tuple(array(f"weights_{i}")
                                                          for i in range(n_layers))
            for field in _TIME_FIELDS:
                if field in fields and fields[field].shape != t.shape:
                    raise fail(field, f"has shape {fields[field].shape}; it must match t's "
                                      f"{t.shape}")
            checks = [(f, fields[f]) for f in _ARRAY_FIELDS if f in fields]
            checks += [(f"weights_{i}", w) for i, w in enumerate(weights or ())]
            for field, value in checks:
                if value.shape[:len(expected)] != expected:
                    batch = dict(zip(batch_axes, finite.shape))
                    raise fail(field, f"has shape {value.shape}; its leading axes must be "
                                      f"(*batch, time) = {expected} (batch axes {batch}, "
                                      f"{t.shape[0]} times in t)")
            return cls(t=t, finite=finite, coords=coords, weights=weights,
                       batch_axes=tuple(batch_axes), info_items=_freeze(info), **fields)

    def __repr__(self) -> str:
        recorded = [name for name in (*_ARRAY_FIELDS, "weights") if getattr(self, name) is not None]
        axes = ", ".join(f"{a}={n}" for a, n in zip(self.batch_axes, self.batch_shape))
        return (f"Trajectory(batch=({axes}), n_times={len(self.t)}, t=[{float(self.t[0]):g}, "
                f"{float(self.t[-1]):g}], fields={recorded}, failed={len(self.failed)})")
