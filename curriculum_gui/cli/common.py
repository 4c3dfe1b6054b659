"""What every command shares: exit codes, the one-line-error parser, how a failure is printed, and output
that is safe to print (user text reaches a terminal escaped, JSON with its escapes)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from ..core.text import json_safe, terminal_safe

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


def dumps_json(value: Any, **options: Any) -> str:
    """JSON for output: as ``json.dumps`` writes it (text kept readable, control characters escaped as
    JSON does), with the characters it leaves raw that a terminal would act on escaped too."""
    return json_safe(json.dumps(value, ensure_ascii=False, **options))


class TerminalText:
    """A text stream to a terminal: control characters (but newline and tab) in what is written are shown
    escaped (``\\x1b``), so a subject id or a reason cannot retitle or clear the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_safe(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """For one command: nothing unencodable fails a print (a lone surrogate from an undecodable file name
    is written ``\\udcff``), and on a terminal control characters are shown escaped."""
    saved = sys.stdout, sys.stderr
    for stream in saved:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")
    try:
        sys.stdout, sys.stderr = (_for_terminal(s) for s in saved)
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _for_terminal(stream: TextIO) -> TextIO:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    return TerminalText(stream) if tty else stream  # type: ignore[return-value]
