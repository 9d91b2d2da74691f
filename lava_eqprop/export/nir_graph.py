"""A network as a NIR graph (Neuromorphic Intermediate Representation, Pedersen et al. 2024,
package ``nir``), and back.

The export is the recurrent graph of the network's energy (Scellier & Bengio 2017):

* a free population (hidden, output) is a leaky integrator ``LI`` with τ = 1, r = 1 and
  v_leak = its bias b: τ·dv/dt = (b − v) + I, whose output is then clipped by the
  population's activation ρ(v) = min(max(v, lo), hi). NIR has no clip node, so the clip is
  written exactly in the node's metadata (``activation``, ``clip_low``, ``clip_high``). Run
  that way, I = Σ W·ρ(v_pre) and the fixed points are v* = W·ρ(v*) + b, i.e. s = ρ(v*) =
  clip(W·s + b): the equilibria of the engine, which keeps the state itself in the box;
* the input population is the graph's ``Input``; the output population feeds its ``Output``;
* a dense projection is a ``Linear`` node of W (post, pre), masked connections zero, on the
  edge pre → post; a symmetric one adds a ``Linear`` of Wᵀ on post → pre (none towards the
  clamped input, whose state the feedback cannot move; one node for a lateral projection,
  whose W is symmetric); a directed projection (Farinha et al. 2020) has the forward node
  alone;
* an identity skip (Hopfield-ResNet) is a ``Scale`` of its gain each way;
* a conv projection is refused: NIR has a ``Conv2d`` but no transposed convolution for the
  feedback, and no max pooling.

The metadata keep what NIR cannot say, so that :func:`import_nir` rebuilds the same network:
per node the population's or projection's name, role, activation, bias learning, mask and
plasticity; on the graph the network's name and metadata and the model spec's TOML text (the
dynamics: the engine's Euler step is dt = ε·τ). A NIR graph written elsewhere, without these
metadata, is read from its structure: ``LI`` nodes are hard-sigmoid populations, a pair of
``Linear`` nodes A → B and B → A whose weights are transposes is one symmetric projection, as
is a ``Linear`` out of the ``Input`` (the clamped input's feedback moves nothing, so a graph
need not carry it); any other ``Linear`` is a directed one.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import numpy as np

from lava_eqprop.errors import FileFormatError, NetworkError, SpecError
from lava_eqprop.network.activations import ACTIVATIONS
from lava_eqprop.network.network import Network, Population, Projection

FORMAT = "lava-eqprop/1"
"""The ``format`` of the graph's metadata this module writes."""
TRANSPOSE = ".T"
"""Suffix of the node that carries a symmetric projection's feedback Wᵀ."""
LAYER_RANK = {"input": 0, "hidden": 1, "output": 2}
"""Without the exported order, populations are laid out input, hidden, output."""


def _nir() -> Any:
    try:
        import nir
    except ModuleNotFoundError:
        raise SpecError("NIR export needs the nir package: pip install 'lava-eqprop[nir]' "
                        "(or nir)") from None
    return nir


def export_nir(network: Network) -> Any:
    """The ``nir.NIRGraph`` of ``network`` (module docstring)."""
    nir = _nir()
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    for pop in network.populations:
        if pop.clamped:
            nodes[pop.name] = nir.Input(input_type={"input": np.array(pop.shape)},
                                        metadata={"population": pop.name,
                                                  "activation": pop.activation,
                                                  "learn_bias": int(pop.learn_bias),
                                                  "bias": np.asarray(pop.bias, dtype=float)})
            continue
        act = ACTIVATIONS[pop.activation]
        ones = np.ones(pop.shape)
        nodes[pop.name] = nir.LI(tau=ones, r=ones.copy(),
                                 v_leak=pop.flat_bias().reshape(pop.shape).astype(float),
                                 metadata={"population": pop.name, "role": pop.role,
                                           "activation": pop.activation,
                                           "clip_low": float(act.lo), "clip_high": float(act.hi),
                                           "learn_bias": int(pop.learn_bias),
                                           "channel_bias": int(pop.channel_bias)})
    for proj in network.projections:
        _export_projection(nir, network, proj, nodes, edges)
    for pop in network.outputs:
        nodes[f"{pop.name}.out"] = nir.Output(output_type={"output": np.array(pop.shape)})
        edges.append((pop.name, f"{pop.name}.out"))
    metadata = {"format": FORMAT, "network": network.name,
                "network_metadata": json.dumps(network.metadata),
                "populations": json.dumps([p.name for p in network.populations]),
                "projections": json.dumps([p.name for p in network.projections]),
                "spec_toml": network.spec_text}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)


