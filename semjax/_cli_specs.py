"""Helpers of the ``semjax`` command: built-in datasets by name, ``KEY=VALUE`` options, sweep
spec files (TOML) and the task a result file was made on. No science here.

Every problem with the user's input raises `UsageError`, which the command prints as one line
``semjax: error: ...`` and exits with status 2.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

NORMALISATIONS = ("mean", "sum")
_NOT_DATASETS = {"branching_diffusion_correlation", "form_covariance"}
# info keys the CLI adds to a result, so that `semjax show` can rebuild the task
INFO_DATASET, INFO_NORMALISE, INFO_OPTIONS, INFO_KEY = (
    "dataset", "dataset_normalise", "dataset_options", "dataset_key")


class UsageError(Exception):
    """Bad arguments or unreadable input: exit status 2, message on one line."""


def one_line(text) -> str:
    """A message on a single line."""
    return " ".join(str(text).split())


# ----------------------------------------------------------------------------- datasets

def dataset_generators() -> dict:
    """Built-in dataset generators of `semjax.datasets` by name (those returning a dataset)."""
    from semjax import datasets
    generators = {}
    for name in datasets.__all__:
        function = getattr(datasets, name)
        if not inspect.isfunction(function) or name in _NOT_DATASETS:
            continue
        returned = str(inspect.signature(function).return_annotation)
        if returned.endswith(("Dataset", "TeacherStudent")):
            generators[name] = function
    return generators


def dataset_usage(name: str, function) -> str:
    """``name(option=..., ...)`` with the options a generator takes (its PRNG key excluded)."""
    parts = []
    for parameter in _options(function).values():
        default = ("" if parameter.default is inspect.Parameter.empty
                   else f"={parameter.default!r}")
        parts.append(f"{parameter.name}{default}")
    return f"{name}({', '.join(parts)})"


def _options(function) -> dict:
    parameters = dict(inspect.signature(function).parameters)
    parameters.pop("key", None)
    return parameters


def parse_value(text: str):
    """A command-line value: true/false, an int, a float, a comma list of those, or a string."""
    if "," in text:
        return tuple(parse_value(part.strip()) for part in text.split(",") if part.strip())
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_options(pairs) -> dict:
    """``["branching=2", "flip=0.1"]`` → ``{"branching": 2, "flip": 0.1}``."""
    options = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"dataset option {pair!r} must be NAME=VALUE, e.g. -D branching=2.")
        options[name.strip()] = parse_value(value.strip())
    return options


def build_task(name: str, *, normalise: str = "mean", options=None, key: int = 0,
               where: str = ""):
    """The `semjax.Task` of a built-in dataset, and the info entries that describe it.

    Raises:
        UsageError: unknown dataset, unknown or missing options, bad values, bad normalise.
    """
    from semjax.task import Task

    options = dict(options or {})
    generators = dataset_generators()
    if name not in generators:
        raise UsageError(f"{where}unknown dataset {name!r}; built-in datasets: "
                         f"{', '.join(sorted(generators))}.")
    if normalise not in NORMALISATIONS:
        raise UsageError(f"{where}normalise must be one of {', '.join(NORMALISATIONS)}; got "
                         f"{normalise!r}.")
    function = generators[name]
    accepted = _options(function)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UsageError(f"{where}dataset {name!r} has no option(s) "
                         f"{', '.join(_with_guess(key, accepted) for key in unknown)}; it "
                         f"takes {dataset_usage(name, function)}.")
    missing = [p for p, parameter in accepted.items()
               if parameter.default is inspect.Parameter.empty and p not in options]
    if missing:
        raise UsageError(f"{where}dataset {name!r} needs option(s) {', '.join(missing)} "
                         f"(-D NAME=VALUE, or keys of [dataset] in a spec): "
                         f"{dataset_usage(name, function)}.")
    uses_key = "key" in inspect.signature(function).parameters
    if not isinstance(key, int) or isinstance(key, bool):
        raise UsageError(f"{where}the dataset key must be an integer; got {key!r}.")
    try:
        if uses_key:
            import jax
            data = function(jax.random.key(key), **options)
        else:
            data = function(**options)
        task = (data.task(normalise=normalise) if hasattr(data, "task")
                else Task.from_dataset(data, normalise=normalise))
    except (TypeError, ValueError) as error:
        raise UsageError(f"{where}dataset {name!r}: {one_line(error)}") from None
    info = {INFO_DATASET: name, INFO_NORMALISE: normalise,
            INFO_OPTIONS: json.dumps(options, sort_keys=True)}
    if uses_key:
        info[INFO_KEY] = key
    return task, info


def task_from_info(info: dict):
    """The task a result was made on, from the entries `build_task` added, or None."""
    if INFO_DATASET not in info:
        return None
    options = {name: tuple(value) if isinstance(value, list) else value
               for name, value in json.loads(info.get(INFO_OPTIONS, "{}")).items()}
    task, _ = build_task(info[INFO_DATASET], normalise=info.get(INFO_NORMALISE, "mean"),
                         options=options, key=int(info.get(INFO_KEY, 0)))
    return task


# ----------------------------------------------------------------------------- sweep specs

SPEC_EXAMPLE = """\
# sweep.toml: 2 widths x 3 init scales x 1000 seeds on the four-item task
output = "sweep.npz"              # optional; default: the spec's name with .npz

