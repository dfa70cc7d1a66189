"""XLSX workbooks, read with python-calamine: every row the sheet holds, whatever its `<dimension>` claims.

openpyxl's read-only mode trusts the `<dimension>` element and silently dropped the rows beyond an
understated one; calamine reads the cells themselves. Before anything is expanded the zip's declared
sizes are checked (a 1.5 MB file may hold a 1.5 GB cell). Cells the import cannot read faithfully are
errors naming them: a merged range in the data rows (only its first cell holds the value) and a
formula saved without its cached value (calamine, like Excel's viewers, would see a blank).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree
from xml.parsers import expat

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from cases.importer import headers, readers
from cases.importer.readers import (
    FileError,
    RowCleaner,
    Sheet,
    Source,
    _cell_text,
    header_of,
    no_kind_message,
    note_title_rows,
)
from cases.importer.report import KINDS

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAX_CELLS_NAMED = 50  # per sheet and problem, beyond that only counted


def column_letter(index: int) -> str:
    """Excel's column name of a 0-based column index (0 → A, 27 → AB)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell_name(row: int, column: int) -> str:
    """`B7` from a 1-based row and a 0-based column."""
    return f"{column_letter(column)}{row}"


def check_sizes(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose parts would expand past the limits, from the sizes the zip declares.

    Python's zipfile never inflates a part past its declared size, so the declared sizes bound what
    the checks below read; calamine reads only after they pass.
    """
    limit = settings.IMPORT_MAX_XLSX_EXPANDED_BYTES
    ratio = settings.IMPORT_MAX_XLSX_COMPRESSION_RATIO
    total = 0
    for info in archive.infolist():
        total += info.file_size
        expanded = info.file_size / max(info.compress_size, 1)
        if info.file_size > 10 * 1024 * 1024 and expanded > ratio:
            raise FileError(
                _(
                    "XLSX 文件异常：其中 %(part)s 解压后有 %(size)d MB，是压缩后的 %(ratio)d 倍"
                    "（超过 %(limit)d 倍的上限，可能含有超大单元格），未读取"
                )
                % {"part": info.filename, "size": info.file_size >> 20, "ratio": expanded, "limit": ratio}
            )
    if total > limit:
        raise FileError(
            _("XLSX 文件解压后有 %(size)d MB，超过 %(limit)d MB 的上限，未读取")
            % {"size": total >> 20, "limit": limit >> 20}
        )


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: its part in the zip} from the workbook and its relationships (both small)."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    parts = {}
    for sheet in book.iter(f"{{{MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{REL_NS}}}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        parts[sheet.get("name", "")] = path
    return parts


_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def uncached_formulas(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int]]:
    """(row, 0-based column) of every formula cell saved without a value, streaming the sheet's XML."""
    try:
        stream = archive.open(part)
    except KeyError:
        return []
    with stream:
        first = stream.read(1 << 20)
        if b"<f" not in first and b":f" not in first:
            # Most exports hold no formula at all: look for one before parsing the whole sheet.
            tail, has = first[-8:], False
            for block in iter(lambda: stream.read(1 << 22), b""):
                if b"<f" in tail + block or b":f" in tail + block:
                    has = True
                    break
                tail = block[-8:]
            if not has:
                return []
    found: list[tuple[int, int]] = []
    state = {"ref": None, "formula": False, "value": False, "in_v": False}

    def start(name, attrs):
        local = name.rsplit(":", 1)[-1]
        if local == "c":
            state.update(ref=attrs.get("r"), formula=False, value=False)
        elif local == "f":
            state["formula"] = True
        elif local in ("v", "is"):
            state["in_v"] = True

    def text(data):
        if state["in_v"] and data.strip():
            state["value"] = True

    def end(name):
        local = name.rsplit(":", 1)[-1]
        if local in ("v", "is"):
            state["in_v"] = False
        elif local == "c" and state["formula"] and not state["value"] and state["ref"]:
            match = _CELL_REF.match(state["ref"])
            if match:
                letters, row = match.groups()
                column = 0
                for letter in letters:
                    column = column * 26 + ord(letter) - 64
                found.append((int(row), column - 1))

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        with archive.open(part) as stream:
            parser.ParseFile(stream)
    except (expat.ExpatError, zipfile.BadZipFile, OSError) as error:
        raise FileError(_("XLSX 文件已损坏：%(error)s") % {"error": error}) from None
    return found


def xlsx_sheets(source: Source, kind: str | None) -> list[Sheet]:
    """The sheets of a workbook to import: by --kind, by sheet name, else by header."""
    import python_calamine

    try:
        archive = zipfile.ZipFile(source)
        check_sizes(archive)
        parts = sheet_parts(archive)
        if hasattr(source, "seek"):
            source.seek(0)
        workbook = python_calamine.CalamineWorkbook.from_object(source)
    except FileError:
        raise
    except Exception as error:  # zipfile and calamine raise many types for a damaged file
        raise FileError(_("XLSX 文件无法读取：%(error)s") % {"error": error}) from None
    names = workbook.sheet_names
    named = {}
    for name in names:
        found = headers.kind_of_sheet(name)
        if found and found not in named:
            named[found] = name
    opened: dict[str, Sheet] = {}
    if kind:
        name = named.get(kind) or (names[0] if len(names) == 1 else None)
        candidates = [(name, kind)] if name else [(n, kind) for n in names]
        for name, want in candidates:
            sheet = _open(workbook, archive, parts, name, want, required=len(candidates) == 1)
            if sheet is not None:
                opened[kind] = sheet
                break
        if kind not in opened:
            raise FileError(_("工作簿中没有名为 %(kind)s 的工作表，也没有表头符合的工作表") % {"kind": kind})
    else:
        for want, name in named.items():
            opened[want] = _open(workbook, archive, parts, name, want, required=True)
        for name in names:
            if name in named.values():
                continue
            sheet = _open(workbook, archive, parts, name, None, required=False)
            if sheet is not None and sheet.kind not in opened:
                opened[sheet.kind] = sheet
        if not opened:
            raise FileError(no_kind_message())
    return [opened[k] for k in KINDS if k in opened]


def _open(workbook, archive, parts, name: str, kind: str | None, *, required: bool) -> Sheet | None:
    """One sheet, its header row found; None when `required` is false and no kind's header is found."""
    try:
        worksheet = workbook.get_sheet_by_name(name)
        rows = worksheet.iter_rows()
        head: list[list] = []
        for values in rows:
            head.append(values)
            if len(head) > headers.HEADER_SEARCH_ROWS:
                break
    except Exception as error:  # calamine parses the sheet here: bad XML, bad CRC…
        raise FileError(_("XLSX 文件已损坏（工作表 %(name)s）：%(error)s") % {"name": name, "error": error}) from None
    texts = [[_cell_text(v) for v in row] for row in head]
    position, found = headers.find_header(texts, kind)
    if found is None:
        if required:
            raise FileError(no_kind_message())
        return None
    offset = worksheet.start[1] if worksheet.start else 0  # calamine's rows begin at the first used column
    last_row = worksheet.end[0] + 1 if worksheet.end else 0
    sheet = Sheet(found, [], max(last_row - position - 1, 0), None, header_row=position + 1)
    sheet.header = header_of(sheet, [""] * offset + list(head[position]) if position < len(head) else [])
    note_title_rows(sheet, head[:position])
    merged = [
        ((r0 + 1, c0), (r1 + 1, c1))
        for (r0, c0), (r1, c1) in (worksheet.merged_cell_ranges or [])
        if r1 + 1 > sheet.header_row
    ]
    part = parts.get(name)
    formulas = uncached_formulas(archive, part) if part else []
    formulas = [(r, c) for r, c in formulas if r > sheet.header_row]

    def frames() -> Iterator[pd.DataFrame]:
        # A fresh iterator: the one above was only read for the header.
        data = workbook.get_sheet_by_name(name).iter_rows()
        width = len(sheet.header)
        cleaner = RowCleaner(sheet)
        batch: list[list[str]] = []
        number = 0
        try:
            for values in data:
                number += 1
                if number <= sheet.header_row:
                    continue
                cells = [""] * offset + [_cell_text(v) for v in values]
                cells = cells[:width] + [""] * (width - len(cells))
                batch.append(cells)
                if len(batch) >= readers.CHUNK_ROWS:
                    yield _checked(cleaner, batch, number, sheet, merged, formulas)
                    batch = []
        except Exception as error:  # damage found while reading on
            raise FileError(
                _("XLSX 文件已损坏（第%(row)d行附近）：%(error)s") % {"row": number, "error": error}
            ) from None
        if batch:
            yield _checked(cleaner, batch, number, sheet, merged, formulas)

    sheet.frames = frames
    return sheet


def _checked(cleaner: RowCleaner, batch, last: int, sheet: Sheet, merged, formulas) -> pd.DataFrame:
    """The batch as a frame of data rows; merged ranges and uncached formulas touching them are errors."""
    numbers = np.arange(last - len(batch) + 1, last + 1)
    frame = cleaner.clean(pd.DataFrame(batch, columns=sheet.header, index=numbers, dtype=object))
    if not merged and not formulas:
        return frame
    kept = frame.index.to_numpy()
    lo, hi = int(numbers[0]), int(numbers[-1])
    for (r0, c0), (r1, c1) in merged:
        rows = kept[(kept >= max(r0, lo)) & (kept <= min(r1, hi))]
        if len(rows) and len(sheet.cell_errors) < MAX_CELLS_NAMED:
            where = f"{cell_name(r0, c0)}:{cell_name(r1, c1)}"
            sheet.cell_errors.append(
                (
                    int(rows[0]),
                    _column(sheet, c0),
                    where,
                    _("合并单元格 %(cells)s：数据行不能合并单元格（只有首格有值，其余行会缺值），请取消合并并逐行填写")
                    % {"cells": where},
                )
            )
    rows_kept = set(kept.tolist())
    for row, column in formulas:
        if lo <= row <= hi and row in rows_kept and len(sheet.cell_errors) < MAX_CELLS_NAMED * 2:
            sheet.cell_errors.append(
                (
                    row,
                    _column(sheet, column),
                    cell_name(row, column),
                    _("单元格 %(cell)s 是公式，但文件中没有保存它的计算结果：请在 Excel 中打开并保存，或粘贴为数值")
                    % {"cell": cell_name(row, column)},
                )
            )
    return frame


def _column(sheet: Sheet, index: int) -> str:
    return sheet.header[index] if index < len(sheet.header) else column_letter(index)
