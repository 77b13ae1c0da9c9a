"""Data-integrity invariants: one .sql file each in checks/sql/, a query returning the violating rows.

The first comment line of a file says what the invariant forbids; operators add
an invariant by adding a file. Queries run through the read-only session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[3] / "checks" / "sql"
ROWS_SHOWN = 20


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    sql: str

    @classmethod
    def from_file(cls, path: Path) -> "Invariant":
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        description = first[2:].strip() if first.startswith("--") else path.stem.replace("_", " ")
        return cls(path.stem, description, text)


def load_invariants(directory: Path = SQL_DIR) -> list[Invariant]:
    return [Invariant.from_file(path) for path in sorted(directory.glob("*.sql"))]
