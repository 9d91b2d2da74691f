"""The cross-check on the loihi2 target: the loihi2 graph agrees with the engine sample by
sample, and a wrong rate or β is caught.

Independent reference: the engine's own EP update (:func:`ep_update`) per sample, from the
weights the graph read back before the sample; the graph learns in Lava's stock LearningDense
synapses. The same scheme in float64, so the differences are rounding (stated: 1e-12), well
within the cross-check's tolerance of 1e-9.
"""

import json
import re

import numpy as np
import pytest

from lava_eqprop.crosscheck import check
from lava_eqprop.crosscheck import loihi2 as crosscheck_loihi2
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.phases import ProbeSettings
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.generators import layered

pytestmark = pytest.mark.lava
PROBE = ProbeSettings(beta=0.5, free_steps=8, nudged_steps=5)
SAMPLES, RATE, ROUNDING = 4, 0.3, 1e-12


def setup_for(estimator: str,
              masked: bool = False) -> tuple[check.CrosscheckSetup, np.ndarray, np.ndarray]:
    """A 6-4-3 net with random biases (``masked``: h1-output on 2/3 of its pairs, stock
    LearningSparse), SAMPLES inputs and targets, Lava float on loihi2."""
    from lava_eqprop.lava_backend.settings import LavaSettings

    rng = np.random.default_rng(4)
    net = layered([6, 4, 3], rng=rng, weight_gain=1.0)
    for pop in net.free:
        pop.bias = rng.uniform(-0.2, 0.4, pop.bias.shape)
    if masked:
        proj = net.projection("h1-output")
        proj.mask = np.arange(proj.weight.size).reshape(proj.weight.shape) % 3 != 0
        proj.weight *= proj.mask
    x = rng.uniform(0, 1, (SAMPLES, 6))
    targets = np.eye(3)[rng.integers(3, size=SAMPLES)]
    settings = LavaSettings(dynamics=Dynamics(0.5), target="loihi2", watchdog_seconds=30,
                            weight_rates={p.name: RATE for p in net.projections})
    setup = check.CrosscheckSetup(net, Dynamics(0.5), get_loss("half_squared_error"), PROBE,
                                  backends=("engine", "lava-float"), lava_float=settings,
                                  target="loihi2", estimator=estimator)
    return setup, x, targets


def spy_on_answers(monkeypatch) -> list:
    """The loihi2 answers the cross-check computes, as they come."""
    answers, original = [], check.run_loihi2

    def run_loihi2(*args):
        answers.append(original(*args))
        return answers[-1]

    monkeypatch.setattr(check, "run_loihi2", run_loihi2)
    return answers


@pytest.mark.timeout(60)
@pytest.mark.parametrize("estimator, masked", [("one_sided", False), ("symmetric", False),
                                               ("symmetric", True)])
def test_loihi2_graph_agrees_with_the_engine_sample_by_sample(estimator, masked, monkeypatch):
    answers = spy_on_answers(monkeypatch)
    setup, x, targets = setup_for(estimator, masked)
    report = check.crosscheck(setup, x, targets)
    assert report["ok"], report
    assert report["target"] == "loihi2" and report["refused"] == {}
    (pair,) = report["pairs"]
    assert (pair["a"], pair["b"], pair["target"]) == ("engine", "lava-float", "loihi2")
    assert all(pair[k]["max"] <= ROUNDING for k in ("free", "nudged", "dw")), pair
    backend = report["backends"]["lava-float"]
    assert backend["target"] == "loihi2" and backend["estimator"] == estimator
    assert backend["energy"]["end"] < backend["energy"]["start"]
    # 5·2^−3 nearest to η/β = 0.6; 5·2^−4 nearest to η/(2β) = 0.3
    rate = 0.625 if estimator == "one_sided" else 0.3125
    assert backend["rule_rates"] == {"input-h1": rate, "h1-output": rate}
    (answer,) = answers
    updates = answer.graph.weight_updates
    assert set(updates) == {"input-h1", "h1-output", "h1-output (mirror)"}
    assert answer.graph.free["h1"].shape == (SAMPLES, 4)
    for name, dw in updates.items():      # learnt before the last sample: later ones ran on
        assert dw.shape[0] == SAMPLES       # new weights (else the comparison would be weaker)
        assert np.abs(dw[:-1]).max() > 1e-2, name
    json.dumps(report)


