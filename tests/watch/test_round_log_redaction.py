"""A watch round's pytest output reaches logs/ with every known secret masked, line by line."""

from __future__ import annotations

import io
import subprocess
import sys

from examday.report.redaction import Redactor
from examday.secret_rules import MASK
from examday.watch.rounds import _copy_redacted


def test_a_childs_output_is_copied_with_its_secrets_masked():
    secret = "s3cr3t-database-password"
    child = subprocess.Popen([sys.executable, "-c", f"print('E  connecting with {secret} failed'); "
                              "print('Authorization: Bearer abcdef0123456789'); print('caf\\u00e9 ok')"],
                             stdout=subprocess.PIPE)
    output = io.StringIO()
    _copy_redacted(child.stdout, output, Redactor([secret]))
    child.wait()
    assert output.getvalue().splitlines() == [f"E  connecting with {MASK} failed", f"Authorization: Bearer {MASK}",
                                              "café ok"]
