"""The record of a checklist run: model, verdict, renderers, manifest, signatures, archive.

Data flows one way: the pytest plugin (examday.plugin.recording) builds a
`RunRecord`; `archive.write_record` renders it into a folder (checklist.html,
pytest-report.html, junit.xml, results.json, VERIFY.txt), hashes every file into
SHA256SUMS and signs that. `verify.check_record` reads a folder back.
"""

from examday.report.model import ItemRecord, RunRecord
from examday.report.verdict import Verdict

__all__ = ["ItemRecord", "RunRecord", "Verdict"]
