"""``lava_eqprop.train``: train a model spec, or a network of your own, with any backend."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lava_eqprop.api.inputs import (
    DataLike,
    SpecLike,
    as_dataset,
    lava_options,
    load_spec,
    logger,
    network_spec,
)
from lava_eqprop.errors import SpecError
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec

BACKENDS = ("engine", "lava")


@dataclass
class TrainedRun:
    """What :func:`train` returns: the trained ``network`` (carrying its spec), the ``spec``,
    the ``history`` (one record per epoch, the entries of summary.json's ``epochs``) and the
    output directory ``out`` (None: nothing was written)."""

    network: Network
    spec: ModelSpec
    history: list[dict[str, Any]] = field(default_factory=list)
    out: Path | None = None

    @property
    def test_error(self) -> float:
        """The test error after the last epoch (fraction of samples misclassified)."""
        if not self.history:
            raise SpecError("no epoch was trained: the run has no test error yet")
        return float(self.history[-1]["test_error"])


def train(spec_or_network: SpecLike | Network, *, spec: SpecLike | None = None,
          epochs: int | None = None, data: DataLike = None,
          out: str | os.PathLike[str] | None = None, resume: bool = False,
          backend: str = "engine", device: str | None = None,
          lava: Mapping[str, Any] | None = None, train_samples: int | None = None,
          test_samples: int | None = None, progress: bool = True, stats_every: int = 10,
          log: Callable[[str], None] | None = None) -> TrainedRun:
    """Train with Equilibrium Propagation (Scellier & Bengio 2017) as the spec says.

    ``spec_or_network``: a spec (path, table or :class:`ModelSpec`: its initial network is
    trained), or a :class:`Network` (a copy is trained, with the dynamics, learning and data of
    ``spec``, by default the one it carries). ``epochs``: train until this many are done
    (default the spec's). ``data``: see :func:`~lava_eqprop.api.inputs.as_dataset`;
    ``train_samples``/``test_samples`` keep the first N. ``out``: the run directory
    (checkpoint after every epoch, network.h5, summary.json, plots); None writes nothing.
    ``resume``: continue the run in ``out``. ``backend``: "engine" (NumPy, or PyTorch on
    ``device`` "cpu"/"cuda") or "lava" (a Lava process graph; ``lava`` holds its options,
    :data:`~lava_eqprop.api.inputs.LAVA_OPTIONS`). ``log`` receives a line per epoch (default:
    the ``lava_eqprop`` logger at INFO); ``progress`` shows a bar per epoch."""
    if backend not in BACKENDS:
        raise SpecError(f"backend={backend!r}: the backends are {', '.join(BACKENDS)}")
    if backend == "lava" and device is not None:
        raise SpecError("device= runs the engine with PyTorch: it does not apply to "
                        "backend='lava'")
    if backend == "engine" and lava:
        raise SpecError("lava= holds the options of backend='lava'")
    checked_lava = lava_options(lava) if backend == "lava" else None
    if isinstance(spec_or_network, Network):
        network: Network | None = spec_or_network
        model = network_spec(spec_or_network, spec)
    else:
        if spec is not None:
            raise SpecError("spec= goes with a network; a spec is given once, as the first "
                            "argument")
        network, model = None, load_spec(spec_or_network)
    dataset = as_dataset(data, model, network.outputs[0].size if network else None)
    dataset = dataset.subset(train_samples or model.data.train_samples or None,
                             test_samples or model.data.test_samples or None)
    out_dir = None if out is None else Path(out)
    options: dict[str, Any] = dict(resume=resume, network=network, stats_every=stats_every,
                                   progress=progress, log=log or logger.info)
    if backend == "lava":
        from lava_eqprop.lava_backend.trainer import LavaTrainer

        trainer: Any = LavaTrainer(model, dataset, out_dir, lava_options=checked_lava,
                                   **options)
    else:
        from lava_eqprop.training.trainer import Trainer

        trainer = Trainer(model, dataset, out_dir, device=device, **options)
    history = trainer.train(epochs)
    return TrainedRun(trainer.network, model, history, trainer.out_dir)
