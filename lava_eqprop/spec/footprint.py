"""The memory a spec's network needs, from its sizes alone (nothing is allocated).

Counted: every weight and bias the topology's generator creates and one batch of neuron states,
in the spec's dtype, plus one byte per connectivity-mask entry. Small-world and directed nets
are built from global N×N matrices (N the number of neurons), so they count N² weights and mask
entries. Training needs more (updates, momentum, the data set), so the count is a lower bound:
a spec that exceeds the machine's physical memory cannot be trained, and is refused on load
rather than ending in a MemoryError deep in NumPy.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lava_eqprop.network.conv_nets import layer_shapes
from lava_eqprop.spec.conv_section import ConvSection, conv_layers
from lava_eqprop.spec.sections import NetworkSection

GIB = 2 ** 30


@dataclass(frozen=True)
class Footprint:
    """How many numbers a network holds: ``parameters`` (weights and biases), ``mask_entries``
    (one byte each) and ``neurons`` (one state each per sample of a batch)."""

    parameters: int
    mask_entries: int
    neurons: int

    def bytes(self, itemsize: int, batch: int) -> int:
        """Bytes of the parameters and masks and of one batch of states."""
        return (self.parameters + batch * self.neurons) * itemsize + self.mask_entries


def layered_footprint(sizes: Sequence[int]) -> Footprint:
    """A layered net: one dense weight per neighbouring pair of layers, one bias per neuron."""
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    return Footprint(weights + sum(sizes), 0, sum(sizes))


def global_matrix_footprint(sizes: Sequence[int]) -> Footprint:
    """A small-world or directed net: an N×N weight matrix and mask over all N neurons."""
    n = sum(sizes)
    return Footprint(n * n + n, n * n, n)


def conv_footprint(input_shape: Sequence[int], layers: Sequence, skips: Sequence,
                   classes: int) -> Footprint:
    """A conv net: each layer's kernel and channel biases, the 1×1 skip kernels, the dense head
    and the input population's bias (one per pixel)."""
    shapes = layer_shapes(input_shape, layers)
    channels = {"input": input_shape[0]} | {layer.name: s[0] for layer, s in zip(layers, shapes)}
    kernels = sum(layer.channels * (c_in * layer.kernel ** 2 + 1) for layer, c_in in
                  zip(layers, [input_shape[0]] + [s[0] for s in shapes]))
    skip_kernels = sum(channels[s.pre] * channels[s.post] for s in skips if s.kind == "conv")
    neurons = math.prod(input_shape) + sum(math.prod(s) for s in shapes) + classes
    head = (math.prod(shapes[-1]) + 1) * classes
    return Footprint(kernels + skip_kernels + head + math.prod(input_shape), 0, neurons)


def network_footprint(network: NetworkSection, conv: ConvSection | None) -> Footprint:
    """The footprint of the net a checked ``[network]`` (and ``[network.conv]``) describes."""
    if conv is not None:
        layers, skips, _ = conv_layers(network.topology, conv, network.seed)
        return conv_footprint(conv.input_shape, layers, skips, conv.classes)
    if network.topology == "layered":
        return layered_footprint(network.layers)
    return global_matrix_footprint(network.layers)


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine; None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_problem(footprint: Footprint, dtype: str, batch: int) -> str | None:
    """Why a network of this footprint cannot be trained here (None when it fits)."""
    available = physical_memory()
    needed = footprint.bytes(np.dtype(dtype).itemsize, batch)
    if available is None or needed <= available:
        return None
    masks = f", {footprint.mask_entries:,} mask entries" if footprint.mask_entries else ""
    return (f"the network needs at least {needed / GIB:,.1f} GiB ({footprint.parameters:,} "
            f"weights and biases in {dtype}{masks} and the states of {footprint.neurons:,} "
            f"neurons for a batch of {batch}); this machine has {available / GIB:,.1f} GiB of "
            "memory: use fewer or smaller layers")
