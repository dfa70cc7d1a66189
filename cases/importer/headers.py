"""The column names an import accepts: the English names of DESIGN.md and their documented Chinese names.

This is the one table of them (docs/import.md prints it). The national case system's exports and the
offices' own sheets name columns in Chinese, and several names may mean the same column (统一受案号 and
部门受案号 both hold a case number): per column the names are listed in order of preference, and when a
sheet has more than one of them the first listed wins while the others stay extra columns (ignored).
"""

from __future__ import annotations

import re

# kind -> column -> accepted header names besides the column's own (in order of preference).
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "staff": {
        "staff_code": ("工号", "人员编号", "人员编码"),
        "name": ("姓名",),
        "unit": ("所属院", "单位", "所属单位", "检察院"),
        "department": ("部门", "所属部门"),
        "role": ("人员类别", "角色", "身份"),
        "unit_code": ("单位编码", "院编码"),
        "department_code": ("部门编码",),
    },
    "teams": {
        "team_code": ("团队编号", "团队编码"),
        "team_name": ("团队名称", "办案团队"),
        "unit": ("所属院", "单位", "所属单位", "检察院"),
        "staff_code": ("工号", "成员工号", "人员编号"),
        "team_role": ("角色", "团队角色", "成员角色"),
        "date_from": ("起始日期", "开始日期", "加入日期"),
        "date_to": ("截止日期", "结束日期", "退出日期"),
        "unit_code": ("单位编码", "院编码"),
    },
    "cases": {
        "case_no": ("统一受案号", "部门受案号", "受案号", "案号"),
        "title": ("案件名称",),
        "line": ("业务条线", "条线"),
        "category": ("案件类别", "类别"),
        "unit": ("所属院", "单位", "承办单位", "所属单位", "检察院"),
        "department": ("部门", "承办部门", "所属部门"),
        "unit_code": ("单位编码", "院编码"),
        "department_code": ("部门编码",),
        "prosecutor": ("承办检察官", "承办人", "承办检察官工号", "承办人工号"),
        "team": ("办案团队", "团队编号"),
        "persons": ("人数", "犯罪嫌疑人数", "涉案人数"),
        "received_on": ("受理日期",),
        "closed_on": ("审结日期", "办结日期"),
        "plea_leniency": ("认罪认罚", "是否认罪认罚"),
        "sentencing_recommendation": ("量刑建议",),
        "judgment_accepted": ("是否服判", "服判"),
        "charge": ("主罪名", "罪名"),
        "other_charges": ("其他罪名",),
    },
    "events": {
        "case_no": ("统一受案号", "部门受案号", "受案号", "案号"),
        "event": ("诉讼环节", "环节"),
        "date": ("日期", "环节日期", "发生日期"),
        "persons": ("人数",),
        "prosecutor": ("承办检察官", "承办人", "承办检察官工号", "承办人工号"),
        "note": ("备注",),
        "outcome": ("处理结果", "环节结果", "结果"),
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "staff": ("staff_code", "name", "unit", "department"),
    "teams": ("team_code", "team_name", "unit", "staff_code", "team_role"),
    "cases": ("case_no", "unit", "department", "prosecutor"),
    "events": ("case_no", "event", "date"),
}

# Workbook sheets imported without --kind, by name (English or Chinese); other sheets by their header.
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "staff": ("staff", "人员", "人员名单"),
    "teams": ("teams", "团队", "办案团队"),
    "cases": ("cases", "案件", "案件信息"),
    "events": ("events", "诉讼环节", "环节"),
}

# How far down a sheet the header row is looked for (title rows above it are skipped).
HEADER_SEARCH_ROWS = 20

_SPACES = re.compile(r"\s+")
# A totals row: its first filled cell is 合计 / 总计 / 小计 / 共计, maybe followed by a count ("合计：12件").
_TOTALS = re.compile(r"^(合计|总计|小计|共计|total)(?:$|[:：\d(（].*)", re.IGNORECASE)


def normalised(name: object) -> str:
    """A header cell as compared: no spaces anywhere, no BOM, no required-marker star, lower-case."""
    text = _SPACES.sub("", str(name or "")).lstrip("\ufeff").strip("*＊")
    return text.lower()


def _lookup(kind: str) -> dict[str, tuple[str, int]]:
    """{normalised accepted name: (column, preference)} of one kind."""
    table = {}
    for column, names in HEADERS[kind].items():
        for preference, name in enumerate((column, *names)):
            table.setdefault(normalised(name), (column, preference))
    return table


_LOOKUPS = {kind: _lookup(kind) for kind in HEADERS}


def canonical(header: list[str], kind: str) -> list[str]:
    """The header with each recognised name replaced by its column (the best-preferred one per column)."""
    lookup = _LOOKUPS[kind]
    best: dict[str, tuple[int, int]] = {}  # column -> (preference, position)
    for position, name in enumerate(header):
        found = lookup.get(normalised(name))
        if found and (found[0] not in best or found[1] < best[found[0]][0]):
            best[found[0]] = (found[1], position)
    renamed = list(header)
    for column, (_preference, position) in best.items():
        renamed[position] = column
    return renamed


def recognised(header: list[str], kind: str) -> set[str]:
    """The columns of `kind` the header names."""
    lookup = _LOOKUPS[kind]
    return {lookup[n][0] for n in map(normalised, header) if n in lookup}


def guess_kind(header: list[str]) -> str | None:
    """The kind whose required columns the header holds; of several, the one it names most columns of."""
    fits = sorted(
        ((len(recognised(header, kind)), kind) for kind in REQUIRED if recognised(header, kind) >= set(REQUIRED[kind])),
        reverse=True,
    )
    if not fits or (len(fits) > 1 and fits[0][0] == fits[1][0]):
        return None
    return fits[0][1]


def find_header(rows: list[list[str]], kind: str | None) -> tuple[int, str | None]:
    """(position of the header row among `rows`, its kind): the first row holding a kind's required columns.

    Without such a row: the first non-blank row and `kind` as given (the validator then names the
    missing columns).
    """
    for position, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if kind is not None:
            if recognised(cells, kind) >= set(REQUIRED[kind]):
                return position, kind
        else:
            found = guess_kind(cells)
            if found is not None:
                return position, found
    first = next((i for i, cells in enumerate(rows) if any(str(c).strip() for c in cells)), 0)
    return first, kind


def kind_of_sheet(name: str) -> str | None:
    """The kind a workbook sheet's name says (staff / 人员, teams / 团队, …), if any."""
    key = normalised(name)
    for kind, names in SHEET_NAMES.items():
        if key in {normalised(n) for n in names}:
            return kind
    return None


def is_totals(text: object) -> bool:
    """Whether a row whose first filled cell is `text` is a totals row (合计 / 总计 …)."""
    return bool(_TOTALS.match(_SPACES.sub("", str(text))))
