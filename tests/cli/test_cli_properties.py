"""Property: whatever a user types, the command line ends with exit status 0, or 2 with one line
on stderr naming the problem: never a traceback.

Hypothesis generates (a) model specs: a valid spec with keys set to values of any TOML type
(huge and negative integers, NaN and infinities, unicode, lists, tables), keys and sections
removed or invented, or files of arbitrary bytes; and (b) option values for ``train`` (numbers
of every kind, unicode, paths). ``info`` checks a spec as far as building its network; ``train``
runs a tiny epoch on the embedded digits when everything is accepted. An exception escaping
``main`` is the traceback a user would see."""

import contextlib
import io
import math

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lava_eqprop.cli.main import main
from lava_eqprop.spec import sections
from lava_eqprop.toml_compat import tomllib
from tests.conftest import TINY_DIGITS

BASE = tomllib.loads(TINY_DIGITS.format(persistent="false", estimator="one_sided", momentum=0.0))
KNOWN_KEYS = {
    "model": sections.ModelSection.keys(), "data": sections.DataSection.keys(),
    "network": sections.NetworkSection.keys(), "dynamics": sections.DynamicsSection.keys(),
    "learning": sections.LearningSection.keys()}
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])

texts = st.text(max_size=12)
scalars = st.one_of(st.integers(), st.integers(-3, 70), st.floats(), st.booleans(), texts)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.lists(st.integers(-2, 80),
                                                                   max_size=5),
                   st.dictionaries(texts, scalars, max_size=2))


@st.composite
def mutated_specs(draw) -> str:
    """A spec's TOML text: the tiny digits spec with a few keys changed, removed or added."""
    spec = {section: dict(keys) for section, keys in BASE.items()}
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(sorted(KNOWN_KEYS) + ["network.small_world", "extra"]))
        table = spec
        for part in section.split("."):
            table = table.setdefault(part, {})
        known = [k.name for k in KNOWN_KEYS.get(section, [])]
        key = draw(st.sampled_from(known) | texts) if known else draw(texts)
        action = draw(st.sampled_from(["set", "set", "set", "remove", "remove section"]))
        if action == "set":
            table[key] = draw(values)
        elif action == "remove":
            table.pop(key, None)
        else:
            spec.pop(section.split(".")[0], None)
    return tomli_w.dumps(spec)


def run_cli(argv: list[str]) -> tuple[int, str]:
    """main(argv) with stdout discarded and stderr captured; an escaping exception fails."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:          # argparse's usage errors
            code = exc.code
    return code, err.getvalue()


def assert_clean_exit(code: int, stderr: str, argv: list[str]) -> None:
    assert code in (0, 2), (code, stderr, argv)
    if code == 2:
        assert stderr.count("\n") == 1 and " error: " in stderr, (stderr, argv)


@PROPERTY_SETTINGS
@given(text=mutated_specs())
def test_any_spec_is_described_or_refused_in_one_line(text, tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    argv = ["info", str(path)]
    assert_clean_exit(*run_cli(argv), argv)


@PROPERTY_SETTINGS
@given(content=st.binary(max_size=64) | st.just(b"\x89HDF\r\n\x1a\n" + bytes(56)),
       suffix=st.sampled_from([".toml", ".h5"]))
def test_any_file_is_refused_in_one_line(content, suffix, tmp_path):
    path = tmp_path / f"input{suffix}"
    path.write_bytes(content)
    for argv in (["info", str(path)], ["run", str(path)], ["map", str(path)],
                 ["train", str(path), "--out", str(tmp_path / "out")]):
        code, err = run_cli(argv)
        assert_clean_exit(code, err, argv)
        assert code == 2 or content.strip() == b"", (err, argv)


numbers = st.one_of(st.integers(-10, 30), st.floats(), st.sampled_from(
    ["nan", "inf", "-inf", "1e400", "0x10", "", "٣", "1_0", " 2 "])).map(str)
OPTIONS = {"--epochs": numbers, "--train-samples": numbers, "--test-samples": numbers,
           "--stats-every": numbers, "--watchdog": numbers, "--event-threshold": numbers,
           "--lava-batch": numbers, "--weight-bits": numbers,
           "--data": st.one_of(texts, st.just("/nonexistent/mnist.pkl.gz"))}


@PROPERTY_SETTINGS
@given(options=st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.just(None), max_size=3)
       .flatmap(lambda chosen: st.fixed_dictionaries({k: OPTIONS[k] for k in chosen})),
       name=st.text(min_size=1, max_size=8))
def test_any_train_options_train_or_are_refused_in_one_line(options, name, tmp_path_factory):
    spec = tmp_path_factory.mktemp("spec") / "tiny.toml"
    tiny = dict(BASE) | {"data": BASE["data"] | {"train_samples": 40, "test_samples": 20},
                         "learning": BASE["learning"] | {"epochs": 1}}
    spec.write_text(tomli_w.dumps(tiny))
    out = tmp_path_factory.mktemp("runs") / name
    argv = ["train", str(spec), "--out", str(out), "--quiet"]
    for option, value in options.items():
        argv += [option, value] if not value.startswith("-") else [f"{option}={value}"]
    if "--epochs" not in options:
        argv += ["--epochs", "1"]
    code, err = run_cli(argv)
    assert_clean_exit(code, err, argv)


def test_the_generators_reach_both_outcomes(tmp_path):
    """The properties are not vacuous: the base spec is accepted and a NaN beta refused."""
    path = tmp_path / "spec.toml"
    path.write_text(tomli_w.dumps(BASE))
    assert run_cli(["info", str(path)])[0] == 0
    path.write_text(tomli_w.dumps(BASE | {"learning": BASE["learning"] | {"beta": math.nan}}))
    code, err = run_cli(["info", str(path)])
    assert code == 2 and "[learning] beta" in err
