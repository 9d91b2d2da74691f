"""Convolutional Hopfield nets: a chain of conv layers, optional residual skips, a dense head.

* :func:`conv_network` — the general form: image input, conv layers each fed by the previous
  one (kernel, stride, padding, optional pooling inside the energy), skip projections between
  any two of them (a learned 1×1 conv whose stride matches the shapes, or a fixed identity),
  and a dense head onto the output. Ernoult et al. (2019) / Laborieux et al. (2021)'s
  convolutional EP nets (their "DCHN" with pooling) and Elayedam & Srinivasan's Hopfield-ResNets
  are both this.
* :func:`hopfield_resnet_layers` — Elayedam & Srinivasan's Hopfield-ResNet, "Scaling
  Equilibrium Propagation to Deeper Neural Network Architectures": per block a 3×3 stride-1
  pad-1 conv (block input → a), a 3×3 stride-2 pad-1 conv (a → b) and a 1×1 stride-2 skip
  conv (block input → b); no pooling. Four blocks of 128, 256, 512, 512 channels plus the head
  are Hopfield-ResNet13's 13 weight tensors.

Initialisation (the authors' code): U(±g/√fan_in), fan_in = in channels·kh·kw, with one gain
each for the chain's convs, the skips and the head (0.6, 0.7 and 0.8 in the paper); biases are
per channel, U(±1/√fan_in) with ``bias_init = "fan_in_uniform"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.generators import pair_name
from lava_eqprop.network.init import init_bias, init_weight
from lava_eqprop.network.network import (
    ConvGeometry,
    Network,
    Population,
    Projection,
    conv_output_size,
)

SKIP_KINDS = ("conv", "identity")
RESNET_SKIPS = ("conv", "none")


@dataclass(frozen=True)
class ConvLayer:
    """One conv layer of the chain: a population of ``channels`` feature maps fed by the
    previous population through a ``kernel``×``kernel`` conv."""

    name: str
    channels: int
    kernel: int = 3
    stride: int = 1
    padding: int = 0
    pool: str | None = None
    pool_size: int = 2

    @property
    def geometry(self) -> ConvGeometry:
        return ConvGeometry(self.stride, self.padding, self.pool, self.pool_size)


@dataclass(frozen=True)
class Skip:
    """A residual projection ``pre`` → ``post``: a learned 1×1 conv (``kind="conv"``, stride
    from the two shapes) or a fixed identity of gain 1 (same shapes only)."""

    pre: str
    post: str
    kind: str = "conv"


@dataclass(frozen=True)
class Gains:
    """Init gains of the chain's convs, the skips and the head."""

    conv: float = 1.0
    skip: float = 1.0
    head: float = 1.0


def conv_network(input_shape: Sequence[int], layers: Sequence[ConvLayer], classes: int, *,
                 rng: np.random.Generator, skips: Sequence[Skip] = (), name: str = "conv",
                 activation: str = "clipped_relu", output_activation: str = "linear",
                 gains: Gains = Gains(), bias_init: str = "fan_in_uniform",
                 topology: str = "conv") -> Network:
    """The net ``input → layers[0] → … → layers[-1] → output`` plus ``skips`` (see the module
    docstring). Errors name the layer whose geometry does not fit."""
    if len(input_shape) != 3 or any(int(d) < 1 for d in input_shape):
        raise NetworkError(f"{name}: input_shape must be (channels, height, width), got "
                           f"{list(input_shape)}")
    if not layers:
        raise NetworkError(f"{name}: a conv net needs at least one conv layer")
    pops = [Population("input", tuple(int(d) for d in input_shape), activation, "input",
                       learn_bias=False)]
    projs = []
    for layer, shape in zip(layers, layer_shapes(input_shape, layers, name)):
        prev = pops[-1]
        fan_in = prev.shape[0] * layer.kernel ** 2
        pops.append(Population(layer.name, shape, activation, "hidden",
                               init_bias(bias_init, fan_in, (layer.channels,), rng)))
        kernel = init_weight("fan_in_uniform", fan_in, layer.channels, rng, gains.conv)
        projs.append(Projection(pair_name(prev.name, layer.name), prev.name, layer.name,
                                kernel.reshape(layer.channels, prev.shape[0], layer.kernel,
                                               layer.kernel),
                                kind="conv", geometry=layer.geometry))
    last = pops[-1]
    pops.append(Population("output", (int(classes),), output_activation, "output",
                           init_bias(bias_init, last.size, (int(classes),), rng)))
    projs.append(Projection(pair_name(last.name, "output"), last.name, "output",
                            init_weight("fan_in_uniform", last.size, int(classes), rng,
                                        gains.head)))
    shapes = {p.name: p.shape for p in pops}
    projs += [_skip_projection(name, skip, shapes, rng, gains.skip) for skip in skips]
    meta = {"topology": topology, "input_shape": [int(d) for d in input_shape],
            "channels": [layer.channels for layer in layers], "classes": int(classes),
            "skips": [[s.pre, s.post, s.kind] for s in skips]}
    return Network(name, pops, projs, metadata=meta)


