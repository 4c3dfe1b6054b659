"""Bundled data: example curricula and the JSON Schema, via importlib.resources (works from a wheel)."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def examples() -> list[Traversable]:
    return sorted(
        (f for f in files(__name__).joinpath("examples").iterdir() if f.name.endswith(".json")),
        key=lambda f: f.name,
    )


def example(name: str = "two_choice_visual.json") -> Traversable:
    return files(__name__).joinpath("examples", name)


def schema() -> Traversable:
    return files(__name__).joinpath("schema", "curriculum.schema.json")
