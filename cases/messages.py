"""Refusals worded once for every write path (forms, API, importer) so that no path becomes an oracle.

A case number is unique across all units (the national system issues it), so a number taken by any
unit cannot be registered again; the refusal says only that the number cannot be used, never whose
it is or that it belongs to another unit. References a user may not write (another unit's staff,
team, unit or case) are answered like unknown ones.
"""

from django.utils.translation import gettext_lazy as _

CASE_NO_UNAVAILABLE = _("该受案号不可用（已被登记）")
STAFF_CODE_UNAVAILABLE = _("该工号不可用（已被登记）")
TEAM_CODE_UNAVAILABLE = _("该团队编码不可用（已被登记）")
UNIT_OUT_OF_SCOPE = _("不在可导入的单位范围内（只能导入到本人负责的单位及其下级单位；新建单位须由管理员导入）")
DEPARTMENT_OUT_OF_SCOPE = _("部门不存在于该单位或不在可导入的范围内")
STAFF_OUT_OF_SCOPE = _("工号不存在或不在可导入的单位范围内")
TEAM_OUT_OF_SCOPE = _("团队编码不存在或不在可导入的单位范围内")
UNIT_COLUMNS_DISAGREE = _("与 unit 列指的不是同一单位")
DEPARTMENT_COLUMNS_DISAGREE = _("与 department 列指的不是同一部门")
