"""``[network.conv]``: the layers of a convolutional Hopfield net or a Hopfield-ResNet.

topology = "conv" (a chain of conv layers, optional skips, a dense head)::

    [network.conv]
    input_shape = [1, 28, 28]     # channels, height, width of the data
    classes = 10
    channels = [32, 64]           # one conv layer each, fed by the previous one
    kernels = [5, 5]              # default 3 each
    strides = [1, 1]              # default 1
    paddings = [0, 0]             # default 0
    pools = ["max", "max"]        # "max", "avg" or "none" (default), pool_size × pool_size
    skips = [["c1", "c3", "conv"]]  # optional [pre, post, "conv" | "identity"]
    random_skips = 4              # optional: 4 learned 1x1 skips between layers at least two
                                  # apart, drawn at random (or random_skip_p = 0.1: each pair
                                  # with probability 0.1); the draw follows [network] seed
    gains = [1.0, 1.0, 1.0]       # init gains of the chain's convs, the skips, the head

topology = "hopfield_resnet" (Elayedam & Srinivasan: per block a 3×3 conv, a 3×3 stride-2
conv and a 1×1 stride-2 skip conv)::

    [network.conv]
    input_shape = [3, 32, 32]
    classes = 10
    channels = [128, 256, 512, 512]   # one block each
    skip = "conv"                     # or "none": the plain counterpart
    gains = [0.6, 0.7, 0.8]

Conv layers are named c1, c2, … (blocks: b1a, b1b, b2a, …), the last population ``output``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.conv_nets import (
    RESNET_SKIPS,
    ConvLayer,
    Gains,
    Skip,
    conv_network,
    hopfield_resnet_layers,
    layer_shapes,
    random_skips,
)
from lava_eqprop.schema import (
    Section,
    SpecFile,
    key,
    non_negative,
    positive,
    positive_float_list,
    positive_int_list,
    probability,
)
from lava_eqprop.spec.sections import CONV_TOPOLOGIES, NetworkSection

POOL_NAMES = ("none", "max", "avg")


def _non_negative_ints(value: Any) -> str | None:
    ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    return None if ok else "a list of integers >= 0"


def _pools(value: Any) -> str | None:
    return None if all(v in POOL_NAMES for v in value) else f"a list of {list(POOL_NAMES)}"


def _skips(value: Any) -> str | None:
    ok = all(isinstance(v, list) and len(v) == 3 and all(isinstance(x, str) for x in v)
             for v in value)
    return None if ok else 'a list of [pre, post, "conv" | "identity"]'


def _gains(value: Any) -> str | None:
    ok = len(value) == 3 and positive_float_list(value) is None
    return None if ok else "three positive numbers: conv, skip and head gains"


def _input_shape(value: Any) -> str | None:
    return None if len(value) == 3 and positive_int_list(3)(value) is None \
        else "[channels, height, width]"


@dataclass(frozen=True)
class ConvSection(Section):
    """``[network.conv]`` (topologies conv and hopfield_resnet)."""

    input_shape: tuple[int, int, int] = key(check=_input_shape,
                                            doc="[channels, height, width] of the data")
    classes: int = key(check=positive, doc="output neurons (the dense head's width)")
    channels: tuple[int, ...] = key(check=positive_int_list(1),
                                    doc="channels of each conv layer (hopfield_resnet: of each "
                                        "block)")
    kernels: tuple[int, ...] = key((), check=positive_int_list(0),
                                   doc="conv: kernel side of each layer (default 3)")
    strides: tuple[int, ...] = key((), check=positive_int_list(0),
                                   doc="conv: stride of each layer (default 1)")
    paddings: tuple[int, ...] = key((), check=_non_negative_ints,
                                    doc="conv: zero padding of each layer (default 0)")
    pools: tuple[str, ...] = key((), check=_pools,
                                 doc='conv: pooling after each layer, "none", "max" or "avg"')
    pool_size: int = key(2, check=positive, doc="conv: side of the pooling window")
    skips: tuple[tuple[str, str, str], ...] = key((), check=_skips,
                                                  doc='conv: [pre, post, "conv" | "identity"] '
                                                      'residual projections')
    random_skips: int = key(0, check=non_negative,
                            doc="conv: this many learned 1x1 skips between layers at least two "
                                "apart, drawn at random (a small world of conv layers)")
    random_skip_p: float = key(0.0, check=probability,
                               doc="conv: or each such pair of layers gets a skip with this "
                                   "probability")
    skip: str = key("conv", choices=RESNET_SKIPS,
                    doc='hopfield_resnet: the blocks\' skips, "conv" or "none" (the plain net)')
    gains: tuple[float, float, float] = key((1.0, 1.0, 1.0), check=_gains,
                                            doc="init gains of the chain's convs, the skips and "
                                                "the head")


CHAIN_ONLY = ("kernels", "strides", "paddings", "pools", "skips", "random_skips",
              "random_skip_p")
RANDOM_SKIP_STREAM = 7
"""The random skips are drawn from the stream (network seed, 7), apart from the weights'."""


