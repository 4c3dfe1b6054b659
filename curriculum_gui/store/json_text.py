"""JSON text read back from the database, parsed fast.

A lab's history is hundreds of thousands of stored JSON texts; orjson parses them several times faster
than the standard library. What orjson reads otherwise goes to :mod:`json`, which wrote it, so every text
reads exactly as before: what it refuses (NaN and infinities written by an older version) and integers
beyond 64 bits, which it makes floats (so a text holding a float that large is parsed again).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_BIG = 2.0**63  # orjson reads integers up to 2**64 - 1 exactly; anything beyond becomes a float


def loads(text: str) -> Any:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if large_float_in(value) else value


def dumps_finite(value: Any) -> str:
    """``value`` as compact JSON text, written by orjson (several times faster than :mod:`json`), for a
    value known to hold no NaN or infinity (orjson would write them as null where :mod:`json` refuses
    them), such as a "why" (``Check.to_json`` writes those as text). What orjson refuses (integers beyond
    64 bits, keys that are not text) goes to :mod:`json`. Floats may be spelled differently (``0.00001``
    for ``1e-05``): the same number when read back."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def large_float_in(value: Any) -> bool:
    """Whether orjson's reading of ``value`` may differ from json's (a float of 2**63 or more)."""
    items = value.values() if type(value) is dict else value if type(value) is list else (value,)
    for item in items:
        kind = type(item)
        if kind is float:
            if not -_BIG < item < _BIG:
                return True
        elif (kind is dict or kind is list) and large_float_in(item):
            return True
    return False
