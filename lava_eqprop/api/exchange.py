"""``lava_eqprop.export_nir``, ``import_nir`` and ``lava_synapse``: a network to and from NIR,
and a projection as a stock Lava synapse (:mod:`lava_eqprop.export`)."""

from __future__ import annotations

import os
from typing import Any

from lava_eqprop.export import nir_graph
from lava_eqprop.export.lava_processes import lava_synapse
from lava_eqprop.network.network import Network

__all__ = ["export_nir", "import_nir", "lava_synapse"]


def export_nir(network: Network, path: str | os.PathLike[str] | None = None) -> Any:
    """The NIR graph of ``network`` (:mod:`lava_eqprop.export.nir_graph` says what it holds),
    also written to the NIR file ``path`` if given."""
    if path is not None:
        nir_graph.write_nir(network, path)
    return nir_graph.export_nir(network)


def import_nir(graph_or_path: Any) -> Network:
    """The network of a NIR graph, or of the NIR file at a path."""
    if isinstance(graph_or_path, (str, os.PathLike)):
        return nir_graph.read_nir(graph_or_path)
    return nir_graph.import_nir(graph_or_path)
