"""``subjects list --attention`` (exit codes for a cron job), ``stats`` and ``report`` end to end."""

from __future__ import annotations

import json
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from curriculum_gui.store import Workspace
from curriculum_gui.store.demo import create_demo
from tests.cli.test_store_cli import EXAMPLE, run
from tests.store.conftest import pg_url  # noqa: F401  (the PostgreSQL fixture)

TODAY = "2026-11-20"
NAME = "Two-choice visual discrimination"
V1, V2 = f"{NAME}@1.0.0", f"{NAME}@2.0.0"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with Workspace.open(path, create=True) as ws:
        create_demo(ws, today=date.fromisoformat(TODAY))
    return str(path)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path / "lab.sqlite3") if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_attention_exit_codes_for_a_cron_job(any_db: str, tmp_path: Path, capsys) -> None:
    db = any_db
    run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")
    run(capsys, "subjects", "register", "M1", "--curriculum", NAME, "--db", db)
    metrics = tmp_path / "m.csv"
    metrics.write_text("subject,session,date,weight_fraction,accuracy\nM1,s1,2025-03-03,0.95,0.5\n")
    run(capsys, "metrics", "import", str(metrics), "--db", db)
    code, out, _ = run(capsys, "subjects", "list", "--attention", "--today", "2025-03-04", "--db", db)
    assert (code, out) == (0, "no subject needs attention\n")
    metrics.write_text("subject,session,date,weight_fraction,accuracy\nM1,s2,2025-03-04,0.75,0.5\n")
    run(capsys, "metrics", "import", str(metrics), "--db", db)
    code, out, _ = run(capsys, "subjects", "list", "--attention", "--today", "2025-03-04", "--db", db)
    assert code == 1
    assert out.splitlines() == [
        "M1\tHabituation\tcritical: Losing weight: weight_fraction < 0.8 (weight_fraction = 0.75)",
        "1 subject(s) need attention",
    ]
    # A week later it has not trained either: two reasons, and --severity keeps the critical one.
    code, out, _ = run(capsys, "subjects", "list", "--attention", "--today", "2025-03-11", "--db", db)
    assert code == 1 and "No session for days" in out
    code, out, _ = run(
        capsys,
        "subjects",
        "list",
        "--attention",
        "--severity",
        "critical",
        "--today",
        "2025-03-11",
        "--db",
        db,
    )
    assert code == 1 and "No session for days" not in out and "Losing weight" in out
    code, _, err = run(capsys, "subjects", "list", "--attention", "--today", "monday", "--db", db)
    assert code == 2 and "--today 'monday' is not a date" in err


def test_attention_of_the_demo(demo_db: str, capsys) -> None:
    code, out, _ = run(capsys, "subjects", "list", "--attention", "--json", "--today", TODAY, "--db", demo_db)
    assert code == 1
    found = {line["subject"]: line for line in map(json.loads, out.splitlines())}
    assert {"M13", "M14", "M15", "M16"} <= set(found)
    assert [a["kind"] for a in found["M13"]["attention"]] == ["over_budget", "slow_in_stage"]
    assert list(found)[:2] == ["M13", "M14"]  # the critical ones first


def test_evaluate_says_who_needs_attention(demo_db: str, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(Path(demo_db).read_bytes())
    code, out, _ = run(capsys, "evaluate", "--db", str(copy))
    assert code == 0
    assert "  needs attention: critical: Losing weight: weight_fraction < 0.8 (weight_fraction = 0.76)" in out
    code, out, _ = run(capsys, "evaluate", "--json", "--db", str(copy))
    m14 = next(s for s in map(json.loads, out.splitlines()) if s["subject"] == "M14")
    assert m14["attention"][0]["name"] == "Losing weight"


def test_stats_and_compare(demo_db: str, capsys) -> None:
    code, out, _ = run(capsys, "stats", "--today", TODAY, "--db", demo_db)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"{NAME} (all versions): 24 enrolled, ")
    assert lines[2].split()[:3] == ["STAGE", "ENTERED", "FORWARD"]
    assert any(line.startswith("Habituation ") and " 24 " in line for line in lines)
    code, out, _ = run(capsys, "stats", "--curriculum", V2, "--json", "--today", TODAY, "--db", demo_db)
    data = json.loads(out)["statistics"]
    assert code == 0 and data["enrolled"] == 12 and data["label"] == f"{NAME} 2.0.0"
    habituation = data["stages"][0]
    assert habituation["entered"] == habituation["left_forward"] + habituation["still_in"]
    code, out, _ = run(capsys, "stats", "--compare", V1, V2, "--today", TODAY, "--db", demo_db)
    assert code == 0 and "1.0.0 vs 2.0.0: sessions to meet each stage's criterion" in out
    comparison = out.split("1.0.0 vs 2.0.0")[1]
    two_choice = next(
        line for line in comparison.splitlines() if line.startswith("Two-choice, high contrast")
    )
    assert "2.0.0 is faster" in two_choice
    code, out, _ = run(capsys, "stats", "--compare", V1, V2, "--json", "--today", TODAY, "--db", demo_db)
    comparison = json.loads(out)["comparison"]
    assert comparison["subjects"] == [12, 12] and comparison["stages"][-1]["stage_id"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--curriculum", "Nope"], "no published curriculum 'Nope'"),
        (["--curriculum", f"{NAME}@9.0.0"], "no version 9.0.0"),
        (["--compare", V1, "1.0.0"], "expected NAME@VERSION"),
    ],
)
def test_stats_refuses_bad_input_with_one_line(demo_db: str, capsys, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, "stats", *argv, "--db", demo_db)
    assert code == 2 and out == "" and message in err and len(err.splitlines()) == 1


class _Page(HTMLParser):
    """What a test reads of the report: sections, rows by class, external references, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.rows: dict[str, list[list[str]]] = {}
        self.external: list[str] = []
        self.scripts = 0
        self.svgs = 0
        self._row: list[str] | None = None
        self._class = ""
        self._cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id") or "")
        if tag == "tr":
            self._class, self._row = a.get("class") or "", []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("")
            self._cell = True
        if tag == "script":
            self.scripts += 1
        if tag == "svg":
            self.svgs += 1
        for name in ("src", "href"):
            if a.get(name):
                self.external.append(a[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.setdefault(self._class, []).append(self._row)
            self._row = None
        if tag in ("td", "th"):
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._cell and self._row:
            self._row[-1] += data


def test_report_is_one_self_contained_html_file(demo_db: str, tmp_path: Path, capsys) -> None:
    out_file = tmp_path / "report.html"
    argv = ["report", "-o", str(out_file), "--compare", V1, V2, "--today", TODAY, "--db", demo_db]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and out == f"{out_file}: written\n"
    page = _Page()
    page.feed(out_file.read_text(encoding="utf-8"))
    assert page.sections[:4] == ["attention", "subjects", "cohort", "statistics"]
    assert page.sections[-1] == "comparison"
    assert page.external == [] and page.scripts == 0 and page.svgs >= 4
    alerts = page.rows["alert"]
    assert alerts[0][0] == "M13" and alerts[0][2] == "critical"  # the attention list first, most urgent first
    assert {row[0] for row in alerts if row[0]} >= {"M13", "M14", "M15", "M16"}
    subjects = {row[0]: row for row in page.rows["subject"]}
    assert len(subjects) == 24 and subjects["M07"][2].startswith("off")
    stages = {row[0]: row for row in page.rows["stage"]}
    assert stages["Habituation"][1] == "24"
    compared = {row[0]: row for row in page.rows["compared"]}
    assert compared["Two-choice, high contrast"][4].startswith("2.0.0 is faster")
