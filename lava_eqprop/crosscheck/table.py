"""The cross-check report (:func:`lava_eqprop.crosscheck.check.crosscheck`) as text tables."""

from __future__ import annotations

from typing import Any


def _settled(steps: int | None, total: int) -> str:
    if steps is None:
        return "n/a"
    return f"{steps}" if steps < total else f"{steps} (not settled)"


def _target(report: dict[str, Any]) -> str:
    if report["target"] == "cpu":
        return "Lava target cpu"
    return ("Lava target loihi2: one sample at a time, learning after each, compared per sample "
            "with the engine from the graph's weights before the sample; dW of both mirrored "
            "copies over the rule's rate m·2^E")


def format_report(report: dict[str, Any]) -> str:
    probe = report["probe"]
    backends = {name: name + (f" ({b['target']}, {b['estimator']})" if "target" in b else "")
                for name, b in report["backends"].items()}
    pairs = [f"{p['a']} ~ {p['b']}" + (f" ({p['target']})" if "target" in p else "")
             for p in report["pairs"]]
    width = max(12, *(len(label) for label in backends.values()))
    pair_width = max(26, *(len(label) for label in pairs))
    lines = [f"cross-check of {report['network']!r} on {report['samples']} samples: β = "
             f"{probe['beta']:g}, {probe['free_steps']} free + {probe['nudged_steps']} nudged "
             f"steps, settled when no unit moves > {probe['tol']:g} per step; Brian2 dt = "
             f"{report['brian2_dt_over_tau']:g} τ; engine map contracts by q = "
             f"{report['contraction']['free']:.3f} (free), {report['contraction']['nudged']:.3f} "
             "(nudged) per step",
             _target(report),
             "",
             f"{'backend':{width}s} {'seconds':>8s}  {'settled free':>20s}  "
             f"{'settled nudged':>20s}  {'energy start -> end':>22s}  "
             f"{'loss free -> nudged':>22s}  physics"]
    for name, b in report["backends"].items():
        energy = b.get("energy")
        e_text = f"{energy['start']:.4g} -> {energy['end']:.4g}" if energy else "n/a (directed)"
        loss, settle = b["loss"], b["settle_steps"]
        lines.append(
            f"{backends[name]:{width}s} {b['seconds']:8.3f}  "
            f"{_settled(settle.get('free'), probe['free_steps']):>20s}  "
            f"{_settled(settle.get('nudged'), probe['nudged_steps']):>20s}  "
            f"{e_text:>22s}  {loss['free']:.4g} -> {loss['nudged']:.4g}".ljust(width + 104)
            + ("  ok" if b["physics_ok"] else "  FAIL"))
    for name, b in report["backends"].items():
        if "rule_rates" in b:
            rates = ", ".join(f"{k} {v:g}" for k, v in b["rule_rates"].items())
            lines.append(f"{backends[name]}: rule rates m·2^E: {rates}")
    for name, why in report["refused"].items():
        lines.append(f"{name} ({report['target']}): not run: {why}")
    lines += ["", "max / mean |difference| (tolerance where the difference is largest; "
              "largest difference/tolerance over all entries)",
              f"{'pair':{pair_width}s} {'free equilibria':>40s} {'nudged equilibria':>40s} "
              f"{'dW':>40s}  within"]
    for p, label in zip(report["pairs"], pairs):
        cells = [f"{p[k]['max']:.2e} / {p[k]['mean']:.2e} ({p[k]['tol_at_max']:.1e}; "
                 f"{p[k]['ratio']:.2g})" + ("" if p[k]["ok"] else "!")
                 for k in ("free", "nudged", "dw")]
        lines.append(f"{label:{pair_width}s} " + " ".join(f"{c:>40s}" for c in cells)
                     + ("  yes" if p["ok"] else "  NO"))
    lines.append("")
    lines.append("all pairs within tolerance, physics checks passed" if report["ok"] else
                 "FAILED: a pair is out of tolerance (marked !) or a physics check failed")
    return "\n".join(lines)
