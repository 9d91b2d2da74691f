"""The cross-check: the same network and samples through every backend, compared pairwise.

Backends (:data:`BACKENDS`): ``engine`` (NumPy, float64, the reference), ``lava-float`` and
``lava-fixed`` (compiled Lava graphs, floating_pt and fixed_pt models), ``brian2`` (the Brian2
reference simulator, continuous time by default). Each answers the question of
:mod:`lava_eqprop.engine.phases`; every pair is compared on the free equilibria, the nudged
equilibria and ΔW, against the tolerances of :mod:`lava_eqprop.crosscheck.tolerances`. Physics
checks per backend: along the free phase the energy does not increase (float backends: by more
than 1e-9·(1 + |E|) between checks; fixed point, whose rounding makes a noisy descent: E at the
end below E at the start), and the mean loss of the nudged equilibria is below the free one's.

``target``: the Lava target that ``lava-float`` and ``lava-fixed`` compile for. ``cpu``
(lava-eqprop's EP processes) runs every sample in one batch from the network's weights, as the
engine does. ``loihi2`` runs the loihi2 graph, one sample at a time, learning after each: it is
compared with the engine per sample, from the weights the graph had before the sample, with the
spec's estimator (:mod:`lava_eqprop.crosscheck.loihi2`). Its weights change between samples, so
it is paired with the engine only. The graph's refusal of ``lava-float`` is an error; a refusal
of ``lava-fixed`` is reported and the others run, unless nothing besides the engine is left.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lava_eqprop.chips.fixed_point import power_of_two_shift
from lava_eqprop.crosscheck import tolerances as tol
from lava_eqprop.crosscheck.rounding_bound import FixedPointBound, payload_inputs
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.phases import EPPhases, ProbeSettings, engine_phases
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network

if TYPE_CHECKING:
    from lava_eqprop.crosscheck.loihi2 import Loihi2Answer

BACKENDS = ("engine", "lava-float", "lava-fixed", "brian2")
LAVA = ("lava-float", "lava-fixed")
TARGETS = ("cpu", "loihi2")


@dataclass
class CrosscheckSetup:
    """What to run: the network and its dynamics, the probe, and the backends' options.

    ``lava_float``, ``lava_fixed``: :class:`~lava_eqprop.lava_backend.settings.LavaSettings`
    of each precision; ``brian2_dt``: dt/τ (None: ε, the same scheme); ``target``: the Lava
    target (module docstring), ``estimator``: the one its loihi2 graph learns with.
    """

    network: Network
    dynamics: Dynamics
    loss: SquaredError
    probe: ProbeSettings
    backends: tuple[str, ...] = BACKENDS
    lava_float: Any = None
    lava_fixed: Any = None
    brian2_dt: float | None = None
    brian2_target: str = "numpy"
    brian2_batch: int = 16
    target: str = "cpu"
    estimator: str = "one_sided"
    progress: Any = field(default=lambda message: None)


def run_backend(name: str, setup: CrosscheckSetup, x: np.ndarray, targets: np.ndarray) -> EPPhases:
    """One backend's answer."""
    net = setup.network
    if name == "engine":
        return engine_phases(net, setup.dynamics, setup.loss, x, targets, setup.probe)
    if name in ("lava-float", "lava-fixed"):
        from lava_eqprop.lava_backend.phases import lava_phases

        settings = setup.lava_float if name == "lava-float" else setup.lava_fixed
        return lava_phases(net, settings, x, targets, setup.probe)
    if name == "brian2":
        from lava_eqprop.brian2_backend.phases import brian2_phases

        return brian2_phases(net, setup.dynamics, setup.loss, x, targets, setup.probe,
                             batch=setup.brian2_batch, dt_fraction=setup.brian2_dt,
                             code_target=setup.brian2_target)
    raise ValueError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")


def run_loihi2(name: str, setup: CrosscheckSetup, x: np.ndarray,
               targets: np.ndarray) -> Loihi2Answer:
    """A Lava backend's answer on the loihi2 target, with the engine's per sample."""
    from lava_eqprop.crosscheck.loihi2 import loihi2_phases

    settings = setup.lava_float if name == "lava-float" else setup.lava_fixed
    return loihi2_phases(setup.network, settings, setup.dynamics, setup.loss, x, targets,
                         setup.probe, setup.estimator)


