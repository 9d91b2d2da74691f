"""lava-eqprop: Equilibrium Propagation networks trained the way a neuromorphic chip would.

The core is a plain network description (:mod:`lava_eqprop.network`), model specs
(:mod:`lava_eqprop.spec`), the NumPy reference engine (:mod:`lava_eqprop.engine`) and its
trainer (:mod:`lava_eqprop.training`). Lava is only imported by the Lava backend, through
:mod:`lava_eqprop.lava_compat`.

The Python API (:mod:`lava_eqprop.api`) is reached from here: ``lava_eqprop.load_spec``,
``load_data``, ``train``, ``predict``, ``evaluate``, ``load_network``, ``save_network``,
``compile_lava``, ``crosscheck``, ``map_network``, ``export_nir``, ``import_nir``,
``lava_synapse`` and ``sweep``. They are imported on first use, so ``import lava_eqprop``
loads nothing else and changes nothing global (no plotting backend, no logging configuration).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {name: "lava_eqprop.api" for name in (
    "CompiledGraph", "Evaluation", "TrainedRun", "compile_lava", "crosscheck", "evaluate",
    "export_nir", "import_nir", "lava_synapse", "load_data", "load_network", "load_spec",
    "map_network", "predict", "save_network", "sweep", "train")}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:
    from lava_eqprop.api import (  # noqa: F401
        CompiledGraph,
        Evaluation,
        TrainedRun,
        compile_lava,
        crosscheck,
        evaluate,
        export_nir,
        import_nir,
        lava_synapse,
        load_data,
        load_network,
        load_spec,
        map_network,
        predict,
        save_network,
        sweep,
        train,
    )


def __getattr__(name: str) -> Any:
    """The API's functions, imported on first use (PEP 562)."""
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lava_eqprop' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
