"""What ``lava-eqprop map`` prints: a mapping as a table and as one JSON-ready dict (with
``--target loihi2``, what the loihi2 training graph stores), and the energy and latency
estimates as a table."""

from __future__ import annotations

from typing import Any

from lava_eqprop.chips.learning_storage import LearningStorage
from lava_eqprop.chips.mapping import Mapping
from lava_eqprop.chips.partition import RESOURCE_LABELS


def mapping_summary(mapping: Mapping, quantisation: dict[str, dict[str, float]] | None
                    ) -> dict[str, Any]:
    """The mapping as plain data: per population, per resource, chips and systems."""
    chip = mapping.chip
    populations = {}
    for name, k in mapping.splits.items():
        cores = [c for c in mapping.cores if c.population == name]
        populations[name] = {
            "neurons": sum(c.neurons for c in cores), "cores": k,
            "layout": mapping.layouts[name].order,
            **{f"max_{field}": max(getattr(c, field) for c in cores)
               for field in ("neurons", "synapses", "synaptic_memory_bits", "input_axons",
                             "output_axons")}}
    per_chip = chip.cores.cores_per_chip if chip.cores else None
    return {
        "network": mapping.network, "chip": chip.name, "cores": len(mapping.cores),
        "chips": mapping.chips_used, "cores_per_chip": per_chip,
        "populations": populations, "utilisation": mapping.utilisation(),
        "binding": mapping.binding(),
        "weights": "shared" if mapping.shared_weights else "unrolled",
        "fits_systems": {name: n for name, n in chip.systems.items() if n >= mapping.chips_used},
        "weight_quantisation": quantisation or {},
        "weight_sharing": mapping.weight_sharing}


def format_mapping(summary: dict[str, Any]) -> str:
    """The table ``map`` prints (see :func:`mapping_summary` for the fields)."""
    lines = [f"{summary['network']} on {summary['chip']}: {summary['cores']} cores"
             + (f" on {summary['chips']} chip{'s' if summary['chips'] > 1 else ''} "
                f"({summary['cores_per_chip']} cores each)" if summary["cores_per_chip"] else
                " (unconstrained target: one per population)")
             + (f", convs stored {summary['weights']}" if summary["weight_sharing"] else "")]
    if "learning_storage" in summary:
        w = summary["learning_storage"]["widths"]
        lines.append(f"target loihi2: memory/core holds the training graph's learning synapses, "
                     f"{w['weight_bits']}-bit weight + {w['tag_bits']}-bit tag each")
    lines.append("")
    lines.append(f"{'population':<14}{'neurons':>9}{'cores':>7}{'layout':>9}{'neurons/core':>14}"
                 f"{'synapses/core':>15}{'memory/core':>13}{'in axons':>10}{'out axons':>11}")
    for name, row in summary["populations"].items():
        lines.append(f"{name:<14}{row['neurons']:>9}{row['cores']:>7}{row['layout']:>9}"
                     f"{row['max_neurons']:>14}"
                     f"{row['max_synapses']:>15}{_kib(row['max_synaptic_memory_bits']):>13}"
                     f"{row['max_input_axons']:>10}{row['max_output_axons']:>11}")
    use = summary["utilisation"]
    if use:
        lines += ["", f"{'resource':<17}{'limit/core':>12}{'max use':>9}{'mean use':>10}"]
        for resource, u in use.items():
            limit = (_kib(u["limit"]) if resource == "synaptic_memory_bits"
                     else f"{int(u['limit'])}")
            lines.append(f"{RESOURCE_LABELS[resource]:<17}{limit:>12}{u['max']:>9.1%}"
                         f"{u['mean']:>10.1%}")
        lines.append(f"binding resource: {RESOURCE_LABELS[summary['binding']]}")
        fits = summary["fits_systems"]
        lines.append("fits: " + (", ".join(f"{k} ({v} chip{'s' if v > 1 else ''})"
                                           for k, v in fits.items())
                                 if fits else "none of the listed systems"))
    if summary["weight_quantisation"]:
        lines += ["", f"{'projection':<22}{'exponent':>9}{'max |dW|':>11}{'rms dW/rms W':>14}"
                      f"{'saturated':>11}"]
        for name, q in summary["weight_quantisation"].items():
            lines.append(f"{name:<22}{q['exponent']:>9}{q['max_abs_error']:>11.2e}"
                         f"{q['relative_rms_error']:>14.2%}{q['saturated']:>11}")
    if summary["weight_sharing"]:
        lines += ["", "synaptic memory of conv projections on these cores: one weight per "
                      "synapse vs kernels shared within each core", f"{'conv projection':<22}"
                      f"{'synapses':>10}{'kernel':>8}{'unrolled':>14}{'shared':>14}{'saving':>9}"]
        for name, w in summary["weight_sharing"].items():
            lines.append(f"{name:<22}{w['synapses']:>10}{w['kernel_entries']:>8}"
                         f"{_kib(w['unrolled_bits']):>14}{_kib(w['shared_bits']):>14}"
                         f"{w['saving']:>8.3g}x")
    if "learning_storage" in summary:
        lines += ["", format_learning_storage(summary["learning_storage"])]
    return "\n".join(lines)


