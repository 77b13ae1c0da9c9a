"""redis-cli's output read back into the reply redis-py would have parsed (RESP3, decoded).

Three shapes, all from `redis-cli -3`:
- `--json` (redis-cli 7+): maps are objects, arrays lists, nil null, doubles numbers.
- the formatted output (`--no-raw`), for an older redis-cli without `--json`:
  `1) "a"`, `(integer) 3`, `1# "key" => "value"`, `(nil)`, `(double) 1.5`,
  nested aggregates indented under their index.
- raw text: redis-cli prints INFO, CLIENT LIST and CLIENT INFO verbatim whatever
  the output mode, so the reply is the output as it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Commands whose reply redis-cli always prints verbatim (redis-cli.c, cliSendCommand).
RAW_COMMANDS: frozenset[tuple[str, ...]] = frozenset({("INFO",), ("CLIENT", "LIST"), ("CLIENT", "INFO")})


class UnreadableOutput(Exception):
    """redis-cli printed something that is not a reply in the expected shape."""


def is_raw(args: tuple[Any, ...]) -> bool:
    words = tuple(str(arg).upper() for arg in args[:2])
    return words[:1] in RAW_COMMANDS or words in RAW_COMMANDS


def parse_json(output: str) -> Any:
    try:
        return json.loads(output)
    except ValueError as error:
        raise UnreadableOutput(f"not JSON: {error}") from None


# -- the formatted (tty-style) output -------------------------------------------------------

_INDEX = re.compile(r"( *)(\d+)([)#~]) ")
_EMPTY = {"(empty array)": [], "(empty list or set)": [], "(empty hash)": {}, "(empty set)": []}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", "\\": "\\", '"': '"'}


def parse_formatted(output: str) -> Any:
    lines = output.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise UnreadableOutput("no output")
    value, next_line = _value(lines, 0, 0)
    if next_line != len(lines):
        raise UnreadableOutput(f"unexpected line {next_line + 1}: {lines[next_line][:80]!r}")
    return value


def _value(lines: list[str], line: int, column: int) -> tuple[Any, int]:
    """The value printed from (line, column) on, and the line after it."""
    text = lines[line][column:]
    if _INDEX.match(text):
        return _aggregate(lines, line, column)
    return _scalar(text), line + 1


def _aggregate(lines: list[str], line: int, column: int) -> tuple[Any, int]:
    first = _INDEX.match(lines[line], column)
    assert first is not None
    separator_at = first.end(3) - 1  # the column of ")" "#" or "~": the same for every element
    kind = first.group(3)
    items: list[Any] = []
    pairs: dict[Any, Any] = {}
    start = column
    while True:
        match = _INDEX.match(lines[line], start)
        if match is None or match.end(3) - 1 != separator_at or match.group(3) != kind:
            break
        content = match.end()
        if kind == "#":
            key, value_at = _map_key(lines[line], content)
            if value_at >= len(lines[line]):  # an aggregate value starts on the next line
                value, line = _value(lines, line + 1, 0)
            else:
                value, line = _value(lines, line, value_at)
            pairs[key] = value
        else:
            value, line = _value(lines, line, content)
            items.append(value)
        if line >= len(lines):
            break
        start = 0  # later elements are printed with their full indentation
    return (pairs if kind == "#" else items), line


def _map_key(text: str, at: int) -> tuple[Any, int]:
    arrow = text.find(" => ", at)
    if arrow < 0:
        raise UnreadableOutput(f"a map entry without =>: {text[:80]!r}")
    if text.startswith('"', at):  # a quoted key may itself hold " => "
        end = _quoted_end(text, at)
        arrow = text.find(" => ", end)
    return _scalar(text[at:arrow]), arrow + 4


def _scalar(text: str) -> Any:
    if text in _EMPTY:
        return type(_EMPTY[text])()
    if text == "(nil)":
        return None
    if text in ("(true)", "(false)"):
        return text == "(true)"
    for prefix, convert in (("(integer) ", int), ("(big number) ", int), ("(double) ", float)):
        if text.startswith(prefix):
            return convert(text[len(prefix):])
    if text.startswith("(error) "):
        raise UnreadableOutput(text[len("(error) "):])
    if text.startswith('"'):
        end = _quoted_end(text, 0)
        if end != len(text):
            raise UnreadableOutput(f"text after a quoted string: {text[:80]!r}")
        return _unquote(text[1:-1])
    return text  # a simple string (status reply) is printed bare


def _quoted_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        else:
            i += 1
    raise UnreadableOutput(f"an unterminated string: {text[:80]!r}")


def _unquote(body: str) -> str:
    """Undo redis-cli's sdscatrepr: \\n \\r \\t \\a \\b \\\\ \\" and \\xHH (bytes, UTF-8 decoded)."""
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            code = body[i + 1]
            if code == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2:i + 4]):
                out.append(int(body[i + 2:i + 4], 16))
                i += 4
                continue
            out += _ESCAPES.get(code, code).encode("utf-8")
            i += 2
            continue
        out += char.encode("utf-8")
        i += 1
    return out.decode("utf-8", "replace")
