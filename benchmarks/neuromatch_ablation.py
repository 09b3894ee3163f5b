"""Where float32 rounding enters on the Neuromatch problem: the ablations behind
benchmarks/NEUROMATCH_PRECISION.md.

    python benchmarks/neuromatch_ablation.py [--seeds 8]

Every variant starts from the same float64 weights as benchmarks/neuromatch.py and runs the
same 250 Euler steps (semjax's association: E = Σyx − c·W2W1, W1 += dt·W2ᵀE,
W2 += dt·E W1ᵀ, with Σyx = Y/8, c = 1/8, dt = 2·lr/N3); the printed number is
max over epochs, items and features of |W2W1 − float64 W2W1| (median [min, max] over seeds)
and the same for the shark/has_bones entry. Plain numpy and jax only (no semjax), so the
numbers do not move when semjax's internals do. Writes
benchmarks/results/neuromatch_ablation.json.
"""

from __future__ import annotations

import argparse
import functools

import jax

jax.config.update("jax_enable_x64", True)  # for the float64-accumulation variant

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

from _harness import print_table, write_json  # noqa: E402
from neuromatch import (BONES, DT, N_EPOCHS, N_ITEMS, SHARK, Y, initial_weights,  # noqa: E402
                        numpy_loop)

f32, f64 = np.float32, np.float64
C = 1.0 / N_ITEMS
SIGMA_YX = Y / N_ITEMS


# ------------------------------------------------ numpy float64 loops, one part in float32

def numpy_variant(rounded: str, seed_noise: int = 0):
    """float64 Euler steps with exactly one part done in float32 (or perturbed)."""
    noise = np.random.default_rng(seed_noise)

    def as32(a):
        return a.astype(f32)

    def step(W1, W2):
        if rounded == "forward W2W1":
            E = SIGMA_YX - C * (as32(W2) @ as32(W1)).astype(f64)
        else:
            E = SIGMA_YX - C * (W2 @ W1)
        if rounded == "W2ᵀE":
            d1 = (as32(W2).T @ as32(E)).astype(f64)
        else:
            d1 = W2.T @ E
        if rounded == "E W1ᵀ":
            d2 = (as32(E) @ as32(W1).T).astype(f64)
        else:
            d2 = E @ W1.T
        W1, W2 = W1 + DT * d1, W2 + DT * d2
        if rounded == "storage":
            W1, W2 = as32(W1).astype(f64), as32(W2).astype(f64)
        if rounded == "relative noise":
            W1 = W1 * (1 + 2.0 ** -24 * noise.uniform(-1, 1, W1.shape))
            W2 = W2 * (1 + 2.0 ** -24 * noise.uniform(-1, 1, W2.shape))
        return W1, W2

    def run(W1, W2):
        maps = [W2 @ W1]
        for _ in range(N_EPOCHS):
            W1, W2 = step(W1, W2)
            maps.append(W2 @ W1)
        return np.stack(maps)
    return run


# ---------------------------------------------- jax float32 loops, W2ᵀE in several orders

def _pairwise(parts):
    while parts.shape[0] > 1:
        if parts.shape[0] % 2:
            parts = jnp.concatenate([parts, jnp.zeros_like(parts[:1])])
        parts = parts[0::2] + parts[1::2]
    return parts[0]


