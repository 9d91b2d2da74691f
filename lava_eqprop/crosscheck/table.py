"""The cross-check report (:func:`lava_eqprop.crosscheck.check.crosscheck`) as text tables."""

from __future__ import annotations

from typing import Any


def _settled(steps: int, total: int) -> str:
    return f"{steps}" if steps < total else f"{steps} (not settled)"


def format_report(report: dict[str, Any]) -> str:
    probe = report["probe"]
    lines = [f"cross-check of {report['network']!r} on {report['samples']} samples: β = "
             f"{probe['beta']:g}, {probe['free_steps']} free + {probe['nudged_steps']} nudged "
             f"steps, settled when no unit moves > {probe['tol']:g} per step; Brian2 dt = "
             f"{report['brian2_dt_over_tau']:g} τ; engine map contracts by q = "
             f"{report['contraction']['free']:.3f} (free), {report['contraction']['nudged']:.3f} "
             "(nudged) per step",
             "",
             f"{'backend':12s} {'seconds':>8s}  {'settled free':>20s}  {'settled nudged':>20s}  "
             f"{'energy start -> end':>22s}  {'loss free -> nudged':>22s}  physics"]
    for name, b in report["backends"].items():
        energy = b.get("energy")
        e_text = f"{energy['start']:.4g} -> {energy['end']:.4g}" if energy else "n/a (directed)"
        loss = b["loss"]
        lines.append(
            f"{name:12s} {b['seconds']:8.3f}  "
            f"{_settled(b['settle_steps']['free'], probe['free_steps']):>20s}  "
            f"{_settled(b['settle_steps']['nudged'], probe['nudged_steps']):>20s}  "
            f"{e_text:>22s}  {loss['free']:.4g} -> {loss['nudged']:.4g}".ljust(116)
            + ("  ok" if b["physics_ok"] else "  FAIL"))
    lines += ["", "max / mean |difference| (tolerance where the difference is largest; "
              "largest difference/tolerance over all entries)",
              f"{'pair':26s} {'free equilibria':>40s} {'nudged equilibria':>40s} "
              f"{'dW':>40s}  within"]
    for p in report["pairs"]:
        cells = [f"{p[k]['max']:.2e} / {p[k]['mean']:.2e} ({p[k]['tol_at_max']:.1e}; "
                 f"{p[k]['ratio']:.2g})" + ("" if p[k]["ok"] else "!")
                 for k in ("free", "nudged", "dw")]
        lines.append(f"{p['a'] + ' ~ ' + p['b']:26s} " + " ".join(f"{c:>40s}" for c in cells)
                     + ("  yes" if p["ok"] else "  NO"))
    lines.append("")
    lines.append("all pairs within tolerance, physics checks passed" if report["ok"] else
                 "FAILED: a pair is out of tolerance (marked !) or a physics check failed")
    return "\n".join(lines)
