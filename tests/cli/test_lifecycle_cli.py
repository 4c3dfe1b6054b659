"""The lifecycle by the command line: publish with checks, versions, diff, replay, subjects migrate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_store_cli import EXAMPLE, run
from tests.store.conftest import pg_url  # noqa: F401  (the PostgreSQL fixture)

NAME = "Two-choice visual discrimination"


def _write_edit(path: Path, version: str = "1.1.0", rule: str = "mean(last(accuracy, 3)) >= 0.85") -> Path:
    data = json.loads((EXAMPLE / "two_choice_visual.json").read_text(encoding="utf-8"))
    data["version"] = version
    for t in data["stage_transitions"]:
        if t["id"] == "t1":  # habituation → warm-up needs fewer licks per reward
            t["rule"]["expression"] = "sessions_in_stage >= 2 and licks_per_reward < 4"
        if t["id"] == "t4":
            t["rule"]["expression"] = f"{rule} and bias < 0.2"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def lab(request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A database with version 1.0.0 published and M1, M2 trained for three sessions."""
    db = str(tmp_path / "lab.sqlite3") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    assert run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")[0] == 0
    assert run(capsys, "subjects", "register", "M1", "M2", "--curriculum", NAME, "--db", db)[0] == 0
    metrics = tmp_path / "sessions.csv"
    metrics.write_text(
        "subject,session,date,licks_per_reward,accuracy,trials\n"
        "M1,a,2025-03-03,5,0.5,100\nM1,b,2025-03-04,5,0.6,120\nM1,c,2025-03-05,5,0.6,150\n"
        "M2,a,2025-03-03,3,0.5,100\nM2,b,2025-03-04,3,0.6,120\n",
        encoding="utf-8",
    )
    assert run(capsys, "metrics", "import", str(metrics), "--db", db)[0] == 0
    assert run(capsys, "evaluate", "--apply", "--db", db)[0] == 0
    return db


