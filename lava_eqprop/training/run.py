"""The epoch loop every trainer shares: run directory, a checkpoint per epoch, exact resume,
summary.json and plots.

:class:`TrainingRun` builds (or resumes) the network, prepares the data and runs
:meth:`TrainingRun.train`: after each epoch that its subclass trains
(:meth:`~TrainingRun.train_epoch`: the NumPy engine's
:class:`~lava_eqprop.training.trainer.Trainer`, the Lava graph's
:class:`~lava_eqprop.lava_backend.trainer.LavaTrainer`), it writes the
checkpoint, then the results derived from it. ``resume=True`` continues from ``checkpoint.h5``
exactly: same weights, same random stream, and whatever state the subclass keeps
(:meth:`~TrainingRun.checkpoint_state`, :meth:`~TrainingRun.restore_state`).

Files written to the output directory: ``checkpoint.h5`` (atomically, after every epoch),
``network.h5`` (the trained network), ``summary.json`` and the plots ``errors.png`` and
``updates.png`` (:mod:`lava_eqprop.training.run_directory` says what is guaranteed).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from lava_eqprop import __version__
from lava_eqprop.capabilities import check_spec
from lava_eqprop.data.datasets import Dataset
from lava_eqprop.errors import RunDirectoryError
from lava_eqprop.io.atomic import write_text_atomic
from lava_eqprop.io.hdf5 import Checkpoint, load_checkpoint, save_checkpoint, save_network
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec
from lava_eqprop.training.data_preparation import check_data_fits, prepared_inputs
from lava_eqprop.training.phase_tally import unsettled_warnings
from lava_eqprop.training.pruning import live_connections
from lava_eqprop.training.relaxers import cast_parameters
from lava_eqprop.training.reporting import describe_network, format_record
from lava_eqprop.training.resume import check_same_data, check_same_spec, data_description
from lava_eqprop.training.run_directory import NETWORK_FILE, SUMMARY_FILE, RunDirectory
from lava_eqprop.training.skip_removal import live_skips


class TrainingRun:
    """A training run of ``spec`` on ``dataset`` into ``out_dir`` by ``backend`` (a backend of
    :mod:`lava_eqprop.capabilities`, whose table the spec is checked against); see the module
    docstring. ``out_dir`` None: no files at all (nor resume); ``network``: train a copy of
    this network instead of the spec's initial one (the spec then gives the dynamics,
    learning and data). Subclasses implement :meth:`setup` and :meth:`train_epoch`."""

    def __init__(self, spec: ModelSpec, dataset: Dataset, out_dir: str | Path | None, *,
                 backend: str, resume: bool = False, network: Network | None = None,
                 stats_every: int = 10, progress: bool = True,
                 log: Callable[[str], None] = print) -> None:
        check_spec(backend, spec)
        self.spec, self.dataset = spec, dataset
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.stats_every, self.progress, self.log = stats_every, progress, log
        self.dtype = spec.dtype
        self.data_description = data_description(dataset)
        self.run_dir = None if out_dir is None else RunDirectory(out_dir)
        if self.run_dir is None and resume:
            raise RunDirectoryError("resuming needs the output directory of the run to resume "
                                    "(--out, out=)")
        self._checkpoint_seen = self.run_dir.checkpoint_state() if self.run_dir else None
        checkpoint = self._read_checkpoint() if resume else None
        if checkpoint is None and self.run_dir is not None:
            self.run_dir.check_unused()
        if checkpoint:
            self.network = checkpoint.network
        elif network is not None:
            self.network = copy.deepcopy(network)
            self.network.spec_text = spec.text
        else:
            self.network = spec.build_network()
        check_data_fits(spec, self.network, dataset)
        cast_parameters(self.network, self.dtype)
        self.rng = np.random.default_rng(spec.learning.seed)
        self.x_train, self.x_test = prepared_inputs(spec, dataset, self.dtype)
        self.t_train = np.eye(dataset.num_classes, dtype=self.dtype)[dataset.y_train]
        self.epoch = 0
        self.history: list[dict[str, Any]] = []
        self.setup()
        if checkpoint:
            self.epoch, self.history = checkpoint.epoch, checkpoint.history
            self.rng = checkpoint.random_generator()
            self.restore_state(checkpoint)
            self.log(f"resumed from {self.out_dir}/checkpoint.h5 after epoch {self.epoch}")

    # ---- what a subclass provides ----------------------------------------------------------
    def setup(self) -> None:
        """Build what the subclass trains with (called once the network and data are ready,
        before a checkpoint is restored)."""

    def train_epoch(self, epoch: int, epochs: int) -> dict[str, Any]:
        """One pass over the training set; returns the epoch's record (:meth:`epoch_record`)."""
        raise NotImplementedError

    def checkpoint_state(self) -> dict[str, dict[str, np.ndarray]]:
        """The arrays beyond the network that resuming needs: ``particles``,
        ``test_particles``, ``optimizer`` (none by default)."""
        return {}

    def restore_state(self, checkpoint: Checkpoint) -> None:
        """Take back what :meth:`checkpoint_state` saved."""

    # ---- the loop --------------------------------------------------------------------------
    def train(self, epochs: int | None = None) -> list[dict[str, Any]]:
        """Train until ``epochs`` epochs are done (the spec's number by default)."""
        epochs = self.spec.learning.epochs if epochs is None else epochs
        with self.run_dir.lock(self._checkpoint_seen) if self.run_dir else nullcontext():
            if self.epoch >= epochs and self.out_dir is not None:
                # a run killed between its checkpoint and its results left them one epoch old
                self.save_results()
                self.log(f"already trained for {self.epoch} epochs (asked for {epochs}): "
                         f"results in {self.out_dir} rewritten from its checkpoint")
            while self.epoch < epochs:
                record = self.train_epoch(self.epoch + 1, epochs)
                self.epoch += 1
                self.history.append(record)
                if self.run_dir:
                    self.save()
                    self._checkpoint_seen = self.run_dir.checkpoint_state()
                self.log(format_record(record))
                for line in unsettled_warnings(record["epoch"], record.get("relaxation") or {}):
                    self.log(line)
        return self.history

    # ---- checkpoints and results -----------------------------------------------------------
    def _read_checkpoint(self) -> Checkpoint | None:
        assert self.run_dir is not None
        path = self.run_dir.checkpoint
        if not path.exists():
            self.log(f"no checkpoint in {self.out_dir}: starting a new run")
            return None
        checkpoint = load_checkpoint(path)
        check_same_spec(path, checkpoint.spec_text, self.spec.path, self.spec.text)
        check_same_data(path, checkpoint.data, self.data_description)
        return checkpoint

    def save(self) -> None:
        """Checkpoint, then the results derived from it (each file written atomically)."""
        assert self.run_dir is not None
        save_checkpoint(Checkpoint(self.network, self.epoch, self.spec.text,
                                   dict(self.rng.bit_generator.state), self.history,
                                   data=self.data_description, **self.checkpoint_state()),
                        self.run_dir.checkpoint)
        self.save_results()

    def save_results(self) -> None:
        """Trained network, summary and plots: what the checkpoint determines."""
        assert self.out_dir is not None
        save_network(self.network, self.out_dir / NETWORK_FILE, self.spec.text)
        write_text_atomic(self.out_dir / SUMMARY_FILE, json.dumps(self.summary(), indent=2))
        from lava_eqprop.plots import plot_errors, plot_updates

        plot_errors(self.history, self.out_dir / "errors.png", title=self.spec.name)
        plot_updates(self.history, self.out_dir / "updates.png", title=self.spec.name,
                     labels=self.layer_names)

    # ---- records ---------------------------------------------------------------------------
    def epoch_record(self, *, epoch: int, train_error: float, test_error: float,
                     persistent: float | None, seconds: float, eval_seconds: float,
                     mean_free_steps: float, mean_dw: dict[str, float],
                     rms_dw: dict[str, float], pruned: int = 0,
                     train_loss: float | None = None,
                     relaxation: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """The entry of summary.json for one epoch (every backend writes these keys).

        ``train_loss``: the mean cost C of the free-phase outputs during the epoch (engine).
        ``relaxation``: per kind of phase (free, nudged, test), its steps per sample (mean,
        max), the residual at stop (mean, max) and the samples that reached the cap unsettled
        (engine; :mod:`lava_eqprop.training.phase_tally`).
        ``connections``: the live connections (existing, non-zero weight) after the epoch;
        ``pruned``: how many the epoch's pruning removed; ``skip_connections``: the live
        layer-skipping ones (:mod:`lava_eqprop.training.skip_removal`)."""
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
            "relaxation": relaxation,
            "mean_abs_dw": mean_dw,
            "layer_mean_abs_dw": [mean_dw[name] for name in self.layer_names],
            "rms_dw": rms_dw,
            "layer_rms_dw": [rms_dw[name] for name in self.layer_names],
            "connections": live_connections(self.network),
            "pruned": pruned,
            "skip_connections": live_skips(self.network),
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
