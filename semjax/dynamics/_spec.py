"""The run specification: every argument of a run declared once, validated once.

`OPTIONS` declares each argument of `semjax.simulate`, `semjax.train` and
`semjax.initial_weights` once: its default, its documentation, how it is checked on the host
and normalised, which entry points take it, and its role:

* ``"static"``: it fixes the compiled program or its inputs (network, init, records, length,
  dtype, ...): part of a result store's manifest, and with ``grid`` an axis of
  ``semjax.sweep(over=...)``;
* ``"traced"``: a number a run is traced with (``dt``, ``learning_rate``, ``lam``,
  ``init_scale``); a sequence of values forms the batch axis named by ``axis``, and one
  compilation serves every value;
* ``"seeds"``: which random seeds run (the "seed" axis; a sweep sets them per chunk);
* ``"execution"``: how a run is carried out, never what it computes (``devices``, ``throw``,
  ``progress``): left out of a store's manifest.

`RunSpec.build` turns a call's arguments into a frozen `RunSpec`: each option's check runs in
declaration order (so a check may read the options declared before it), then the derived
parts (network, stepper, objective, batch axes, time line, backend) are built and checked.
Everything that consumes a run — `simulate`, `train`, `initial_weights`, `semjax.sweep`, the
results store's manifest, the ``semjax`` command's TOML specs — goes through it. The public
functions' signatures and argument documentation are generated from `OPTIONS`
(`entry_point`), so adding an argument is one declaration.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from semjax import _validation, readouts
from semjax.dynamics import _core, _gated, _network
from semjax.dynamics._initialisation import INIT_NAMES
from semjax.dynamics._objectives import Correlations, Items
from semjax.dynamics._steppers import INTEGRATORS, GradientFlow, Optax
from semjax.schedule import Schedule
from semjax.task import Task, require_task

ENTRIES = ("simulate", "train", "initial_weights")
RUNS = ("simulate", "train")
KERNELS = ("auto", "tiled", "reference")


class _Required:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED = _Required()


@dataclasses.dataclass(frozen=True)
class Option:
    """One argument of a run (module docstring).

    Attributes:
        name: the keyword.
        default: its default, or `REQUIRED`.
        doc: its documentation (one Google-style argument entry, without the name).
        check: ``check(value, earlier)`` → the normalised value, raising ``ValueError`` or
            ``TypeError`` that names the argument; ``earlier`` maps the options declared
            before it to their normalised values.
        entries: the entry points that take it.
        role: ``"static"``, ``"traced"``, ``"seeds"`` or ``"execution"``.
        axis: the batch axis a sequence of values forms (traced options).
        grid: it may be an axis of ``semjax.sweep(over=...)``.
        labelled: its grid values need labels (Python objects: tasks, optimisers).
        toml: it can be given in a TOML sweep spec.
    """

    name: str
    default: object
    doc: str
    check: Callable
    entries: tuple = ENTRIES
    role: str = "static"
    axis: str | None = None
    grid: bool = False
    labelled: bool = False
    toml: bool = True


class Axis(NamedTuple):
    """A traced option's values: one number, or a sequence forming a batch axis."""

    values: np.ndarray
    is_axis: bool


class Plan(NamedTuple):
    """What a run trains on: one task, or a schedule of tasks.

    Attributes:
        task: the task (the schedule's first, which sets shapes and aligned starts).
        schedule: the `Schedule`, or None.
    """

    task: Task
    schedule: Schedule | None


# ----------------------------------------------------------------------------- checks

def _plan(value, earlier) -> Plan:
    if isinstance(value, Schedule):
        return Plan(value.tasks[0], value)
    return Plan(require_task(value), None)


def flag(name: str):
    def check(value, earlier) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False; got {value!r}.")
        return bool(value)
    return check


def _choice(name: str, options):
    return lambda value, earlier: _validation.choice(name, value, tuple(options))


def _axis(name: str, *, lower: float | None, strict: bool, example: str, optional: bool = True):
    """A traced option: a real number or a non-empty 1-D sequence of real numbers within the
    bound; None where ``optional``."""
    bound = "" if lower is None else f" {'>' if strict else '≥'} {lower:g}"

    def check(value, earlier) -> Axis | None:
        if value is None:
            if optional:
                return None
            raise TypeError(f"{name} is required: give a number{bound}, e.g. {example}.")
        array = np.asarray(value) if not isinstance(value, (str, bytes)) else np.array([])
        if array.dtype.kind in "iuf" and array.ndim <= 1 and array.size:
            array = array.astype(np.float64)
            outside = ~np.isfinite(array)
            if lower is not None:
                outside |= (array <= lower) if strict else (array < lower)
            if not np.any(outside):
                return Axis(np.atleast_1d(array), array.ndim == 1)
        raise ValueError(f"{name} must be a finite number{bound} or a non-empty 1-D sequence of "
                         f"them (a {name!r} batch axis, traced), e.g. {example}; got "
                         f"{_validation.describe(value)}.")

    return check


def _depth(value, earlier) -> int:
    return _validation.positive_int("depth", value)


def _hidden(value, earlier) -> tuple[int, ...]:
    depth = earlier["depth"]
    if depth == 1:
        if value not in (None, (), []):
            raise ValueError(f"hidden must be None for depth=1 (a shallow net has no hidden "
                             f"layer); got {value!r}.")
        return ()
    if value is None:
        raise ValueError(f"hidden is required for depth={depth}: give the hidden width, e.g. "
                         "hidden=16, or one width per hidden layer.")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (_validation.positive_int("hidden", value),) * (depth - 1)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"hidden must be an integer width (e.g. hidden=16) or a sequence of "
                        f"{depth - 1} integer widths; got {value!r}.")
    widths = tuple(_validation.positive_int("hidden", h) for h in value)
    if len(widths) != depth - 1:
        raise ValueError(f"hidden must give {depth - 1} widths for depth={depth}; got {widths}.")
    return widths


