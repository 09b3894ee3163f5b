"""Gated deep linear networks (GDLNs): linear networks whose modules and edges are switched on
and off per item by gates that belong to the data (Saxe, Sodhani & Lewallen 2022).

A GDLN of depth L has L + 1 layers of units, layer 0 the inputs and layer L the outputs, each
split into *modules* (contiguous blocks of units), and weights W_l (n_l, n_{l−1}) of which only
the blocks of declared *edges* (target module a of layer l ← source module b of layer l−1)
exist. Per item μ, a node gate g_{l,a}(μ) multiplies the activity of module a of layer l and an
edge gate g_{l,ab}(μ) the signal along edge (a ← b), so that

    h_l(μ) = g_l(μ) ⊙ Σ_b [g_{l,ab}(μ) W_l[a, b] h_{l−1}[b](μ)]_a,     h_0(μ) = g_0(μ) ⊙ x_μ,

i.e. in dense form h_l = (W_l ⊙ M_l(μ)) h_{l−1}, M_l(μ) the block mask of the gates, and
f(x_μ) = h_L(μ). The loss is the task's, L = c · ½ Σ_μ ‖y_μ − f(x_μ)‖² (`semjax.task`).

A *pathway* p is a chain of modules (m_0, …, m_L) joined by edges; its gate is the product
g_p(μ) of the node and edge gates along it and its map the product of its blocks,
W̄_p = W_L[m_L, m_{L−1}] ⋯ W_1[m_1, m_0]. Given the gates the network is linear,

    f_{m_L}(x_μ) = Σ_{p ending at m_L} g_p(μ) W̄_p x_μ[m_0],

and gradient flow on the edges depends on the data only through the pathway correlations
(`pathway_correlations`)

    Σyx(p) = c Σ_μ g_p(μ) y_μ[m_L(p)] x_μ[m_0(p)]ᵀ,
    Σx(q, p) = c Σ_μ g_q(μ) g_p(μ) x_μ[m_0(q)] x_μ[m_0(p)]ᵀ     (m_L(q) = m_L(p)),

τ dW_e/dt = Σ_{p∋e} W̄_{after e}ᵀ [Σyx(p) − Σ_q W̄_q Σx(q, p)] W̄_{before e}ᵀ. A ReLU
network is the GDLN whose node gates are its own activation pattern (`Gates.relu`).

`Gates` is what a user gives (`semjax.simulate(..., gates=...)`): the graph and the gate
values. The spec splits it into the static, hashable `GatedNetwork` (the graph; it plays the
role of `semjax.dynamics.Network`) and the traced `GateValues` that travel with the items in
the `semjax.dynamics.Items` objective (a minibatch draws its items' gates).

References:
    A. M. Saxe, S. Sodhani, S. Lewallen, "The neural race reduction: dynamics of abstraction
    in gated networks", ICML (2022). D. Jarvis, R. Klein, B. Rosman, A. M. Saxe, "Make haste
    slowly: a theory of emergent structured mixed selectivity in feature learning ReLU
    networks", ICLR (2025), arXiv:2503.06181.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from semjax import _validation
from semjax.dynamics import _network
from semjax.task import fix_signs

MAX_PATHWAYS = 4096  # pathways enumerated (read-out, theory); deeper graphs are refused


# ----------------------------------------------------------------------------- the graph

@dataclasses.dataclass(frozen=True)
class GatedNetwork:
    """The static form of a GDLN (module docstring): its modules and edges (which gates vary
    is the structure of its `GateValues`).

    Attributes:
        modules: per layer 0..L (inputs first), the widths of its modules.
        edges: per weight layer l = 1..L, the (target, source) module pairs that exist, sorted.
    """

    modules: tuple
    edges: tuple
    linear_chain = False  # the map depends on the item: the correlation form does not apply

    @property
    def depth(self) -> int:
        return len(self.edges)

    @property
    def widths(self) -> tuple[int, ...]:
        """The number of units of every layer."""
        return tuple(sum(layer) for layer in self.modules)

    def offsets(self, layer: int) -> np.ndarray:
        """First unit of every module of ``layer`` (and the layer's width last)."""
        return np.concatenate([[0], np.cumsum(self.modules[layer])])

    def unit_modules(self, layer: int) -> np.ndarray:
        """The module of every unit of ``layer``."""
        return np.repeat(np.arange(len(self.modules[layer])), self.modules[layer])

    def indicators(self, layer: int) -> np.ndarray:
        """(n_modules, n_units) 0/1: which units form each module of ``layer``."""
        return (self.unit_modules(layer)[None, :]
                == np.arange(len(self.modules[layer]))[:, None]).astype(float)

    @functools.cached_property
    def paths(self) -> tuple[tuple[int, ...], ...]:
        """Every pathway (m_0, ..., m_L), in lexicographic order."""
        chains = [(m,) for m in range(len(self.modules[0]))]
        for layer_edges in self.edges:
            chains = [(*chain, target) for chain in chains
                      for target, source in sorted(layer_edges) if source == chain[-1]]
        return tuple(sorted(chains))

    @functools.cached_property
    def edge_list(self) -> tuple[tuple[int, int, int], ...]:
        """Every edge as (weight layer l = 1..L, target, source), layer by layer."""
        return tuple((layer + 1, target, source) for layer, layer_edges in enumerate(self.edges)
                     for target, source in layer_edges)

    @functools.cached_property
    def path_edges(self) -> np.ndarray:
        """(n_paths, L): the index in `edge_list` of each pathway's edge in each layer."""
        index = {edge: i for i, edge in enumerate(self.edge_list)}
        return np.array([[index[(layer + 1, path[layer + 1], path[layer])]
                          for layer in range(self.depth)] for path in self.paths], dtype=int)

    def edge_mask(self, layer: int) -> np.ndarray | None:
        """(n_l, n_{l−1}) 0/1 mask of the blocks of weight layer ``layer`` (1..L) that exist,
        or None when every pair of modules is joined."""
        edges = self.edges[layer - 1]
        if len(edges) == len(self.modules[layer]) * len(self.modules[layer - 1]):
            return None
        blocks = np.zeros((len(self.modules[layer]), len(self.modules[layer - 1])))
        for target, source in edges:
            blocks[target, source] = 1.0
        return self.indicators(layer).T @ blocks @ self.indicators(layer - 1)

    # -- the map, for one run
    def _layer(self, layer: int, weight, values, gates: GateValues):
        """h_l = g_l ⊙ Σ_b g_{l,ab} W_l[a, b] h_{l−1}[b] for weight layer ``layer`` (1..L)."""
        mask = self.edge_mask(layer)
        weight = weight if mask is None else weight * mask.astype(weight.dtype)
        edge_gates = gates.edges[layer - 1]
        if edge_gates is None:
            values = _network.matmul(weight, values)
        else:  # source module by source module, each block's rows gated per item
            offsets, total = self.offsets(layer - 1), 0
            rows = self.unit_modules(layer)
            slot = {edge: i for i, edge in enumerate(self.edges[layer - 1])}
            padded = jnp.concatenate([edge_gates, jnp.zeros_like(edge_gates[:1])])
            for source in range(len(self.modules[layer - 1])):
                which = np.array([slot.get((target, source), len(slot)) for target in rows])
                block = slice(offsets[source], offsets[source + 1])
                total = total + padded[which] * _network.matmul(weight[:, block],
                                                                values[block])
            values = total
        return _gate_rows(values, gates.nodes[layer], self.unit_modules(layer))

    def apply(self, weights, inputs, gates: GateValues):
        """The outputs f(X) for inputs X (N1, P) under the items' gates, layer by layer."""
        values = _gate_rows(inputs, gates.nodes[0], self.unit_modules(0))
        for layer, weight in enumerate(weights, start=1):
            values = self._layer(layer, weight, values, gates)
        return values

    def hidden(self, weights, inputs, gates: GateValues):
        """The first layer's gated activity h_1 (the network's outputs at depth 1)."""
        return self.apply(weights[:1], inputs, gates)

    def pathway_modes(self, weights, gates: GateValues):
        """a_{p,α} = u_αᵀ W̄_p v_α: every pathway's map W̄_p projected on the pathways' shared
        singular vectors (`PathwayCorrelations.U`, ``V``), shape (n_paths, r). Under the
        reduction's assumptions these are the strengths its ODE evolves (`semjax.theory`)."""
        right = gates.V
        indicator = [np.stack([self.indicators(layer)[path[layer]] for path in self.paths])
                     for layer in range(self.depth + 1)]
        values = indicator[0][:, :, None] * right[None]
        for layer, weight in enumerate(weights, start=1):
            values = indicator[layer][:, :, None] * jnp.einsum("ij,pjr->pir", weight, values)
        return jnp.einsum("ir,pir->pr", gates.U, values)


def _gate_rows(values, node_gates, unit_modules):
    """``values`` (n_units, P) with each unit's row times its module's gate on every item."""
    return values if node_gates is None else values * node_gates[unit_modules]


@functools.partial(jax.tree_util.register_dataclass,
                   data_fields=("nodes", "edges", "U", "V"), meta_fields=())
@dataclasses.dataclass(frozen=True)
class GateValues:
    """The traced data of a GDLN run: the gates of every item and the pathways' bases.

    Attributes:
        nodes: per layer 0..L, node gates (n_modules, P), or None (always on).
        edges: per weight layer, edge gates (n_edges, P) in the layer's edge order, or None.
        U, V: the pathways' shared output (N3, r) and input (N1, r) singular vectors
            (`pathway_correlations`), for the ``pathway_modes`` read-out.
    """

    nodes: tuple
    edges: tuple
    U: object
    V: object

    def take(self, items):
        """The gates of the items ``items`` (the bases unchanged)."""
        def pick(gates):
            return None if gates is None else gates[:, items]
        return GateValues(tuple(map(pick, self.nodes)), tuple(map(pick, self.edges)), self.U,
                          self.V)


# ----------------------------------------------------------------------------- what users give

def _pairs(name: str, value, n_targets: int, n_sources: int) -> tuple:
    if value is None:
        return tuple(itertools.product(range(n_targets), range(n_sources)))
    try:
        pairs = tuple((int(a), int(b)) for a, b in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list of (target module, source module) pairs, e.g. "
                        f"[(0, 0), (1, 0)]; got {_validation.describe(value)}.") from None
    for target, source in pairs:
        if not (0 <= target < n_targets and 0 <= source < n_sources):
            raise ValueError(f"{name} has the edge ({target}, {source}), but the layer joins "
                             f"{n_sources} source module(s) to {n_targets} target module(s): "
                             f"use target in 0..{n_targets - 1}, source in 0..{n_sources - 1}.")
    if len(set(pairs)) != len(pairs) or not pairs:
        raise ValueError(f"{name} must list each (target, source) edge once, and at least one; "
                         f"got {list(pairs)}.")
    return tuple(sorted(pairs))


def _per_layer(name: str, value, n_layers: int, first: int) -> list:
    """A sequence of ``n_layers`` entries (or None for all None) from a sequence or a mapping
    keyed by layer number ``first``..``first + n_layers − 1``."""
    if value is None:
        return [None] * n_layers
    if isinstance(value, Mapping):
        unknown = [key for key in value if key not in range(first, first + n_layers)]
        if unknown:
            raise ValueError(f"{name} has the layer(s) {unknown}; this network's are "
                             f"{first}..{first + n_layers - 1}.")
        return [value.get(layer) for layer in range(first, first + n_layers)]
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != n_layers:
        raise ValueError(f"{name} must give {n_layers} entries (one per layer {first}.."
                         f"{first + n_layers - 1}, None where there is none) or a mapping "
                         f"{{layer: ...}}; got {_validation.describe(value)}.")
    return list(value)


def _gate_array(name: str, value, rows: int, n_items: int | None) -> np.ndarray | None:
    """A gate array (rows, P) as float64, or None."""
    return None if value is None else _validation.finite_matrix(name, value,
                                                               shape=(rows, n_items))


@dataclasses.dataclass(frozen=True, eq=False, init=False)
class Gates:
    """A gated deep linear network: its graph and the gates of every item (module docstring).

    Item μ is mapped by f(x_μ) = (W_L ⊙ M_L(μ)) ⋯ (W_1 ⊙ M_1(μ)) (g_0(μ) ⊙ x_μ), with M_l(μ)
    the block mask its node and edge gates make of layer l (Saxe, Sodhani & Lewallen, "The
    neural race reduction", ICML 2022; docs/gated-networks.md).

    Give it to `semjax.simulate` or `semjax.train` as ``gates=``; the network then has the
    layer widths of ``modules`` (pass the matching ``depth`` and ``hidden``) and trains on
    the task's items, item μ seeing the gates of column μ.

    Args:
        modules: per layer of units, inputs first and outputs last (L + 1 layers for depth L),
            the widths of its modules, e.g. ``[[4], [8, 8], [7]]``; a layer's widths sum to its
            size (N1, the hidden widths, N3).
        nodes: node gates: per layer of units (0..L) an array (n_modules, P) or None (always
            on); a sequence of L + 1 entries or a mapping {layer: gates}.
        edges: the edges of each weight layer l = 1..L (W_l joins layer l − 1 to layer l): a
            list of (target module, source module) pairs, or None for every pair; a sequence of
            L entries or a mapping {l: pairs}.
        edge_gates: per weight layer, an array (n_edges, P) in the order of that layer's
            ``edges`` (sorted), or None (always on); a sequence or a mapping {l: gates}.

    Raises:
        ValueError, TypeError: widths that are not positive integers, fewer than two layers,
            edges outside the layer, modules on no input→output pathway, gate arrays of the
            wrong shape or with non-finite values, or gates for different numbers of items;
            each message names the argument and the fix.
    """

    network: GatedNetwork
    nodes: tuple
    edge_gates: tuple

    def __init__(self, modules, *, nodes=None, edges=None, edge_gates=None):
        if (not isinstance(modules, Sequence) or isinstance(modules, str) or len(modules) < 2
                or any(not isinstance(layer, Sequence) or not layer for layer in modules)):
            raise ValueError(f"Gates(modules=...) must list the module widths of every layer, "
                             f"inputs first and outputs last (at least 2 layers), e.g. "
                             f"[[4], [8, 8], [7]]; got {_validation.describe(modules)}.")
        modules = tuple(tuple(_validation.positive_int(f"modules[{layer}]", width)
                              for width in widths) for layer, widths in enumerate(modules))
        depth = len(modules) - 1
        edges = tuple(_pairs(f"edges[{layer}]", pairs, len(modules[layer]),
                             len(modules[layer - 1]))
                      for layer, pairs in enumerate(_per_layer("edges", edges, depth, 1),
                                                    start=1))
        node_values = _per_layer("nodes", nodes, depth + 1, 0)
        edge_values = _per_layer("edge_gates", edge_gates, depth, 1)
        n_items = {np.shape(v)[-1] for v in node_values + edge_values
                   if v is not None and np.ndim(v) == 2}
        if len(n_items) > 1:
            raise ValueError(f"nodes and edge_gates must all give gates for the same P items "
                             f"(one column per item); got {sorted(n_items)} columns.")
        n_items = n_items.pop() if n_items else None
        node_values = tuple(_gate_array(f"nodes[{layer}]", value, len(modules[layer]), n_items)
                            for layer, value in enumerate(node_values))
        edge_values = tuple(_gate_array(f"edge_gates[{layer}]", value, len(edges[layer - 1]),
                                        n_items)
                            for layer, value in enumerate(edge_values, start=1))
        network = GatedNetwork(modules, edges)
        _check_connected(network)
        object.__setattr__(self, "network", network)
        object.__setattr__(self, "nodes", node_values)
        object.__setattr__(self, "edge_gates", edge_values)

    @classmethod
    def relu(cls, weights, inputs) -> Gates:
        """The GDLN a ReLU network without biases is on these inputs: every hidden unit its own
        module, gated by its activation pattern g_j(μ) = [pre-activation_j(μ) > 0], so that
        f(x_μ) = W_L D_{L−1}(μ) W_{L−1} ⋯ D_1(μ) W_1 x_μ equals the ReLU network's output
        (Jarvis et al. 2025).

        Args:
            weights: the ReLU network's (W_1, ..., W_L) (one run).
            inputs: X (N1, P), e.g. ``task.inputs``.

        Raises:
            ValueError, TypeError: weights that are not finite matrices of one run, layers that
                do not chain, or inputs of the wrong width.
        """
        given = weights
        try:
            weights = list(weights)
        except TypeError:
            weights = []
        if not weights or isinstance(given, str):
            raise TypeError(f"weights must be the ReLU network's weight matrices (W_1, ..., W_L) "
                            f"of one run; got {_validation.describe(given)}.")
        rows = None
        for layer, weight in enumerate(weights):
            weights[layer] = _validation.finite_matrix(f"weights[{layer}]", weight,
                                                       shape=(None, rows))
            rows = weights[layer].shape[0]
        values = _validation.finite_matrix("inputs", inputs, shape=(weights[0].shape[1], None))
        gates = []
        for weight in weights[:-1]:
            pre = weight @ values
            gates.append((pre > 0).astype(float))
            values = np.maximum(pre, 0.0)
        widths = [[weights[0].shape[1]], *([1] * weight.shape[0] for weight in weights[:-1]),
                  [weights[-1].shape[0]]]
        return cls(widths, nodes=[None, *gates, None])

    @classmethod
    def contexts(cls, context, *, n_in: int, hidden: int, outputs, compete: bool = False
                 ) -> Gates:
        """The neural race's contextual network (Saxe et al. 2022): one input module; a
        hidden module shared by every context (always on) and one per context (on only in
        its context), each ``hidden`` wide; output blocks (shared, context 0, …, K−1) of
        widths ``outputs`` (as `semjax.datasets.contexts` stacks them). The shared module
        feeds the shared block and context module k block k; with ``compete`` every context
        module also feeds the shared block, where it races the shared module.

        Args:
            context: each item's context, integers 0..K−1, shape (P,).
            n_in: N1.
            hidden: the width of every hidden module (the network's hidden width is
                (K + 1)·hidden).
            outputs: K + 1 widths summing to N3.
            compete: join the context modules to the shared block too.

        Raises:
            ValueError, TypeError: n_in or hidden not a positive integer, outputs not a
                sequence of at least 2 positive widths, or context not integers 0..K−1 with
                every context used.
        """
        n_in = _validation.positive_int("n_in", n_in)
        hidden = _validation.positive_int("hidden", hidden)
        if (not isinstance(outputs, (Sequence, np.ndarray)) or isinstance(outputs, str)
                or np.ndim(outputs) != 1 or len(outputs) < 2):
            raise ValueError(f"outputs must list the widths of the K + 1 output blocks (shared, "
                             f"context 0, ..., K−1), at least 2, e.g. [7, 7, 7]; got "
                             f"{_validation.describe(outputs)}.")
        outputs = [_validation.positive_int(f"outputs[{index}]", width)
                   for index, width in enumerate(outputs)]
        n_contexts = len(outputs) - 1
        context = context_labels("context", context, n_contexts=n_contexts,
                                 source="outputs")
        modules = [[n_in], [hidden] * (n_contexts + 1), outputs]
        on = np.concatenate([np.ones((1, len(context))),
                             (context[None, :] == np.arange(n_contexts)[:, None])])
        edges = [(0, 0), *((k, k) for k in range(1, n_contexts + 1))]
        if compete:
            edges += [(0, k) for k in range(1, n_contexts + 1)]
        return cls(modules, nodes={1: on}, edges={2: edges})

    @property
    def n_items(self) -> int | None:
        """P, the number of items the gates are given for (None when none vary)."""
        for value in self.nodes + self.edge_gates:
            if value is not None:
                return value.shape[1]
        return None

    def path_gates(self, n_items: int) -> np.ndarray:
        """(n_paths, P): g_p(μ), the product of the node and edge gates along every pathway."""
        network = self.network
        out = np.ones((len(network.paths), n_items))
        slots = [{edge: i for i, edge in enumerate(layer)} for layer in network.edges]
        for index, path in enumerate(network.paths):
            for layer, module in enumerate(path):
                if self.nodes[layer] is not None:
                    out[index] *= self.nodes[layer][module]
                if layer and self.edge_gates[layer - 1] is not None:
                    edge = slots[layer - 1][(module, path[layer - 1])]
                    out[index] *= self.edge_gates[layer - 1][edge]
        return out

    def values(self, task, dtype, *, bases: bool = True) -> GateValues:
        """The traced form for ``task``'s items, cast to ``dtype``: the gates (layers without
        are left out) and, with ``bases``, the pathways' shared singular vectors
        (`pathway_correlations`) that the ``pathway_modes`` read-out projects on."""
        def cast(value):
            return None if value is None else jnp.asarray(value, dtype)
        U = V = None
        if bases:
            correlations = pathway_correlations(task, self)
            U, V = cast(correlations.U), cast(correlations.V)
        return GateValues(tuple(map(cast, self.nodes)), tuple(map(cast, self.edge_gates)), U, V)

    def __repr__(self) -> str:
        return (f"Gates(modules={[list(m) for m in self.network.modules]}, "
                f"n_items={self.n_items}, n_paths={len(self.network.paths)})")


def context_labels(name: str, value, *, n_items: int | None = None,
                   n_contexts: int | None = None, source: str = "") -> np.ndarray:
    """Each item's context as integers 0..K−1 with every context used, shape (P,), or a
    ValueError naming ``name`` and the fix. K is ``n_contexts`` (len(``source``) − 1, for the
    message) or, when None, the largest label + 1; P is ``n_items`` when given."""
    labels = np.asarray(value)
    if (labels.ndim != 1 or not labels.size or not np.issubdtype(labels.dtype, np.integer)
            or (n_items is not None and labels.shape != (n_items,)) or labels.min() < 0
            or (n_contexts is not None and labels.max() >= n_contexts)):
        items = "item's" if n_items is None else f"of the {n_items} items'"
        upper = "K−1" if n_contexts is None else f"{n_contexts - 1}"
        given = f" (K = len({source}) − 1 = {n_contexts})" if source else ""
        raise ValueError(f"{name} must give each {items} context as an integer in 0..{upper}"
                         f"{given}, shape (P,); got {_validation.describe(value)}.")
    n_contexts = int(labels.max()) + 1 if n_contexts is None else n_contexts
    missing = sorted(set(range(n_contexts)) - set(labels.tolist()))
    if missing:
        fix = (f"give every context at least one item, or pass fewer {source}" if source else
               f"number the contexts 0..K−1 with every one used, e.g. "
               f"np.unique({name}, return_inverse=True)[1]")
        raise ValueError(f"{name} has no item in context(s) {missing} of 0..{n_contexts - 1}: "
                         f"{fix}.")
    return labels


def _check_connected(network: GatedNetwork) -> None:
    """Every module lies on an input→output pathway (else its units never learn)."""
    if len(network.paths) > MAX_PATHWAYS:
        raise ValueError(f"Gates: the graph has {len(network.paths)} pathways (more than "
                         f"{MAX_PATHWAYS}); use fewer modules or edges.")
    on_paths = [set() for _ in network.modules]
    for path in network.paths:
        for layer, module in enumerate(path):
            on_paths[layer].add(module)
    for layer, modules in enumerate(network.modules):
        missing = sorted(set(range(len(modules))) - on_paths[layer])
        if missing:
            raise ValueError(f"Gates: module(s) {missing} of layer {layer} lie on no "
                             "input→output pathway (their units would never learn): give them "
                             "edges from the layer below and to the layer above, or remove "
                             "them from modules.")


def check_against(gates: Gates, task, shapes: tuple) -> None:
    """``gates`` fit a network of layer ``shapes`` on ``task``'s items, or a ValueError naming
    the mismatch and the fix."""
    network = gates.network
    widths = network.widths
    wanted = (shapes[0][1], *(rows for rows, _ in shapes))
    if len(widths) != len(wanted):
        raise ValueError(f"gates describe a network of depth {network.depth} "
                         f"({len(widths)} layers of units) but depth={len(shapes)}: pass "
                         f"depth={network.depth}.")
    if widths != wanted:
        raise ValueError(f"gates: the modules' widths sum to layer sizes {list(widths)}, but "
                         f"this network's are {list(wanted)} (N1, hidden..., N3): pass "
                         f"hidden={list(widths[1:-1])} and modules whose first and last "
                         f"layers sum to N1={wanted[0]} and N3={wanted[-1]}.")
    if gates.n_items is not None and gates.n_items != task.n_items:
        raise ValueError(f"gates are given for {gates.n_items} items but the task has "
                         f"{task.n_items}: give one column of gates per item of the task.")


# ----------------------------------------------------------------------------- correlations

class PathwayCorrelations(NamedTuple):
    """The data of the neural race reduction of a GDLN on a task (`pathway_correlations`).

    Attributes:
        paths: the pathways (m_0, ..., m_L).
        edges: the edges (weight layer l = 1..L, target, source).
        path_edges: (n_paths, L) the index in ``edges`` of each pathway's edge per layer.
        sigma_yx: (n_paths, N3, N1) Σyx(p), placed in the rows and columns of its modules.
        s: (n_paths, r) s_{p,α} = u_αᵀ Σyx(p) v_α, the pathways' singular values.
        d: (n_paths, n_paths, r) d_{qp,α} = v_αᵀ Σx(q, p) v_α for pathways that end in the
            same output module (0 otherwise).
        U: (N3, r) the output singular vectors, each supported on one output module per
            pathway's end (rows of different output modules are different modules' vectors).
        V: (N1, r) the input singular vectors, each supported on one input module.
        carried: (n_edges, r) whether an aligned start seeds mode α on edge e (the mode is
            carried by both of its modules).
        residual: (n_paths,) ‖Σyx(p) − Σ_α s_{p,α} u_α v_αᵀ‖ / ‖Σyx(p)‖: how far the pathway
            is from the shared-basis form the reduction assumes (0 when exact).
        coupling_residual: the largest off-diagonal ‖Vᵀ Σx(q, p) V‖ relative to the largest
            entry of any Σx(q, p) (0 when the reduction is exact).
        loss_offset: ½ c Σ_μ ‖y_μ‖² − L(T), T the best linear map: the excess loss of the
            network with every pathway at zero (`semjax.theory.race_loss`).
        depth: L.
    """

    paths: tuple
    edges: tuple
    path_edges: np.ndarray
    sigma_yx: np.ndarray
    s: np.ndarray
    d: np.ndarray
    U: np.ndarray
    V: np.ndarray
    carried: np.ndarray
    residual: np.ndarray
    coupling_residual: float
    loss_offset: float
    depth: int

    @property
    def n_paths(self) -> int:
        return len(self.paths)


_TOLERANCE = 1e-10


def pathway_correlations(task, gates: Gates) -> PathwayCorrelations:
    """Pathway correlations and their shared singular vectors: the data of the neural race
    reduction (Saxe, Sodhani & Lewallen 2022; module docstring for Σyx(p), Σx(q, p)).

    The reduction assumes that every pathway's correlations are diagonal in bases shared by
    its modules: Σyx(p) = U_{m_L} S(p) V_{m_0}ᵀ and Σx(q, p) = V_{m_0(q)} D(q, p) V_{m_0(p)}ᵀ.
    The bases are found from the data: each input module's V diagonalises a generic positive
    combination of its pathways' Σyx(p)ᵀΣyx(p) and Σx(q, p)Σx(q, p)ᵀ (equal to the common
    eigenvectors whenever they exist); each output module's u_α is the direction of
    Σ_p w_p Σyx(p) v_α. Modes are ordered by their strongest pathway, signs fixed as in
    `semjax.task`. ``residual`` and ``coupling_residual`` say how exact the form is.

    A module carries the modes it can: an input module its own, an output module those its
    pathways produce, a hidden module of width n the n strongest of the pathways through it.

    Args:
        task: a `semjax.Task` whose items generate its correlations (``item_weight`` c).
        gates: the `Gates`, for the task's P items.

    Raises:
        ValueError: a task without items that generate it, gates for another number of items,
            or no pathway that carries any signal.
    """
    if task.item_weight is None:
        raise ValueError("pathway_correlations needs a task whose items generate its "
                         "correlations (Σx = c X Xᵀ, Σyx = c Y Xᵀ): build it with "
                         "Task.from_dataset(dataset).")
    network = gates.network
    if gates.n_items is not None and gates.n_items != task.n_items:
        raise ValueError(f"gates are given for {gates.n_items} items but the task has "
                         f"{task.n_items}: give one column of gates per item.")
    c = float(task.item_weight)
    X, Y = np.asarray(task.inputs, float), np.asarray(task.targets, float)
    into = [network.indicators(0), network.indicators(network.depth)]
    paths, n_paths = network.paths, len(network.paths)
    starts = np.array([path[0] for path in paths])
    ends = np.array([path[-1] for path in paths])
    g = gates.path_gates(task.n_items)
    # Σyx(p) and Σx(q, p) placed in the rows/columns of their modules
    inputs = [X * into[0][m][:, None] for m in starts]
    sigma_yx = np.stack([c * ((Y * into[1][ends[p]][:, None]) * g[p]) @ inputs[p].T
                         for p in range(n_paths)])
    same_end = ends[:, None] == ends[None, :]
    sigma_x = {(q, p): c * (inputs[q] * (g[q] * g[p])) @ inputs[p].T  # pathways that meet
               for q, p in zip(*np.nonzero(same_end))}

    weights = np.random.default_rng(0).uniform(1.0, 2.0, size=(n_paths, n_paths + 1))
    scale = max(np.abs(sigma_yx).max(), 1e-300)
    columns, owner = [], []
    for module in range(len(network.modules[0])):
        rows = into[0][module] > 0
        mine = np.nonzero(starts == module)[0]
        combined = np.zeros((rows.sum(), rows.sum()))
        for p in mine:
            block = sigma_yx[p][:, rows]
            combined += weights[p, -1] * block.T @ block / max(np.sum(block ** 2), 1e-300)
            for q in mine[same_end[mine, p]]:
                coupling = sigma_x[q, p][np.ix_(rows, rows)]
                norm = np.sum(coupling ** 2)
                if norm > 0:
                    combined += 0.5 * weights[q, p] * coupling @ coupling.T / norm
        _, vectors = np.linalg.eigh(combined)
        for vector in vectors.T[::-1]:
            full = np.zeros(X.shape[0])
            full[rows] = vector
            if np.abs(sigma_yx[mine] @ full).max(initial=0.0) > _TOLERANCE * scale:
                columns.append(full)
                owner.append(module)
    if not columns:
        raise ValueError("pathway_correlations: no pathway carries any input-output "
                         "correlation (every Σyx(p) is 0): check the gates and the task.")
    V = np.stack(columns, axis=1)
    owner = np.array(owner)
    U = np.zeros((Y.shape[0], V.shape[1]))
    for end in set(ends.tolist()):
        rows = into[1][end] > 0
        for alpha in range(V.shape[1]):
            chosen = (ends == end) & (starts == owner[alpha])
            direction = np.einsum("p,pij,j->i", weights[chosen, -1], sigma_yx[chosen],
                                  V[:, alpha])[rows]
            if np.linalg.norm(direction) > _TOLERANCE * scale:
                U[rows, alpha] = direction / np.linalg.norm(direction)
    s = np.einsum("ia,pij,ja->pa", U, sigma_yx, V)
    order = np.argsort(-np.abs(s).max(axis=0), kind="stable")
    U, V, owner = U[:, order], V[:, order], owner[order]
    U, V = fix_signs(U, V)
    s = np.einsum("ia,pij,ja->pa", U, sigma_yx, V)
    d = np.zeros((n_paths, n_paths, V.shape[1]))
    for (q, p), block in sigma_x.items():
        d[q, p] = np.einsum("ia,ij,ja->a", V, block, V)
    return PathwayCorrelations(
        paths=paths, edges=network.edge_list, path_edges=network.path_edges,
        sigma_yx=sigma_yx, s=s, d=d, U=U, V=V,
        carried=_carried(network, s, owner, U),
        residual=np.linalg.norm(sigma_yx - np.einsum("pa,pi,ia,ja->pij", s, into[1][ends], U,
                                                     V), axis=(1, 2))
        / np.maximum(np.linalg.norm(sigma_yx, axis=(1, 2)), 1e-300),
        coupling_residual=_coupling_residual(sigma_x, V),
        loss_offset=float(task.excess_loss(np.zeros((task.n_out, task.n_in)))),
        depth=network.depth)


def _carried(network: GatedNetwork, s, owner, U) -> np.ndarray:
    """(n_edges, r): mode α is carried by both modules of edge e (`pathway_correlations`)."""
    r = s.shape[1]
    strength = s ** 2
    modules = []
    for layer, widths in enumerate(network.modules):
        carried = np.zeros((len(widths), r), bool)
        for module, width in enumerate(widths):
            if layer == 0:
                carried[module] = owner == module
            elif layer == network.depth:
                rows = network.indicators(layer)[module] > 0
                carried[module] = np.abs(U[rows]).max(axis=0) > 0
            else:
                through = [p for p, path in enumerate(network.paths) if path[layer] == module]
                total = strength[through].sum(axis=0)
                ranked = [a for a in np.argsort(-total, kind="stable") if total[a] > 0]
                carried[module, ranked[:width]] = True
        modules.append(carried)
    return np.stack([modules[layer][target] & modules[layer - 1][source]
                     for layer, target, source in network.edge_list])


def _coupling_residual(sigma_x: dict, V) -> float:
    """The largest off-diagonal entry of Vᵀ Σx(q, p) V over the pathways that meet, relative
    to the largest entry of any Σx(q, p)."""
    off = 1 - np.eye(V.shape[1])
    worst = max(np.abs(V.T @ block @ V * off).max(initial=0.0) for block in sigma_x.values())
    largest = max(np.abs(block).max(initial=0.0) for block in sigma_x.values())
    return float(worst / max(largest, 1e-300))


# ----------------------------------------------------------------------------- aligned starts

def aligned_weights(key, scale, U, V, network: GatedNetwork, carried: tuple) -> tuple:
    """Aligned, balanced start of a GDLN (the reduction's assumption), for one run, traceable
    in ``key``, ``scale`` and the bases: every edge's block is W_e = f R_a diag(c_e) R_bᵀ with
    f = scale^{1/L}, c_e the modes edge e carries, R of an input module its rows of V, of an
    output module its rows of U, and of a hidden module a Haar-random orthonormal frame in the
    columns of the modes it carries. Every carried pathway mode then starts at
    a_{p,α}(0) = scale; absent edges are zero.

    Args:
        key, scale: the run's key and init scale.
        U, V: the pathways' bases (`PathwayCorrelations.U`, ``V``).
        network: the graph (static).
        carried: `PathwayCorrelations.carried` as a tuple of tuples (static).
    """
    depth, dtype = network.depth, V.dtype
    carried = np.array(carried, dtype=bool).reshape(len(network.edge_list), -1)
    frames = [V]
    keys = jax.random.split(key, max(depth - 1, 1))
    for layer in range(1, depth):
        frame = jnp.zeros((network.widths[layer], carried.shape[1]), dtype)
        offsets = network.offsets(layer)
        for module, width in enumerate(network.modules[layer]):
            touching = [index for index, (edge_layer, target, source)
                        in enumerate(network.edge_list)
                        if (edge_layer, target) == (layer, module)
                        or (edge_layer, source) == (layer + 1, module)]
            columns = np.nonzero(carried[touching].any(axis=0))[0]
            if len(columns):
                draw = jax.random.orthogonal(jax.random.fold_in(keys[layer - 1], module), width,
                                             m=len(columns), dtype=dtype)
                frame = frame.at[offsets[module]:offsets[module + 1], columns].set(draw)
        frames.append(frame)
    frames.append(U)
    factor = scale ** (1.0 / depth)
    weights = [jnp.zeros((network.widths[layer], network.widths[layer - 1]), dtype)
               for layer in range(1, depth + 1)]
    for index, (layer, target, source) in enumerate(network.edge_list):
        rows = slice(*network.offsets(layer)[target:target + 2])
        columns = slice(*network.offsets(layer - 1)[source:source + 2])
        block = (frames[layer][rows] * carried[index]) @ frames[layer - 1][columns].T
        weights[layer - 1] = weights[layer - 1].at[rows, columns].set(factor * block)
    return tuple(weights)


def without_absent_edges(network: GatedNetwork, weights) -> tuple:
    """``weights`` (with any leading axes) with the blocks of absent edges set to zero."""
    masks = [network.edge_mask(layer) for layer in range(1, network.depth + 1)]
    return tuple(weight if mask is None else weight * mask.astype(weight.dtype)
                 for weight, mask in zip(weights, masks))
