"""One statement, as psql in a container runs it and as examday reads its output back.

Pure text work, no Docker, so each step is tested on its own:

- `render` binds psycopg-style parameters client side, each value through
  `sql.Literal` (psycopg's own quoting), never by string formatting.
- `one_statement` refuses what psql must never see: a second statement (psql
  would send each on its own, and `SET ...; COMMIT; INSERT ...` would then
  write), a backslash outside quotes (a psql meta-command such as `\\!`) and a
  psql variable reference (`:name`). The TCP probe gets the first refusal from
  the server (one statement per extended-protocol query); psql needs ours.
- `build_script` wraps the statement: read only, the column types (`\\gdesc`),
  the rows as CSV with NULL printed as a one-off sentinel, at most `limit` + 1
  rows fetched (through a cursor) when a limit is asked for.
- `parse_output` turns psql's CSV back into the Python values psycopg would have
  given over TCP: the same text loaders, chosen by the column types.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import postgres, sql
from psycopg.adapt import Loader, Transformer
from psycopg.pq import Format

from examday.probes.postgres_reads import QueryResult


class StatementRefused(Exception):
    """The statement cannot be sent through psql as it is."""


# -- parameters -------------------------------------------------------------------------------

# psycopg's own placeholder grammar (psycopg/_queries.py): %s, %(name)s, %b, %t and %%.
_PLACEHOLDER = re.compile(r"%(?:\(([^)]+)\).|.)", re.DOTALL)


def render(statement: str | sql.Composable, params: Any = None) -> str:
    """The statement with its parameters as SQL literals, the way ClientCursor would send it."""
    text = statement.as_string(None) if isinstance(statement, sql.Composable) else statement
    if params is None:  # as in psycopg: without parameters, "%" is not special
        return text
    if isinstance(params, (str, bytes)) or not isinstance(params, (Sequence, Mapping)):
        raise StatementRefused(f"query parameters should be a sequence or a mapping, got {type(params).__name__}")
    matches = [match for match in _PLACEHOLDER.finditer(text) if match.group(0) != "%%"]
    for match in matches:
        if match.group(0) == "%(" or match.group(0)[-1] not in "sbt":
            raise StatementRefused(f"only '%s', '%b', '%t' are allowed as placeholders, got '{match.group(0)}'")
    named = {match.group(1) is not None for match in matches}
    if len(named) > 1:
        raise StatementRefused("positional and named placeholders cannot be mixed")
    if named == {True} and not isinstance(params, Mapping):
        raise StatementRefused("named placeholders require a mapping of parameters")
    if named == {False} and isinstance(params, Mapping):
        raise StatementRefused("positional placeholders (%s) require a sequence of parameters")
    if not isinstance(params, Mapping) and len(matches) != len(params):
        raise StatementRefused(f"the query has {len(matches)} placeholders but {len(params)} parameters were passed")
    pieces: list[str] = []
    cursor = 0
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        pieces.append(text[cursor:match.start()])
        cursor = match.end()
        if match.group(0) == "%%":
            pieces.append("%")
            continue
        name = match.group(1)
        if name is None:
            value = params[position]
            position += 1
        elif name in params:
            value = params[name]
        else:
            raise StatementRefused(f"query parameter missing: {name}")
        pieces.append(sql.Literal(value).as_string(None))
    pieces.append(text[cursor:])
    return "".join(pieces)


# -- one statement, nothing for psql to interpret -------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9_$\u0080-\U0010ffff]+")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")
_VARIABLE_START = re.compile(r"[A-Za-z_\u0080-\U0010ffff'\"]")


@dataclass(frozen=True)
class Statement:
    body: str  # the statement without its terminating semicolon
    first_word: str  # upper-cased first keyword, or "(" for a parenthesised query


def one_statement(text: str) -> Statement:
    """Scan like PostgreSQL's lexer (quotes, E'' strings, dollar quotes, nested comments).

    standard_conforming_strings is forced on for the session, so '' strings take
    backslashes literally, as this scanner does.
    """
    i, n = 0, len(text)
    end: int | None = None
    first = ""
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline + 1
            continue
        if text.startswith("/*", i):
            i = _comment_end(text, i)
            continue
        if end is not None:
            raise StatementRefused("more than one statement: examday sends one statement at a time")
        if char == ";":
            end = i
            i += 1
        elif char in "'\"":
            i = _quote_end(text, i, char, backslashes=False)
        elif char == "$" and (tag := _DOLLAR_TAG.match(text, i)):
            close = text.find(tag.group(0), tag.end())
            if close < 0:
                raise StatementRefused("unterminated dollar-quoted string")
            i = close + len(tag.group(0))
        elif char == "\\":
            raise StatementRefused("a backslash outside quotes: psql would take it for a meta-command")
        elif char == ":":
            if text.startswith("::", i):
                i += 2
            elif _VARIABLE_START.match(text, i + 1):
                raise StatementRefused(f"`{text[i:i + 12]}` outside quotes: psql would take it for a variable")
            else:
                i += 1
        elif word := _WORD.match(text, i):
            first = first or word.group(0).upper()
            i = word.end()
            if word.group(0) in ("E", "e") and text.startswith("'", i):
                i = _quote_end(text, i, "'", backslashes=True)
        else:
            first = first or ("(" if char == "(" else char)
            i += 1
    body = text if end is None else text[:end]
    if not first:
        raise StatementRefused("an empty statement")
    return Statement(body=body, first_word=first)


def _comment_end(text: str, start: int) -> int:
    depth, i = 0, start
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise StatementRefused("unterminated /* comment")


def _quote_end(text: str, start: int, quote: str, backslashes: bool) -> int:
    i = start + 1
    while i < len(text):
        char = text[i]
        if backslashes and char == "\\":
            i += 2
        elif char == quote:
            if text.startswith(quote, i + 1):  # a doubled quote stands for itself
                i += 2
            else:
                return i + 1
        else:
            i += 1
    raise StatementRefused(f"unterminated {quote}quoted{quote} text")


# -- the script ---------------------------------------------------------------------------------

# Statements a cursor can hold: with a limit, only limit + 1 rows are fetched, as the TCP
# probe streams and stops. Others (SHOW, EXPLAIN) are read whole and cut here.
_CURSOR_STATEMENTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "("})


def build_script(statement: Statement, limit: int | None, nonce: str) -> str:
    """psql input: sections marked `<nonce> <name>` on stdout, so nothing else is mistaken for rows."""
    lines = [
        "\\set VERBOSITY verbose",  # errors carry their SQLSTATE
        "\\set SHOW_CONTEXT never",
        f"\\pset null {null_marker(nonce)}",
        # Also as a session setting, as over TCP: PGOPTIONS may not reach the server through a pooler.
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;",
        f"\\echo {nonce} timezone",
        "SELECT current_setting('TimeZone');",
        f"\\echo {nonce} columns",
        statement.body,
        "\\gdesc",
        f"\\echo {nonce} rows",
    ]
    if limit is not None and statement.first_word in _CURSOR_STATEMENTS:
        lines += ["BEGIN READ ONLY;", "DECLARE examday_rows NO SCROLL CURSOR FOR", statement.body, ";",
                  f"FETCH FORWARD {int(limit) + 1} FROM examday_rows;"]
    else:
        lines += [statement.body, "\\g"]
    lines.append(f"\\echo {nonce} end")
    return "\n".join(lines) + "\n"


def null_marker(nonce: str) -> str:
    return f"examday-null-{nonce}"


# -- the output -----------------------------------------------------------------------------------

class OutputUnreadable(Exception):
    """psql's output is not in the shape the script asks for."""


