"""The few fields the fast loop reads of a request.end line, decoded without building the whole object.

msgspec decodes a line into a struct of just these fields and skips the rest (still checking
it is JSON): about 0.5 us a platform line, where a full parse into a dict takes twice that.
It reads a line as the stdlib does (duplicate keys: the last one wins; escapes, in keys too;
numbers of any size) or refuses it (NaN, 1e400, a lone surrogate, control characters), and
the careful path then decides. Where the two could differ, the fast loop does not ask it:

- a line that is not ASCII (msgspec does not check the UTF-8 of a field it skips);
- a line over ``fast_line_limit`` bytes: only a longer one can nest deep enough to hit the
  stdlib's recursion limit, or hold an integer over ``sys.get_int_max_str_digits()``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import msgspec

from examday.facts.log_analysis.settings import LogSettings

_FAST_LINE_BYTES = 1024  # a platform request.end line is ~330 bytes; nesting stays under 512 levels


def fast_line_limit(settings: LogSettings) -> int:
    """The longest line the fast loop decodes itself (never over ``max_line_bytes``)."""
    digits = sys.get_int_max_str_digits()  # 0: no limit; otherwise at least 640
    return min(_FAST_LINE_BYTES, settings.max_line_bytes, digits or _FAST_LINE_BYTES)


def end_fields_reader(settings: LogSettings) -> Callable[[bytes], Any]:
    """line -> a struct; ``astuple`` of it: (event, latency, status, path, route, method, request_id,
    sampled, timestamp).

    Raises unless the line is a JSON object whose event, path, route and method are strings, its
    status an int and its first latency field an int or a float (checked in C, not per field in
    Python); request_id, sampled and timestamp may be anything, None when absent.
    """
    names = (settings.event_field, settings.latency_fields[0], settings.status_field, settings.path_field,
             settings.route_field, settings.method_field, settings.request_id_field, settings.sampled_field,
             settings.timestamp_field)
    if len(set(names)) < len(names):  # two settings name one field: no fast reading, every line is careful
        return _refuse
    types: list[Any] = [str, int | float, int, str, str, str, Any, Any, Any]
    attributes = [f"f{index}" for index in range(len(names))]  # any JSON key, even one Python cannot spell
    # The typed ones are required (absent or null: refused); the others default to None.
    fields = [(attribute, kind) if kind is not Any else (attribute, kind, None)
              for attribute, kind in zip(attributes, types, strict=True)]
    # gc=False: a struct of plain values cannot be in a cycle, and is not tracked (one per line).
    struct = msgspec.defstruct("EndFields", fields, rename=dict(zip(attributes, names, strict=True)), gc=False)
    return msgspec.json.Decoder(struct).decode


def _refuse(line: bytes) -> Any:
    raise ValueError("no fast reading with these settings")
