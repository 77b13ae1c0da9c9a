"""Turn pydantic's validation errors into one message an operator can act on.

The message names the file, the dotted key, what was found, what is expected
and what to do. Values of unknown keys and of anything secret-looking are
never echoed: a misplaced password must not end up in a terminal log.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from examday.config.errors import ConfigError
from examday.text import printable

_MAX_FOUND_CHARS = 60

_EXPECTED_BY_TYPE = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "finite_number": "a finite number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string in quotes",
    "list_type": 'a list, e.g. ["a", "b"]',
    "dict_type": "a table ([section] or { key = value })",
    "model_type": "a table ([section] or { key = value })",
    "model_attributes_type": "a table ([section] or { key = value })",
    "path_type": "a path in quotes",
    "timezone_aware": "a date-time with a UTC offset, e.g. 2026-06-01T09:00:00+02:00",
    "datetime_type": "a date-time with a UTC offset, e.g. 2026-06-01T09:00:00+02:00",
    "datetime_parsing": "a date-time with a UTC offset, e.g. 2026-06-01T09:00:00+02:00",
    "datetime_from_date_parsing": "a date-time with a UTC offset, e.g. 2026-06-01T09:00:00+02:00",
}

_BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# pydantic's place for "the key of this table entry is invalid": the key itself already names it.
_DICT_KEY_MARKER = "[key]"


def config_error_from_validation(error: ValidationError, path: Path, root: type[BaseModel]) -> ConfigError:
    """One ConfigError for a ValidationError: the first problem in full, the others by key."""
    problems = error.errors(include_url=False)
    first = problems[0]
    key = _dotted_key(first)
    message = f"{path}: {_describe(first, key, root)}"
    others = sorted({_dotted_key(problem) for problem in problems[1:]} - {key})
    if others:
        message += f" (also check: {', '.join(others)})"
    return ConfigError(message, path=path, key=key)


def _describe(problem: ErrorDetails, key: str, root: type[BaseModel]) -> str:
    kind = problem["type"]
    context: dict[str, Any] = dict(problem.get("ctx") or {})
    if kind == "extra_forbidden":
        return _unknown_key(problem, key, root)
    if kind == "missing":
        section = key.rpartition(".")[0]
        where = f"[{section}]" if section else "the file"
        return f"{key} is missing; it is required. Add it to {where}."
    found = _found(problem.get("input"), key)
    if kind == "examday_invalid":
        problem_text = problem["msg"].replace("{found}", found)
        return f"{key}: {problem_text}; expected {context['expected']}. {context['hint']}"
    if kind == "value_error":  # a validator's own ValueError: its text is the reason
        return f"{key}: found {found}, but {context.get('error', problem['msg'])}. Fix the value."
    return f"{key}: found {found}; expected {_expected(kind, context, problem['msg'])}. Fix the value."


def _unknown_key(problem: ErrorDetails, key: str, root: type[BaseModel]) -> str:
    parent_loc, name = problem["loc"][:-1], str(problem["loc"][-1])
    model = _model_at(root, parent_loc)
    allowed = sorted(model.model_fields) if model else []
    section = _join(parent_loc)
    if f"{name}_env" in allowed:
        return (
            f"{key}: secrets never live in the config file; expected {name}_env (the name of an "
            f"environment variable holding it) or {name}_file (a file holding it). "
            f"Remove {name} and use {name}_env or {name}_file."
        )
    where = f"[{section}]" if section else "the top level"
    return (
        f"{key}: unknown key; expected one of the keys allowed in {where}: {', '.join(allowed)}. "
        "Remove it or fix its spelling."
    )


def _expected(kind: str, context: dict[str, Any], pydantic_message: str) -> str:
    if kind in _EXPECTED_BY_TYPE:
        return _EXPECTED_BY_TYPE[kind]
    if kind == "literal_error":
        return f"one of {context.get('expected')}"
    for bound, sign in _BOUNDS.items():
        if bound in context and kind.startswith(("greater", "less")):
            return f"a number {sign} {context[bound]}"
    if kind == "too_short":
        return f"at least {context.get('min_length')} item(s)"
    if kind == "too_long":
        return f"at most {context.get('max_length')} item(s)"
    return pydantic_message[0].lower() + pydantic_message[1:]


def _found(value: Any, key: str) -> str:
    if any(word in key.lower() for word in ("password", "secret", "token")) and not key.endswith(("_env", "_file")):
        return "a value (not shown: it may be secret)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"{value} (a number)"
    if isinstance(value, str):
        shown = value if len(value) <= _MAX_FOUND_CHARS else value[: _MAX_FOUND_CHARS - 3] + "..."
        return f'"{printable(shown)}" (a string)'
    if isinstance(value, dt.datetime):
        zone = "with" if value.tzinfo else "without"
        return f"{value.isoformat()} ({zone} a UTC offset)"
    if isinstance(value, (dt.date, dt.time)):
        return f"{value.isoformat()} (a {type(value).__name__})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _dotted_key(problem: ErrorDetails) -> str:
    loc = list(problem["loc"])
    sub_key = (problem.get("ctx") or {}).get("key")
    if sub_key:
        loc.extend(str(sub_key).split("."))
    return _join(loc)


def _join(loc: tuple[Any, ...] | list[Any]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part != _DICT_KEY_MARKER:
            text = str(part)
            # TOML quotes keys that are not bare (resolve."api.exam.localhost"): so do we.
            text = text if _BARE_KEY.fullmatch(text) else f'"{printable(text)}"'
            key = f"{key}.{text}" if key else text
    return key


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class found by walking ``loc`` from ``model`` (for listing allowed keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        current = _model_in(current.model_fields[part].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X | None``, ``list[X]`` or ``Annotated[X, ...]``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
