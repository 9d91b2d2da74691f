"""The cross-check: the same network and samples through every backend, compared pairwise.

Backends (:data:`BACKENDS`): ``engine`` (NumPy, float64, the reference), ``lava-float`` and
``lava-fixed`` (compiled Lava graphs, floating_pt and fixed_pt models), ``brian2`` (the Brian2
reference simulator, continuous time by default). Each answers the question of
:mod:`lava_eqprop.engine.phases`; every pair is compared on the free equilibria, the nudged
equilibria and ΔW, against the tolerances of :mod:`lava_eqprop.crosscheck.tolerances`. Physics
checks per backend: along the free phase the energy does not increase (float backends: by more
than 1e-9·(1 + |E|) between checks; fixed point, whose rounding makes a noisy descent: E at the
end below E at the start), and the mean loss of the nudged equilibria is below the free one's.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lava_eqprop.crosscheck import tolerances as tol
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.phases import EPPhases, ProbeSettings, engine_phases
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.chips.fixed_point import activation_frac_bits, power_of_two_shift, quantise
from lava_eqprop.network.network import Network

BACKENDS = ("engine", "lava-float", "lava-fixed", "brian2")


@dataclass
class CrosscheckSetup:
    """What to run: the network and its dynamics, the probe, and the backends' options.

    ``lava_settings``: :class:`~lava_eqprop.lava_backend.settings.LavaSettings` for float (its
    fixed-point twin is derived with ``chip``); ``brian2_dt``: dt/τ (None: ε, the same scheme).
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


