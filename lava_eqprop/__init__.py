"""lava-eqprop: Equilibrium Propagation networks trained the way a neuromorphic chip would.

The core is a plain network description (:mod:`lava_eqprop.network`), model specs
(:mod:`lava_eqprop.spec`), the NumPy reference engine (:mod:`lava_eqprop.engine`) and its
trainer (:mod:`lava_eqprop.training`). Lava is only imported by the Lava backend, through
:mod:`lava_eqprop.lava_compat`.
"""

__version__ = "0.1.0"
