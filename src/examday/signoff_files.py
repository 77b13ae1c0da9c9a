"""What attestation and waiver files share: TOML lists of dated statements by people.

Each entry names an item, who and when, and may expire; the newest entry valid
now is the one that counts. Reading a file gives every entry or one clear error
naming the file and the entry.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from examday.text import printable


class Statement(Protocol):
    item: str
    at: dt.datetime

    def valid_at(self, moment: dt.datetime) -> bool: ...


S = TypeVar("S", bound=Statement)


def load_statements(path: Path, file_model: type[BaseModel], key: str, error: type[Exception],
                    hint: str) -> list:  # noqa: ANN401 - the file model's entry type
    """The entries under `key` ([[key]] tables); [] when the file does not exist yet."""
    if not path.exists():
        return []
    try:
        # utf-8-sig: these files are written by hand too, and Windows editors start them with a byte-order mark.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        return list(getattr(file_model.model_validate(data), key))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
        raise error(f"{path}: cannot read the {key} file: {problem}") from None
    except RecursionError:  # tomllib descends once per level of nesting
        raise error(f"{path}: cannot read the {key} file: arrays or tables nested too deeply. {hint}") from None
    except ValidationError as problem:
        raise error(f"{path}: {first_problem(problem)}. {hint}") from None


def first_problem(problem: ValidationError) -> str:
    """The first problem as ``place: what is wrong`` (``attestation.0.by: String should have...``)."""
    first = problem.errors(include_url=False)[0]
    where = ".".join(printable(str(part)) for part in first["loc"])  # a key may hold a newline
    return f"{where}: {first['msg']}" if where else first["msg"]


def newest_valid(statements: Sequence[S], item_id: str, moment: dt.datetime | None = None) -> S | None:
    """The newest statement about item_id that is valid at moment (now by default)."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    valid = [s for s in statements if s.item == item_id and s.valid_at(moment)]
    return max(valid, key=lambda s: s.at, default=None)
