"""Commands on curriculum files: validate, convert, suggest (AIND's launcher), simulate."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, EXIT_PROBLEMS, AddCommand, dumps_json
from .common import fail as _fail

# --- validate -----------------------------------------------------------------------------------


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a curriculum file (native or aind JSON)")
    p.add_argument("file")
    p.add_argument("--warnings-as-errors", action="store_true", help="exit 1 on warnings too")
    p.set_defaults(handler=_cmd_validate)


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..core.files import open_curriculum
    from ..core.problems import Severity
    from ..core.validation import validate

    opened = open_curriculum(args.file)
    problems = validate(opened.curriculum)
    failing = [
        p
        for p in problems
        if p.severity is Severity.ERROR or (args.warnings_as_errors and p.severity is Severity.WARNING)
    ]
    for problem in problems:
        print(f"{args.file}: {problem}")
    if failing:
        return EXIT_PROBLEMS
    if not problems:
        print(f"{args.file}: ok ({opened.format} format, {len(opened.curriculum.stages)} stages)")
    return EXIT_OK


# --- convert (aind interoperability) ------------------------------------------------------------


def _add_convert(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a curriculum between the native format, aind JSON and an aind Python package",
        description="Read a curriculum (native or aind JSON, detected from the content) and write it in "
        "another format. Nothing the file references is imported or run.",
    )
    p.add_argument("file", help="input curriculum (native or aind JSON)")
    p.add_argument("-o", "--output", required=True, help="output file (a directory for --to aind-package)")
    p.add_argument("--to", required=True, choices=["native", "aind", "aind-package"], help="output format")
    p.add_argument("--package-name", help="with --to aind-package: the Python package name (default: OUT)")
    p.add_argument("--force", action="store_true", help="with --to aind-package: replace an existing folder")
    p.set_defaults(handler=_cmd_convert)


def _cmd_convert(args: argparse.Namespace) -> int:
    from ..core import aind_format, native_format
    from ..core.files import open_curriculum

    curriculum = open_curriculum(args.file).curriculum
    if args.to == "native":
        native_format.save(curriculum, args.output)
    elif args.to == "aind":
        aind_format.save(curriculum, args.output)
    else:
        from ..core import aind_package

        aind_package.write_package(curriculum, args.output, package_name=args.package_name, force=args.force)
    print(f"{args.output}: written ({args.to})")
    return EXIT_OK


# --- suggest (the command AIND's experiment launcher calls: `<curriculum> run`) ----------------


def _add_python_rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trust-python-rules",
        action="store_true",
        help="import and run every Python rule reference ('module.function') the curriculum names",
    )
    p.add_argument(
        "--trust-module", action="append", default=[], metavar="MODULE", help="trust this module (repeatable)"
    )
    p.add_argument(
        "--python-main", metavar="FILE_OR_MODULE", help="what '__main__.x' references point at (trusts it)"
    )
    p.add_argument("--python-path", action="append", default=[], metavar="DIR", help="also import from DIR")


def _python_runner(args: argparse.Namespace, curriculum=None, source: str | None = None):
    """The runner the options ask for. Asked to run a ``curriculum``'s Python rules without aind installed:
    one clear line (``source`` names the file). store_commands calls it with ``args`` only."""
    from ..core.errors import CurriculumGuiError
    from ..core.python_rules import INSTALL_HINT, aind_available, references, runner_for

    trusted = args.trust_python_rules or args.trust_module or args.python_main
    if trusted and curriculum is not None and references(curriculum) and not aind_available():
        raise CurriculumGuiError(
            f"{source}: running its Python rules needs aind-behavior-curriculum, which is not installed: "
            f"{INSTALL_HINT}"
        )
    return runner_for(
        trust_all=args.trust_python_rules,
        modules=args.trust_module,
        main=args.python_main,
        paths=args.python_path,
    )


def _add_suggest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suggest",
        help="print a CurriculumSuggestion JSON (as AIND's curriculum `run` command does)",
        description="Evaluate one session: from an aind TrainerState and the session's metrics, print the "
        "suggested next TrainerState as a CurriculumSuggestion JSON on stdout. As aind's `curriculum run`: "
        "with --data-directory the stage's metrics_provider computes the metrics from the session folder "
        "(its module must be trusted), the metrics are validated by the curriculum's own Metrics class, and "
        "a state marked off the curriculum that still holds a stage is evaluated (and comes back on it).",
    )
    p.add_argument("curriculum", nargs="?", help="curriculum file (default: the trainer state's own)")
    p.add_argument(
        "--input-trainer-state",
        required=True,
        metavar="FILE",
        help="aind TrainerState JSON (or a CurriculumSuggestion: its trainer_state is read)",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--metrics", metavar="FILE", help="JSON object of metric values")
    src.add_argument(
        "--data-directory",
        metavar="DIR",
        help="the session's data folder: read by the stage's metrics_provider (trusted), or its metrics.json "
        "when the stage names none",
    )
    p.add_argument("--compact", action="store_true", help="one line of JSON, as aind's command prints it")
    p.add_argument("--mute-suggestion", action="store_true", help="print nothing (with --output-suggestion)")
    p.add_argument(
        "--output-suggestion", metavar="DIR", help="also write DIR/suggestion.json (as aind's command does)"
    )
    _add_python_rule_options(p)
    p.set_defaults(handler=_cmd_suggest)


def _cmd_suggest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..core import aind_format
    from ..core.errors import LoadError
    from ..core.files import open_curriculum
    from ..core.native_format import atomic_write_text, read_json_file
    from ..core.trainer import Trainer

    state_data = read_json_file(args.input_trainer_state)
    if isinstance(state_data, dict) and isinstance(state_data.get("trainer_state"), dict):
        state_data = state_data["trainer_state"]  # a CurriculumSuggestion, as the launcher keeps it
    if args.curriculum:
        curriculum = open_curriculum(args.curriculum).curriculum
    else:
        curriculum = aind_format.trainer_state_curriculum(state_data, args.input_trainer_state)
        if curriculum is None:
            raise LoadError(args.input_trainer_state, "holds no curriculum: give the curriculum file too")
    state = aind_format.trainer_state_from_data(state_data, curriculum, args.input_trainer_state)
    runner = _python_runner(args, curriculum, args.curriculum or args.input_trainer_state)
    metrics = _session_metrics(args, curriculum, state_data, runner)
    trainer = Trainer(curriculum, python_rules=runner)
    if state is None:
        state = trainer.enroll()
    elif state.stage_id is not None:
        # aind's Trainer.evaluate looks only at the stage: a state marked off the curriculum that still holds
        # a stage is evaluated, and the result is on the curriculum again.
        state = state._replace(is_on_curriculum=True)
        evaluation = trainer.evaluate(state, metrics)
        if evaluation.error:
            return _fail(f"{args.input_trainer_state}: not evaluated: {evaluation.message}")
        state = evaluation.state
    suggestion = {
        "trainer_state": aind_format.trainer_state_to_data(
            curriculum, state, aind_format.trainer_state_extra(state_data)
        ),
        "metrics": metrics,
        "version": curriculum.version,
        "dsl_version": _aind_version(),
    }
    if args.output_suggestion:
        folder = Path(args.output_suggestion)
        if not folder.is_dir():
            return _fail(f"{folder}: not a folder (--output-suggestion names the folder for suggestion.json)")
        atomic_write_text(folder / "suggestion.json", dumps_json(suggestion, indent=2))
    if not args.mute_suggestion:
        if args.compact:
            print(dumps_json(suggestion, separators=(",", ":")))
        else:
            print(dumps_json(suggestion, indent=2))
    return EXIT_OK


def _session_metrics(args: argparse.Namespace, curriculum, state_data, runner) -> dict:
    """The session's metrics, as aind's ``curriculum run`` gets them: from the stage's metrics_provider on the
    data folder (else the folder's metrics.json, or the --metrics file); validated by the curriculum's own
    Metrics class when its module is trusted (one line saying which field, if it refuses them)."""
    from pathlib import Path

    from ..core import aind_metrics
    from ..core.errors import CurriculumGuiError, LoadError
    from ..core.native_format import read_json_file
    from ..core.python_rules import PythonRuleUnavailable, references

    if args.metrics:
        source = args.metrics
        metrics = read_json_file(source)
    else:
        folder = Path(args.data_directory)
        provider = _metrics_provider(curriculum, state_data)
        if provider is not None:
            if not runner.trust.allows(provider.rpartition(".")[0]):
                raise CurriculumGuiError(f"{folder}: {aind_metrics.untrusted_provider_message(provider)}")
            return aind_metrics.metrics_from_provider(runner, provider, folder)
        source = str(folder / "metrics.json")
        metrics = read_json_file(source)
    if not isinstance(metrics, dict):
        raise LoadError(source, "expected a JSON object of metric values")
    if references(curriculum):
        try:
            cls = aind_metrics.metrics_class(curriculum, runner)
        except PythonRuleUnavailable:
            cls = None  # not trusted (or not installed): evaluating the rules says so
        if cls is not None:
            try:
                instance = aind_metrics.validate_metrics(cls, metrics)
            except aind_metrics.MetricsRejected as exc:
                raise LoadError(source, exc.reason) from None
            return instance.model_dump(mode="json")
    return metrics


def _metrics_provider(curriculum, state_data) -> str | None:
    """The metrics_provider of the trainer state's stage (as aind reads it), else of that stage here."""
    stage = state_data.get("stage") if isinstance(state_data, dict) else None
    if not isinstance(stage, dict):
        return None
    provider = stage.get("metrics_provider")
    if isinstance(provider, str) and provider.strip():
        return provider.strip()
    ours = curriculum.stage_by_name(stage.get("name")) if isinstance(stage.get("name"), str) else None
    return ours.metrics_provider if ours is not None else None


def _aind_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aind-behavior-curriculum")
    except PackageNotFoundError:
        return "0.0.42"  # the version whose format we write


# --- simulate -----------------------------------------------------------------------------------


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run one subject through a curriculum, one metrics line per session",
        description="Enroll one subject and evaluate it once per line of METRICS (JSON Lines: one JSON "
        "object of metric values per session; blank lines are skipped). Prints the enrolled state as the "
        "first JSON line, then one line per session: stage, active_policies (names, sorted), "
        "task_parameters, "
        "is_on_curriculum and why (every rule checked, in order). Exit 0; 1 if a rule failed during a "
        "session (the subject then stays where it is; see 'why'); 2 if the input cannot be read.",
    )
    p.add_argument("file", help="curriculum file (native or aind JSON)")
    p.add_argument("--metrics", required=True, metavar="METRICS.jsonl", help="one JSON object per line")
    p.add_argument("--start-stage", metavar="NAME", help="enroll on this stage (name or id), not the start")
    _add_python_rule_options(p)
    p.set_defaults(handler=_cmd_simulate)


