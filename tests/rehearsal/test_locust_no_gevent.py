"""gevent monkey-patches the standard library: it must never enter the examday/pytest process. The
Locust master and workers are children; examday's own modules, the Locust engine's examday side
included, import no gevent (nor locust)."""

from __future__ import annotations

import subprocess
import sys

MODULES = ["examday.plugin", "examday.plugin.rehearsal", "examday.rehearsal.drill", "examday.rehearsal.faults",
           "examday.rehearsal.locust", "examday.rehearsal.locust.engine", "examday.rehearsal.locust.job",
           "examday.rehearsal.locust.second_stats", "examday.cli.main", "examday.cli.rehearse",
           "examday.cli.locust_worker"]


def test_importing_examday_does_not_import_gevent():
    code = (f"import importlib, sys\nfor name in {MODULES!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('gevent', 'locust', 'greenlet')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout
