"""Reading import files: CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX, in chunks of string frames.

Every frame a reader yields has string cells ("" for blank), stripped header names and, as its
index, the spreadsheet row number of each row (the header is row 1), so that a report points at
the row a clerk sees in Excel.
"""

from __future__ import annotations

import codecs
import datetime
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
from django.utils.translation import gettext as _

from cases.importer.report import KINDS

CHUNK_ROWS = 100_000
_SNIFF_BYTES = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"

Source = str | os.PathLike | IO[bytes]


class FileError(Exception):
    """The file as a whole cannot be read (wrong format, unknown sheet, bad encoding)."""


@dataclass
class Sheet:
    """One table to import: its kind, header, row total when known, and a generator of row frames."""

    kind: str
    header: list[str]
    total: int | None
    frames: Any  # callable returning Iterator[pd.DataFrame]


def open_sheets(source: Source, kind: str | None) -> list[Sheet]:
    """The sheets of `source` to import, in the order staff, teams, cases, events."""
    if kind is not None and kind not in KINDS:
        raise FileError(_("未知的导入类型 %(kind)s（应为 staff、teams、cases 或 events）") % {"kind": kind})
    head = _peek(source, 4)
    if head.startswith(_ZIP_MAGIC):
        return _xlsx_sheets(source, kind)
    if display_name(source).lower().endswith((".xlsx", ".xlsm")):
        raise FileError(_("XLSX 文件已损坏：文件头不是 XLSX（zip）格式"))
    return [_csv_sheet(source, kind)]


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


def detect_encoding(source: Source) -> tuple[str, int]:
    """("utf-8-sig" | "utf-8" | "gb18030", line count): UTF-8 if the whole file decodes as such, else GB18030."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, first, lines = True, True, 0
    bom = False
    for block in _chunks(source):
        if first:
            bom, first = block.startswith(codecs.BOM_UTF8), False
        lines += block.count(b"\n")
        if utf8:
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if not utf8:
        return "gb18030", lines
    return ("utf-8-sig" if bom else "utf-8"), lines


def _csv_sheet(source: Source, kind: str | None) -> Sheet:
    encoding, lines = detect_encoding(source)
    header = _csv_header(source, encoding)
    kind = kind or guess_kind(header)
    if kind is None:
        raise FileError(_("无法判断 CSV 文件的导入类型，请指定 --kind（staff、teams、cases 或 events）"))

    def frames() -> Iterator[pd.DataFrame]:
        handle = source if not isinstance(source, str | os.PathLike) else None
        position = handle.tell() if handle is not None else 0
        # pandas cannot tell a Django upload from a text handle: decode it ourselves.
        text = io.TextIOWrapper(handle, encoding=encoding, newline="") if handle is not None else None
        try:
            reader = pd.read_csv(
                text if text is not None else source,
                encoding=encoding,
                dtype=str,
                index_col=False,  # a row longer than the header must not turn its first cells into an index
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                chunksize=CHUNK_ROWS,
            )
            for frame in reader:
                frame.columns = [str(c).strip() for c in frame.columns]
                frame.index = frame.index + 2  # header is row 1
                yield _drop_blank_rows(frame)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as error:
            raise FileError(_("CSV 文件无法读取：%(error)s") % {"error": error}) from None
        finally:
            if text is not None:
                text.detach()  # leave the caller's file open
            if handle is not None:
                handle.seek(position)

    return Sheet(kind, header, max(lines - 1, 0), frames)


def _csv_header(source: Source, encoding: str) -> list[str]:
    raw = _peek(source, _SNIFF_BYTES)
    text = raw.decode(encoding, errors="ignore")
    try:
        header = pd.read_csv(io.StringIO(text), dtype=str, nrows=0).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        raise FileError(_("CSV 文件没有表头行")) from None
    return [str(c).strip().lstrip("\ufeff") for c in header]


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    blank = (frame == "").all(axis=1)
    return frame[~blank] if blank.any() else frame


REQUIRED = {
    "staff": ("staff_code", "name", "unit", "department"),
    "teams": ("team_code", "team_name", "unit", "staff_code", "team_role"),
    "cases": ("case_no", "unit", "department", "prosecutor"),
    "events": ("case_no", "event", "date"),
}


def guess_kind(header: list[str]) -> str | None:
    """The kind whose required columns the header holds, if exactly one does."""
    names = set(header)
    fits = [kind for kind, required in REQUIRED.items() if names.issuperset(required)]
    return fits[0] if len(fits) == 1 else None


def _xlsx_sheets(source: Source, kind: str | None) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise FileError(_("XLSX 文件无法读取：%(error)s") % {"error": error}) from None
    by_name = {name.strip().lower(): name for name in workbook.sheetnames}
    if kind:
        name = by_name.get(kind) or (workbook.sheetnames[0] if len(workbook.sheetnames) == 1 else None)
        if name is None:
            raise FileError(_("工作簿中没有名为 %(kind)s 的工作表") % {"kind": kind})
        wanted = [(kind, name)]
    else:
        wanted = [(k, by_name[k]) for k in KINDS if k in by_name]
        if not wanted:
            raise FileError(_("工作簿中没有 staff、teams、cases 或 events 工作表"))
    return [_xlsx_sheet(workbook[name], k) for k, name in wanted]


def _xlsx_sheet(worksheet, kind: str) -> Sheet:
    try:
        first = next(worksheet.iter_rows(values_only=True), None) or ()
    except Exception as error:  # a damaged sheet part, as in frames() below
        raise FileError(_("XLSX 文件已损坏：%(error)s") % {"error": error}) from None
    header = [_cell_text(c).strip().lstrip("\ufeff") for c in first]
    while header and not header[-1]:
        header.pop()
    header = _unique_names(header)
    total = max((worksheet.max_row or 1) - 1, 0)

    def frames() -> Iterator[pd.DataFrame]:
        width = len(header)
        batch: list[list[str]] = []
        numbers: list[int] = []
        rows = worksheet.iter_rows(min_row=2, values_only=True)
        number = 1
        while True:
            # openpyxl reads the sheet lazily: a damaged part (bad CRC, broken XML) surfaces here.
            try:
                values = next(rows, None)
            except Exception as error:  # zipfile.BadZipFile, xml ParseError, KeyError, ... per damage
                raise FileError(
                    _("XLSX 文件已损坏（第%(row)d行附近）：%(error)s") % {"row": number + 1, "error": error}
                ) from None
            if values is None:
                break
            number += 1
            cells = [_cell_text(v) for v in values[:width]]
            if not any(cells):
                continue
            cells.extend([""] * (width - len(cells)))
            batch.append(cells)
            numbers.append(number)
            if len(batch) >= CHUNK_ROWS:
                yield pd.DataFrame(batch, columns=header, index=numbers, dtype=object)
                batch, numbers = [], []
        if batch:
            yield pd.DataFrame(batch, columns=header, index=numbers, dtype=object)

    return Sheet(kind, header, total, frames)


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