def _read_metrics_lines(path: str) -> list[tuple[int, dict]]:
    """One JSON object per line, each read as defensively as a whole file (size, a regular file only,
    NaN, huge numbers, nesting): any problem is one LoadError naming the line."""
    from ..core.errors import LoadError
    from ..core.native_format import parse_json_bytes, read_bytes

    raw = read_bytes(path)
    try:
        lines = raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise LoadError(path, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = parse_json_bytes(line.encode("utf-8"), path)
        except LoadError as exc:
            raise LoadError(path, exc.reason, f"line {number}") from None
        if not isinstance(value, dict):
            reason = 'expected a JSON object of metric values, e.g. {"accuracy": 0.8}'
            raise LoadError(path, reason, f"line {number}")
        out.append((number, value))
    return out


def _cmd_simulate(args: argparse.Namespace) -> int:

    from ..core.files import open_curriculum
    from ..core.trainer import Trainer

    curriculum = open_curriculum(args.file).curriculum
    sessions = _read_metrics_lines(args.metrics)
    trainer = Trainer(curriculum, python_rules=_python_runner(args, curriculum, args.file))
    start = trainer.stage_id_for(args.start_stage) if args.start_stage else None
    state = trainer.enroll(start)

    def line(why: list) -> str:
        return dumps_json(
            {
                "stage": trainer.stage_name(state.stage_id),
                "active_policies": sorted(trainer.policy_names(state)),
                "task_parameters": dict(state.parameters),
                "is_on_curriculum": state.is_on_curriculum,
                "why": why,
            }
        )

    print(line([]))
    failed = []
    for number, metrics in sessions:
        evaluation = trainer.evaluate(state, metrics)
        state = evaluation.state
        if evaluation.error:
            failed.append(f"{args.metrics} line {number}: {evaluation.message}")
        print(line([c.to_json() for c in evaluation.why]), flush=False)
    sys.stdout.flush()
    if failed:
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        print(f"curriculum-gui: {failed[0]}{more}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


COMMANDS: list[AddCommand] = [_add_validate, _add_convert, _add_suggest, _add_simulate]
