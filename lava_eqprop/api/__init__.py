"""The Python API: every verb of the command line as a function (the CLI is a thin layer over
these). Importing :mod:`lava_eqprop` itself is cheap and changes nothing global; these
functions are reached as ``lava_eqprop.train`` etc. (see the README's example)."""

from lava_eqprop.api.exchange import export_nir, import_nir, lava_synapse
from lava_eqprop.api.graphs import CompiledGraph, compile_lava, crosscheck, map_network
from lava_eqprop.api.inference import Evaluation, evaluate, predict
from lava_eqprop.api.inputs import load_data, load_spec
from lava_eqprop.api.sweeps import sweep
from lava_eqprop.api.training import TrainedRun, train
from lava_eqprop.io.hdf5 import load_network, save_network

__all__ = ["CompiledGraph", "Evaluation", "TrainedRun", "compile_lava", "crosscheck", "evaluate",
           "export_nir", "import_nir", "lava_synapse",
           "load_data", "load_network", "load_spec", "map_network", "predict", "save_network",
           "sweep", "train"]
