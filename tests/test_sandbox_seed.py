"""The sandbox seeds its students with a random password: one that begins with "-" must reach the seed
as a value (it broke a fresh clone's `examday sandbox up` once: token_urlsafe draws "-" 1 time in 64)."""

from __future__ import annotations

import argparse
import json
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.state import SandboxState


class RecordingPlatform:
    """Stands in for the running platform: keeps the argv of the one exec the seed makes."""

    def __init__(self) -> None:
        self.argv: list[str] = []

    def exec_checked(self, service: str, argv: list[str]) -> str:
        self.argv = argv
        return json.dumps({"students": 1}) + "\n"


def seed_parser() -> argparse.ArgumentParser:
    """The options of sandbox/backend/app/seed.py's own parser (its module needs the backend's packages)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int)
    parser.add_argument("--password", required=True)
    parser.add_argument("--operator-password", required=True)
    return parser


def test_a_password_beginning_with_a_dash_reaches_the_seed_as_a_value(monkeypatch) -> None:
    monkeypatch.setattr(SandboxState, "credentials",
                        lambda self: {"student_password": "-Hw1x", "operator_password": "--op"})
    platform = RecordingPlatform()
    Sandbox.open().seed(platform)  # type: ignore[arg-type]
    assert platform.argv[:3] == ["python", "-m", "app.seed"]
    args = seed_parser().parse_args(platform.argv[3:])
    assert (args.password, args.operator_password) == ("-Hw1x", "--op")