def crosscheck(setup: CrosscheckSetup, x: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """Run every backend, compare every pair, check the physics; the report as plain data
    (``report["ok"]`` is False when a pair is out of tolerance or a physics check fails)."""
    unknown = [b for b in setup.backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; allowed: {', '.join(BACKENDS)}")
    if "engine" not in setup.backends:
        setup.backends = ("engine", *setup.backends)     # the reference of every tolerance
    results, seconds = {}, {}
    for name in setup.backends:
        setup.progress(f"running {name} on {len(x)} samples")
        start = time.perf_counter()
        results[name] = run_backend(name, setup, x, targets)
        seconds[name] = time.perf_counter() - start
    reference = results["engine"]
    q = {"free": tol.contraction(setup.network, setup.dynamics, setup.loss, x, reference.free),
         "nudged": tol.contraction(setup.network, setup.dynamics, setup.loss, x, reference.nudged,
                                   setup.probe.beta, targets)}
    distances = {name: _distance(name, setup, results, q, x, targets) for name in results}
    backends = {name: _backend_report(name, setup, results[name], seconds[name], targets)
                for name in results}
    pairs = [_pair_report(a, b, results, distances, setup) for a, b in
             itertools.combinations(results, 2)]
    ok = all(p["ok"] for p in pairs) and all(b["physics_ok"] for b in backends.values())
    return {"network": setup.network.name, "samples": len(x),
            "probe": {"beta": setup.probe.beta, "free_steps": setup.probe.free_steps,
                      "nudged_steps": setup.probe.nudged_steps, "tol": setup.probe.tol},
            "brian2_dt_over_tau": setup.brian2_dt or setup.dynamics.epsilon,
            "contraction": q, "backends": backends, "pairs": pairs, "ok": ok}


def _distance(name: str, setup: CrosscheckSetup, results: dict[str, EPPhases],
              q: dict[str, float], x: np.ndarray, targets: np.ndarray) -> tol.Distance:
    """The backend's bound on its distance from the engine's trajectory (tolerances module)."""
    if name == "lava-fixed":
        return _fixed_point_distance(setup, results["engine"], q, x, targets)
    if name == "brian2" and setup.brian2_dt not in (None, setup.dynamics.epsilon):
        engine, brian = results["engine"], results["brian2"]
        return tol.Distance(*(tol.settling_distance(engine.residual[p], q[p])
                              + tol.settling_distance(brian.residual[p], q[p])
                              for p in ("free", "nudged")))
    if name == "engine":
        return tol.Distance(0.0, 0.0)
    return tol.Distance(tol.FLOAT_FLOOR, tol.FLOAT_FLOOR)


def _fixed_point_distance(setup: CrosscheckSetup, engine: EPPhases, q: dict[str, float],
                          x: np.ndarray, targets: np.ndarray) -> tol.Distance:
    """Lava fixed's distance: the measured effect of its rounded weights and biases (the engine
    rerun on them) plus the bound on the rounding of its dynamics (tolerances module)."""
    probe, net, settings = setup.probe, setup.network, setup.lava_fixed
    chip, exponents, eps = settings.chip, settings.weight_exponents, setup.dynamics.epsilon
    rounded = engine_phases(tol.rounded_network(net, chip, exponents), setup.dynamics, setup.loss,
                            x, targets, probe)
    fa_in = activation_frac_bits(net.inputs[0].act.hi, chip.activation_bits)
    input_delta = float(np.max(np.abs(x - quantise(x, fa_in) * 2.0 ** -fa_in)))
    c_free, c_nudged = (tol.fixed_point_step_error(net, chip, exponents, eps, nudge,
                                                   weights_rounded=True, input_delta=input_delta)
                        for nudge in (0.0, probe.beta * setup.loss.scale))
    e_free = tol.fixed_point_state_error(c_free, q["free"], probe.free_steps)
    e_nudged = tol.fixed_point_state_error(c_nudged, q["nudged"], probe.nudged_steps, e_free)
    shifts = {p.name: power_of_two_shift((settings.weight_rates.get(p.name) or 1.0)
                                         / (probe.beta * len(x))) for p in net.projections}
    extra = tol.fixed_point_weight_extra(net, chip, exponents, probe.beta, len(x), shifts)
    for name, dw in rounded.weight_updates.items():
        extra[name] += float(np.max(np.abs(dw - engine.weight_updates[name])))
    return tol.Distance(_stats(rounded.free, engine.free)[0] + e_free,
                        _stats(rounded.nudged, engine.nudged)[0] + e_nudged, extra)


def _stats(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> tuple[float, float]:
    diffs = np.concatenate([np.abs(a[k] - b[k]).reshape(-1) for k in a])
    return float(diffs.max(initial=0.0)), float(diffs.mean()) if diffs.size else 0.0


def _pair_report(a: str, b: str, results: dict[str, EPPhases], distances: dict[str, tol.Distance],
                 setup: CrosscheckSetup) -> dict[str, Any]:
    da, db = distances[a], distances[b]
    t_free = da.free + db.free + tol.FLOAT_FLOOR
    t_nudged = da.nudged + db.nudged + tol.FLOAT_FLOOR
    ra, rb = results[a], results[b]
    report = {"a": a, "b": b}
    for key, t, xa, xb in (("free", t_free, ra.free, rb.free),
                           ("nudged", t_nudged, ra.nudged, rb.nudged)):
        worst, mean = _stats(xa, xb)
        report[key] = {"max": worst, "mean": mean, "tol": t, "ok": bool(worst <= t < np.inf)}
    per_projection = tol.weight_tolerance(setup.network, setup.probe.beta, t_free, t_nudged)
    worst_ratio, worst, worst_limit, means = 0.0, 0.0, tol.FLOAT_FLOOR, []
    for name, limit in per_projection.items():
        if name not in ra.weight_updates:
            continue
        limit += sum((d.weight_extra or {}).get(name, 0.0) for d in (da, db))
        limit += tol.FLOAT_FLOOR
        diff = np.abs(ra.weight_updates[name] - rb.weight_updates[name])
        means.append(diff.mean())
        if diff.max() / limit >= worst_ratio:
            worst_ratio, worst, worst_limit = diff.max() / limit, float(diff.max()), limit
    report["dw"] = {"max": worst, "mean": float(np.mean(means)), "tol": worst_limit,
                    "ok": bool(worst_ratio <= 1.0 and worst_limit < np.inf)}
    report["ok"] = all(report[k]["ok"] for k in ("free", "nudged", "dw"))
    return report


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
