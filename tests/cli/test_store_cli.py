"""The store's commands end to end, on a real SQLite file and (the main story) the PostgreSQL test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curriculum_gui.cli import main
from tests.store.conftest import pg_url  # noqa: F401  (the PostgreSQL fixture)

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "lab.sqlite3")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path / "lab.sqlite3") if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_a_day_at_the_lab(any_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = any_db
    code, out, _ = run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")
    assert code == 0 and "published as Two-choice visual discrimination 1.0.0" in out
    code, out, _ = run(
        capsys, "subjects", "register", "M1", "M2", "--curriculum", "Two-choice visual discrimination",
        "--sex", "F", "--date-of-birth", "2025-01-01", "--db", db, "--operator", "ana",
    )  # fmt: skip
    assert code == 0 and "registered 2 subject(s)" in out

    metrics = tmp_path / "day1.csv"
    metrics.write_text(
        "subject,session,date,licks_per_reward,accuracy\n"
        "M1,s1,2025-03-03,5,0.5\nM1,s2,2025-03-04,5,0.5\nM2,s1,2025-03-03,lots,0.5\n"
    )
    code, out, err = run(capsys, "metrics", "import", str(metrics), "--db", db)
    assert code == 1 and "imported 2 session(s), 0 already there, 1 problem(s)" in out
    assert "row 4, column 'licks_per_reward': expected a number" in err

    code, out, _ = run(capsys, "evaluate", "--db", db)
    assert code == 0 and "M1: 'Habituation' → 'Warm-up: one side'" in out
    code, out, _ = run(capsys, "evaluate", "--apply", "--db", db, "--operator", "ana")
    assert code == 0 and "applied 1 suggestion(s)" in out

    code, out, _ = run(capsys, "subjects", "list", "--db", db, "--json")
    rows = {r["subject"]: r for r in map(json.loads, out.splitlines())}
    assert rows["M1"]["stage"] == "Warm-up: one side" and rows["M2"]["stage"] == "Habituation"

    code, out, _ = run(
        capsys, "subjects", "override", "M2", "--stage", "Mixed contrast", "--policy", "Reward floor",
        "--parameters", '{"reward_volume_ul": 2.2}', "--reason", "pilot data", "--db", db,
    )  # fmt: skip
    assert code == 0 and "now on 'Mixed contrast' (Reward floor)" in out
    code, out, _ = run(capsys, "subjects", "export", "M2", "--db", db)
    assert json.loads(out)["task_parameters"] == {"reward_volume_ul": 2.2}
    assert run(capsys, "subjects", "eject", "M2", "--reason", "sick", "--db", db)[0] == 0
    assert run(capsys, "subjects", "reenroll", "M2", "--db", db)[0] == 0
    code, out, _ = run(capsys, "subjects", "revert", "M2", "--db", db)
    assert code == 0 and "reverted the last reenroll; now off curriculum" in out
    code, out, _ = run(capsys, "subjects", "history", "M2", "--db", db)
    assert [line.split(": ")[1] for line in out.splitlines()] == [
        "enrolled", "override", "eject", "reenroll", "revert",
    ]  # fmt: skip
    code, out, _ = run(capsys, "subjects", "list", "--db", db)
    assert code == 0 and "off curriculum" in out and out.splitlines()[0].startswith("SUBJECT")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["subjects", "eject", "M1", "--reason", " "], "needs a reason"),
        (["subjects", "history", "M9"], "no subject 'M9'"),
        (["subjects", "register", "M1", "--curriculum", "Nope"], "no published curriculum 'Nope'"),
        (
            ["subjects", "override", "M1", "--stage", "X", "--reason", "r", "--parameters", "{"],
            "not valid JSON",
        ),
        (["metrics", "import", "/nonexistent.csv"], "no such file"),
        (["subjects", "revert"], "give a SUBJECT or --batch ID"),
        (["subjects", "revert", "M1", "--batch", "b"], "give a SUBJECT or --batch ID"),
        (["subjects", "revert", "--batch", "nope"], "no batch 'nope'"),
        (["publish", "/nonexistent.json"], "no such file"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")
    run(capsys, "subjects", "register", "M1", "--curriculum", "Two-choice visual discrimination", "--db", db)
    code, _, err = run(capsys, *argv, "--db", db)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_revert_of_an_applied_batch(any_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = any_db
    run(capsys, "demo", "--db", db)
    code, out, _ = run(capsys, "evaluate", "--apply", "--db", db)
    batch = out.rsplit("as batch ", 1)[1].split(";")[0]
    applied = int(out.rsplit("applied ", 1)[1].split()[0])
    code, out, _ = run(capsys, "subjects", "history", "M05", "--json", "--db", db)
    assert json.loads(out.splitlines()[-1])["batch"] == batch
    code, out, _ = run(capsys, "subjects", "revert", "--batch", batch, "--reason", "wrong file", "--db", db)
    assert code == 0 and f"reverted batch {batch} for {applied} subject(s)" in out
    code, _, err = run(capsys, "subjects", "revert", "--batch", batch, "--db", db)
    assert code == 2 and "already reverted" in err and "nothing was reverted" in err


def test_bad_databases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "subjects", "list", "--db", "postgresql://lab:pw123@127.0.0.1:1/rigs")
    assert code == 2 and "connection refused" in err and "pw123" not in err and err.count("\n") == 1
    text = tmp_path / "notes.txt"
    text.write_text("keep me")
    code, _, err = run(capsys, "subjects", "list", "--db", str(text))
    assert code == 2 and "not a SQLite database" in err and text.read_text() == "keep me"
    code, _, err = run(capsys, "subjects", "list", "--db", "mysql://x/y")
    assert code == 2 and "unsupported database" in err


def test_demo(any_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = any_db
    code, out, _ = run(capsys, "demo", "--db", db)
    assert code == 0 and "demo cohort of 24 subjects" in out
    code, out, _ = run(capsys, "subjects", "list", "--db", db)
    assert len(out.splitlines()) == 25 and "new metrics" in out
    code, _, err = run(capsys, "demo", "--db", db)
    assert code == 2 and "already holds data" in err


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://user:S3cretPW@/path",
        "postgresql://user@host:notaport/db?password=S3cretPW",
        "postgresql://user:p@S3cretPW@127.0.0.1:1/db",
    ],
)
def test_a_bad_database_url_is_one_line_without_its_password(url: str, capsys) -> None:
    assert main(["subjects", "list", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "S3cretPW" not in err and "Traceback" not in err


def test_export_to_a_folder_names_one_file_per_subject(db: str, tmp_path: Path, capsys) -> None:
    run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")
    ids = ["=1+1", "+1+1", "M 1", "M_1"]
    code, _, err = run(
        capsys, "subjects", "register", *ids, "--curriculum", "Two-choice visual discrimination", "--db", db
    )
    assert code == 0, err
    code, out, err = run(capsys, "subjects", "export", *ids, "--folder", str(tmp_path / "out"), "--db", db)
    assert code == 0, err
    files = sorted((tmp_path / "out").glob("*.json"))
    assert sorted(json.loads(f.read_text(encoding="utf-8"))["subject"] for f in files) == sorted(ids)
    assert "3 subject id(s) cannot be file names as they are" in out and "'M 1' → M_1-" in out
    code, _, err = run(
        capsys, "subjects", "export", "M_1", "nobody", "--folder", str(tmp_path / "o2"), "--db", db
    )
    assert code == 2 and "nobody" in err and not (tmp_path / "o2").exists()
    code, _, err = run(capsys, "subjects", "export", "M_1", "=1+1", "--db", db)
    assert code == 2 and "--folder" in err


@pytest.mark.parametrize(
    "parameters",
    [
        '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"reward_volume_ul": NaN}',
        '{"reward_volume_ul": 1e999}',
        '{"label": "\\ud800"}',
        '{"x": ' + "9" * 5_000 + "}",
        '{"x": "' + "t" * 20_000 + '"}',
        "[1, 2]",
    ],
)
def test_override_parameters_that_cannot_be_kept_are_one_line(parameters: str, db: str, capsys) -> None:
    run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")
    run(capsys, "subjects", "register", "M1", "--curriculum", "Two-choice visual discrimination", "--db", db)
    before = json.loads(run(capsys, "subjects", "list", "--json", "--db", db)[1])
    code, out, err = run(
        capsys,
        "subjects",
        "override",
        "M1",
        "--stage",
        "Warm-up: one side",
        "--parameters",
        parameters,
        "--reason",
        "r",
        "--db",
        db,
    )
    assert code == 2 and out == "" and err.startswith("curriculum-gui: --parameters") and err.count("\n") == 1
    assert "Traceback" not in err and len(err) < 300
    assert json.loads(run(capsys, "subjects", "list", "--json", "--db", db)[1]) == before


def test_a_number_list_cell_nested_deep_is_a_bad_row(db: str, tmp_path: Path, capsys) -> None:
    run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")
    run(capsys, "subjects", "register", "M1", "--curriculum", "Two-choice visual discrimination", "--db", db)
    deep = "[" * 50_000 + "]" * 50_000
    path = tmp_path / "m.csv"
    path.write_text(
        f'subject,session,date,accuracy\nM1,s1,2026-01-01,"{deep}"\nM1,s2,2026-01-02,{"9" * 2_000}\n'
        "M1,s3,2026-01-03,0.8\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "metrics", "import", str(path), "--db", db)
    assert code == 1 and "Traceback" not in err
    assert "row 2, column 'accuracy'" in err and "nested more than 64 levels" in err
    assert "row 3, column 'accuracy'" in err and "imported 1 session(s)" in out
