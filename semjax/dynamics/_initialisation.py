"""Initial weights by name, as pure traceable functions of a key and a scale.

Every initialiser maps ``(key, scale, lam)`` to a tuple of weights ``(W_1, ..., W_L)`` with the
static layer shapes, so `jax.vmap` runs it over seeds and scales in one compiled call. The
meaning of ``scale`` per initialiser:

* ``"gaussian"``: every entry i.i.d. N(0, scale²) (the paper's small random init).
* ``"uniform"``: every entry scale · U[0, 1) (the seed's init, ``eps * np.random.rand``).
* ``"orthogonal"``: each layer is scale times a Haar-random (semi-)orthogonal matrix.
* ``"aligned"``: decoupled, balanced and aligned with the task (Saxe et al. 2014 §1.3):
  W_1 = f R_1 Vᵀ, W_l = f R_l R_{l−1}ᵀ, W_L = f U R_{L−1}ᵀ with f = scale^{1/L} and Haar
  R_l, so every mode of the map starts at a_α(0) = scale (u_αᵀ W v_α = scale); for depth 2
  with ``lam`` ≠ 0 the λ-balanced aligned start of docs/theory.md §3.7. Only the
  m = min(r, hidden widths) strongest modes are seeded; the others start (and stay) at zero.
* ``"lambda_balanced"`` (depth 2): W_2ᵀW_2 − W_1W_1ᵀ = λ I with a task-independent random
  product W_2W_1 = U₀ (scale · I) V₀ᵀ (docs/theory.md §3.1, Dominé et al. 2025). With λ = 0 on a
  square task about half of such starts are "stuck" (det(UᵀU₀ V₀ᵀV) = −1: a mode is
  anti-aligned with the task and gradient flow stops at a saddle, docs/theory.md §3.6);
  `semjax.theory.exact_solution` says so for a given start.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

INIT_NAMES = ("gaussian", "uniform", "orthogonal", "aligned", "lambda_balanced")


def _layer_keys(key, n_layers: int):
    return jax.random.split(key, n_layers)


def gaussian(key, scale, shapes, dtype):
    """W_l ~ N(0, scale²) entrywise."""
    return tuple(scale * jax.random.normal(k, shape, dtype)
                 for k, shape in zip(_layer_keys(key, len(shapes)), shapes))


def uniform(key, scale, shapes, dtype):
    """W_l ~ scale · U[0, 1) entrywise (the seed's initialisation)."""
    return tuple(scale * jax.random.uniform(k, shape, dtype)
                 for k, shape in zip(_layer_keys(key, len(shapes)), shapes))


def orthogonal(key, scale, shapes, dtype):
    """W_l = scale · Q_l, Q_l Haar-random with orthonormal rows or columns (sign-corrected QR,
    Mezzadri 2007, as `jax.random.orthogonal`)."""
    return tuple(scale * jax.random.orthogonal(k, shape[0], m=shape[1], dtype=dtype)
                 for k, shape in zip(_layer_keys(key, len(shapes)), shapes))


def aligned_chain(key, scale, shapes, output_basis, input_basis):
    """Decoupled balanced start of any depth: W_l = f B_l B_{l−1}ᵀ, f = scale^{1/L}, with
    B_0 = V_m, B_L = U_m and Haar B_l (n_l × m) in between (Saxe et al. 2014 §2, eq. 14)."""
    n_modes = min(output_basis.shape[1], input_basis.shape[1], *(s[0] for s in shapes[:-1]))
    hidden = [jax.random.orthogonal(k, shape[0], m=n_modes, dtype=input_basis.dtype)
              for k, shape in zip(_layer_keys(key, len(shapes) - 1), shapes[:-1])]
    bases = [input_basis[:, :n_modes], *hidden, output_basis[:, :n_modes]]
    factor = scale ** (1.0 / len(shapes))
    return tuple(factor * bases[l + 1] @ bases[l].T for l in range(len(shapes)))


def balanced_factors(product_value, lam):
    """Singular values (s1, s2) of W_1 and W_2 with s1 s2 = p and s2² − s1² = λ
    (docs/theory.md §3.1): s1² = (√(λ² + 4p²) − λ)/2, s2² = (√(λ² + 4p²) + λ)/2, evaluated
    without cancellation."""
    root = jnp.sqrt(lam ** 2 + 4 * product_value ** 2)
    denominator = root + jnp.abs(lam)
    small = jnp.where(denominator > 0, 2 * product_value ** 2 / jnp.where(denominator > 0,
                                                                           denominator, 1), 0.0)
    large = (root + jnp.abs(lam)) / 2
    s1_squared = jnp.where(lam >= 0, small, large)
    s2_squared = jnp.where(lam >= 0, large, small)
    return jnp.sqrt(s1_squared), jnp.sqrt(s2_squared)


def lambda_balanced_pair(key, scale, lam, shapes, output_basis, input_basis):
    """Two-layer start with W_2ᵀW_2 − W_1W_1ᵀ = λ I_{N2} and W_2W_1 = scale · Σ_{i<k} u_i v_iᵀ:

        W_1 = R S_1 Bᵢₙᵀ,  W_2 = B_out S_2 Rᵀ,  R Haar (N2 × N2),

    S_1, S_2 rectangular-diagonal with (s1, s2) of `balanced_factors` on the k = min(N1, N2, N3)
    paired directions, and √λ on S_2 (λ > 0) or √−λ on S_1 (λ < 0) for the remaining hidden
    directions (feasible when N2 ≤ N3, resp. N2 ≤ N1; checked on the host).

    Args:
        output_basis: orthonormal N3 × N3 basis whose first columns carry the product.
        input_basis: orthonormal N1 × N1 basis, likewise.
    """
    (n_hidden, n_in), (n_out, _) = shapes
    n_paired = min(n_in, n_hidden, n_out)
    rotation = jax.random.orthogonal(key, n_hidden, dtype=input_basis.dtype)
    s1, s2 = balanced_factors(scale, lam)
    spare = jnp.sqrt(jnp.abs(lam))
    index = jnp.arange(n_hidden)
    s1_diagonal = jnp.where(index < n_paired, s1, jnp.where(lam < 0, spare, 0.0))
    s2_diagonal = jnp.where(index < n_paired, s2, jnp.where(lam > 0, spare, 0.0))
    first = jnp.eye(n_hidden, n_in, dtype=input_basis.dtype) * s1_diagonal[:, None]
    second = jnp.eye(n_out, n_hidden, dtype=input_basis.dtype) * s2_diagonal[None, :]
    return (rotation @ first @ input_basis.T, output_basis @ second @ rotation.T)


def initialise(name: str, key, scale, lam, shapes, output_basis, input_basis):
    """Initial weights for one run (traceable; ``name`` and ``shapes`` static).

    Args:
        name: one of `INIT_NAMES`.
        key: a jax PRNG key.
        scale: the init scale (traced), meaning per initialiser in the module docstring.
        lam: λ for ``"aligned"`` (depth 2) and ``"lambda_balanced"`` (traced).
        shapes: static layer shapes.
        output_basis: N3 × N3 orthonormal basis whose first r columns are the task's U.
        input_basis: N1 × N1 orthonormal basis whose first r columns are the task's V.
    """
    dtype = input_basis.dtype
    if name == "gaussian":
        return gaussian(key, scale, shapes, dtype)
    if name == "uniform":
        return uniform(key, scale, shapes, dtype)
    if name == "orthogonal":
        return orthogonal(key, scale, shapes, dtype)
    if name == "aligned" and len(shapes) != 2:
        return aligned_chain(key, scale, shapes, output_basis, input_basis)
    if name == "lambda_balanced":
        keys = jax.random.split(key, 3)
        output_basis = jax.random.orthogonal(keys[1], shapes[1][0], dtype=dtype)
        input_basis = jax.random.orthogonal(keys[2], shapes[0][1], dtype=dtype)
        key = keys[0]
    return lambda_balanced_pair(key, scale, lam, shapes, output_basis, input_basis)