def conv_section(spec: SpecFile, network: NetworkSection) -> ConvSection | None:
    """The checked ``[network.conv]`` of a conv topology (None for the others), each layer's
    geometry included; :func:`check_conv_network` checks the rest by building the net."""
    topology = network.topology
    raw = spec.topology_subtable("conv", topology, CONV_TOPOLOGIES)
    if raw is None:
        return None
    if network.layers:
        raise spec.error("[network] layers", f"a {topology} net is described by [network.conv] "
                         "(input_shape, channels, classes), not by layers")
    if network.weight_init not in ("glorot_uniform", "fan_in_uniform"):
        raise spec.error("[network] weight_init", f"a {topology} net draws weights from "
                         "U(±gain/√fan_in) with the gains of [network.conv]")
    conv = spec.section(ConvSection, "network.conv", data=raw)
    if topology == "hopfield_resnet":
        given = [k for k in CHAIN_ONLY if k in raw]
        if given:
            raise spec.error(f"[network.conv] {given[0]}", "a hopfield_resnet's blocks have fixed "
                             "geometry; use topology = 'conv' to give layers one by one")
    else:
        if "skip" in raw:
            raise spec.error("[network.conv] skip", "only for topology = 'hopfield_resnet'; give "
                             "a conv net's skips as skips = [[pre, post, kind], ...]")
        if conv.random_skips and conv.random_skip_p:
            raise spec.error("[network.conv] random_skip_p", "give random_skips (a count) or "
                             "random_skip_p (a probability per pair), not both")
        n = len(conv.channels)
        for name in ("kernels", "strides", "paddings", "pools"):
            given_list = getattr(conv, name)
            if given_list and len(given_list) != n:
                raise spec.error(f"[network.conv] {name}", f"has {len(given_list)} entries but "
                                 f"channels has {n}")
    try:
        layer_shapes(conv.input_shape, conv_layers(topology, conv, network.seed)[0], spec.path)
    except NetworkError as exc:
        raise spec.error("[network.conv]", str(exc)) from None
    return conv


def check_conv_network(spec: SpecFile, network: NetworkSection, conv: ConvSection) -> None:
    """Build the net of a checked ``[network.conv]`` once, so that a skip or a shape that does
    not fit is reported on load (call it once the net is known to fit in memory)."""
    try:
        layers, skips, gains = conv_layers(network.topology, conv, network.seed)
        conv_network(conv.input_shape, layers, conv.classes, rng=np.random.default_rng(0),
                     skips=skips, gains=gains, name=spec.path or "spec")
    except NetworkError as exc:
        raise spec.error("[network.conv]", str(exc)) from None


def conv_layers(topology: str, conv: ConvSection, seed: int
                ) -> tuple[list[ConvLayer], list[Skip], Gains]:
    """The conv layers, skips (the given ones, then the random ones drawn with ``seed``, the
    network's) and init gains that a checked ``[network.conv]`` describes."""
    gains = Gains(*(float(g) for g in conv.gains))
    if topology == "hopfield_resnet":
        layers, skips = hopfield_resnet_layers(conv.channels, conv.skip)
        return layers, skips, gains
    n = len(conv.channels)

    def column(values: tuple, default: Any) -> tuple:
        return values or (default,) * n

    layers = [ConvLayer(f"c{k + 1}", ch, kernel, stride, padding,
                        None if pool == "none" else pool, conv.pool_size)
              for k, (ch, kernel, stride, padding, pool) in enumerate(zip(
                  conv.channels, column(conv.kernels, 3), column(conv.strides, 1),
                  column(conv.paddings, 0), column(conv.pools, "none")))]
    skips = [Skip(*s) for s in conv.skips]
    if conv.random_skips or conv.random_skip_p:
        rng = np.random.default_rng([seed, RANDOM_SKIP_STREAM])
        try:
            skips += random_skips(conv.input_shape, layers, skips, rng, count=conv.random_skips,
                                  p=conv.random_skip_p)
        except NetworkError as exc:
            raise NetworkError(f"random_skips: {exc}") from None
    return layers, skips, gains
