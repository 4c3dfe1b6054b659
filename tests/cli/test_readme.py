"""The README tells the truth (issue 15, item 22): its command table lists every command `--help` lists,
the paths its examples use exist, and pyproject.toml's comments point at files that are there."""

from __future__ import annotations

import re
from pathlib import Path

from curriculum_gui.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands(parser) -> dict[str, object]:
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return dict(action.choices)


def _command_table() -> str:
    start = README.index("## Command line")
    return README[start : README.index("\n## ", start + 1)]


def test_the_command_table_lists_every_command_and_subcommand() -> None:
    table = _command_table()
    commands = _commands(build_parser())
    for name, sub in commands.items():
        assert f"`curriculum-gui {name}" in table, f"the README's command table misses {name!r}"
        try:
            actions = _commands(sub)
        except StopIteration:
            continue
        for action in actions:  # e.g. subjects list|register|…, metrics import
            assert re.search(rf"curriculum-gui {name} [^`]*\b{action}\b", table), f"{name} {action}"
    for option in ("--screenshot", "--view", "--size", "--select", "--version"):
        assert option in table


def test_the_examples_name_files_that_are_there() -> None:
    for path in re.findall(r"(resources/[\w./-]+\.\w+)", README):
        if "NAME" not in path:  # a pattern, not a file
            assert (REPO / path).is_file(), path
    assert "my_curriculum.json" not in README


def test_the_readme_says_what_ci_and_aind_export_need() -> None:
    assert "CI_PG_PORT" in README and "PostgreSQL" in README
    assert "--aind" in README and "Python references" in README


def test_pyproject_comments_point_at_files_in_the_project() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for comment in re.findall(r"#.*", text):
        for path in re.findall(r"\b([\w./-]+\.(?:py|md|toml|json))\b", comment):
            assert (REPO / path).is_file(), f"pyproject.toml points at {path}, which is not in the project"
