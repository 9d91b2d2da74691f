"""Event-driven messages between populations, as the Lava graphs send them (sigma-delta).

A free population does not show its state s to its neighbours: it sends δ = s − ŝ wherever
|δ| > θ and adds what it sent to ŝ, so every neuron's drive is computed from the ŝ of its
sources, which lags s by less than θ per neuron (θ = 0: ŝ = s, the engine's own dynamics).
The population's own update (its leak, its nudge) uses its own s. :class:`Messages` keeps ŝ for
:meth:`~lava_eqprop.engine.relaxation.Relaxer.run`; :meth:`Messages.sent` is where a subclass
counts what was sent.
"""

from __future__ import annotations

import numpy as np


class Messages:
    """ŝ of every free population (``sizes``) for a batch of ``batch`` samples, at threshold
    ``threshold`` (module docstring); NumPy arrays."""

    def __init__(self, sizes: dict[str, int], batch: int, threshold: float) -> None:
        if threshold < 0:
            raise ValueError(f"an event threshold must be >= 0, got {threshold}")
        self.threshold = threshold
        self.seen = {name: np.zeros((batch, size)) for name, size in sizes.items()}

    def view(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """What the drives read: ŝ of the free populations, the clamped inputs as they are."""
        return {**values, **self.seen}

    def send(self, names: list[str], values: dict[str, np.ndarray]) -> None:
        """The messages of populations ``names`` given their new states: ŝ moves by δ where
        |δ| > θ (everywhere at θ = 0)."""
        for name in names:
            delta = values[name] - self.seen[name]
            moved = np.abs(delta) > self.threshold if self.threshold > 0 else None
            if moved is None:
                self.seen[name] += delta
            else:
                self.seen[name][moved] += delta[moved]
            self.sent(name, moved)

    def sent(self, name: str, moved: np.ndarray | None) -> None:
        """Called for every message of ``name``: ``moved`` marks the neurons that sent (None:
        every neuron, a dense message). Nothing here; counters override it."""
