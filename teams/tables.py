"""Tables shown on pages: one description renders as HTML (with drill-down links) and exports as CSV / XLSX.

Pages build `Table`s from rows the database already aggregated; `export_response` turns any of them
into a download (CSV in UTF-8 with a BOM so that Excel on Chinese Windows opens it; XLSX through
openpyxl), so every table on every page exports the very numbers it shows. Text cells that look like
formulas are neutralised exactly as the API's exports do.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.safestring import SafeString, mark_safe
from openpyxl import Workbook

from cases.api.exports import neutralise

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Column:
    """A column: its heading and whether it holds numbers (right-aligned)."""

    title: str
    numeric: bool = False
    help: str = ""  # what the heading means, shown as its tooltip (teams.glossary)


@dataclass
class Cell:
    """A value to export, the text to show (default: the value) and where it drills down to."""

    value: object
    text: str | None = None
    href: str | None = None

    @property
    def shown(self) -> str:
        if self.text is not None:
            return self.text
        return "—" if self.value is None else str(self.value)


@dataclass
class Table:
    """A titled table; `name` is its slug in `?export=<name>&format=csv|xlsx`."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[Cell] | None = None
    caption: str = ""
    keys: list = field(default_factory=list)  # the group key of each row, where rows are groups

    @property
    def body(self) -> list[list[tuple[Cell, bool]]]:
        """Rows with each cell's column numeric flag (for right alignment in HTML)."""
        flags = [c.numeric for c in self.columns]
        return [list(zip(row, flags, strict=False)) for row in self.rows]

    @property
    def footer_body(self) -> list[tuple[Cell, bool]]:
        return list(zip(self.footer or [], [c.numeric for c in self.columns], strict=False))

    @property
    def body_html(self) -> SafeString:
        """The body rows as HTML, each followed by the template's indentation.

        A dashboard shows a few thousand cells; writing them here instead of looping over them in the
        template costs a fraction of the time. The markup is the one `teams/_table.html` always had:
        the first cell a row header, numeric cells right-aligned, drill-downs as links, text escaped.
        """
        flags = [c.numeric for c in self.columns]
        return mark_safe("".join(_row_html(row, flags) + "\n    " for row in self.rows))

    @property
    def footer_html(self) -> SafeString:
        return mark_safe(_row_html(self.footer or [], [c.numeric for c in self.columns]))

    def matrix(self) -> list[list[object]]:
        """Header and rows (footer included) as plain values, as exported."""
        body = [[_plain(cell.value) for cell in row] for row in self.rows]
        if self.footer:
            body.append([_plain(cell.value) for cell in self.footer])
        return [[str(c.title) for c in self.columns], *body]


def _escaped(value: object) -> str:
    """`conditional_escape` without building a SafeString per cell (the same text)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _row_html(row: list[Cell], flags: list[bool]) -> str:
    parts = ["<tr>"]
    for i, (c, numeric) in enumerate(zip(row, flags, strict=False)):
        shown = _escaped(c.shown)
        if c.href:
            shown = f'<a href="{_escaped(c.href)}">{shown}</a>'
        if i == 0:
            parts.append(f'<th scope="row">{shown}</th>')
        else:
            parts.append(f'<td class="num">{shown}</td>' if numeric else f"<td>{shown}</td>")
    parts.append("</tr>")
    return "".join(parts)


def _plain(value: object) -> object:
    """Numbers stay numbers; text that a spreadsheet would run as a formula is made plain (CSV injection)."""
    return neutralise(value if value is None or isinstance(value, int | float | str) else str(value))


def cell(value: object, href: str | None = None, text: str | None = None) -> Cell:
    return Cell(value=value, text=text, href=href)


def export_response(table: Table, fmt: str, filename: str) -> HttpResponse:
    """The table as a CSV (UTF-8 with BOM) or XLSX download named `<filename>.<fmt>`."""
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = table.name[:31]
        for values in table.matrix():
            sheet.append(values)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        for values in table.matrix():
            writer.writerow(["" if v is None else v for v in values])
        response = HttpResponse(("\ufeff" + text.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
        fmt = "csv"
    # RFC 6266: an ASCII fallback plus the UTF-8 name, so Chinese file names survive.
    name = f"{filename}.{fmt}"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return response
