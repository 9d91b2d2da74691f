"""What several verbs read first: a spec's network (or trained weights) and its test data."""

from __future__ import annotations

import argparse
from pathlib import Path

from lava_eqprop.cli.arguments import positive_int
from lava_eqprop.data.datasets import Dataset
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec, load_spec_dataset


def add_model_input_arguments(p: argparse.ArgumentParser, verb: str, samples: int) -> None:
    """MODEL, --weights, --samples and --data: what :func:`network_and_test_data` reads."""
    p.add_argument("model", type=Path, help="model spec (TOML): network, dynamics, data set")
    p.add_argument("--weights", type=Path, help=f"network.h5 or checkpoint.h5 to {verb} instead "
                                                 "of the spec's initial network")
    p.add_argument("--samples", type=positive_int, default=samples,
                   help=f"test samples (default {samples})")
    p.add_argument("--data", help="path of the data set (file or directory)")


def network_and_test_data(spec: ModelSpec, weights: Path | None, data: str | None,
                          samples: int) -> tuple[Network, Dataset]:
    """The network of ``weights`` (or the spec's initial one) and the first ``samples`` test
    samples of the spec's data set (from ``data`` if given), checked to fit each other."""
    from lava_eqprop.io.hdf5 import load_network
    from lava_eqprop.training.data_preparation import check_data_fits

    network = load_network(weights) if weights else spec.build_network()
    dataset = load_spec_dataset(spec, data)
    dataset = dataset.subset(test=samples)
    check_data_fits(spec, network, dataset)
    return network, dataset
