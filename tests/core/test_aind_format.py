"""aind JSON import/export: no code imported, exact round trips, clear errors for what cannot be read."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from curriculum_gui.core import aind_format
from curriculum_gui.core.errors import LoadError
from curriculum_gui.core.files import open_curriculum
from curriculum_gui.core.model import (
    Curriculum,
    ExpressionRule,
    Policy,
    PythonRule,
    Stage,
    StageTransition,
    Task,
)
from curriculum_gui.core.native_format import dumps as native_dumps
from curriculum_gui.core.native_format import loads as native_loads
from curriculum_gui.core.problems import Severity
from curriculum_gui.core.validation import validate

DATA = Path(__file__).resolve().parents[1] / "data" / "aind"
EXAMPLES = sorted(DATA.glob("example_project*.json"))
MAIN_REFS = DATA / "example_project_curriculum_as_script_main_refs.json"


def _data(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_fixtures_present() -> None:
    assert len(EXAMPLES) == 6
    assert MAIN_REFS in EXAMPLES


# --- import -------------------------------------------------------------------------------------


def test_import_example_project_maps_everything() -> None:
    opened = open_curriculum(DATA / "example_project_curriculum.json")
    assert opened.format == "aind"
    c = opened.curriculum
    assert c.name == "My Curriculum"
    assert c.version == "0.1.0"
    assert [s.id for s in c.stages] == ["stage_0", "stage_1", "stage_2"]
    assert [s.name for s in c.stages] == ["StageA", "GRADUATED", "StageB"]
    assert c.start_stage == "stage_0"
    a = c.stage("stage_0")
    assert a.task == Task(name="Task A", description="", parameters={"field_a": 0})
    assert c.stage("stage_2").task.parameters == {"field_b": 0.0}
    assert [p.updates for p in a.policies] == [
        PythonRule(python="example_project.curriculum.init_stage_rule"),
        PythonRule(python="example_project.curriculum.stageA_policyB_rule"),
        PythonRule(python="example_project.curriculum.stageA_policyA_rule"),
    ]
    # named by the function, readable on the canvas and in lists
    assert [p.name for p in a.policies] == ["init_stage_rule", "stageA_policyB_rule", "stageA_policyA_rule"]
    assert a.start_policies == ["stage_0.policy_0"]
    # priorities: list order kept
    out = a.outgoing_policy_transitions("stage_0.policy_0")
    assert [(t.rule.text, t.destination) for t in out] == [
        ("example_project.curriculum.t1_10_rule", "stage_0.policy_1"),
        ("example_project.curriculum.t1_5_rule", "stage_0.policy_2"),
    ]
    stage_out = c.outgoing_stage_transitions("stage_0")
    assert [(t.rule.text, t.destination) for t in stage_out] == [
        ("example_project.curriculum.t2_10_rule", "stage_1"),
        ("example_project.curriculum.t2_5_rule", "stage_2"),
    ]
    assert [s.terminal for s in c.stages] == [False, True, False]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_validate_without_errors(path: Path) -> None:
    problems = validate(open_curriculum(path).curriculum)
    assert [p for p in problems if p.severity is Severity.ERROR] == []


def test_main_references_open() -> None:
    c = open_curriculum(MAIN_REFS).curriculum
    refs = {p.updates.text for s in c.stages for p in s.policies}
    assert refs == {
        "__main__.init_stage_rule",
        "__main__.stageA_policyA_rule",
        "__main__.stageA_policyB_rule",
        "__main__.stageB_policyA_rule",
        "__main__.stageB_policyB_rule",
    }


def test_start_stage_is_lowest_node_id_not_first_listed() -> None:
    data = _data(DATA / "example_project_2_stage_triangle_curriculum.json")
    nodes = data["graph"]["nodes"]
    data["graph"]["nodes"] = {"7": nodes["0"], "3": nodes["1"], "5": nodes["2"]}
    data["graph"]["graph"] = {"7": [], "3": [], "5": []}
    c = aind_format.curriculum_from_data(data, "x.json")
    assert c.start_stage == "stage_3"
    assert [s.id for s in c.stages] == ["stage_7", "stage_3", "stage_5"]
    # Export keeps the node ids (the start stage already has the lowest one) and so the enrollment.
    assert aind_format.curriculum_to_aind_data(c) == data


def test_start_policy_missing_from_graph_is_added_as_aind_does() -> None:
    data = _data(DATA / "example_project_curriculum.json")
    data["graph"]["nodes"]["1"]["start_policies"] = ["pkg.mod.extra"]
    c = aind_format.curriculum_from_data(data, "x.json")
    grad = c.stage("stage_1")
    assert [p.id for p in grad.policies] == ["stage_1.policy_0"]
    assert grad.start_policies == ["stage_1.policy_0"]


# --- errors -------------------------------------------------------------------------------------


def test_pre_0029_rule_objects_are_reported(tmp_path: Path) -> None:
    data = _data(DATA / "example_project_curriculum.json")
    data["graph"]["graph"]["0"][0][0] = {"rule": "example_project.curriculum.t2_10_rule"}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    with pytest.raises(LoadError) as info:
        open_curriculum(path)
    err = info.value
    assert err.path == str(path)
    assert "0.0.29" in err.reason and "0.0.42" in err.reason
    assert err.location == "graph.graph.0[0][0]"


def test_pre_0029_policy_objects_are_reported() -> None:
    data = _data(DATA / "example_project_curriculum.json")
    data["graph"]["nodes"]["0"]["graph"]["nodes"]["1"] = {"rule": "example_project.curriculum.x"}
    with pytest.raises(LoadError, match=r"0\.0\.29") as info:
        aind_format.curriculum_from_data(data, "f.json")
    assert "graph.nodes.0 (StageA).graph.nodes.1" in str(info.value)


def test_dangling_stage_destination_is_reported() -> None:
    data = _data(DATA / "example_project_curriculum.json")
    data["graph"]["graph"]["2"][0][1] = 9
    with pytest.raises(LoadError) as info:
        aind_format.curriculum_from_data(data, "f.json")
    assert "stage node 9" in info.value.reason and "does not exist" in info.value.reason
    assert info.value.location == "graph.graph.2[0][1]"
    assert str(info.value).startswith("f.json: ")


def test_dangling_stage_source_is_reported() -> None:
    data = _data(DATA / "example_project_curriculum.json")
    data["graph"]["graph"]["4"] = []
    with pytest.raises(LoadError, match="not among the nodes"):
        aind_format.curriculum_from_data(data, "f.json")


def test_dangling_policy_destination_is_reported() -> None:
    data = _data(DATA / "example_project_curriculum.json")
    data["graph"]["nodes"]["2"]["graph"]["graph"]["0"][1][1] = 42
    with pytest.raises(LoadError) as info:
        aind_format.curriculum_from_data(data, "f.json")
    assert "policy node 42" in info.value.reason
    assert info.value.location == "graph.nodes.2 (StageB).graph.graph.0[1][1]"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["graph"].__setitem__("nodes", []), "expected a JSON object"),
        (lambda d: d["graph"]["nodes"].__setitem__("x", d["graph"]["nodes"]["0"]), "not an integer"),
        (lambda d: d["graph"]["graph"]["0"].__setitem__(0, ["a.b"]), "pair"),
        (lambda d: d["graph"]["graph"]["0"].__setitem__(0, [5, 1]), "reference string"),
        (lambda d: d["graph"]["graph"]["0"].__setitem__(0, ["", 1]), "empty rule reference"),
        (lambda d: d["graph"]["nodes"]["0"].__setitem__("name", None), "expected a string"),
        (lambda d: d["graph"]["nodes"]["0"]["task"].__setitem__("task_parameters", [1]), "JSON object"),
        (lambda d: d["graph"]["nodes"]["0"].__setitem__("start_policies", "x.y"), "list of policy"),
        (lambda d: d["graph"]["graph"]["0"].__setitem__(0, ["a.b", True]), "not an integer"),
    ],
)
def test_malformed_files_raise_load_error(mutate, message: str) -> None:
    data = _data(DATA / "example_project_curriculum.json")
    mutate(data)
    with pytest.raises(LoadError, match=message):
        aind_format.curriculum_from_data(data, "f.json")


def test_trainer_state_file_is_refused_clearly() -> None:
    with pytest.raises(LoadError, match="not a curriculum"):
        open_curriculum(DATA / "trainer_state_stageA_policyA.json")


def test_empty_aind_curriculum_opens() -> None:
    c = aind_format.curriculum_from_data(
        {"name": "E", "version": "1.0.0", "graph": {"nodes": {}, "graph": {}}}, "e"
    )
    assert c.stages == [] and c.start_stage is None


# --- export and round trips ---------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_is_exact(path: Path) -> None:
    original = _data(path)
    c = open_curriculum(path).curriculum
    exported = aind_format.curriculum_to_aind_data(c)
    assert exported == original  # the file aind wrote, item for item
    again = aind_format.loads(aind_format.dumps(c), "again.json")
    assert again == c  # import -> export -> import is lossless
    # and through the native format too
    assert native_loads(native_dumps(c)) == c


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_aind_loads_the_export(path: Path, tmp_path: Path) -> None:
    """aind's own Curriculum.model_validate_json reads what we write (in a subprocess: it imports modules)."""
    out = tmp_path / "out.json"
    aind_format.save(open_curriculum(path).curriculum, out)
    script = textwrap.dedent(
        f"""
        import json
        from aind_behavior_curriculum import Curriculum
        text = open({str(out)!r}, encoding="utf-8").read()
        c = Curriculum.model_validate_json(text)
        assert json.loads(c.model_dump_json()) == json.loads(text), "aind re-export differs"
        print(len(c.see_stages()))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == len(_data(path)["graph"]["nodes"])


def _python_curriculum() -> Curriculum:
    def stage(sid: str, name: str) -> Stage:
        return Stage(
            id=sid,
            name=name,
            task=Task(name="T", parameters={"x": 1}),
            policies=[Policy(id=f"{sid}_p", name="Init", updates=PythonRule(python="pkg.m.init"))],
            start_policies=[f"{sid}_p"],
        )

    return Curriculum(
        name="Native",
        version="1.2.3",
        stages=[stage("warmup", "Warm-up"), stage("main", "Main"), stage("done", "Done")],
        stage_transitions=[
            StageTransition(id="a", source="warmup", destination="main", rule=PythonRule(python="pkg.m.go")),
            StageTransition(id="b", source="main", destination="done", rule=PythonRule(python="pkg.m.go")),
            StageTransition(
                id="c", source="main", destination="warmup", rule=PythonRule(python="pkg.m.back")
            ),
        ],
        start_stage="main",
    )


def test_native_ids_are_renumbered_with_start_stage_lowest() -> None:
    c = _python_curriculum()
    data = aind_format.curriculum_to_aind_data(c)
    nodes = data["graph"]["nodes"]
    assert nodes["0"]["name"] == "Main"  # aind enrolls into the lowest node id
    assert data["graph"]["graph"]["0"] == [["pkg.m.go", 2], ["pkg.m.back", 1]]  # priority kept
    back = aind_format.curriculum_from_data(data, "x")
    assert back.stage(back.start_stage).name == "Main"
    # ... and from there the round trip is exact
    assert aind_format.curriculum_from_data(aind_format.curriculum_to_aind_data(back), "y") == back


def test_expression_rules_cannot_be_exported() -> None:
    c = _python_curriculum()
    c.stage_transitions[1] = c.stage_transitions[1].model_copy(
        update={"rule": ExpressionRule(expression="x > 1")}
    )
    with pytest.raises(aind_format.AindExportError) as info:
        aind_format.curriculum_to_aind_data(c)
    message = str(info.value)
    assert "'Main' -> 'Done'" in message and "aind-package" in message


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: setattr(c, "version", "1.0"), "semantic version"),
        (lambda c: setattr(c.stages[1], "name", "Warm-up"), "two stages are named"),
        (lambda c: setattr(c, "start_stage", None), "no start stage"),
        (lambda c: setattr(c, "start_stage", "nope"), "does not exist"),
        (lambda c: setattr(c.stage_transitions[0], "destination", "gone"), "unknown stage"),
        (lambda c: setattr(c.stages[0], "start_policies", ["gone"]), "start policy"),
        (
            lambda c: c.stages[0].policies.append(
                Policy(id="dup", name="Dup", updates=PythonRule(python="pkg.m.init"))
            ),
            "two policies",
        ),
    ],
)
def test_export_refusals_are_clear(mutate, message: str) -> None:
    c = copy.deepcopy(_python_curriculum())
    mutate(c)
    with pytest.raises(aind_format.AindExportError, match=message):
        aind_format.curriculum_to_aind_data(c)


# --- opening never runs code --------------------------------------------------------------------


def test_open_and_validate_run_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran.txt"
    pkg = tmp_path / "site" / "sideeffect_pkg_cg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    (pkg / "rules.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\ndef go(metrics):\n    return True\n"
        "def pol(metrics, task):\n    return task\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    data = _data(DATA / "example_project_curriculum.json")
    text = json.dumps(data).replace("example_project.curriculum.", "sideeffect_pkg_cg.rules.")
    path = tmp_path / "c.json"
    path.write_text(text)

    c = open_curriculum(path).curriculum
    validate(c)
    aind_format.curriculum_to_aind_data(c)
    native_loads(native_dumps(c))
    from curriculum_gui.cli import main
    from curriculum_gui.core.python_rules import modules_referenced

    assert modules_referenced(c) == ["sideeffect_pkg_cg.rules"]
    assert main(["validate", str(path)]) == 0
    assert not marker.exists()
    assert "sideeffect_pkg_cg" not in sys.modules
    assert "sideeffect_pkg_cg.rules" not in sys.modules