def _export_projection(nir: Any, network: Network, proj: Projection, nodes: dict[str, Any],
                       edges: list[tuple[str, str]]) -> None:
    meta = {"projection": proj.name, "kind": proj.kind, "symmetric": int(proj.symmetric),
            "plastic": int(proj.plastic)}
    if proj.kind == "conv":
        raise NetworkError(f"projection {proj.name!r} is a conv: NIR has no transposed "
                           "convolution for its feedback (nor max pooling), so conv nets are "
                           "not exported")
    feedback = (proj.symmetric and not proj.lateral
                and not network.population(proj.pre).clamped)
    if proj.kind == "identity":
        size = network.population(proj.pre).shape
        gain = np.full(size, float(proj.weight))
        nodes[proj.name] = nir.Scale(scale=gain, metadata=meta)
        if feedback:
            nodes[proj.name + TRANSPOSE] = nir.Scale(scale=gain.copy(),
                                                     metadata={"feedback_of": proj.name})
    else:
        weight = np.asarray(proj.weight, dtype=float)
        if proj.mask is not None:
            weight = np.where(proj.mask, weight, 0.0)
            meta["mask"] = proj.mask.astype(np.uint8)
        nodes[proj.name] = nir.Linear(weight=weight, metadata=meta)
        if feedback:
            nodes[proj.name + TRANSPOSE] = nir.Linear(weight=weight.T.copy(),
                                                      metadata={"feedback_of": proj.name})
    edges += [(proj.pre, proj.name), (proj.name, proj.post)]
    if feedback:
        edges += [(proj.post, proj.name + TRANSPOSE), (proj.name + TRANSPOSE, proj.pre)]


def import_nir(graph: Any) -> Network:
    """The :class:`Network` of a NIR graph written by :func:`export_nir` (exactly), or of
    another graph of ``Input``, ``LI``, ``Linear``, ``Scale`` and ``Output`` nodes read from
    its structure (module docstring). Anything else is refused, naming the node."""
    nir = _nir()
    meta = graph.metadata or {}
    populations = []
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Input):
            populations.append(_input_population(name, node))
        elif isinstance(node, nir.LI):
            populations.append(_population(name, node, graph))
        elif not isinstance(node, (nir.Linear, nir.Scale, nir.Output)):
            raise NetworkError(f"NIR node {name!r} is a {type(node).__name__}: lava-eqprop "
                               "reads Input, LI, Linear, Scale and Output nodes")
    projections = _in_order(_projections(nir, graph), meta.get("projections"))
    populations = _in_order(sorted(populations, key=lambda p: LAYER_RANK[p.role]),
                            meta.get("populations"))
    network = Network(_text(meta.get("network", "nir-network")), populations, projections,
                      metadata=json.loads(_text(meta.get("network_metadata", "{}"))))
    network.spec_text = _text(meta.get("spec_toml", ""))
    return network


