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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return list(getattr(file_model.model_validate(data), key))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
        raise error(f"{path}: cannot read the {key} file: {problem}") from None
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise error(f"{path}: {where}: {first['msg']}. {hint}") from None


def newest_valid(statements: Sequence[S], item_id: str, moment: dt.datetime | None = None) -> S | None:
    """The newest statement about item_id that is valid at moment (now by default)."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    valid = [s for s in statements if s.item == item_id and s.valid_at(moment)]
    return max(valid, key=lambda s: s.at, default=None)
