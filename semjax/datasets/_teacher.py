"""Teacher–student data: noisy outputs of a planted low-rank linear teacher.

The setting of Lampinen & Ganguli (ICLR 2019), "An analytic theory of generalization dynamics
and transfer learning in deep linear networks": a teacher map W̄ = Ū diag(s̄) V̄ᵀ with Haar
singular vectors and a chosen spectrum generates P training examples y = W̄ x + z with noise
z ~ N(0, σ² I) drawn once (fixed through training). The predictions for a network trained on
such data are in `semjax.theory` (`training_modes`, `generalisation_errors`,
`optimal_stopping`, ...).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.datasets._dataset import Dataset

_INPUTS = ("whitened", "gaussian")


@dataclasses.dataclass(frozen=True, eq=False)
class TeacherStudent:
    """A teacher and the noisy training data it generated.

    Attributes:
        dataset: the training data, a `Dataset` with inputs X (N1 × P) and noisy targets
            Y = W̄ X + Z (N3 × P); build the task with ``Task.from_dataset(dataset)`` (or
            `task`).
        teacher: W̄ = U diag(s) Vᵀ, shape (N3, N1).
        teacher_U: Ū, the teacher's output singular vectors, shape (N3, r).
        teacher_s: s̄, the planted singular values in the order given, shape (r,).
        teacher_V: V̄, the teacher's input singular vectors, shape (N1, r).
        noise: σ, the standard deviation of every target's noise.
        test: ``n_test`` fresh examples (inputs N(0, I), clean targets W̄x), or None.
    """

    dataset: Dataset
    teacher: np.ndarray
    teacher_U: np.ndarray
    teacher_s: np.ndarray
    teacher_V: np.ndarray
    noise: float
    test: Dataset | None = None

    @property
    def n_inputs(self) -> int:
        """N1."""
        return self.teacher.shape[1]

    @property
    def n_outputs(self) -> int:
        """N3."""
        return self.teacher.shape[0]

    @property
    def n_examples(self) -> int:
        """P, the number of training examples."""
        return self.dataset.n_items

    def task(self, *, normalise: str = "mean"):
        """The `semjax.Task` of the training data, ``Task.from_dataset(self.dataset, ...)``.

        With whitened inputs and the default "mean" convention Σx = I and Σyx = W̄ + Z Xᵀ/P,
        the setting of `semjax.theory.generalisation_errors`.
        """
        from semjax.task import Task  # datasets do not import the task module at import time

        return Task.from_dataset(self.dataset, normalise=normalise)

    def test_error(self, network_map, *, relative: bool = False):
        """Generalisation error ½‖W − W̄‖²_F of network maps W of shape (..., N3, N1).

        This is the expected loss ½ E‖W x − W̄ x‖² on fresh inputs x ~ N(0, I) with clean
        targets, in closed form (no test set needed); noisy test targets add ½ N3 σ². With
        ``relative=True`` it is divided by ½‖W̄‖²_F, the error of W = 0 (Lampinen & Ganguli's
        normalisation). Works on numpy and jax arrays, broadcasting over leading axes (e.g. a
        `Trajectory`'s ``product`` of shape (seed, time, N3, N1)).

        Raises:
            ValueError: the trailing shape is not (N3, N1).
        """
        xp = jnp if isinstance(network_map, jax.Array) else np
        network_map = xp.asarray(network_map)
        if tuple(network_map.shape[-2:]) != self.teacher.shape:
            raise ValueError(f"network_map must end in the teacher's shape {self.teacher.shape} "
                             f"(N3, N1); got shape {tuple(network_map.shape)}.")
        residual = network_map - xp.asarray(self.teacher, dtype=network_map.dtype)
        error = 0.5 * xp.sum(residual ** 2, axis=(-2, -1))
        if relative:
            error = error / (0.5 * float(np.sum(self.teacher ** 2)))
        return error


def _singular_values(values, n_inputs: int, n_outputs: int) -> np.ndarray:
    if isinstance(values, str):
        raise TypeError(f"singular_values must be a sequence of numbers; got {values!r}.")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"singular_values must be a sequence of numbers; got {values!r}.") \
            from None
    array = np.atleast_1d(array)
    if array.ndim != 1 or array.size == 0:
        raise ValueError("singular_values must be a non-empty 1-D sequence (the teacher's "
                         f"spectrum, one value per mode); got shape {array.shape}.")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        bad = array[~np.isfinite(array) | (array < 0)][0]
        raise ValueError(f"singular_values must be finite and >= 0; got {bad}. Singular "
                         "values are non-negative; flip the sign of a mode through its "
                         "singular vectors instead.")
    rank = min(n_inputs, n_outputs)
    if array.size > rank:
        raise ValueError(f"singular_values has {array.size} values but an {n_outputs} × "
                         f"{n_inputs} teacher has at most min(n_inputs, n_outputs) = {rank} "
                         "modes; pass fewer values or larger n_inputs/n_outputs.")
    return array


def _orthonormal_columns(draw: np.ndarray) -> np.ndarray:
    """Orthonormalise the columns of a Gaussian draw (rows >= columns): Haar-random.

    Gram–Schmidt with each column orthogonalised twice against the previous ones ("CGS2"):
    the Q of the draw's QR factorisation with a positive diagonal R, which is Haar
    distributed (Mezzadri 2007). On the host in float64, so the columns are orthonormal to
    rounding whatever JAX's precision, with matrix-vector products only (no LAPACK call)."""
    Q = np.array(draw, dtype=np.float64)
    for k in range(Q.shape[1]):
        column = Q[:, k]
        for _ in range(2):
            column = column - Q[:, :k] @ (Q[:, :k].T @ column)
        Q[:, k] = column / np.linalg.norm(column)
    return Q


def _normal_blocks(key, shapes) -> list[np.ndarray]:
    """Independent standard normal arrays of the given shapes from one draw (one compiled
    random call per total size), as float64 numpy arrays."""
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    sizes = [int(np.prod(shape)) for shape in shapes]
    draw = np.asarray(jax.random.normal(key, (sum(sizes),), dtype), dtype=np.float64)
    blocks, start = [], 0
    for shape, size in zip(shapes, sizes):
        blocks.append(draw[start:start + size].reshape(shape))
        start += size
    return blocks


def teacher_student(key, *, n_inputs: int, n_outputs: int, n_examples: int, singular_values,
                    noise: float, inputs: str = "whitened", n_test: int = 0) -> TeacherStudent:
    """Noisy training data from a planted low-rank linear teacher (Lampinen & Ganguli 2019).

    The teacher is W̄ = Ū diag(s̄) V̄ᵀ (N3 × N1) with Haar-random orthonormal Ū (N3 × r) and
    V̄ (N1 × r) and s̄ = ``singular_values`` (r = len(s̄)). The P training examples are

        y_μ = W̄ x_μ + z_μ,   z_μ ~ N(0, σ² I_N3) i.i.d., drawn once,

    with inputs

    * ``"whitened"`` (default; needs P >= N1): X = √P Qᵀ with Q (P × N1) Haar with
      orthonormal columns, so Σx = X Xᵀ/P = I exactly and every input has squared norm ≈ N1,
      like a standard Gaussian vector. This is the paper's setting (orthonormal inputs,
      scaled so that P > N1 averages the noise down): under `semjax.Task.from_dataset`'s
      "mean" convention Σyx = W̄ + Z Xᵀ/P with Z Xᵀ/P exactly i.i.d. N(0, σ²/P), which
      `semjax.theory.training_modes` and `generalisation_errors` describe.
    * ``"gaussian"``: X with i.i.d. N(0, 1) entries (any P); Σx is then a Wishart matrix
      (not white), outside the closed-form theory.

    Test error needs no test set: for inputs x ~ N(0, I) it is ½‖W − W̄‖²_F
    (`TeacherStudent.test_error`). ``n_test`` > 0 adds such a test set anyway.

    Args:
        key: a JAX PRNG key; everything is a deterministic function of it.
        n_inputs: N1 >= 1.
        n_outputs: N3 >= 1.
        n_examples: P >= 1 (>= N1 for whitened inputs).
        singular_values: the planted spectrum s̄, a non-empty sequence of values >= 0, at
            most min(N1, N3) of them.
        noise: σ >= 0, standard deviation of the noise on every target entry.
        inputs: ``"whitened"`` or ``"gaussian"``.
        n_test: number of clean test examples to draw (0: none).

    Returns:
        A `TeacherStudent`: the training `Dataset` (items ``example0`` …, outputs
        ``output0`` …, named ``"teacher_student"``), the teacher and its SVD, σ and the test
        set.

    Raises:
        TypeError, ValueError: an argument of the wrong type or out of range; the message
            names it and the fix.
    """
    key = _validation.prng_key("key", key)
    n_inputs = _validation.positive_int("n_inputs", n_inputs)
    n_outputs = _validation.positive_int("n_outputs", n_outputs)
    n_examples = _validation.positive_int("n_examples", n_examples)
    n_test = _validation.positive_int("n_test", n_test, minimum=0)
    spectrum = _singular_values(singular_values, n_inputs, n_outputs)
    sigma = _validation.positive_float("noise", noise, allow_zero=True)
    _validation.choice("inputs", inputs, _INPUTS)
    if inputs == "whitened" and n_examples < n_inputs:
        raise ValueError(
            f"n_examples must be >= n_inputs = {n_inputs} for whitened inputs (X Xᵀ/P = I has "
            f"rank N1); got {n_examples}. Use more examples, or inputs='gaussian' (outside "
            "the closed-form theory).")
    train_key, test_key = jax.random.split(key)
    rank = spectrum.size
    inputs_shape = (n_examples, n_inputs) if inputs == "whitened" else (n_inputs, n_examples)
    U, V, X, Z = _normal_blocks(train_key, [(n_outputs, rank), (n_inputs, rank), inputs_shape,
                                            (n_outputs, n_examples)])
    U, V = _orthonormal_columns(U), _orthonormal_columns(V)
    teacher = (U * spectrum) @ V.T
    if inputs == "whitened":
        X = np.sqrt(n_examples) * _orthonormal_columns(X).T
    Z = sigma * Z
    dataset = Dataset.from_arrays(teacher @ X + Z, X,
                                  item_names=[f"example{i}" for i in range(n_examples)],
                                  property_names=[f"output{k}" for k in range(n_outputs)],
                                  name="teacher_student")
    test = None
    if n_test:
        (X_test,) = _normal_blocks(test_key, [(n_inputs, n_test)])
        test = Dataset.from_arrays(teacher @ X_test, X_test,
                                   item_names=[f"test{i}" for i in range(n_test)],
                                   property_names=dataset.property_names,
                                   name="teacher_student_test")
    return TeacherStudent(dataset=dataset, teacher=teacher, teacher_U=U, teacher_s=spectrum,
                          teacher_V=V, noise=sigma, test=test)