def crosscheck(setup: CrosscheckSetup, x: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """Run every backend, compare every pair, check the physics; the report as plain data
    (``report["ok"]`` is False when a pair is out of tolerance or a physics check fails;
    ``report["refused"]``: the backends the loihi2 graph refused, with the reason)."""
    unknown = [b for b in setup.backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; allowed: {', '.join(BACKENDS)}")
    if setup.target not in TARGETS:
        raise ValueError(f"unknown target {setup.target!r}; allowed: {', '.join(TARGETS)}")
    if "engine" not in setup.backends:
        setup.backends = ("engine", *setup.backends)     # the reference of every tolerance
    loihi2 = setup.target == "loihi2"
    results, seconds, answers, refused = {}, {}, {}, {}
    for name in setup.backends:
        setup.progress(f"running {name}{' (loihi2)' if loihi2 and name in LAVA else ''} on "
                       f"{len(x)} samples")
        start = time.perf_counter()
        if loihi2 and name in LAVA:
            try:
                answers[name] = run_loihi2(name, setup, x, targets)
            except NetworkError as exc:
                if name == "lava-float":
                    raise NetworkError(_refused(name, str(exc))) from None
                refused[name] = str(exc)
                continue
            results[name] = answers[name].graph
        else:
            results[name] = run_backend(name, setup, x, targets)
        seconds[name] = time.perf_counter() - start
    if len(results) == 1 and refused:
        raise NetworkError("; ".join(_refused(name, why) for name, why in refused.items()))
    reference = results["engine"]
    q = {"free": tol.contraction(setup.network, setup.dynamics, setup.loss, x, reference.free),
         "nudged": tol.contraction(setup.network, setup.dynamics, setup.loss, x, reference.nudged,
                                   setup.probe.beta, targets)}
    batched = [name for name in results if name not in answers]
    distances = {name: _distance(name, setup, results, q, x, targets) for name in batched}
    backends = {name: _backend_report(name, setup, results[name], seconds[name], targets)
                for name in results}
    for name, answer in answers.items():
        backends[name] |= {"target": "loihi2", "estimator": setup.estimator,
                           "rule_rates": answer.rule_rates}
    pairs = [_pair_report(a, b, results, distances, setup) for a, b in
             itertools.combinations(batched, 2)]
    pairs += [_loihi2_pair(name, answer, setup) for name, answer in answers.items()]
    ok = all(p["ok"] for p in pairs) and all(b["physics_ok"] for b in backends.values())
    return {"network": setup.network.name, "samples": len(x), "target": setup.target,
            "refused": refused,
            "probe": {"beta": setup.probe.beta, "free_steps": setup.probe.free_steps,
                      "nudged_steps": setup.probe.nudged_steps, "tol": setup.probe.tol},
            "brian2_dt_over_tau": setup.brian2_dt or setup.dynamics.epsilon,
            "contraction": q, "backends": backends, "pairs": pairs, "ok": ok}


def _distance(name: str, setup: CrosscheckSetup, results: dict[str, EPPhases],
              q: dict[str, float], x: np.ndarray, targets: np.ndarray) -> tol.Distance:
    """The backend's bound on its distance from the engine (tolerances module)."""
    if name == "lava-fixed":
        return _fixed_point_distance(setup, results["engine"], x, targets)
    if name == "brian2" and setup.brian2_dt not in (None, setup.dynamics.epsilon):
        engine, brian = results["engine"], results["brian2"]
        free, nudged = (tol.settling_distance(engine.residual[p], q[p])
                        + tol.settling_distance(brian.residual[p], q[p])
                        for p in ("free", "nudged"))
    else:
        free = nudged = 0.0 if name == "engine" else tol.FLOAT_FLOOR
    weight = tol.product_bound(setup.network, setup.probe.beta,
                               _with_input(setup.network, results["engine"], x), (free, nudged))
    return tol.Distance(free, nudged, weight)


def _with_input(network: Network, result: EPPhases, x: np.ndarray) -> tuple[dict, dict]:
    """A backend's (free, nudged) states with the clamped input added."""
    name = network.inputs[0].name
    return ({**result.free, name: x}, {**result.nudged, name: x})


def _fixed_point_distance(setup: CrosscheckSetup, engine: EPPhases, x: np.ndarray,
                          targets: np.ndarray) -> tol.Distance:
    """Lava fixed's distance: the measured effect of its grid (the engine rerun on the rounded
    weights, biases and inputs) plus the bound on the rounding of its steps (rounding_bound),
    per unit and sample; for ΔW, what both do to the products, the measured ΔW change and the
    rounding of its learning rule (tolerances module)."""
    probe, net, settings = setup.probe, setup.network, setup.lava_fixed
    chip, exponents = settings.chip, settings.weight_exponents
    rounded_net = tol.rounded_network(net, chip, exponents)
    x_grid = payload_inputs(net, chip, x)
    rounded = engine_phases(rounded_net, setup.dynamics, setup.loss, x_grid, targets, probe)
    bound = FixedPointBound(rounded_net, setup.dynamics, setup.loss, chip, exponents).run(
        x_grid, targets, probe)
    free, nudged = ({k: np.abs(phase[k] - reference[k]) + error[k] for k in error}
                    for phase, reference, error in ((rounded.free, engine.free, bound[0]),
                                                    (rounded.nudged, engine.nudged, bound[1])))
    shifts = {p.name: power_of_two_shift((settings.weight_rates.get(p.name) or 1.0)
                                         / (probe.beta * len(x))) for p in net.projections}
    extra = tol.fixed_point_weight_extra(net, chip, exponents, probe.beta, len(x), shifts)
    products = tol.product_bound(net, probe.beta, _with_input(net, rounded, x_grid), bound)
    weight = {name: products[name] + extra[name]
              + np.abs(dw - engine.weight_updates[name])
              for name, dw in rounded.weight_updates.items()}
    return tol.Distance(free, nudged, weight)


def _compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray], ta, tb) -> dict[str, Any]:
    """Max and mean |a − b| over every entry, against the tolerance ta + tb + 1e-9 (each a
    number or per entry): ``tol`` the largest tolerance, ``tol_at_max`` the one where |a − b|
    is largest, ``ratio`` the largest |a − b| / tolerance; ``ok`` when that is ≤ 1."""
    worst = mean = ratio = tol_at_max = 0.0
    largest_tol, count = tol.FLOAT_FLOOR, 0
    for key in a:
        diff = np.abs(np.asarray(a[key]) - np.asarray(b[key]))
        limit = _entry(ta, key) + _entry(tb, key) + tol.FLOAT_FLOOR
        limit = np.broadcast_to(limit, diff.shape)
        mean, count = mean + float(diff.sum()), count + diff.size
        largest_tol = max(largest_tol, float(np.max(limit, initial=0.0)))
        if diff.size:
            at = np.unravel_index(np.argmax(diff), diff.shape)
            if diff[at] >= worst:
                worst, tol_at_max = float(diff[at]), float(limit[at])
            ratio = max(ratio, float(np.max(diff / limit)))
    return {"max": worst, "mean": mean / max(count, 1), "tol": largest_tol,
            "tol_at_max": tol_at_max, "ratio": ratio,
            "ok": bool(ratio <= 1.0 and np.isfinite(largest_tol))}


