"""The run specification: one declaration per argument (semjax.dynamics.OPTIONS), from which
the entry points' signatures and documentation, their checks, the batch axes, a results
store's manifest and the keys of a TOML spec all follow."""

import dataclasses
import inspect
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import semjax
from semjax import Task, datasets, simulate, sweep, train
from semjax.dynamics import _spec
from semjax.sweeps import SWEEP_OPTIONS, manifest

SMALL = dict(hidden=3, n_steps=4, init_scale=0.1)
ENTRY_POINTS = {"simulate": simulate, "train": train, "initial_weights": semjax.initial_weights}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_signatures_and_argument_docs_are_generated_from_the_declarations(entry):
    function = ENTRY_POINTS[entry]
    declared = _spec.options(entry)
    parameters = inspect.signature(function).parameters
    assert list(parameters) == [option.name for option in declared]
    for option in declared:
        default = parameters[option.name].default
        assert (default is inspect.Parameter.empty) == (option.default is _spec.REQUIRED)
        assert option.default is _spec.REQUIRED or default == option.default
        assert f"    {option.name}: " in function.__doc__, option.name
    assert _spec.ARGUMENTS_LINE not in function.__doc__


def test_the_batch_axes_follow_the_declaration_order(seed_task):
    assert _spec.AXES == ("dt", "learning_rate", "lam", "scale", "seed")
    run = simulate(seed_task, hidden=4, init="lambda_balanced", lam=[0.0, 0.5],
                   init_scale=[0.1, 0.2], dt=[0.05, 0.1], n_steps=2, n_seeds=2)
    assert run.batch_axes == ("dt", "lam", "scale", "seed")
    assert run.modes.shape[:4] == (2, 2, 2, 2)
    rates = train(seed_task, optimizer=optax.sgd, learning_rate=[0.05, 0.1], hidden=4,
                  init_scale=[0.1, 0.2], n_steps=2, n_seeds=3)
    assert rates.batch_axes == ("learning_rate", "scale", "seed")


def test_a_new_option_is_one_declaration(monkeypatch, seed_task):
    """Declaring an option makes it an argument of the entry points it names (signature,
    documentation, checked value), a setting of a store's manifest and a key of a TOML spec."""
    def check(value, earlier):
        if value not in ("a", "b"):
            raise ValueError(f"flavour must be 'a' or 'b'; got {value!r}.")
        return value

    flavour = _spec.Option("flavour", "a", "a new static option.", check)
    monkeypatch.setattr(_spec, "OPTIONS", (*_spec.OPTIONS, flavour))
    assert "flavour" in _spec.signature("simulate").parameters
    assert "flavour: a new static option." in _spec.arguments_doc("train")
    spec = _spec.RunSpec.build("simulate", seed_task, dt=0.1, flavour="b", **SMALL)
    assert spec["flavour"] == "b" and manifest(spec)["flavour"] == "b"
    with pytest.raises(ValueError, match="flavour must be 'a' or 'b'"):
        _spec.RunSpec.build("simulate", seed_task, dt=0.1, flavour="c", **SMALL)
    from semjax import _cli_specs
    assert "flavour" in _cli_specs.sweep_keys()


def test_unknown_and_missing_arguments_are_named(seed_task):
    with pytest.raises(TypeError, match=r"simulate\(\) got unexpected argument\(s\) widht"):
        simulate(seed_task, widht=3, dt=0.1, **SMALL)
    with pytest.raises(TypeError, match=r"simulate\(\) missing required argument 'dt'"):
        simulate(seed_task, **SMALL)
    with pytest.raises(TypeError, match=r"train\(\) missing required argument 'optimizer'"):
        train(seed_task, **SMALL)
    with pytest.raises(TypeError, match="unexpected argument"):
        semjax.initial_weights(seed_task, hidden=3, init_scale=0.1, dt=0.1)


BAD_AXES = [
    ("init_scale", []), ("init_scale", [[0.1, 0.2]]), ("init_scale", "small"),
    ("init_scale", [0.1, -1.0]), ("init_scale", [0.1, float("nan")]),
    ("lam", []), ("lam", "x"), ("lam", [0.0, float("inf")]),
    ("learning_rate", []), ("learning_rate", "0.1"), ("learning_rate", [0.1, 0.0]),
    ("dt", []), ("dt", "0.01"), ("dt", [0.1, "fast"]),
]


def _error(call):
    with pytest.raises((TypeError, ValueError)) as caught:
        call()
    return str(caught.value)


@pytest.mark.parametrize("name, value", BAD_AXES)
def test_empty_and_malformed_axis_values_get_one_message_through_every_entry_point(
        seed_task, name, value):
    simulating = name != "learning_rate"
    base = dict(SMALL, dt=0.1) if simulating else dict(SMALL, optimizer=optax.sgd,
                                                       learning_rate=0.1)
    arguments = base | {name: value}
    runner = simulate if simulating else train
    message = _error(lambda: runner(seed_task, **arguments))
    assert message.startswith(f"{name} must be a finite number"), message
    assert _error(lambda: sweep(seed_task, n_seeds=2, progress=False, **arguments)) == message
    if name in ("init_scale", "lam"):
        assert _error(lambda: semjax.initial_weights(
            seed_task, **{k: v for k, v in arguments.items()
                          if k in ("hidden", "init_scale", "lam")})) == message


@pytest.mark.parametrize("name, value", [("init_scale", "[]"), ("init_scale", '"small"'),
                                         ("lam", '"x"'), ("dt", '"0.01"'), ("dt", "[]")])
