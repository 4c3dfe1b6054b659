"""What a curriculum may hold (core/limits.py): the readers refuse more in one line, before building it;
the writers refuse the same with the same words; validate reports it for a curriculum built in memory."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from curriculum_gui.core import aind_format, limits, native_format
from curriculum_gui.core.errors import LoadError, SaveError
from curriculum_gui.core.files import open_curriculum
from curriculum_gui.core.model import Curriculum, Metric, Stage
from curriculum_gui.core.problems import Severity
from curriculum_gui.core.validation import validate

DATA = Path(__file__).resolve().parents[1] / "data"


def example_data(example_path: Path) -> dict[str, Any]:
    return json.loads(example_path.read_text(encoding="utf-8"))


def over(data: dict[str, Any], case: str) -> str:
    """Change ``data`` to pass one limit; return the words the refusal must hold."""
    stage = data["stages"][1]
    if case == "stages":
        data["stages"] += [{"id": f"x{i}", "name": f"X{i}"} for i in range(limits.MAX_STAGES)]
        return f"{len(data['stages']):,} stages is more than curriculum-gui accepts (at most 1,000)"
    if case == "policies":
        stage["policies"] += [{"id": f"p{i}", "name": f"P{i}"} for i in range(limits.MAX_POLICIES)]
        return "policies (in all stages) is more than curriculum-gui accepts (at most 2,000)"
    if case == "transitions":
        edge = {"source": "warmup", "destination": "two_choice"}
        data["stage_transitions"] += [{"id": f"e{i}", **edge} for i in range(limits.MAX_TRANSITIONS)]
        return "transitions (stage and policy) is more than curriculum-gui accepts (at most 4,000)"
    if case == "metrics":
        data["metrics"] += [{"name": f"m{i}"} for i in range(limits.MAX_METRICS)]
        return "metrics is more than curriculum-gui accepts (at most 1,000)"
    if case == "rule":
        data["stage_transitions"][0]["rule"] = {"expression": "x" * (limits.MAX_RULE_CHARS + 1)}
        return "stage_transitions[0].rule.expression: 10,001 characters is more than curriculum-gui accepts"
    if case == "all rules":
        for t in data["stage_transitions"]:
            t["rule"] = {"expression": "sessions_total > 1 " + " " * 9_900}
        for i in range(60):
            data["stage_transitions"].append({**copy.deepcopy(data["stage_transitions"][0]), "id": f"r{i}"})
        return (
            "characters of rules (all rules together) is more than curriculum-gui accepts (at most 500,000)"
        )
    if case == "description":
        stage["description"] = "d" * (limits.MAX_DESCRIPTION_CHARS + 1)
        return (
            "stages[1] 'Warm-up: one side'.description: 20,001 characters is more than curriculum-gui accepts"
        )
    if case == "parameter values":
        stage["task"]["parameters"]["table"] = list(range(limits.MAX_TASK_VALUES))
        return f"stages[1] 'Warm-up: one side'.task.parameters: {limits.MAX_TASK_VALUES // 1000},0"
    if case == "parameter text":
        stage["task"]["parameters"]["note"] = "n" * (limits.MAX_TEXT_VALUE_CHARS + 1)
        return "task.parameters.note: 10,001 characters is more than curriculum-gui accepts (at most 10,000)"
    if case == "parameter depth":
        deep: Any = 1
        for _ in range(limits.MAX_PARAMETER_DEPTH + 1):
            deep = {"g": deep}
        stage["task"]["parameters"]["nested"] = deep
        return "parameters nested more than 32 levels deep"
    raise AssertionError(case)


CASES = [
    "stages",
    "policies",
    "transitions",
    "metrics",
    "rule",
    "all rules",
    "description",
    "parameter values",
    "parameter text",
    "parameter depth",
]


@pytest.mark.parametrize("case", CASES)
def test_the_reader_refuses_each_limit_in_one_line(case: str, example_path: Path, tmp_path: Path) -> None:
    data = example_data(example_path)
    words = over(data, case)
    path = tmp_path / "over.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        open_curriculum(path)
    message = str(caught.value)
    assert words in message and "\n" not in message and message.startswith(str(path))


@pytest.mark.parametrize("case", CASES)
def test_the_writer_refuses_what_the_reader_would(case: str, example_path: Path, tmp_path: Path) -> None:
    """Built in memory (as the editor could), over a limit: refused before writing, with the same words."""
    data = example_data(example_path)
    words = over(data, case)
    with pytest.raises(LoadError):
        native_format.document_from_data(copy.deepcopy(data), "x")
    # The model itself takes it (an editor could build it); only the limits say no.
    curriculum = Curriculum.model_validate(
        {k: v for k, v in data.items() if k not in ("format", "format_version")}
    )
    target = tmp_path / "c.json"
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(SaveError) as caught:
        native_format.save(curriculum, target)
    assert words in str(caught.value) and "nothing was written" in str(caught.value)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]
    problems = [p for p in validate(curriculum) if p.severity is Severity.ERROR]
    assert any(words.split(": ")[-1] in str(p) for p in problems)


def test_aind_files_have_the_same_limits(tmp_path: Path) -> None:
    data = json.loads((DATA / "aind" / "example_project_curriculum.json").read_text(encoding="utf-8"))
    nodes = data["graph"]["nodes"]
    first = next(iter(nodes.values()))
    for i in range(limits.MAX_STAGES):
        nodes[str(100 + i)] = {**first, "graph": {"nodes": {}, "graph": {}}, "start_policies": []}
    path = tmp_path / "aind.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LoadError, match=r"graph\.nodes: 1,00\d stages is more than curriculum-gui accepts"):
        open_curriculum(path)
    data = json.loads((DATA / "aind" / "example_project_curriculum.json").read_text(encoding="utf-8"))
    big = list(range(limits.MAX_TASK_VALUES + 1))
    next(iter(data["graph"]["nodes"].values()))["task"]["task_parameters"]["big"] = big
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LoadError, match="parameter values in one task is more than"):
        open_curriculum(path)
    curriculum = aind_format.load(DATA / "aind" / "example_project_curriculum.json")
    curriculum.stages[0].task.description = "d" * 30_000
    with pytest.raises(SaveError, match="description: 30,000 characters"):
        aind_format.save(curriculum, tmp_path / "out.json")
    assert not (tmp_path / "out.json").exists()


def test_counts_are_refused_before_anything_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """A million stages: refused after counting (the model would take gigabytes to build them)."""
    built = []
    monkeypatch.setattr(Stage, "model_post_init", lambda self, _ctx: built.append(self))
    data = {"format": "curriculum-gui", "format_version": 2, "stages": [{"id": "s", "name": "S"}] * 1_000_000}
    with pytest.raises(LoadError, match="1,000,000 stages"):
        native_format.document_from_data(data, "big.json")
    assert built == []


def test_too_many_lists_and_objects_are_refused_before_parsing() -> None:
    raw = b'{"format": "curriculum-gui", "x": [' + b"[]," * 600_000 + b"[]]}"
    with pytest.raises(LoadError, match="holds 600,003 lists and objects; at most 500,000 are read"):
        native_format.loads(raw.decode())
    brackets_in_text = json.dumps(
        {"format": "curriculum-gui", "format_version": 2, "description": "[" * 19_000}
    )
    assert native_format.loads(brackets_in_text).description == "[" * 19_000  # only real lists count


def test_deep_nesting_is_still_refused_with_its_line() -> None:
    text = '{"format": "curriculum-gui",\n "x": ' + "[" * 70 + "]" * 70 + "}"
    with pytest.raises(LoadError, match="line 2: is nested more than 64 levels deep"):
        native_format.parse_json_bytes(text.encode(), "f.json")
    fine = '{"x": ' + "[" * 63 + "]" * 63 + ', "s": "' + "[" * 500 + '"}'
    assert native_format.parse_json_bytes(fine.encode(), "f.json")["s"] == "[" * 500


@pytest.mark.parametrize("number", ["1e999", "-2E+400", "9" * 1001, "1" + "0" * 400 + ".5"])
def test_huge_numbers_are_still_refused(number: str) -> None:
    with pytest.raises(LoadError, match="too large"):
        native_format.parse_json_bytes(f'{{"a": [1, {number}]}}'.encode(), "f.json")


def test_a_limit_reached_in_the_editor_is_a_problem_not_a_crash() -> None:
    curriculum = Curriculum(metrics=[Metric(name=f"m{i}") for i in range(limits.MAX_METRICS + 1)])
    problems = validate(curriculum)
    assert any(p.severity is Severity.ERROR and "1,001 metrics" in str(p) for p in problems)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "curriculum.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, open_curriculum, fifo), daemon=True)
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # unblock the reader, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a named pipe blocked")
    assert isinstance(outcome[0], LoadError) and "is not a regular file (it is a named pipe)" in str(
        outcome[0]
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "{fifo}"],
        ["convert", "{fifo}", "-o", "{out}", "--to", "native"],
        ["simulate", "{example}", "--metrics", "{fifo}"],
        ["metrics", "import", "{fifo}", "--db", "{db}"],
        ["suggest", "--input-trainer-state", "{fifo}", "--metrics", "{fifo}"],
    ],
)
def test_no_command_blocks_on_a_named_pipe(argv: list[str], tmp_path: Path, example_path: Path) -> None:
    fifo = tmp_path / "input.json"
    os.mkfifo(fifo)
    names = {"fifo": fifo, "out": tmp_path / "o.json", "example": example_path, "db": tmp_path / "d.sqlite3"}
    args = [a.format(**names) for a in argv]
    if "--db" in argv:  # an existing database (only an explicit create makes one)
        from curriculum_gui.store import Workspace

        with Workspace.open(names["db"], create=True):
            pass
    done = subprocess.run(
        [sys.executable, "-m", "curriculum_gui.cli", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def _catch(outcome: list[BaseException], fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except BaseException as exc:
        outcome.append(exc)
