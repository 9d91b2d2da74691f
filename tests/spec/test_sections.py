"""Typed sections: declared once (type, default, allowed values, doc), frozen, overridable
with revalidation, and documented by a generated reference that must be current."""

import dataclasses
from pathlib import Path

import pytest

from lava_eqprop.config_reference import CHIP_CONFIG_SECTIONS, MODEL_SPEC_SECTIONS, config_reference
from lava_eqprop.errors import SpecError
from lava_eqprop.schema import REQUIRED, SpecFile
from lava_eqprop.spec import load_spec, parse_spec
from lava_eqprop.spec.sections import DynamicsSection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name, section", [*MODEL_SPEC_SECTIONS.items(),
                                           *CHIP_CONFIG_SECTIONS.items()])
def test_every_key_is_documented_and_typed(name, section):
    keys = section.keys()
    assert keys, name
    for k in keys:
        assert len(k.doc) > 10, (name, k.name)
        assert k.type, (name, k.name)
        if not k.required and k.choices is not None:
            assert k.default in k.choices, (name, k.name)


def test_the_reference_in_the_docs_is_current():
    """Regenerate with: python -m lava_eqprop.config_reference > docs/config-reference.md"""
    assert (ROOT / "docs" / "config-reference.md").read_text() == config_reference()


def test_sections_are_frozen_and_hold_tuples():
    spec = load_spec(ROOT / "models" / "digits.toml")
    assert isinstance(spec.network.layers, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.dynamics.epsilon = 0.5
    with pytest.raises(TypeError, match="required keys not given: \\['free_steps', "
                                        "'nudged_steps'\\]"):
        DynamicsSection(free_steps=REQUIRED, nudged_steps=REQUIRED)


def test_overrides_are_validated_and_the_text_follows():
    spec = load_spec(ROOT / "models" / "digits.toml")
    changed = spec.with_overrides({"dynamics": {"epsilon": 0.5, "free_steps": 7},
                                   "network": {"layers": [64, 16, 10]}})
    assert changed.dynamics.epsilon == 0.5 and changed.dynamics.free_steps == 7
    assert changed.network.layers == (64, 16, 10)
    assert changed.learning == spec.learning and spec.dynamics.epsilon != 0.5
    reread = parse_spec(SpecFile.parse(changed.text, "reread.toml"))
    assert (reread.dynamics, reread.network) == (changed.dynamics, changed.network)
    assert changed.build_network().populations[1].size == 16
    with pytest.raises(SpecError, match=r"digits.toml \(with --epsilon\): \[dynamics\] epsilon: "
                                        r"= 1.5; expected a number in \(0, 1\]"):
        spec.with_overrides({"dynamics": {"epsilon": 1.5}}, "with --epsilon")
    with pytest.raises(SpecError, match=r"\[dynamics\] epsilonn: unknown key"):
        spec.with_overrides({"dynamics": {"epsilonn": 0.5}})


def test_the_nudged_tol_is_the_free_tol_unless_given():
    spec = load_spec(ROOT / "models" / "digits.toml").with_overrides({"dynamics": {"tol": 1e-3}})
    assert spec.dynamics.nudged_phase_tol == 1e-3 and spec.ep_settings().nudged_solver is None
    fixed = spec.with_overrides({"dynamics": {"nudged_tol": 0}})
    assert fixed.dynamics.nudged_phase_tol == 0.0
    assert fixed.ep_settings().nudged_solver.tol == 0.0 and fixed.ep_settings().solver.tol == 1e-3
    assert parse_spec(SpecFile.parse(fixed.text, "reread.toml")).dynamics == fixed.dynamics
    for wrong in ("same", -1e-3):
        with pytest.raises(SpecError, match=r'\[dynamics\] nudged_tol: = .*; expected a number '
                                            r'>= 0 or "tol"'):
            spec.with_overrides({"dynamics": {"nudged_tol": wrong}})
    with pytest.raises(SpecError, match=r"\[dynamics\] nudged_tol: = True has the wrong type"):
        spec.with_overrides({"dynamics": {"nudged_tol": True}})
