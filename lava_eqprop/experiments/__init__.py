"""The pieces the paper reproductions and studies in ``tools/`` share, one job per module.

- :mod:`~lava_eqprop.experiments.figures`: the JSON line of figures a script ends with, the
  machine it ran on, progress messages;
- :mod:`~lava_eqprop.experiments.specs`: the repository's model specs and the variants a study
  derives from them;
- :mod:`~lava_eqprop.experiments.statistics`: Gammell et al.'s (2021) layer-ratio statistic of
  the per-layer update magnitudes;
- :mod:`~lava_eqprop.experiments.replicas`: several seeds of one net trained as one
  block-diagonal net (Farinha et al. 2020's success rates over seeds);
- :mod:`~lava_eqprop.experiments.stability_counts`: how many trained nets get each stability
  verdict;
- :mod:`~lava_eqprop.experiments.magnitude_pruning`: accuracy against sparsity when the
  smallest weights are removed after training.
"""