def learning_storage_summary(storage: LearningStorage, mapping: Mapping) -> dict[str, Any]:
    """:meth:`LearningStorage.summary` and, on a chip with [cores], its synaptic variables
    against the synaptic memory of the cores that hold its learning neurons in ``mapping``
    (partitioned with the training graph's synapses; the clamped input's cores hold none): in
    all, and on the fullest core."""
    out = storage.summary()
    limits = mapping.chip.cores
    if limits is not None:
        cores = [c for c in mapping.cores if c.population in storage.neurons]
        capacity = len(cores) * limits.synaptic_memory_bits
        out["synaptic_memory"] = {
            "cores": len(cores), "bits_per_core": limits.synaptic_memory_bits,
            "share": out["total"]["synaptic_variable_bits"] / capacity,
            "max_core_share": max(c.synaptic_memory_bits for c in cores)
            / limits.synaptic_memory_bits}
    return out


def format_learning_storage(storage: dict[str, Any]) -> str:
    """The training graph's storage (:func:`learning_storage_summary`) as a table, in bits."""
    w = storage["widths"]
    lines = [f"loihi2 training graph, in bits: per synapse a {w['weight_bits']}-bit weight and a "
             f"{w['tag_bits']}-bit tag (Lava W_WEIGHTS_S, W_TAG_1_S),",
             f"sparse: + source index; {w['trace_bits']}-bit traces ([learning] trace_bits); "
             f"neuron state s, s_free, bias of {w['state_bits']} bits ([arithmetic] state_bits)",
             f"{'projection':<14}{'synapse':<16}{'copies':>7}{'synapses':>10}{'weights':>10}"
             f"{'tags':>10}{'indices':>10}{'x1 traces':>11}{'total':>11}"]
    for name, p in storage["projections"].items():
        lines.append(f"{name:<14}{p['process']:<16}{p['copies']:>7}{p['synapses']:>10}"
                     f"{p['weight_bits']:>10}{p['tag_bits']:>10}{p['index_bits']:>10}"
                     f"{p['x1_trace_bits']:>11}{p['total_bits']:>11}")
    lines += ["", f"{'population':<14}{'neurons':>9}{'y1-y3 traces':>14}{'state':>10}"
                  f"{'total':>11}"]
    for name, p in storage["populations"].items():
        lines.append(f"{name:<14}{p['neurons']:>9}{p['y_trace_bits']:>14}{p['state_bits']:>10}"
                     f"{p['total_bits']:>11}")
    t = storage["total"]
    lines += ["", f"total: {t['synapses']} synapses in {t['copies']} copies",
              f"  synaptic variables (weights, tags, indices) {_bits(t['synaptic_variable_bits'])}"]
    memory = storage.get("synaptic_memory")
    if memory:
        n = memory["cores"]
        lines.append(f"    = {memory['share']:.1%} of the synaptic memory of the {n} cores "
                     f"holding learning neurons ({n} x {_kib(memory['bits_per_core'])}); "
                     f"fullest core {memory['max_core_share']:.1%}")
    lines += [f"  x1 traces {_bits(t['x1_trace_bits'])}, y1-y3 traces {_bits(t['y_trace_bits'])}, "
              f"neuron state {_bits(t['state_bits'])}",
              f"  all {_bits(t['total_bits'])}"]
    return "\n".join(lines)


def _bits(bits: int) -> str:
    return f"{bits} bits ({_kib(bits)})"


def _kib(bits: float) -> str:
    return f"{bits / 8192:.1f} KiB"


def format_estimates(chip: str, estimates: dict) -> str:
    """Per event threshold and mode (training, inference): energy per sample and the share of
    each term, latency per sample, messages (see :mod:`lava_eqprop.chips.energy`)."""
    lines = [f"per sample on {chip}: {'threshold':>9} {'mode':<10}{'energy':>12}"
             f"{'syn ops':>9}{'neurons':>9}{'routing':>9}{'chip-chip':>10}{'learning':>9}"
             f"{'latency':>14}{'messages':>11}"]
    for threshold, by_mode in estimates.items():
        for mode, e in by_mode.items():
            share = e["energy_share"]
            lines.append(
                f"{'':<15}{threshold:>9} {mode:<10}{e['energy_pj']['total'] / 1e6:>9.2f} uJ"
                f"{share['synaptic_ops']:>9.0%}{share['neuron_updates']:>9.0%}"
                f"{share['spike_routing']:>9.0%}{share['inter_chip']:>10.0%}"
                f"{share['learning']:>9.0%}"
                f"{e['latency_ns']['total'] / 1e3:>11.1f} us{e['messages']:>11.0f}")
    return "\n".join(lines)
