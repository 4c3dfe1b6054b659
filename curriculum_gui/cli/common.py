"""What every command shares: exit codes, the one-line-error parser, and how a failure is printed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_ERROR = 2

Handler = Callable[[argparse.Namespace], int]
AddCommand = Callable[[argparse._SubParsersAction], None]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own convention too)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def fail(message: str) -> int:
    print(f"curriculum-gui: {message}", file=sys.stderr)
    return EXIT_ERROR