def wrong_rate(monkeypatch):
    """The comparison divides ΔW by η = (η/β)·β instead of the rule's m·2^E·β (0.3 vs 0.3125)."""
    monkeypatch.setattr(crosscheck_loihi2, "update_scale",
                        lambda graph, beta, estimator: {name: RATE for name in graph.scales})


def wrong_beta(monkeypatch):
    """The graph nudges with 1.25β; the engine with β."""
    original = crosscheck_loihi2.sample_schedule

    def sample_schedule(n, probe, estimator):
        return original(n, ProbeSettings(1.25 * probe.beta, probe.free_steps,
                                         probe.nudged_steps), estimator)

    monkeypatch.setattr(crosscheck_loihi2, "sample_schedule", sample_schedule)


PERTURBATIONS = {"rate": (wrong_rate, {"dw"}), "beta": (wrong_beta, {"nudged", "dw"})}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", PERTURBATIONS)
def test_a_wrong_rate_or_beta_fails_the_loihi2_crosscheck(case, monkeypatch):
    perturb, failing = PERTURBATIONS[case]
    perturb(monkeypatch)
    setup, x, targets = setup_for("one_sided")
    report = check.crosscheck(setup, x, targets)
    assert not report["ok"]
    (pair,) = report["pairs"]
    assert {k for k in ("free", "nudged", "dw") if not pair[k]["ok"]} == failing


@pytest.mark.timeout(60)
def test_loihi2_crosscheck_command(tiny_spec_path, tmp_path, capsys):
    from lava_eqprop.cli.main import main

    spec = tiny_spec_path(estimator="symmetric")
    capsys.readouterr()
    code = main(["crosscheck", str(spec), "--samples", "3", "--target", "loihi2",
                 "--backends", "lava-float", "lava-fixed", "--json"])
    text = capsys.readouterr().out
    report = json.loads(text.strip().splitlines()[-1])
    assert code == 0, text
    assert report["target"] == "loihi2" and report["ok"]
    assert "Lava target loihi2" in text and "engine ~ lava-float (loihi2)" in text
    assert "lava-fixed (loihi2): not run: " in text
    assert list(report["refused"]) == ["lava-fixed"]


REFUSED = {
    "estimator": ({"estimator": "deep"}, ["lava-float"],
                  r"with --target loihi2: \[learning\] estimator: deep is not supported by the "
                  "lava-loihi2 backend"),
    "rate": ({"rates": "[0.2, 0.00001]"}, ["lava-float"],
             r"lava-float on the loihi2 target \(--target loihi2\): projection 'h1-output': the "
             "learning rate per contrast"),
    "fixed alone": ({}, ["lava-fixed"],
                    r"lava-fixed on the loihi2 target \(--target loihi2\): "),
}


@pytest.mark.parametrize("case", REFUSED)
def test_loihi2_crosscheck_refusals_are_one_line(case, tiny_spec_path, capsys):
    from lava_eqprop.cli.main import main

    change, backends, words = REFUSED[case]
    spec = tiny_spec_path(estimator=change.get("estimator", "one_sided"))
    if "rates" in change:
        spec.write_text(spec.read_text().replace("[0.2, 0.1]", change["rates"]))
    capsys.readouterr()
    assert main(["crosscheck", str(spec), "--samples", "2", "--target", "loihi2",
                 "--backends", *backends]) == 2
    *progress, error = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("running ") for line in progress), progress
    assert error.startswith("lava-eqprop crosscheck: error: ") and re.search(words, error), error


def test_unrolled_convs_are_refused_by_name():
    from tests.nets import conv_net

    setup, _, _ = setup_for("one_sided")
    net = conv_net(np.random.default_rng(0))
    with pytest.raises(NetworkError, match="projection 'input-a': the loihi2 graph unrolls it"):
        crosscheck_loihi2.loihi2_phases(net, setup.lava_float, setup.dynamics, setup.loss,
                                        np.zeros((1, 36)), np.zeros((1, 3)), PROBE, "one_sided")
