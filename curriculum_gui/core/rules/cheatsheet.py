"""Help → Rule language: a cheat-sheet of the rule language, built from the tables the compiler itself
uses (its operators, :data:`FUNCTIONS`, :data:`COUNTERS`, the constructs it refuses), so the help can
never offer what the compiler refuses nor miss what it accepts. Every example compiles (a test says so).
"""

from __future__ import annotations

import html

from .functions import CONSTANTS, COUNTERS, FUNCTIONS
from .parser import AUGOP_SYMBOLS, BINOP_SYMBOLS, CMPOP_SYMBOLS, FORBIDDEN_REASONS, MAX_TEXT

# One example per function and counter: (kind, text); kind "condition", "update" or "attention" (a
# condition of an attention rule, which also reads the days counters).
EXAMPLES: dict[str, tuple[str, str]] = {
    "mean": ("condition", "mean(last(accuracy, 3)) >= 0.8"),
    "median": ("condition", "median(last(trials, 5)) > 250"),
    "min": ("condition", "min(last(trials, 5)) >= 300"),
    "max": ("condition", "max(last(accuracy, 3)) >= 0.9"),
    "sum": ("condition", "sum(last(trials, 3)) > 900"),
    "len": ("condition", "len(accuracy) >= 5"),
    "abs": ("condition", "abs(bias) < 0.1"),
    "round": ("update", "reward_volume = round(reward_volume * 0.9, 1)"),
    "all": ("condition", "all([accuracy[-1] > 0.7, bias < 0.2])"),
    "any": ("condition", "any([bias > 0.3, accuracy[-1] < 0.5])"),
    "clamp": ("update", "reward_volume = clamp(reward_volume - 0.1, 1.5, 3.0)"),
    "last": ("condition", "last(accuracy, 1)[0] > 0.9"),
    "ramp": ("update", "contrast = ramp(1.0, 0.25, over=10)"),
    "sessions_in_stage": ("condition", "sessions_in_stage >= 2"),
    "sessions_total": ("condition", "sessions_total > 30"),
    "sessions_in_policy": ("condition", "sessions_in_policy >= 3"),
    "days_since_last_session": ("attention", "days_since_last_session >= 3"),
    "days_in_stage": ("attention", "days_in_stage > 21"),
}

# Names the examples read, so they can be checked: metrics (with their types) and task parameters.
EXAMPLE_METRICS = {"accuracy": "number_list", "trials": "number_list", "bias": "number"}
EXAMPLE_PARAMETERS = {"reward_volume": 2.5, "contrast": 1.0}

_OPERATOR_WORDS = {
    "+": "add",
    "-": "subtract",
    "*": "multiply",
    "/": "divide",
    "//": "divide, whole part",
    "%": "remainder",
    "**": "power",
    "==": "equal",
    "!=": "not equal",
    "<": "less than",
    "<=": "at most",
    ">": "more than",
    ">=": "at least",
    "in": "is one of (a list) or part of (a text)",
    "not in": "is none of, or not part of",
}


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th align='left'>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table cellspacing='0' cellpadding='4' border='1'><tr>{head}</tr>{body}</table>"


def operator_rows() -> list[tuple[str, str]]:
    """(symbol, meaning) for every operator the compiler accepts, from its own tables."""
    symbols = [*BINOP_SYMBOLS.values(), *CMPOP_SYMBOLS.values()]
    rows = [(s, _OPERATOR_WORDS.get(s, "")) for s in symbols]
    rows += [("and, or, not", "both, either, the opposite (of true/false values only)")]
    rows += [("a if condition else b", "a when the condition is true, else b")]
    rows += [("xs[i], xs[-1], xs[a:b]", "an item of a list (from the end when negative), a slice")]
    rows += [(", ".join(AUGOP_SYMBOLS), "in updates: change a parameter by (x += 5 adds 5)")]
    return rows


def cheat_sheet_html() -> str:
    """The whole cheat-sheet as HTML (for a QTextBrowser or a file)."""
    functions = [
        (_code(f.signature), html.escape(f.doc), _code(EXAMPLES[f.name][1])) for f in FUNCTIONS.values()
    ]
    counters = [(_code(name), html.escape(doc), _code(EXAMPLES[name][1])) for name, doc in COUNTERS.items()]
    constants = ", ".join(f"{_code(k)} ({html.escape(v)})" for k, v in CONSTANTS.items())
    refused = sorted(set(FORBIDDEN_REASONS.values()))
    parts = [
        "<h2>Rule language</h2>",
        "<p>A <b>condition</b> (on a transition) reads the declared metrics and the counters and gives "
        "true or false; the first true one of a stage's ways out wins. An <b>update</b> (on a policy) "
        "assigns task parameters, one per line, in order. Both are a small, safe part of Python's "
        "expression syntax: checked as you type, never run as Python.</p>",
        "<h3>Examples</h3><ul>"
        + "".join(
            f"<li>{_code(text)}</li>"
            for text in (
                "mean(last(accuracy, 3)) >= 0.8 and sessions_in_stage >= 2",
                "last(trials, 1)[0] >= 200 or sessions_total > 30",
                "reward_volume = clamp(reward_volume - 0.1, 1.5, 3.0)",
                "contrast = ramp(1.0, 0.25, over=10)",
            )
        )
        + "</ul>",
        "<h3>Operators</h3>",
        _table(("operator", "meaning"), [(_code(s), html.escape(w)) for s, w in operator_rows()]),
        "<h3>Functions</h3>",
        _table(("function", "what it gives", "example"), functions),
        "<h3>Counters</h3>",
        _table(("name", "what it counts", "example"), counters),
        f"<h3>Values</h3><p>Numbers, text in quotes, lists {_code('[1, 2]')}, {constants}. "
        "A metric that holds a history (a number list) is oldest first. A boolean is not a number, and "
        "<code>and</code>/<code>or</code>/<code>not</code> need true/false values.</p>",
        "<h3>Not allowed</h3><p>"
        + html.escape("; ".join(refused))
        + f"; attribute access on values, names starting or ending with __, calls to anything but the "
        f"functions above; rules longer than {MAX_TEXT:,} characters.</p>",
    ]
    return "\n".join(parts)
