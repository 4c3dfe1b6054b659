"""Commands on the subject store: subjects, metrics import, evaluate, publish, demo. All take ``--db URL``.

Exit codes as everywhere: 0 done; 1 done but with problems (bad metrics rows, suggestions that could not
be evaluated); 2 nothing done (bad input, unknown subject, a conflict with another rig, no database).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import EXIT_OK, EXIT_PROBLEMS, AddCommand, Parser, dumps_json, fail

DB_HELP = (
    "database: a SQLite file path, sqlite:///PATH or postgresql://user@host/db "
    "(default: $CURRICULUM_GUI_DB, else a file in your user data folder)"
)


def _db(p: argparse.ArgumentParser, operator: bool = False, create: bool = False) -> None:
    p.add_argument("--db", metavar="URL", help=DB_HELP)
    if create:
        p.add_argument(
            "--create",
            action="store_true",
            help="make a new database at --db if there is none (without it, a missing file is an error)",
        )
    if operator:
        p.add_argument("--operator", help="who does this, for the history (default: your user name)")


def _open(args: argparse.Namespace, python_rules: Any = None, create: bool = False):
    """The database of ``--db``. A new one is made only when asked (``create``, ``--create``) or for the
    default database (no ``--db``: ``$CURRICULUM_GUI_DB`` or the app's own file, made on first use); a
    missing file is otherwise an error naming it, so a mistyped path never looks like an empty lab."""
    from ..store import DatabaseMissing, Workspace

    create = create or getattr(args, "create", False) or args.db is None
    try:
        ws = Workspace.open(args.db, python_rules=python_rules, create=create)
    except DatabaseMissing as exc:
        raise DatabaseMissing(
            f"{exc} (check the path; to make a new database there: 'curriculum-gui demo --db PATH' for a "
            "demo cohort, or 'curriculum-gui publish FILE --db PATH --create')"
        ) from None
    if ws.upgrade is not None:
        print(f"curriculum-gui: {ws.upgrade.describe(ws.where)}", file=sys.stderr)
    return ws


def _print_json(value: Any) -> None:
    print(dumps_json(value, indent=2, default=str))


# --- subjects -----------------------------------------------------------------------------------


def _add_subjects(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("subjects", help="register, list and move subjects; their history and next session")
    ss = p.add_subparsers(dest="subjects_command", metavar="ACTION", required=True, parser_class=Parser)

    q = ss.add_parser("list", help="the subjects table (--attention: those that need attention, and why)")
    _db(q)
    q.add_argument("--json", action="store_true", help="one JSON object per subject")
    from .progress_commands import add_attention_options

    add_attention_options(q)
    q.set_defaults(handler=_cmd_list)

    q = ss.add_parser("register", help="register and enroll new subjects on a published curriculum")
    _db(q, operator=True)
    q.add_argument("subjects", nargs="+", metavar="SUBJECT", help="the lab's subject ids")
    q.add_argument("--curriculum", required=True, metavar="NAME", help="published curriculum name")
    q.add_argument("--version", help="its version (default: the latest published)")
    q.add_argument("--start-stage", metavar="STAGE", help="enroll on this stage (name or id)")
    q.add_argument("--sex")
    q.add_argument("--date-of-birth", metavar="YYYY-MM-DD")
    q.add_argument("--genotype")
    q.add_argument("--rig")
    q.add_argument("--notes")
    q.add_argument("--baseline-weight", metavar="GRAMS", help="baseline body weight (for weight_fraction)")
    q.set_defaults(handler=_cmd_register)

    q = ss.add_parser("override", help="put a subject on a stage (and policies, parameters) by hand")
    _db(q, operator=True)
    q.add_argument("subject")
    q.add_argument("--stage", required=True, help="stage name or id")
    q.add_argument("--policy", action="append", metavar="POLICY", help="active policy (repeatable)")
    q.add_argument("--parameters", metavar="JSON", help="task parameters as a JSON object")
    q.add_argument("--reason", required=True, help="why (kept in the history)")
    q.set_defaults(handler=_cmd_override)

    q = ss.add_parser("eject", help="take a subject off its curriculum")
    _db(q, operator=True)
    q.add_argument("subject")
    q.add_argument("--reason", required=True, help="why (kept in the history)")
    q.set_defaults(handler=_cmd_eject)

    q = ss.add_parser("reenroll", help="enroll a subject again (e.g. after an eject)")
    _db(q, operator=True)
    q.add_argument("subject")
    q.add_argument("--curriculum", metavar="NAME", help="another published curriculum (default: its own)")
    q.add_argument("--version", help="with --curriculum: its version (default: the latest)")
    q.add_argument("--start-stage", metavar="STAGE")
    q.add_argument("--reason")
    q.set_defaults(handler=_cmd_reenroll)

    q = ss.add_parser(
        "revert",
        help="undo a subject's last change, or a whole batch (the undo is kept in the history)",
        description="Undo SUBJECT's last change not yet undone; or, with --batch, every subject of a batch "
        "in one transaction: an applied batch (its id is printed by 'evaluate --apply') or a change of "
        "many subjects made in the app; 'subjects history --json' shows each event's batch. If any "
        "subject of the batch changed since, nothing is reverted (exit 2).",
    )
    _db(q, operator=True)
    q.add_argument("subject", nargs="?", help="the subject (or give --batch)")
    q.add_argument("--batch", metavar="ID", help="undo this batch, for all its subjects")
    q.add_argument("--reason")
    q.set_defaults(handler=_cmd_revert)

    q = ss.add_parser("history", help="a subject's events, oldest first")
    _db(q)
    q.add_argument("subject")
    q.add_argument("--json", action="store_true", help="the events as JSON, with their data")
    q.set_defaults(handler=_cmd_history)

    q = ss.add_parser(
        "export",
        help="next-session parameters as JSON (one subject, or many into a folder)",
        description="One subject: its next-session JSON (or, with --aind, its aind TrainerState) on stdout "
        "or in -o FILE. With --folder: <name>.json for every SUBJECT (and <name>.trainer_state.json with "
        "--aind), as the app's Export does; an id that is not a safe file name as it is (or that only "
        "differs from another in case) gets a cleaned name with a short hash of the id, and is listed.",
    )
    _db(q)
    q.add_argument("subject", nargs="+")
    q.add_argument(
        "--aind",
        action="store_true",
        help="as an aind TrainerState (only for curricula whose rules are Python references)",
    )
    out = q.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    out.add_argument("--folder", metavar="DIR", help="write one file per subject into DIR")
    q.set_defaults(handler=_cmd_export)

    from .lifecycle_commands import add_migrate

    add_migrate(ss)


def _cmd_list(args: argparse.Namespace) -> int:
    if args.attention:
        from .progress_commands import list_attention

        return list_attention(args)
    with _open(args) as ws:
        rows = ws.subjects()
    if args.json:
        for r in rows:
            print(
                dumps_json(
                    {
                        "subject": r.subject,
                        "curriculum": r.curriculum,
                        "version": r.curriculum_version,
                        "stage": r.stage,
                        "policies": list(r.policies),
                        "parameters": r.parameters,
                        "last_session": r.last_session_date,
                        "sessions_in_stage": r.sessions_in_stage,
                        "status": r.status,
                        "last_change": r.last_change,
                        "row_version": r.row_version,
                    },
                    default=str,
                )
            )
        return EXIT_OK
    table = [("SUBJECT", "CURRICULUM", "STAGE", "POLICIES", "LAST SESSION", "IN STAGE", "STATUS", "CHANGE")]
    for r in rows:
        table.append(
            (
                r.subject,
                f"{r.curriculum} {r.curriculum_version}",
                r.stage or "-",
                ", ".join(r.policies) or "-",
                str(r.last_session_date or "-"),
                str(r.sessions_in_stage),
                r.status,
                r.last_change,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def _cmd_register(args: argparse.Namespace) -> int:
    from datetime import date

    from ..store import StoreError, SubjectInfo

    dob = None
    if args.date_of_birth:
        try:
            dob = date.fromisoformat(args.date_of_birth)
        except ValueError:
            raise StoreError(f"--date-of-birth {args.date_of_birth!r} is not a date (YYYY-MM-DD)") from None
    infos = [
        SubjectInfo(s, args.sex, dob, args.genotype, args.rig, args.notes, args.baseline_weight)
        for s in args.subjects
    ]
    with _open(args) as ws:
        version = ws.find_version(args.curriculum, args.version)
        count = ws.register(infos, version.id, args.start_stage, args.operator)
    print(f"registered {count} subject(s) on {version.label}")
    return EXIT_OK


def _cmd_override(args: argparse.Namespace) -> int:

    params = None
    if args.parameters is not None:
        params = _json_object_argument("--parameters", args.parameters)
    with _open(args) as ws:
        row = ws.override(
            args.subject, args.stage, args.policy, params, reason=args.reason, operator=args.operator
        )
    print(f"{row.subject}: now on {row.stage!r} ({', '.join(row.policies) or 'no policies'})")
    return EXIT_OK


def _json_object_argument(option: str, text: str) -> dict[str, Any]:
    """A JSON object typed on the command line, read as defensively as a file (nesting, NaN, huge
    numbers, text that is not Unicode) and within the limits of a task's parameters: else one line."""
    from ..core import limits
    from ..core.errors import LoadError
    from ..core.native_format import parse_json_bytes
    from ..store import StoreError

    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 in the command line
        raise StoreError(f"{option} is not valid UTF-8 text") from None
    try:
        value = parse_json_bytes(raw, option)
    except LoadError as exc:
        where = f" at {exc.location}" if exc.location else ""
        reason = exc.reason.removeprefix("invalid JSON: ")
        raise StoreError(f"{option} is not valid JSON{where}: {reason}") from None
    if not isinstance(value, dict):
        raise StoreError(
            f'{option} must be a JSON object of parameter values, e.g. {{"reward_volume_ul": 3}}'
        )
    try:
        limits.Checker().parameters(value, option)
    except limits.LimitError as exc:
        raise StoreError(str(exc)) from None
    return value


def _cmd_eject(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        row = ws.eject(args.subject, reason=args.reason, operator=args.operator)
    print(f"{row.subject}: off curriculum (was on {row.stage!r})")
    return EXIT_OK


def _cmd_reenroll(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        version_id = ws.find_version(args.curriculum, args.version).id if args.curriculum else None
        row = ws.reenroll(
            args.subject,
            version_id=version_id,
            start_stage=args.start_stage,
            reason=args.reason,
            operator=args.operator,
        )
    print(f"{row.subject}: enrolled again on {row.curriculum} {row.curriculum_version}, stage {row.stage!r}")
    return EXIT_OK


def _cmd_revert(args: argparse.Namespace) -> int:
    from ..store import StoreError

    if (args.subject is None) == (args.batch is None):
        raise StoreError("subjects revert: give a SUBJECT or --batch ID (one of the two)")
    if args.batch is not None:
        with _open(args) as ws:
            result = ws.revert_batch(args.batch, reason=args.reason, operator=args.operator)
        names = ", ".join(result.reverted)
        print(f"reverted batch {result.batch} for {len(result.reverted)} subject(s): {names}")
        return EXIT_OK
    with _open(args) as ws:
        row = ws.revert(args.subject, reason=args.reason, operator=args.operator)
        last = ws.history(args.subject)[-1]
    undone = last.data.get("reverted_kind")
    print(f"{row.subject}: reverted the last {undone}; now {row.status} on {row.stage!r}")
    return EXIT_OK


def _cmd_history(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        events = ws.history(args.subject)
    for e in events:
        if args.json:
            data = {
                "id": e.id,
                "kind": e.kind,
                "at": e.at.isoformat(),
                "operator": e.operator,
                "batch": e.batch,
            }
            print(dumps_json({**data, "reason": e.reason, "data": e.data}))
        else:
            print(e.describe())
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    if args.folder:
        return _export_folder(args)
    if len(args.subject) > 1:
        return fail("several subjects go into a folder: add --folder DIR")
    [subject] = args.subject
    with _open(args) as ws:
        data = ws.trainer_state(subject) if args.aind else ws.next_session(subject)
    text = dumps_json(data, indent=2) + "\n"
    if args.output:
        from ..core.native_format import atomic_write_text

        atomic_write_text(args.output, text)
        print(f"{args.output}: written")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _export_folder(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        for subject in args.subject:
            ws.subject(subject)  # an unknown subject: nothing written (NotFound, exit 2)
        try:
            result = ws.export_next_sessions(args.subject, args.folder, aind=args.aind)
        except OSError as exc:
            return fail(f"{args.folder}: cannot write ({exc.strerror or exc})")
    for path in result.written:
        print(f"{path}: written")
    if result.renamed:
        print(result.renamed_text(limit=len(result.renamed)))
    if result.aind_note():  # asked for and not written: said in one line, and the exit code says so
        print(f"curriculum-gui: {result.aind_note()}", file=sys.stderr)
    for problem in result.problems:
        print(f"curriculum-gui: {problem}", file=sys.stderr)
    return EXIT_PROBLEMS if result.problems or result.no_aind else EXIT_OK


# --- metrics, evaluate, demo -----------------------------------------------------------


def _add_metrics(sub: argparse._SubParsersAction) -> None:
    from .curriculum_commands import _add_python_rule_options

    p = sub.add_parser("metrics", help="import session metrics")
    ms = p.add_subparsers(dest="metrics_command", metavar="ACTION", required=True, parser_class=Parser)
    q = ms.add_parser(
        "import",
        help="import a CSV, JSON or JSON Lines metrics file, or one session's data folder",
        description="One row per subject and session: columns subject, session, date (YYYY-MM-DD) and one "
        "per metric the subject's curriculum declares. Bad rows are listed and skipped; the good ones are "
        "imported; sessions already imported are not duplicated. Exit 1 if any row was bad. "
        "With --data-directory DIR --subject ID instead of a file: the subject's stage's metrics_provider "
        "(an aind package's function; its module must be trusted) computes the session's metrics from DIR, "
        "as aind's `curriculum run` does.",
    )
    _db(q)
    q.add_argument("file", nargs="?", help="a metrics file (or give --data-directory)")
    q.add_argument("--format", choices=["csv", "tsv", "json", "jsonl"], help="default: from the file name")
    q.add_argument("--data-directory", metavar="DIR", help="a session's data folder (with --subject)")
    q.add_argument("--subject", metavar="ID", help="with --data-directory: whose session it is")
    q.add_argument(
        "--session", metavar="ID", help="with --data-directory: the session id (default: DIR's name)"
    )
    q.add_argument(
        "--date", metavar="YYYY-MM-DD", help="with --data-directory: the session's date (default: today)"
    )
    _add_python_rule_options(q)
    q.set_defaults(handler=_cmd_metrics_import)


def _cmd_metrics_import(args: argparse.Namespace) -> int:
    from ..core.errors import CurriculumGuiError

    folder_options = [o for o in ("subject", "session", "date") if getattr(args, o)]
    if args.data_directory is None:
        if args.file is None:
            raise CurriculumGuiError(
                "metrics import: give a metrics file, or --data-directory DIR --subject ID"
            )
        if folder_options:
            raise CurriculumGuiError(f"metrics import: --{folder_options[0]} goes with --data-directory")
        with _open(args) as ws:
            report = ws.import_metrics(args.file, args.format)
        source = args.file
    else:
        if args.file is not None:
            raise CurriculumGuiError("metrics import: give a metrics file or --data-directory, not both")
        if not args.subject:
            raise CurriculumGuiError(
                "metrics import --data-directory needs --subject ID (whose session it is)"
            )
        from .curriculum_commands import _python_runner

        on = _parse_date(args.date) if args.date else None
        with _open(args) as ws:
            report = ws.import_session_folder(
                args.subject, args.data_directory, _python_runner(args), args.session, on
            )
        source = args.data_directory
    from ..core.metrics_import import summarise

    for line in summarise(report.bad):  # a problem found in many rows: one line naming them
        print(f"{source}: {line}", file=sys.stderr)
    for warning in report.warnings:
        print(f"{source}: warning: {warning}", file=sys.stderr)
    warned = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    print(
        f"{source}: imported {report.imported} session(s), {report.already_there} already there, "
        f"{len(report.bad)} problem(s){warned}"
    )
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _parse_date(text: str):
    from datetime import date

    from ..core.errors import CurriculumGuiError

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CurriculumGuiError(f"--date {text!r} is not a date (YYYY-MM-DD)") from None


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    from .curriculum_commands import _add_python_rule_options

    p = sub.add_parser(
        "evaluate",
        help="what the trainer suggests for subjects with new sessions (--apply to apply it)",
        description="Evaluate every subject with new sessions (or only SUBJECTs). Without --apply nothing "
        "changes. With --apply, all suggestions are applied in one transaction: if another rig changed "
        "one of the subjects meanwhile, nothing is applied (exit 2). Exit 1 if a rule failed for a subject.",
    )
    _db(p, operator=True)
    p.add_argument("subjects", nargs="*", metavar="SUBJECT")
    p.add_argument("--apply", action="store_true", help="apply the suggestions")
    p.add_argument("--record", action="store_true", help="without --apply: keep the suggestions in history")
    p.add_argument("--json", action="store_true", help="the suggestions as JSON lines, with why")
    _add_python_rule_options(p)
    p.set_defaults(handler=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from ..store import evaluation
    from .curriculum_commands import _python_runner

    with _open(args, _python_runner(args)) as ws:
        suggestions = ws.evaluate(args.subjects or None)
        # Attention, checked where each subject would go (only the subjects evaluated).
        alerts = (
            ws.attention([s.subject for s in suggestions], suggestions=suggestions) if suggestions else {}
        )
        for s in suggestions:
            if args.json:
                data = {**s.to_json(), "attention": [a.to_json() for a in alerts.get(s.subject, [])]}
                print(dumps_json(data, default=str))
            else:
                print(_describe(s))
                for alert in alerts.get(s.subject, []):
                    print(f"  needs attention: {alert.describe()}")
        if args.apply:
            result = ws.apply(suggestions, operator=args.operator)
            batch = f" as batch {result.batch}" if result.batch else ""
            print(f"applied {result.applied} suggestion(s){batch}; {len(result.skipped)} not applied")
        elif args.record:
            evaluation.record(ws, suggestions, args.operator)
    if not suggestions:
        print("no subject has new sessions to evaluate")
    return EXIT_PROBLEMS if any(s.error for s in suggestions) else EXIT_OK


def _value(value: Any) -> str:
    """A parameter value for a person: ``2.7`` rather than ``2.6999999999999997``."""
    return format(value, ".6g") if isinstance(value, float) else repr(value)


def _describe(s: Any) -> str:
    notes = "".join(f"\n  note: {text}" for _, text in s.notes)
    if s.waiting:
        notes += f"\n  note: {s.waiting} more session(s) wait for the next evaluation (apply these first)"
    if s.error:
        return f"{s.subject}: not evaluated: {s.error}{notes}"
    move = (
        f"{s.current_stage!r} → {s.suggested_stage!r}" if s.stage_changed else f"stays on {s.current_stage!r}"
    )
    policies = ", ".join(s.suggested_policies) or "no policies"
    changes = "; ".join(f"{k}: {text}" for k, text in s.change_texts(_value).items())
    return f"{s.subject}: {move} [{policies}]" + (f" ({changes})" if changes else "") + notes


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="fill an empty database with a demo cohort (24 mice on two versions, six weeks)"
    )
    _db(p)
    p.set_defaults(handler=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..store.demo import create_demo

    with _open(args, create=True) as ws:
        count = create_demo(ws)
        where = ws.where
    print(f"demo cohort of {count} subjects created in {where}")
    return EXIT_OK


COMMANDS: list[AddCommand] = [_add_subjects, _add_metrics, _add_evaluate, _add_demo]
