"""The command line: thin over core (and the store). Bad input prints one line and exits non-zero.

Exit codes: 0 success; 1 the input was read but has problems (e.g. validation errors); 2 the input could
not be read or the command could not run (unreadable file, bad arguments, a refused operation).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..core.errors import CurriculumGuiError
from . import (
    curriculum_commands,
    gui_command,
    lifecycle_commands,
    progress_commands,
    rig_commands,
    store_commands,
)
from .common import EXIT_OK, AddCommand, Parser, fail, safe_output
from .gui_command import add_gui_options, run_gui

# Each module contributes its subcommands; add a module here to add commands.
COMMANDS: list[AddCommand] = [
    *curriculum_commands.COMMANDS,
    *store_commands.COMMANDS,
    *lifecycle_commands.COMMANDS,
    *rig_commands.COMMANDS,
    *gui_command.COMMANDS,
    *progress_commands.COMMANDS,
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="curriculum-gui",
        description="Design mouse-training curricula, manage subjects and run the trainer.",
        epilog="Without a command, the application window opens.",
    )
    parser.add_argument("--version", action="version", version=f"curriculum-gui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with safe_output():
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> int:
    parser = build_parser()
    command_names = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    try:
        if not argv or (argv[0] not in command_names and argv[0] not in ("-h", "--help", "--version")):
            gui = Parser(prog="curriculum-gui", description="Open the application window.")
            add_gui_options(gui)
            return run_gui(gui.parse_args(argv))
        args = parser.parse_args(argv)
        return args.handler(args)
    except CurriculumGuiError as exc:
        text = str(exc)
        if getattr(exc, "written", None) is False and "nothing was" not in text.lower():
            text += "; nothing was changed"  # a database fault (DatabaseUnavailable): said once
        return fail(text)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