def _activation(value, earlier):
    if isinstance(value, str) or not callable(value):
        return _validation.choice("activation", value, tuple(_network.ACTIVATIONS))
    probe = jax.ShapeDtypeStruct((3, 2), jnp.float32)
    try:
        shape = jax.eval_shape(value, probe).shape
    except Exception as error:
        raise ValueError(f"activation={value!r} failed on a (3, 2) float32 array: "
                         f"{type(error).__name__}: {error}") from None
    if shape != probe.shape:
        raise ValueError(f"activation must act elementwise (the output of the input's shape); "
                         f"{value!r} maps a (3, 2) array to {shape}.")
    return value


def _shapes(earlier) -> tuple:
    task = earlier["task"].task
    return _network.layer_shapes(task.n_in, earlier["hidden"], task.n_out)


def _init(value, earlier):
    if isinstance(value, str):
        return _validation.choice("init", value, INIT_NAMES)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"init must be an initialiser name ({', '.join(map(repr, INIT_NAMES))}) "
                        f"or explicit weights (W_1, ..., W_L); got {_validation.describe(value)}.")
    shapes, bias = _shapes(earlier), earlier["bias"]
    if len(value) != len(shapes):
        raise ValueError(f"init gives {len(value)} weight matrices; this network has "
                         f"{len(shapes)} layers with shapes {shapes}.")
    arrays = []
    for layer, weight in enumerate(value):
        try:
            arrays.append(np.asarray(weight, dtype=np.float64))
        except (TypeError, ValueError):
            raise TypeError(f"init[{layer}] must be a real matrix; got "
                            f"{_validation.describe(weight)}.") from None
    batched = arrays[0].ndim == 3
    for layer, (array, shape) in enumerate(zip(arrays, shapes)):
        allowed = (shape, (shape[0], shape[1] + 1)) if bias else (shape,)
        if array.shape[-2:] not in allowed or array.ndim != (3 if batched else 2):
            with_bias = f" or {allowed[1]} with its bias column" if bias else ""
            raise ValueError(f"init[{layer}] must have shape {shape}{with_bias} (or with a leading "
                             f"n_runs axis for a batch); got {array.shape}.")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"init[{layer}] contains non-finite values.")
    if batched and len({a.shape[0] for a in arrays}) != 1:
        raise ValueError("init: every batched weight matrix needs the same leading batch size.")
    original = [np.asarray(w).dtype for w in value]
    return ExplicitWeights(tuple(arrays), batched, any(d == np.float64 for d in original))


class ExplicitWeights(NamedTuple):
    """User-given initial weights: float64 copies, whether they carry a run axis, and whether
    any was given in float64 (then the run's default dtype is float64)."""

    arrays: tuple
    batched: bool
    float64: bool


def _dtype(value, earlier):
    init = earlier["init"]
    if value is None and isinstance(init, ExplicitWeights) and init.float64:
        value = "float64"
    if value is None:
        return jnp.dtype(jnp.float32)
    try:
        name = np.dtype(value).name
    except TypeError:
        raise ValueError(f"dtype must be one of 'float32', 'float64'; got {value!r}.") from None
    _validation.choice("dtype", name, ("float32", "float64"))
    return jnp.dtype(name)


def _optimizer(value, earlier):
    if isinstance(value, optax.GradientTransformation) or callable(value):
        return value
    raise TypeError(f"optimizer must be an optax GradientTransformation (e.g. optax.adam(1e-3)) "
                    f"or a factory such as optax.sgd; got {value!r}.")


def _lam(value, earlier) -> Axis:
    lam = _axis("lam", lower=None, strict=False, example="lam=0.5 or lam=[-1, 0, 1]",
                optional=False)(value, earlier)
    init, shapes = earlier["init"], _shapes(earlier)
    if isinstance(init, ExplicitWeights):
        if lam.is_axis or lam.values[0] != 0:
            raise ValueError("lam applies to named initialisers; explicit weights are used as "
                             "given.")
        return lam
    for value_ in lam.values:
        if value_ != 0 and (len(shapes) != 2 or init not in ("aligned", "lambda_balanced")):
            raise ValueError(f"lam={value_:g} applies to depth=2 with init='aligned' or "
                             f"'lambda_balanced'; got init={init!r} with depth={len(shapes)}.")
        if len(shapes) == 2:
            (n_hidden, n_in), (n_out, _) = shapes
            if value_ > 0 and n_hidden > n_out:
                raise ValueError(f"lam={value_:g} > 0 needs hidden ≤ N3={n_out} (W2ᵀW2 = W1W1ᵀ + "
                                 f"λI must be reachable); got hidden={n_hidden}. Use lam ≤ 0 or a "
                                 "smaller hidden width.")
            if value_ < 0 and n_hidden > n_in:
                raise ValueError(f"lam={value_:g} < 0 needs hidden ≤ N1={n_in}; got "
                                 f"hidden={n_hidden}. Use lam ≥ 0 or a smaller hidden width.")
    if init == "lambda_balanced" and len(shapes) != 2:
        raise ValueError(f"init='lambda_balanced' is defined for depth=2; got "
                         f"depth={len(shapes)}.")
    return lam