def _blocks(W2, E, block):
    n = W2.shape[0]
    n_blocks = -(-n // block)
    pad = ((0, n_blocks * block - n), (0, 0))
    return jnp.einsum("kbi,kbj->kij", jnp.pad(W2, pad).reshape(n_blocks, block, -1),
                      jnp.pad(E, pad).reshape(n_blocks, block, -1))


def sequential_chunks_of_2(W2, E):
    """The tiled kernel's order for this shape: chunks of 2 outputs, then the 5001 partial
    sums added one after another."""
    parts = _blocks(W2, E, 2)
    return lax.scan(lambda total, part: (total + part, None), jnp.zeros_like(parts[0]),
                    parts)[0]


W2TE = {
    "one XLA dot (plain jit)": lambda W2, E: W2.T @ E,
    "one XLA dot under jax.vmap": lambda W2, E: W2.T @ E,
    "sequential chunks of 2 (tiled order)": sequential_chunks_of_2,
    "chunks of 2, added pairwise": lambda W2, E: _pairwise(_blocks(W2, E, 2)),
    **{f"blocks of {b}, added pairwise": functools.partial(
        lambda W2, E, b: _pairwise(_blocks(W2, E, b)), b=b) for b in (16, 64, 128, 512)},
    "float64 accumulation": lambda W2, E: (W2.astype(f64).T @ E.astype(f64)).astype(f32),
    "Gram form W2ᵀΣyx − c(W2ᵀW2)W1": None,  # handled in the step
    "tutorial association (W − Y)·2/(P·N3), lr": None,
}


def jax_variant(name: str):
    sigma_yx = jnp.asarray(SIGMA_YX, f32)
    targets = jnp.asarray(Y, f32)
    c, dt, lr = f32(C), f32(DT), f32(DT * Y.size / (2 * N_ITEMS))

    def step(weights, _):
        W1, W2 = weights
        if name.startswith("tutorial"):
            G = (W2 @ W1 - targets) * f32(2.0 / Y.size)
            W1, W2 = W1 - lr * (W2.T @ G), W2 - lr * (G @ W1.T)
            return (W1, W2), W2 @ W1
        E = sigma_yx - c * (W2 @ W1)
        if name.startswith("Gram"):
            d1 = W2.T @ sigma_yx - c * ((W2.T @ W2) @ W1)
        else:
            d1 = W2TE[name](W2, E)
        W1, W2 = W1 + d1 * dt, W2 + (E @ W1.T) * dt
        return (W1, W2), W2 @ W1

    def one(W1, W2):
        return jnp.concatenate([(W2 @ W1)[None],
                                lax.scan(step, (W1, W2), None, length=N_EPOCHS)[1]])

    if "vmap" in name:
        batched = jax.jit(jax.vmap(one))
        return lambda W1, W2: np.asarray(batched(jnp.asarray(W1, f32)[None],
                                                 jnp.asarray(W2, f32)[None])[0])
    single = jax.jit(one)
    return lambda W1, W2: np.asarray(single(jnp.asarray(W1, f32), jnp.asarray(W2, f32)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    arguments = parser.parse_args()
    variants = {f"f64, {part} in f32": numpy_variant(part)
                for part in ("forward W2W1", "W2ᵀE", "E W1ᵀ")}
    variants["f64, weights stored in f32 after each step"] = numpy_variant("storage")
    variants["f64, weights × (1 + U(±2⁻²⁴)) each step"] = numpy_variant("relative noise")
    variants |= {f"f32, W2ᵀE: {name}" if W2TE[name] else f"f32, {name}": jax_variant(name)
                 for name in W2TE}
    seeds = range(arguments.seeds)
    W1s, W2s = initial_weights(seeds)
    results = {}
    for index, seed in enumerate(seeds):
        reference = numpy_loop(W1s[index], W2s[index], f64)
        for name, run in variants.items():
            deviation = np.abs(run(W1s[index], W2s[index]) - reference)
            results.setdefault(name, []).append(
                {"seed": seed, "over_time": float(deviation.max()),
                 "shark_bones_over_time": float(deviation[:, BONES, SHARK].max())})
        print(f"seed {seed} done", flush=True)

    def span(values):
        return f"{np.median(values):.2g} [{min(values):.2g}, {max(values):.2g}]"
    print_table(f"max over epochs of |W2W1 − float64| (median [min, max], {len(seeds)} seeds)",
                ["variant", "all entries", "shark/has_bones"],
                [[name, span([r["over_time"] for r in rs]),
                  span([r["shark_bones_over_time"] for r in rs])]
                 for name, rs in results.items()])
    write_json("neuromatch_ablation", {"results": results})


if __name__ == "__main__":
    main()
