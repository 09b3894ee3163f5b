"""Trajectory: the one object that simulation and theory both produce and every analysis reads.

A `Trajectory` holds recorded fields on a common time grid ``t`` (in units of τ, see
`semjax.task`) with named leading batch axes, e.g. ``("scale", "seed")`` for a sweep over init
scales and random seeds. Its attributes:

=================  ======================  ==================================================
``t``              (time,)                 recording times
``step``           (time,)                 optimiser steps taken (`semjax.train`), else None
``phase``          (time,)                 the active phase of a task schedule, else None
``finite``         (*batch,)               False where the run produced inf/NaN
``fields``         name → (*batch, time, …) the recorded read-outs
=================  ======================  ==================================================

The recorded fields are the read-outs of `semjax.readouts` (``modes``, ``loss``, ``product``,
``outputs``, ``hidden_gram``, ``singular_values``, ``weights``; a tuple of arrays, one per
layer) and any function of the weights a run was asked to record; each is also an attribute
(``run.modes``), which is None when it was not recorded.

Under a task schedule (`semjax.Schedule`), the task-dependent read-outs (``modes``, ``loss``,
``outputs``, ``hidden_gram``, ``singular_values``) are recorded against every task of the
schedule, on an axis after time: e.g. ``modes`` (*batch, time, n_tasks, r); ``phase`` says
which task was being trained on (a record at a switch time belongs to the new phase).

``coords`` maps each batch-axis name to the values along it (init scales, seed indices);
`Trajectory.select` picks runs by position or by these values.

Time: ``t`` is in units of τ, except for runs with several step sizes (a "learning_rate" or
"dt" axis), whose time grids differ: there ``t`` is the step index (``info["time_unit"] ==
"step"``) and `Trajectory.on_times` puts every run on one time axis, t = step · η (a discrete
optimiser with learning rate η corresponds to gradient flow with dt = η, `semjax.task`).
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

from semjax import _validation
from semjax import readouts as _readouts

FORMAT_NAME = "semjax.Trajectory"
FORMAT_VERSION = 2  # 1: the built-in fields only, by fixed names; 2: a header listing them
_TIME_FIELDS = ("step", "phase")  # optional integer labels of the time axis
_STEP_AXES = ("dt", "learning_rate")  # the batch axes of step sizes (simulate, train)


def _freeze(info: Mapping) -> tuple:
    """A hashable, JSON-able form of a metadata mapping (sorted key/value pairs)."""
    def freeze_value(value):
        if isinstance(value, (list, tuple)):
            return tuple(freeze_value(v) for v in value)
        if isinstance(value, np.generic):
            return value.item()
        return value
    return tuple(sorted((str(k), freeze_value(v)) for k, v in info.items()))


def _arrays_of(value) -> tuple:
    """The arrays of a field: the layers of ``weights``, or the field itself."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _map_field(function, value):
    """``function`` applied to each array of a field (each layer of a tuple field)."""
    return tuple(function(v) for v in value) if isinstance(value, tuple) else function(value)


def _is_position(value) -> bool:
    """Whether a selection picks positions: an int (not a bool), a slice, or a 1-D sequence of
    ints or bools; anything else is a coordinate value."""
    if isinstance(value, slice):
        return True
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return (isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1
            and np.asarray(value).dtype.kind in "iub")


def _same_coordinate(coordinate, value) -> bool:
    """Whether ``value`` is this coordinate: numbers equal to a relative 1e-9, others equal."""
    first, second = np.asarray(coordinate), np.asarray(value)
    if first.shape != second.shape:
        return False
    if first.dtype.kind in "iuf" and second.dtype.kind in "iuf":
        return bool(np.allclose(first, second, rtol=1e-9, atol=0.0))
    return bool(np.array_equal(first, second))


