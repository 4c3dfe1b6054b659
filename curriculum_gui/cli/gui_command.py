"""No command: the application window (and its --screenshot mode)."""

from __future__ import annotations

import argparse


def add_gui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", help="curriculum file to open")
    parser.add_argument("--screenshot", metavar="PATH", help="render the window offscreen to a PNG and exit")
    parser.add_argument(
        "--view",
        metavar="NAME",
        help="with --screenshot: editor, problems, inspector, history, simulate, policies, "
        "subjects, review, subject, cohort or rig",
    )
    parser.add_argument(
        "--db", metavar="URL", help="subjects database: a SQLite file or postgresql://… (default: your own)"
    )


def run_gui(args: argparse.Namespace) -> int:
    from ..gui.app import run_app

    return run_app(file=args.file, screenshot=args.screenshot, view=args.view, db=args.db)
