"""A trained network leaving the project: a NIR graph (:mod:`.nir_graph`) and stock Lava
processes holding a projection's weights (:mod:`.lava_processes`)."""
