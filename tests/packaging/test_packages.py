"""pyproject.toml lists the packages by hand (resources/ is mapped into curriculum_gui): a package folder
left out of that list would be missing from the wheel, so every one must be listed."""

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "curriculum_gui").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"]["curriculum_gui.resources"] == "resources"
    assert (REPO / "resources" / "__init__.py").is_file()
    # resources/ and its data folders: listed too, or setuptools warns on every build that it would
    # ignore them (and a future setuptools would leave them out of the wheel)
    data = {
        ".".join(("curriculum_gui", *folder.relative_to(REPO).parts))
        for folder in (REPO / "resources").rglob("*")
        if folder.is_dir() and "__pycache__" not in folder.parts
    }
    assert listed - found == {"curriculum_gui.resources", *data}
    assert all(name in config["package-data"] for name in data), "give each data folder its package-data"