[dataset]
name = "four_items"               # a built-in dataset (semjax.datasets)
normalise = "sum"                 # "mean" (default) or "sum"
# key = 0                         # PRNG key of random datasets
# branching = 2                   # other keys: the dataset's options

[sweep]                           # the arguments of semjax.sweep and semjax.simulate
n_seeds = 1000
key = 0
chunk_size = 500
checkpoint_dir = "sweep_chunks"   # optional: resume from finished chunks
hidden = 16
dt = 0.005
t_max = 7.5
init = "gaussian"
init_scale = [1e-3, 1e-2, 1e-1]
record = ["modes", "loss"]
record_every = 10

[over]                            # optional: an outer grid, one compilation per point
hidden = [16, 64]                 # also depth, method, init, activation, bias
"""

_SPEC_TABLES = ("output", "dataset", "sweep", "over")
_DATASET_KEYS = ("name", "normalise", "key")


def _spec_options():
    """The options a spec can set, from the declarations of `semjax.sweep` and
    `semjax.simulate` (those that are Python objects, or set by the command, excluded)."""
    from semjax.dynamics import _spec
    from semjax.sweeps import SWEEP_OPTIONS
    return [option for option in (*SWEEP_OPTIONS, *_spec.options("simulate")) if option.toml]


def sweep_keys() -> list[str]:
    """Keys a spec's [sweep] table may hold."""
    return sorted({option.name for option in _spec_options()})


def over_keys() -> list[str]:
    """Keys a spec's [over] table may hold: the outer-grid options a spec can set."""
    return [option.name for option in _spec_options() if option.grid]


def _unknown(where: str, found, allowed, allowed_text: str | None = None) -> None:
    """Refuse keys of ``found`` not in ``allowed``, naming each (and the allowed key it is
    probably a typo of) and what is allowed (``allowed_text``, default the list)."""
    unknown = sorted(set(found) - set(allowed))
    if unknown:
        named = ", ".join(_with_guess(repr(key), allowed, key) for key in unknown)
        raise UsageError(f"{where}: unknown key(s) {named}; allowed: "
                         f"{allowed_text or ', '.join(allowed)}.")


def _with_guess(shown: str, allowed, key: str | None = None) -> str:
    """``shown`` (the unknown ``key``, by default ``shown`` itself), followed by the allowed
    name it is probably a typo of, if any: "normalize (did you mean 'normalise'?)"."""
    import difflib
    matches = difflib.get_close_matches(shown if key is None else key, list(allowed), n=1)
    return shown + "".join(f" (did you mean {match!r}?)" for match in matches)


