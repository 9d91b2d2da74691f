"""How a network runs in Lava: batch, precision, events, learning rates, watchdog."""

from __future__ import annotations

from dataclasses import dataclass, field

from lava_eqprop.capabilities import check_spec, lava_backend
from lava_eqprop.chips.config import ChipArithmetic, load_chip
from lava_eqprop.chips.fixed_point import place_weights
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec

PRECISIONS = ("float", "fixed")
TARGETS = ("cpu", "loihi2")
CONTRASTS = ("exact", "free_term_first")


@dataclass
class LavaSettings:
    """Everything the compiled graph needs besides the network and the data.

    ``dynamics``: the engine's step size ε and nudge mode, which the populations run (the
    Lava graphs run the synchronous schedule with unit decay, :mod:`lava_eqprop.capabilities`);
    ``loss_scale``: c of the loss C = (c/2)‖y − s‖².
    ``batch`` samples travel together in every message (1 is what a chip does, one sample at a
    time; more is a simulation convenience that amortises Lava's per-step cost).
    ``event_threshold`` θ: a neuron sends when its output moved by more than θ since it last
    sent (0: every neuron, every step). ``watchdog_seconds``: longest wait for the next batch's
    result before the run is declared stuck. ``chip``: the arithmetic of the fixed-point models
    (required for ``precision = "fixed"``). ``weight_exponents``: per projection, the exponent e
    of its fixed-point weights W ≈ m·2^e, held for the whole training as a chip holds it once
    the network is placed (a projection not listed gets one from its current weights).
    ``settle_tol``: populations record when each phase settled to this tolerance (None: off).
    ``target``: which graph is compiled: ``cpu`` (the EP graph of lava-eqprop's own processes)
    or ``loihi2`` (learning neurons and Lava's stock learning synapses, the parts of a Loihi 2
    chip), both run by Lava's CPU simulation. ``contrast`` (``loihi2`` target): ``exact``, the
    rule that keeps the first phase's term in the tag and moves the weights once per sample
    (:func:`~lava_eqprop.lava_backend.loihi2.rule.ep_rule`), or ``free_term_first``, which
    applies that term at the end of its phase, so the nudged phase runs with moved weights
    (:func:`~lava_eqprop.lava_backend.loihi2.rule.ep_rule_free_term_first`).
    """

    batch: int = 1
    precision: str = "float"
    event_threshold: float = 0.0
    dynamics: Dynamics = field(default_factory=Dynamics)
    loss_scale: float = 1.0
    weight_rates: dict[str, float] = field(default_factory=dict)
    bias_rates: dict[str, float] = field(default_factory=dict)
    watchdog_seconds: float = 60.0
    chip: ChipArithmetic | None = None
    weight_exponents: dict[str, int] = field(default_factory=dict)
    settle_tol: float | None = None
    target: str = "cpu"
    contrast: str = "exact"

    @property
    def backend(self) -> str:
        """The backend of :mod:`lava_eqprop.capabilities` that these settings compile for."""
        return lava_backend(self.target, self.precision)

    @property
    def tag(self) -> str:
        """The Lava process-model tag this precision selects."""
        return "floating_pt" if self.precision == "float" else "fixed_pt"

    def validate(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"target {self.target!r} is not one of {list(TARGETS)}")
        if self.contrast not in CONTRASTS:
            raise ValueError(f"contrast {self.contrast!r} is not one of {list(CONTRASTS)}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision {self.precision!r} is not one of {list(PRECISIONS)}")
        if self.batch < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")
        if self.event_threshold < 0:
            raise ValueError(f"event_threshold must be >= 0, got {self.event_threshold}")
        if self.watchdog_seconds <= 0:
            raise ValueError(f"watchdog_seconds must be > 0, got {self.watchdog_seconds}")
        if self.precision == "fixed" and self.chip is None:
            raise ValueError("precision 'fixed' needs a chip config (its bit widths)")


def settings_from_spec(spec: ModelSpec, network: Network, *, batch: int | None = None,
                       precision: str = "float", event_threshold: float = 0.0,
                       watchdog_seconds: float = 60.0, training: bool = True,
                       chip: str = "loihi2", weight_bits: int | None = None,
                       target: str = "cpu", contrast: str = "exact") -> LavaSettings:
    """Lava settings for a model spec; refuse, naming the key, what the backend cannot run
    (:mod:`lava_eqprop.capabilities`).

    ``batch`` defaults to the spec's ``[learning] batch_size`` (to 1 for inference on the
    ``loihi2`` target, which runs one sample at a time). ``training=False`` (inference)
    skips the refusals that concern training only. ``chip`` names a file of ``chip_configs/``
    (or is a path); ``weight_bits`` overrides its weight width.
    """
    check_spec(lava_backend(target, precision), spec, training=training)
    if batch is None:
        batch = 1 if target == "loihi2" and not training else spec.learning.batch_size
    weight_rates, bias_rates = spec.learning_rates(network)
    settings = LavaSettings(
        batch=batch, precision=precision, target=target, contrast=contrast,
        event_threshold=event_threshold, dynamics=spec.dynamics_settings(),
        loss_scale=get_loss(spec.learning.loss).scale,
        weight_rates=weight_rates, bias_rates=bias_rates, watchdog_seconds=watchdog_seconds)
    if precision == "fixed":
        arithmetic = load_chip(chip)
        settings.chip = arithmetic.with_weight_bits(weight_bits) if weight_bits else arithmetic
        settings.weight_exponents = place_weights(network, settings.chip)
    settings.validate()
    return settings
