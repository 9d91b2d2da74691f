"""Files: atomic writes and the versioned HDF5 format of networks and checkpoints."""

from lava_eqprop.io.hdf5 import (
                                 FORMAT_VERSION,
                                 Checkpoint,
                                 load_checkpoint,
                                 load_network,
                                 save_checkpoint,
                                 save_network,
)

__all__ = ["FORMAT_VERSION", "Checkpoint", "load_checkpoint", "load_network", "save_checkpoint",
           "save_network"]
