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

from typing import Any

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.conv_nets import (RESNET_SKIPS, ConvLayer, Gains, Skip, conv_network,
                                           hopfield_resnet_layers, layer_shapes)
from lava_eqprop.spec.schema import (Key, SpecFile, positive, positive_float_list,
                                     positive_int_list)

CONV_TOPOLOGIES = ("conv", "hopfield_resnet")
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


CONV_KEYS = [
    Key("input_shape", list, check=lambda v: None if len(v) == 3 and positive_int_list(3)(v)
        is None else "[channels, height, width]"),
    Key("classes", int, check=positive),
    Key("channels", list, check=positive_int_list(1)),
    Key("kernels", list, [], check=positive_int_list(0)),
    Key("strides", list, [], check=positive_int_list(0)),
    Key("paddings", list, [], check=_non_negative_ints),
    Key("pools", list, [], check=_pools),
    Key("pool_size", int, 2, check=positive),
    Key("skips", list, [], check=_skips),
    Key("skip", str, "conv", choices=RESNET_SKIPS),
    Key("gains", list, [1.0, 1.0, 1.0], check=_gains),
]
CHAIN_ONLY = ("kernels", "strides", "paddings", "pools", "skips")


def conv_section(spec: SpecFile, network: dict) -> dict | None:
    """The checked ``[network.conv]`` of a conv topology (None for the others), each layer's
    geometry included; :func:`check_conv_network` checks the rest by building the net."""
    topology = network["topology"]
    raw = spec.topology_subtable("conv", topology, CONV_TOPOLOGIES)
    if raw is None:
        return None
    if network["layers"]:
        raise spec.error("[network] layers", f"a {topology} net is described by [network.conv] "
                         "(input_shape, channels, classes), not by layers")
    if network["weight_init"] not in ("glorot_uniform", "fan_in_uniform"):
        raise spec.error("[network] weight_init", f"a {topology} net draws weights from "
                         "U(±gain/√fan_in) with the gains of [network.conv]")
    conv = spec.section("network.conv", CONV_KEYS, data=raw)
    if topology == "hopfield_resnet":
        given = [k for k in CHAIN_ONLY if k in raw]
        if given:
            raise spec.error(f"[network.conv] {given[0]}", "a hopfield_resnet's blocks have fixed "
                             "geometry; use topology = 'conv' to give layers one by one")
    else:
        if "skip" in raw:
            raise spec.error("[network.conv] skip", "only for topology = 'hopfield_resnet'; give "
                             "a conv net's skips as skips = [[pre, post, kind], ...]")
        n = len(conv["channels"])
        for key in ("kernels", "strides", "paddings", "pools"):
            if conv[key] and len(conv[key]) != n:
                raise spec.error(f"[network.conv] {key}", f"has {len(conv[key])} entries but "
                                 f"channels has {n}")
    try:
        layer_shapes(conv["input_shape"], conv_layers(topology, conv)[0], spec.path)
    except NetworkError as exc:
        raise spec.error("[network.conv]", str(exc)) from None
    return conv


def check_conv_network(spec: SpecFile, network: dict, conv: dict) -> None:
    """Build the net of a checked ``[network.conv]`` once, so that a skip or a shape that does
    not fit is reported on load (call it once the net is known to fit in memory)."""
    try:
        layers, skips, gains = conv_layers(network["topology"], conv)
        conv_network(conv["input_shape"], layers, conv["classes"], rng=np.random.default_rng(0),
                     skips=skips, gains=gains, name=spec.path or "spec")
    except NetworkError as exc:
        raise spec.error("[network.conv]", str(exc)) from None


def conv_layers(topology: str, conv: dict) -> tuple[list[ConvLayer], list[Skip], Gains]:
    """The conv layers, skips and init gains that a checked ``[network.conv]`` describes."""
    gains = Gains(*(float(g) for g in conv["gains"]))
    if topology == "hopfield_resnet":
        layers, skips = hopfield_resnet_layers(conv["channels"], conv["skip"])
        return layers, skips, gains
    n = len(conv["channels"])

    def column(key: str, default: Any) -> list:
        return conv[key] or [default] * n

    layers = [ConvLayer(f"c{k + 1}", ch, kernel, stride, padding,
                        None if pool == "none" else pool, conv["pool_size"])
              for k, (ch, kernel, stride, padding, pool) in enumerate(zip(
                  conv["channels"], column("kernels", 3), column("strides", 1),
                  column("paddings", 0), column("pools", "none")))]
    return layers, [Skip(*s) for s in conv["skips"]], gains
