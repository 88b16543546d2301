"""docs/configuration.md's table, checked as the site renders it, against the declarations in _config.py.

The page is rendered with Python-Markdown and the ``tables`` extension, as mkdocs renders it
(mkdocs.yml); each row must keep its four columns and show the typed default the code uses. The
source rows are also split as GitHub splits them (every unescaped ``|`` ends a cell, code spans
included), so the page reads the same on both.

``python -m tests.unit.test_config_docs`` rewrites the table from the declarations.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest

from lambda_otel_lite import _config

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"
HEADER = ["variable", "values", "default", "effect"]
TABLE = [var for var in _config.ENV_VARS if var.kind in _config.TABLE_KINDS]


class _Tables(HTMLParser):
    """The text of every cell of every table of an HTML page: tables -> rows -> cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rendered_table(page: str) -> list[list[str]]:
    """The configuration table of *page* as the site renders it: the header row, then one row per variable."""
    parser = _Tables()
    parser.feed(markdown.markdown(page, extensions=["tables"]))
    (table,) = [table for table in parser.tables if table and table[0] == HEADER]
    return table


def source_rows(page: str) -> list[list[str]]:
    """The table's source rows split as GitHub splits them: on every ``|`` not escaped by a backslash."""
    rows = []
    for line in page.splitlines():
        if not line.startswith("|"):
            continue
        cells, cell, escaped = [], "", False
        for char in line.strip()[1:]:
            if char == "|" and not escaped:
                cells.append(cell.strip())
                cell = ""
            else:
                cell += char
            escaped = char == "\\" and not escaped
        rows.append(cells)
    return rows


def test_every_source_row_has_as_many_cells_as_the_header() -> None:
    rows = source_rows(PAGE.read_text())
    assert rows[0] == HEADER
    assert [(row[0], len(row)) for row in rows if len(row) != len(HEADER)] == []
    assert len(rows) == 2 + len(TABLE)  # header, delimiter row, one row per variable


def test_the_rendered_table_lists_the_declared_variables_in_order_with_their_values() -> None:
    rows = rendered_table(PAGE.read_text())[1:]
    assert [row[:2] for row in rows] == [[var.name, var.values] for var in TABLE]
    assert [row[0] for row in rows if not row[3]] == []  # every row says what its variable does


def test_each_rendered_default_is_the_typed_default_the_code_uses() -> None:
    rows = rendered_table(PAGE.read_text())[1:]
    assert {row[0]: row[2] for row in rows} == {var.name: _config.render_value(var.default) for var in TABLE}


def test_no_rendered_cell_shows_an_escape() -> None:
    rows = rendered_table(PAGE.read_text())
    assert [cell for row in rows for cell in row if "\\" in cell] == []


@pytest.mark.parametrize("var", _config.ALL_ENV_VARS, ids=lambda var: var.name)
def test_a_default_as_the_docs_show_it_parses_back_to_the_default(var: _config.EnvVar[object]) -> None:
    """What the default cell shows is a value: set, it gives what unset gives."""
    assert var.parse(var.default_text) == var.default


def test_the_page_holds_the_generated_table() -> None:
    assert _config.markdown_table() in PAGE.read_text(), "run: python -m tests.unit.test_config_docs"


def test_a_pipe_in_a_value_is_escaped_and_a_pipe_in_a_code_span_is_refused() -> None:
    assert _config._cell("a | b") == "a \\| b"
    with pytest.raises(ValueError, match="code span"):
        _config._cell("`a|b`")


def test_the_variables_left_out_of_the_table_are_documented_where_they_belong() -> None:
    local = (ROOT / "docs" / "local.md").read_text()
    assert [var.name for var in _config.ENV_VARS if var.kind is _config.Kind.CLI and var.name not in local] == []
    left_out = [var for var in _config.ALL_ENV_VARS if var.kind not in _config.TABLE_KINDS]
    assert {var.kind for var in left_out} == {_config.Kind.CLI, _config.Kind.INTERNAL}
    assert [var.name for var in left_out if var.name not in PAGE.read_text()] == []  # named below the table


def rewrite() -> None:
    """Put the table generated from the declarations into the page, in place of the one there."""
    lines = PAGE.read_text().splitlines(keepends=True)
    start = next(index for index, line in enumerate(lines) if line.startswith("| variable |"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    PAGE.write_text("".join(lines[:start]) + _config.markdown_table() + "".join(lines[end:]))


if __name__ == "__main__":
    rewrite()
    sys.stdout.write(f"rewrote the table of {PAGE.relative_to(ROOT)}\n")
