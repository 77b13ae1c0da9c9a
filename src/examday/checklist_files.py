"""Where the checklist examday ships is: the wheel's copy, else the repository's checks/.

A wheel built from this repository carries checks/*.py and checks/sql/*.sql as
examday/_checklist/ (the build step in src/examday_build.py). A checkout or an
editable install has no such copy: there the checklist is the repository's own
checks/, the one its operators read and edit. Everything that runs or reads the
bundled checklist (the pytest plugin, the CLI's pytest runs, the invariants'
SQL) asks here, so both installs behave the same.
"""

from __future__ import annotations

from pathlib import Path

from examday.errors import ExamdayError

PACKAGED_NAME = "_checklist"  # keep in step with src/examday_build.py
_PACKAGE = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE.parents[1]  # src/examday -> the repository, in a checkout


class ChecklistMissing(ExamdayError):
    """Neither the wheel's copy nor a checkout's checks/: an install built without its checklist."""


def checklist_dir() -> Path:
    """The folder of the bundled checklist's test files (with sql/ inside)."""
    for folder in (_PACKAGE / PACKAGED_NAME, _SOURCE_ROOT / "checks"):
        if folder.is_dir():
            return folder
    raise ChecklistMissing(f"examday's checklist is missing: neither {_PACKAGE / PACKAGED_NAME} nor "
                           f"{_SOURCE_ROOT / 'checks'} exists",
                           hint="reinstall examday from a wheel built from its repository (`pip wheel --no-deps .`)")


def sql_dir() -> Path:
    """The data-integrity invariants: one .sql file each."""
    return checklist_dir() / "sql"


def checklist_rootdir() -> Path:
    """pytest's rootdir (and working folder) for a run of the bundled checklist: the repository in a
    checkout, where its pyproject.toml's pytest settings apply; the checklist's own folder in a wheel."""
    folder = checklist_dir()
    return folder.parent if folder == _SOURCE_ROOT / "checks" else folder


def pytest_args() -> list[str]:
    """The bundled checklist as the head of a pytest command line (as the CLI's runs start)."""
    return [str(checklist_dir()), "--rootdir", str(checklist_rootdir())]
