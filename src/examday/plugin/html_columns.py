"""pytest-html's report of a checklist run: its title, and the item ID, phase and evidence columns."""

from __future__ import annotations

from typing import Any

import pytest

from examday.report import pytest_html_report


class HtmlColumns:
    """Registered beside the Recorder; pytest-html calls these only when it is installed and on."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = f"examday {self.config.getoption('markexpr') or 'checklist'} run (pytest-html)"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        pytest_html_report.add_header_cells(cells)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        pytest_html_report.add_row_cells(getattr(report, "user_properties", []), cells)  # collect reports have none
