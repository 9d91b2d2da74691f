"""LearningRatePopulation: the rate neuron of the Loihi 2 graph, and its phase-code source."""
