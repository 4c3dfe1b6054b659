"""curriculum-gui: design mouse-training curricula, manage subjects and run the trainer."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("curriculum-gui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