def hopfield_resnet_layers(channels: Sequence[int], skip: str = "conv"
                           ) -> tuple[list[ConvLayer], list[Skip]]:
    """The conv layers and skips of a Hopfield-ResNet with one block per entry of
    ``channels`` (see the module docstring); ``skip="none"`` gives its plain counterpart."""
    if skip not in RESNET_SKIPS:
        raise NetworkError(f"hopfield_resnet: skip {skip!r} is not one of {list(RESNET_SKIPS)}")
    layers, skips, block_input = [], [], "input"
    for k, ch in enumerate(channels, start=1):
        a, b = f"b{k}a", f"b{k}b"
        layers += [ConvLayer(a, int(ch), 3, 1, 1), ConvLayer(b, int(ch), 3, 2, 1)]
        if skip == "conv":
            skips.append(Skip(block_input, b, "conv"))
        block_input = b
    return layers, skips


def layer_shapes(input_shape: Sequence[int], layers: Sequence[ConvLayer], name: str = "conv"
                 ) -> list[tuple[int, int, int]]:
    """The (channels, height, width) of each conv layer's population, computed from the
    geometry alone (nothing is allocated); :class:`NetworkError` names the first layer that
    leaves nothing of its input."""
    shapes, shape = [], tuple(int(d) for d in input_shape)
    for layer in layers:
        shape = _layer_shape(name, layer, shape)
        shapes.append(shape)
    return shapes


def _layer_shape(name: str, layer: ConvLayer, pre: tuple[int, ...]) -> tuple[int, int, int]:
    geo = layer.geometry
    shape = (layer.channels, geo.output_size(pre[1], layer.kernel),
             geo.output_size(pre[2], layer.kernel))
    if min(shape) < 1:
        raise NetworkError(f"{name}: conv layer {layer.name!r} ({layer.kernel}x{layer.kernel}, "
                           f"stride {layer.stride}, padding {layer.padding}, pool {layer.pool}) "
                           f"leaves nothing of its {pre} input")
    return shape


def skip_stride(pre: tuple[int, ...], post: tuple[int, ...]) -> int | None:
    """The stride of the 1×1 conv that maps an image population of shape ``pre`` onto one of
    shape ``post`` (channels, height, width), or None when none does."""
    stride = max(1, math.ceil(pre[1] / post[1]))
    if conv_output_size(pre[1], 1, stride, 0) != post[1] or \
            conv_output_size(pre[2], 1, stride, 0) != post[2]:
        return None
    return stride


def random_skips(input_shape: Sequence[int], layers: Sequence[ConvLayer],
                 given: Sequence[Skip], rng: np.random.Generator, *, count: int = 0,
                 p: float = 0.0) -> list[Skip]:
    """Layer-skipping skips drawn at random: the conv form of Gammell et al.'s (2021)
    small-world rewiring, as learned 1×1 convs.

    The candidates are the pairs (pre, post) with post at least two populations after pre in
    the chain (the input is population 0; the dense head's output is none), whose shapes a
    1×1 conv maps (:func:`skip_stride`), and that have no skip in ``given``. With ``count``,
    that many of them, uniformly without replacement; with ``p``, each one independently
    with probability p. The draw uses ``rng`` alone, in the order of the candidates."""
    if count and p:
        raise NetworkError("random skips: give a count or a probability p, not both")
    shapes = [tuple(int(d) for d in input_shape)] + list(layer_shapes(input_shape, layers))
    names = ["input"] + [layer.name for layer in layers]
    taken = {(s.pre, s.post) for s in given}
    candidates = [(names[i], names[j]) for i in range(len(names)) for j in range(i + 2, len(names))
                  if skip_stride(shapes[i], shapes[j]) is not None
                  and (names[i], names[j]) not in taken]
    if count > len(candidates):
        raise NetworkError(f"random skips: {count} asked for, but only {len(candidates)} pairs "
                           "of layers at least two apart can take a 1x1 conv skip")
    if count:
        chosen = sorted(rng.choice(len(candidates), size=count, replace=False))
    else:
        chosen = list(np.flatnonzero(rng.random(len(candidates)) < p))
    return [Skip(candidates[k][0], candidates[k][1], "conv") for k in chosen]


def _skip_projection(name: str, skip: Skip, shapes: dict[str, tuple[int, ...]],
                     rng: np.random.Generator, gain: float) -> Projection:
    where = f"{name}: skip {skip.pre} -> {skip.post}"
    for end in (skip.pre, skip.post):
        if end not in shapes or end == "output":
            raise NetworkError(f"{where}: {end!r} is not a conv layer or the input; they are "
                               f"{[n for n in shapes if n != 'output']}")
    if skip.kind not in SKIP_KINDS:
        raise NetworkError(f"{where}: kind {skip.kind!r} is not one of {list(SKIP_KINDS)}")
    pre, post = shapes[skip.pre], shapes[skip.post]
    pname = f"{skip.pre}~{skip.post}"
    if skip.kind == "identity":
        if pre != post:
            raise NetworkError(f"{where}: an identity skip needs equal shapes, got {pre} and "
                               f"{post}; use kind 'conv'")
        return Projection(pname, skip.pre, skip.post, np.array(1.0), kind="identity",
                          plastic=False)
    stride = skip_stride(pre, post)
    if stride is None:
        raise NetworkError(f"{where}: no 1x1 conv stride maps {pre} onto {post}")
    kernel = init_weight("fan_in_uniform", pre[0], post[0], rng, gain)
    return Projection(pname, skip.pre, skip.post, kernel.reshape(post[0], pre[0], 1, 1),
                      kind="conv", geometry=ConvGeometry(stride=stride))
