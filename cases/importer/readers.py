"""Reading import files: CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030) and XLSX, in chunks of string frames.

Every frame a reader yields has string cells ("" for blank), the column names of the sheet's kind
(Chinese headers translated, `cases.importer.headers`) and, as its index, the spreadsheet row
number of each row, so that a report points at the row a clerk sees in Excel. Offices' sheets carry
title rows above the header, a 序号 column, totals rows and notes below the data: the header is found
by its column names, and what is skipped is listed in `Sheet.skipped` for the report.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from cases.importer import headers
from cases.importer.encodings import EncodingError, detect
from cases.importer.headers import REQUIRED, guess_kind  # noqa: F401  (re-exported for callers)
from cases.importer.report import KINDS

CHUNK_ROWS = 100_000
_SNIFF_BYTES = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"

Source = str | os.PathLike | IO[bytes]


class FileError(Exception):
    """The file as a whole cannot be read (wrong format, unknown sheet, bad encoding, too large)."""


@dataclass
class Sheet:
    """One table to import: its kind, header, row total when known, and a generator of row frames.

    `skipped` collects (row, reason, value) of what the reader left out on purpose (title rows,
    unknown columns, totals, notes); `cell_errors` (row, column, value, reason) what it cannot read
    (merged cells, formulas without a value). Both fill as the frames are read.
    """

    kind: str
    header: list[str]
    total: int | None
    frames: Any  # callable returning Iterator[pd.DataFrame]
    header_row: int = 1
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    cell_errors: list[tuple[int, str, str, str]] = field(default_factory=list)


def open_sheets(source: Source, kind: str | None, encoding: str | None = None) -> list[Sheet]:
    """The sheets of `source` to import, in the order staff, teams, cases, events."""
    if kind is not None and kind not in KINDS:
        raise FileError(_("未知的导入类型 %(kind)s（应为 staff、teams、cases 或 events）") % {"kind": kind})
    head = _peek(source, 4)
    if head.startswith(_ZIP_MAGIC):
        from cases.importer.xlsx import xlsx_sheets

        return xlsx_sheets(source, kind)
    if display_name(source).lower().endswith((".xlsx", ".xlsm")):
        raise FileError(_("XLSX 文件已损坏：文件头不是 XLSX（zip）格式"))
    return [_csv_sheet(source, kind, encoding)]


def _peek(source: Source, size: int) -> bytes:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            return handle.read(size)
    position = source.tell()
    data = source.read(size)
    source.seek(position)
    return data


def _chunks(source: Source) -> Iterator[bytes]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            yield from iter(lambda: handle.read(_SNIFF_BYTES), b"")
        return
    position = source.tell()
    yield from iter(lambda: source.read(_SNIFF_BYTES), b"")
    source.seek(position)


def detect_encoding(source: Source, explicit: str | None = None) -> tuple[str, int]:
    """(encoding, line count) of a CSV file (`cases.importer.encodings.detect`); FileError if refused."""
    try:
        return detect(_chunks(source), explicit)
    except EncodingError as error:
        raise FileError(str(error)) from None


def no_kind_message() -> str:
    """Why a sheet's kind could not be told from its header (no command-line flag named: pages show it too)."""
    return _(
        "无法从表头识别导入类型：未找到人员、团队、案件或诉讼环节的必填列（如 统一受案号、诉讼环节、日期）。"
        "请检查表头，或指定导入类型"
    )


def _csv_sheet(source: Source, kind: str | None, explicit: str | None) -> Sheet:
    encoding, lines = detect_encoding(source, explicit)
    head_rows, delimiter = _csv_head(source, encoding)
    position, kind = headers.find_header(head_rows, kind)
    if kind is None:
        raise FileError(no_kind_message())
    raw_header = head_rows[position] if position < len(head_rows) else []
    sheet = Sheet(kind, [], max(lines - 1 - position, 0), None, header_row=position + 1)
    sheet.header = header_of(sheet, raw_header)
    note_title_rows(sheet, head_rows[:position])

    def frames() -> Iterator[pd.DataFrame]:
        handle = source if not isinstance(source, str | os.PathLike) else None
        start = handle.tell() if handle is not None else 0
        # pandas cannot tell a Django upload from a text handle: decode it ourselves.
        text = io.TextIOWrapper(handle, encoding=encoding, newline="") if handle is not None else None
        cleaner = RowCleaner(sheet)
        try:
            reader = pd.read_csv(
                text if text is not None else source,
                encoding=encoding,
                sep=delimiter,
                dtype=str,
                header=None,
                names=range(len(sheet.header)),  # the header as found; longer rows are cut to it
                skiprows=position + 1,
                index_col=False,  # a row longer than the header must not turn its first cells into an index
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                chunksize=CHUNK_ROWS,
            )
            for frame in _quietly(reader):
                frame.columns = sheet.header
                frame.index = frame.index + sheet.header_row + 1
                yield cleaner.clean(frame)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as error:
            raise FileError(_("CSV 文件无法读取：%(error)s") % {"error": error}) from None
        finally:
            if text is not None:
                text.detach()  # leave the caller's file open
            if handle is not None:
                handle.seek(start)

    sheet.frames = frames
    return sheet


