"""Store tests run on a real SQLite file and a real PostgreSQL server (``CURRICULUM_GUI_TEST_PG_URL``).

Each PostgreSQL test gets its own schema (via ``search_path`` in the URL), dropped afterwards. Without the
URL the PostgreSQL variants skip, unless ``CURRICULUM_GUI_REQUIRE_PG`` is set (as in ``.ci/run``), where a
missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from curriculum_gui.core import native_format
from curriculum_gui.core.model import Curriculum
from curriculum_gui.store import CurriculumVersion, Workspace

PG_ENV = "CURRICULUM_GUI_TEST_PG_URL"
REQUIRE_ENV = "CURRICULUM_GUI_REQUIRE_PG"
EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples"


def pg_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{REQUIRE_ENV} is set but {PG_ENV} is not: the PostgreSQL server is missing")
        pytest.skip(
            f"PostgreSQL tests need a server: set {PG_ENV} (e.g. postgresql://user@127.0.0.1:5432/db)"
        )
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to an empty schema of its own on the test server."""
    base = pg_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def ws(db_url: str) -> Iterator[Workspace]:
    with Workspace.open(db_url, create=True) as workspace:
        yield workspace


@pytest.fixture
def curriculum() -> Curriculum:
    return native_format.load(EXAMPLE / "two_choice_visual.json")


@pytest.fixture
def version(ws: Workspace, curriculum: Curriculum) -> CurriculumVersion:
    return ws.publish(curriculum, operator="tester")


def session_csv(path: Path, rows: list[tuple]) -> Path:
    """A metrics CSV: rows of (subject, session, date, accuracy, trials, bias, weight, licks)."""
    lines = ["subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward"]
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
