"""The stability tool on hand-made nets whose eigenvalues are known in closed form."""

import json

import numpy as np

from lava_eqprop.cli.main import main
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.engine.stability import analyse
from lava_eqprop.network.network import Network, Population, Projection


def two_unit_net(w_in_h, w_h_o, w_o_h, bias=(0.5, 0.5)):
    """input (1) → hidden (1) ⇄ output (1), plus input → output, all directed.

    With a constant leak λ the linear part over (hidden, output) is
    J = [[−λ, w_o_h], [w_h_o, −λ]], eigenvalues −λ ± √(w_o_h·w_h_o)."""
    pops = [Population("input", (1,), role="input", learn_bias=False),
            Population("hidden", (1,), bias=np.array([bias[0]])),
            Population("output", (1,), role="output", bias=np.array([bias[1]]))]
    projs = [Projection("input-hidden", "input", "hidden", np.array([[w_in_h]]), symmetric=False),
             Projection("input-output", "input", "output", np.array([[0.1]]), symmetric=False),
             Projection("hidden-output", "hidden", "output", np.array([[w_h_o]]), symmetric=False),
             Projection("output-hidden", "output", "hidden", np.array([[w_o_h]]), symmetric=False)]
    return Network("two", pops, projs)


def report_for(net, dynamics, x=((0.3,), (0.8,))):
    relaxer = Relaxer(net, dynamics, get_loss("half_squared_error"))
    return analyse(net, relaxer, np.array(x, dtype=float), starts=4, steps=4000, tol=1e-10)


def sorted_complex(values):
    values = np.asarray(values, dtype=complex)
    return values[np.lexsort((values.imag, values.real))]


def test_leaky_spiral_reports_its_eigenvalues_and_is_certified():
    net = two_unit_net(0.2, -0.5, 0.5)
    report = report_for(net, Dynamics(epsilon=0.1, leak=1.0))
    np.testing.assert_allclose(sorted_complex(report.linear.eigenvalues),
                               sorted_complex([-1 - 0.5j, -1 + 0.5j]), atol=1e-12)
    assert report.linear.mu_2 == -1.0 and report.verdict == "certified stable"
    for e in report.equilibria:                       # both units inside the box
        assert e.settled and e.active.size == 2
        np.testing.assert_allclose(sorted_complex(e.local.eigenvalues),
                                   sorted_complex([-1 - 0.5j, -1 + 0.5j]), atol=1e-12)


def test_faithful_deep_has_the_zero_eigenvalue_and_no_gershgorin_certificate():
    """DEEP: a_h = w_h_o, a_o = w_o_h, so J = [[−w_h_o, w_o_h], [w_h_o, −w_o_h]]: zero column
    sums, eigenvalues 0 and −(w_h_o + w_o_h); no disc test can pass."""
    w_h_o, w_o_h = 0.7, 0.4
    net = two_unit_net(0.5, w_h_o, w_o_h, bias=(0.1, -0.2))
    report = report_for(net, Dynamics(epsilon=0.05, leak=0.0, outgoing_decay=True))
    np.testing.assert_allclose(sorted_complex(report.linear.eigenvalues),
                               sorted_complex([-(w_h_o + w_o_h), 0.0]), atol=1e-12)
    assert not report.linear.gershgorin_rows and not report.linear.gershgorin_columns
    assert report.linear.mu_1 >= 0 and report.linear.mu_inf >= 0
    assert report.verdict != "certified stable"
    assert "eigenvalue" in report.reason and "from 0" in report.reason


def test_a_saddle_is_found_and_the_net_is_multistable():
    """λ = 1, w = 1.5 both ways: eigenvalues 0.5 and −2.5. The interior equilibrium is a saddle;
    starts at zeros and ones settle in different corners, each locally stable."""
    net = two_unit_net(0.0, 1.5, 1.5, bias=(-0.25, -0.3))
    report = report_for(net, Dynamics(epsilon=0.1, leak=1.0))
    np.testing.assert_allclose(sorted_complex(report.linear.eigenvalues),
                               sorted_complex([-2.5, 0.5]), atol=1e-12)
    assert report.verdict == "multistable"
    assert max(report.distinct) == 2
    corners = {tuple(np.round(e.state, 6)) for e in report.equilibria if e.sample == 0}
    assert (0.0, 0.0) in corners and (1.0, 1.0) in corners


def test_stability_command_prints_a_verdict_and_json(tmp_path, capsys):
    spec = tmp_path / "d.toml"
    spec.write_text("""
[model]
name = "deep-digits"
[data]
dataset = "digits"
[network]
topology = "complete_directed"
layers = [64, 6, 10]
weight_init = "normal"
weight_gain = 0.05
bias_init = "normal"
[dynamics]
epsilon = 0.05
free_steps = 10
nudged_steps = 10
leak = 0.0
outgoing_decay = true
[learning]
beta = 10.0
estimator = "deep"
learning_rate = 100.0
batch_size = 8
epochs = 1
""")
    assert main(["stability", str(spec), "--samples", "2", "--steps", "200", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(out[-1])
    assert summary["verdict"] in ("empirically stable", "multistable", "not stable")
    assert summary["linear_part"]["min_abs_eigenvalue"] < 1e-12
    assert any(line.startswith("verdict: ") for line in out)