def parse_output(output: str, nonce: str, limit: int | None) -> QueryResult:
    sections = _sections(output, nonce)
    if "end" not in sections:
        raise OutputUnreadable("psql stopped before the end of its script")
    zone = _zone(_csv(sections.get("timezone", "")))
    types = [row[1] for row in _csv(sections.get("columns", ""))[1:] if len(row) == 2]
    table = _csv(sections.get("rows", ""))
    if not table:  # a statement without a result (no header printed)
        return QueryResult(columns=[], rows=[], truncated=False)
    columns, records = table[0], table[1:]
    if len(columns) == 1:  # one empty value prints as an empty line, which csv reads as no field
        records = [record or [""] for record in records]
    if len(types) != len(columns) or any(len(record) != len(columns) for record in records):
        raise OutputUnreadable(f"{len(columns)} columns, {len(types)} column types, rows of other widths")
    loaders = [_loader(name) for name in types]
    null = null_marker(nonce)
    rows = [tuple(None if text == null else _load(loader, text, zone) for loader, text in zip(loaders, record))
            for record in records]
    if limit is not None and len(rows) > limit:
        return QueryResult(columns=columns, rows=rows[:limit], truncated=True)
    return QueryResult(columns=columns, rows=rows, truncated=False)


def _sections(output: str, nonce: str) -> dict[str, str]:
    marker = re.compile(rf"^{re.escape(nonce)} (\w+)\n", re.MULTILINE)
    found = list(marker.finditer(output))
    sections = {}
    for index, match in enumerate(found):
        stop = found[index + 1].start() if index + 1 < len(found) else len(output)
        sections[match.group(1)] = output[match.end():stop]
    return sections


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# Type names as `\gdesc` prints them (format_type) -> psycopg's type information.
_TYPES = {info.regtype: info for info in postgres.types if info.regtype}
_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)")
_TRANSFORMER = Transformer()
_TIMESTAMPTZ = {postgres.types["timestamptz"].oid, postgres.types["timestamptz"].array_oid}


def type_oid(name: str) -> int:
    """OID of a type as format_type names it; 0 (loaded as text, like psycopg) when not built in."""
    is_array = name.endswith("[]")
    base = _TYPMOD.sub("", name[:-2] if is_array else name).strip()
    if base.startswith("interval"):  # "interval day to second"
        base = "interval"
    info = _TYPES.get(base)
    if info is None:
        return 0
    return info.array_oid if is_array else info.oid


def _loader(name: str) -> Loader:
    oid = type_oid(name)
    return _TRANSFORMER.get_loader(oid, Format.TEXT)


def _load(loader: Loader, text: str, zone: tzinfo) -> Any:
    value = loader.load(text.encode("utf-8"))
    if loader.oid in _TIMESTAMPTZ:  # psycopg gives timestamptz in the session's TimeZone
        return _in_zone(value, zone)
    return value


def _in_zone(value: Any, zone: tzinfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone)
    if isinstance(value, list):
        return [_in_zone(item, zone) for item in value]
    return value


def _zone(table: list[list[str]]) -> tzinfo:
    """As psycopg's get_tzinfo: UTC by name, else the zone, else UTC."""
    name = table[1][0] if len(table) > 1 and table[1] else "UTC"
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except Exception:  # an offset PostgreSQL knows and zoneinfo does not
        return timezone.utc
