"""The fast loop (LogAnalyzer.feed_all, feed_blocks) and its field decoder (log_analysis/end_fields.py)
against the careful path.

The careful path (``_feed_careful``: the stdlib's JSON scanner and the general rules) is the reference:
on a varied generated log, every figure of the summary and of its evidence must be the same. For
``feed_blocks`` the reference is the careful path over the lines of the same bytes read as a binary file.
"""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import astuple

from examday.facts.log_analysis import BLOCK_BYTES, LogAnalyzer, LogSettings
from examday.facts.log_analysis.blocks import split_blocks
from examday.facts.log_analysis.end_fields import end_fields_reader, fast_line_limit
from examday.facts.log_analysis.fields import _decode_object
from tests.facts.test_log_analysis import T0, slow_sql_line

ROUTES = ["/v1/sessions/{session_id}/answer", "/v1/sessions/{session_id}", "/v1/exams/{exam_id}", "/v1/auth/login"]
SAMPLED = ["/health", "/metrics", "/v1/health", "/"]
NAMES = ("event", "duration_ms", "status_code", "path", "route", "method", "request_id", "sampled", "timestamp")


def _end_event(rng: random.Random, moment: str) -> dict[str, Any]:
    route = rng.choice(ROUTES)
    event: dict[str, Any] = {"request_id": f"{rng.getrandbits(64):016x}", "method": rng.choice(["GET", "POST"]),
                             "path": route.replace("{", "").replace("}", ""), "route": route,
                             "status_code": rng.choice([200, 200, 200, 201, 304, 404, 429, 500, 503]),
                             "duration_ms": int(rng.lognormvariate(2.5, 1.0)), "db_query_count": 1, "db_total_ms": 0}
    if rng.random() < 0.1:
        event["path"] = event["route"] = rng.choice(SAMPLED)
    if rng.random() < 0.2:
        event.update(user_id="0b6f4c1e", user_role="STUDENT")
    if event["duration_ms"] > 500:
        event["severity"] = "warn"
    event.update({"event": "request.end", "level": "info", "timestamp": moment})
    return event


def _odd(rng: random.Random, event: dict[str, Any]) -> dict[str, Any] | str:
    """One of the shapes the fast loop must hand to the careful path, or read just as it does."""
    kind = rng.randrange(16)
    if kind == 0:
        event["total_ms"] = event.pop("duration_ms")  # the runbook era's name
    elif kind == 1:
        event["status_code"] = None  # crashed
    elif kind == 2:
        event["duration_ms"] = rng.choice([12.5, 40.0, "35", "7.25", None, -1, True, 10**20])
    elif kind == 3:
        event["status_code"] = rng.choice(["200", 200.0, 99, 600, True])
    elif kind == 4:
        event["sampled"] = rng.choice([True, False, None, "true"])
    elif kind == 5:
        event["path"] = rng.choice(["/health?full=1", "/v1/x?y=1", "/v1/é", "?"])
    elif kind == 6:
        event["route"] = rng.choice([None, "", "/v1/x?y=1", "/v1/é", 7])
    elif kind == 7:
        event["method"] = rng.choice(["", None, "get"])
    elif kind == 8:
        event = dict(reversed(list(event.items())))  # another key order
    elif kind == 9:
        return json.dumps(event, separators=(",", ":"))  # no spaces
    elif kind == 10:
        return json.dumps(event, indent=None).replace(": ", " :  ")  # odd whitespace
    elif kind == 11:
        return json.dumps(event, ensure_ascii=False).replace("/v1/", "/v1/ü/")  # raw UTF-8
    elif kind == 12:
        return json.dumps(event).replace('"status_code"', '"st\\u0061tus_code"')  # an escaped key
    elif kind == 13:
        return json.dumps(event) + ' {"status_code": 500}'  # data after the object
    elif kind == 14:
        text = json.dumps(event)
        return text[: rng.randrange(1, len(text))]  # cut
    else:
        event["duration_ms"] = rng.choice([501, 1600, 4000])  # slow and very slow
    return event


