"""The record of a run: collect every checklist item's result, apply waivers, write the record.

Per item, from the makereport hook: outcome (a setup error is "error"; a
fixture's deliberate pytest.fail, such as a missing attestation under
--strict-attestations, is "failed"), message, duration, redacted evidence and
the attestation that satisfied it. A failed item with a current waiver is
turned into pytest's xfail ("waived: ..."), so a GO WITH WAIVERS run exits 0.

At the end of the session, when any checklist item ran and --no-archive is not
given, the record is written (examday.report.archive) and one line names its
folder and the verdict. A NO-GO or an INCOMPLETE run always exits non-zero.

An item the target declares not applicable ([[not_applicable]] in its examday.toml,
current) is skipped before it runs and recorded as "not_applicable" with the
declaration; so is an item that ends with `checklist.not_applicable(reason)`. Any
other skip of an automated item is "skipped": not checked, and the run is INCOMPLETE.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from examday.checklist import NOT_APPLICABLE, PHASES, ItemMeta
from examday.config import ExamdayConfig, config_digest
from examday.facts.record_secrets import run_secrets
from examday.plugin import operator_name, record_places
from examday.plugin.attestation_fixtures import ATTESTATION_KEY
from examday.plugin.bundled import checklist_run
from examday.plugin.catalog import runbook_rank
from examday.plugin.evidence import evidence_of
from examday.plugin.failures import failure_message
from examday.plugin.fixtures import load_target_config
from examday.plugin.html_columns import HtmlColumns
from examday.plugin.items import meta_of, phases_of
from examday.plugin.terminal_summary import write_summary
from examday.plugin.triage import triage_of
from examday.report import pytest_html_report
from examday.report.archive import write_record
from examday.report.model import ItemRecord, RunRecord
from examday.report.provenance import examday_version, git_commit, host_name
from examday.report.redaction import Redactor
from examday.report.signing import SigningError
from examday.report.verdict import run_verdict, verdict_of
from examday.waivers import NotApplicable, Waiver, WaiverError, current_declaration, current_waiver, load_waivers

RECORDER_NAME = "examday-recorder"
DECLARATION_KEY = pytest.StashKey[NotApplicable]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("examday", "examday checklist")
    group.addoption("--no-archive", action="store_true", dest="examday_no_archive",
                    help="write no record under reports/ (examday's own tests use this)")
    group.addoption("--reports-dir", dest="examday_reports_dir", metavar="DIR",
                    help="where records are written (default: reports/ beside the target's examday.toml)")
    group.addoption("--sign-key", dest="examday_sign_key", metavar="PATH",
                    help=f"sign the record's SHA256SUMS with this SSH key (default: ${record_places.SIGN_KEY_ENV})")
    group.addoption("--waivers", dest="examday_waivers", metavar="FILE",
                    help="the waiver file (default: waivers/<exam id or target name>.toml beside examday.toml)")


def archiving(config: pytest.Config) -> bool:
    return not (config.getoption("examday_no_archive") or config.getoption("examday_catalog", default=False)
                or hasattr(config, "workerinput"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if archiving(config) and checklist_run(config):  # not in other projects' runs of this venv
        pytest_html_report.enable(config)  # before pytest-html's own pytest_configure, hence tryfirst
    config.pluginmanager.register(Recorder(config), RECORDER_NAME)
    config.pluginmanager.register(HtmlColumns(config), "examday-html-columns")


def pytest_unconfigure(config: pytest.Config) -> None:
    pytest_html_report.remove_temporary_folder(config)
    recorder = config.pluginmanager.get_plugin(RECORDER_NAME)
    if recorder is not None:
        recorder.discard_attachments()


@pytest.fixture
def record_attachment(pytestconfig: pytest.Config) -> Callable[[str], Path]:
    """`record_attachment("capture")`: a new folder whose files the run's record will include."""
    recorder: Recorder = pytestconfig.pluginmanager.get_plugin(RECORDER_NAME)
    return recorder.attachment_folder


@pytest.fixture
def record_redactor(pytestconfig: pytest.Config) -> Redactor:
    """The run's redactor, for items that write files of their own."""
    recorder: Recorder = pytestconfig.pluginmanager.get_plugin(RECORDER_NAME)
    return recorder.redactor()


