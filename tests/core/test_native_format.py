"""Native file format: round trip, schema, atomic save, and clear errors for every kind of bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from curriculum_gui import resources
from curriculum_gui.core import native_format
from curriculum_gui.core.errors import LoadError, SaveError
from curriculum_gui.core.model import Curriculum


def test_round_trip_is_exact(example: Curriculum, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    native_format.save(example, path)
    again = native_format.load(path)
    assert again == example
    assert native_format.dumps(again) == native_format.dumps(example)


def test_file_is_human_readable_with_format_marker_first(example: Curriculum) -> None:
    text = native_format.dumps(example)
    assert text.splitlines()[1].strip() == '"format": "curriculum-gui",'
    assert '"format_version": 2' in text
    assert text.count("\n") > 100  # indented, one value per line


def test_shipped_schema_matches_model() -> None:
    shipped = json.loads(resources.schema().read_text(encoding="utf-8"))
    assert shipped == native_format.json_schema(), "run scripts/update-schema"


@pytest.mark.parametrize("example_file", resources.examples(), ids=lambda f: f.name)
def test_schema_accepts_every_example(example_file) -> None:
    schema = json.loads(resources.schema().read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(example_file.read_text(encoding="utf-8")), schema)


def test_schema_rejects_a_wrong_document(example_path: Path) -> None:
    schema = json.loads(resources.schema().read_text(encoding="utf-8"))
    data = json.loads(example_path.read_text())
    data["stages"][0]["policies"][0]["updates"] = {"lambda": "x"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_load_error_names_file_and_place(tmp_path: Path, example_path: Path) -> None:
    data = json.loads(example_path.read_text())
    del data["stages"][2]["policies"][1]["name"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    with pytest.raises(LoadError) as info:
        native_format.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "stages[2] 'Two-choice, high contrast'.policies[1]" in message
    assert "name" in message


def test_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": "curriculum-gui",\n  "name": oops\n}')
    with pytest.raises(LoadError, match=r"line 3 column 11"):
        native_format.load(path)


def test_atomic_save_keeps_old_file_when_writing_fails(
    example: Curriculum, tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "c.json"
    native_format.save(example, path)
    original = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    example.name = "Changed"
    with pytest.raises(SaveError, match="previous file is untouched"):
        native_format.save(example, path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"], "temporary file left behind"


def test_save_into_missing_directory_is_a_clear_error(example: Curriculum, tmp_path: Path) -> None:
    with pytest.raises(SaveError, match="cannot write"):
        native_format.save(example, tmp_path / "nope" / "c.json")


def test_nan_and_infinity_are_refused() -> None:
    with pytest.raises(LoadError, match="NaN is not allowed"):
        native_format.loads('{"format": "curriculum-gui", "format_version": 1, "x": NaN}')


def test_a_huge_whole_number_is_refused_with_its_place() -> None:
    text = '{\n  "format": "curriculum-gui",\n  "x": ' + "9" * 5000 + "\n}"
    with pytest.raises(LoadError, match="line 3 column 8: a whole number of 5,000 digits is too large"):
        native_format.loads(text)
    data = native_format.parse_json_bytes(('{"y": ' + "9" * 1000 + "}").encode(), "f.json")
    assert data["y"] == int("9" * 1000)  # long, but not too long


def test_future_format_version_is_named() -> None:
    with pytest.raises(LoadError, match=r"format_version 3 is not supported.*newer curriculum-gui"):
        native_format.loads('{"format": "curriculum-gui", "format_version": 3}')
    for bad in ("0", '"1"', "true", "null"):
        with pytest.raises(LoadError, match=r"format_version .* is not supported"):
            native_format.loads('{"format": "curriculum-gui", "format_version": ' + bad + "}")


def test_an_older_format_opens_and_saves_as_the_current_one(tmp_path) -> None:
    old = tmp_path / "old.json"
    old.write_text(
        '{"format": "curriculum-gui", "format_version": 1, "name": "Old", "stages": '
        '[{"id": "s1", "name": "A"}], "start_stage": "s1"}',
        encoding="utf-8",
    )
    curriculum = native_format.load(old)
    assert curriculum.name == "Old" and curriculum.start_stage == "s1"
    native_format.save(curriculum, old)
    saved = json.loads(old.read_text(encoding="utf-8"))
    assert saved["format_version"] == native_format.FORMAT_VERSION == 2
    assert native_format.load(old) == curriculum
