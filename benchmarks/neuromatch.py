"""The Neuromatch W1D2 Tutorial 3 problem: runs per second and float32 drift, semjax against
PyTorch.

    python benchmarks/neuromatch.py [--quick]

Problem (docs/theory.md §4.3; NeuromatchAcademy/course-content-dl, W1D2_Tutorial3.ipynb, "Illusory
Correlations" demo): 8 one-hot items (Shark, Tuna, Robin, Canary, Rose, Daisy, Pine, Oak) →
30 hidden units → 10000 features sampled from the branching-diffusion tree (3 levels,
2 branches, flip probability 0.15, root sign uniform) plus has_bones = [-1, 1, 1, 1, -1, -1,
-1, -1]: N3 = 10001. Bias-free, weights N(0, (γ/√(n_in + n_out))²) with γ = 1e-12,
`nn.MSELoss()`, `optim.SGD(lr=100)`, 250 full-batch epochs.

semjax's task: Σyx = Y/8, Σx = I/8 (mean convention; a scalar Σx, the isotropic path).
MSELoss averages over P·N3 entries, so its gradient is 2/N3 times that of semjax's loss
L = (1/2P) Σ ||y − W x||², and SGD with lr η is the Euler scheme with dt = 2η/N3
(docs/theory.md §1.3).

Speed (medians of interleaved repeats, compile timed apart):

* ``semjax f32 (N seeds)``: `semjax.simulate`, float32, modes and loss every step;
* ``torch f32 tutorial loop``: the tutorial's `train` (autograd on MSELoss, optim.SGD,
  per epoch the SVD of W2W1, the hidden RSM and the shark/has_bones prediction), one run at
  a time as the tutorial runs it, 2 threads;
* ``torch f32 bmm (N seeds)``: the explicit gradient with torch.bmm over a batch, loss
  every step.

Precision (the same float64 initial weights for every candidate, several seeds): max over
items × features of |prediction − float64 prediction| at the end and over all 251 epochs,
and the same for the shark/has_bones entry. The float64 reference is numpy's float64 loop of
the same gradient descent; "float64, init × (1 + 1e-7 ξ)" shows how little the float64
result moves under a float32-sized relative perturbation of the start. The plain-jax rows
take the float32 product W2ᵀE (a sum over the N3 = 10001 outputs) in two summation orders;
benchmarks/NEUROMATCH_PRECISION.md explains why that product sets the float32 drift.

Prints tables and writes benchmarks/results/neuromatch.json.
"""

from __future__ import annotations

import argparse
import math
import os
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from _harness import (
    first_call_seconds, interleaved_medians, print_table, two_thread_torch, write_json)

import semjax

N_ITEMS, HIDDEN, N_SAMPLED, LR, GAMMA, N_EPOCHS = 8, 30, 10000, 100.0, 1e-12, 250
ITEMS = ("Shark", "Tuna", "Robin", "Canary", "Rose", "Daisy", "Pine", "Oak")
HAS_BONES = (-1, 1, 1, 1, -1, -1, -1, -1)
SHARK, BONES = 0, -1  # item index, feature index of the illusory-correlation read-out


