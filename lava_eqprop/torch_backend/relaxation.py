"""Free and nudged phases run by PyTorch: :class:`TorchRelaxer`, the engine's
:class:`~lava_eqprop.engine.relaxation.Relaxer` on a torch device.

The same step (the engine module's docstring gives it), s_k ← clip_k(s_k + ε(b_k + Σ drive_k −
s_k − β∂C/∂s_k)), the same schedules (synchronous, odd/even, colouring), joint or split
nudging, with states as torch tensors on the device. It runs the energy nets' unit-leak
dynamics; Farinha et al.'s decays and trajectory rules stay in the NumPy engine. The
estimators (:func:`~lava_eqprop.engine.estimators.ep_update`) and the trainer drive it
through the Relaxer's interface; :meth:`TorchRelaxer.host_result` hands results back as
NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.relaxation import (Clamped, Dynamics, State, clamp_batch,
                                           drive_terms, schedule_groups)
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network
from lava_eqprop.torch_backend import require_torch, torch_device
from lava_eqprop.torch_backend.interactions import TORCH_INTERACTIONS


class TorchState(State):
    """A :class:`State` whose arrays are torch tensors (scratch buffers and copies likewise)."""

    def __init__(self, values: dict, free: list[str]) -> None:
        torch = require_torch()
        self.values, self.free = values, free
        self.scratch = {name: torch.empty_like(values[name]) for name in free}

    def copy(self) -> "TorchState":
        values = dict(self.values)
        for name in self.free:
            values[name] = self.values[name].clone()
        return TorchState(values, self.free)


class TorchRelaxer:
    """Runs free and nudged phases of one network with PyTorch on ``device``."""

    def __init__(self, network: Network, dynamics: Dynamics, loss: SquaredError,
                 dtype: type = np.float64, device: str = "cpu") -> None:
        self.torch = require_torch()
        self.device = torch_device(device)
        if len(network.outputs) != 1:
            raise NetworkError(f"network {network.name!r}: the engine needs exactly one output "
                               f"population, found {[p.name for p in network.outputs]}")
        if not dynamics.unit_decay:
            raise NetworkError(f"network {network.name!r}: the torch backend runs the unit-leak "
                               "dynamics of energy nets; leak != 1 and the outgoing-weight decay "
                               "run in the NumPy engine (no --device)")
        self.network, self.dynamics, self.loss = network, dynamics, loss
        self.dtype = {np.dtype(np.float32): self.torch.float32,
                      np.dtype(np.float64): self.torch.float64}[np.dtype(dtype)]
        self.output = network.outputs[0]
        self.groups = schedule_groups(network, dynamics.schedule)
        self.free_names = [p.name for p in network.free]
        self.interactions = {proj.name: TORCH_INTERACTIONS[proj.kind](proj, network, self.device,
                                                                      self.dtype)
                             for proj in network.projections}
        self._free_terms, self._clamped_terms = drive_terms(network, self.interactions)

    def tensor(self, array: np.ndarray):
        return self.torch.as_tensor(np.asarray(array), dtype=self.dtype, device=self.device)

    # ---- states ------------------------------------------------------------------------
    def clamp(self, inputs: dict[str, np.ndarray]) -> Clamped:
        """Load the current weights onto the device, clamp the inputs and precompute bias +
        drive from them (call again after every update, as with the NumPy engine)."""
        for inter in self.interactions.values():
            inter.load()
        return clamp_batch(self.network, self._clamped_terms, inputs,
                           lambda x, shape: self.tensor(np.array(x)).reshape(shape))

    def zero_state(self, clamped: Clamped) -> TorchState:
        values = dict(clamped.inputs)
        for pop in self.network.free:
            values[pop.name] = self.torch.zeros((clamped.batch, pop.size), dtype=self.dtype,
                                                device=self.device)
        return TorchState(values, self.free_names)

    def state_from(self, clamped: Clamped, free_values: dict[str, np.ndarray]) -> TorchState:
        values = dict(clamped.inputs)
        for pop in self.network.free:
            values[pop.name] = self.tensor(free_values[pop.name]).reshape(
                clamped.batch, pop.size).clone()
        return TorchState(values, self.free_names)

    def host(self, values) -> np.ndarray:
        """A state tensor as a NumPy array."""
        return values.detach().cpu().numpy()

    def host_result(self, result):
        """An EPResult with its free state and bias directions as NumPy arrays."""
        free = result.free_state
        state = State({name: self.host(v) for name, v in free.values.items()}, free.free)
        biases = {name: self.host(v) for name, v in result.bias_updates.items()}
        return replace(result, free_state=state, bias_updates=biases)

    # ---- dynamics ----------------------------------------------------------------------
    def run(self, state: TorchState, clamped: Clamped, steps: int, beta: float = 0.0,
            target: np.ndarray | None = None, tol: float | None = None,
            check_every: int = 5, observer: Callable | None = None) -> int:
        """Relax ``state`` in place (as :meth:`Relaxer.run`); return the steps taken."""
        if observer is not None:
            raise NetworkError("trajectory learning rules (estimator 'deep') run in the NumPy "
                               "engine only (no --device)")
        if beta != 0.0 and target is None:
            raise ValueError("a nudged phase (beta != 0) needs a target")
        target = None if target is None else self.tensor(target)
        eps, split = self.dynamics.epsilon, self.dynamics.nudge == "split"
        values, scratch, constant = state.values, state.scratch, clamped.constant
        plan = [[(pop, [inter.bind(direction) for _, inter, direction
                        in self._free_terms[pop.name]]) for pop in group]
                for group in self.groups]
        bounds = {pop.name: _clip_bounds(pop.act.lo, pop.act.hi) for pop in self.network.free}
        for t in range(1, steps + 1):
            for group in plan:
                for pop, drives in group:
                    name = pop.name
                    drive = scratch[name]
                    drive.copy_(constant[name])
                    for term in drives:
                        drive += term(values, None)
                    nudge = beta != 0.0 and pop is self.output
                    if nudge and not split:
                        self.loss.add_nudge(drive, values[name], target, beta)
                    if eps != 1.0:
                        drive -= values[name]
                        drive *= eps
                        drive += values[name]
                    if nudge and split:
                        self.loss.add_nudge(drive, drive.clone(), target, eps * beta)
                    if bounds[name] is not None:
                        drive.clamp_(*bounds[name])
                for pop, _ in group:
                    values[pop.name], scratch[pop.name] = scratch[pop.name], values[pop.name]
            if tol is not None and t % check_every == 0 and self.moved(state) <= tol:
                return t
        return steps

    def moved(self, state: TorchState) -> float:
        """Largest change of any free unit in the last step."""
        return max(float((state.values[name] - state.scratch[name]).abs().max())
                   for name in self.free_names)


def _clip_bounds(lo: float, hi: float) -> tuple[float | None, float | None] | None:
    """``clamp_``'s (min, max) for an activation's clip box; None for no clip (linear)."""
    lo_, hi_ = (lo if np.isfinite(lo) else None), (hi if np.isfinite(hi) else None)
    return None if lo_ is None and hi_ is None else (lo_, hi_)