def _quietly(reader) -> Iterator[pd.DataFrame]:
    """The reader's chunks without pandas' warning that a row longer than the header is cut: extra
    cells sit under no column, and extra columns are ignored by design."""
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = next(reader, None)
        if frame is None:
            return
        yield frame


def _csv_head(source: Source, encoding: str) -> tuple[list[list[str]], str]:
    """The first rows of a CSV file (cells stripped) and its delimiter (comma, or tab for "Unicode text")."""
    raw = _peek(source, _SNIFF_BYTES)
    text = raw.decode(encoding, errors="ignore").lstrip("\ufeff")
    lines = text.splitlines()[: headers.HEADER_SEARCH_ROWS + 1]
    delimiter = "\t" if lines and any("\t" in line and "," not in line for line in lines) else ","
    try:
        rows = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as error:
        raise FileError(_("CSV 文件无法读取：%(error)s") % {"error": error}) from None
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise FileError(_("CSV 文件没有表头行"))
    return [[cell.strip() for cell in row] for row in rows], delimiter


def header_of(sheet: Sheet, raw: list[object]) -> list[str]:
    """The sheet's column names from its header row: recognised names translated, unknown ones noted."""
    names = [_cell_text(c).strip().lstrip("\ufeff") for c in raw]
    while names and not names[-1]:
        names.pop()
    columns = headers.canonical(names, sheet.kind)
    known = set(headers.HEADERS[sheet.kind])
    for given, column in zip(names, columns, strict=True):
        if given and column not in known:
            sheet.skipped.append((sheet.header_row, _("未识别的列，已忽略"), given))
    return _unique_names(columns)


def note_title_rows(sheet: Sheet, rows: list[list[object]]) -> None:
    """Rows above the header (a table's title, a unit and period line) are skipped and listed."""
    for number, cells in enumerate(rows, start=1):
        text = " ".join(t for t in (_cell_text(c) for c in cells) if t)
        if text:
            sheet.skipped.append((number, _("表头之上的标题行，已跳过"), text))


class RowCleaner:
    """Drops blank rows, totals rows (合计 / 总计 …) and notes below a blank row, noting the last two.

    A note is a row with a single filled cell that follows a blank row (or another note): a data row
    of any kind fills at least its required columns, so it cannot be taken for one.
    """

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.after_gap = False  # whether the row before the chunk was blank or a note

    def clean(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        values = frame.to_numpy(dtype=object)
        filled = values != ""
        counts = filled.sum(axis=1)
        blank = counts == 0
        first = values[np.arange(len(values)), filled.argmax(axis=1)]
        codes, uniques = pd.factorize(first, sort=False)
        totals = np.array([headers.is_totals(u) for u in uniques] + [False])[codes] & ~blank
        notes = np.zeros(len(values), dtype=bool)
        for i in np.flatnonzero((counts == 1) & ~totals):
            before = (blank[i - 1] or notes[i - 1]) if i else self.after_gap
            notes[i] = before
        self.after_gap = bool(blank[-1] or notes[-1])
        rows = frame.index.to_numpy()
        for i in np.flatnonzero(totals):
            self.sheet.skipped.append((int(rows[i]), _("合计行，已跳过"), _row_text(values[i])))
        for i in np.flatnonzero(notes):
            self.sheet.skipped.append((int(rows[i]), _("表格下方的说明行，已跳过"), str(first[i])))
        drop = blank | totals | notes
        return frame[~drop] if drop.any() else frame


def _row_text(cells) -> str:
    return " ".join(str(c) for c in cells if c != "")


def _unique_names(header: list[str]) -> list[str]:
    """Repeated header names get a suffix (as pandas does for CSV) so that the first one is used."""
    seen: dict[str, int] = {}
    names = []
    for name in header:
        n = seen.get(name, 0)
        names.append(name if n == 0 else f"{name}.{n}")
        seen[name] = n + 1
    return names


def _cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold (dates as ISO, whole floats without `.0`)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def display_name(source: Source) -> str:
    """The file name to show in reports and audit entries."""
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return Path(getattr(source, "name", "") or "upload").name