def _quoted_numbers(where: str, table: dict, exempt=()) -> None:
    """Refuse a number written as text (``init_scale = "1e-3"``, or such a list entry) in a
    spec's ``table``, naming the key and the fix: TOML reads a value in quotes as a string."""
    for name, value in table.items():
        items = value if isinstance(value, list) else [value]
        if name in exempt or not any(isinstance(item, str) and _is_number(item)
                                     for item in items):
            continue
        fixed = ", ".join(item if isinstance(item, str) and _is_number(item) else
                          json.dumps(item) for item in items)
        fixed = f"[{fixed}]" if isinstance(value, list) else fixed
        raise UsageError(f"{where}: {name} = {json.dumps(value)} is text (in quotes), not a "
                         f"number; write {name} = {fixed} without quotes.")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_spec(path) -> dict:
    """Read and check a sweep spec: {"task", "task_info", "arguments", "over", "output"}.

    Relative paths in the spec (``output``, ``checkpoint_dir``) are relative to the spec file.

    Raises:
        UsageError: unreadable file, bad TOML, unknown or missing keys, bad dataset.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise UsageError("reading a TOML spec needs Python ≥ 3.11 or the tomli "
                             "package.") from None
    path = Path(path)
    try:
        with open(path, "rb") as file:
            spec = tomllib.load(file)
    except OSError as error:
        raise UsageError(f"cannot read spec {os.fspath(path)!r}: "
                         f"{error.strerror or error}.") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{os.fspath(path)!r} is not valid TOML: {one_line(error)}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{os.fspath(path)!r} is not a TOML spec (not UTF-8 text); give the "
                         "path of a .toml file (semjax sweep --help shows one).") from None
    where = os.fspath(path)
    _unknown(where, spec, _SPEC_TABLES)
    dataset = spec.get("dataset")
    if isinstance(dataset, str):
        dataset = {"name": dataset}
    if not isinstance(dataset, dict) or "name" not in dataset:
        found = (f" ([dataset] has {', '.join(map(repr, dataset))}, but no 'name')"
                 if isinstance(dataset, dict) and dataset else "")
        raise UsageError(f'{where}: give the dataset, e.g. dataset = "four_items" or a '
                         f'[dataset] table with name = "four_items"{found}.')
    generator = (dataset_generators().get(dataset["name"]) if isinstance(dataset["name"], str)
                 else None)
    if generator is not None:  # an unknown name is refused by build_task, listing the names
        takes = list(_options(generator))
        _unknown(f"{where} [dataset]", dataset, [*_DATASET_KEYS, *takes],
                 f"{', '.join(_DATASET_KEYS)} and the options of {dataset['name']!r}: "
                 f"{', '.join(takes) or 'none'}")
    _quoted_numbers(f"{where} [dataset]", dataset, exempt=("name", "normalise"))
    options = {k: tuple(v) if isinstance(v, list) else v
               for k, v in dataset.items() if k not in _DATASET_KEYS}
    task, task_info = build_task(dataset["name"], normalise=dataset.get("normalise", "mean"),
                                 options=options, key=dataset.get("key", 0),
                                 where=f"{where} [dataset]: ")
    arguments = spec.get("sweep")
    if not isinstance(arguments, dict):
        raise UsageError(f"{where}: missing [sweep] table (n_seeds, dt, t_max or n_steps, ...).")
    _unknown(f"{where} [sweep]", arguments, sweep_keys())
    _quoted_numbers(f"{where} [sweep]", arguments, exempt=("checkpoint_dir",))
    if "n_seeds" not in arguments:
        raise UsageError(f"{where} [sweep]: n_seeds is required.")
    arguments = dict(arguments)
    over = spec.get("over", {})
    if not isinstance(over, dict):
        raise UsageError(f"{where}: over must be a table, e.g. [over] with hidden = [8, 16].")
    _unknown(f"{where} [over]", over, over_keys())
    _quoted_numbers(f"{where} [over]", over)
    for name, values in over.items():
        if not isinstance(values, list) or not values:
            raise UsageError(f"{where} [over]: {name} must be a non-empty list, e.g. "
                             f"{name} = [..., ...]; got {values!r}.")
    over = {name: [tuple(v) if isinstance(v, list) else v for v in values]
            for name, values in over.items()}
    if isinstance(arguments.get("checkpoint_dir"), str):  # others are refused by name later
        arguments["checkpoint_dir"] = os.fspath(path.parent / arguments["checkpoint_dir"])
    output = spec.get("output")
    if output is not None and not isinstance(output, str):
        raise UsageError(f"{where}: output must be a file name; got {output!r}.")
    output = path.with_suffix(".npz") if output is None else path.parent / output
    return {"task": task, "task_info": task_info, "arguments": arguments, "over": over,
            "output": output}
