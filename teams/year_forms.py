"""Forms of the team's year: the plan's goals, an achievement, the 述职 and the 评议."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from teams.models import Achievement, OverallTask, Prosecutor, RatingLevel, Team, YearEndRating

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


class PlanForm(forms.Form):
    """The plan's summary and one goal per active overall task (0: no goal for it)."""

    summary = forms.CharField(label=_("计划要点"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, tasks: list[OverallTask], goals: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = tasks
        for task in tasks:
            label = f"{task.name}（{task.measure}）" if task.measure else task.name
            self.fields[f"goal_{task.pk}"] = forms.IntegerField(
                label=label, min_value=0, max_value=999, initial=goals.get(task.pk, 0), required=False
            )

    def goals(self) -> dict[OverallTask, int]:
        return {task: self.cleaned_data.get(f"goal_{task.pk}") or 0 for task in self.tasks}


class AchievementForm(forms.ModelForm):
    """An achievement against a task; members are chosen from the team's roster."""

    class Meta:
        model = Achievement
        fields = ["task", "title", "date", "members", "note", "attachment"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "members": forms.CheckboxSelectMultiple,
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = OverallTask.objects.filter(active=True)
        self.fields["members"].queryset = Prosecutor.objects.filter(memberships__team=team).distinct()

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload and getattr(upload, "size", 0) > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(_("附件不能超过 20 MB"))
        return upload


class YearEndReportForm(forms.Form):
    """The 述职 narrative (prefilled with the year's figures, edited by the lead)."""

    narrative = forms.CharField(label=_("述职内容"), widget=forms.Textarea(attrs={"rows": 18}))


class RatingForm(forms.ModelForm):
    """The leadership's 评议: grade on the configured scale, comment and outcome."""

    class Meta:
        model = YearEndRating
        fields = ["level", "comment", "outcome"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = RatingLevel.objects.filter(active=True)