def _entry(distance, key: str):
    return distance[key] if isinstance(distance, dict) else distance


def _pair_report(a: str, b: str, results: dict[str, EPPhases], distances: dict[str, tol.Distance],
                 setup: CrosscheckSetup) -> dict[str, Any]:
    da, db = distances[a], distances[b]
    ra, rb = results[a], results[b]
    report = {"a": a, "b": b,
              "free": _compare(ra.free, rb.free, da.free, db.free),
              "nudged": _compare(ra.nudged, rb.nudged, da.nudged, db.nudged),
              "dw": _compare(ra.weight_updates,
                             {k: rb.weight_updates[k] for k in ra.weight_updates},
                             da.weight, db.weight)}
    report["ok"] = all(report[k]["ok"] for k in ("free", "nudged", "dw"))
    return report


def _refused(name: str, why: str) -> str:
    return f"{name} on the loihi2 target (--target loihi2): {why}"


def _loihi2_pair(name: str, answer: Loihi2Answer, setup: CrosscheckSetup) -> dict[str, Any]:
    """The engine, per sample from the graph's weights, against the loihi2 graph."""
    exact = tol.Distance(0.0, 0.0, {key: 0.0 for key in answer.engine.weight_updates})
    report = _pair_report("engine", name, {"engine": answer.engine, name: answer.graph},
                          {"engine": exact, name: answer.distance}, setup)
    return report | {"target": "loihi2"}


def _backend_report(name: str, setup: CrosscheckSetup, result: EPPhases, seconds: float,
                    targets: np.ndarray) -> dict[str, Any]:
    out = setup.network.outputs[0].name
    loss_free = float(setup.loss.cost(result.free[out], targets).mean())
    loss_nudged = float(setup.loss.cost(result.nudged[out], targets).mean())
    ok = bool(loss_nudged < loss_free)
    report = {"seconds": seconds, "settle_steps": result.settle_steps,
              "residual": result.residual,
              "loss": {"free": loss_free, "nudged": loss_nudged, "ok": ok}}
    if result.energies is not None:
        energies = result.energies
        increase = float(np.max(np.diff(energies, axis=0), initial=-np.inf))
        allowed = tol.FLOAT_FLOOR * (1.0 + float(np.max(np.abs(energies))))
        if name == "lava-fixed":
            descends = bool(np.all(energies[-1] < energies[0]))
        else:
            descends = increase <= allowed
        report["energy"] = {"start": float(energies[0].mean()), "end": float(energies[-1].mean()),
                            "largest_increase": increase, "ok": bool(descends)}
        ok = ok and descends
    report["physics_ok"] = ok
    return report