def tree_features(seed: int = 2021) -> np.ndarray:
    """Y (N3 × P): 10000 features from the tutorial's tree (build_tree(3, 2, 0.15), root flip
    probability 0.5; a leaf's value is the product of the ±1 node signs on its path to the
    root), drawn with numpy's legacy generator, then has_bones as the last feature."""
    levels = [0] + [level for level in range(1, 4) for _ in range(2 ** level)]
    flip = np.full(len(levels), 0.15)
    flip[0] = 0.5
    parent = [None] + [node for node in range((len(levels) - 1) // 2) for _ in range(2)]
    leaves = [node for node, level in enumerate(levels) if level == 3]
    signs = (np.random.RandomState(seed).rand(N_SAMPLED, len(levels)) > flip) * 2 - 1
    Y = np.empty((N_SAMPLED, len(leaves)))
    for item, node in enumerate(leaves):
        value = signs[:, node]
        while parent[node] is not None:
            node = parent[node]
            value = value * signs[:, node]
        Y[:, item] = value
    return np.vstack([Y, np.asarray(HAS_BONES, float)[None]])


Y = tree_features()
N3 = Y.shape[0]
DT = 2 * LR / N3  # semjax's dt for SGD(lr) on MSELoss (module docstring)
TASK = semjax.Task(sigma_yx=Y / N_ITEMS, sigma_x=np.eye(N_ITEMS) / N_ITEMS,
                   inputs=np.eye(N_ITEMS), item_names=ITEMS)


def initial_weights(seeds) -> tuple[np.ndarray, np.ndarray]:
    """float64 (len(seeds), 30, 8) and (len(seeds), N3, 30), the tutorial's scale per layer."""
    W1, W2 = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        W1.append(rng.standard_normal((HIDDEN, N_ITEMS)) * GAMMA / math.sqrt(N_ITEMS + HIDDEN))
        W2.append(rng.standard_normal((N3, HIDDEN)) * GAMMA / math.sqrt(HIDDEN + N3))
    return np.stack(W1), np.stack(W2)


# ---------------------------------------------------------------------------- candidates

def semjax_run(W1, W2, record=("modes", "loss"), kernel="auto"):
    """`semjax.simulate` from explicit weights, float32; returns (trajectory, the names of
    the warning classes it raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trajectory = semjax.simulate(TASK, hidden=HIDDEN, n_steps=N_EPOCHS, dt=DT,
                                     init=(W1, W2), record=record, dtype="float32",
                                     kernel=kernel)
    return trajectory, sorted({type(w.message).__name__ for w in caught})


def numpy_loop(W1, W2, dtype):
    """One run of full-batch GD on MSELoss, explicit gradient; returns every epoch's W2W1."""
    Yd, W1, W2 = Y.astype(dtype), W1.astype(dtype), W2.astype(dtype)
    scale, lr = dtype(2.0 / Y.size), dtype(LR)
    maps = [W2 @ W1]
    for _ in range(N_EPOCHS):
        G = (W2 @ W1 - Yd) * scale
        W1, W2 = W1 - lr * (W2.T @ G), W2 - lr * (G @ W1.T)
        maps.append(W2 @ W1)
    return np.stack(maps)


def torch_tutorial(W1, W2, record_maps=False):
    """The tutorial's training loop for one run (autograd, MSELoss, SGD, per-epoch SVD, RSM
    and prediction); returns the recorded illusion read-out, or every epoch's map."""
    import torch
    from torch import nn, optim
    inputs = torch.eye(N_ITEMS)
    targets = torch.from_numpy(Y.T.astype(np.float32))
    layers = nn.Sequential(nn.Linear(N_ITEMS, HIDDEN, bias=False),
                           nn.Linear(HIDDEN, N3, bias=False))
    with torch.no_grad():
        layers[0].weight.copy_(torch.from_numpy(W1.astype(np.float32)))
        layers[1].weight.copy_(torch.from_numpy(W2.astype(np.float32)))
    optimizer = optim.SGD(layers.parameters(), lr=LR)
    criterion = nn.MSELoss()
    losses, modes, rsms, illusions = [], [], [], []
    maps = [(layers[1].weight @ layers[0].weight).detach().numpy().copy()]
    for _ in range(N_EPOCHS):
        optimizer.zero_grad()
        hidden = layers[0](inputs)
        predictions = layers[1](hidden)
        loss = criterion(predictions, targets)
        loss.backward()
        optimizer.step()
        network = (layers[1].weight @ layers[0].weight).detach()
        if record_maps:
            maps.append(network.numpy().copy())
            continue
        modes.append(torch.linalg.svd(network, full_matrices=False)[1].numpy())
        rsms.append((hidden.detach() @ hidden.detach().T).numpy())
        illusions.append(predictions.detach()[SHARK, BONES].item())
        losses.append(loss.item())
    return np.stack(maps) if record_maps else np.asarray(illusions)


def torch_explicit(W1, W2):
    """One run, explicit gradient with torch float32 matmuls; every epoch's map."""
    import torch
    Yt = torch.from_numpy(Y.astype(np.float32))
    W1, W2 = (torch.from_numpy(w.astype(np.float32)) for w in (W1, W2))
    maps = [(W2 @ W1).numpy().copy()]
    with torch.no_grad():
        for _ in range(N_EPOCHS):
            G = (W2 @ W1 - Yt) * (2.0 / Y.size)
            W1, W2 = W1 - LR * (W2.T @ G), W2 - LR * (G @ W1.T)
            maps.append((W2 @ W1).numpy().copy())
    return np.stack(maps)


def torch_bmm(W1, W2):
    """A batch of runs with torch.bmm (explicit gradient), loss every epoch."""
    import torch
    Yt = torch.from_numpy(Y.astype(np.float32))
    W1, W2 = (torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32)) for w in (W1, W2))
    losses = []
    with torch.no_grad():
        for _ in range(N_EPOCHS):
            R = torch.bmm(W2, W1) - Yt
            G = R * (2.0 / Y.size)
            W1, W2 = (W1 - LR * torch.bmm(W2.transpose(1, 2), G),
                      W2 - LR * torch.bmm(G, W1.transpose(1, 2)))
            losses.append((R * R).mean(dim=(1, 2)))
    return torch.stack(losses, 1).numpy()


