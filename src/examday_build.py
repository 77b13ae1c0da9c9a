"""The build step that puts the checklist into the wheel (build-time only: not part of the package).

The checklist lives at the repository's top, in checks/ (what operators read and edit), not under
src/examday/, so setuptools would leave it out. This build_py copies checks/*.py and
checks/sql/*.sql into the wheel as examday/_checklist/, where examday.checklist_files finds it; an
editable install copies nothing and finds the repository's checks/ instead. pyproject.toml names
this class in [tool.setuptools.cmdclass].
"""

from __future__ import annotations

from pathlib import Path

from setuptools.command.build_py import build_py

SOURCE = Path("checks")  # setuptools runs the build from the project's folder
PACKAGED = Path("examday", "_checklist")  # keep in step with examday.checklist_files.PACKAGED_NAME
PATTERNS = ("*.py", "sql/*.sql")


def checklist_files() -> list[Path]:
    """The checklist's files, relative to the project; none is a broken tree, not an empty plugin."""
    files = sorted(path for pattern in PATTERNS for path in SOURCE.glob(pattern))
    if not any(path.suffix == ".py" for path in files):
        raise SystemExit(f"examday build: no checklist in {SOURCE.absolute()}/ (build from the repository "
                         "or its sdist)")
    return files


class BuildPy(build_py):
    """build_py, plus the checklist copied into the build's examday package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the editable install reads the repository's checks/ in place
            return
        for source in checklist_files():
            target = Path(self.build_lib) / PACKAGED / source.relative_to(SOURCE)
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))

    def get_source_files(self) -> list[str]:
        # What sdist ships: without the checklist and this file, a wheel built from the sdist fails.
        return [*super().get_source_files(), *map(str, checklist_files()), "src/examday_build.py"]
