"""The fixed-point loihi2 graph against the integer reference of ``loihi2_reference.py``, bit
for bit, in the two cases of ``loihi2_bit_exact.py`` (a layered net with the one-sided
estimator, a small-world net with the symmetric one).

Per sample the free and final states, the biases, both copies' weights and the tags when the
first rule of the sample stored them; over 30 samples the final weights, W == Wᵀ exactly; an
off-by-one shift in the reference is caught; what cannot be exact is refused by name.
"""

import dataclasses

import numpy as np
import pytest

from lava_eqprop.errors import NetworkError
from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
from lava_eqprop.lava_backend.loihi2.rule import RuleScale
from tests.lava_backend.loihi2_bit_exact import (
    CASES,
    CHIP,
    T1,
    config,
    copies,
    differences,
    problem,
    read,
    reference,
    reference_samples,
    run_case,
)

# isort: split
# (Lava after lava_eqprop.lava_backend, which installs its Python 3.11 fix)
from lava.magma.core.run_conditions import RunSteps

pytestmark = pytest.mark.lava


@pytest.fixture(scope="module", params=CASES)
def run(request):
    return run_case(request.param)


@pytest.mark.timeout(60)
def test_fixed_graph_is_the_integer_reference_bit_for_bit(run):
    problem_, graph, got = run
    scales = graph.scales.values()
    assert graph.scales["input-h1"] == RuleScale(1, 2, 4)       # η/β·2^(s − 3 − 3 − (e − 1))
    assert all(s.exponent >= 0 and s.tag_exponent >= 0 for s in scales)    # whole LSBs
    ref = reference_samples(*problem_)
    assert differences(ref, got) == []
    start = {k: c["M"] for k, c in reference(*problem_[:3]).copies.items()}
    learnt = [np.any(w != start[key]) for key, w in ref[-1]["weights"].items()]
    assert np.mean(learnt) >= 0.75, "too few copies learnt in 4 samples to test the rule"
    assert all(t.any() for t in ref[0]["tags"].values())
    states = np.concatenate([s for r in ref for s in r["free"].values()])
    assert np.any(states == 0) and np.any(states == 2 ** CHIP.state_frac_bits)
    assert any(not np.array_equal(r["bias"]["output"], ref[0]["bias"]["output"]) for r in ref)


def test_a_shift_off_by_one_is_caught(run):
    problem_, _, got = run
    assert differences(reference_samples(*problem_, product_shift_error=1), got)
    assert differences(reference_samples(*problem_, drive_shift_error=1), got)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES)
def test_mirrored_copies_stay_identical_over_30_samples(case):
    net, settings, schedule, x, targets = problem(30, seed=7, case=case)
    graph = build_loihi2_graph(net, settings, schedule, x, targets)
    try:
        graph.data.run(condition=RunSteps(num_steps=schedule.steps), run_cfg=config(graph))
        final = {k: read(graph, s.weights, m) for k, (s, m) in copies(graph).items()}
    finally:
        graph.data.stop()
    for name, proj in ((p.name, p) for p in net.projections if p.pre != "input"):
        assert np.array_equal(final[name, proj.post], final[name, proj.pre].T)
    ref = reference_samples(net, settings, schedule, x, targets)[-1]["weights"]
    for key, w in final.items():
        assert np.array_equal(w, ref[key]), key


def fixed_refusal(change):
    net, settings, schedule, x, targets = problem(2)
    change(net, settings)
    return lambda: build_loihi2_graph(net, settings, schedule, x * 100, targets)


REFUSALS = {
    "weights": (lambda net, s: setattr(s, "chip", CHIP.with_weight_bits(10)),
                r"projection 'input-h1': its weights .* would leave \[-256, 255\]"),
    "rate": (lambda net, s: s.weight_rates.update({"h1-output": 1e-7}),
             "projection 'h1-output': .*not within 1/8"),
    "input": (lambda net, s: None, "input 'input': fixed-point activities"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_fixed_graph_refuses_what_cannot_be_exact(case):
    change, words = REFUSALS[case]
    build = fixed_refusal(change)
    with pytest.raises(NetworkError, match=words):
        build()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES)
def test_fixed_inference_graph_is_the_references_free_phase(case):
    """The inference graph (stock Dense/Sparse pairs on the training graph's formats): after
    each sample's T1 free steps, every population's state is the reference's free state for
    that sample, bit for bit (weights do not learn: a fresh reference per sample)."""
    from lava_eqprop.lava_backend.loihi2.inference import build_loihi2_inference_graph
    from lava_eqprop.lava_backend.schedule import inference_schedule

    net, settings, schedule, x, targets = problem(4, case=case)
    frozen = dataclasses.replace(settings, weight_rates={}, bias_rates={})
    graph = build_loihi2_inference_graph(net, frozen, inference_schedule(4, 1, T1), x)
    got = []
    try:
        for _ in range(4):
            graph.data.run(condition=RunSteps(num_steps=1 + T1), run_cfg=config(graph))
            got.append({n: p.s.get() for n, p in graph.populations.items()})
    finally:
        graph.data.stop()
    for k in range(4):
        expected = reference(net, settings, schedule).sample(x[k], targets[k])["free"]
        for name, state in expected.items():
            assert np.array_equal(got[k][name], state), (k, name)
    assert any(np.any(g["output"] > 0) for g in got)
