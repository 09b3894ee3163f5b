"""Contextual tasks: every item of a base environment seen in each of K contexts, with outputs
shared by all contexts and outputs of one context only (Jarvis et al. 2025, Fig. 3; the
multi-context tasks of Saxe, Sodhani & Lewallen 2022)."""

from __future__ import annotations

import numpy as np

from semjax import _validation
from semjax.datasets._dataset import Dataset


def contexts(base: Dataset, n_contexts: int, *, context_targets=None,
             context_inputs: bool = False) -> Dataset:
    """Each item of ``base`` in each of ``n_contexts`` contexts.

    Item μ = k·n + i is base item i in context k (n base items, P = K·n). Its target stacks
    the base properties y_i, the same in every context (the context-independent block), then
    one block per context, holding context k's properties of item i in block k and zeros in
    the others:

        y_{(i, k)} = [y_i; 0; …; y^{(k)}_i; …; 0].

    Its input is the base item's x_i, followed, with ``context_inputs``, by a one-hot code of
    the context (what a ReLU network needs to tell contexts apart; a gated network is told by
    its gates instead). A network must map the same item to different outputs in different
    contexts, a nonlinear function of the item and the context. The contextual tasks of Saxe,
    Sodhani & Lewallen (ICML 2022) and Jarvis et al. ("Make haste slowly", ICLR 2025,
    arXiv:2503.06181) are of this form.

    Args:
        base: the environment (e.g. `four_items`).
        n_contexts: K ≥ 1.
        context_targets: per context, a (n_k, n) table of its properties of the n base items,
            or None: every context's block is the base table (the same structure, learned once
            per context).
        context_inputs: append the one-hot context code to each input.

    Returns:
        A `Dataset` with items named ``"item@c<k>"`` and properties ``"<property>"`` (shared)
        and ``"c<k>:<property>"``.

    Raises:
        ValueError: n_contexts < 1, or context tables of the wrong shape.
    """
    n_contexts = _validation.positive_int("n_contexts", n_contexts)
    n_items = base.n_items
    if context_targets is None:
        tables = [base.targets] * n_contexts
        names = [base.property_names] * n_contexts
    else:
        if len(context_targets) != n_contexts:
            raise ValueError(f"context_targets must give {n_contexts} tables (one per "
                             f"context); got {len(context_targets)}.")
        tables = [_validation.finite_matrix(f"context_targets[{k}]", table,
                                            shape=(None, n_items))
                  for k, table in enumerate(context_targets)]
        names = [tuple(f"property{j}" for j in range(table.shape[0])) for table in tables]
    context = np.repeat(np.arange(n_contexts), n_items)
    blocks = [np.tile(base.targets, n_contexts)]
    blocks += [np.tile(table, n_contexts) * (context == k) for k, table in enumerate(tables)]
    inputs = np.tile(base.inputs, n_contexts)
    if context_inputs:
        inputs = np.concatenate([inputs, np.eye(n_contexts)[:, context]])
    return Dataset.from_arrays(
        np.concatenate(blocks), inputs,
        item_names=[f"{name}@c{k}" for k in range(n_contexts) for name in base.item_names],
        property_names=[*base.property_names,
                        *(f"c{k}:{name}" for k in range(n_contexts) for name in names[k])],
        name=f"{base.name}_in_{n_contexts}_contexts")
