"""The case-management work queue's filters and sort orders: which open cases at risk a clerk sees, how."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases import deadlines

SORTS = {
    "days_left": _("剩余天数（先到期的在前）"),
    "-days_left": _("剩余天数（后到期的在前）"),
    "prosecutor": _("承办检察官"),
    "department": _("部门"),
    "unit": _("单位"),
    "case_no": _("统一受案号"),
}


class WorkQueueFilter(forms.Form):
    """The queue's horizon (days ahead), status, team and prosecutor (codes), and sort order."""

    horizon = forms.IntegerField(label=_("提前天数"), min_value=0, max_value=366, required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("overdue", _("已超期")), ("at_risk", _("临近期限"))],
    )
    team = forms.CharField(label=_("办案团队编号"), max_length=64, required=False)
    prosecutor = forms.CharField(label=_("承办检察官工号"), max_length=64, required=False)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[("", _("默认")), *SORTS.items()])

    def within_days(self) -> int:
        horizon = self.cleaned_data.get("horizon")
        return deadlines.at_risk_days() if horizon is None else horizon

    def case_q(self) -> Q:
        """The filters on the case (team and prosecutor by code) as one Q."""
        q = Q()
        if self.cleaned_data.get("team"):
            q &= Q(team__team_code=self.cleaned_data["team"])
        if self.cleaned_data.get("prosecutor"):
            q &= Q(prosecutor__staff_code=self.cleaned_data["prosecutor"])
        return q
