"""What the phases of an epoch cost: steps per sample and the residual each stopped at, per kind
of phase (free, nudged, test), for summary.json and the warning about unsettled samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from lava_eqprop.engine.solvers import PhaseReport


class PhaseTally:
    """Sums over the :class:`~lava_eqprop.engine.solvers.PhaseReport` of one kind of phase."""

    def __init__(self) -> None:
        self.samples = self.steps = self.max_steps = self.unsettled = self.cap = 0
        self.residual_sum, self.residual_max, self.tol = 0.0, 0.0, 0.0

    def add(self, report: PhaseReport) -> None:
        self.samples += report.steps.size
        self.steps += int(report.steps.sum())
        self.max_steps = max(self.max_steps, int(report.steps.max()))
        finite = report.residual[np.isfinite(report.residual)]
        self.residual_sum += float(finite.sum())
        self.residual_max = max(self.residual_max, float(report.residual.max()))
        self.unsettled += report.unsettled
        self.cap, self.tol = report.cap, report.tol

    def summary(self) -> dict[str, Any]:
        """mean and max steps, mean and max residual at stop, samples unsettled at the cap."""
        n = max(self.samples, 1)
        return {"phases": self.samples, "mean_steps": self.steps / n, "max_steps": self.max_steps,
                "mean_residual": self.residual_sum / n, "max_residual": self.residual_max,
                "unsettled": self.unsettled, "cap": self.cap, "tol": self.tol}


class EpochTally:
    """The tallies of an epoch's free, nudged and test phases."""

    def __init__(self) -> None:
        self.phases = {"free": PhaseTally(), "nudged": PhaseTally(), "test": PhaseTally()}

    def add_batch(self, reports: list[PhaseReport]) -> None:
        """A training batch's reports: the free phase, then its nudged phases."""
        self.phases["free"].add(reports[0])
        for report in reports[1:]:
            self.phases["nudged"].add(report)

    def summary(self) -> dict[str, dict[str, Any]]:
        return {name: tally.summary() for name, tally in self.phases.items() if tally.samples}


def unsettled_warnings(epoch: int, relaxation: dict[str, dict[str, Any]]) -> list[str]:
    """One line per kind of phase in which samples reached the step cap unsettled."""
    lines = []
    for phase, s in relaxation.items():
        if s["unsettled"]:
            key = {"free": "free_steps", "nudged": "nudged_steps", "test": "eval_steps"}[phase]
            lines.append(f"warning: epoch {epoch}: {s['unsettled']} of {s['phases']} {phase} "
                         f"phases reached the cap of {s['cap']} steps with a residual above "
                         f"tol = {s['tol']:g} (largest {s['max_residual']:.2e}): raise "
                         f"[dynamics] {key} or tol, or try another solver")
    return lines