def _listed(values, limit: int = 10) -> str:
    """Coordinates for a message: all of them, or the first ``limit`` and their number."""
    items = np.asarray(values).tolist()
    if len(items) <= limit:
        return repr(items)
    return f"[{', '.join(map(repr, items[:limit]))}, ... ({len(items)} in all)]"


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=("t", *_TIME_FIELDS, "finite", "coords", "fields"),
    meta_fields=("batch_axes", "info_items"),
)
@dataclasses.dataclass(frozen=True, eq=False, init=False)
class Trajectory:
    """Recorded learning dynamics with named batch axes (see the module docstring for shapes).

    Attributes:
        t: recording times in units of τ (for `semjax.train`: step · learning rate); with
            several step sizes (a "learning_rate" or "dt" axis) the step index, and
            ``info["time_unit"] == "step"`` (`on_times` puts such runs on one time axis).
        step: the number of optimiser steps taken at each record (`semjax.train`), or None.
        phase: the schedule phase active at each record (module docstring), or None.
        finite: per-run flag, False where any recorded value or the final weights are not
            finite (a diverged run).
        coords: batch-axis name → values along that axis.
        fields: recorded read-outs by name (`semjax.readouts`); each is also an attribute,
            e.g. ``run.modes`` (None for a built-in read-out that was not recorded).
        batch_axes: names of the leading batch axes, outermost first.
        info_items: metadata as sorted (key, value) pairs; read it as the dict `info`.
    """

    t: np.ndarray
    finite: np.ndarray
    coords: dict
    fields: dict = dataclasses.field(default_factory=dict)
    step: np.ndarray | None = None
    phase: np.ndarray | None = None
    batch_axes: tuple[str, ...] = ()
    info_items: tuple = ()

    def __init__(self, t, finite, coords, fields=None, step=None, phase=None, batch_axes=(),
                 info_items=(), **recorded):
        """The fields as given (`create` checks them); recorded read-outs may also be given
        by name (``Trajectory(..., modes=...)``, or ``dataclasses.replace(run, modes=...)``),
        None meaning not recorded."""
        fields = dict(fields or {})
        for name, value in recorded.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        for name, value in (("t", t), ("finite", finite), ("coords", coords),
                            ("fields", fields), ("step", step), ("phase", phase),
                            ("batch_axes", batch_axes), ("info_items", info_items)):
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        if name.startswith("__") or name == "fields":
            raise AttributeError(name)
        fields = self.fields
        if name in fields:
            return fields[name]
        if name in _readouts.REGISTRY:
            return None
        raise AttributeError(f"'Trajectory' has no attribute or recorded field {name!r}; "
                             f"recorded: {sorted(fields)}.")

    @classmethod
    def create(cls, *, t, finite, coords=None, batch_axes=(), info=None, step=None,
               phase=None, **fields) -> Trajectory:
        """Build a trajectory, checking that every field agrees with ``batch_axes`` and ``t``.

        Args:
            **fields: recorded read-outs by name (None entries are dropped); ``weights`` and
                other tuple fields hold one array per layer.

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
        fields = {name: tuple(value) if isinstance(value, list) else value
                  for name, value in fields.items() if value is not None}
        for name, value in fields.items():
            for array in _arrays_of(value):
                if tuple(np.shape(array)[:len(expected)]) != expected:
                    raise ValueError(f"{name} has shape {np.shape(array)}; its leading axes must "
                                     f"be (*batch, time) = {expected}.")
        return cls(t=t, finite=finite, coords=coords, fields=fields, batch_axes=batch_axes,
                   info_items=_freeze(info or {}), **labels)

    def replace(self, **changes) -> Trajectory:
        """A copy with some attributes or recorded fields replaced (None removes a field),
        e.g. ``run.replace(modes=run.modes / s)``; not re-validated."""
        own = {field.name for field in dataclasses.fields(self)} - {"fields"}
        fields = dict(self.fields)
        for name in set(changes) - own:
            value = changes.pop(name)
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        return dataclasses.replace(self, fields=fields, **changes)

    @classmethod
    def stack(cls, parts, axes) -> Trajectory:
        """Trajectories of a grid of configurations as one, with the grid's axes in front.

        Args:
            parts: the configurations' trajectories, the last axis varying fastest (the
                order of `itertools.product`); they must share batch axes, coordinates, time
                grid and recorded fields.
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
            if set(part.fields) != set(first.fields):
                raise ValueError(f"the trajectories record different fields ({sorted(part.fields)}"
                                 f" vs {sorted(first.fields)}).")

        def stacked(field: str, arrays):
            shapes = {np.shape(a) for a in arrays}
            if len(shapes) > 1:
                raise ValueError(f"{field} has different shapes across the grid {shapes}.")
            return np.stack([np.asarray(a) for a in arrays]).reshape(
                grid_shape + np.shape(arrays[0]))

        fields = {}
        for name, value in first.fields.items():
            values = [part.fields[name] for part in parts]
            fields[name] = (tuple(stacked(f"{name}[{i}]", [v[i] for v in values])
                                  for i in range(len(value)))
                            if isinstance(value, tuple) else stacked(name, values))
        info = first.info | {name: list(coordinates) for name, coordinates in axes}
        return cls.create(t=first.t, step=first.step, phase=first.phase,
                          finite=stacked("finite", [p.finite for p in parts]),
                          batch_axes=names + first.batch_axes,
                          coords={name: np.asarray(c) for name, c in axes} | first.coords,
                          info=info | {"grid_axes": list(names)}, **fields)

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

    def select(self, **selection) -> Trajectory:
        """Pick runs along batch axes by name, by position or by coordinate value.

        An int is a position and drops its axis (``traj.select(scale=0, seed=3)``); a slice,
        or a sequence of ints or bools, picks positions and keeps the axis. Any other value is
        looked up among the axis's coordinates (``coords``), numbers to a relative 1e-9: one
        value drops the axis (``runs.select(learning_rate=0.1)``,
        ``sweep.select(optimizer="sgd")``), a sequence of values keeps it. Coordinates that
        are ints themselves (hidden widths, depths) are picked by value with `sel`.

        Picking one value of the step-size axis ("learning_rate" or "dt") of a run whose
        ``t`` counts steps (``info["time_unit"] == "step"``) gives that run on its own time
        axis, t = step · η in units of τ (`on_times`).

        Raises:
            ValueError: an unknown axis name, or a value that is not among the axis's
                coordinates (naming the axis, the value and the coordinates).
            IndexError: a position beyond the axis's size (naming the axis).
        """
        self._check_axes(selection)
        positions = {axis: value if _is_position(value) else self._positions(axis, value)
                     for axis, value in selection.items()}
        sizes = dict(zip(self.batch_axes, self.batch_shape))
        for axis, position in positions.items():
            beyond = (np.asarray(position) if not isinstance(position, slice) else
                      np.zeros(0, int))
            if beyond.dtype.kind in "iu" and np.any((beyond >= sizes[axis])
                                                    | (beyond < -sizes[axis])):
                raise IndexError(f"position {np.asarray(position).tolist()!r} is beyond the "
                                 f"{sizes[axis]} entries of "
                                 f"axis {axis!r} (coordinates {_listed(self.coords[axis])}); "
                                 "give a position below it, or a coordinate value.")
            if beyond.dtype == bool and beyond.shape != (sizes[axis],):
                raise IndexError(f"a mask of {beyond.size} booleans for axis {axis!r} of "
                                 f"{sizes[axis]} entries; give one boolean per entry.")
        index = tuple(positions.get(axis, slice(None)) for axis in self.batch_axes)
        kept = tuple(a for a in self.batch_axes
                     if not isinstance(positions.get(a), (int, np.integer)))
        coords = {a: np.asarray(self.coords[a])[positions.get(a, slice(None))] for a in kept}
        fields = {name: _map_field(lambda array: np.asarray(array)[index], value)
                  for name, value in self.fields.items()}
        picked = dataclasses.replace(self, finite=np.asarray(self.finite)[index], coords=coords,
                                     fields=fields, batch_axes=kept)
        axis = self._step_axis()
        if axis is None or axis in kept or axis not in positions:
            return picked
        rate = float(np.asarray(self.coords[axis])[positions[axis]])
        return picked.replace(t=np.asarray(self.t) * rate,
                              info_items=_freeze(self.info | {"time_unit": "tau"}))

    def sel(self, **values) -> Trajectory:
        """Pick runs by coordinate value only, ints included: ``sweep.sel(hidden=16)`` is the
        run of width 16 whatever its position (`select` reads an int as a position). One value
        drops its axis, a sequence of values keeps it.

        Raises:
            ValueError: an unknown axis name, or a value that is not among the axis's
                coordinates (naming the axis, the value and the coordinates).
        """
        self._check_axes(values)
        return self.select(**{axis: self._positions(axis, value)
                              for axis, value in values.items()})

    def _check_axes(self, names) -> None:
        """Raise a ValueError naming the batch axes among ``names`` this trajectory lacks."""
        unknown = set(names) - set(self.batch_axes)
        if unknown:
            raise ValueError(f"unknown batch axes {sorted(unknown)}; this trajectory has "
                             f"{self.batch_axes}.")

    def _positions(self, axis: str, value):
        """The position of coordinate ``value`` on ``axis`` (an int), or of each value of a
        sequence of them (an int array)."""
        coordinates = np.asarray(self.coords[axis])
        single = np.ndim(value) == coordinates.ndim - 1  # one value, not a sequence of them
        positions = []
        for wanted in ([value] if single else list(value)):
            found = [i for i, c in enumerate(coordinates) if _same_coordinate(c, wanted)]
            if not found:
                raise ValueError(f"axis {axis!r} has no coordinate "
                                 f"{np.asarray(wanted).tolist()!r}; its coordinates "
                                 f"are {_listed(coordinates)}. Give one of them, or a position "
                                 f"(an int below {len(coordinates)}).")
            positions.append(found[0])
        return positions[0] if single else np.asarray(positions, dtype=int)

    def _step_axis(self) -> str | None:
        """The step-size axis of a run whose ``t`` counts steps (module docstring), or None."""
        if self.info.get("time_unit") != "step":
            return None
        return next((axis for axis in _STEP_AXES if axis in self.batch_axes), None)

    def _step_rates(self) -> np.ndarray:
        """The step size of each run along the step-size axis (each run's time is t · rate),
        or [1] for a run in units of τ."""
        axis = self._step_axis()
        if self.info.get("time_unit") == "step" and axis is None:
            raise ValueError("t counts optimiser steps and no learning rate is known (a built "
                             "optax transformation): give learning_rate=η to semjax.train, "
                             "which sets t = step · η.")
        return np.ones(1) if axis is None else np.asarray(self.coords[axis], dtype=float)

    def _default_times(self) -> np.ndarray:
        """`on_times`'s default grid: the times of the run with the smallest step size."""
        return np.asarray(self.t, dtype=float) * self._step_rates().min()

    def on_times(self, t=None) -> Trajectory:
        """The trajectory on one time grid in units of τ, interpolated linearly in time.

        A discrete optimiser with learning rate η corresponds to gradient flow with dt = η
        (`semjax.task`): its step k is at t = kη. A run with several step sizes (a
        "learning_rate" axis of `semjax.train`, a "dt" axis of `semjax.simulate`) records
        against the step index (``info["time_unit"] == "step"``); here each run is placed at
        its own times step · η and all are interpolated onto ``t``, so that they can be
        compared with each other and with gradient flow (``semjax.compare(a, b, t=...)``).
        For adaptive optimisers (Adam, ...) step · η is a label, not the flow's time.

        Args:
            t: the times, 1-D, increasing, in units of τ, each within every run's span.
                Default: the times of the run with the smallest step size (every run covers
                them), or ``self.t`` for a run already in units of τ.

        Returns:
            A trajectory with these times, each recorded field interpolated linearly between
            the records around each time (exact at recorded times), ``step`` dropped, ``phase``
            that of the last record at or before each time, ``info["time_unit"] = "tau"``.

        Raises:
            ValueError: ``t`` not 1-D and increasing, or beyond a run's last record (naming
                the run and its end); a run counting steps without a step-size axis.
        """
        own, axis, rates = np.asarray(self.t, dtype=float), self._step_axis(), self._step_rates()
        t = self._default_times() if t is None else np.asarray(t, dtype=float)
        if t.ndim != 1 or not t.size or not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
            raise ValueError(f"t must be a non-empty 1-D array of finite, increasing times (in "
                             f"units of τ); got {_validation.describe(t)}.")
        if len(own) < 2:
            raise ValueError("on_times needs at least two records to interpolate between.")
        for rate in rates:
            start, end = own[0] * rate, own[-1] * rate
            if t[0] < start - 1e-12 * abs(end) or t[-1] > end * (1 + 1e-12):
                run = "" if axis is None else f" of the run with {axis}={rate:g}"
                raise ValueError(f"t spans [{t[0]:g}, {t[-1]:g}] but the records{run} span "
                                 f"[{start:g}, {end:g}]: give times within every run's span.")

        def on_grid(array, times):  # (*batch, time, ...) at `times` → at t
            right = np.clip(np.searchsorted(times, t, side="right"), 1, len(times) - 1)
            weight = ((t - times[right - 1]) / (times[right] - times[right - 1])).reshape(
                (-1,) + (1,) * (np.ndim(array) - len(self.batch_axes) - 1))
            depth = len(self.batch_axes)
            before = np.take(array, right - 1, axis=depth)
            return before + weight * (np.take(array, right, axis=depth) - before)

        def interpolated(array):
            array = np.asarray(array)
            if axis is None:
                return on_grid(array, own)
            where = self.batch_axes.index(axis)
            return np.concatenate([on_grid(np.take(array, [i], axis=where), own * rate)
                                   for i, rate in enumerate(rates)], axis=where)

        phase = None
        if self.phase is not None:
            previous = np.clip(np.searchsorted(own, t, side="right") - 1, 0, len(own) - 1)
            phase = np.asarray(self.phase)[previous]
        fields = {name: _map_field(interpolated, value) for name, value in self.fields.items()}
        return dataclasses.replace(self, t=t, step=None, phase=phase, fields=fields,
                                   info_items=_freeze(self.info | {"time_unit": "tau"}))

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
        fields = {name: np.take(value, index, axis=depth) if _readouts.is_task_dependent(name)
                  else value for name, value in self.fields.items()}
        info = self.info | {"task": names[index]}
        for key in ("task_s", "task_fingerprint"):
            if key in schedule:
                info[key] = schedule[key][index]
        return dataclasses.replace(self, fields=fields, info_items=_freeze(info))

    def save(self, path: str | os.PathLike) -> None:
        """Write the trajectory to a self-describing ``.npz`` file (arrays + JSON metadata).

        The file holds one array per recorded field (``<name>_0``, ``<name>_1``, ... for the
        layers of a tuple field such as ``weights``; ``coord_<axis>`` for coordinates) and a
        JSON string ``__semjax__`` with the format name, version, batch axes, the recorded
        fields (with their number of layers) and ``info``. It loads without pickle.
        """
        arrays = {"t": np.asarray(self.t), "finite": np.asarray(self.finite)}
        arrays.update({name: np.asarray(getattr(self, name)) for name in _TIME_FIELDS
                       if getattr(self, name) is not None})
        layers = {}
        for name, value in self.fields.items():
            if isinstance(value, tuple):
                layers[name] = len(value)
                arrays.update({f"{name}_{i}": np.asarray(v) for i, v in enumerate(value)})
            else:
                layers[name] = None
                arrays[name] = np.asarray(value)
        for axis, values in self.coords.items():
            arrays[f"coord_{axis}"] = np.asarray(values)
        header = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                  "batch_axes": list(self.batch_axes), "coords": list(self.coords),
                  "fields": layers, "info": self.info}
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
            if version == 1:  # the built-in fields by fixed names, the weights' layer count
                if "n_layers" not in header:
                    raise fail("n_layers", "is missing from the header")
                layers = {name: None for name in _readouts.NAMES
                          if name != "weights" and name in data.files}
                if header["n_layers"] is not None:
                    layers["weights"] = header["n_layers"]
            else:
                layers = header.get("fields")
                if not isinstance(layers, dict):
                    raise fail("fields", f"must be a JSON object name → number of layers; got "
                                         f"{layers!r}")
            for field, count in layers.items():
                if count is not None and (not isinstance(count, int) or isinstance(count, bool)
                                          or count < 1):
                    raise fail(field, f"must have null or a positive number of layers; got "
                                      f"{count!r}")
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
            labels = {field: array(field) for field in _TIME_FIELDS if field in data.files}
            for field, value in labels.items():
                if value.shape != t.shape:
                    raise fail(field, f"has shape {value.shape}; it must match t's {t.shape}")
            fields, checks = {}, []
            for field, count in layers.items():
                if count is None:
                    fields[field] = array(field)
                    checks.append((field, fields[field]))
                else:
                    fields[field] = tuple(array(f"{field}_{i}") for i in range(count))
                    checks += [(f"{field}_{i}", w) for i, w in enumerate(fields[field])]
            for field, value in checks:
                if value.shape[:len(expected)] != expected:
                    batch = dict(zip(batch_axes, finite.shape))
                    raise fail(field, f"has shape {value.shape}; its leading axes must be "
                                      f"(*batch, time) = {expected} (batch axes {batch}, "
                                      f"{t.shape[0]} times in t)")
            return cls(t=t, finite=finite, coords=coords, fields=fields,
                       batch_axes=tuple(batch_axes), info_items=_freeze(info), **labels)

    def __repr__(self) -> str:
        recorded = list(self.fields)
        axes = ", ".join(f"{a}={n}" for a, n in zip(self.batch_axes, self.batch_shape))
        return (f"Trajectory(batch=({axes}), n_times={len(self.t)}, t=[{float(self.t[0]):g}, "
                f"{float(self.t[-1]):g}], fields={recorded}, failed={len(self.failed)})")
