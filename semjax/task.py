"""The learning task at the level of correlations, and semjax's conventions (their one home).

Conventions (every module follows these; ``tests/test_task.py`` checks each):

* **Correlations.** For a dataset of P items with inputs X (N1 x P) and targets Y (N3 x P),
  ``Task.from_dataset`` uses the averaged ("expectation") convention of Saxe, McClelland &
  Ganguli (2019):

      Σx = X Xᵀ / P,        Σyx = Y Xᵀ / P.

  One-hot items (X = I) are therefore *not* white: Σx = I/P. The theory accepts this case
  (shared-basis non-white modes, docs/theory.md §2.5), so theory and simulation agree whatever the
  convention. ``normalise="sum"`` gives the 2014 convention Σx = X Xᵀ, Σyx = Y Xᵀ, which for
  one-hot items is the seed's experiment ``Task(sigma_yx=Y, sigma_x=I)``.
* **Loss.** L(W) = (1/2P) Σ_μ ||y_μ − W x_μ||² = ½ tr Σy − tr(Wᵀ Σyx) + ½ tr(W Σx Wᵀ), with
  W = W_L ⋯ W_1 the network map. Recorded as the *excess* loss L(W) − min L, which needs no
  Σy: ½ tr((W − T) Σx (W − T)ᵀ) with T = Σyx Σx⁺ (``Task.excess_loss``).
* **Time.** Gradient flow τ dW_l/dt = −∂L/∂W_l with time measured in units of τ (τ = 1). One
  Euler step advances t by ``dt``; full-batch gradient descent with learning rate η on L is the
  Euler scheme with dt = η.
* **Modes.** Σyx = U S Vᵀ (thin SVD, s descending). The strength of mode α of a network is
  a_α = u_αᵀ W Σx v_α, the projection of the network's estimate Σ̂yx = W Σx on the task's fixed
  singular vectors, never a re-sorted fresh SVD. At the optimum W Σx = Σyx so a_α → s_α.
* **Signs.** Singular vectors are returned with a deterministic sign: in each v_α the first
  entry whose magnitude is within 1e-6 (relative) of the largest is positive, and u_α follows
  so that U S Vᵀ is unchanged. Degenerate singular values leave the basis of their subspace
  arbitrary; compare such modes as subspaces.

References:
    A. M. Saxe, J. L. McClelland, S. Ganguli, "A mathematical theory of semantic development in
    deep neural networks", PNAS 116(23):11537 (2019). A. M. Saxe et al., "Exact solutions to the
    nonlinear dynamics of learning in deep linear neural networks", ICLR (2014).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from typing import NamedTuple

import jax
import numpy as np

from semjax import _validation

_NORMALISATIONS = ("mean", "sum")


class Modes(NamedTuple):
    """Thin SVD Σyx = U diag(s) Vᵀ with the sign convention of this module.

    Attributes:
        U: feature synthesizers, shape (N3, r), r = min(N1, N3).
        s: singular values, descending, shape (r,).
        V: object analyzers, shape (N1, r).
    """

    U: np.ndarray
    s: np.ndarray
    V: np.ndarray


def fix_signs(U: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip the signs of paired columns so that each column of V has its first near-largest
    entry positive (the convention stated in this module's docstring)."""
    magnitude = np.abs(V)
    leading = np.argmax(magnitude >= magnitude.max(axis=0, keepdims=True) * (1 - 1e-6), axis=0)
    signs = np.sign(V[leading, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return U * signs, V * signs


def require_task(value, name: str = "task") -> Task:
    """``value`` if it is a `Task`, else a TypeError naming ``name`` and how to build one."""
    if not isinstance(value, Task):
        raise TypeError(f"{name} must be a semjax.Task; got {type(value).__name__}. Build one "
                        "with semjax.Task(sigma_yx, sigma_x) or Task.from_dataset(dataset).")
    return value


def _is_concrete(value) -> bool:
    """Whether ``value`` is a host value to validate (not a tracer or a JAX placeholder)."""
    if value is None or isinstance(value, jax.core.Tracer):
        return False
    return isinstance(value, (np.ndarray, np.generic, jax.Array, list, tuple, int, float))


_DERIVED = ("U", "s", "V", "target_map", "isotropic_scale", "item_weight")


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=("sigma_yx", "sigma_x", "inputs", "targets", *_DERIVED),
    meta_fields=("item_names", "property_names", "isotropic"),
)
@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """A learning task given by its input-output and input correlations.

    A `Task` built from concrete arrays is validated when it is built (bad shapes, NaN/inf, an
    asymmetric or indefinite Σx, inconsistent items raise at once, naming the argument), and
    its derived quantities (the modes, the target map, the isotropic scale) are computed then,
    on the host in float64, and stored as pytree leaves. It is a pytree, so it passes through
    `jax.jit` and `jax.vmap` whole: inside a transformation its leaves are traced and nothing is
    recomputed (validation is skipped for traced values, equinox's ``__check_init__`` pattern).

    Attributes:
        sigma_yx: Σyx, shape (N3, N1).
        sigma_x: Σx, shape (N1, N1), symmetric positive semi-definite; ``None`` means the
            identity (white inputs).
        inputs: the items' input vectors X (N1 x P), used by item-level read-outs such as the
            hidden similarity (W1 X)ᵀ(W1 X) and by minibatch training; ``None`` means one-hot
            items (X = I, P = N1).
        targets: the items' targets Y (N3 x P), used by minibatch training (`semjax.train`
            with ``batch_size``); ``None`` derives them where the correlations determine them:
            Y = T X with T = Σyx Σx⁺, the data whose correlations are exactly Σx and Σyx when
            Σx = c X Xᵀ (one-hot items: Y = Σyx / c).
        item_names: names of the items (columns of X); default ``item0, item1, ...``.
        property_names: names of the outputs (rows of Σyx); default ``property0, ...``.
        U, s, V: derived: Σyx = U diag(s) Vᵀ with the sign convention of this module.
        target_map: derived: T = Σyx Σx⁺, the map the network converges to.
        isotropic_scale: derived: c when Σx = c·I (to 1e-12), else 1 (see ``isotropic``).
        item_weight: derived: c with Σx = c X Xᵀ and Σyx = c Y Xᵀ (1/P under the mean
            convention, 1 under the sum convention), or None when the items do not generate
            the correlations (then minibatch training is refused).
        isotropic: derived, static: whether Σx = c·I.
    """

    sigma_yx: np.ndarray
    sigma_x: np.ndarray | None = None
    inputs: np.ndarray | None = None
    targets: np.ndarray | None = None
    U: np.ndarray | None = None
    s: np.ndarray | None = None
    V: np.ndarray | None = None
    target_map: np.ndarray | None = None
    isotropic_scale: np.ndarray | None = None
    item_weight: np.ndarray | None = None
    item_names: tuple[str, ...] | None = None
    property_names: tuple[str, ...] | None = None
    isotropic: bool | None = None

    def __post_init__(self):
        if not _is_concrete(self.sigma_yx) or self.U is not None:
            return  # traced, a JAX placeholder, or already validated (pytree unflattening)
        for name, value in self._validated_fields().items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_dataset(cls, dataset, *, normalise: str = "mean") -> Task:
        """Correlations of a `semjax.datasets.Dataset` under the stated normalisation.

        Args:
            dataset: a `Dataset` with ``inputs`` X (N1 x P) and ``targets`` Y (N3 x P).
            normalise: ``"mean"`` (default, Σx = XXᵀ/P, Σyx = YXᵀ/P, the 2019 paper's
                expectation convention) or ``"sum"`` (Σx = XXᵀ, Σyx = YXᵀ, the 2014 paper's
                and the seed's).

        Examples:
            >>> from semjax import Task, datasets
            >>> data = datasets.four_items()                   # 4 items × 7 properties
            >>> Task.from_dataset(data).modes.s.round(3)       # Σyx = YXᵀ/P with P = 4
            array([0.661, 0.433, 0.25 , 0.25 ])
            >>> Task.from_dataset(data, normalise="sum").modes.s.round(3)   # Σyx = YXᵀ
            array([2.646, 1.732, 1.   , 1.   ])
        """
        _validation.choice("normalise", normalise, _NORMALISATIONS)
        if not all(hasattr(dataset, name) for name in ("inputs", "targets", "item_names",
                                                      "property_names")):
            raise TypeError(
                f"dataset must be a semjax.datasets.Dataset (inputs X, targets Y, item and "
                f"property names); got {_validation.describe(dataset)}. For a bare targets "
                "matrix Y (properties × items) use "
                "Task.from_dataset(semjax.datasets.Dataset.from_arrays(Y)) (one-hot items; "
                "inputs=X for others); for correlations you have already, "
                "semjax.Task(sigma_yx=..., sigma_x=...).")
        X = _validation.finite_matrix("dataset.inputs", dataset.inputs)
        Y = _validation.finite_matrix("dataset.targets", dataset.targets, shape=(None, X.shape[1]))
        scale = 1.0 / X.shape[1] if normalise == "mean" else 1.0
        return cls(sigma_yx=scale * Y @ X.T, sigma_x=scale * X @ X.T, inputs=X, targets=Y,
                   item_names=tuple(dataset.item_names),
                   property_names=tuple(dataset.property_names))

    def _validated_fields(self) -> dict:
        """Checked float64 arrays, defaults and derived quantities (host-side), or raise.

        Raises:
            ValueError: non-finite or mis-shaped arrays, an asymmetric or indefinite Σx,
                targets that do not reproduce Σyx, or a wrong number of names; the message
                names the argument and the fix.
        """
        sigma_yx = _validation.finite_matrix("sigma_yx", self.sigma_yx)
        n_out, n_in = sigma_yx.shape
        if self.sigma_x is None:
            sigma_x = np.eye(n_in)
        else:
            sigma_x = _validation.finite_matrix("sigma_x", self.sigma_x, shape=(n_in, n_in))
            if not np.allclose(sigma_x, sigma_x.T, rtol=1e-10, atol=1e-12 * np.abs(sigma_x).max()):
                raise ValueError("sigma_x must be symmetric (it is an input correlation X Xᵀ/P).")
            smallest = np.linalg.eigvalsh(sigma_x).min()
            if smallest < -1e-10 * np.abs(sigma_x).max():
                raise ValueError(
                    f"sigma_x must be positive semi-definite; its smallest eigenvalue is "
                    f"{smallest:.3g}. Build it as X Xᵀ/P from the items' inputs.")
        inputs = (np.eye(n_in) if self.inputs is None
                  else _validation.finite_matrix("inputs", self.inputs, shape=(n_in, None)))
        target_map = sigma_yx @ np.linalg.pinv(sigma_x, rcond=1e-12, hermitian=True)
        targets = (target_map @ inputs if self.targets is None else _validation.finite_matrix(
            "targets", self.targets, shape=(n_out, inputs.shape[1])))
        U, s, Vt = np.linalg.svd(sigma_yx, full_matrices=False)
        U, V = fix_signs(U, Vt.T)
        scale = float(np.trace(sigma_x) / n_in)
        isotropic = bool(scale > 0 and np.allclose(sigma_x, scale * np.eye(n_in), rtol=0,
                                                   atol=1e-12 * scale))
        return {
            "sigma_yx": sigma_yx, "sigma_x": sigma_x, "inputs": inputs, "targets": targets,
            "U": U, "s": s, "V": V, "target_map": target_map,
            "isotropic_scale": np.asarray(scale if isotropic else 1.0),
            "item_weight": _item_weight(sigma_x, sigma_yx, inputs, targets,
                                        explicit=self.targets is not None),
            "isotropic": isotropic,
            "item_names": _validation.names("item_names", self.item_names, inputs.shape[1],
                                            "item"),
            "property_names": _validation.names("property_names", self.property_names, n_out,
                                                "property"),
        }

    def validated(self) -> Task:
        """This task: validation happens when a task is built from concrete arrays."""
        return self

    @property
    def checked(self) -> Task:
        """This task (validated on construction; kept so that ``task.checked.sigma_x`` reads
        as before)."""
        return self

    @property
    def n_in(self) -> int:
        """N1, the input dimension."""
        return np.shape(self.sigma_yx)[1]

    @property
    def n_out(self) -> int:
        """N3, the output dimension."""
        return np.shape(self.sigma_yx)[0]

    @property
    def n_items(self) -> int:
        """P, the number of items (columns of ``inputs``)."""
        return np.shape(self.inputs)[1]

    @property
    def n_modes(self) -> int:
        """r = min(N1, N3), the number of modes recorded."""
        return min(self.n_in, self.n_out)

    @property
    def modes(self) -> Modes:
        """Σyx = U diag(s) Vᵀ with deterministic signs (computed on construction, float64)."""
        return Modes(U=self.U, s=self.s, V=self.V)

    @property
    def is_white(self) -> bool:
        """Whether Σx is the identity (to 1e-12): the condition of the closed forms of §2.2."""
        return self.input_scale is not None and abs(self.input_scale - 1) <= 1e-12

    @property
    def input_scale(self) -> float | None:
        """c when Σx = c·I (one-hot items give c = 1/P under the mean convention), else None
        (host-side)."""
        return float(self.isotropic_scale) if self.isotropic else None

    @property
    def fingerprint(self) -> str:
        """A short SHA-256 of Σyx and Σx (host-side): the task's identity, recorded in
        ``Trajectory.info["task_fingerprint"]`` so that `semjax.compare` can refuse to compare
        a run with the theory of another task."""
        digest = hashlib.sha256()
        for array in (self.sigma_yx, self.sigma_x):
            array = np.ascontiguousarray(np.asarray(array, dtype=np.float64))
            digest.update(repr(array.shape).encode())
            digest.update(array.tobytes())
        return digest.hexdigest()[:16]

    def excess_loss(self, network_map):
        """L(W) − min L = ½ tr((W − T) Σx (W − T)ᵀ) for maps of shape (..., N3, N1).

        Works on numpy and jax arrays (traceable), broadcasting over leading axes.
        """
        xp = np if isinstance(network_map, np.ndarray) else jax.numpy
        residual = network_map - xp.asarray(self.target_map, dtype=network_map.dtype)
        sigma_x = xp.asarray(self.sigma_x, dtype=network_map.dtype)
        return 0.5 * xp.einsum("...ij,jk,...ik->...", residual, sigma_x, residual)

    def mode_strengths(self, network_map):
        """a_α = u_αᵀ W Σx v_α for maps of shape (..., N3, N1); returns (..., r)."""
        xp = np if isinstance(network_map, np.ndarray) else jax.numpy
        dtype = network_map.dtype
        right = xp.asarray(self.sigma_x, dtype=dtype) @ xp.asarray(self.V, dtype=dtype)
        return xp.einsum("ia,...ij,ja->...a", xp.asarray(self.U, dtype=dtype), network_map, right)

    def __repr__(self) -> str:
        return f"Task(n_in={self.n_in}, n_out={self.n_out})"


def _item_weight(sigma_x, sigma_yx, inputs, targets, *, explicit: bool):
    """c with Σx = c X Xᵀ and Σyx = c Y Xᵀ, or None when the items do not generate Σx (then
    they only serve item-level read-outs). Explicit targets that disagree with Σyx raise."""
    gram = inputs @ inputs.T
    c = float(np.trace(sigma_x) / np.trace(gram)) if np.trace(gram) > 0 else 0.0
    tolerance = 1e-9 * max(np.abs(sigma_x).max(), np.abs(sigma_yx).max(), 1e-300)
    if c <= 0 or np.abs(c * gram - sigma_x).max() > tolerance:
        return None
    mismatch = np.abs(c * targets @ inputs.T - sigma_yx).max()
    if mismatch > tolerance:
        if explicit:
            raise ValueError(f"targets do not reproduce sigma_yx: |c·Y Xᵀ − Σyx| = {mismatch:.3g} "
                             f"with c = {c:.6g} (from Σx = c X Xᵀ). Pass the items' targets, or "
                             "leave targets=None to derive them.")
        return None
    return np.asarray(c)
