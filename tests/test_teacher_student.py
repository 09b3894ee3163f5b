"""Generalisation from noisy teacher data (Lampinen & Ganguli, ICLR 2019):
`semjax.datasets.teacher_student` and `semjax.theory._generalisation` against gradient-flow
simulations, random matrices sampled from the generator, limits and bad inputs.

The theory is asymptotic (N1, N3 → ∞). Its finite-size error at the simulated sizes is the
draw-to-draw fluctuation of the error curves: one data set's curve deviates from the limit by
O(1/√N), measured here as the standard deviation s(t) over D independent draws of the data
(and of the network's start), while the ensemble mean's own bias is O(1/N). The comparisons
assert |mean(t) − theory(t)| <= s(t) + 2 s(t)/√D at every recorded time: the finite-size
error plus twice the sampling error of the estimated mean. They also check that the same
tolerance rejects the noiseless prediction, so it is not loose.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

import semjax
from semjax import datasets, theory
from semjax.theory import _generalisation as gen

N_IN, N_OUT = 32, 16  # N1, N3: c = 1/2, n = 16 empirical modes
S_BAR = (3.0, 1.5)  # the planted spectrum
HIDDEN = 256  # ≫ n: the random start's alignment effects are O(n/H), below the spread
INIT_SCALE = 0.005  # entries N(0, σ0²) in both layers
# A small random start learns each empirical mode like an aligned λ-balanced mode started at
# 0 with λ = ‖h0 ± g0‖² = 2Hσ0² (h0 = W1 v̂, g0 = W2ᵀ û; module docstring of _generalisation)
A0, LAM = 0.0, 2 * HIDDEN * INIT_SCALE ** 2
CONFIGS = [(0.5, 1), (1.0, 1), (0.5, 3), (1.0, 3)]  # (noise σ, P/N1): σ_eff 0.5, 1, 0.29, 0.58
DRAWS, SEEDS = 16, 2  # independent data sets; network starts per data set
N_STEPS, RECORD_EVERY = 120, 4  # the same for every configuration: one compilation per P
HORIZON = 1.5  # simulate to 1.5 × the predicted optimal stopping time


def _setting(noise, ratio):
    return dict(noise=noise, n_inputs=N_IN, n_outputs=N_OUT, n_examples=ratio * N_IN)


def _deviation(curves, prediction):
    """max over t > 0 of |mean − prediction| / (s + 2 s/√D), curves (D, T): <= 1 means within
    the finite-size error (module docstring); t = 0 is left out (W(0) ≈ 0 in every draw, so
    there is no spread), and the argmax time is returned with it."""
    spread = curves.std(axis=0, ddof=1)
    tolerance = spread * (1 + 2 / math.sqrt(curves.shape[0]))
    ratio = np.abs(curves.mean(axis=0) - prediction)[1:] / tolerance[1:]
    return ratio.max(), 1 + int(ratio.argmax())


@pytest.fixture(scope="module")
def simulations():
    """Per configuration: record times, per-draw test and train errors (seed-averaged), the
    prediction and the predicted optimum. dt is chosen per configuration (it is traced, so
    every configuration with the same P reuses one compilation)."""
    results = {}
    for noise, ratio in CONFIGS:
        setting = _setting(noise, ratio)
        optimum = gen.optimal_stopping(S_BAR, A0, lam=LAM, **setting)
        dt = HORIZON * optimum.time / N_STEPS
        tests, trains = [], []
        for draw in range(DRAWS):
            data = datasets.teacher_student(jax.random.key(draw), singular_values=S_BAR,
                                            **setting)
            task = data.task()
            run = semjax.simulate(task, hidden=HIDDEN, dt=dt, n_steps=N_STEPS,
                                  record_every=RECORD_EVERY, method="rk4", init="gaussian",
                                  init_scale=INIT_SCALE, n_seeds=SEEDS, key=draw,
                                  record=("product",), dtype="float64")
            tests.append(data.test_error(run.product).mean(axis=0))
            trains.append(task.excess_loss(run.product).mean(axis=0))
        prediction = gen.generalisation_errors(run.t, S_BAR, A0, lam=LAM, **setting)
        results[noise, ratio] = dict(t=run.t, test=np.array(tests), train=np.array(trains),
                                     prediction=prediction, optimum=optimum)
    return results


@pytest.mark.parametrize("noise, ratio", CONFIGS)
def test_errors_follow_theory_within_the_finite_size_spread(simulations, noise, ratio):
    result = simulations[noise, ratio]
    prediction = result["prediction"]
    for name in ("test", "train"):
        curves, predicted = result[name], getattr(prediction, name)
        worst, at = _deviation(curves, predicted)
        assert worst <= 1.0, (
            f"{name} error, σ={noise}, P/N={ratio}: |mean − theory| reaches {worst:.2f} × "
            f"the finite-size error at t = {result['t'][at]:.2f} (relative deviation "
            f"{abs(curves.mean(axis=0)[at] - predicted[at]) / predicted[at]:.3f})")
    np.testing.assert_allclose(result["test"].mean(axis=0)[0], prediction.test[0], rtol=1e-3)


@pytest.mark.parametrize("noise, ratio", CONFIGS)
def test_the_noiseless_prediction_is_rejected_by_the_same_tolerance(simulations, noise, ratio):
    result = simulations[noise, ratio]
    noiseless = gen.generalisation_errors(result["t"], S_BAR, A0, lam=LAM,
                                          **(_setting(noise, ratio) | {"noise": 0.0}))
    assert _deviation(result["test"], noiseless.test)[0] > 2


@pytest.mark.parametrize("noise, ratio", CONFIGS)
def test_optimal_stopping_time_within_one_record_interval(simulations, noise, ratio):
    result = simulations[noise, ratio]
    t, optimum = result["t"], result["optimum"]
    interval = t[1] - t[0]
    simulated = t[np.argmin(result["test"].mean(axis=0))]
    assert abs(simulated - optimum.time) <= interval * (1 + 1e-9), (
        f"σ={noise}, P/N={ratio}: simulated minimum at t = {simulated:.3f}, predicted "
        f"{optimum.time:.3f}, record interval {interval:.3f}")
    # the predicted minimum is the minimum of the predicted curve, on the record grid too
    assert result["prediction"].test.min() >= optimum.test_error - 1e-12
    # and no stopping time beats the paper's non-gradient shrinkage optimum
    assert optimum.test_error >= gen.shrinkage_error(S_BAR, **_setting(noise, ratio))


# ------------------------------------------------------------------- the data generator


def test_whitened_inputs_give_white_correlations_and_iid_noise():
    data = datasets.teacher_student(jax.random.key(0), n_inputs=20, n_outputs=10,
                                    n_examples=60, singular_values=[4.0, 2.0, 1.0], noise=0.3)
    task = data.task()
    assert task.isotropic and np.allclose(task.sigma_x, np.eye(20), atol=1e-13)
    np.testing.assert_allclose(np.linalg.svd(data.teacher, compute_uv=False)[:3],
                               [4.0, 2.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(data.teacher_U.T @ data.teacher_U, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(data.teacher_V.T @ data.teacher_V, np.eye(3), atol=1e-12)
    np.testing.assert_allclose((data.teacher_U * data.teacher_s) @ data.teacher_V.T,
                               data.teacher, atol=1e-12)
    # Σyx = W̄ + Z Xᵀ/P, the noise entries i.i.d. N(0, σ²/P): their variance within 4 SE
    noise = (task.sigma_yx - data.teacher).ravel() * math.sqrt(60) / 0.3
    assert abs(noise.mean()) < 4 / math.sqrt(noise.size)
    assert abs(noise.var() - 1) < 4 * math.sqrt(2 / noise.size)
    # inputs have squared norm ≈ N1, like the Gaussian test inputs
    assert abs(np.mean(np.sum(data.dataset.inputs ** 2, axis=0)) - 20) < 1e-9


def test_generator_is_a_function_of_the_key():
    options = dict(n_inputs=6, n_outputs=4, n_examples=6, singular_values=[2.0], noise=0.5)
    a = datasets.teacher_student(jax.random.key(3), **options)
    b = datasets.teacher_student(jax.random.key(3), **options)
    c = datasets.teacher_student(jax.random.key(4), **options)
    np.testing.assert_array_equal(a.dataset.targets, b.dataset.targets)
    assert not np.allclose(a.dataset.targets, c.dataset.targets)
    assert (a.n_inputs, a.n_outputs, a.n_examples) == (6, 4, 6)
    assert a.dataset.name == "teacher_student" and a.dataset.item_names[0] == "example0"


def test_noiseless_data_are_the_teacher_and_gaussian_inputs_are_allowed_undersampled():
    data = datasets.teacher_student(jax.random.key(1), n_inputs=8, n_outputs=5, n_examples=8,
                                    singular_values=[3.0, 1.0], noise=0.0)
    np.testing.assert_allclose(data.task().sigma_yx, data.teacher, atol=1e-12)
    gaussian = datasets.teacher_student(jax.random.key(1), n_inputs=8, n_outputs=5,
                                        n_examples=4, singular_values=[3.0], noise=0.1,
                                        inputs="gaussian")
    assert gaussian.dataset.inputs.shape == (8, 4) and not gaussian.task().isotropic


def test_closed_form_test_error_matches_a_test_set():
    data = datasets.teacher_student(jax.random.key(2), n_inputs=10, n_outputs=6, n_examples=10,
                                    singular_values=[2.0, 1.0], noise=0.5, n_test=20000)
    W = data.task().sigma_yx  # the map a network converges to (Σx = I)
    X, Y = data.test.inputs, data.test.targets
    sampled = 0.5 * np.mean(np.sum((W @ X - Y) ** 2, axis=0))
    per_example = 0.5 * np.sum((W @ X - Y) ** 2, axis=0)
    assert abs(sampled - data.test_error(W)) < 4 * per_example.std() / math.sqrt(20000)
    batch = np.stack([W, np.zeros_like(W), data.teacher])
    np.testing.assert_allclose(data.test_error(batch, relative=True)[1:], [1.0, 0.0])
    assert float(data.test_error(jax.numpy.asarray(W))) == pytest.approx(data.test_error(W))


@pytest.mark.parametrize("kwargs, error, argument", [
    (dict(noise=-0.1), ValueError, "noise"),
    (dict(noise=float("nan")), ValueError, "noise"),
    (dict(n_examples=0), ValueError, "n_examples"),
    (dict(n_examples=5), ValueError, "n_examples"),  # < n_inputs with whitened inputs
    (dict(n_inputs=0), ValueError, "n_inputs"),
    (dict(n_outputs=2.5), TypeError, "n_outputs"),
    (dict(singular_values=[]), ValueError, "singular_values"),
    (dict(singular_values=[1.0, -2.0]), ValueError, "singular_values"),
    (dict(singular_values=[1.0] * 7), ValueError, "singular_values"),  # > min(N1, N3)
    (dict(singular_values="abc"), TypeError, "singular_values"),
    (dict(inputs="orthogonal"), ValueError, "inputs"),
    (dict(n_test=-1), ValueError, "n_test"),
    (dict(key=0), TypeError, "key"),
])
def test_generator_bad_input(kwargs, error, argument):
    options = dict(key=jax.random.key(0), n_inputs=8, n_outputs=6, n_examples=8,
                   singular_values=[2.0], noise=0.5) | kwargs
    key = options.pop("key")
    with pytest.raises(error, match=argument):
        datasets.teacher_student(key, **options)


def test_test_error_rejects_the_wrong_shape():
    data = datasets.teacher_student(jax.random.key(0), n_inputs=4, n_outputs=3, n_examples=4,
                                    singular_values=[1.0], noise=0.1)
    with pytest.raises(ValueError, match="network_map"):
        data.test_error(np.zeros((4, 3)))


# ------------------------------------------------------------- random-matrix predictions


@pytest.fixture(scope="module")
def sampled_spectra():
    """Top singular values and overlaps of Σyx over 40 draws at N1 = 120, N3 = 60, P = N1,
    σ = 1 (σ_eff = 1, c = 1/2, threshold c^{1/4} ≈ 0.84), teacher s̄ = (2.5, 1.5, 0.5)."""
    s_bar = (2.5, 1.5, 0.5)
    top, overlaps = [], []
    for draw in range(40):
        data = datasets.teacher_student(jax.random.key(10_000 + draw), n_inputs=120,
                                        n_outputs=60, n_examples=120, singular_values=s_bar,
                                        noise=1.0)
        sigma_yx = data.dataset.targets @ data.dataset.inputs.T / 120
        # SVD through the 60 × 60 Gram matrix (its eigh is the cheapest LAPACK call here)
        values, U = np.linalg.eigh(sigma_yx @ sigma_yx.T)
        s, U = np.sqrt(values[::-1][:3]), U[:, ::-1][:, :3]
        V = sigma_yx.T @ U / s
        top.append(s)
        overlaps.append([np.abs(U[:, :2].T @ data.teacher_U[:, :2]).diagonal(),
                         np.abs(V[:, :2].T @ data.teacher_V[:, :2]).diagonal()])
    return s_bar, np.array(top), np.array(overlaps)


def test_training_singular_values_and_overlaps_match_sampled_data(sampled_spectra):
    s_bar, top, overlaps = sampled_spectra
    modes = gen.training_modes(s_bar, noise=1.0, n_inputs=120, n_outputs=60, n_examples=120)
    assert modes.detected.tolist() == [True, True, False]
    # detected modes: ŝ and both cosines within the spread of one draw (finite-size error),
    # and the mean within a few per cent (O(1/N) bias)
    for k in range(2):
        for simulated, predicted in ((top[:, k], modes.singular_value[k]),
                                     (overlaps[:, 0, k], modes.output_overlap[k]),
                                     (overlaps[:, 1, k], modes.input_overlap[k])):
            assert abs(simulated.mean() - predicted) <= simulated.std()
            assert abs(simulated.mean() - predicted) <= 0.03 * predicted
    # the output side is the short side here: its overlap is the larger one
    assert modes.output_overlap[1] > modes.input_overlap[1]
    # the undetected mode leaves no outlier: the third value is the top of the bulk, at the
    # edge up to the Tracy–Widom scale n^{-2/3} of the largest bulk value
    edge = theory.noise_bulk_edge(120, 60, 1.0 / 120)
    assert modes.singular_value[2] == pytest.approx(edge)
    assert abs(top[:, 2].mean() - edge) <= edge * 60 ** (-2 / 3)
    assert modes.overlap[2] == 0.0


def test_detection_threshold_is_the_bbp_point():
    setting = dict(noise=1.0, n_inputs=200, n_outputs=100, n_examples=200)
    threshold = gen.detection_threshold(**setting)
    assert threshold == pytest.approx((200 * 100) ** 0.25 / math.sqrt(200))
    below, above = gen.training_modes([0.999 * threshold, 1.001 * threshold],
                                      **setting).singular_value
    edge = theory.noise_bulk_edge(200, 100, 1 / 200)
    assert below == pytest.approx(edge, rel=1e-12)
    assert above == pytest.approx(edge, rel=1e-5)  # continuous at the transition
    np.testing.assert_allclose(gen.training_modes(threshold * 1.0001, **setting).overlap, 0,
                               atol=0.05)
    # more examples act as less noise: σ_eff = σ √(N1/P)
    assert gen.detection_threshold(**(setting | {"n_examples": 800})) == pytest.approx(
        threshold / 2)


def test_noise_density_is_normalised_and_its_edge_is_the_bulk_edge():
    setting = dict(noise=0.7, n_inputs=30, n_outputs=12, n_examples=45)
    edge = theory.noise_bulk_edge(30, 12, 0.7 ** 2 / 45)
    x = np.linspace(0, 1.2 * edge, 200_001)
    density = gen.training_noise_density(x, **setting)
    assert abs(np.sum(density) * (x[1] - x[0]) - 1) < 1e-3
    assert density[x > edge].max() == 0 and density[x < 0.99 * edge].max() > 0


# ----------------------------------------------------------------------------- limits


def test_vanishing_noise_recovers_the_noiseless_theory():
    t = np.linspace(0, 6, 61)
    setting = dict(n_inputs=N_IN, n_outputs=N_OUT, n_examples=N_IN)
    modes = gen.training_modes(S_BAR, noise=0.0, **setting)
    np.testing.assert_array_equal(modes.singular_value, S_BAR)
    np.testing.assert_array_equal(modes.overlap, 1.0)
    np.testing.assert_allclose(gen.training_modes(S_BAR, noise=1e-6, **setting).overlap, 1,
                               atol=1e-10)
    clean = gen.generalisation_errors(t, S_BAR, 1e-3, noise=0.0, **setting)
    strengths = np.asarray(theory.mode_strength(t[:, None], np.array(S_BAR), 1e-3))
    expected = 0.5 * np.sum((strengths - np.array(S_BAR)) ** 2, axis=1)
    np.testing.assert_allclose(clean.test, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(clean.train, expected, rtol=1e-12, atol=1e-14)
    for noise in (1e-3, 1e-5):  # continuous as σ → 0 (the bulk takes forever to learn)
        noisy = gen.generalisation_errors(t, S_BAR, 1e-3, noise=noise, **setting)
        np.testing.assert_allclose(noisy.test, clean.test, atol=30 * noise)


def test_many_examples_drive_the_overlaps_to_one():
    overlaps = [gen.training_modes(S_BAR, noise=1.0, n_inputs=N_IN, n_outputs=N_OUT,
                                   n_examples=ratio * N_IN) for ratio in (1, 10, 100, 10_000)]
    products = np.array([modes.overlap for modes in overlaps])
    assert np.all(np.diff(products, axis=0) > 0)
    np.testing.assert_allclose(products[-1], 1, atol=1e-3)
    np.testing.assert_allclose(overlaps[-1].singular_value, S_BAR, rtol=1e-3)


def test_late_time_limits_are_exact():
    """As t → ∞ the network fits Σyx: E_train → 0 and E_test → ½E‖Z̃‖² = ½ N1 N3 σ²/P
    (exact in expectation: the O(1) bulk corrections restore it)."""
    for noise, ratio in CONFIGS:
        setting = _setting(noise, ratio)
        late = gen.generalisation_errors([400.0], S_BAR, 1e-3, **setting)
        expected = 0.5 * N_IN * N_OUT * noise ** 2 / (ratio * N_IN)
        assert late.test[0] == pytest.approx(expected, rel=2e-3)
        assert late.train[0] < 1e-3 * expected
        start = gen.generalisation_errors([0.0], S_BAR, 1e-9, relative=True, **setting)
        np.testing.assert_allclose([start.train[0], start.test[0]], 1, atol=1e-6)


def test_deeper_networks_use_the_deeper_mode_strength():
    setting = _setting(1.0, 1)
    t = np.array([0.5, 2.0])
    deep = gen.generalisation_errors(t, [3.0], 0.05, depth=3, **setting | {"noise": 0.0})
    strength = np.asarray(theory.mode_strength(t, 3.0, 0.05, depth=3))
    np.testing.assert_allclose(deep.test, 0.5 * (strength - 3.0) ** 2, rtol=1e-10, atol=1e-12)
    noisy = gen.generalisation_errors(t, S_BAR, 0.05, depth=3, n_nodes=16, **setting)
    assert np.all(np.isfinite(noisy.test)) and not np.allclose(noisy.test, deep.test)


@pytest.mark.parametrize("call, error, argument", [
    (lambda: gen.training_modes([1.0], noise=-1, n_inputs=4, n_outputs=4, n_examples=4),
     ValueError, "noise"),
    (lambda: gen.training_modes([1.0], noise=1, n_inputs=4, n_outputs=4, n_examples=3),
     ValueError, "n_examples"),
    (lambda: gen.training_modes([], noise=1, n_inputs=4, n_outputs=4, n_examples=4),
     ValueError, "s_bar"),
    (lambda: gen.training_modes([-1.0], noise=1, n_inputs=4, n_outputs=4, n_examples=4),
     ValueError, "s_bar"),
    (lambda: gen.generalisation_errors([0.0], [1.0] * 5, 1e-3, noise=1, n_inputs=4,
                                       n_outputs=4, n_examples=4), ValueError, "s_bar"),
    (lambda: gen.generalisation_errors([-1.0], [1.0], 1e-3, noise=1, n_inputs=4,
                                       n_outputs=4, n_examples=4), ValueError, "t must"),
    (lambda: gen.generalisation_errors([1.0], [1.0], 0.0, noise=1, n_inputs=4,
                                       n_outputs=4, n_examples=4), ValueError, "a0"),
    (lambda: gen.generalisation_errors([1.0], [1.0], 1e-3, lam=0.1, depth=3, noise=1,
                                       n_inputs=4, n_outputs=4, n_examples=4), ValueError, "lam"),
    (lambda: gen.generalisation_errors([1.0], [0.0], 1e-3, relative=True, noise=1,
                                       n_inputs=4, n_outputs=4, n_examples=4),
     ValueError, "relative"),
    (lambda: gen.training_noise_density(1.0, noise=0, n_inputs=4, n_outputs=4, n_examples=4),
     ValueError, "noise"),
    (lambda: gen.optimal_stopping([1.0], 1e-3, t_max=-1, noise=1, n_inputs=4, n_outputs=4,
                                  n_examples=4), ValueError, "t_max"),
    (lambda: gen.joint_teacher(1.0, 1.0, 1.5), ValueError, "q"),
    (lambda: gen.joint_teacher(0.0, 1.0, 0.5), ValueError, "s_a"),
])
def test_theory_bad_input(call, error, argument):
    with pytest.raises(error, match=argument):
        call()


# ---------------------------------------------------------------------------- transfer


@pytest.mark.parametrize("s_a, s_b, q", [(1.0, 3.0, 0.6), (3.0, 0.5, -0.2), (2.0, 2.0, 1.0),
                                         (2.0, 1.0, 0.0)])
def test_joint_teacher_is_the_svd_of_the_stacked_teachers(s_a, s_b, q):
    rng = np.random.default_rng(0)
    u_a, u_b = (v / np.linalg.norm(v) for v in rng.normal(size=(2, 5)))
    v_a = rng.normal(size=7)
    v_a /= np.linalg.norm(v_a)
    orthogonal = rng.normal(size=7)
    orthogonal -= (orthogonal @ v_a) * v_a
    v_b = q * v_a + math.sqrt(1 - q ** 2) * orthogonal / np.linalg.norm(orthogonal)
    stacked = np.vstack([s_a * np.outer(u_a, v_a), s_b * np.outer(u_b, v_b)])
    U, s, Vt = np.linalg.svd(stacked)
    joint = gen.joint_teacher(s_a, s_b, q)
    np.testing.assert_allclose(joint.singular_values, s[:2], atol=1e-12)
    head_a = np.concatenate([u_a, np.zeros(5)])
    for k in range(2):
        if s[k] < 1e-12:
            continue
        sign = np.sign(head_a @ U[:, k]) or 1.0
        assert sign * head_a @ U[:, k] == pytest.approx(joint.output_weights[k], abs=1e-12)
        assert sign * v_a @ Vt[k] == pytest.approx(joint.input_weights[k], abs=1e-12)


def test_transfer_helps_a_weak_task_and_a_misaligned_task_interferes():
    setting = dict(noise=1.0, n_inputs=N_IN, n_outputs=N_OUT, n_examples=N_IN)
    threshold = gen.detection_threshold(**setting)
    weak = gen.transfer_benefit(0.9 * threshold, 3.0, 1.0, 1e-3, **setting)
    # lost alone (only the bulk's faint overlap with the teacher helps), pulled out by B
    assert weak.alone > 0.9 and weak.benefit > 0.3
    misaligned = gen.transfer_benefit(3.0, 3.0, 0.2, 1e-3, **setting)
    assert misaligned.benefit < 0
    aligned = gen.transfer_benefit(3.0, 3.0, 1.0, 1e-3, **setting)
    assert aligned.benefit > 0 > misaligned.benefit
    # with s̄_B = 0 the second head only adds its noise
    nothing = gen.transfer_benefit(3.0, 0.0, 0.5, 1e-3, **setting)
    assert nothing.benefit <= 1e-9
    # the sign of q is irrelevant (it is an orthogonal change of the output basis)
    plus, minus = (gen.transfer_benefit(2.0, 2.5, q, 1e-3, **setting).benefit
                   for q in (0.6, -0.6))
    assert plus == pytest.approx(minus, abs=1e-9)


def test_joint_training_matches_the_transfer_prediction():
    """Head A's test error when a network learns tasks A (weak) and B (strong, aligned) at
    once, simulated on stacked data, against `transfer_errors` within the spread."""
    s_a, s_b, q, noise = 1.2, 3.0, 0.8, 1.0
    setting = dict(noise=noise, n_inputs=N_IN, n_outputs=N_OUT, n_examples=N_IN)
    benefit = gen.transfer_benefit(s_a, s_b, q, A0, lam=LAM, **setting)
    dt = HORIZON * benefit.time_joint / N_STEPS
    errors = []
    for draw in range(DRAWS):
        key = jax.random.key(500 + draw)
        data = datasets.teacher_student(key, n_inputs=N_IN, n_outputs=2 * N_OUT,
                                        n_examples=N_IN, singular_values=[s_a, s_b],
                                        noise=noise)
        # rotate teacher B's input vector to make v̄_A·v̄_B = q (output vectors stay orthogonal
        # across heads): rebuild the stacked teacher and its noisy targets
        U, V = data.teacher_U, data.teacher_V
        v_b = q * V[:, 0] + math.sqrt(1 - q ** 2) * V[:, 1]
        u_a = np.concatenate([U[:N_OUT, 0], np.zeros(N_OUT)])
        u_b = np.concatenate([np.zeros(N_OUT), U[N_OUT:, 1]])
        u_a, u_b = u_a / np.linalg.norm(u_a), u_b / np.linalg.norm(u_b)
        teacher = s_a * np.outer(u_a, V[:, 0]) + s_b * np.outer(u_b, v_b)
        X = data.dataset.inputs
        noise_part = data.dataset.targets - data.teacher @ X
        task = semjax.Task.from_dataset(datasets.Dataset.from_arrays(teacher @ X + noise_part,
                                                                     X))
        run = semjax.simulate(task, hidden=HIDDEN, dt=dt, n_steps=N_STEPS,
                              record_every=RECORD_EVERY, method="rk4", init="gaussian",
                              init_scale=INIT_SCALE, n_seeds=SEEDS, key=draw,
                              record=("product",), dtype="float64")
        head_a = run.product[..., :N_OUT, :] - teacher[:N_OUT]
        errors.append((0.5 * np.sum(head_a ** 2, axis=(-2, -1)) / (0.5 * s_a ** 2)).mean(0))
    errors = np.array(errors)
    _, joint = gen.transfer_errors(run.t, s_a, s_b, q, A0, lam=LAM, **setting)
    assert _deviation(errors, joint)[0] <= 1.0
    # the simulated optimum on head A beats task A learned alone (the predicted benefit)
    assert errors.mean(axis=0).min() < benefit.alone
    assert benefit.benefit > 0
