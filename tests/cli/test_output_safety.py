"""User text never reaches a terminal raw (escape sequences are shown escaped) and nothing unencodable
reaches a write or a print: ids with control characters or lone surrogates are refused, with one line."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from curriculum_gui.cli import main
from curriculum_gui.core import native_format
from curriculum_gui.core.text import json_safe, terminal_safe, text_problem
from curriculum_gui.store import StoreError, Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "two_choice_visual.json"
RETITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"


class Terminal(io.StringIO):
    """What a terminal would receive (stdout or stderr of a command run in one)."""

    def isatty(self) -> bool:
        return True


def run_in_terminal(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str, str]:
    out, err = Terminal(), Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def hostile_db(tmp_path: Path) -> str:
    """A database whose stage name, reason, operator and (written before ids were checked) subject id hold
    terminal escape sequences."""
    data = native_format.to_data(native_format.load(EXAMPLE))
    data["stages"][0]["name"] = f"Habituation{CLEAR}"
    curriculum = native_format.document_from_data(data, "hostile")
    path = tmp_path / "lab.sqlite3"
    with Workspace.open(path, create=True) as ws:
        version = ws.publish(curriculum, operator=f"ana{RETITLE}")
        ws.register(["M1"], version.id, operator=f"ana{RETITLE}")
        with ws.write() as conn:  # an id from an older version, which did not check
            conn.execute(sa.text("UPDATE subjects SET subject_id = :s"), {"s": f"M1{RETITLE}"})
        ws.eject(f"M1{RETITLE}", reason=f"weight{CLEAR} low", operator=f"ana{RETITLE}")
    return str(path)


@pytest.mark.parametrize(
    "argv",
    [
        ["subjects", "list"],
        ["subjects", "history", f"M1{RETITLE}"],
        ["subjects", "reenroll", f"M1{RETITLE}"],
        ["subjects", "history", f"M1{RETITLE}", "--json"],
        ["subjects", "list", "--json"],
    ],
)
def test_escape_sequences_reach_a_terminal_escaped(
    hostile_db: str, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    code, out, err = run_in_terminal(monkeypatch, *argv, "--db", hostile_db)
    assert code == 0, err
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b" in out or "\\u001b" in out  # shown, not swallowed
    if "--json" in argv:
        for line in out.splitlines():
            json.loads(line)  # still JSON, every line


def test_json_to_a_pipe_keeps_the_text_as_json_escapes_it(hostile_db: str, capsys) -> None:
    assert main(["subjects", "list", "--json", "--db", hostile_db]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and json.loads(out)["subject"] == f"M1{RETITLE}"


def test_plain_output_to_a_pipe_is_left_as_it_is(hostile_db: str, capsys) -> None:
    assert main(["subjects", "list", "--db", hostile_db]) == 0
    assert f"M1{RETITLE}" in capsys.readouterr().out  # a script reading the output gets the id itself


def test_an_error_naming_a_hostile_id_is_escaped_too(
    hostile_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run_in_terminal(
        monkeypatch, "subjects", "eject", f"X{CLEAR}", "--reason", "r", "--db", hostile_db
    )
    assert code == 2 and "\x1b" not in err and err.count("\n") == 1


def test_ids_with_control_characters_or_surrogates_are_refused(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "lab.sqlite3")
    assert main(["publish", str(EXAMPLE), "--db", db, "--create"]) == 0
    capsys.readouterr()
    curriculum = "Two-choice visual discrimination"
    for bad in (f"M{RETITLE}", "M\x00", "M\ud800", "M\udcff"):  # the last: an undecodable byte in argv
        code = main(["subjects", "register", bad, "--curriculum", curriculum, "--db", db])
        _, err = capsys.readouterr()
        assert code == 2 and "nothing was registered" in err and "Traceback" not in err
    with Workspace.open(db) as ws:
        assert ws.subjects() == []
        with pytest.raises(StoreError, match="surrogate"):
            ws.register(["M2"], ws.versions()[0].id, operator="ana\ud800")
        with pytest.raises(StoreError, match="reason"):
            ws.register(["M3"], ws.versions()[0].id)
            ws.eject("M3", reason="bad\x00reason")
        assert [r.subject for r in ws.subjects()] == ["M3"]


def test_lookups_with_unencodable_text_are_one_line(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "lab.sqlite3")
    assert main(["demo", "--db", db]) == 0
    capsys.readouterr()
    code = main(["subjects", "history", "M\udcff", "--db", db])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1


def test_a_curriculum_with_a_lone_surrogate_is_refused_where_it_is(tmp_path: Path, capsys) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('"Habituation"', '"Habituation\\ud800"', 1)
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "stages[0].name" in err and "surrogate" in err


def test_the_helpers() -> None:
    assert terminal_safe(f"a{RETITLE}b\tc\nd\u202e") == "a\\x1b]0;pwned\\x07b\tc\nd\\u202e"
    assert json_safe(json.dumps("a\x9bb\u202e", ensure_ascii=False)) == '"a\\u009bb\\u202e"'
    assert json.loads(json_safe(json.dumps("a\x9bb", ensure_ascii=False))) == "a\x9bb"
    assert text_problem("ok\ttext") is None and text_problem("id\tx", identifier=True) is not None
