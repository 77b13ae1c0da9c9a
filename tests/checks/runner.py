"""Run the checklist the way an operator does (a pytest subprocess) and read its outcome per item ID."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from examday.checklist import NOT_APPLICABLE
from examday.sandbox.layout import SandboxPaths
from examday.sandbox.state import SandboxState
from tests.seen_failing import saw_failing

REPO = Path(__file__).resolve().parents[2]
CANARY_MEMORY = REPO / "sandbox" / ".state" / "canary-memory.json"  # examday.toml's [canary] memory_file


def _is_path_key(key: str) -> bool:
    """Keys naming a file of the repository (secret files, the CA bundle, the exam's window)."""
    return key == "file" or key.endswith(("_file", "ca_bundle"))


@dataclass
class ItemResult:
    item_id: str
    name: str
    outcome: str  # passed | failed | skipped (not checked) | not_applicable | error
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0  # setup, call and teardown (junit's time)
    triage: dict[str, Any] | None = None  # a failed item's diagnostics (plugin/triage.py)


@dataclass
class ChecklistRun:
    exit_code: int
    seconds: float
    items: list[ItemResult]
    stdout: str

    def ids_with(self, outcome: str) -> set[str]:
        return {r.item_id for r in self.items if r.outcome == outcome}

    def by_id(self, item_id: str) -> list[ItemResult]:
        return [r for r in self.items if r.item_id == item_id]


def sandbox_config(tmp_path: Path, **section_overrides: dict[str, Any] | None) -> Path:
    """A copy of the repository's examday.toml with absolute paths and some keys replaced (None removes
    a key, or a whole section)."""
    data = tomllib.loads((REPO / "examday.toml").read_text())
    for values in data.values():
        for key in [k for k, v in values.items() if _is_path_key(k) and isinstance(v, str)]:
            values[key] = str(REPO / values[key])
    data["docker"]["compose_files"] = [str(REPO / f) for f in data["docker"]["compose_files"]]
    # The sandbox's flag cache as deployed now (examday's tests run it at 2 s, the platform at 10).
    data["exam_mode"]["cache_seconds"] = SandboxState(SandboxPaths.default()).flags_cache_seconds()
    for section, values in section_overrides.items():
        if values is None:  # None: remove the section
            data.pop(section, None)
            continue
        data.setdefault(section, {}).update(values)
        for key in [k for k, v in values.items() if v is None]:  # None: remove the key
            del data[section][key]
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "examday.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def run_checklist(marker: str, tmp_path: Path, *args: str, timeout: float = 300,
                  reports_dir: Path | None = None) -> ChecklistRun:
    """The phase as a subprocess; a record is written only when `reports_dir` is given."""
    junit = tmp_path / f"junit-{time.monotonic_ns()}.xml"
    record = ["--reports-dir", str(reports_dir)] if reports_dir else ["--no-archive"]
    argv = [sys.executable, "-m", "pytest", str(REPO / "checks"), "-m", marker, "-p", "no:cacheprovider",
            "-q", "--rootdir", str(REPO), f"--junitxml={junit}", "-o", "junit_family=xunit1", *record, *args]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    seconds = time.monotonic() - started
    items = _parse_junit(junit) if junit.exists() else []
    return ChecklistRun(done.returncode, seconds, items, done.stdout + done.stderr)


def failed_ids(run: ChecklistRun) -> set[str]:
    return run.ids_with("failed") | run.ids_with("error")


def fails_for(run: ChecklistRun, item_id: str, cause: str) -> ItemResult:
    """The item failed (or could not be checked) in `run`, its message naming `cause`; the
    ledger of items seen failing notes it (tests/seen_failing.py)."""
    failures = [r for r in run.by_id(item_id) if r.outcome in ("failed", "error")]
    assert failures, f"{item_id} did not fail: {[r.outcome for r in run.by_id(item_id)]}\n{run.stdout[-3000:]}"
    named = [r for r in failures if cause.lower() in r.message.lower()] or failures
    saw_failing(item_id, named[0].message, cause)
    return named[0]


def fails_exactly(run: ChecklistRun, causes: dict[str, str | None], may_also_fail: frozenset[str] = frozenset()) -> None:
    """Exactly these items failed; each with a cause is seen failing for it (None: a knock-on
    failure, e.g. an item that cannot sign in while Redis is down, not its own cause). Items in
    ``may_also_fail`` are knock-ons whose failure depends on timing (whether a request ended in the window)."""
    unexplained = failed_ids(run) - may_also_fail
    assert unexplained == set(causes), run.stdout[-4000:]
    for item_id, cause in causes.items():
        if cause is not None:
            fails_for(run, item_id, cause)


def verdict_of_run(run: ChecklistRun) -> str:
    """The verdict line the plugin prints ("examday ... verdict: GO")."""
    for line in reversed(run.stdout.splitlines()):
        if "verdict: " in line:
            return line.split("verdict: ", 1)[1].split(" (")[0].strip()
    return "?"


def checklist(phase: str, tmp_path: Path, baseline_dir: Path, window_minutes: float = 1.0,
              *args: str, **options: Any) -> ChecklistRun:
    """The phase against the sandbox, keeping baselines in `baseline_dir` (not the repository's reports/)."""
    config = sandbox_config(tmp_path, baseline={"dir": str(baseline_dir)},
                            logs={"window_minutes": window_minutes})
    return run_checklist(phase, tmp_path, f"--target={config}", *args, **options)


def _parse_junit(path: Path) -> list[ItemResult]:
    results = []
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
                # junit cuts the message attribute to its first lines; the element's text has the rest
                message = "\n".join(filter(None, [element.get("message"), element.text]))
                if tag == "skipped" and (element.get("message") or "").startswith(NOT_APPLICABLE):
                    outcome = "not_applicable"
                break
        evidence = json.loads(props.get("examday_evidence") or "{}")
        triage = json.loads(props["examday_triage"]) if props.get("examday_triage") else None
        results.append(ItemResult(props.get("examday_id", "?"), case.get("name", ""), outcome, message, evidence,
                                  float(case.get("time") or 0), triage))
    return results