def generated_log(seed: int, lines: int) -> list[str]:
    """A platform log with every odd shape now and then: request pairs, sampled lines, slow_sql,
    other events, uvicorn's lines, tracebacks, cut lines, blank lines, unicode."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < lines:
        moment = (T0 + timedelta(milliseconds=len(out))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        roll = rng.random()
        if roll < 0.03:
            out.append(rng.choice(['INFO:     172.18.0.7:1 - "GET /v1/x HTTP/1.1" 200 OK', "ERROR:    boom", "", "   ",
                                   "Traceback (most recent call last):", '  File "x.py", line 1', "ValueError: x"]))
        elif roll < 0.05:
            out.append(slow_sql_line(rng.choice([120.5, 350, 99]), "SELECT * FROM t WHERE id = 'x'", timestamp=moment))
        elif roll < 0.08:
            level = rng.choice(["info", "info", "warning", "error"])
            out.append(json.dumps({"event": rng.choice(["answer.saved", "cache.miss"]), "level": level,
                                   "note": rng.choice(["", 'mentions "request.end"', "é"]), "timestamp": moment}))
        else:
            start = {"request_id": "r", "method": "GET", "path": "/v1/x", "route": None, "event": "request.start",
                     "level": "info", "timestamp": moment}
            out.append(json.dumps(start))
            event: dict[str, Any] | str = _end_event(rng, moment)
            if rng.random() < 0.15:
                event = _odd(rng, event)  # type: ignore[arg-type]
            out.append(event if isinstance(event, str) else json.dumps(event))
    return out[:lines]


def _counting_handovers(fast: Any) -> tuple[Any, list[int]]:
    """``fast``, with each line its fast loop hands to the careful path counted in the one-item list."""
    handed = [0]
    careful_line = fast._careful_line

    def counting(line: Any) -> None:
        handed[0] += 1
        careful_line(line)

    fast._careful_line = counting
    return fast, handed


def _both(lines: list[Any], **options: Any) -> tuple[Any, Any, int]:
    """Both paths' summaries, and how many lines the fast loop handed to the careful one."""
    fast, handed = _counting_handovers(LogAnalyzer(**options))
    return fast.feed_all(lines).summary(), LogAnalyzer(**options)._feed_careful(lines).summary(), handed[0]


@pytest.mark.parametrize("form", ["bytes from a file", "str as docker gives them"])
@pytest.mark.parametrize("windowed", [False, True])
def test_fast_and_careful_agree_on_every_figure_of_a_generated_log(form: str, windowed: bool) -> None:
    text = generated_log(seed=18, lines=20_000)
    lines: list[Any] = [(line + "\n").encode() for line in text] if form.startswith("bytes") else text
    since = T0 + timedelta(seconds=1) if windowed else None  # a twentieth of the log before it
    fast, careful, handed = _both(lines, since=since)
    assert fast == careful
    assert json.dumps(fast.as_evidence()) == json.dumps(careful.as_evidence())  # 40 and 40.0 differ here
    assert fast.requests > 5000 and fast.sampled_requests and fast.slow_sql and fast.crashed
    assert sum(fast.skipped.values()) and fast.error_lines and fast.tracebacks and fast.outside_window == (
        careful.outside_window)
    assert handed < len(lines) * 0.2  # the fast loop did decide most lines itself


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(generated_log(seed=7, lines=3000)), min_size=1, max_size=80), st.booleans())
def test_fast_and_careful_agree_on_any_mix_of_those_lines(lines: list[str], as_bytes: bool) -> None:
    fed: list[Any] = [line.encode("utf-8", "surrogatepass") for line in lines] if as_bytes else lines
    fast, careful, _ = _both(fed)
    assert fast == careful
    assert json.dumps(fast.as_evidence()) == json.dumps(careful.as_evidence())


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), _values), st.lists(
    st.tuples(st.integers(0, 300), st.sampled_from(list('{}[]",:.-+eE0123456789 \\\t\nNaIfinty'))), max_size=3))
def test_the_decoder_reads_what_the_stdlib_reads_or_refuses(fields: dict[str, Any],
                                                            edits: list[tuple[int, str]]) -> None:
    text = json.dumps({"event": "request.end", **fields})
    for position, char in edits:  # mutated: the decoder must never read a line otherwise than the stdlib
        position %= len(text) + 1
        text = text[:position] + char + text[position + 1 :]
    decode = end_fields_reader(LogSettings.from_config())
    line = text.encode()
    if not line.isascii() or len(line) > fast_line_limit(LogSettings.from_config()):
        return  # never decoded: the fast loop hands such a line on
    try:
        decoded = astuple(decode(line))
    except Exception:  # noqa: BLE001 - refused: the careful path decides
        return
    expected = _decode_object(text)
    assert type(expected) is dict
    assert json.dumps(decoded) == json.dumps([expected.get(name) for name in NAMES])
    assert [type(value) for value in decoded] == [type(expected.get(name)) for name in NAMES]