def _gates(value, earlier) -> _gated.Gates | None:
    if value is None:
        return None
    if not isinstance(value, _gated.Gates):
        raise TypeError(f"gates must be a semjax.Gates (the graph of modules and edges and each "
                        f"item's gates), e.g. semjax.Gates([[4], [8, 8], [7]], nodes={{1: g}}); "
                        f"got {_validation.describe(value)}.")
    activation = earlier.get("activation", "linear")
    if activation != "linear" or earlier["bias"]:
        raise ValueError(f"gates make a gated deep linear network: leave activation='linear' "
                         f"and bias=False (got activation={activation!r}, "
                         f"bias={earlier['bias']}); a ReLU network's own gates are "
                         "semjax.Gates.relu(weights, task.inputs).")
    init, lam = earlier["init"], earlier["lam"]
    if init == "lambda_balanced" or lam.is_axis or lam.values[0] != 0:
        raise ValueError("gates: λ-balanced starts are defined for plain two-layer networks; use "
                         "init='aligned' (the reduction's aligned start), 'gaussian' or explicit "
                         "weights, with lam=0.")
    _gated.check_against(value, earlier["task"].task, _shapes(earlier))
    return value


def _init_scale(value, earlier) -> Axis | None:
    init = earlier["init"]
    if isinstance(init, ExplicitWeights):
        if value is not None:
            raise ValueError("init_scale applies to named initialisers; explicit weights are "
                             "used as given.")
        return None
    if value is None:
        raise ValueError(f"init={init!r} needs init_scale (e.g. init_scale=1e-3).")
    return _axis("init_scale", lower=0.0, strict=False,
                 example="init_scale=1e-3 or init_scale=[1e-3, 1e-2]")(value, earlier)


def _n_seeds(value, earlier) -> int | None:
    return None if value is None else _validation.positive_int("n_seeds", value)


def _keys(value, earlier):
    if value is None:
        return None
    if earlier["n_seeds"] is not None:
        raise ValueError("give n_seeds or keys, not both.")
    if isinstance(earlier["init"], ExplicitWeights):
        raise ValueError("keys apply to named initialisers; explicit weights set the runs.")
    keys = jnp.asarray(value) if not isinstance(value, jax.Array) else value
    if not jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
        if keys.dtype != jnp.uint32 or keys.ndim != 2:
            raise TypeError("keys must be an array of jax PRNG keys, e.g. "
                            "jax.random.split(jax.random.key(0), 8).")
        keys = jax.random.wrap_key_data(keys)
    if keys.ndim != 1 or keys.shape[0] == 0:
        raise ValueError(f"keys must be a non-empty 1-D array of keys; got shape {keys.shape}.")
    return keys


def _key(value, earlier):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = jax.random.key(int(value))
    return _validation.prng_key("key", value)


def _batch_size(value, earlier) -> int | None:
    return None if value is None else _validation.positive_int("batch_size", value)


def _length(name: str, kind):
    def check(value, earlier):
        if value is None:
            return None
        return (_validation.positive_int(name, value) if kind is int
                else _validation.positive_float(name, value))
    return check


def _network_of(values) -> _network.Network | _gated.GatedNetwork:
    """The network's static form from the option values: a gated network's graph, or a
    `Network` of the activation and biases."""
    gates = values.get("gates")
    if gates is not None:
        return gates.network
    return _network.Network(values.get("activation", "linear"), values["bias"])


def _record(value, earlier) -> tuple:
    resolved = readouts.resolve(value)
    gates, network = earlier.get("gates"), _network_of(earlier)
    for readout in resolved:
        if readout.linear_chain and not network.linear_chain:
            raise ValueError(f"record={readout.name!r} is defined for linear networks without "
                             "biases or gates; record 'outputs' (f(X) on the items) instead.")
        if readout.gated and gates is None:
            raise ValueError(f"record={readout.name!r} is defined for gated networks: pass "
                             "gates=semjax.Gates(...), or leave it out of record.")
        if readout.name in _RESERVED_FIELD_NAMES:
            raise ValueError(f"record: a read-out cannot be named {readout.name!r} (a "
                             "Trajectory attribute); rename the function.")
    return resolved


_RESERVED_FIELD_NAMES = frozenset({"t", "step", "phase", "finite", "coords", "fields", "info",
                                   "batch_axes", "info_items", "batch_shape", "failed"})


def _devices(value, earlier) -> int:
    available = len(jax.local_devices())
    if value is None:
        return available
    value = _validation.positive_int("devices", value)
    if value > available:
        raise ValueError(f"devices={value} but JAX has {available} ({jax.default_backend()}); "
                         "give devices ≤ that, or None for all.")
    return value


# ----------------------------------------------------------------------------- the options

_TIME_NOTE = ("in units of τ (`semjax.task`); with one step size the run takes "
              "ceil(t_max/step) steps, rounded up to whole records")

