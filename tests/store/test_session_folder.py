"""A session's data folder into the store through the stage's aind ``metrics_provider`` (AIND's depletion
curriculum), then the trainer on the stored metrics; the same import path as files (rows into the store)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from curriculum_gui.cli import main
from curriculum_gui.core import aind_format
from curriculum_gui.core.python_rules import runner_for
from curriculum_gui.store import StoreError, Workspace
from tests.store.conftest import pg_url  # noqa: F401  (the PostgreSQL fixture)
from tests.vr_foraging import PACKAGE, aind_json, write_session


@pytest.fixture
def depletion(ws: Workspace):
    version = ws.publish(aind_format.curriculum_from_data(aind_json("depletion"), "depletion"), operator="t")
    ws.register(["M1"], version.id, operator="t")
    return version


def test_a_session_folder_is_imported_through_the_provider_and_evaluated(
    ws: Workspace, depletion, tmp_path: Path
) -> None:
    runner = runner_for(modules=[PACKAGE])
    folder = write_session(tmp_path / "2026-03-14_M1", sites=250, choices_per_patch=160, site_length=55.0)
    report = ws.import_session_folder("M1", folder, runner, on=date(2026, 3, 14))
    assert (report.imported, report.bad) == (1, ())
    [session] = ws.sessions("M1")
    assert session.session == "2026-03-14_M1" and session.date == date(2026, 3, 14)
    assert session.values["n_choices"] == 160 and session.values["n_patches_visited_per_patch"] == {"0": 1}
    assert "last_delay_duration" in session.values  # nulls and all: as the package's class gave them
    again = ws.import_session_folder("M1", folder, runner, on=date(2026, 3, 14))
    assert (again.imported, again.already_there) == (0, 1)
    with Workspace.open(ws.url.render_as_string(hide_password=False), python_rules=runner) as trusted:
        [suggestion] = trusted.evaluate(["M1"])
    assert suggestion.error is None
    assert suggestion.suggested_stage == "one_odor_w_depletion_day_0"


def test_untrusted_or_without_provider_says_so_in_one_line(ws: Workspace, depletion, tmp_path: Path) -> None:
    folder = write_session(tmp_path / "s1")
    with pytest.raises(StoreError) as info:
        ws.import_session_folder("M1", folder, runner_for())
    assert "\n" not in str(info.value) and f"--trust-module {PACKAGE}" in str(info.value)
    assert ws.sessions("M1") == []


def test_the_command_imports_a_session_folder(db_url: str, tmp_path: Path, capsys) -> None:
    source = tmp_path / "depletion.json"
    source.write_text(json.dumps(aind_json("depletion")))
    assert main(["publish", str(source), "--db", db_url, "--create"]) == 0
    assert main(["subjects", "register", "M1", "--curriculum", "Depletion", "--db", db_url]) == 0
    capsys.readouterr()
    folder = write_session(tmp_path / "session_a", sites=250, choices_per_patch=160, site_length=55.0)
    base = ["metrics", "import", "--data-directory", str(folder), "--subject", "M1", "--db", db_url]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not trusted" in err
    assert main([*base, "--trust-module", PACKAGE, "--session", "S7", "--date", "2026-02-01"]) == 0
    assert "imported 1 session(s)" in capsys.readouterr().out
    with Workspace.open(db_url) as ws:
        assert [(s.session, s.date) for s in ws.sessions("M1")] == [("S7", date(2026, 2, 1))]
    assert main(["evaluate", "--db", db_url, "--trust-module", PACKAGE]) == 0
    assert "one_odor_w_depletion_day_0" in capsys.readouterr().out
    assert main(["metrics", "import", "--subject", "M1", "--db", db_url]) == 2  # neither file nor folder
    assert "metrics file, or --data-directory" in capsys.readouterr().err