def test_the_fast_loop_hands_on_what_only_the_stdlib_reads() -> None:
    deep = '{"event": "request.end", "x": ' + "[" * 600 + "]" * 600 + ', "status_code": 200, "duration_ms": 1, ' \
           '"path": "/v1/x", "route": "/v1/x", "method": "GET"}'
    lone = deep.replace("[" * 600 + "]" * 600, '"\\ud800"')
    huge = deep.replace("[" * 600 + "]" * 600, "1" * 5000)
    nan = deep.replace("[" * 600 + "]" * 600, "NaN")
    lines = [deep, lone, huge, nan]
    fast, careful, handed = _both(lines)
    assert fast == careful and handed == len(lines)
    assert fast.requests == 3  # the stdlib reads all but the integer over its digit limit
    assert len(deep) > fast_line_limit(LogSettings.from_config())


def test_the_fast_line_limit_follows_a_lower_integer_digit_limit() -> None:
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        assert fast_line_limit(LogSettings.from_config()) == 640
    finally:
        sys.set_int_max_str_digits(previous)


def test_settings_naming_one_field_twice_leave_every_request_to_the_careful_path() -> None:
    import dataclasses

    same = dataclasses.replace(LogSettings.from_config(), route_field="path")
    lines = [json.dumps({"event": "request.end", "path": "/v1/x", "status_code": 200, "duration_ms": 5,
                         "method": "GET"})]
    fast, careful, handed = _both(lines, settings=same)
    assert fast == careful and handed == 1 and fast.requests == 1


# --- a log read in blocks of bytes (feed_blocks, log_analysis/blocks.py) ------------------------------

