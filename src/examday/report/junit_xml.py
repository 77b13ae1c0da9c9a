"""junit.xml: the run for CI dashboards, with the evidence as properties.

Written from the RunRecord (already redacted) rather than by pytest's own
--junitxml, so it never sees a raw value and agrees with the other files. A
waived failure is a <skipped type="waived">: CI treats it as not failing, as
the verdict does. A not applicable item is a <skipped type="not_applicable">; a
plain <skipped> is an item not checked (the run is INCOMPLETE).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from examday.report.model import ItemRecord, RunRecord, iso_utc
from examday.report.verdict import run_verdict


def render_junit_xml(run: RunRecord) -> str:
    counts = run.counts()
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": f"examday {run.phase}",
        "tests": str(len(run.items)),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"] + counts["not_applicable"] + counts["waived"]),
        "time": f"{(run.ended_at - run.started_at).total_seconds():.3f}",
        "timestamp": iso_utc(run.started_at),
        "hostname": run.host or "unknown",
    })
    _properties(suite, [("verdict", run_verdict(run).value), ("target", run.target_name),
                        ("target_kind", run.target_kind), ("operator", run.operator),
                        ("exam", json.dumps(run.exam) if run.exam else ""),
                        ("examday_version", run.examday_version), ("git_commit", run.git_commit),
                        ("config_digest", run.config_digest)])
    for item in run.items:
        _testcase(suite, item)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _properties(parent: ET.Element, pairs: list[tuple[str, str]]) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in pairs:
        ET.SubElement(properties, "property", {"name": name, "value": value})


def _testcase(suite: ET.Element, item: ItemRecord) -> None:
    module, _, name = item.nodeid.rpartition("::")
    case = ET.SubElement(suite, "testcase", {
        "classname": module.replace("/", ".").removesuffix(".py"), "name": name, "time": f"{item.duration_s:.3f}"})
    pairs = [("examday_id", item.id), ("examday_phase", ",".join(item.phases)), ("examday_title", item.title),
             ("examday_outcome", item.outcome),
             ("examday_evidence", json.dumps(item.evidence, sort_keys=True, ensure_ascii=False))]
    if item.attestation:
        pairs.append(("examday_attestation", json.dumps(item.attestation, sort_keys=True, ensure_ascii=False)))
    if item.declaration:
        pairs.append(("examday_not_applicable", json.dumps(item.declaration, sort_keys=True, ensure_ascii=False)))
    if item.waiver:
        pairs.append(("examday_waiver", json.dumps(item.waiver, sort_keys=True, ensure_ascii=False)))
    _properties(case, pairs)
    detail = f"{item.message}\nremediation: {item.remediation}" if item.remediation else item.message
    if item.outcome == "failed":
        ET.SubElement(case, "failure", {"message": item.message}).text = detail
    elif item.outcome == "error":
        ET.SubElement(case, "error", {"message": item.message}).text = detail
    elif item.outcome == "skipped":
        ET.SubElement(case, "skipped", {"message": item.message})
    elif item.outcome == "not_applicable":
        ET.SubElement(case, "skipped", {"type": "not_applicable", "message": item.message})
    elif item.outcome == "waived":
        ET.SubElement(case, "skipped", {"type": "waived", "message": item.message}).text = detail
