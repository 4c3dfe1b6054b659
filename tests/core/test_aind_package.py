"""Export as an aind Python package: the package's aind ``Trainer`` follows our trainer, step by step.

Packages are written to temporary folders and imported under unique names. Compared at every step (the
enrollment state included): stage, sorted active policies (by our policy ids, through the package's
``RULE_IDS``), task parameters (without the counters the package keeps), and failure (our trainer reports
a rule error exactly when the package raises one).
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("aind_behavior_curriculum")

from curriculum_gui.cli import main
from curriculum_gui.core import native_format
from curriculum_gui.core.aind_package import AindPackageError, write_package
from curriculum_gui.core.model import (
    Curriculum,
    ExpressionRule,
    Metric,
    MetricType,
    Policy,
    PolicyTransition,
    PythonRule,
    Stage,
    StageTransition,
    Task,
)
from curriculum_gui.core.trainer import Trainer
from tests.conftest import EXAMPLES

EXAMPLE = EXAMPLES / "two_choice_visual.json"
_numbers = itertools.count()


@contextlib.contextmanager
def imported(curriculum: Curriculum) -> Iterator[ModuleType]:
    """The curriculum exported as a package in a temporary folder, imported under a fresh name."""
    name = f"cg_generated_{next(_numbers)}"
    with tempfile.TemporaryDirectory() as tmp:
        write_package(curriculum, Path(tmp) / name)
        sys.path.insert(0, str(Path(tmp) / name))
        try:
            yield importlib.import_module(name)
        finally:
            sys.path.remove(str(Path(tmp) / name))
            for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[module]


def run_both(package: ModuleType, curriculum: Curriculum, sessions: list[dict[str, Any]]) -> None:
    runtime = importlib.import_module(package.__name__ + "._cg.runtime")
    rule_error = importlib.import_module(package.__name__ + "._cg.errors").RuleError
    aind_trainer = package.trainer()
    theirs = aind_trainer.create_enrollment()
    ours_trainer = Trainer(curriculum)
    ours = ours_trainer.enroll()

    def same(step: str) -> None:
        aind_view = (
            theirs.stage.name,
            sorted(package.RULE_IDS[p.callable.__name__] for p in theirs.active_policies or []),
            runtime.parameters(theirs),
        )
        our_view = (
            ours_trainer.stage_name(ours.stage_id),
            sorted(ours.active_policies),
            dict(ours.parameters),
        )
        assert aind_view == our_view, step

    same("enrollment")
    for i, metrics in enumerate(sessions):
        evaluation = ours_trainer.evaluate(ours, metrics)
        if evaluation.error:
            with pytest.raises(rule_error):
                package.evaluate(aind_trainer, theirs, metrics)
            return
        ours = evaluation.state
        theirs = package.evaluate(aind_trainer, theirs, metrics)
        same(f"session {i + 1}: {metrics}")


# --- the bundled example ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_package() -> Iterator[tuple[ModuleType, Curriculum]]:
    curriculum = native_format.load(EXAMPLE)
    with imported(curriculum) as package:
        yield package, curriculum


@st.composite
def example_sessions(draw: st.DrawFn) -> list[dict[str, Any]]:
    accuracy: list[float] = []
    trials: list[int] = []
    sessions = []
    for _ in range(draw(st.integers(1, 25))):
        accuracy.append(draw(st.sampled_from([0.4, 0.62, 0.7, 0.8, 0.9, 1.0])))
        trials.append(draw(st.sampled_from([50, 150, 250, 400])))
        session = {
            "accuracy": list(accuracy),
            "trials": list(trials),
            "bias": draw(st.sampled_from([0.05, 0.15, 0.25, 0.5])),
            "weight_fraction": draw(st.sampled_from([0.7, 0.85, 0.95])),
            "licks_per_reward": draw(st.sampled_from([2, 5, 7, 9])),
        }
        if draw(st.integers(0, 30)) == 0:
            del session[draw(st.sampled_from(sorted(session)))]  # now and then a missing metric
        sessions.append(session)
    return sessions


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions=example_sessions())
def test_example_package_follows_our_trainer(example_package, sessions) -> None:
    package, curriculum = example_package
    run_both(package, curriculum, sessions)


def test_example_package_walks_through_every_stage(example_package) -> None:
    package, curriculum = example_package
    good = {"bias": 0.05, "weight_fraction": 0.95, "licks_per_reward": 5}
    sessions = [{**good, "accuracy": [0.95] * (i + 1), "trials": [400] * (i + 1)} for i in range(14)]
    run_both(package, curriculum, sessions)
    aind_trainer = package.trainer()
    state = aind_trainer.create_enrollment()
    visited = [state.stage.name]
    for metrics in sessions:
        state = package.evaluate(aind_trainer, state, metrics)
        visited.append(state.stage.name)
    assert visited[-1] == "Graduated" and "Mixed contrast" in visited and "Full task" in visited


def test_counters_ride_in_the_task_parameters(example_package) -> None:
    package, _ = example_package
    runtime = importlib.import_module(package.__name__ + "._cg.runtime")
    aind_trainer = package.trainer()
    state = aind_trainer.create_enrollment()
    for _ in range(2):
        state = package.evaluate(
            aind_trainer, state, {"licks_per_reward": 9, "accuracy": [0.5], "trials": [1], "bias": 0.0}
        )
    stored = state.stage.task.task_parameters.model_extra[runtime.STATE_KEY]
    assert stored["sessions_total"] == 2 and stored["sessions_in_stage"] == 2
    assert list(stored["sessions_in_policy"].values()) == [2]
    assert runtime.STATE_KEY not in runtime.parameters(state)
    # The state survives JSON (what the launcher stores between sessions).
    again = aind_trainer.trainer_state_model.model_validate_json(state.model_dump_json())
    assert again.stage.task.task_parameters.model_extra[runtime.STATE_KEY] == stored


# --- generated curricula ------------------------------------------------------------------------

CONDITIONS = [
    "m1 > {k}",
    "m2 <= {k} - 5",
    "sessions_in_stage >= {k} // 2",
    "sessions_total % ({k} + 1) == 0",
    "mean(last(acc, 2)) >= 0.{k}",
    "m1 + m2 > {k} and sessions_in_stage > 1",
    "not (m1 == {k})",
    "(m1 > {k}) if m2 > 0 else (m1 < {k})",
    "max(last(acc, 3)) < 0.5 or m1 in [1, {k}]",
]
POLICY_CONDITIONS = [*CONDITIONS, "sessions_in_policy >= {k} // 3", "sessions_in_policy > 1 and m2 == 1"]
UPDATES = [  # each policy changes its own parameter only, so the order aind applies them in does not matter
    "",
    "{p} += 1",
    "{p} = clamp({p} - m1, 0, 10)",
    "{p} = ramp(0.0, 1.0, over={k} + 1)",
    "{p} = sessions_in_policy",
    "{p} = round({p} * 1.5, 2)",
    "{p} = {p} + sessions_in_stage * 2",
]


@st.composite
def expression_curricula(draw: st.DrawFn) -> Curriculum:
    def rule(templates: list[str], **names: str) -> ExpressionRule:
        text = draw(st.sampled_from(templates)).format(k=draw(st.integers(1, 9)), **names)
        return ExpressionRule(expression=text)

    stages = []
    for i in range(draw(st.integers(1, 4))):
        n_policies = draw(st.integers(1, 4))
        params = {f"p{j}": draw(st.sampled_from([0, 3, 2.5])) for j in range(4)}
        policies = [
            Policy(id=f"s{i}p{j}", name=f"P{j}", updates=rule(UPDATES, p=f"p{j}")) for j in range(n_policies)
        ]
        ids = [p.id for p in policies]
        transitions = [
            PolicyTransition(
                id=f"s{i}pt{k}",
                source=draw(st.sampled_from(ids)),
                destination=draw(st.sampled_from(ids)),
                rule=rule(POLICY_CONDITIONS),
            )
            for k in range(draw(st.integers(0, 5)))
        ]
        start = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=n_policies, unique=True))
        task = Task(name=draw(st.sampled_from(["task_a", "task_b"])), parameters=params)
        stages.append(
            Stage(
                id=f"s{i}",
                name=f"Stage {i}",
                task=task,
                policies=policies,
                policy_transitions=transitions,
                start_policies=start,
                terminal=True,
            )
        )
    stage_ids = [s.id for s in stages]
    stage_transitions = [
        StageTransition(
            id=f"st{k}",
            source=draw(st.sampled_from(stage_ids)),
            destination=draw(st.sampled_from(stage_ids)),
            rule=rule(CONDITIONS),
        )
        for k in range(draw(st.integers(0, 2 * len(stages))))
    ]
    return Curriculum(
        name="Generated",
        version="0.1.0",
        metrics=[
            Metric(name="m1", type=MetricType.INTEGER),
            Metric(name="m2", type=MetricType.INTEGER),
            Metric(name="acc", type=MetricType.NUMBER_LIST),
        ],
        stages=stages,
        stage_transitions=stage_transitions,
        start_stage=draw(st.sampled_from(stage_ids)),
    )


@st.composite
def generated_sessions(draw: st.DrawFn) -> list[dict[str, Any]]:
    acc: list[float] = []
    out = []
    for _ in range(draw(st.integers(0, 12))):
        acc.append(draw(st.sampled_from([0.2, 0.5, 0.7, 0.9])))
        out.append({"m1": draw(st.integers(0, 10)), "m2": draw(st.integers(0, 1)), "acc": list(acc)})
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(curriculum=expression_curricula(), sessions=generated_sessions())
def test_generated_curricula_follow_our_trainer(curriculum: Curriculum, sessions) -> None:
    with imported(curriculum) as package:
        rules = json.dumps(curriculum.model_dump(exclude_defaults=True))  # (not max_sessions: None)
        assert ("session" in rules or "ramp" in rules) == package.USES_COUNTERS
        run_both(package, curriculum, sessions)


def test_curriculum_without_counters_needs_no_bookkeeping() -> None:
    curriculum = native_format.load(EXAMPLE)
    for t in curriculum.stage_transitions:
        t.rule = ExpressionRule(expression="mean(last(accuracy, 1)) > 0.5")
    for stage in curriculum.stages:
        stage.policy_transitions = []
        for p in stage.policies:
            p.updates = ExpressionRule(expression="")
    with imported(curriculum) as package:
        assert package.USES_COUNTERS is False
        aind_trainer = package.trainer()
        state = aind_trainer.evaluate(
            aind_trainer.create_enrollment(), package.CurriculumMetrics(accuracy=[0.9])
        )  # aind's Trainer alone, as any aind user would call it
        assert state.stage.name == "Warm-up: one side"
        assert "curriculum_gui_counters" not in state.stage.task.task_parameters.model_dump()


# --- what users type cannot become code ----------------------------------------------------------

NASTY = "x'''\"\"\"\\\n); open('MARKER', 'w') #"


def test_names_and_strings_cannot_break_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text_rule = 'm == "\\"\\"\\"); open(\'MARKER\', \'w\') #"'
    curriculum = Curriculum(
        name=NASTY,
        version="1.0.0",
        metrics=[Metric(name="m", type=MetricType.STRING), Metric(name="json", type=MetricType.NUMBER)],
        stages=[
            Stage(
                id="a",
                name=NASTY,
                task=Task(name=NASTY, description=NASTY, parameters={NASTY: NASTY, "label": " padded "}),
                policies=[
                    Policy(id="p", name=NASTY, updates=ExpressionRule(expression='label = label + "\'"'))
                ],
                start_policies=["p"],
            ),
            Stage(id="b", name="B" + NASTY, terminal=True),
        ],
        stage_transitions=[
            StageTransition(id="t", source="a", destination="b", rule=ExpressionRule(expression=text_rule))
        ],
        start_stage="a",
    )
    with imported(curriculum) as package:
        assert package.CURRICULUM_NAME == NASTY
        aind_trainer = package.trainer()
        state = aind_trainer.create_enrollment()
        assert state.stage.name == NASTY and state.stage.task.name == NASTY
        assert state.stage.task.task_parameters.model_dump()[NASTY] == NASTY
        state = package.evaluate(aind_trainer, state, {"m": "no", "json": 1})
        assert state.stage.task.task_parameters.label == " padded '"
        state = package.evaluate(aind_trainer, state, {"m": "\"\"\"); open('MARKER', 'w') #"})
        assert state.stage.name == "B" + NASTY
    assert not (tmp_path / "MARKER").exists()


# --- refusals -----------------------------------------------------------------------------------


def _example() -> Curriculum:
    return native_format.load(EXAMPLE)


def _with_python_reference(c: Curriculum) -> None:
    c.stage_transitions[0].rule = PythonRule(python="my_rules.go")


def _with_bad_rule(c: Curriculum) -> None:
    c.stages[0].policies[1].updates = ExpressionRule(expression="x = __import__('os')")


def _with_counter_metric(c: Curriculum) -> None:
    c.metrics.append(Metric(name="sessions_in_policy_applied"))


def _with_two_names(c: Curriculum) -> None:
    c.stages[1].name = c.stages[0].name


def _with_bad_version(c: Curriculum) -> None:
    c.version = "1.0"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            _with_python_reference,
            "'Habituation' -> 'Warm-up: one side' is the Python reference 'my_rules.go'",
        ),
        (_with_bad_rule, "policy 'Space rewards out' of stage 'Habituation': the rule does not compile"),
        (_with_counter_metric, "'sessions_in_policy_applied' has a name the package keeps"),
        (_with_two_names, "stage name 'Habituation': error: is used twice"),
        (_with_bad_version, "'1.0' is not a semantic version"),
    ],
)
def test_refusals_name_the_place(mutate, message: str, tmp_path: Path) -> None:
    c = _example()
    mutate(c)
    with pytest.raises(AindPackageError, match="cannot export as an aind package") as info:
        write_package(c, tmp_path / "pkg")
    assert message in str(info.value)
    assert not (tmp_path / "pkg").exists()


def test_output_folder_and_package_name(tmp_path: Path) -> None:
    out = tmp_path / "my-curriculum"
    write_package(_example(), out)
    assert (out / "my_curriculum" / "curriculum.py").is_file()
    with pytest.raises(AindPackageError, match="not empty"):
        write_package(_example(), out)
    write_package(_example(), out, package_name="renamed", force=True)
    assert (out / "renamed").is_dir() and not (out / "my_curriculum").exists()
    for bad in ("2fast", "class", "Upper", "example_project", "a-b"):
        with pytest.raises(AindPackageError, match="package name"):
            write_package(_example(), tmp_path / "x", package_name=bad)


def test_convert_cli_writes_or_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pkg"
    assert main(["convert", str(EXAMPLE), "-o", str(out), "--to", "aind-package"]) == 0
    assert "written (aind-package)" in capsys.readouterr().out
    assert main(["convert", str(EXAMPLE), "-o", str(out), "--to", "aind-package"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err
    aind_json = Path(__file__).resolve().parents[1] / "data" / "aind" / "example_project_curriculum.json"
    assert main(["convert", str(aind_json), "-o", str(tmp_path / "p2"), "--to", "aind-package"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--to aind" in err


# --- pip install and `curriculum run`, as AIND's launcher calls it --------------------------------


def test_pip_install_and_curriculum_run(tmp_path: Path) -> None:
    out = tmp_path / "src"
    write_package(_example(), out, package_name="two_choice_cg")
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    result = subprocess.run(
        [*pip, "--target", str(target), str(out)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert (target / "bin" / "curriculum").is_file()
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    session = tmp_path / "session"
    session.mkdir()
    (session / "metrics.json").write_text(
        json.dumps({"licks_per_reward": 5, "accuracy": [0.5], "trials": [9]})
    )
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"curriculum": None, "stage": None, "is_on_curriculum": False}))

    def run(*command: str) -> dict:
        args = [*command, "run", "--data-directory", str(session), "--input-trainer-state", str(state_file)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    enrolled = run(sys.executable, str(target / "bin" / "curriculum"))
    assert enrolled["trainer_state"]["stage"]["name"] == "Habituation"
    assert enrolled["version"] == "1.0.0" and enrolled["dsl_version"] == "0.0.42"
    state = enrolled["trainer_state"]
    for _ in range(2):  # two sessions of habituation: the second moves on (sessions_in_stage >= 2)
        state_file.write_text(json.dumps(state))
        state = run(sys.executable, "-m", "two_choice_cg")["trainer_state"]
    assert state["stage"]["name"] == "Warm-up: one side"
    # What the launcher does with the output: aind's TrainerState loads it.
    check = (
        "import json, sys; from aind_behavior_curriculum import TrainerState; "
        "s = TrainerState.model_validate_json(sys.stdin.read()); print(s.stage.name)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", check],
        input=json.dumps(state),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert loaded.stdout.strip() == "Warm-up: one side", loaded.stderr
    # Bad input: one line, exit 2.
    (session / "metrics.json").write_text("[1]")
    state_file.write_text(json.dumps(state))
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "two_choice_cg",
            "run",
            "--data-directory",
            str(session),
            "--input-trainer-state",
            str(state_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


# --- names that would keep the package from importing ----------------------------------------------


def test_metrics_named_like_types_do_not_shadow_them() -> None:
    """A metric ``bool`` became ``bool: bool | None = None``: the class attribute hid the type (TypeError)."""
    c = _example()
    shadowing = ["bool", "list", "Text", "int", "float", "Any", "Literal", "json", "dict", "str"]
    c.metrics += [Metric(name=n, type=MetricType.BOOLEAN) for n in shadowing[:2]]
    c.metrics += [Metric(name=n, type=MetricType.NUMBER) for n in shadowing[2:]]
    c.stages[0].task.parameters.update({"int": 1, "bool": True, "Text": "t", "Any": [1], "list": [2]})
    c.stage_transitions[0].rule = ExpressionRule(expression="bool and int > 1")
    with imported(c) as package:
        fields = package.CurriculumMetrics.model_fields
        assert fields["bool"].annotation == bool | None and fields["int"].annotation == int | float | None
        aind_trainer = package.trainer()
        state = aind_trainer.create_enrollment()
        assert state.stage.task.task_parameters.model_dump()["Text"] == "t"
        moved = package.evaluate(aind_trainer, state, {"bool": True, "int": 2, "list": False})
        assert moved.stage.name == "Warm-up: one side"


def test_a_curriculum_name_aind_cannot_take_is_refused_with_the_reason(tmp_path: Path) -> None:
    c = _example()
    c.name = "Two\x00choice"
    with pytest.raises(AindPackageError, match=r"'Two\\x00choice' holds a NUL character") as info:
        write_package(c, tmp_path / "pkg")
    assert "makes a Python class of that name" in str(info.value)
    assert not (tmp_path / "pkg").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("pydantic", "aind-behavior-curriculum or the package itself needs"),
        ("semver", "aind-behavior-curriculum or the package itself needs"),
        ("curriculum", "aind-behavior-curriculum or the package itself needs"),
        ("site", "standard module"),
        ("json", "standard module"),
        ("os", "standard module"),
        ("test", "standard module"),
        ("_cg", "starting with a letter"),
        ("numpy", "installed here"),
    ],
)
def test_package_names_that_replace_other_modules_are_refused(name: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(AindPackageError, match="--package-name") as info:
        write_package(_example(), tmp_path / "out", package_name=name)
    assert f"cannot use {name!r} as the package name" in str(info.value) and reason in str(info.value)
    assert not (tmp_path / "out").exists()
    with pytest.raises(AindPackageError, match="standard module"):  # the default name: the folder's
        write_package(_example(), tmp_path / "json")


def test_a_folder_of_the_same_name_is_no_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exporting again into ./pkg: the folder itself (a bare directory on the path) is not a module."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    write_package(_example(), Path("pkg"))
    write_package(_example(), Path("pkg"), force=True)
    assert (tmp_path / "pkg" / "pkg" / "curriculum.py").is_file()
