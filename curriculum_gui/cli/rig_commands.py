"""Commands for the rig and the lab server: watch a metrics folder, the schedule, the run sheet, weights and
rigs. All take ``--db URL``.

``watch`` runs until Ctrl+C or SIGTERM; it finishes the file in hand (import, then move) before it stops,
so no file is left half-imported.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .common import EXIT_OK, AddCommand
from .store_commands import _db, _open


def _date(text: str | None) -> date:
    from ..store import StoreError

    if not text or text == "today":
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StoreError(f"--date {text!r} is not a date (YYYY-MM-DD or 'today')") from None


# --- watch ---------------------------------------------------------------------------------------


def _add_watch(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="import each metrics file dropped into a folder (then moved to imported/ or failed/)",
        description="Poll FOLDER for metrics files (CSV, TSV, JSON, JSONL). A file is imported once it has "
        "not changed for --settle seconds, then moved to FOLDER/imported/ (or FOLDER/failed/ with its "
        "report beside it, NAME.report.txt). One line per file on stdout. With --evaluate, the file's "
        "subjects are evaluated and the suggestions applied as one batch, except promotions of "
        "underweight mice (left for a person to review). Stops cleanly on Ctrl+C or SIGTERM.",
    )
    _db(p, operator=True)
    p.add_argument("folder")
    p.add_argument("--evaluate", action="store_true", help="evaluate and apply after each import")
    p.add_argument("--settle", type=float, default=2.0, metavar="S", help="seconds unchanged (default 2)")
    p.add_argument(
        "--interval", type=float, default=1.0, metavar="S", help="seconds between scans (default 1)"
    )
    p.set_defaults(handler=_cmd_watch)


def _cmd_watch(args: argparse.Namespace) -> int:
    from ..store.folder_watch import FolderWatcher

    stop: list[int] = []

    def request_stop(signum: int, _frame: Any) -> None:
        stop.append(signum)

    with _open(args) as ws:
        watcher = FolderWatcher(ws, args.folder, settle=max(args.settle, 0.0), evaluate=args.evaluate)
        watcher.operator = args.operator
        watcher.check_folder()
        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            _log(f"watching {watcher.folder} ({ws.where}); Ctrl+C to stop")
            while not stop:
                for outcome in watcher.scan(stop=lambda: bool(stop)):
                    _log(outcome.line())
                deadline = time.monotonic() + max(args.interval, 0.05)
                while not stop and time.monotonic() < deadline:
                    time.sleep(0.05)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    _log("stopped")
    return EXIT_OK


def _log(text: str) -> None:
    print(f"{datetime.now():%Y-%m-%d %H:%M:%S} {text}", flush=True)


# --- schedule ------------------------------------------------------------------------------------


def _add_schedule(sub: argparse._SubParsersAction) -> None:
    from .common import Parser

    p = sub.add_parser("schedule", help="which mice run on which rig on which weekdays (CSV import/export)")
    ss = p.add_subparsers(dest="schedule_command", metavar="ACTION", required=True, parser_class=Parser)
    q = ss.add_parser("show", help="the schedule, rig by rig")
    _db(q)
    q.set_defaults(handler=_cmd_schedule_show)
    q = ss.add_parser("export", help="the schedule as CSV (subject,rig,weekdays,slot)")
    _db(q)
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    q.set_defaults(handler=_cmd_schedule_export)
    q = ss.add_parser(
        "import",
        help="replace the whole schedule with a CSV file",
        description="The CSV has the header subject,rig,weekdays[,slot]; weekdays as Mon-Fri, Mon,Wed,Fri, "
        "weekdays, daily or a mask like 1111100 (Monday first). All or nothing: the first problem is "
        "named with its line and nothing is changed.",
    )
    _db(q, operator=True)
    q.add_argument("file")
    q.set_defaults(handler=_cmd_schedule_import)


def _cmd_schedule_show(args: argparse.Namespace) -> int:
    from ..core.schedule import weekdays_text

    with _open(args) as ws:
        entries = ws.schedule()
    if not entries:
        print("no schedule: every mouse runs on the rig it was registered on, every day")
    for e in entries:
        slot = f"#{e.slot} " if e.slot is not None else ""
        print(f"{e.rig}  {slot}{e.subject}  {weekdays_text(e.weekdays)}")
    return EXIT_OK


def _cmd_schedule_export(args: argparse.Namespace) -> int:
    from ..core.schedule import to_csv

    with _open(args) as ws:
        text = to_csv(ws.schedule())
    return _write(args.output, text)


def _cmd_schedule_import(args: argparse.Namespace) -> int:
    from ..core.native_format import read_bytes
    from ..core.schedule import read_csv

    raw = read_bytes(args.file)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from ..core.errors import LoadError

        raise LoadError(args.file, "is not UTF-8 text") from None
    entries = read_csv(text, args.file)
    with _open(args) as ws:
        count = ws.set_schedule(entries, operator=args.operator)
    print(f"{args.file}: schedule replaced ({count} entries)")
    return EXIT_OK


def _write(output: str | None, text: str) -> int:
    if output:
        from ..core.native_format import atomic_write_text

        atomic_write_text(output, text)
        print(f"{output}: written")
    else:
        sys.stdout.write(text)
    return EXIT_OK


# --- run sheet -----------------------------------------------------------------------------------


def _add_runsheet(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "runsheet",
        help="the day's run sheet: per rig, each mouse's stage, policies and next-session parameters",
        description="Write the run sheet for a day as printable HTML (open it in a browser and print) or "
        "CSV, by the output's extension (.html/.htm or .csv) or --format.",
    )
    _db(p)
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day (default: today)")
    p.add_argument("--rig", metavar="NAME", help="only this rig")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--format", choices=["html", "csv"])
    p.set_defaults(handler=_cmd_runsheet)


def _cmd_runsheet(args: argparse.Namespace) -> int:
    from ..core import runsheet

    day = _date(args.date)
    fmt = args.format or ("csv" if Path(args.output).suffix.lower() == ".csv" else "html")
    with _open(args) as ws:
        entries = ws.run_sheet(day, args.rig)
        threshold = ws.weight_threshold()
    text = runsheet.to_csv(day, entries) if fmt == "csv" else runsheet.to_html(day, entries, threshold)
    _write(args.output, text)
    rigs = len({e.rig for e in entries})
    print(f"{runsheet.mice(len(entries))} on {rigs} rig(s) on {day:%a %Y-%m-%d}")
    return EXIT_OK


# --- weights and rigs ----------------------------------------------------------------------------


def _add_weights(sub: argparse._SubParsersAction) -> None:
    from .common import Parser

    p = sub.add_parser("weights", help="body weights, baselines and the lab's weight threshold")
    ws_ = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True, parser_class=Parser)
    q = ws_.add_parser("add", help="record a weighing (grams)")
    _db(q, operator=True)
    q.add_argument("subject")
    q.add_argument("grams")
    q.add_argument("--date", metavar="YYYY-MM-DD", help="default: today")
    q.set_defaults(handler=_cmd_weights_add)
    q = ws_.add_parser("baseline", help="set a subject's baseline weight (a change needs --reason)")
    _db(q, operator=True)
    q.add_argument("subject")
    q.add_argument("grams")
    q.add_argument("--reason")
    q.set_defaults(handler=_cmd_weights_baseline)
    q = ws_.add_parser("list", help="a subject's weighings against its baseline")
    _db(q)
    q.add_argument("subject")
    q.set_defaults(handler=_cmd_weights_list)
    q = ws_.add_parser(
        "threshold", help="show or set the lab's threshold (fraction of baseline, default 0.8)"
    )
    _db(q, operator=True)
    q.add_argument("value", nargs="?", type=float)
    q.set_defaults(handler=_cmd_weights_threshold)


def _cmd_weights_add(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        record = ws.record_weight(
            args.subject, args.grams, _date(args.date), source="cli", operator=args.operator
        )
        status = ws.weight_status([args.subject])[args.subject]
    print(f"{args.subject}: {record.grams:g} g on {record.day}{_fraction(status)}")
    return EXIT_OK


def _fraction(status: Any) -> str:
    if status.fraction is None:
        return " (no baseline yet)"
    flag = ", UNDERWEIGHT" if status.underweight else ""
    return f" ({status.fraction:.0%} of baseline {status.baseline_g:g} g{flag})"


def _cmd_weights_baseline(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        row = ws.set_baseline(args.subject, args.grams, reason=args.reason, operator=args.operator)
    print(f"{row.subject}: baseline {row.baseline_weight_g:g} g")
    return EXIT_OK


def _cmd_weights_list(args: argparse.Namespace) -> int:
    from ..core.weights import weight_fraction

    with _open(args) as ws:
        baseline = ws.subject(args.subject).baseline_weight_g
        records = ws.weights(args.subject)
        threshold = ws.weight_threshold()
    print(f"{args.subject}: baseline {baseline:g} g" if baseline else f"{args.subject}: no baseline")
    for r in records:
        fraction = weight_fraction(r.grams, baseline)
        share = f"  {fraction:.0%}" + ("  UNDERWEIGHT" if fraction < threshold else "") if fraction else ""
        print(f"{r.day}  {r.grams:g} g{share}  ({r.source}, {r.operator})")
    return EXIT_OK


def _cmd_weights_threshold(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        value = (
            ws.weight_threshold()
            if args.value is None
            else ws.set_weight_threshold(args.value, args.operator)
        )
    print(f"weight threshold: {value:g} of baseline")
    return EXIT_OK


def _add_rig(sub: argparse._SubParsersAction) -> None:
    from .common import Parser

    p = sub.add_parser("rig", help="rigs: their folders, and sending a mouse's next session to one")
    rs = p.add_subparsers(dest="rig_command", metavar="ACTION", required=True, parser_class=Parser)
    q = rs.add_parser("list", help="every rig and its folders")
    _db(q)
    q.set_defaults(handler=_cmd_rig_list)
    q = rs.add_parser("set", help="set a rig's export folder (Send to rig) and watched metrics folder")
    _db(q, operator=True)
    q.add_argument("name")
    q.add_argument("--export-folder", metavar="DIR", default="")
    q.add_argument("--watch-folder", metavar="DIR", default="")
    q.set_defaults(handler=_cmd_rig_set)
    q = rs.add_parser("send", help="write a subject's next session into its rig's export folder")
    _db(q, operator=True)
    q.add_argument("subject")
    q.add_argument("--rig", metavar="NAME", help="default: the rig the subject is registered on")
    q.add_argument("--folder", metavar="DIR", help="default: the rig's export folder")
    q.set_defaults(handler=_cmd_rig_send)


def _cmd_rig_list(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        for r in ws.rigs():
            print(f"{r.name}  export: {r.export_folder or '-'}  watch: {r.watch_folder or '-'}")
    return EXIT_OK


def _cmd_rig_set(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        r = ws.set_rig(
            args.name,
            export_folder=args.export_folder,
            watch_folder=args.watch_folder,
            operator=args.operator,
        )
    print(f"{r.name}: export {r.export_folder or '-'}, watch {r.watch_folder or '-'}")
    return EXIT_OK


def _cmd_rig_send(args: argparse.Namespace) -> int:
    from ..store import StoreError

    with _open(args) as ws:
        rig = args.rig or ws.subject(args.subject).rig
        folder = args.folder or (ws.rig(rig).export_folder if rig else None)
        if not folder:
            raise StoreError(
                f"no folder to send {args.subject!r} to: give --folder, or set the rig's export folder"
            )
        result = ws.send_to_rig(args.subject, folder, rig, args.operator)
    for path in result.files:
        print(f"{path}: written")
    if result.aind_problem:
        print(f"no aind TrainerState: {result.aind_problem}")
    return EXIT_OK


COMMANDS: list[AddCommand] = [_add_watch, _add_schedule, _add_runsheet, _add_weights, _add_rig]
