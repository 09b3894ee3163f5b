"""The read-out registry: each recorded quantity declared once and used by the core, the
memory check, Trajectory, theory and the command line; functions of the weights are recorded,
batched and stored like the built-in ones."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import semjax
from semjax import Readout, Trajectory, readouts, simulate, sweep, theory, train


def weight_norm(weights):
    """Squared Frobenius norm of every layer, summed."""
    return sum(jnp.sum(w ** 2) for w in weights)


def layer_norms(weights):
    return jnp.stack([jnp.linalg.norm(w) for w in weights])


COMMON = dict(hidden=4, n_steps=20, record_every=5, init_scale=[0.1, 0.3], n_seeds=3)


def test_a_function_of_the_weights_is_recorded_like_a_built_in(seed_task):
    run = simulate(seed_task, dt=0.05, record=("modes", weight_norm, layer_norms, "weights"),
                   dtype="float64", **COMMON)
    assert set(run.fields) == {"modes", "weight_norm", "layer_norms", "weights"}
    assert run.weight_norm.shape == (2, 3, 5) and run.layer_norms.shape == (2, 3, 5, 2)
    expected = sum(np.sum(np.asarray(w) ** 2, axis=(-2, -1)) for w in run.weights)
    np.testing.assert_allclose(run.weight_norm, expected, rtol=1e-12)
    reference = simulate(seed_task, dt=0.05, record=(weight_norm,), kernel="reference",
                         dtype="float64", **COMMON)
    np.testing.assert_allclose(reference.weight_norm, run.weight_norm, rtol=1e-12)
    picked = run.select(scale=1, seed=0)
    np.testing.assert_array_equal(picked.layer_norms, run.layer_norms[1, 0])


def test_recorded_functions_are_saved_loaded_and_stored(seed_task, tmp_path):
    run = train(seed_task, optimizer=optax.sgd, learning_rate=0.05,
                record=(Readout.of_weights(lambda w: w[0][0, 0], name="first_entry"),
                        "loss"), **COMMON)
    run.save(tmp_path / "run.npz")
    loaded = Trajectory.load(tmp_path / "run.npz")
    np.testing.assert_array_equal(loaded.first_entry, run.first_entry)
    stored = sweep(seed_task, n_seeds=4, chunk_size=2, checkpoint_dir=tmp_path / "store",
                   progress=False, dt=0.05, hidden=4, n_steps=20, record_every=5,
                   init_scale=0.1, record=("modes", weight_norm))
    config = semjax.store._read_manifest(tmp_path / "store")["config"]
    assert config["record"] == ["modes", "tests.test_readouts.weight_norm"]
    np.testing.assert_array_equal(semjax.store.load(tmp_path / "store").weight_norm,
                                  stored.weight_norm)
    with pytest.raises(ValueError, match="memory address"):
        sweep(seed_task, n_seeds=2, checkpoint_dir=tmp_path / "other", progress=False,
              dt=0.05, hidden=4, n_steps=20, init_scale=0.1,
              record=(Readout.of_weights(lambda w: w[0][0, 0], name="entry"),))


def test_the_memory_check_sizes_functions_by_their_shapes(seed_task):
    def big(weights):
        return jnp.zeros((10 ** 6,)) + weights[0][0, 0]

    spec = semjax.RunSpec.build("simulate", seed_task, dt=0.05, hidden=4, n_steps=20,
                                init_scale=0.1, record=(big, "modes"))
    assert spec.record_shapes["big"].shape == (10 ** 6,)
    assert spec.record_shapes["modes"].shape == (4,)
    with pytest.raises(MemoryError, match="use semjax.sweep|Use semjax.sweep"):
        simulate(seed_task, dt=0.05, hidden=4, n_steps=20, init_scale=0.1, n_seeds=10 ** 4,
                 record=(big,))


def test_bad_readouts_are_named_before_running(seed_task):
    arguments = dict(dt=0.05, hidden=4, n_steps=20, init_scale=0.1)
    with pytest.raises(ValueError, match="needs a name that is a Python identifier"):
        simulate(seed_task, record=(lambda w: w[0],), **arguments)
    with pytest.raises(ValueError, match="'modes' is a built-in read-out"):
        simulate(seed_task, record=(Readout.of_weights(weight_norm, name="modes"),),
                 **arguments)
    with pytest.raises(ValueError, match="cannot be named 't'"):
        simulate(seed_task, record=(Readout.of_weights(weight_norm, name="t"),), **arguments)
    with pytest.raises(ValueError, match="'pair' must return one array"):
        simulate(seed_task, record=(Readout.of_weights(lambda w: (w[0], w[1]), name="pair"),),
                 **arguments)
    with pytest.raises(ValueError, match=r"read-out 'broken' failed.*IndexError"):
        simulate(seed_task, record=(Readout.of_weights(lambda w: w[5], name="broken"),),
                 **arguments)
    with pytest.raises(ValueError, match="record must be one of"):
        simulate(seed_task, record=("modes", "gradients"), **arguments)
    with pytest.raises(ValueError, match="a closed form records only"):
        theory.trajectory(seed_task, [0.0, 1.0], 0.1, record=("modes", weight_norm))


def test_theory_records_every_closed_form_readout_of_the_registry(seed_task):
    """theory.trajectory gives each read-out the registry marks as having a closed form
    (outputs included), equal to the simulation from an exact aligned start."""
    names = readouts.CLOSED_FORM
    assert set(names) == {name for name in readouts.NAMES
                          if name != "weights" and not readouts.REGISTRY[name].gated}
    t = 0.5 * np.arange(5)
    closed = theory.trajectory(seed_task, t, 1e-2, record=names)
    run = simulate(seed_task, hidden=8, init="aligned", init_scale=1e-2, n_steps=200,
                   record_every=50, dt=0.01, method="rk4", record=names, dtype="float64")
    for name in names:
        np.testing.assert_allclose(getattr(run, name)[0], getattr(closed, name), atol=2e-6,
                                   err_msg=name)


def test_task_independent_readouts_keep_their_shape_under_a_schedule(seed_task):
    schedule = semjax.Schedule([(seed_task, 1.0), (semjax.reversed_task(seed_task), 3.0)])
    run = simulate(schedule, hidden=4, dt=0.025, init_scale=0.1, n_seeds=2,
                   record=("modes", "product", weight_norm))
    assert run.modes.shape[-2:] == (2, 4) and run.product.shape[-2:] == (7, 4)
    assert run.weight_norm.shape == (2, len(run.t))
    on_second = run.on_task(1)
    assert on_second.modes.shape[-1] == 4 and on_second.weight_norm.shape == (2, len(run.t))


def test_the_command_line_lists_the_registry():
    from semjax import cli
    help_text = cli._parser(["simulate"]).format_help() + "".join(
        action.help or "" for group in cli._parser(["simulate"])._subparsers._group_actions
        for parser in group.choices.values() for action in parser._actions)
    for name in readouts.NAMES:
        assert name in help_text


def test_readout_sources_agree_under_jit(seed_task):
    """A Readout is hashable (a static part of the compiled core) and the same function gives
    an equal Readout, so a second call reuses the compilation."""
    assert Readout.of_weights(weight_norm) == Readout.of_weights(weight_norm)
    assert hash(Readout.of_weights(weight_norm)) == hash(Readout.of_weights(weight_norm))
    compiles = []
    simulate(seed_task, dt=0.05, record=(weight_norm,), **COMMON)

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        simulate(seed_task, dt=0.07, record=(weight_norm,), **COMMON)
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert compiles == []