OPTIONS = (
    Option("task", REQUIRED, "the `Task` (Σyx, Σx), or a `semjax.Schedule` of tasks trained on "
           "one after another in the same compiled call (its durations set the run: leave "
           "``n_steps`` and ``t_max`` out; ``record_every`` must divide every phase's steps; "
           "the task-dependent read-outs are then recorded against every task).", _plan,
           grid=True, labelled=True, toml=False),
    Option("depth", 2, "number of weight matrices L (1 = shallow, 2 = the paper's deep net).",
           _depth, grid=True),
    Option("hidden", None, "hidden width (int) or one width per hidden layer; None for "
           "``depth=1``.", _hidden, grid=True),
    Option("activation", "linear", "\"linear\" (default), \"tanh\", \"relu\" or a callable φ "
           "applied elementwise between layers; anything but \"linear\" trains on the task's "
           "items (the task must come from items, e.g. `Task.from_dataset`). The closed forms "
           "of `semjax.theory` stay those of the linear network.", _activation, entries=RUNS,
           grid=True),
    Option("bias", False, "give every layer a bias, starting at zero (the last column of the "
           "layer's weight matrix in ``init`` and in recorded weights).", flag("bias"),
           grid=True),
    Option("init", "gaussian", "an initialiser name (\"gaussian\", \"uniform\", \"orthogonal\", "
           "\"aligned\", \"lambda_balanced\"; meanings of ``init_scale`` in "
           "`semjax.dynamics.initialise`) or explicit weights (W_1, ..., W_L), each "
           "(n_l, n_{l-1}) or (n_runs, n_l, n_{l-1}) (a \"seed\" axis).", _init, grid=True),
    Option("dtype", None, "\"float32\" (default; float64 when explicit weights are float64) or "
           "\"float64\" (needs jax_enable_x64).", _dtype),
    Option("method", "euler", "the integrator, \"euler\" (the seed's scheme; a step of "
           "full-batch gradient descent) or \"rk4\".", _choice("method", INTEGRATORS),
           entries=("simulate",), grid=True),
    Option("dt", REQUIRED, "step size in units of τ (Euler: the learning rate of full-batch "
           "gradient descent), or a 1-D sequence of them: a leading \"dt\" batch axis, traced "
           "(every run takes ``n_steps`` steps of its own dt; ``t`` is then the step index).",
           _axis("dt", lower=0.0, strict=True, example="dt=0.01 or dt=[0.01, 0.05]",
                 optional=False), entries=("simulate",), role="traced", axis="dt"),
    Option("optimizer", REQUIRED, "an optax `GradientTransformation` (e.g. "
           "``optax.adam(1e-3)``), or a factory with a ``learning_rate`` argument (e.g. "
           "``optax.sgd``, or ``functools.partial(optax.sgd, momentum=0.9)``) together with "
           "``learning_rate``; a factory is wrapped in `optax.inject_hyperparams`, so learning "
           "rates are traced.", _optimizer, entries=("train",), grid=True, labelled=True,
           toml=False),
    Option("learning_rate", None, "η, a number or a 1-D sequence (a leading \"learning_rate\" "
           "batch axis, traced; ``t`` is then the step index). With a built transformation it "
           "only sets the time axis t = step · η.",
           _axis("learning_rate", lower=0.0, strict=True,
                 example="learning_rate=0.1 or learning_rate=[0.01, 0.1]"),
           entries=("train",), role="traced", axis="learning_rate"),
    Option("lam", 0.0, "λ of λ-balanced starts (W_2ᵀW_2 − W_1W_1ᵀ = λI, depth 2, init "
           "\"aligned\" or \"lambda_balanced\"); a sequence adds a \"lam\" batch axis, traced.",
           _lam, role="traced", axis="lam"),
    Option("gates", None, "a `semjax.Gates`: a gated deep linear network (modules, edges, "
           "and each item's node and edge gates; Saxe et al. 2022), which trains on the task's "
           "items, each item with its gates (minibatches draw them with the items); its layer "
           "widths must match ``depth`` and ``hidden``. ``init=\"aligned\"`` starts it aligned "
           "and balanced on the pathways' shared modes (`semjax.theory.neural_race` is then "
           "exact when the pathways share their singular vectors). None: no gates.", _gates,
           grid=True, labelled=True, toml=False),
    Option("init_scale", None, "the init scale (meaning per initialiser in "
           "`semjax.dynamics.initialise`), a number or a sequence (a \"scale\" batch axis, "
           "traced); required for a named ``init``.", _init_scale, role="traced", axis="scale"),
    Option("n_seeds", None, "number of random seeds (default 1); seed i uses fold_in(key, i), "
           "whatever else the call does.", _n_seeds, role="seeds"),
    Option("keys", None, "explicit per-seed PRNG keys instead of ``n_seeds``.", _keys,
           role="seeds", toml=False),
    Option("key", 0, "base PRNG key or int seed. In `train`, seed i's key also draws its "
           "minibatches.", _key, role="seeds"),
    Option("batch_size", None, "None (full batch) or k items per step, drawn from each run's "
           "key.", _batch_size, entries=("train",), grid=True),
    Option("replace", False, "draw minibatches with replacement (default: k distinct items per "
           "step).", flag("replace"), entries=("train",), grid=True),
    Option("t_max", None, f"final time {_TIME_NOTE}. Or give", _length("t_max", float),
           entries=RUNS),
    Option("n_steps", None, "the number of steps instead (needed with a sequence of step "
           "sizes; ``record_every`` must divide it).", _length("n_steps", int), entries=RUNS),
    Option("record", ("modes", "loss"), "the read-outs to record (`semjax.readouts`): names "
           "from \"modes\", \"loss\", \"product\" (linear chains), \"outputs\", "
           "\"hidden_gram\", \"singular_values\", \"weights\", or functions of the weights "
           "(named by ``__name__``, or `semjax.Readout.of_weights`).", _record, entries=RUNS),
    Option("record_every", 1, "record every this many steps (t = 0 is always recorded).",
           lambda value, earlier: _validation.positive_int("record_every", value), entries=RUNS),
    Option("kernel", "auto", "\"auto\" (default; a static rule, "
           "`semjax.dynamics._core.choose_backend`: the batch-last \"tiled\" CPU backend for "
           "small full-batch networks, else \"reference\"), \"tiled\" or \"reference\" "
           "(`jax.vmap` of the core). Both give the same trajectories up to rounding; on a CPU "
           "a seed gives bitwise the same result alone and inside any batch, on either backend.",
           _choice("kernel", KERNELS), entries=RUNS),
    Option("devices", None, "spread the runs over this many of `jax.local_devices()` (default: "
           "all; on a CPU, one device per core, see `semjax`); bitwise the same result on any "
           "number.", _devices, entries=RUNS, role="execution"),
    Option("throw", True, "raise `SimulationDiverged` (a FloatingPointError carrying the whole "
           "batch) when any run is not finite; False returns the trajectory with ``finite`` "
           "flags. Runs that stay finite but end with a larger loss than they started with get "
           "an `UnstableRunWarning`.", flag("throw"), entries=RUNS, role="execution",
           toml=False),
    Option("progress", False, "show a progress bar on stderr, in steps with their rate and the "
           "time left, when the run takes several compiled calls; the results are the same "
           "either way.", flag("progress"), entries=RUNS, role="execution", toml=False),
)
BY_NAME = {option.name: option for option in OPTIONS}
AXES = (*(option.axis for option in OPTIONS if option.axis), "seed")
GRID = tuple(option.name for option in OPTIONS if option.grid)