def test_a_toml_spec_gets_the_same_message(tmp_path, capsys, name, value):
    spec = tmp_path / "sweep.toml"
    settings = {"n_seeds": "2", "hidden": "3", "dt": "0.1", "n_steps": "4",
                "init_scale": "0.1"} | {name: value}
    spec.write_text('dataset = "four_items"\n[sweep]\n'
                    + "".join(f"{key} = {text}\n" for key, text in settings.items()))
    status, stderr = _dry_run(spec, capsys)
    assert status == 2, stderr
    if value == '"0.01"':  # a number in quotes: the spec's own message, naming the fix
        assert (f'semjax: error: {spec} [sweep]: {name} = "0.01" is text (in quotes), not a '
                f"number; write {name} = 0.01 without quotes.") in stderr, stderr
        return
    # the message of every entry point, after the spec's file and table
    assert f"semjax: error: {spec} [sweep]: {name} must be a finite number" in stderr, stderr


def _dry_run(spec, capsys) -> tuple[int, str]:
    """``semjax sweep SPEC --dry-run`` in this process: (exit status, stderr)."""
    from semjax import cli
    capsys.readouterr()
    status = cli.main(["sweep", str(spec), "--dry-run"])
    return status, capsys.readouterr().err


def test_flags_and_numbers_are_not_read_from_strings(seed_task):
    """A truthy string is not True, a numeric string is not a number (each named)."""
    assert "replace must be True or False" in _error(lambda: train(
        seed_task, optimizer=optax.sgd, learning_rate=0.1, batch_size=2, replace="no",
        **SMALL))
    assert "t_max must be a real number" in _error(lambda: simulate(
        seed_task, hidden=3, t_max="1.0", dt=0.1, init_scale=0.1))
    assert "throw must be True or False" in _error(lambda: simulate(
        seed_task, dt=0.1, throw="yes", **SMALL))


def test_a_callable_activation_must_act_elementwise():
    task = Task.from_dataset(datasets.four_items())
    with pytest.raises(ValueError, match=r"activation must act elementwise.*\(3, 1\)"):
        simulate(task, hidden=3, n_steps=2, dt=0.1, init_scale=0.1,
                 activation=lambda x: jnp.tanh(x[:, :1]))
    with pytest.raises(ValueError, match="activation must act elementwise"):
        simulate(task, hidden=3, n_steps=2, dt=0.1, init_scale=0.1,
                 activation=lambda x: x.sum())


def test_a_spec_is_frozen_and_its_manifest_leaves_out_how_it_runs(seed_task):
    spec = _spec.RunSpec.build("simulate", seed_task, dt=0.1, devices=1, **SMALL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.entry = "train"
    with pytest.raises(TypeError):
        spec.values["dt"] = 0.2
    config = manifest(spec)
    assert {"devices", "throw", "progress", "n_seeds", "keys", "key"}.isdisjoint(config)
    assert config["hidden"] == [3] and config["dt"] == 0.1 and config["record"] == [
        "modes", "loss"]
    assert any(name.startswith("task.") for name in config)
    assert manifest(spec.replace(devices=2)) == config


def test_sweep_options_are_declared_like_run_options():
    parameters = inspect.signature(sweep).parameters
    assert list(parameters)[1:-1] == [option.name for option in SWEEP_OPTIONS]
    assert parameters["n_seeds"].default is inspect.Parameter.empty


def test_a_dry_run_checks_every_configuration(tmp_path, capsys):
    spec = tmp_path / "grid.toml"
    spec.write_text(textwrap.dedent("""
        dataset = "four_items"
        [sweep]
        n_seeds = 2
        dt = 0.1
        n_steps = 4
        init_scale = 0.1
        init = "lambda_balanced"
        lam = 0.5
        [over]
        hidden = [4, 9]
    """))
    status, stderr = _dry_run(spec, capsys)
    assert status == 2
    assert "lam=0.5 > 0 needs hidden ≤ N3=7" in stderr
    assert "(configuration {'hidden': 9})" in stderr


def test_explicit_weights_and_seeds_are_one_run_axis(seed_task):
    start = (np.full((3, 3, 4), 0.1), np.full((3, 7, 3), 0.1))
    run = simulate(seed_task, init=start, dt=[0.1, 0.2], n_steps=2, hidden=3)
    assert run.batch_axes == ("dt", "seed") and run.modes.shape[:2] == (2, 3)
    with pytest.raises(ValueError, match="keys apply to named initialisers"):
        simulate(seed_task, init=start, dt=0.1, n_steps=2, hidden=3,
                 keys=np.zeros((3, 2), np.uint32))


def test_mistakes_in_the_arguments_are_named_before_the_missing_float64(seed_task):
    """Without 64-bit JAX, float64 weights of the wrong shape or that contradict the other
    arguments are named first, the session's missing x64 only after: fixing it first would
    only lead to the next error."""
    start = (np.full((3, 4), 0.1), np.full((7, 3), 0.1))  # float64, hidden 3
    with jax.enable_x64(False):
        for arguments, named in [
            (dict(hidden=5), r"init\[0\] must have shape \(5, 4\)"),
            (dict(hidden=3, init_scale=0.1), "init_scale applies to named initialisers"),
            (dict(hidden=3, n_steps=3, record_every=2), "record_every=2 must divide n_steps=3"),
            (dict(hidden=3), r'dtype="float64" needs 64-bit JAX.*weights are float64'),
        ]:
            with pytest.raises(ValueError, match=named):
                simulate(seed_task, init=start, dt=0.1, **{"n_steps": 2} | arguments)
        with pytest.raises(ValueError, match="sweep needs a named init"):
            sweep(seed_task, over={"hidden": [3, 5]}, init=start, dt=0.1, n_steps=2, n_seeds=1)
