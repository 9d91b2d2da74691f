"""``lava_eqprop.predict`` and ``lava_eqprop.evaluate``: the free phase of a trained network
(the prediction is the most active output neuron at the free equilibrium, Scellier & Bengio
2017), run by the engine or in Lava."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lava_eqprop.api.inputs import DataLike, SpecLike, as_dataset, lava_options, network_spec
from lava_eqprop.errors import SpecError
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec


@dataclass
class Evaluation:
    """What :func:`evaluate` measured: the ``error`` (fraction misclassified) of ``samples``
    test samples of the data set named ``dataset``, the ``predictions``, the free-phase cap
    ``steps``, the wall time, and per backend ``details`` (engine: the relaxation's steps
    and residuals; Lava: messages and synaptic operations per sample)."""

    error: float
    samples: int
    dataset: str
    predictions: np.ndarray
    steps: int
    seconds: float
    backend: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else float("inf")


def predict(network: Network, x: Any, *, spec: SpecLike | None = None, steps: int | None = None,
            backend: str = "engine", device: str | None = None,
            lava: Mapping[str, Any] | None = None) -> np.ndarray:
    """The predicted class of every sample of ``x`` (one per row, or one per leading index for
    images), as the network's input layer receives it (with ``[data] normalise``, already
    standardised). ``spec``: the dynamics (default: the network's own); ``steps``: the free
    phase's cap (default the spec's eval_steps); ``backend``, ``device``, ``lava`` as in
    :func:`~lava_eqprop.api.training.train`."""
    model = network_spec(network, spec)
    inputs: np.ndarray = np.asarray(x, dtype=model.dtype)
    size = network.inputs[0].size
    if inputs.ndim < 2 or inputs[0].size != size:
        raise SpecError(f"x has shape {inputs.shape}: expected one sample of {size} inputs "
                        f"(shape {network.inputs[0].shape}) per row")
    inputs = inputs.reshape(len(inputs), size)
    labels, _ = _free_phase(network, model, inputs, steps or model.eval_steps, backend, device,
                            lava)
    return labels


def evaluate(network: Network, data: DataLike = None, *, spec: SpecLike | None = None,
             steps: int | None = None, samples: int | None = None, backend: str = "engine",
             device: str | None = None, lava: Mapping[str, Any] | None = None) -> Evaluation:
    """The test error of ``network`` on the test split of ``data`` (default: the spec's data
    set; see :func:`~lava_eqprop.api.inputs.as_dataset`), its first ``samples`` if given,
    prepared as in training; other arguments as in :func:`predict`."""
    from lava_eqprop.training.data_preparation import check_data_fits, prepared_inputs

    model = network_spec(network, spec)
    dataset = as_dataset(data, model, network.outputs[0].size).subset(test=samples)
    check_data_fits(model, network, dataset)
    steps = steps or model.eval_steps
    start = time.perf_counter()
    x = prepared_inputs(model, dataset, model.dtype)[1]
    labels, details = _free_phase(network, model, x, steps, backend, device, lava)
    error = float(np.mean(labels != dataset.y_test)) if len(x) else float("nan")
    return Evaluation(error, len(x), dataset.name, labels, steps,
                      time.perf_counter() - start, backend, details)


def _free_phase(network: Network, spec: ModelSpec, x: np.ndarray, steps: int, backend: str,
                device: str | None, lava: Mapping[str, Any] | None
                ) -> tuple[np.ndarray, dict[str, Any]]:
    """Predictions of a free phase of ``steps`` from zero, and the backend's details."""
    if backend == "lava":
        if device is not None:
            raise SpecError("device= (--device) runs the engine with PyTorch: it does not "
                            "apply to the lava backend")
        from lava_eqprop.lava_backend.inference import lava_predict
        from lava_eqprop.lava_backend.settings import settings_from_spec

        settings = settings_from_spec(spec, network, training=False, **lava_options(lava))
        labels, counters = lava_predict(network, settings, x, steps,
                                        network.outputs[0].size)
        return labels, {"target": settings.target, "events_per_sample": counters.get("events"),
                        "synops_per_sample": counters.get("synops")}
    if backend != "engine":
        raise SpecError(f"backend={backend!r}: the backends are engine, lava")
    if lava:
        raise SpecError("lava= holds the options of the lava backend")
    from lava_eqprop.capabilities import check_spec
    from lava_eqprop.engine.loss import get_loss
    from lava_eqprop.training.evaluate import predict as free_phase_predictions
    from lava_eqprop.training.phase_tally import PhaseTally
    from lava_eqprop.training.relaxers import in_dtype, make_relaxer

    check_spec("torch" if device else "engine", spec, training=False)
    relaxer = make_relaxer(in_dtype(network, spec.dtype), spec.dynamics_settings(),
                           get_loss(spec.learning.loss), spec.dtype, device)
    tally = PhaseTally()
    labels = free_phase_predictions(relaxer, x, steps, solver=spec.ep_settings().solver,
                                    tally=tally)
    return labels, {"relaxation": tally.summary()}