def _cut(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    """``data`` in blocks ending at the given offsets (any order, repeats allowed: empty blocks)."""
    start = 0
    for cut in sorted(min(max(cut, 0), len(data)) for cut in cuts):
        yield data[start:cut]
        start = cut
    yield data[start:]


def _blocks_and_file(data: bytes, cuts: list[int], **options: Any) -> tuple[Any, Any, int]:
    """feed_blocks over ``data`` cut at ``cuts``, the careful path over its lines as a binary file
    gives them, and how many lines feed_blocks handed to the careful path."""
    fast, handed = _counting_handovers(LogAnalyzer(**options))
    careful = LogAnalyzer(**options)._feed_careful(io.BytesIO(data)).summary()
    return fast.feed_blocks(_cut(data, cuts)).summary(), careful, handed[0]


def _agree(data: bytes, cuts: list[int], **options: Any) -> Any:
    fast, careful, handed = _blocks_and_file(data, cuts, **options)
    assert fast == careful
    assert json.dumps(fast.as_evidence()) == json.dumps(careful.as_evidence())
    assert fast.lines == data.count(b"\n") + (not data.endswith(b"\n") and data != b"")
    return fast, handed


@pytest.mark.parametrize("block", [BLOCK_BYTES, 4096, 97])
@pytest.mark.parametrize("windowed", [False, True])
def test_blocks_agree_with_the_careful_path_over_the_file_s_lines(block: int, windowed: bool) -> None:
    data = ("\n".join(generated_log(seed=18, lines=20_000)) + "\n").encode("utf-8", "surrogatepass")
    since = T0 + timedelta(seconds=1) if windowed else None
    fast, handed = _agree(data, list(range(block, len(data), block)), since=since)
    assert fast.requests > 5000 and fast.sampled_requests and fast.slow_sql and fast.crashed and fast.tracebacks
    assert handed < fast.lines * 0.2  # most lines decided by the fast loop


def test_a_line_split_across_two_blocks_at_every_offset() -> None:
    lines = [json.dumps(_end_event(random.Random(1), "2026-11-28T20:00:00Z")), start_line(), "INFO:     x"]
    data = ("\n".join(lines) + "\n").encode()
    for cut in range(len(data) + 1):  # inside a line, just before and just after its newline
        fast, _ = _agree(data, [cut])
        assert fast.requests == 1 and fast.other_lines == 1 and fast.skipped["non_json"] == 1


def test_one_odd_line_in_a_block_of_plain_ones() -> None:
    plain = [start_line(), json.dumps(_end_event(random.Random(2), "2026-11-28T20:00:00Z"))] * 50
    for odd in (b'{"event": "request.end", "path": "/v1/\xc3\xa9", "status_code": 200, "duration_ms": 5}',
                b"\xff\xfe not UTF-8", b'{"event": "request.end", "status_code": 500, "duration_ms": 5}', b"",
                b'{"event": "request.end", "status_code": 200, "duration_ms": 5.0, "path": "/v1/x"}'):
        lines = [line.encode() for line in plain]
        lines[37:37] = [odd]
        data = b"\n".join(lines) + b"\n"
        for cuts in ([], [len(data) // 2], [data.index(odd) + 1] if odd else []):  # é cut between its two bytes
            _agree(data, cuts)


def test_crlf_no_trailing_newline_and_empty_input() -> None:
    lines = [start_line(), json.dumps(_end_event(random.Random(3), "2026-11-28T20:00:00Z")), "INFO:     x", ""]
    crlf = "\r\n".join(lines).encode()
    fast, _ = _agree(crlf + b"\r\n", [5, 200])
    assert fast.requests == 1 and fast.other_lines == 1
    assert fast.lines == 4 and fast.skipped["empty"] == 1
    unterminated = "\r\n".join(lines[:3]).encode()  # the last line without its newline, cut one byte short
    fast, _ = _agree(unterminated, [len(unterminated) - 1])
    assert fast.lines == 3 and fast.skipped["non_json"] == 1
    assert LogAnalyzer().feed_blocks([]).summary() == LogAnalyzer()._feed_careful([]).summary()
    fast, _ = _agree(b"", [0, 0])
    assert fast.lines == 0 and fast.requests == 0
    _agree(b"\n\n", [1])  # two empty lines


def test_an_endless_line_is_held_only_as_far_as_it_is_oversized() -> None:
    max_line = LogSettings.from_config().max_line_bytes
    data = b'{"event": "request.end", "x": "' + b"a" * (3 * max_line) + b'"}\n' + start_line().encode() + b"\n"
    fast, _ = _agree(data, list(range(BLOCK_BYTES, len(data), BLOCK_BYTES)))
    assert fast.skipped["oversized"] == 1 and fast.other_lines == 1
    at_the_limit = b"x" * max_line + b"\n" + b"y" * (max_line - 1) + b"\n"  # its newline counts, as in a file
    fast, _ = _agree(at_the_limit, [max_line // 2, max_line + 10])
    assert fast.skipped["oversized"] == 1 and fast.skipped["non_json"] == 1
    import dataclasses

    end_line = json.dumps({**_end_event(random.Random(4), "2026-11-28T20:00:00Z"), "status_code": 200}).encode()
    tight = dataclasses.replace(LogSettings.from_config(), max_line_bytes=len(end_line))  # under the fast limit
    fast, _ = _agree(end_line + b"\n" + start_line().encode() + b"\n", [3], settings=tight)
    assert fast.skipped["oversized"] == 1 and fast.requests == 0 and fast.other_lines == 1
    fast, _ = _agree(end_line, [3], settings=tight)  # no newline after it: not oversized
    assert fast.requests == 1
    pieces = split_blocks(_cut(data, list(range(1000, len(data), 1000))), max_line)
    assert all(len(line) <= max_line + 1 + 1000 for _, lines in pieces for line in lines)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(generated_log(seed=7, lines=3000)), max_size=60),
       st.sampled_from(["\n", "\r\n"]), st.booleans(), st.lists(st.integers(0, 20_000), max_size=8))
def test_blocks_agree_on_any_mix_of_those_lines_cut_anywhere(lines: list[str], newline: str, last_newline: bool,
                                                            cuts: list[int]) -> None:
    data = (newline.join(lines) + (newline if last_newline and lines else "")).encode("utf-8", "surrogatepass")
    _agree(data, cuts)


def start_line() -> str:
    return json.dumps({"request_id": "r", "method": "GET", "path": "/v1/x", "route": None, "event": "request.start",
                       "level": "info", "timestamp": "2026-11-28T20:00:00Z"})
