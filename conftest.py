"""Thin on purpose: the checklist's machinery is the examday pytest plugin.

An installed examday has loaded it already (its pytest11 entry point is imported before any
conftest), so this asks for it only when it is not there (PYTEST_DISABLE_PLUGIN_AUTOLOAD, or a
venv installed before the entry point existed). Asking anyway would break one run: from another
folder, `pytest --target x.toml` collects this repository's checks/ as the bundled checklist (an
editable install), pytest meets this file after start-up, and refuses `pytest_plugins` there.
"""

import sys

if "examday.plugin" not in sys.modules:
    pytest_plugins = ["examday.plugin"]
