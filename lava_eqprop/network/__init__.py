"""The one network description (populations + projections) and the topology generators."""

from lava_eqprop.network.activations import ACTIVATIONS, Activation, get_activation
from lava_eqprop.network.generators import layered, small_world
from lava_eqprop.network.network import Network, Population, Projection

__all__ = ["ACTIVATIONS", "Activation", "Network", "Population", "Projection", "get_activation",
           "layered", "small_world"]
