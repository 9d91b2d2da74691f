"""The Lava backend: a network of the core description compiled into a Lava process graph.

The graph runs EP the way a chip would: a :class:`PhaseController` clocks LOAD, free and nudged
phases (:mod:`.protocol`); rate-neuron populations relax with the engine's update rule; plastic
synapses carry each projection's weight, drive both ends of a symmetric projection and apply
the local contrastive update themselves (``lrn_guard``/``run_lrn``). The host streams batch
indices in through the controller's schedule and reads predictions from a readout pipe; it
reads weights only at checkpoints.

Importing this package installs the Python 3.11 fix for lava-nc (:mod:`lava_eqprop.lava_compat`)
before anything imports Lava; the rest of lava_eqprop never imports Lava.
"""

from lava_eqprop.lava_compat import import_lava

import_lava()
