"""Data sets: readers for the standard files and the search for them (see datasets.py)."""

from lava_eqprop.data.datasets import DATASETS, Dataset, load_dataset

__all__ = ["DATASETS", "Dataset", "load_dataset"]
