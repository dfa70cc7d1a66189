"""The ledger's corrections on the case page (issue 12): edit or delete an event, correct, close or reopen a case.

Every step goes through `cases.services` (the one write path: sequence rules, derived fields, roll-up),
with a required reason that the history keeps and the version the clerk read: a record changed
meanwhile shows the form again with what changed (before → now), nothing saved. Only case-management
staff of the case's unit reach these pages (`Case.objects.writable_by`); anyone else gets a 404, as
for an unknown case (like `cases:event_create`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import services, versions
from cases.models import Case, ProceduralEvent
from cases.views.correction_forms import (
    CaseCorrectionForm,
    CloseForm,
    Correction,
    EventCorrectionForm,
    EventDeleteForm,
    ReopenForm,
)


@dataclass
class Page:
    """What the correction page says around its form."""

    title: str
    intro: str
    submit: str
    danger: bool = False


def _writable_case(request: HttpRequest, pk: int) -> Case:
    queryset = Case.objects.select_related("unit", "department", "prosecutor", "team").writable_by(request.user)
    return get_object_or_404(queryset, pk=pk)


def _event_of(case: Case, event_pk: int) -> ProceduralEvent | None:
    """The case's event, or None once deleted (the page says so; an id never of this case is a 404)."""
    queryset = ProceduralEvent.objects.select_related("event_type", "prosecutor", "case")
    event = queryset.filter(pk=event_pk, case=case).first()
    if event is None and not ProceduralEvent.history.filter(id=event_pk, case_id=case.pk).exists():
        raise Http404
    return event


def _gone(request: HttpRequest, case: Case) -> HttpResponse:
    messages.error(request, _("该诉讼环节已被他人删除，未保存"))
    return redirect(_history_url(case))


def _data(request: HttpRequest):
    """The posted data (an empty POST too: its form shows what is missing), None for a GET."""
    return request.POST if request.method == "POST" else None


def _history_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk]) + "#history"


def _attempt(form: Correction, write: Callable[[], object]) -> tuple[bool, dict]:
    """Run one write; on refusal put the reason on the form. (saved?, what the page shows besides)."""
    try:
        write()
    except services.StaleVersionError as exc:
        changes = versions.changes_since(exc.current, exc.expected)
        both = form.rebase(exc.current, exc.expected, changes)
        return False, {"conflict": changes, "changed_by_both": both, "status": 409}
    except services.SequenceRuleError as exc:
        return False, {"violations": exc.violations}
    except ValidationError as exc:
        found = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, field_messages in found.items():
            target = {"outcomes": "outcome"}.get(field, field)
            for message in field_messages:
                form.add_error(target if target in form.fields else None, message)
    except IntegrityError:
        form.add_error(None, _("该案件已有同一日期的同一环节记录"))
    else:
        return True, {}
    return False, {}


def _page(request, case: Case, form: Correction, page: Page, extra: dict, event=None) -> HttpResponse:
    status = extra.pop("status", 400 if request.method == "POST" else 200)
    context = {"case": case, "form": form, "page": page, "event": event, **extra}
    return render(request, "cases/correction.html", context, status=status)


def _handle(request, case, form, page: Page, write, done: str, event=None) -> HttpResponse:
    """GET: the form. POST: validate, write, and back to the case's history; else the form with why."""
    extra: dict = {}
    if request.method == "POST" and form.is_valid():
        try:
            saved, extra = _attempt(form, lambda: write(form.cleaned_data))
        except ProceduralEvent.DoesNotExist:
            return _gone(request, case)
        if saved:
            messages.success(request, done)
            return redirect(_history_url(case))
    return _page(request, case, form, page, extra, event)


EVENT_EDIT = Page(
    gettext_lazy("更正诉讼环节"),
    gettext_lazy("更正后的记录仍须符合诉讼环节顺序规则；原值与更正理由保存在变更记录中。"),
    gettext_lazy("保存更正"),
)
EVENT_DELETE = Page(
    gettext_lazy("删除诉讼环节"),
    gettext_lazy("删除后件数与案-件比随之重算；删除前的记录与删除理由保存在变更记录中。"),
    gettext_lazy("删除"),
    danger=True,
)
CASE_EDIT = Page(
    gettext_lazy("更正案件信息"),
    gettext_lazy("受理日期由最早的审查逮捕或审查起诉环节推算，更正该环节的日期即可；审结日期在“审结”中填写。"),
    gettext_lazy("保存更正"),
)
CASE_CLOSE = Page(
    gettext_lazy("审结"),
    gettext_lazy(
        "审结日期须明确填写：记录提起公诉、不起诉、判决等环节不会使案件自动审结。"
        "审结后，退回补充侦查、延长审查起诉期限等审查阶段环节不得晚于审结日期。"
    ),
    gettext_lazy("审结"),
)
CASE_REOPEN = Page(
    gettext_lazy("重新打开"),
    gettext_lazy("清除审结日期，案件恢复为在办（例如审结日期登记有误）；审结口径的统计随之更新。"),
    gettext_lazy("重新打开"),
    danger=True,
)


@login_required
def event_edit(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    """Correct an event through `services.update_event`."""
    case = _writable_case(request, pk)
    event = _event_of(case, event_pk)
    if event is None:
        return _gone(request, case)
    form = EventCorrectionForm(_data(request), event=event)

    def write(data):
        return services.update_event(event, version=data["version"], reason=data["reason"], **form.changes())

    return _handle(request, case, form, EVENT_EDIT, write, _("已更正诉讼环节"), event)


@login_required
def event_delete(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    """Delete an event through `services.delete_event` (refused if what is left breaks a rule)."""
    case = _writable_case(request, pk)
    event = _event_of(case, event_pk)
    if event is None:
        return _gone(request, case)
    form = EventDeleteForm(_data(request), event=event)

    def write(data):
        services.delete_event(event, version=data["version"], reason=data["reason"])

    return _handle(request, case, form, EVENT_DELETE, write, _("已删除诉讼环节"), event)


@login_required
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the case's fields through `services.update_case`."""
    case = _writable_case(request, pk)
    # The form writes into its own copy of the row (a ModelForm fills its instance while validating).
    form = CaseCorrectionForm(_data(request), instance=Case.objects.get(pk=case.pk), user=request.user)

    def write(data):
        return services.update_case(case, form.changes(), version=data["version"], reason=data["reason"])

    return _handle(request, case, form, CASE_EDIT, write, _("已更正案件信息"))


@login_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    """审结 (or correct the closed date) through `services.update_case`; rule 6 is checked there."""
    case = _writable_case(request, pk)
    form = CloseForm(_data(request), case=case)

    def write(data):
        changes = {"closed_on": data["closed_on"]}
        return services.update_case(case, changes, version=data["version"], reason=data["reason"])

    return _handle(request, case, form, CASE_CLOSE, write, _("已记录审结"))


@login_required
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Clear the closed date through `services.update_case`."""
    case = _writable_case(request, pk)
    if case.closed_on is None:
        messages.info(request, _("案件在办，无需重新打开"))
        return redirect("cases:detail", pk=case.pk)
    form = ReopenForm(_data(request), case=case)

    def write(data):
        return services.update_case(case, {"closed_on": None}, version=data["version"], reason=data["reason"])

    return _handle(request, case, form, CASE_REOPEN, write, _("已重新打开案件"))