class Recorder:
    """Collects the run's items and writes its record; one per pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started_at = dt.datetime.now(dt.timezone.utc)
        self.items: dict[str, ItemRecord] = {}
        self.order: dict[str, int] = {}
        self.waivers: list[Waiver] = []
        self.written: Path | None = None
        self.problem: str | None = None
        self._redactor: Redactor | None = None
        self._attachments: Path | None = None

    # --- before any item runs ---------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        selected = [node for node in session.items if meta_of(node) is not None]
        if not selected:
            return
        self.order = {node.nodeid: index for index, node in enumerate(selected)}
        self.waivers = self._load_waivers()
        key = self.sign_key()
        if key is not None and archiving(self.config) and not key.is_file():
            raise pytest.UsageError(f"--sign-key {key}: no such file. Give the path of an SSH private key "
                                    "(or of its .pub when the key is in ssh-agent).")

    def _load_waivers(self) -> list[Waiver]:
        try:
            return load_waivers(self.waiver_path())
        except WaiverError as error:
            raise pytest.UsageError(str(error)) from None

    def target(self) -> ExamdayConfig:
        return load_target_config(self.config)

    def waiver_path(self) -> Path:
        return record_places.waiver_path(self.config, self.target())

    def reports_dir(self) -> Path:
        return record_places.reports_dir(self.config, self.target())

    def sign_key(self) -> Path | None:
        return record_places.sign_key(self.config)

    def redactor(self) -> Redactor:
        """Built on first use: it reads the platform's container env through Docker (bounded)."""
        if self._redactor is None:
            self._redactor = Redactor(run_secrets(self.target()))
        return self._redactor

    def attachment_folder(self, name: str) -> Path:
        """A new, empty folder whose files go into the record under attachments/NAME/."""
        if self._attachments is None:
            self._attachments = Path(tempfile.mkdtemp(prefix="examday-attachments-"))
        folder = self._attachments / name
        if folder.exists():
            raise ValueError(f"attachment {name!r} already exists in this run")
        return folder

    def discard_attachments(self) -> None:
        if self._attachments is not None:
            shutil.rmtree(self._attachments, ignore_errors=True)

    # --- per item -------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """An item the target declares not applicable is not run at all (nothing is touched)."""
        meta = meta_of(item)
        declaration = current_declaration(self.target().not_applicable, meta.id) if meta else None
        if declaration is not None:
            item.stash[DECLARATION_KEY] = declaration
            pytest.skip(f"{NOT_APPLICABLE}{declaration.describe()}")

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
        report: pytest.TestReport = yield
        meta = meta_of(item)
        if meta is None:
            return report
        record = self.items.setdefault(item.nodeid, self._new_record(item, meta))
        record.duration_s += report.duration
        message = self._message(report, call)
        if report.when != "teardown" and report.failed:
            self._failed(item, report, call, record, message)
        elif report.when != "teardown" and report.skipped and record.outcome == "passed":
            self._skipped(item, record, message)
        elif report.when == "teardown":
            self._finish(item, report, record, message)
        if isinstance(report.longrepr, str):
            report.longrepr = self.redactor().text(report.longrepr)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._attach_properties(report, record, item)
        return report

    def _new_record(self, item: pytest.Item, meta: ItemMeta) -> ItemRecord:
        return ItemRecord(id=meta.id, title=meta.title, runbook=meta.runbook, phases=phases_of(item),
                          nodeid=item.nodeid, outcome="passed", remediation=meta.remediation,
                          impact=meta.impact.value, manual=meta.manual, references=list(meta.references))

    def _message(self, report: pytest.TestReport, call: pytest.CallInfo[None]) -> str:
        if report.skipped and isinstance(report.longrepr, tuple):
            return str(report.longrepr[2]).removeprefix("Skipped: ")
        if report.failed and call.excinfo is not None:
            return failure_message(call.excinfo)
        return ""

    def _skipped(self, item: pytest.Item, record: ItemRecord, message: str) -> None:
        """Not applicable (a reason the target declares), else not checked: the run is INCOMPLETE."""
        if message.startswith(NOT_APPLICABLE):
            record.outcome = "not_applicable"
            record.message = self.redactor().text(message.removeprefix(NOT_APPLICABLE))
            declaration = item.stash.get(DECLARATION_KEY, None)
            record.declaration = self.redactor().value(declaration.as_record()) if declaration else None
        else:
            record.outcome, record.message = "skipped", self.redactor().text(message)

    def _failed(self, item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None],
                record: ItemRecord, message: str) -> None:
        deliberate = call.excinfo is not None and call.excinfo.errisinstance(pytest.fail.Exception)
        record.outcome = "error" if report.when == "setup" and not deliberate else "failed"
        record.message = self.redactor().text(message)
        if record.outcome == "failed":
            self._waive_if_covered(report, record)

    def _waive_if_covered(self, report: pytest.TestReport, record: ItemRecord) -> None:
        waiver = current_waiver(self.waivers, record.id)
        if waiver is None:
            return
        record.outcome = "waived"
        record.waiver = self.redactor().value(waiver.as_record())
        # pytest's own xfail: not a failure for the exit code, shown as "x" with the reason.
        report.outcome = "skipped"
        report.wasxfail = self.redactor().text(waiver.describe())

    def _finish(self, item: pytest.Item, report: pytest.TestReport, record: ItemRecord, message: str) -> None:
        if report.failed and record.outcome in ("passed", "skipped", "not_applicable"):
            record.outcome, record.message = "error", self.redactor().text(f"teardown: {message}")
        record.evidence = self.redactor().value(evidence_of(item).as_dict())
        record.figures = {name: self.redactor().text(svg) for name, svg in evidence_of(item).figures.items()}
        record.attestation = self._attestation(item)
        found = triage_of(item)
        record.triage = self.redactor().value(found.as_record()) if found else None

    def _attestation(self, item: pytest.Item) -> dict[str, Any] | None:
        found = item.stash.get(ATTESTATION_KEY, None)
        return self.redactor().value(found.model_dump(mode="json", exclude_none=True)) if found else None

    def _attach_properties(self, report: pytest.TestReport, record: ItemRecord, item: pytest.Item) -> None:
        """Phase and redacted evidence for pytest's own --junitxml and for pytest-html's columns."""
        evidence = self.redactor().value(evidence_of(item).as_dict())
        properties = [("examday_phase", ",".join(record.phases)),
                      ("examday_evidence", json.dumps(evidence, sort_keys=True))]
        found = triage_of(item)
        if found is not None:
            properties.append(("examday_triage", json.dumps(self.redactor().value(found.as_record()), sort_keys=True)))
        report.user_properties.extend(properties)  # pytest-html reads the call's report
        item.user_properties.extend(properties)  # --junitxml reads the teardown's, made from the item's

    # --- the end -----------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):  # noqa: ANN201
        # A wrapper, innermost: runs after pytest-html (a trylast hook) has written its report.
        result = yield
        try:
            self._end_of_run(session)
        finally:
            pytest_html_report.forget_temporary_report(self.config)
        return result

    def _end_of_run(self, session: pytest.Session) -> None:
        if not self.items:
            return
        run = self.run_record()
        if archiving(self.config):
            self._archive(run, session)
        if run_verdict(run).blocks and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def run_record(self) -> RunRecord:
        cfg = self.target()
        exam = cfg.exam.model_dump(mode="json", include={"id", "title", "starts_at", "ends_at"}) if cfg.exam else None
        phases = sorted({p for r in self.items.values() for p in r.phases}, key=PHASES.index)
        return RunRecord(
            target_name=cfg.target.name, target_kind=cfg.target.kind,
            phase=self.config.getoption("markexpr") or "+".join(phases) or "all",
            operator=operator_name(self.config), started_at=self.started_at,
            ended_at=dt.datetime.now(dt.timezone.utc), examday_version=examday_version(),
            git_commit=git_commit(self.config.rootpath), config_digest=config_digest(cfg),
            config_name=cfg.source_path.name if cfg.source_path else "examday.toml", exam=exam,
            host=host_name(), strict_attestations=bool(self.config.getoption("examday_strict_attestations")),
            items=sorted(self.items.values(), key=self._runbook_order))

    def _runbook_order(self, record: ItemRecord) -> tuple[int, int, str, int]:
        selected = self.config.getoption("markexpr") or ""
        return (*runbook_rank(record.id, record.phases, selected), self.order.get(record.nodeid, 0))

    def _archive(self, run: RunRecord, session: pytest.Session) -> None:
        try:
            written = write_record(run, self.reports_dir(), self.redactor(),
                                   pytest_html=pytest_html_report.written_report(self.config),
                                   attachments=self._attachments,
                                   sign_key=self.sign_key(), signer=record_places.signer(self.sign_key(), run))
            self.written = written.path
        except SigningError as error:
            self.problem = f"the record was written unsigned: {error}. Sign it with `examday sign`."
        except OSError as error:
            self.problem = f"the record could not be written under {self.reports_dir()}: {error}"
        if self.problem and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.items:
            write_summary(terminalreporter, list(self.items.values()), self.run_record_verdict(), self.written,
                          self.problem)

    def run_record_verdict(self) -> str:
        strict = bool(self.config.getoption("examday_strict_attestations"))
        return verdict_of(self.items.values(), strict_attestations=strict).value