def _pairwise_w2te(W2, E, block: int = 64):
    """W2ᵀE summed over blocks of ``block`` outputs, the block sums added pairwise."""
    n = W2.shape[0]
    n_blocks = -(-n // block)
    pad = ((0, n_blocks * block - n), (0, 0))
    parts = jnp.einsum("kbi,kbj->kij", jnp.pad(W2, pad).reshape(n_blocks, block, -1),
                       jnp.pad(E, pad).reshape(n_blocks, block, -1))
    while parts.shape[0] > 1:
        if parts.shape[0] % 2:
            parts = jnp.concatenate([parts, jnp.zeros_like(parts[:1])])
        parts = parts[0::2] + parts[1::2]
    return parts[0]


def plain_jax(order: str):
    """semjax's Euler step written out in plain jax, float32: E = Σyx − c·W2W1,
    W1 += dt·W2ᵀE, W2 += dt·E W1ᵀ, with W2ᵀE by ``order``: "dot" (one XLA dot) or
    "pairwise" (`_pairwise_w2te`)."""
    sigma_yx = jnp.asarray(Y / N_ITEMS, jnp.float32)
    c, dt = jnp.float32(1 / N_ITEMS), jnp.float32(DT)
    w2te = _pairwise_w2te if order == "pairwise" else (lambda W2, E: W2.T @ E)

    def step(weights, _):
        W1, W2 = weights
        E = sigma_yx - c * (W2 @ W1)
        W1, W2 = W1 + w2te(W2, E) * dt, W2 + (E @ W1.T) * dt
        return (W1, W2), W2 @ W1

    @jax.jit
    def run(W1, W2):
        W1, W2 = jnp.asarray(W1, jnp.float32), jnp.asarray(W2, jnp.float32)
        return jnp.concatenate([(W2 @ W1)[None], lax.scan(step, (W1, W2), None,
                                                          length=N_EPOCHS)[1]])
    return lambda W1, W2: np.asarray(run(W1, W2))


# ----------------------------------------------------------------------------- measures

def precision(seeds) -> tuple[list, dict]:
    """Max |prediction − float64 prediction| per candidate and seed."""
    candidates = {
        "semjax f32 (auto kernel)": lambda a, b: np.asarray(
            semjax_run(a, b, record=("product",))[0].product),
        "torch f32 tutorial (autograd+SGD)": lambda a, b: torch_tutorial(a, b, True),
        "torch f32 explicit gradient": torch_explicit,
        "numpy f32": lambda a, b: numpy_loop(a, b, np.float32),
        "plain jax f32, W2ᵀE one dot": plain_jax("dot"),
        "plain jax f32, W2ᵀE pairwise blocks": plain_jax("pairwise"),
    }
    W1s, W2s = initial_weights(seeds)
    results = {}
    for index, seed in enumerate(seeds):
        W1, W2 = W1s[index], W2s[index]
        reference = numpy_loop(W1, W2, np.float64)
        noise = np.random.default_rng(10_000 + seed)
        perturbed = (W1 * (1 + 1e-7 * noise.standard_normal(W1.shape)),
                     W2 * (1 + 1e-7 * noise.standard_normal(W2.shape)))
        runs = dict(candidates)
        runs["float64, init × (1 + 1e-7 ξ)"] = lambda a, b: numpy_loop(*perturbed, np.float64)
        for name, run in runs.items():
            deviation = np.abs(run(W1, W2) - reference)
            results.setdefault(name, []).append({
                "seed": seed, "end": float(deviation[-1].max()),
                "over_time": float(deviation.max()),
                "shark_bones_end": float(deviation[-1, BONES, SHARK]),
                "shark_bones_over_time": float(deviation[:, BONES, SHARK].max())})
    rows = []
    for name, per_seed in results.items():
        def span(key):
            values = [r[key] for r in per_seed]
            return f"{np.median(values):.2g} [{min(values):.2g}, {max(values):.2g}]"
        rows.append([name, span("end"), span("over_time"), span("shark_bones_end"),
                     span("shark_bones_over_time")])
    return rows, results


def speed(batch: int, torch_batch: int, repeats: int, have_torch: bool) -> tuple[list, list]:
    W1b, W2b = initial_weights(range(batch))
    W1b32, W2b32 = W1b.astype(np.float32), W2b.astype(np.float32)
    kernels = {}

    def semjax_candidate(name, W1, W2):
        def run():
            trajectory, _ = semjax_run(W1, W2)
            kernels[name] = trajectory.info.get("kernel")
            return trajectory.loss
        return run

    candidates = {
        f"semjax f32 ({batch} seeds)": (batch, semjax_candidate(f"semjax f32 ({batch} seeds)",
                                                                W1b32, W2b32)),
        "semjax f32 (1 seed)": (1, semjax_candidate("semjax f32 (1 seed)", W1b32[0],
                                                    W2b32[0])),
    }
    if have_torch:
        candidates["torch f32 tutorial loop (1 run)"] = (
            1, lambda: torch_tutorial(W1b[0], W2b[0]))
        candidates[f"torch f32 bmm ({torch_batch} seeds)"] = (
            torch_batch, lambda: torch_bmm(W1b32[:torch_batch], W2b32[:torch_batch]))
    first = {name: first_call_seconds(run) for name, (_, run) in candidates.items()
             if name.startswith("semjax")}
    medians = interleaved_medians({name: run for name, (_, run) in candidates.items()},
                                  repeats)
    rates = {name: candidates[name][0] / seconds for name, seconds in medians.items()}
    tutorial = rates.get("torch f32 tutorial loop (1 run)")
    bmm = rates.get(f"torch f32 bmm ({torch_batch} seeds)")
    records, rows = [], []
    for name, rate in rates.items():
        record = {"candidate": name, "runs": candidates[name][0], "runs_per_second": rate,
                  "seconds_per_call": medians[name], "first_call_seconds": first.get(name),
                  "kernel": kernels.get(name),
                  "x_torch_tutorial": rate / tutorial if tutorial else None,
                  "x_torch_bmm": rate / bmm if bmm else None}
        records.append(record)
        rows.append([name, record["runs"], rate, medians[name],
                     record["x_torch_tutorial"] or float("nan"),
                     record["x_torch_bmm"] or float("nan"),
                     first.get(name, float("nan")), kernels.get(name) or ""])
    return rows, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="32 seeds instead of 256, 4 precision seeds, 2 repeats")
    parser.add_argument("--repeats", type=int, default=None)
    arguments = parser.parse_args()
    have_torch = two_thread_torch() is not None
    batch = 32 if arguments.quick else 256
    repeats = arguments.repeats or (2 if arguments.quick else 3)
    seeds = range(4 if arguments.quick else 8)

    kernel_warnings = semjax_run(*(w[0].astype(np.float32)
                                   for w in initial_weights([0])))[1]
    rows, speed_records = speed(batch, batch, repeats, have_torch)
    print_table(f"Neuromatch problem (8→30→{N3}, {N_EPOCHS} epochs, float32), runs per second",
                ["candidate", "runs", "runs/s", "s/call", "x torch tutorial", "x torch bmm",
                 "first s", "kernel"], rows)
    rows, precision_records = precision(seeds) if have_torch else ([], {})
    print_table(f"max |prediction − float64| (median [min, max] over {len(seeds)} seeds)",
                ["candidate", "end, all", "over time, all", "end, shark/bones",
                 "over time, shark/bones"], rows)
    if kernel_warnings:
        print(f"\nsemjax warned on this problem: {', '.join(kernel_warnings)}")
    write_json("neuromatch", {
        "problem": {"items": list(ITEMS), "hidden": HIDDEN, "n_out": N3, "lr": LR,
                    "gamma": GAMMA, "epochs": N_EPOCHS, "semjax_dt": DT},
        "cores": os.cpu_count(), "semjax_warnings": kernel_warnings,
        "speed": speed_records, "precision": precision_records})


if __name__ == "__main__":
    main()
