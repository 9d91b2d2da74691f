"""What a training run reports: its progress bar, a log line per epoch, and the description of
the network in summary.json."""

from __future__ import annotations

from typing import Any

from lava_eqprop.network.network import Network


def progress_bar(total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar of ``total`` batches, or None when ``enabled`` is false."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=None, unit="batch")


def format_record(r: dict[str, Any]) -> str:
    """The log line of an epoch's record."""
    persistent = r.get("test_error_persistent")
    return (f"epoch {r['epoch']:3d}  train error {100 * r['train_error']:6.2f}%  "
            f"test error {100 * r['test_error']:6.2f}%"
            + (f" (persistent {100 * persistent:.2f}%)" if persistent is not None else "")
            + f"  {r['samples_per_second']:8.0f} samples/s  "
            f"layer |dW| " + " ".join(f"{v:.2e}" for v in r["layer_mean_abs_dw"]))


def describe_network(network: Network) -> dict[str, Any]:
    """Populations, projections and connection counts, as summary.json lists them."""
    return {
        "topology": network.metadata.get("topology", "custom"),
        "populations": [{"name": p.name, "shape": list(p.shape), "role": p.role,
                         "activation": p.activation} for p in network.populations],
        "projections": [{"name": p.name, "pre": p.pre, "post": p.post, "kind": p.kind,
                         "symmetric": p.symmetric, "connections": network.connections(p)}
                        for p in network.projections],
        "connections": network.num_connections,
        "metadata": network.metadata,
    }
