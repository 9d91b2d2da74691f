"""Removing a small-world net's layer-skipping connections during training.

Gammell et al. (2021) end with the question whether layer-skipping connections are needed
once the net is trained, or only help it train: "try training a network with added
layer-skipping connections, then removing them afterwards". A *skip* here is every connection
of a projection between populations that are not neighbours in layer order (input to the
second hidden layer, first hidden layer to output, ...), and of a lateral projection (the
rewiring's ``pool = "any"`` adds pairs inside a layer). The connections between neighbouring
layers that the rewiring kept stay; the net left is the layered net less the connections
the rewiring moved.

``[learning] remove_skips`` chooses how, once per epoch, after the epoch's updates and before
its test error:
- ``"at_once"``: after epoch E = ``remove_skips_after`` every skip's weight is set to zero and
  its mask cleared (the connection no longer exists for any backend);
- ``"fade"``: after epochs E, E+1, …, E+K−1 (K = ``remove_skips_over``) the skips' weights are
  multiplied by (K−1−j)/(K−j) after epoch E+j, so that without learning in between they would
  fall linearly, (K−1)/K, (K−2)/K, …, 0; the last factor, 0, removes them as ``at_once`` does.
  Between the multiplications the skips keep learning.

The epochs after the removal fine-tune the net left; the test error of the epoch that removes
the skips is that of the net without fine-tuning. SGD momentum of a skip is scaled with its
weight, so that a removed skip does not grow back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_eqprop.network.network import Network, Projection
from lava_eqprop.spec.sections import REMOVALS, LearningSection
from lava_eqprop.training.optimizer import SGD
from lava_eqprop.training.pruning import existing


@dataclass(frozen=True)
class SkipRemoval:
    """How (``mode``: at_once or fade), after which epoch (``after``) and over how many epochs
    (``over``, fade only) the skips are removed."""

    mode: str
    after: int
    over: int = 1

    def __post_init__(self) -> None:
        if self.mode not in REMOVALS[1:]:
            raise ValueError(f"skip removal {self.mode!r} is not one of {list(REMOVALS[1:])}")
        if self.after < 1 or self.over < 1:
            raise ValueError(f"skip removal needs after >= 1 and over >= 1, got {self.after}, "
                             f"{self.over}")

    @property
    def epochs(self) -> int:
        """Epochs over which the removal runs: 1 at once, K for a fade."""
        return 1 if self.mode == "at_once" else self.over

    @property
    def last_epoch(self) -> int:
        """The epoch after which no skip is left."""
        return self.after + self.epochs - 1

    def factor(self, epoch: int) -> float | None:
        """The factor the skips' weights are multiplied by after ``epoch`` (None: none)."""
        j = epoch - self.after
        if not 0 <= j < self.epochs:
            return None
        return (self.epochs - 1 - j) / (self.epochs - j)


def skip_removal_from(learning: LearningSection) -> SkipRemoval | None:
    """The spec's skip removal, or None when ``remove_skips`` is "none"."""
    if learning.remove_skips == "none":
        return None
    return SkipRemoval(learning.remove_skips, learning.remove_skips_after,
                       learning.remove_skips_over)


def skip_projections(network: Network) -> list[Projection]:
    """The dense projections between populations that are not neighbours in layer order."""
    return [p for p in network.projections if p.kind == "dense"
            and abs(network.index(p.post) - network.index(p.pre)) != 1]


def skip_census(network: Network) -> dict[str, int]:
    """Where a rewired net's skip connections land: all of them, those that join a hidden
    layer to the output (a one-hop path for the nudge to reach that layer) and those that
    join the input to the output."""
    output = network.outputs[0].name
    clamped = {p.name for p in network.populations if p.clamped}
    census = {"skips": 0, "hidden_to_output": 0, "input_to_output": 0}
    for proj in skip_projections(network):
        count = int(existing(proj).sum())
        census["skips"] += count
        if output in (proj.pre, proj.post):
            ends_in_input = bool(clamped & {proj.pre, proj.post})
            census["input_to_output" if ends_in_input else "hidden_to_output"] += count
    return census


def live_skips(network: Network) -> int:
    """Skip connections that exist and carry a non-zero weight."""
    return sum(int(np.count_nonzero(p.weight * existing(p))) for p in skip_projections(network))


def remove_skips(network: Network) -> None:
    """Remove every skip for good, in place: its weight zeroed and its mask cleared."""
    for proj in skip_projections(network):
        proj.weight[...] = 0.0
        proj.mask = np.zeros(proj.weight.shape, dtype=bool)


def scale_skips(network: Network, optimizer: SGD, factor: float) -> None:
    """Multiply every skip's weight (and its momentum) by ``factor`` in place; at 0 the skips
    are removed for good (:func:`remove_skips`)."""
    for proj in skip_projections(network):
        optimizer.scale_weight(proj.name, factor)
    if factor == 0.0:
        remove_skips(network)
