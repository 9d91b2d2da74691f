"""The one network description (populations + projections) and the topology generators."""

from lava_eqprop.network.activations import ACTIVATIONS, Activation, get_activation
from lava_eqprop.network.generators import layered, small_world
from lava_eqprop.network.network import ConvGeometry, Network, Population, Projection

__all__ = ["ACTIVATIONS", "Activation", "ConvGeometry", "Network", "Population", "Projection",
           "get_activation", "layered", "small_world"]
