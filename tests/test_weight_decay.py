"""Weight decay: the closed form against optax-trained runs (gradient descent with
``add_decayed_weights``) from aligned starts, which converge to it at order 1 in η."""

import numpy as np
import optax
import pytest

from semjax import Task, theory, train

S = np.array([2.0, 1.4, 0.9, 0.5])
D = np.array([1.3, 0.7, 1.0, 0.8])  # Σx along v_α: a non-white shared-basis task
GAMMA = 1.0  # s > γ for the first two modes (learned to s − γ), s < γ for the others (decay)
A0 = 0.05
ETAS = np.array([0.04, 0.02, 0.01])
RECORD_EVERY = 10
T_COMMON = RECORD_EVERY * ETAS[0] * np.arange(13)  # times every run records: 0, 0.4, …, 4.8


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(3)
    U = np.linalg.qr(rng.normal(size=(5, 4)))[0]
    V = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    return Task(sigma_yx=U @ np.diag(S) @ V.T, sigma_x=V @ np.diag(D) @ V.T)


def _decayed_sgd(learning_rate):
    return optax.chain(optax.add_decayed_weights(GAMMA), optax.sgd(learning_rate))


def _errors(task, depth):
    """Max error of the closed form against train() at each η of ETAS, on T_COMMON."""
    run = train(task, depth=depth, hidden=4 if depth == 2 else None, optimizer=_decayed_sgd,
                learning_rate=ETAS, init="aligned", init_scale=A0, dtype="float64",
                n_steps=round(T_COMMON[-1] / ETAS[-1]), record_every=RECORD_EVERY,
                record=("modes",))
    _, s, _ = task.modes
    closed = theory.weight_decay_mode_strength(T_COMMON[:, None], s, A0, GAMMA, depth=depth,
                                               d=theory.shared_basis_eigenvalues(task))
    records = np.rint(T_COMMON[None, :] / (RECORD_EVERY * ETAS[:, None])).astype(int)
    assert np.allclose(run.step[records] * ETAS[:, None], T_COMMON)  # t = step · η
    modes = np.take_along_axis(run.modes[:, 0], records[:, :, None], axis=1)
    return np.abs(modes - closed).max(axis=(1, 2)), modes[-1, -1]


def test_deep_closed_form_is_the_limit_of_decayed_gradient_descent(task):
    errors, final = _errors(task, depth=2)
    ratios = errors[:-1] / errors[1:]
    # measured: errors 4.47e-3, 2.22e-3, 1.10e-3 at η = 0.04, 0.02, 0.01; ratios 2.02, 2.01
    assert np.all((ratios > 1.85) & (ratios < 2.15)), (errors, ratios)
    assert errors[-1] < 2e-3
    # modes with s > γ are learned (towards s − γ), the others forgotten
    assert np.all(final[:2] > 5 * A0 * D[:2]) and np.all(final[2:] < A0 * D[2:])


def test_shallow_closed_form_is_the_limit_of_decayed_gradient_descent(task):
    errors, final = _errors(task, depth=1)
    ratios = errors[:-1] / errors[1:]
    # measured: errors 1.87e-2, 9.17e-3, 4.54e-3; ratios 2.04, 2.02
    assert np.all((ratios > 1.85) & (ratios < 2.15)), (errors, ratios)
    d = theory.shared_basis_eigenvalues(task)
    assert np.allclose(final, d * S / (d + GAMMA), rtol=1e-3)  # shrunk, every mode learned


def test_zero_decay_is_the_plain_closed_form_and_threshold_is_continuous():
    t = np.linspace(0, 6, 25)[:, None]  # every evaluation on (25, 4): eager ops compile once
    for depth in (1, 2):
        np.testing.assert_allclose(
            theory.weight_decay_mode_strength(t, S, A0, 0.0, depth=depth, d=D),
            theory.mode_strength(t, S, A0, depth=depth, d=D), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(theory.weight_decay_mode_strength(t + 1e3, S, A0, GAMMA),
                               np.broadcast_to(np.maximum(S - GAMMA, 0), (25, 4)),
                               atol=1e-12)  # soft threshold: s − γ learned, the rest gone
    # s = γ: m0 / (1 + 2 m0 t), approached from both sides
    near = theory.weight_decay_mode_strength(t, 1.0, A0, 1.0 + np.array([0, 1e-7, -1e-7, 0]))
    np.testing.assert_allclose(near[:, 0], A0 / (1 + 2 * A0 * t[:, 0]), rtol=1e-12)
    np.testing.assert_allclose(near, near[:, :1] * np.ones(4), rtol=1e-5)


@pytest.mark.parametrize("arguments, match", [
    (dict(depth=3), "depth 1 and 2"),
    (dict(gamma=-0.1), "gamma must be finite and ≥ 0"),
    (dict(s=0.0), "s must be finite and > 0"),
    (dict(t=-1.0), "t must be finite"),
])
def test_bad_arguments_are_named(arguments, match):
    values = dict(t=1.0, s=1.0, a0=0.1, gamma=0.5) | arguments
    depth = values.pop("depth", 2)
    with pytest.raises(ValueError, match=match):
        theory.weight_decay_mode_strength(values["t"], values["s"], values["a0"],
                                          values["gamma"], depth=depth)
