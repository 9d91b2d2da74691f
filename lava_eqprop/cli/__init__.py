"""The ``lava-eqprop`` command line (one module per verb)."""
