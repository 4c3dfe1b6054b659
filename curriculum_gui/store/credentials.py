"""Database URLs without their secrets: for messages (masked) and for plain-text settings (left out).

A password can sit in the user part (``user:pw@host``), in the query (``?password=pw``, ``sslpassword``,
any case, percent-encoded keys too) or in a libpq keyword string (``password=pw``). Text that does not even
parse as a URL is masked too, and over-masked rather than under: a password with an unescaped ``@``
is hidden up to the last ``@``, so no tail of it is ever shown as a host.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from sqlalchemy.engine import URL

MASK = "***"
SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})

# scheme://user:PASSWORD@ ... up to the LAST "@" (a password may hold "@", ":", "/" or "?").
_USERINFO = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/?#]*):(?P<secret>.*)@", re.DOTALL)
# The same inside a sentence: up to the last "@" before a blank or a quote, not the sentence's last "@".
_USERINFO_IN_TEXT = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/?#\s'\"]*):(?P<secret>[^\s'\"]*)@")
# key=value in a query string or a libpq keyword string; the key may be percent-encoded.
_PAIR = re.compile(r"(?P<key>[^\s=&;?#'\"]+)(?P<eq>\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'?|[^\s&;#]*)")


def is_secret_key(key: str) -> bool:
    return unquote_plus(key).strip().lower() in SECRET_QUERY_KEYS


def mask_text(text: str) -> str:
    """A database URL or connection string as typed (alone), with every password as ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _mask_pairs(text)


def mask_message(text: str) -> str:
    """A message that may quote URLs (a driver's error, an exception), with every password as ``***``:
    a URL's password ends at its last ``@`` before a blank or a quote, so the rest of the sentence stays.
    (URLs in this project's own messages are masked already, each on its own, by :func:`mask_text`.)"""
    text = _USERINFO_IN_TEXT.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _mask_pairs(text)


def _mask_pairs(text: str) -> str:
    return _PAIR.sub(lambda m: f"{m['key']}{m['eq']}{MASK}" if is_secret_key(m["key"]) else m[0], text)


def mask(url: URL) -> str:
    """The URL as text with its password (in the user part or the query) replaced by ``***``."""
    query = {k: v for k, v in url.query.items() if not is_secret_key(k)}
    hidden = [k for k in url.query if is_secret_key(k)]
    text = url.set(query=query).render_as_string(hide_password=True)
    if hidden:
        text += ("&" if query else "?") + "&".join(f"{k}={MASK}" for k in hidden)
    return mask_text(text)  # a second net: nothing the renderer let through


def without_password(url: URL) -> str:
    """The URL to remember in plain-text settings: no password, in the user part or in the query
    (libpq reads it from ~/.pgpass or PGPASSWORD instead)."""
    query = {k: v for k, v in url.query.items() if not is_secret_key(k)}
    return url._replace(password=None).set(query=query).render_as_string(hide_password=False)