def test_publish_refuses_a_taken_version_and_suggests_the_next(
    lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit = _write_edit(tmp_path / "edit.json", version="1.0.0")
    code, out, err = run(capsys, "publish", str(edit), "--db", lab)
    assert code == 2 and out == ""
    assert "already published with other content" in err and "(suggested: 1.1.0)" in err
    code, out, _ = run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", lab)
    assert code == 0 and "is already published with this content" in out and "nothing to do" in out
    code, out, _ = run(capsys, "publish", str(edit), "--version", "1.1.0", "--db", lab, "--operator", "ana")
    assert code == 0 and f"published as {NAME} 1.1.0" in out
    assert "a minor change" in out and "rule changed" in out

    broken = json.loads(edit.read_text(encoding="utf-8"))
    broken["version"], broken["start_stage"] = "1.2.0", "nowhere"
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    code, out, err = run(capsys, "publish", str(tmp_path / "broken.json"), "--db", lab)
    assert code == 2 and "start stage 'nowhere' does not exist" in err and "validation errors" in err

    code, out, _ = run(capsys, "versions", "--db", lab)
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["NAME", "VERSION"] and len(lines) == 3
    assert lines[1].split()[-2:] == ["2", "2"] and lines[2].split()[-2:] == ["0", "0"]
    code, out, _ = run(capsys, "versions", "--db", lab, "--json")
    assert [json.loads(line)["version"] for line in out.splitlines()] == ["1.0.0", "1.1.0"]


def test_diff_exit_codes_and_json(lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = str(EXAMPLE / "two_choice_visual.json")
    edit = str(_write_edit(tmp_path / "edit.json"))
    code, out, _ = run(capsys, "diff", original, f"{NAME}@1.0.0", "--db", lab)
    assert code == 0 and "are the same curriculum" in out
    code, out, _ = run(capsys, "diff", f"{NAME}@1.0.0", edit, "--db", lab)
    assert code == 1 and out.splitlines()[0].endswith("a minor change")
    assert "stage transition 'Habituation' → 'Warm-up: one side': rule changed" in out
    code, out, _ = run(capsys, "diff", original, edit, "--json")
    data = json.loads(out)
    assert code == 1 and data["bump"] == "minor" and {c["id"] for c in data["changes"]} == {"t1", "t4"}
    code, _, err = run(capsys, "diff", original, str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json: no such file" in err
    code, _, err = run(capsys, "diff", original, f"{NAME}@9.9.9", "--db", lab)
    assert code == 2 and "version 9.9.9" in err


def test_replay_says_who_would_move_differently(
    lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "replay", str(EXAMPLE / "two_choice_visual.json"), "--db", lab)
    assert code == 0 and out.splitlines()[-1].endswith("2 subject(s) replayed; 0 would move differently")
    edit = str(_write_edit(tmp_path / "edit.json"))
    code, out, _ = run(capsys, "replay", edit, "--db", lab)
    # M1 (5 licks per reward) no longer leaves habituation after its second session; M2 (3) still does
    assert code == 1
    rule = "'Habituation' → 'Warm-up: one side': sessions_in_stage >= 2 and licks_per_reward"
    head = "M1: differs from session b (2025-03-04, #2): really 'Warm-up: one side', under the edit"
    assert f"{head} 'Habituation'" in out
    assert f"really:     {rule} < 8 → true" in out
    assert f"under edit: {rule} < 4 → false" in out
    assert "M2" not in out.split("replayed")[0]
    code, out, _ = run(capsys, "replay", edit, "--db", lab, "--json", "--subjects", "M1")
    data = json.loads(out)
    assert code == 1 and [s["subject"] for s in data["subjects"]] == ["M1"]
    first = data["subjects"][0]["first_difference"]
    assert (first["session"], first["real_stage"], first["what_if_stage"]) == (
        "b",
        "Warm-up: one side",
        "Habituation",
    )
    code, _, err = run(capsys, "replay", edit, "--db", lab, "--subjects", "nobody")
    assert code == 2 and "no subject 'nobody'" in err


def test_migrate_dry_run_apply_and_undo(lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit = _write_edit(tmp_path / "edit.json")
    assert run(capsys, "publish", str(edit), "--db", lab)[0] == 0
    code, out, _ = run(
        capsys,
        "subjects",
        "migrate",
        "--to",
        f"{NAME}@1.1.0",
        "--from",
        f"{NAME}@1.0.0",
        "--dry-run",
        "--db",
        lab,
    )
    assert code == 0 and len(out.splitlines()) == 2
    assert out.startswith(f"M1: {NAME} 1.0.0 → stage 'Warm-up: one side' [Fade auto-reward]; parameters kept")
    code, out, _ = run(capsys, "subjects", "list", "--db", lab, "--json")
    assert {json.loads(line)["version"] for line in out.splitlines()} == {"1.0.0"}

    code, out, _ = run(
        capsys, "subjects", "migrate", "--to", f"{NAME}@1.1.0", "--subjects", "M1", "M2",
        "--reason", "stricter rules", "--db", lab, "--operator", "ana",
    )  # fmt: skip
    assert code == 0 and "moved 2 subject(s) to" in out
    batch = out.split("as batch ")[1].split()[0]
    code, out, _ = run(capsys, "subjects", "history", "M1", "--db", lab)
    assert (
        "ana: moved from Two-choice visual discrimination 1.0.0 to Two-choice visual discrimination 1.1.0"
        in out
    )
    assert "(stricter rules)" in out
    code, out, _ = run(capsys, "subjects", "revert", "--batch", batch, "--db", lab)
    assert code == 0 and "reverted batch" in out
    code, out, _ = run(capsys, "subjects", "list", "--db", lab, "--json")
    assert {json.loads(line)["version"] for line in out.splitlines()} == {"1.0.0"}


def test_migrate_names_what_needs_a_mapping(
    lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads((EXAMPLE / "two_choice_visual.json").read_text(encoding="utf-8"))
    data["version"] = "2.0.0"
    for stage in data["stages"]:
        if stage["id"] == "warmup":
            stage["id"] = "warmup2"
    for t in data["stage_transitions"]:
        t["source"] = "warmup2" if t["source"] == "warmup" else t["source"]
        t["destination"] = "warmup2" if t["destination"] == "warmup" else t["destination"]
    (tmp_path / "v2.json").write_text(json.dumps(data), encoding="utf-8")
    assert run(capsys, "publish", str(tmp_path / "v2.json"), "--db", lab)[0] == 0
    code, out, err = run(
        capsys, "subjects", "migrate", "--to", f"{NAME}@2.0.0", "--subjects", "M1", "M2", "--db", lab
    )
    assert code == 2 and "has no counterpart of stage 'Warm-up: one side' (subjects on it: M1, M2)" in err
    assert "nothing was moved" in err
    code, out, err = run(
        capsys, "subjects", "migrate", "--to", f"{NAME}@2.0.0", "--subjects", "M1", "M2",
        "--map", "Warm-up: one side=warmup2", "--db", lab,
    )  # fmt: skip
    assert code == 0 and "moved 2 subject(s)" in out
    code, _, err = run(
        capsys,
        "subjects",
        "migrate",
        "--to",
        f"{NAME}@2.0.0",
        "--subjects",
        "M1",
        "--map",
        "oops",
        "--db",
        lab,
    )
    assert code == 2 and "write OLD=NEW" in err
