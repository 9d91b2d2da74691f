"""The NumPy engine's trainer: minibatch EP, one epoch at a time, inside the shared epoch loop
of :class:`~lava_eqprop.training.run.TrainingRun` (run directory, checkpoints, resume, summary
and plots).

Per batch (NumPy engine, or with ``device`` the torch backend's relaxer: same phases, same
updates): clamp the inputs, free phase (from zeros, from the sample's persistent particle as
in Scellier & Bengio's code, or from the previous batch's free state as in Elayedam &
Srinivasan's), nudged phase(s), EP update (:mod:`lava_eqprop.engine.estimators`), SGD step
(:mod:`lava_eqprop.training.optimizer`: momentum, weight decay, clipping, L1, the epoch's
cosine-schedule rate); after the epoch, the pruning of directed nets if set
(:mod:`lava_eqprop.training.pruning`) and the removal of a small-world net's skips
(:mod:`lava_eqprop.training.skip_removal`). With plain SGD the input layer's update and the next
batch's input product run on a second thread while the next batch relaxes
(:mod:`lava_eqprop.training.overlap`; the same arithmetic, reordered). The training error of
an epoch is the running error of the free-phase predictions made during that epoch (what the
papers' code logs); the test error is measured after the epoch from a free phase of
``eval_steps`` started at zero. With persistent particles the test samples have their own too,
advanced ``free_steps`` per epoch, and ``test_error_persistent`` reports that protocol, the one
of Scellier & Bengio's and Gammell et al.'s code (a sample's test-time state then carries over
from epoch to epoch, as its training state does).

Per-layer update magnitudes (Gammell et al. 2021, Fig. 3: the vanishing-gradient figure), over
the existing connections of each projection and averaged over every ``stats_every``-th batch
of the epoch: the mean |ΔW| of the applied update, and its root mean square, √(Σ ΔW² / n),
which is the "RMS correction" of Gammell et al.'s figure.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lava_eqprop.data.datasets import Dataset
from lava_eqprop.engine.estimators import EPResult, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Clamped, State
from lava_eqprop.errors import SpecError
from lava_eqprop.io.hdf5 import Checkpoint
from lava_eqprop.spec.model_spec import ModelSpec
from lava_eqprop.training.data_preparation import Lookahead, augmented_batch
from lava_eqprop.training.evaluate import error_rate
from lava_eqprop.training.optimizer import SGD, FoldedRates, cosine_factor
from lava_eqprop.training.overlap import InputOverlap, overlappable
from lava_eqprop.training.phase_tally import EpochTally
from lava_eqprop.training.pruning import prune, pruning_from
from lava_eqprop.training.relaxers import make_relaxer
from lava_eqprop.training.reporting import progress_bar
from lava_eqprop.training.run import TrainingRun
from lava_eqprop.training.skip_removal import scale_skips, skip_removal_from


class Trainer(TrainingRun):
    """Trains the network of a :class:`ModelSpec` on a :class:`Dataset` with the NumPy engine
    (see the module docstring); ``device`` runs the phases with PyTorch; ``overlap`` allows the
    input layer's overlap where it is exact. Other arguments: :class:`TrainingRun`."""

    def __init__(self, spec: ModelSpec, dataset: Dataset, out_dir: str | Path | None, *,
                 device: str | None = None, overlap: bool = True, **kwargs: Any) -> None:
        self.device, self.overlap = device, overlap
        super().__init__(spec, dataset, out_dir, backend="torch" if device else "engine",
                         **kwargs)

    def setup(self) -> None:
        spec = self.spec
        self.relaxer = make_relaxer(self.network, spec.dynamics_settings(),
                                    get_loss(spec.learning.loss), self.dtype, self.device)
        self.settings = spec.ep_settings()
        learning = spec.learning
        self.optimizer = SGD(self.network, *spec.learning_rates(self.network),
                             momentum=learning.momentum, l1=learning.l1,
                             nesterov=learning.nesterov, weight_decay=learning.weight_decay,
                             clip_norm=learning.clip_norm)
        self.pruning = pruning_from(learning)
        self.skip_removal = skip_removal_from(learning)
        self._directions = {p.name: np.empty_like(p.weight)
                            for p in self.network.projections if p.plastic}
        self.particles: dict[str, np.ndarray] = {}
        self.test_particles: dict[str, np.ndarray] = {}
        if spec.dynamics.persistent:
            self.particles = {p.name: np.zeros((len(self.x_train), p.size), dtype=self.dtype)
                              for p in self.network.free}
            self.test_particles = {p.name: np.zeros((len(self.x_test), p.size), dtype=self.dtype)
                                   for p in self.network.free}

    def checkpoint_state(self) -> dict[str, dict[str, np.ndarray]]:
        return {"particles": self.particles, "test_particles": self.test_particles,
                "optimizer": self.optimizer.state_dict()}

    def restore_state(self, checkpoint: Checkpoint) -> None:
        self.optimizer.load_state_dict(checkpoint.optimizer)
        for stored, mine, what in ((checkpoint.particles, self.particles, "training"),
                                   (checkpoint.test_particles, self.test_particles, "test")):
            for name, arr in stored.items():
                if name not in mine or arr.shape != mine[name].shape:
                    raise SpecError(f"the checkpoint in {self.out_dir} holds persistent particles "
                                    f"for {arr.shape[0]} {what} samples of {name!r}, this run has "
                                    f"{len(self.x_train if what == 'training' else self.x_test)}: "
                                    "resume with the same data (and --train-samples/"
                                    "--test-samples)")
                mine[name] = arr.astype(self.dtype)

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
            """Add an applied change's mean |ΔW| and RMS ΔW over the existing connections
            (none left: a removed projection, which records nothing)."""
            if not counts[name]:
                return
            flat = dw.reshape(-1)
            dw_sum[name] += float(np.abs(flat).sum()) / counts[name]
            rms_sum[name] += float(np.sqrt(flat @ flat / counts[name]))
        stats_batches, wrong, cost = 0, 0, 0.0
        tally = EpochTally()
        self.optimizer.scale = self.rate_factor(epoch - 1, epochs)
        folded = self.optimizer.foldable_rates()
        overlap = self.input_overlap(folded, record)
        indices = [order[lo:lo + bs] for lo in batches]
        inputs = Lookahead(self.batch_inputs, indices)
        carried = None
        bar = progress_bar(len(batches), f"epoch {epoch}/{epochs}", self.progress)
        start = time.perf_counter()
        with overlap or contextlib.nullcontext():
            if overlap:
                clamped = overlap.start(inputs[0], inputs.ahead(1))
            for b, (lo, idx) in enumerate(zip(batches, indices)):
                if not overlap:
                    clamped = self.relaxer.clamp({input_name: inputs[b]})
                stats = b % self.stats_every == 0
                result = self._train_batch(idx, clamped, carried, folded, overlap,
                                           record if stats else None)
                carried = result.free_state
                wrong += int(np.sum(np.argmax(result.free_state[out], axis=1)
                                    != self.dataset.y_train[idx]))
                tally.add_batch(result.reports)
                cost += float(self.relaxer.loss.cost(result.free_state[out],
                                                     self.t_train[idx]).sum())
                stats_batches += stats
                if overlap:
                    following = overlap.advance(result, inputs[b], inputs.ahead(b + 1),
                                                inputs.ahead(b + 2), stats=stats)
                    if following is not None:
                        clamped = following
                if bar is not None:
                    bar.update(1)
                    if b % 50 == 0:
                        bar.set_postfix(train_err=f"{wrong / (lo + len(idx)):.4f}")
        seconds = time.perf_counter() - start
        if bar is not None:
            bar.close()
        pruned = prune(self.network, self.pruning, self.rng) if self.pruning else 0
        skip_factor = self.skip_removal.factor(epoch) if self.skip_removal else None
        if skip_factor is not None:
            scale_skips(self.network, self.optimizer, skip_factor)
        eval_start = time.perf_counter()
        solver = self.settings.solver
        test_error = error_rate(self.relaxer, self.x_test, self.dataset.y_test,
                                self.spec.eval_steps, solver=solver,
                                tally=tally.phases["test"])
        persistent = None
        if self.test_particles:
            persistent = error_rate(self.relaxer, self.x_test, self.dataset.y_test,
                                    self.settings.free_steps, solver=solver,
                                    particles=self.test_particles)
        relaxation = tally.summary()
        return self.epoch_record(
            epoch=epoch, train_error=wrong / n, test_error=test_error, persistent=persistent,
            seconds=seconds, eval_seconds=time.perf_counter() - eval_start,
            mean_free_steps=relaxation["free"]["mean_steps"], relaxation=relaxation,
            mean_dw={k: v / max(stats_batches, 1) for k, v in dw_sum.items()},
            rms_dw={k: v / max(stats_batches, 1) for k, v in rms_sum.items()}, pruned=pruned,
            train_loss=cost / n)

    def _train_batch(self, idx: np.ndarray, clamped: Clamped, carried: State | None,
                     folded: FoldedRates | None, overlap: InputOverlap | None,
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

    def input_overlap(self, folded: FoldedRates | None,
                      record: Callable[[str, np.ndarray], None] = lambda *_: None
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
        return InputOverlap(self.relaxer, names, folded[0], record) if names and folded else None

    def batch_inputs(self, idx: np.ndarray) -> np.ndarray:
        """The training inputs of a batch, augmented if ``[data] augment`` says so."""
        return augmented_batch(self.spec, self.dataset, self.x_train, idx, self.rng)

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
        values: dict[str, np.ndarray] = {}
        for pop in self.network.free:
            values[pop.name] = np.zeros((len(idx), pop.size), dtype=self.dtype)
            values[pop.name][:rows] = carried[pop.name][:rows]
        return self.relaxer.state_from(clamped, values)
