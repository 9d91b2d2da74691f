"""How far the output is from each population in a network's projection graph.

In EP the nudge enters at the output and reaches a layer only through the equilibrium's
response, one projection at a time: in a layered net the response, and with it the layer's
update, shrinks with every layer it crosses (the vanishing Gammell et al. 2021 measure). A
layer-skipping projection shortens that path. :func:`hops_to_output` counts it: the fewest
projections between a population and an output population, each projection a two-way link
(a symmetric projection's energy term couples both ends; a directed one is counted the same,
as a path on which a signal can travel one way or the other). A clamped population (the input)
ends a path: its state is the data, so no response passes through it. Its own count is then
the shortest path the data takes to the output.
"""

from __future__ import annotations

from collections import deque

from lava_eqprop.network.network import Network


def hops_to_output(network: Network) -> dict[str, int]:
    """Per population, the fewest projections on a path to an output population that passes
    through no clamped population (0 for an output; a population no such path reaches is left
    out). Breadth-first search from the outputs."""
    links: dict[str, set[str]] = {p.name: set() for p in network.populations}
    for proj in network.projections:
        links[proj.pre].add(proj.post)
        links[proj.post].add(proj.pre)
    clamped = {p.name for p in network.populations if p.clamped}
    hops = {p.name: 0 for p in network.outputs}
    frontier = deque(hops)
    while frontier:
        name = frontier.popleft()
        for other in links[name]:
            if other not in hops:
                hops[other] = hops[name] + 1
                if other not in clamped:
                    frontier.append(other)
    return hops
