"""A pytest plugin for examday's own tests (`-p tests.checks.connection_counter`): counts the database
connections a checklist run opens and writes the count to $EXAMDAY_TEST_CONNECTIONS_FILE at the end."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
import pytest

_opened: list[str] = []
_real_connect = psycopg.connect


def _counting_connect(*args: Any, **kwargs: Any) -> Any:
    _opened.append(str(kwargs.get("application_name", "?")))
    return _real_connect(*args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    psycopg.connect = _counting_connect  # type: ignore[assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    psycopg.connect = _real_connect  # type: ignore[assignment]
    Path(os.environ["EXAMDAY_TEST_CONNECTIONS_FILE"]).write_text("\n".join(_opened))
