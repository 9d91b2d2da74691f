"""Brian2 backend: the network as Brian2 NeuronGroups and Synapses, the independent witness the
engine and Lava are cross-checked against (:mod:`.model` builds, :mod:`.phases` runs)."""
