"""No command: the application window (and its --screenshot mode)."""

from __future__ import annotations

import argparse


def add_gui_options(parser: argparse.ArgumentParser, file: bool = True) -> None:
    if file:
        parser.add_argument("file", nargs="?", help="curriculum file to open")
    parser.add_argument("--screenshot", metavar="PATH", help="render the window offscreen to a PNG and exit")
    parser.add_argument(
        "--view",
        metavar="NAME",
        help="with --screenshot: editor, problems, inspector, history, simulate, policies, subjects, "
        "review, subject, cohort, progress, compare, rig, publish, versions, diff, migrate or replay",
    )
    parser.add_argument(
        "--size", metavar="WxH", help="with --screenshot: the window's size, e.g. 1280x720 (default 1400x860)"
    )
    parser.add_argument(
        "--select",
        metavar="ITEM",
        help="with --screenshot: select an item first: curriculum, STAGE, STAGE/POLICY, "
        "'SOURCE -> DESTINATION' or 'STAGE/SOURCE -> DESTINATION'",
    )
    parser.add_argument(
        "--db", metavar="URL", help="subjects database: a SQLite file or postgresql://… (default: your own)"
    )


def run_gui(args: argparse.Namespace) -> int:
    from ..gui.app import run_app

    return run_app(
        file=getattr(args, "file", None),
        screenshot=args.screenshot,
        view=args.view,
        db=args.db,
        size=args.size,
        aind_module=getattr(args, "aind_module", None),
        python_path=tuple(getattr(args, "python_path", ()) or ()),
        select=args.select,
    )


def _add_open(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "open",
        help="open the application on a curriculum built by an installed aind package (runs its code)",
        description="Import MODULE (naming it trusts it: its code runs) and open the application on its "
        "CURRICULUM, or what its construct_curriculum() returns, as aind itself would export it; its rules "
        "are trusted for that document and its Metrics class fills the declared metrics. A package that "
        "holds several curricula (one per subpackage) is refused with their names.",
    )
    p.add_argument("--aind-module", required=True, metavar="MODULE", help="e.g. my_lab_curricula.shaping")
    p.add_argument("--python-path", action="append", default=[], metavar="DIR", help="also import from DIR")
    add_gui_options(p, file=False)
    p.set_defaults(handler=run_gui)


COMMANDS = [_add_open]
