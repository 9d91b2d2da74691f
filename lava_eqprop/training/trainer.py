"""Training with the NumPy engine: minibatch EP, evaluation, checkpoints, summary and plots.

Per batch (NumPy engine, or with ``device`` the torch backend's relaxer: same phases, same
updates): clamp the inputs, free phase (from zeros, from the sample's persistent particle as
in Scellier & Bengio's code, or from the previous batch's free state as in Elayedam &
Srinivasan's), nudged phase(s), EP update (:mod:`lava_eqprop.engine.estimators`), SGD step
(:mod:`lava_eqprop.training.optimizer`: momentum, weight decay, clipping, L1, the epoch's
cosine-schedule rate); after the epoch, the pruning of directed nets if set
(:mod:`lava_eqprop.training.pruning`). With plain SGD the input layer's update and the next
batch's input product run on a second thread while the next batch relaxes
(:mod:`lava_eqprop.training.overlap`; the same arithmetic, reordered). The training error of
an epoch is the running error of the free-phase predictions made during that epoch (what the
papers' code logs); the test error is measured after the epoch from a free phase of
``eval_steps`` started at zero. With
persistent particles the test samples have their own too, advanced ``free_steps`` per epoch,
and ``test_error_persistent`` reports that protocol, the one of Scellier & Bengio's and Gammell
et al.'s code (a sample's test-time state then carries over from epoch to epoch, as its
training state does).

Per-layer update magnitudes (Gammell et al. 2021, Fig. 3: the vanishing-gradient figure), over
the existing connections of each projection and averaged over every ``stats_every``-th batch
of the epoch: the mean |ΔW| of the applied update, and its root mean square, √(Σ ΔW² / n),
which is the "RMS correction" of Gammell et al.'s figure.

Files written to the output directory: ``checkpoint.h5`` (atomically, after every epoch),
``network.h5`` (the trained network), ``summary.json`` and the plots ``errors.png`` and
``updates.png``. ``resume=True`` continues from ``checkpoint.h5`` exactly: same weights, same
random stream, same persistent particles.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lava_eqprop import __version__
from lava_eqprop.capabilities import check_spec
from lava_eqprop.data.augment import augment, channel_statistics, normalise
from lava_eqprop.data.datasets import Dataset
from lava_eqprop.engine.estimators import EPResult, ep_update
from lava_eqprop.engine.loss import SquaredError, get_loss
from lava_eqprop.engine.relaxation import Clamped, Dynamics, Relaxer, State
from lava_eqprop.errors import SpecError
from lava_eqprop.io.atomic import write_text_atomic
from lava_eqprop.io.hdf5 import Checkpoint, load_checkpoint, save_checkpoint, save_network
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec
from lava_eqprop.training.evaluate import error_rate
from lava_eqprop.training.optimizer import SGD, cosine_factor
from lava_eqprop.training.overlap import InputOverlap, overlappable
from lava_eqprop.training.pruning import live_connections, prune, pruning_from
from lava_eqprop.training.resume import check_same_data, check_same_spec, data_description
from lava_eqprop.training.run_directory import NETWORK_FILE, SUMMARY_FILE, RunDirectory


class Trainer:
    """Trains the network of a :class:`ModelSpec` on a :class:`Dataset` (see module docstring)."""

    def __init__(self, spec: ModelSpec, dataset: Dataset, out_dir: str | Path, *,
                 resume: bool = False, stats_every: int = 10, progress: bool = True,
                 log: Callable[[str], None] = print, device: str | None = None,
                 overlap: bool = True) -> None:
        self.spec, self.dataset, self.out_dir = spec, dataset, Path(out_dir)
        self.stats_every, self.progress, self.log = stats_every, progress, log
        self.overlap = overlap
        self.dtype = spec.dtype
        check_spec("torch" if device else "engine", spec)
        self.data_description = data_description(dataset)
        self.run_dir = RunDirectory(out_dir)
        self._checkpoint_seen = self.run_dir.checkpoint_state()
        checkpoint = self._read_checkpoint(self.run_dir.checkpoint) if resume else None
        if checkpoint is None:
            self.run_dir.check_unused()
        self.network = checkpoint.network if checkpoint else spec.build_network()
        check_data_fits(spec, self.network, dataset)
        cast_parameters(self.network, self.dtype)
        self.relaxer = make_relaxer(self.network, spec.dynamics_settings(),
                                    get_loss(spec.learning.loss), self.dtype, device)
        self.settings = spec.ep_settings()
        learning = spec.learning
        self.optimizer = SGD(self.network, *spec.learning_rates(self.network),
                             momentum=learning.momentum, l1=learning.l1,
                             nesterov=learning.nesterov, weight_decay=learning.weight_decay,
                             clip_norm=learning.clip_norm)
        self.pruning = pruning_from(spec.learning)
        self.rng = np.random.default_rng(spec.learning.seed)
        self.x_train, self.x_test = prepared_inputs(spec, dataset, self.dtype)
        self.t_train = np.eye(dataset.num_classes, dtype=self.dtype)[dataset.y_train]
        self._directions = {p.name: np.empty_like(p.weight)
                            for p in self.network.projections if p.plastic}
        self.epoch = 0
        self.history: list[dict[str, Any]] = []
        self.particles: dict[str, np.ndarray] = {}
        self.test_particles: dict[str, np.ndarray] = {}
        if spec.dynamics.persistent:
            self.particles = {p.name: np.zeros((len(self.x_train), p.size), dtype=self.dtype)
                              for p in self.network.free}
            self.test_particles = {p.name: np.zeros((len(self.x_test), p.size), dtype=self.dtype)
                                   for p in self.network.free}
        if checkpoint:
            self._restore(checkpoint)

    # ---- checkpoints ---------------------------------------------------------------------
    def _read_checkpoint(self, path: Path) -> Checkpoint | None:
        if not path.exists():
            self.log(f"no checkpoint in {self.out_dir}: starting a new run")
            return None
        checkpoint = load_checkpoint(path)
        check_same_spec(path, checkpoint.spec_text, self.spec.path, self.spec.text)
        check_same_data(path, checkpoint.data, self.data_description)
        return checkpoint

    def _restore(self, checkpoint: Checkpoint) -> None:
        self.epoch = checkpoint.epoch
        self.history = checkpoint.history
        self.rng = checkpoint.random_generator()
        self.optimizer.load_state_dict(checkpoint.optimizer)
        for stored, mine, what in ((checkpoint.particles, self.particles, "training"),
                                   (checkpoint.test_particles, self.test_particles, "test")):
            for name, arr in stored.items():
                if name not in mine or arr.shape != mine[name].shape:
                    raise SpecError(f"{self.run_dir.checkpoint} holds persistent particles "
                                    f"for {arr.shape[0]} {what} samples of {name!r}, this run has "
                                    f"{len(self.x_train if what == 'training' else self.x_test)}: "
                                    "resume with the same data (and --train-samples/--test-samples)")
                mine[name] = arr.astype(self.dtype)
        self.log(f"resumed from {self.run_dir.checkpoint} after epoch {self.epoch}")

    def save(self) -> None:
        """Checkpoint, then the results derived from it (each file written atomically)."""
        save_checkpoint(Checkpoint(self.network, self.epoch, self.spec.text,
                                   self.rng.bit_generator.state, self.history, self.particles,
                                   self.optimizer.state_dict(), self.test_particles,
                                   self.data_description),
                        self.run_dir.checkpoint)
        self.save_results()

    def save_results(self) -> None:
        """Trained network, summary and plots: what the checkpoint determines."""
        save_network(self.network, self.out_dir / NETWORK_FILE, self.spec.text)
        write_text_atomic(self.out_dir / SUMMARY_FILE, json.dumps(self.summary(), indent=2))
        from lava_eqprop.plots import plot_errors, plot_updates

        plot_errors(self.history, self.out_dir / "errors.png", title=self.spec.name)
        plot_updates(self.history, self.out_dir / "updates.png", title=self.spec.name,
                     labels=self.layer_names)

    # ---- training ------------------------------------------------------------------------
    def train(self, epochs: int | None = None) -> list[dict[str, Any]]:
        """Train until ``epochs`` epochs are done (the spec's number by default)."""
        epochs = self.spec.learning.epochs if epochs is None else epochs
        with self.run_dir.lock(self._checkpoint_seen):
            if self.epoch >= epochs:
                # a run killed between its checkpoint and its results left them one epoch old
                self.save_results()
                self.log(f"already trained for {self.epoch} epochs (asked for {epochs}): "
                         f"results in {self.out_dir} rewritten from its checkpoint")
            while self.epoch < epochs:
                record = self.train_epoch(self.epoch + 1, epochs)
                self.epoch += 1
                self.history.append(record)
                self.save()
                self._checkpoint_seen = self.run_dir.checkpoint_state()
                self.log(format_record(record))
        return self.history

    def train_epoch(self, epoch: int, epochs: int) -> dict[str, Any]:
        """One pass over the training set; returns the epoch's record for summary.json."""
        n, bs = len(self.x_train), self.spec.learning.batch_size
        order = self.rng.permutation(n)
        batches = range(0, n, bs)
        input_name, out = self.network.inputs[0].name, self.relaxer.output.name
        dw_sum = {p.name: 0.0 for p in self.network.projections if p.plastic}
        rms_sum = dict(dw_sum)
        counts = {p.name: float(p.mask.sum() if p.mask is not None else p.weight.size)
                  for p in self.network.projections}

        def record(name: str, dw: np.ndarray) -> None:
            """Add an applied change's mean |ΔW| and RMS ΔW over the existing connections."""
            flat = dw.reshape(-1)
            dw_sum[name] += float(np.abs(flat).sum()) / counts[name]
            rms_sum[name] += float(np.sqrt(flat @ flat / counts[name]))
        stats_batches, wrong, free_steps, cost = 0, 0, 0, 0.0
        self.optimizer.scale = self.rate_factor(epoch - 1, epochs)
        folded = self.optimizer.foldable_rates()
        overlap = self.input_overlap(folded, record)
        indices = [order[lo:lo + bs] for lo in batches]
        inputs = _lookahead(self.batch_inputs, indices)
        carried = None
        bar = _progress(len(batches), f"epoch {epoch}/{epochs}", self.progress)
        start = time.perf_counter()
        with overlap or contextlib.nullcontext():
            if overlap:
                clamped = overlap.start(inputs[0], inputs[1])
            for b, (lo, idx) in enumerate(zip(batches, indices)):
                if not overlap:
                    clamped = self.relaxer.clamp({input_name: inputs[b]})
                stats = b % self.stats_every == 0
                result = self._train_batch(idx, clamped, carried, folded, overlap,
                                           record if stats else None)
                carried = result.free_state
                wrong += int(np.sum(np.argmax(result.free_state[out], axis=1)
                                    != self.dataset.y_train[idx]))
                free_steps += result.free_steps
                cost += float(self.relaxer.loss.cost(result.free_state[out],
                                                     self.t_train[idx]).sum())
                stats_batches += stats
                if overlap:
                    clamped = overlap.advance(result, inputs[b], inputs[b + 1], inputs[b + 2],
                                              stats=stats)
                if bar is not None:
                    bar.update(1)
                    if b % 50 == 0:
                        bar.set_postfix(train_err=f"{wrong / (lo + len(idx)):.4f}")
        seconds = time.perf_counter() - start
        if bar is not None:
            bar.close()
        pruned = prune(self.network, self.pruning, self.rng) if self.pruning else 0
        eval_start = time.perf_counter()
        test_error = error_rate(self.relaxer, self.x_test, self.dataset.y_test, self.spec.eval_steps)
        persistent = None
        if self.test_particles:
            persistent = error_rate(self.relaxer, self.x_test, self.dataset.y_test,
                                    self.settings.free_steps, particles=self.test_particles)
        return self.epoch_record(
            epoch=epoch, train_error=wrong / n, test_error=test_error, persistent=persistent,
            seconds=seconds, eval_seconds=time.perf_counter() - eval_start,
            mean_free_steps=free_steps / len(batches),
            mean_dw={k: v / max(stats_batches, 1) for k, v in dw_sum.items()},
            rms_dw={k: v / max(stats_batches, 1) for k, v in rms_sum.items()}, pruned=pruned,
            train_loss=cost / n)

    def _train_batch(self, idx: np.ndarray, clamped: Clamped, carried: State | None,
                     folded, overlap: InputOverlap | None,
                     record: Callable[[str, np.ndarray], None] | None) -> EPResult:
        """One batch: the EP phases, the particles, the update (all but the overlapped input
        projections', which ``overlap`` applies) and, when ``record`` is given (a statistics
        batch), the |ΔW| statistics."""
        initial = self.initial_state(clamped, idx, carried)
        result = ep_update(self.relaxer, clamped, self.t_train[idx], self.settings, self.rng,
                           initial, out=self._directions, factors=folded,
                           deferred=overlap.names if overlap else frozenset()).to_numpy()
        for name, arr in self.particles.items():
            arr[idx] = result.free_state[name]
        applied = self.optimizer.step(result.weight_updates, result.bias_updates,
                                      rates_folded=folded is not None)
        if record is not None:
            for name, dw in applied.items():
                record(name, dw)
        return result

    def input_overlap(self, folded, record: Callable[[str, np.ndarray], None] = lambda *_: None
                      ) -> InputOverlap | None:
        """The overlap of the input layer's update with the relaxation
        (:mod:`lava_eqprop.training.overlap`), where this set-up allows it and it is on;
        ``record`` takes the overlapped projections' applied changes on statistics batches."""
        if not self.overlap:
            return None
        phases = 2 if self.settings.estimator == "symmetric" else 1
        names = overlappable(self.network, self.relaxer, batch=self.spec.learning.batch_size,
                             steps=self.settings.free_steps + phases * self.settings.nudged_steps,
                             folded_rates=folded is not None,
                             l1=self.optimizer.l1, augment=bool(self.spec.data.augment),
                             estimator=self.settings.estimator)
        return InputOverlap(self.relaxer, names, folded[0], record) if names else None

    def batch_inputs(self, idx: np.ndarray) -> np.ndarray:
        """The training inputs of a batch, augmented if ``[data] augment`` says so."""
        data = self.spec.data
        if not data.augment:
            return self.x_train[idx]
        images = self.x_train[idx].reshape(len(idx), *self.dataset.image_shape)
        images = augment(images, data.augment, data.crop_padding, self.rng)
        return images.reshape(len(idx), -1)

    def rate_factor(self, epoch: int, epochs: int) -> float:
        """The learning-rate schedule's factor for 0-based ``epoch`` of ``epochs``."""
        learning = self.spec.learning
        if learning.lr_schedule == "cosine":
            top = learning.learning_rate or max(learning.layer_learning_rates)
            return cosine_factor(epoch, epochs, learning.lr_min / top)
        return 1.0

    def initial_state(self, clamped: Clamped, idx: np.ndarray,
                      carried: State | None) -> State | None:
        """Where a batch's free phase starts: the samples' persistent particles, the previous
        batch's free state (``carry_state``, Elayedam & Srinivasan; a batch of another size
        takes its first rows, or zeros beyond them), or zeros (None)."""
        if self.particles:
            return self.relaxer.state_from(clamped, {k: v[idx] for k, v in self.particles.items()})
        if carried is None or not self.spec.dynamics.carry_state:
            return None
        rows = min(len(idx), carried.batch)
        values = {}
        for pop in self.network.free:
            start = np.zeros((len(idx), pop.size), dtype=self.dtype)
            start[:rows] = carried[pop.name][:rows]
            values[pop.name] = start
        return self.relaxer.state_from(clamped, values)

    def epoch_record(self, *, epoch: int, train_error: float, test_error: float,
                     persistent: float | None, seconds: float, eval_seconds: float,
                     mean_free_steps: float, mean_dw: dict[str, float],
                     rms_dw: dict[str, float], pruned: int = 0,
                     train_loss: float | None = None) -> dict[str, Any]:
        """The entry of summary.json for one epoch (every backend writes these keys).

        ``train_loss``: the mean cost C of the free-phase outputs during the epoch (engine).
        ``connections``: the live connections (existing, non-zero weight) after the epoch;
        ``pruned``: how many the epoch's pruning removed."""
        return {
            "epoch": epoch,
            "train_error": train_error,
            "test_error": test_error,
            "test_error_persistent": persistent,
            "train_loss": train_loss,
            "seconds": seconds,
            "eval_seconds": eval_seconds,
            "samples_per_second": len(self.x_train) / seconds,
            "mean_free_steps": mean_free_steps,
            "mean_abs_dw": mean_dw,
            "layer_mean_abs_dw": [mean_dw[name] for name in self.layer_names],
            "rms_dw": rms_dw,
            "layer_rms_dw": [rms_dw[name] for name in self.layer_names],
            "connections": live_connections(self.network),
            "pruned": pruned,
        }

    @property
    def layer_names(self) -> list[str]:
        """The projections between neighbouring layers, in the order of layer_mean_abs_dw."""
        return [p.name for p in self.network.layer_projections() if p.plastic]

    def summary(self) -> dict[str, Any]:
        """The content of summary.json."""
        return {
            "model": self.spec.name,
            "spec": self.spec.path,
            "lava_eqprop": __version__,
            "dataset": {"name": self.dataset.name, "source": self.dataset.source,
                        "train": len(self.x_train), "test": len(self.x_test)},
            "network": describe_network(self.network),
            "layers": self.layer_names,
            "update_stats_every": self.stats_every,
            "epochs": self.history,
        }


# ---- helpers -------------------------------------------------------------------------------
def make_relaxer(network: Network, dynamics: Dynamics, loss: SquaredError, dtype: type,
                 device: str | None = None):
    """The NumPy engine's relaxer, or with ``device`` ("cpu", "cuda") the torch backend's."""
    if device is None:
        return Relaxer(network, dynamics, loss, dtype)
    from lava_eqprop.torch_backend.relaxation import TorchRelaxer

    return TorchRelaxer(network, dynamics, loss, dtype, device)


def check_data_fits(spec: ModelSpec, network: Network, dataset: Dataset) -> None:
    """The input and output sizes of the network must match the data set."""
    n_in, n_out = network.inputs[0].size, network.outputs[0].size
    shape = network.inputs[0].shape
    if len(shape) == 3 and shape != dataset.image_shape:
        raise SpecError(f"{spec.path}: [network.conv] input_shape is {list(shape)} but data set "
                        f"{dataset.name!r} has images {list(dataset.image_shape)}")
    if n_in != dataset.input_size:
        raise SpecError(f"{spec.path}: [network] layers starts with {n_in} inputs but data set "
                        f"{dataset.name!r} has {dataset.input_size} ({dataset.image_shape})")
    if n_out != dataset.num_classes:
        raise SpecError(f"{spec.path}: [network] layers ends with {n_out} outputs but data set "
                        f"{dataset.name!r} has {dataset.num_classes} classes")


def prepared_inputs(spec: ModelSpec, dataset: Dataset, dtype: type
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Training and test inputs, flat (N, size) in ``dtype``; with ``[data] normalise``,
    standardised per channel with the training set's statistics."""
    x_train, x_test = dataset.x_train, dataset.x_test
    if spec.data.normalise:
        if x_train.ndim != 4:
            raise SpecError(f"{spec.path}: [data] normalise: needs images (N, C, H, W), data set "
                            f"{dataset.name!r} has shape {x_train.shape[1:]}")
        mean, std = channel_statistics(x_train)
        x_train, x_test = normalise(x_train, mean, std), normalise(x_test, mean, std)
    return (x_train.reshape(len(x_train), -1).astype(dtype),
            x_test.reshape(len(x_test), -1).astype(dtype))


def cast_parameters(network: Network, dtype: type) -> None:
    """Give every weight and bias the engine's dtype (the engine updates them in place)."""
    for proj in network.projections:
        proj.weight = np.ascontiguousarray(proj.weight, dtype=dtype)
    for pop in network.populations:
        pop.bias = np.ascontiguousarray(pop.bias, dtype=dtype)


def describe_network(network: Network) -> dict[str, Any]:
    return {
        "topology": network.metadata.get("topology", "custom"),
        "populations": [{"name": p.name, "shape": list(p.shape), "role": p.role,
                         "activation": p.activation} for p in network.populations],
        "projections": [{"name": p.name, "pre": p.pre, "post": p.post, "kind": p.kind,
                         "symmetric": p.symmetric, "connections": network.connections(p)}
                        for p in network.projections],
        "connections": network.num_connections,
        "metadata": network.metadata,
    }


def format_record(r: dict[str, Any]) -> str:
    persistent = r.get("test_error_persistent")
    return (f"epoch {r['epoch']:3d}  train error {100 * r['train_error']:6.2f}%  "
            f"test error {100 * r['test_error']:6.2f}%"
            + (f" (persistent {100 * persistent:.2f}%)" if persistent is not None else "")
            + f"  {r['samples_per_second']:8.0f} samples/s  "
            f"layer |dW| " + " ".join(f"{v:.2e}" for v in r["layer_mean_abs_dw"]))


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=None, unit="batch")


class _lookahead:
    """The inputs of batch b, ``make(indices[b])``, each made once when first asked for (and
    kept while the next two batches may still need it); None past the last batch."""

    def __init__(self, make: Callable[[np.ndarray], np.ndarray], indices: list[np.ndarray]):
        self.make, self.indices, self.made = make, indices, {}

    def __getitem__(self, b: int) -> np.ndarray | None:
        if b >= len(self.indices):
            return None
        if b not in self.made:
            self.made = {k: v for k, v in self.made.items() if k >= b - 2}
            self.made[b] = self.make(self.indices[b])
        return self.made[b]
