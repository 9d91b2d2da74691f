"""The run directory: one run at a time, nothing overwritten, results consistent with the
checkpoint whatever a killed run left behind, failed writes leave the previous files."""

import json
import os
import shutil

import numpy as np
import pytest

from lava_eqprop.data import load_dataset
from lava_eqprop.errors import OutputError, RunDirectoryError, SpecError
from lava_eqprop.io.atomic import atomic_path, remove_stale_temporaries, temp_path_for
from lava_eqprop.io.hdf5 import load_checkpoint, load_network
from lava_eqprop.spec import load_spec
from lava_eqprop.training.run_directory import RunDirectory
from lava_eqprop.training.trainer import Trainer
from tests.training.test_trainer import make_trainer


def test_results_left_one_epoch_old_are_rewritten_on_resume(tiny_spec_path, tmp_path):
    """A run killed after its last checkpoint and before its results: the checkpoint says 2
    epochs, network.h5 and summary.json still say 1. Resuming must bring them up to date."""
    spec, run = tiny_spec_path(), tmp_path / "run"
    make_trainer(spec, run).train(1)
    old = {name: (run / name).read_bytes() for name in ("network.h5", "summary.json")}
    make_trainer(spec, run, resume=True).train(2)
    for name, content in old.items():
        (run / name).write_bytes(content)           # the state the kill left
    assert len(json.loads((run / "summary.json").read_text())["epochs"]) == 1
    history = make_trainer(spec, run, resume=True).train(2)
    assert len(history) == 2
    assert len(json.loads((run / "summary.json").read_text())["epochs"]) == 2
    trained = load_checkpoint(run / "checkpoint.h5").network
    for a, b in zip(load_network(run / "network.h5").projections, trained.projections):
        np.testing.assert_array_equal(a.weight, b.weight)


def test_a_directory_in_use_is_refused(tiny_spec_path, tmp_path):
    run_dir = RunDirectory(tmp_path / "run")
    trainer = make_trainer(tiny_spec_path(), tmp_path / "run")
    with run_dir.lock(run_dir.checkpoint_state()):
        with pytest.raises(RunDirectoryError, match=f"in use by another lava-eqprop run "
                                                    rf"\(process {os.getpid()}\)"):
            trainer.train(1)
    assert not run_dir.checkpoint.exists()
    trainer.train(1)                                 # the lock is released with the holder
    assert run_dir.checkpoint.exists()


def test_a_checkpoint_written_by_another_run_meanwhile_is_refused(tiny_spec_path, tmp_path):
    spec = tiny_spec_path()
    late = make_trainer(spec, tmp_path / "run")
    make_trainer(spec, tmp_path / "run").train(1)
    with pytest.raises(RunDirectoryError, match="changed since this run read it"):
        late.train(1)


def test_results_without_a_checkpoint_are_not_overwritten(tiny_spec_path, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "network.h5").write_bytes(b"someone's network")
    with pytest.raises(RunDirectoryError, match=r"holds network.h5 but no checkpoint.h5"):
        make_trainer(tiny_spec_path(), tmp_path / "run")
    with pytest.raises(RunDirectoryError, match=r"holds network.h5 but no checkpoint.h5"):
        make_trainer(tiny_spec_path(), tmp_path / "run", resume=True)
    assert (tmp_path / "run" / "network.h5").read_bytes() == b"someone's network"
    (tmp_path / "file").write_text("")
    with pytest.raises(RunDirectoryError, match="is not a directory"):
        make_trainer(tiny_spec_path(), tmp_path / "file")


def test_resume_with_another_spec_names_the_keys_that_differ(tiny_spec_path, tmp_path):
    make_trainer(tiny_spec_path(), tmp_path / "run").train(1)
    other = tiny_spec_path(estimator="symmetric", momentum=0.5, name="other.toml")
    with pytest.raises(SpecError, match=r"\[learning\] estimator: 'one_sided' in the checkpoint, "
                                        r"'symmetric' now; \[learning\] momentum: 0.0 in the "
                                        r"checkpoint, 0.5 now\): resume with the same spec"):
        make_trainer(other, tmp_path / "run", resume=True)
    reformatted = tiny_spec_path(name="reformatted.toml")
    reformatted.write_text("# a comment\n" + reformatted.read_text())
    with pytest.raises(SpecError, match="only comments or layout differ"):
        make_trainer(reformatted, tmp_path / "run", resume=True)


def test_temporary_names_are_unique_per_writer_and_stale_ones_are_cleared(tmp_path):
    target = tmp_path / "checkpoint.h5"
    assert temp_path_for(target) != temp_path_for(target)
    stale = temp_path_for(target)
    stale.write_bytes(b"half a file")
    (tmp_path / "keep.tmp").write_text("not ours")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tmp"]


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("previous")
    with pytest.raises(OutputError, match=f"could not write {target}: .*previous summary.json"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError(28, "No space left on device")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_copied_run_directory_resumes(tiny_spec_path, tmp_path):
    """The lock file travels with a copied directory and does not block it."""
    spec = tiny_spec_path()
    make_trainer(spec, tmp_path / "a").train(1)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert len(make_trainer(spec, tmp_path / "b", resume=True).train(2)) == 2


def test_resume_with_other_data_names_what_differs(tiny_spec_path, tmp_path):
    spec_path = tiny_spec_path()
    make_trainer(spec_path, tmp_path / "run").train(1)
    spec = load_spec(spec_path)
    digits = load_dataset("digits")
    fewer = digits.subset(500, spec.data.test_samples)
    with pytest.raises(SpecError, match=r"trained on other data \(train: 1000 in the checkpoint, "
                                        r"500 now; sha256: '[0-9a-f]+' in the checkpoint"):
        Trainer(spec, fewer, tmp_path / "run", resume=True, progress=False, log=lambda _: None)
    same_sizes = digits.subset(1000, spec.data.test_samples)
    same_sizes.x_train = same_sizes.x_train[::-1].copy()      # other images, same counts
    with pytest.raises(SpecError, match=r"other data \(sha256: "):
        Trainer(spec, same_sizes, tmp_path / "run", resume=True, progress=False,
                log=lambda _: None)