def _text(value: Any) -> str:
    """A string from NIR metadata (h5py returns bytes for strings written by ``nir.write``)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _flag(meta: dict, key: str, default: bool) -> bool:
    return bool(int(meta[key])) if key in meta else default


def _input_population(name: str, node: Any) -> Population:
    meta = node.metadata or {}
    shape = tuple(int(d) for d in np.asarray(node.input_type["input"]).reshape(-1))
    return Population(_text(meta.get("population", name)), shape,
                      _text(meta.get("activation", "hard_sigmoid")), "input",
                      np.asarray(meta["bias"], dtype=float) if "bias" in meta else None,
                      learn_bias=_flag(meta, "learn_bias", False))


def _population(name: str, node: Any, graph: Any) -> Population:
    meta = node.metadata or {}
    shape = tuple(np.shape(node.v_leak))
    if not (np.all(np.asarray(node.tau) == 1) and np.all(np.asarray(node.r) == 1)):
        raise NetworkError(f"NIR node {name!r}: an EP population is an LI with tau = 1 and "
                           "r = 1 (the time unit and the input scale of the energy)")
    feeds_output = any(src == name and dst in graph.nodes
                       and type(graph.nodes[dst]).__name__ == "Output"
                       for src, dst in graph.edges)
    role = _text(meta.get("role", "output" if feeds_output else "hidden"))
    activation = _text(meta.get("activation", "hard_sigmoid"))
    if activation not in ACTIVATIONS:
        raise NetworkError(f"NIR node {name!r}: activation {activation!r} is not one of "
                           f"{', '.join(ACTIVATIONS)}")
    bias = np.asarray(node.v_leak, dtype=float)
    if _flag(meta, "channel_bias", False):
        bias = bias[:, 0, 0].copy()
    return Population(_text(meta.get("population", name)), shape, activation, role, bias,
                      learn_bias=_flag(meta, "learn_bias", True))


def _projections(nir: Any, graph: Any) -> list[Projection]:
    """One projection per weight node; a feedback node (metadata, or a transpose partner in a
    graph written elsewhere) is checked against its forward node and dropped."""
    into = {dst: src for src, dst in graph.edges}
    out_of: dict[str, list[str]] = {}
    for src, dst in graph.edges:
        out_of.setdefault(src, []).append(dst)
    weights = {name: node for name, node in graph.nodes.items()
               if isinstance(node, (nir.Linear, nir.Scale))}
    inputs = {name for name, node in graph.nodes.items() if isinstance(node, nir.Input)}
    ends = {}
    for name in weights:
        posts = out_of.get(name, [])
        if name not in into or len(posts) != 1:
            raise NetworkError(f"NIR node {name!r}: a weight node has one edge in and one out")
        ends[name] = (into[name], posts[0])
    feedback = _feedback_pairs(weights, ends)
    projections = []
    for name, node in weights.items():
        if name in feedback.values():
            continue
        pre, post = ends[name]
        meta = node.metadata or {}
        symmetric = _flag(meta, "symmetric", name in feedback or pre == post or pre in inputs)
        if name in feedback:
            _check_transpose(name, node, weights[feedback[name]])
        plastic = _flag(meta, "plastic", True)
        pname = _text(meta.get("projection", name))
        if isinstance(node, nir.Scale):
            gain = np.unique(np.asarray(node.scale))
            if len(gain) != 1:
                raise NetworkError(f"NIR node {name!r}: a Scale is an identity skip of one gain")
            projections.append(Projection(pname, pre, post, np.asarray(float(gain[0])),
                                          kind="identity", symmetric=symmetric, plastic=plastic))
            continue
        mask = np.asarray(meta["mask"]).astype(bool) if "mask" in meta else None
        projections.append(Projection(pname, pre, post, np.asarray(node.weight, dtype=float),
                                      mask=mask, symmetric=symmetric, plastic=plastic))
    return projections


def _feedback_pairs(weights: dict[str, Any], ends: dict[str, tuple[str, str]]) -> dict[str, str]:
    """forward node → its feedback node: named by metadata, or (a graph written elsewhere) the
    node on the reverse edge whose weight is the transpose."""
    pairs = {}
    for name, node in weights.items():
        forward = (node.metadata or {}).get("feedback_of")
        if forward is not None:
            pairs[_node_of(_text(forward), weights)] = name
    if pairs or any("projection" in (n.metadata or {}) for n in weights.values()):
        return pairs
    for name, (pre, post) in ends.items():
        if name in pairs or name in pairs.values() or pre == post:
            continue
        for other, (opre, opost) in ends.items():
            if (opre, opost) == (post, pre) and other not in pairs.values() and other not in pairs \
                    and _transposes(weights[name], weights[other]):
                pairs[name] = other
                break
    return pairs


def _node_of(projection: str, weights: dict[str, Any]) -> str:
    for name, node in weights.items():
        if _text((node.metadata or {}).get("projection", "")) == projection:
            return name
    raise NetworkError(f"NIR graph: a feedback node names projection {projection!r}, which "
                       "has no forward node")


def _transposes(a: Any, b: Any) -> bool:
    wa, wb = _matrix(a), _matrix(b)
    return wa.shape == wb.T.shape and np.array_equal(wa, wb.T)


def _matrix(node: Any) -> np.ndarray:
    if hasattr(node, "weight"):
        return np.asarray(node.weight)
    return np.diag(np.asarray(node.scale).reshape(-1))


def _check_transpose(name: str, forward: Any, feedback: Any) -> None:
    if not _transposes(forward, feedback):
        raise NetworkError(f"NIR node {name!r}: its feedback node does not hold the transpose "
                           "of its weight, so the graph has no energy (edit both, or neither)")


def _in_order(items: list[Any], names: Any) -> list[Any]:
    """``items`` in the order of the JSON list ``names`` (the exported network's), or as they
    are where the graph does not say."""
    if names is None:
        return items
    order = {name: k for k, name in enumerate(json.loads(_text(names)))}
    return sorted(items, key=lambda item: order.get(item.name, len(order)))


def write_nir(network: Network, path: str | os.PathLike[str]) -> None:
    """Write ``network``'s NIR graph to the HDF5 file ``path`` (``nir.write``), atomically."""
    from lava_eqprop.io.atomic import write_bytes_atomic

    buffer = io.BytesIO()
    _nir().write(buffer, export_nir(network))
    write_bytes_atomic(path, buffer.getbuffer())


def read_nir(path: str | os.PathLike[str]) -> Network:
    """The network of a NIR file (``nir.read``, then :func:`import_nir`)."""
    nir = _nir()
    try:
        graph = nir.read(os.fspath(path))
    except (OSError, KeyError, ValueError) as exc:
        raise FileFormatError(f"{path}: not a readable NIR file ({exc})") from None
    return import_nir(graph)