def options(entry: str) -> tuple[Option, ...]:
    """The options an entry point takes, in declaration order."""
    return tuple(option for option in OPTIONS if entry in option.entries)


# ----------------------------------------------------------------------------- the spec

@dataclasses.dataclass(frozen=True, eq=False)
class RunSpec:
    """A validated run: one call of `simulate`, `train` or `initial_weights` (module
    docstring). Build it with `RunSpec.build`; its parts are derived from ``values``.

    Attributes:
        entry: ``"simulate"``, ``"train"`` or ``"initial_weights"``.
        values: every option of the entry point, normalised, by name.
    """

    entry: str
    values: Mapping

    @classmethod
    def build(cls, entry: str, /, *args, **arguments) -> RunSpec:
        """Check a call's arguments and derive everything a run needs, on the host.

        Raises:
            TypeError: an unknown or missing argument, or a value of the wrong kind.
            ValueError: a value out of range, or options that contradict each other; every
                message names the argument and the fix.
        """
        _validation.choice("entry", entry, ENTRIES)
        declared = options(entry)
        if args:
            if len(args) > 1:
                raise TypeError(f"{entry}() takes the task as its only positional argument.")
            if "task" in arguments:
                raise TypeError(f"{entry}() got multiple values for argument 'task'.")
            arguments["task"] = args[0]
        names = {option.name for option in declared}
        unknown = sorted(set(arguments) - names)
        if unknown:
            raise TypeError(f"{entry}() got unexpected argument(s) {', '.join(unknown)}; it "
                            f"takes {', '.join(sorted(names))}.")
        values = check_values(entry, declared, arguments)
        spec = cls(entry, types.MappingProxyType(values))
        # float64 needs 64-bit JAX: a check of the session, not of an argument, so it comes
        # after every argument's own (a weight of the wrong shape is named first)
        refused = spec.dtype == jnp.float64 and not jax.config.jax_enable_x64
        with warnings.catch_warnings():
            if refused:  # validate's float64 casts would warn before the error below
                warnings.filterwarnings("ignore", "Explicitly requested dtype", UserWarning)
            spec.validate()
        if refused:
            hint = (" (the explicit initial weights are float64: pass dtype='float32' to run "
                    "them in float32 on purpose)" if spec.explicit else "")
            raise ValueError('dtype="float64" needs 64-bit JAX: call jax.config.update('
                             f'"jax_enable_x64", True) before creating arrays{hint}.')
        return spec

    def validate(self) -> None:
        """Build every derived part once, so that contradictions raise now, not mid-run."""
        self.axis_sizes  # noqa: B018
        if self.entry in RUNS:
            self.stepper  # noqa: B018
            self.timeline  # noqa: B018
            self.objective  # noqa: B018
            self.backend  # noqa: B018
            self.record_shapes  # noqa: B018

    def replace(self, **values) -> RunSpec:
        """This spec with some normalised values replaced (e.g. a sweep chunk's ``keys``)."""
        return RunSpec(self.entry, types.MappingProxyType(dict(self.values) | values))

    def __getitem__(self, name: str):
        return self.values[name]

    # -- what runs
    @property
    def task(self) -> Task:
        """The task (a schedule's first: it sets the shapes and aligned starts)."""
        return self.values["task"].task

    @property
    def schedule(self) -> Schedule | None:
        return self.values["task"].schedule

    @functools.cached_property
    def network(self) -> _network.Network | _gated.GatedNetwork:
        """The network's static form: a `Network`, or a gated network's graph."""
        return _network_of(self.values)

    @property
    def gates(self) -> _gated.Gates | None:
        return self.values["gates"]

    @functools.cached_property
    def shapes(self) -> tuple:
        """Layer shapes (n_l, n_{l−1}) without bias columns."""
        return _network.layer_shapes(self.task.n_in, self.values["hidden"], self.task.n_out)

    @property
    def dtype(self):
        return self.values["dtype"]

    @property
    def explicit(self) -> bool:
        """Whether the initial weights are given explicitly."""
        return isinstance(self.values["init"], ExplicitWeights)

    # -- batch axes
    @property
    def step_option(self) -> str:
        """The option that sets the step size: "dt" (simulate) or "learning_rate" (train)."""
        return "dt" if self.entry == "simulate" else "learning_rate"

    @property
    def step_sizes(self) -> Axis | None:
        """dt (simulate) or the learning rate (train), or None."""
        return self.values.get(self.step_option)

    @functools.cached_property
    def axis_sizes(self) -> tuple[tuple[str, int], ...]:
        """The batch axes of the result, outermost first, with their sizes: the traced options
        given as sequences (in the order of `OPTIONS`), then "seed" (for explicit weights,
        only when they carry a run axis)."""
        sizes = [(option.axis, len(self.values[option.name].values))
                 for option in options(self.entry)
                 if option.axis and self.values[option.name] is not None
                 and self.values[option.name].is_axis]
        init, keys = self.values["init"], self.values["keys"]
        if isinstance(init, ExplicitWeights):
            if init.batched:
                sizes.append(("seed", init.arrays[0].shape[0]))
        else:
            sizes.append(("seed", len(keys) if keys is not None else self.values["n_seeds"] or 1))
        return tuple(sizes)

    @property
    def axes(self) -> tuple[tuple[str, np.ndarray], ...]:
        """`axis_sizes` with each axis's coordinates (the traced values; seed indices)."""
        coordinates = {option.axis: self.values[option.name].values
                       for option in options(self.entry)
                       if option.axis and self.values[option.name] is not None}
        return tuple((name, coordinates[name] if name in coordinates else np.arange(size))
                     for name, size in self.axis_sizes)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(size for _, size in self.axis_sizes)

    @property
    def n_runs(self) -> int:
        return math.prod(self.batch_shape)

    @functools.cached_property
    def seed_keys(self):
        """Per-seed keys: ``keys`` as given, else fold_in(key, i) for i < n_seeds; for explicit
        weights, one per run of the weights' batch."""
        if self.values["keys"] is not None:
            return self.values["keys"]
        init = self.values["init"]
        if isinstance(init, ExplicitWeights):
            n_seeds = init.arrays[0].shape[0] if init.batched else 1
        else:
            n_seeds = self.values["n_seeds"] or 1
        key = self.values["key"]
        return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(n_seeds))

    def per_run(self, name: str) -> np.ndarray:
        """The value of the traced option ``name`` for every run, in the flattened
        (row-major) order of `axes`."""
        value = self.values[name]
        if not value.is_axis:
            return np.full(self.n_runs, value.values[0])
        return value.values[self._index(BY_NAME[name].axis)]

    def seed_index(self) -> np.ndarray:
        """The seed of every run (0 for explicit weights without a run axis)."""
        if not any(name == "seed" for name, _ in self.axis_sizes):
            return np.zeros(self.n_runs, dtype=int)
        return self._index("seed")

    def _index(self, axis: str) -> np.ndarray:
        names = [name for name, _ in self.axis_sizes]
        return np.unravel_index(np.arange(self.n_runs), self.batch_shape)[names.index(axis)]

    # -- how it steps
    @functools.cached_property
    def stepper(self):
        if self.entry == "simulate":
            return GradientFlow(self.values["method"])
        optimizer, rates = self.values["optimizer"], self.values["learning_rate"]
        if isinstance(optimizer, optax.GradientTransformation):
            if rates is not None and rates.is_axis:
                raise ValueError("a sequence of learning rates needs an optax factory, e.g. "
                                 "optimizer=optax.sgd, learning_rate=[0.01, 0.1]; a built "
                                 "GradientTransformation has its learning rate inside.")
            return Optax(optimizer)
        if rates is None:
            raise ValueError("optimizer is a factory (e.g. optax.sgd): give learning_rate= too, "
                             "or pass a built transformation such as optax.sgd(0.1).")
        return Optax(_injected(optimizer), injected=True)

    @functools.cached_property
    def timeline(self) -> tuple[int, int, tuple | None]:
        """(record_every, n_records, phases): the run's length in records, from ``n_steps``
        or ``t_max``, or from a schedule's durations (phases as `_core.CoreConfig` takes them).

        Raises:
            ValueError: both or neither of n_steps and t_max; t_max with a sequence of step
                sizes or without one; ``record_every`` not dividing ``n_steps`` or a phase.
        """
        n_steps, t_max = self.values["n_steps"], self.values["t_max"]
        record_every = self.values["record_every"]
        sizes = self.step_sizes
        single = None if sizes is None or sizes.is_axis else float(sizes.values[0])
        if self.schedule is not None:
            return self._schedule_timeline(single, n_steps, t_max, record_every)
        if sizes is not None and sizes.is_axis and (t_max is not None or n_steps is None):
            name = self.step_option
            raise ValueError(f"a sequence of {name} needs n_steps, not t_max (t_max needs one "
                             f"{name} to convert time to steps): runs with different step sizes "
                             "reach different times in the same number of steps. Give n_steps "
                             f"(t is then the step index), or make one call per {name} with "
                             "t_max.")
        if (t_max is None) == (n_steps is None):
            raise ValueError("give exactly one of t_max (final time, in units of τ) or n_steps.")
        if t_max is not None:
            if single is None:
                raise ValueError("t_max needs one learning rate to convert time to steps "
                                 "(t = step·η); give n_steps instead.")
            steps = max(1, math.ceil(t_max / single - 1e-9))
            n_records = -(-steps // record_every)
            end = n_records * record_every * single
            if not math.isclose(end, t_max, rel_tol=1e-9):
                unit = record_every * single
                _validation.warn(
                    f"t_max={t_max:g} is not a whole number of records ({record_every} "
                    f"step(s) of {self.step_option}={single:g}, {unit:g} in time): the run "
                    f"ends at t = {end:g} ({n_records * record_every} steps). Give a multiple "
                    f"of {unit:g} as t_max, or n_steps.")
            return record_every, n_records, None
        if record_every > n_steps or n_steps % record_every:
            raise ValueError(f"record_every={record_every} must divide n_steps={n_steps}: records "
                             f"fall every record_every steps up to the end. Choose a divisor of "
                             f"{n_steps}, or give t_max (the run is then rounded up to whole "
                             "records).")
        return record_every, n_steps // record_every, None

    def _schedule_timeline(self, single, n_steps, t_max, record_every):
        schedule = self.schedule
        if n_steps is not None or t_max is not None:
            raise ValueError("a Schedule sets the run's length from its phases' durations: leave "
                             "n_steps and t_max out.")
        if single is None:
            name = self.step_option
            raise ValueError(f"a Schedule turns its durations (in units of τ) into steps with one "
                             f"{name}: give one {name}, or make one call per {name}.")
        steps = list(schedule.steps(single))
        for index, count in enumerate(steps):
            if count % record_every:
                raise ValueError(f"record_every={record_every} must divide every phase's steps; "
                                 f"phase {index} ({schedule.names[index]!r}) has {count}. Choose "
                                 f"a divisor of {math.gcd(*steps)}.")
        phases = tuple((index, count // record_every) for index, count in enumerate(steps))
        return record_every, sum(steps) // record_every, phases

    @property
    def n_steps(self) -> int:
        record_every, n_records, _ = self.timeline
        return record_every * n_records

    @functools.cached_property
    def objective(self):
        """The objective of every run: the correlation form for a full-batch linear chain,
        else the loss on the task's items; for a schedule, every phase's stacked.

        Raises:
            ValueError: items are needed but the task's items do not generate its
                correlations; a minibatch larger than the task; the schedule's tasks differ in
                kind.
        """
        if self.schedule is None:
            return self._objective(self.task)
        parts = [self._objective(task) for task in self.schedule.tasks]
        if len({jax.tree.structure(part) for part in parts}) != 1:
            raise ValueError("the schedule's tasks must be of one kind to run in one compiled "
                             "call: all with Σx a multiple of I or none, and all with items or "
                             "none (build them the same way, e.g. all with Task.from_dataset).")
        return jax.tree.map(lambda *leaves: jnp.stack(leaves), *parts)

    def _objective(self, task: Task):
        # without its names (static pytree data that the dynamics never read), every task of
        # one shape shares one compilation
        cast = dataclasses.replace(jax.tree.map(lambda a: jnp.asarray(a, self.dtype), task),
                                   item_names=None, property_names=None)
        batch_size, net = self.values.get("batch_size"), self.network
        if batch_size is None and net.linear_chain:
            return Correlations(cast)
        replace = self.values.get("replace", False)
        need = ("batch_size" if batch_size is not None else "gates" if self.gates is not None
                else f"activation={net.activation!r}, bias")
        if task.item_weight is None:
            raise ValueError(f"{need} needs a task whose items generate its correlations "
                             "(Σx = c X Xᵀ, Σyx = c Y Xᵀ): build it with Task.from_dataset("
                             "dataset) or pass inputs= and targets= that do.")
        if batch_size is not None and not replace and batch_size > task.n_items:
            raise ValueError(f"batch_size={batch_size} exceeds the task's {task.n_items} items; "
                             "use batch_size ≤ the number of items, or replace=True.")
        gates = (None if self.gates is None else self.gates.values(
            task, self.dtype, bases=any(readout.gated for readout in self.readouts)))
        return Items(cast, batch_size=batch_size, replace=replace, network=net, gates=gates)

    @functools.cached_property
    def backend(self) -> str:
        """`semjax.dynamics._core.choose_backend` for this run: full batch unless the
        objective draws minibatches; products as wide as the inputs in correlation form, as
        the items otherwise."""
        objective = self.objective
        task = self.task
        width = task.n_in if isinstance(objective, Correlations) else max(task.n_in,
                                                                           task.n_items)
        return _core.choose_backend(self.values["kernel"], self.shapes, width, self.dtype,
                                    full_batch=not objective.stochastic,
                                    platform=jax.default_backend())

    # -- what it records
    @property
    def readouts(self) -> tuple:
        return self.values["record"]

    @functools.cached_property
    def record_shapes(self) -> dict:
        """Shape and dtype of every read-out for one run and record (`jax.eval_shape` of the
        read-outs themselves, so a user's function of the weights is sized and checked like
        the built-ins).

        Raises:
            ValueError: a read-out that fails on the weights or returns anything but one
                array of numbers (``weights``: one per layer).
        """
        widths = tuple((rows, columns + int(self.values["bias"]))
                       for rows, columns in self.shapes)
        leaves, structure = jax.tree.flatten(self.objective)
        objective = (structure, tuple((np.shape(leaf), np.dtype(leaf.dtype).name)
                                      for leaf in leaves))
        return {readout.name: _record_shape(readout, widths, np.dtype(self.dtype).name,
                                            objective, self.schedule is not None)
                for readout in self.readouts}

    def core_config(self) -> _core.CoreConfig:
        record_every, n_records, phases = self.timeline
        return _core.CoreConfig(stepper=self.stepper, readouts=self.readouts,
                                record_every=record_every, n_records=n_records, phases=phases)

    @property
    def time_unit(self) -> str:
        """"tau" when ``t`` is the time in units of τ (one step size), else "step"."""
        sizes = self.step_sizes
        return "tau" if sizes is not None and not sizes.is_axis else "step"

    def info(self) -> dict:
        """How the run was made, for ``Trajectory.info``."""
        activation = self.values.get("activation", "linear")
        init = self.values["init"]
        info = {"depth": len(self.shapes), "hidden": list(self.values["hidden"]),
                "dtype": np.dtype(self.dtype).name, "bias": self.values["bias"],
                "activation": activation if isinstance(activation, str) else getattr(
                    activation, "__name__", repr(activation)),
                "init": "explicit" if isinstance(init, ExplicitWeights) else init,
                "task_s": self.task.s.tolist(), "task_fingerprint": self.task.fingerprint,
                "source": f"semjax.{self.entry}"}
        if self.gates is not None:
            network = self.gates.network
            info["gates"] = {"modules": [list(m) for m in network.modules],
                             "edges": [[list(e) for e in layer] for layer in network.edges],
                             "paths": [list(p) for p in network.paths]}
        if self.task.item_names is not None:  # labels of plots (semjax.plotting)
            info["item_names"] = list(self.task.item_names)
        if not isinstance(init, ExplicitWeights):
            lam = self.values["lam"]
            info |= {"init_scale": self.values["init_scale"].values.tolist(),
                     "lam": lam.values.tolist() if lam.is_axis else float(lam.values[0])}
        if self.entry in RUNS:
            record_every, _, _ = self.timeline
            sizes = self.step_sizes
            info |= {"record_every": record_every, "n_steps": self.n_steps,
                     "time_unit": self.time_unit}
            if self.entry == "simulate":
                info |= {"method": self.values["method"],
                         "dt": sizes.values.tolist() if sizes.is_axis else float(sizes.values[0])}
            else:
                optimizer = self.values["optimizer"]
                info |= {"optimizer": getattr(optimizer, "__name__", type(optimizer).__name__),
                         "learning_rate": None if sizes is None else sizes.values.tolist(),
                         "batch_size": self.values["batch_size"],
                         "replace": self.values["replace"]}
        if self.schedule is not None:
            schedule = self.schedule
            info["schedule"] = {"names": list(schedule.names),
                                "durations": [float(d) for d in schedule.durations],
                                "task_s": [task.s.tolist() for task in schedule.tasks],
                                "task_fingerprint": [task.fingerprint
                                                     for task in schedule.tasks]}
        return info


@functools.lru_cache(maxsize=256)
def _record_shape(readout, widths: tuple, dtype: str, objective: tuple, schedule: bool):
    """`RunSpec.record_shapes` of one read-out, for weights of ``widths`` and an objective
    given by its tree structure and leaf shapes (cached: a call costs a trace)."""
    weights = tuple(jax.ShapeDtypeStruct(shape, dtype) for shape in widths)
    structure, leaves = objective
    abstract = jax.tree.unflatten(structure, [jax.ShapeDtypeStruct(shape, leaf_dtype)
                                              for shape, leaf_dtype in leaves])
    observe = _core.observe_schedule if schedule else _core.observe
    try:
        shape = jax.eval_shape(functools.partial(observe, readouts=(readout,)), weights,
                               abstract)[readout.name]
    except Exception as error:
        raise ValueError(f"record: the read-out {readout.name!r} failed on this network's "
                         f"weights {list(widths)}: {type(error).__name__}: {error}") from None
    if readout.name != "weights" and not isinstance(shape, jax.ShapeDtypeStruct):
        raise ValueError(f"record: the read-out {readout.name!r} must return one array; it "
                         f"returns {jax.tree.structure(shape)}.")
    if not all(jnp.issubdtype(leaf.dtype, jnp.number) for leaf in jax.tree.leaves(shape)):
        raise ValueError(f"record: the read-out {readout.name!r} must return numbers.")
    return shape


@functools.lru_cache(maxsize=64)
def _injected(factory: Callable) -> optax.GradientTransformation:
    """``inject_hyperparams(factory)`` built once per factory, so that one compilation serves
    every learning rate (the rate itself is set in each run's optimiser state)."""
    transformation = optax.inject_hyperparams(factory)(learning_rate=0.0)
    if "learning_rate" not in transformation.init(jnp.zeros(1)).hyperparams:
        raise ValueError("optimizer must take a learning_rate argument (e.g. optax.sgd, "
                         "optax.adam) to be given with learning_rate=.")
    return transformation


# ----------------------------------------------------------------------------- entry points

def check_values(caller: str, declared, arguments: Mapping) -> dict:
    """Each declared option's value (given in ``arguments``, or its default), checked in
    declaration order, so that a check may read the options checked before it.

    Raises:
        TypeError: a required option is missing (named, with ``caller``).
        ValueError, TypeError: the option's own check.
    """
    values = {}
    for option in declared:
        value = arguments.get(option.name, option.default)
        if value is REQUIRED:
            raise TypeError(f"{caller}() missing required argument {option.name!r}.")
        values[option.name] = option.check(value, values)
    return values


def signature(entry: str) -> inspect.Signature:
    """The signature of an entry point, from `OPTIONS`: the task positional, the rest keyword."""
    parameters = []
    for option in options(entry):
        kind = (inspect.Parameter.POSITIONAL_OR_KEYWORD if option.name == "task"
                else inspect.Parameter.KEYWORD_ONLY)
        default = inspect.Parameter.empty if option.default is REQUIRED else option.default
        parameters.append(inspect.Parameter(option.name, kind, default=default))
    return inspect.Signature(parameters)


def arguments_doc(declared, indent: str = "        ") -> str:
    """The Google-style ``Args:`` entries of an entry point's options (an entry's name, or a
    sequence of `Option`)."""
    import textwrap
    lines = []
    for option in options(declared) if isinstance(declared, str) else declared:
        text = textwrap.fill(f"{option.name}: {option.doc}", 96 - len(indent),
                             subsequent_indent="    ")
        lines.append(textwrap.indent(text, indent))
    return "\n".join(lines)


ARGUMENTS_LINE = "**arguments: its options, as declared (generated on import)."


def fill_arguments(doc: str, declared) -> str:
    """``doc`` with its `ARGUMENTS_LINE` replaced by the generated argument entries of
    ``declared`` (an entry point's name, or a sequence of `Option`)."""
    if doc.count(ARGUMENTS_LINE) != 1:
        raise ValueError(f"the docstring must hold the line {ARGUMENTS_LINE!r} once.")
    return doc.replace(ARGUMENTS_LINE, arguments_doc(declared).strip())


def entry_point(entry: str):
    """Give a function ``def f(*args, **arguments)`` the signature of ``entry`` and its
    generated argument documentation (in place of the docstring's `ARGUMENTS_LINE`)."""
    def decorate(function):
        function.__signature__ = signature(entry)
        function.__doc__ = fill_arguments(function.__doc__, entry)
        return function
    return decorate
