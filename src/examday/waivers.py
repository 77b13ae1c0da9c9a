"""Waivers: a named person's decision to accept a failing item until a date (one file per exam).

    [[waiver]]
    item = "PRE-INF-03"
    by = "Dana Okafor"
    at = 2026-11-28T20:15:00Z
    justification = "Nightly backup moved to 02:00 for this week; manual dump taken at 19:00"
    evidence = { url = "https://tickets.example/OPS-123" }    # or { path = "...", sha256 = "..." }
    expires = 2026-11-30T00:00:00Z                               # required

A current waiver turns the item's failure into "waived" (verdict GO WITH
WAIVERS). It covers a failed check, not one that could not run (an error: the
platform's state is then unknown, and nobody can accept an unknown). An
expired waiver counts as missing. The default file is
waivers/<exam id or target name>.toml beside the target's examday.toml.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from examday.errors import ExamdayError
from examday.attestations import AttestationEvidence
from examday.checklist import ITEM_ID_PATTERN
from examday.signoff_files import load_statements, newest_valid


class WaiverError(ExamdayError):
    """The waiver file cannot be read or an entry is malformed: one message, file and entry named."""


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: str = Field(pattern=ITEM_ID_PATTERN)
    by: str = Field(min_length=1)
    at: AwareDatetime
    justification: str = Field(min_length=1)
    evidence: AttestationEvidence | None = None
    expires: AwareDatetime

    @model_validator(mode="after")
    def _expires_after_it_was_given(self) -> Waiver:
        if self.expires <= self.at:
            raise ValueError("expires must be after at")
        return self

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.at <= moment < self.expires

    def as_record(self) -> dict[str, Any]:
        """The waiver as the record shows it (ISO 8601 times)."""
        return self.model_dump(mode="json", exclude_none=True)

    def describe(self) -> str:
        return f"waived by {self.by}: {self.justification} (until {self.expires.isoformat()})"


class NotApplicable(Waiver):
    """The target's declaration that an item does not apply to it, in its examday.toml:

        [[not_applicable]]
        item = "PRE-INF-07"
        by = "Dana Okafor"
        at = 2026-11-28T20:15:00Z
        justification = "No staging environment for this platform; changes are tested in CI"
        expires = 2027-06-30T00:00:00Z

    The same shape as a waiver, for an item that is not checked at all (a waiver covers a check
    that ran and failed). A current declaration ends the item as not applicable before it runs;
    an expired one counts as missing, and the item runs again."""

    def describe(self) -> str:
        return (f"declared not applicable by {self.by}: {self.justification} "
                f"(until {self.expires.isoformat()})")


def current_declaration(declarations: list[NotApplicable], item_id: str,
                        moment: dt.datetime | None = None) -> NotApplicable | None:
    """The newest [[not_applicable]] entry of item_id valid at moment (now by default)."""
    return newest_valid(declarations, item_id, moment)


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waiver: list[Waiver] = Field(default_factory=list)


def load_waivers(path: Path) -> list[Waiver]:
    """Every waiver in the file ([] when the file does not exist)."""
    return load_statements(path, WaiverFile, "waiver", WaiverError,
                           "Each [[waiver]] needs item, by, at, justification and expires.")


def current_waiver(waivers: list[Waiver], item_id: str, moment: dt.datetime | None = None) -> Waiver | None:
    """The newest waiver of item_id valid at moment (now by default)."""
    return newest_valid(waivers, item_id, moment)
