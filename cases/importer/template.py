"""The downloadable import template: one sheet per kind with its header and an example row, and a 说明 sheet.

Built from the same tables the importer reads (columns, Chinese headers, required columns, choices,
the event catalogue), so the template cannot drift from what the import accepts.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cases.importer.headers import HEADERS, REQUIRED
from cases.importer.validate_common import COLUMNS

# One example value per column (a column without one is left empty), so new columns never shift the row.
EXAMPLES = {
    "staff": {
        "staff_code": "P-001",
        "name": "张检察官",
        "unit": "示范区人民检察院",
        "department": "第一检察部",
        "role": "检察官",
    },
    "teams": {
        "team_code": "T-HQ",
        "team_name": "合规护企",
        "unit": "示范区人民检察院",
        "staff_code": "P-001",
        "team_role": "带头人",
        "date_from": "2025-01-01",
    },
    "cases": {
        "case_no": "检刑受〔2025〕1号",
        "title": "张某涉嫌盗窃案",
        "line": "刑事",
        "category": "普通",
        "unit": "示范区人民检察院",
        "department": "第一检察部",
        "prosecutor": "P-001",
        "team": "T-HQ",
        "persons": "1",
        "received_on": "2025-03-01",
        "plea_leniency": "是",
        "sentencing_recommendation": "已提出",
    },
    "events": {
        "case_no": "检刑受〔2025〕1号",
        "event": "审查起诉（受理）",
        "date": "2025-03-01",
        "persons": "1",
        "prosecutor": "P-001",
    },
}
SHEET_TITLES = {"staff": "人员", "teams": "团队", "cases": "案件", "events": "诉讼环节"}
DATE_FORMS = (
    "2025-03-01",
    "2025/3/1",
    "2025年3月1日",
    "20250301",
    "2025-03-01 10:23:45",
    _("Excel 日期单元格或序列号 45717"),
)


def template_workbook() -> bytes:
    """The template as XLSX bytes."""
    from cases.models import EventType

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for kind, columns in COLUMNS.items():
        sheet = book.create_sheet(kind)
        sheet.append(list(columns))
        sheet.append([EXAMPLES[kind].get(column, "") for column in columns])
        for cell in sheet[1]:
            cell.font = bold
    notes = book.create_sheet("说明")
    rows = [
        [_("caseqa 导入模板")],
        [_("每个工作表一种数据（staff 人员、teams 团队、cases 案件、events 诉讼环节），按此顺序导入；示例行请替换。")],
        [_("表头可用英文列名或下列任一中文名；* 为必填列。")],
        [_("表头之上的标题行、序号列、合计行与表格下方的说明会被跳过，并在报告中列出。")],
        [],
        [_("数据类型"), _("列"), _("必填"), _("可用的中文表头")],
    ]
    for kind, columns in COLUMNS.items():
        for column in columns:
            required = "*" if column in REQUIRED[kind] else ""
            rows.append([f"{kind}（{SHEET_TITLES[kind]}）", column, required, "、".join(HEADERS[kind].get(column, ()))])
    rows += [[], [_("日期的写法")], *[[form] for form in DATE_FORMS]]
    rows += [[], [_("是/否 列")], ["是 / 否、true / false、1 / 0"]]
    rows += [[], [_("可选值"), _("编码"), _("中文")]]
    rows += _choices()
    rows += [[], [_("诉讼环节（event 列填编码或中文名）"), _("编码"), _("中文")]]
    seen = set()
    for code, label in EventType.objects.order_by("position", "code").values_list("code", "label_zh"):
        if code not in seen:
            seen.add(code)
            rows.append(["", code, label])
    rows += [[], [_("CSV 文件：UTF-8（可带 BOM）或 GB18030；其他编码请在导入页“文件编码”中注明。")]]
    for row in rows:
        notes.append(row)
    for row in (notes[1], notes[6]):
        for cell in row:
            cell.font = bold
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 30
    notes.column_dimensions["D"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _choices() -> list[list[str]]:
    from cases.models import Case
    from teams.models import Membership, Prosecutor

    rows = []
    for column, choices in (
        ("staff.role", Prosecutor.Role.choices),
        ("teams.team_role", Membership.Role.choices),
        ("cases.line", Case.Line.choices),
        ("cases.category", Case.Category.choices),
        ("cases.sentencing_recommendation", Case.Sentencing.choices),
        ("cases.judgment_accepted", Case.Acceptance.choices),
    ):
        for value, label in choices:
            rows.append([column, value, str(label)])
    return rows
