"""Bundled data, via importlib.resources (works from a wheel): example curricula with a metrics file each,
the JSON Schema, the application icon and the desktop integration files (freedesktop .desktop and
AppStream metainfo)."""

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


def example_metrics(example_name: str = "two_choice_visual.json") -> Traversable:
    """The sessions file that goes with an example (``NAME.metrics.csv``): import it after registering
    mice on the example."""
    stem = example_name.removesuffix(".json")
    return files(__name__).joinpath("examples", f"{stem}.metrics.csv")


def app_icon() -> Traversable:
    return files(__name__).joinpath("icons", "curriculum-gui.svg")


APP_ID = "org.curriculumgui.CurriculumGui"


def desktop_file() -> Traversable:
    return files(__name__).joinpath("desktop", f"{APP_ID}.desktop")


def metainfo_file() -> Traversable:
    return files(__name__).joinpath("desktop", f"{APP_ID}.metainfo.xml")
