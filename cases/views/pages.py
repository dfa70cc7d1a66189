"""Work pages: the case list (with the drill-down filters), the case page, registering cases and logging events."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases import audit, deadlines, services
from cases.facts import BASES
from cases.models import Case, Chapter, OutcomeChoice, ProceduralEvent, QualityReview
from cases.outcomes import display as outcome_text
from cases.views.filtering import FILTER_PARAMS, filter_cases, listed_items, listed_persons
from cases.views.forms import CaseRegistrationForm, EventForm
from teams.access import can_write, can_write_case
from teams.dashboards import basis_label, event_labels
from teams.models import Team
from teams.tables import EXPORT_FORMATS, Column, Table, cell, export_response

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


def _case_table(cases) -> Table:
    table = Table(
        "cases",
        _("案件"),
        [Column(_("统一受案号")), Column(_("案件名称")), Column(_("承办检察官")), Column(_("办案团队"))],
    )
    table.columns += [Column(_("受理日期")), Column(_("审结日期")), Column(_("件数"), True)]
    open_text = _("在办")
    for case in cases:
        table.rows.append(
            [
                cell(case.case_no, reverse("cases:detail", args=[case.pk])),
                cell(case.title),
                cell(case.prosecutor.name),
                cell(case.team.name if case.team else None),
                cell(case.received_on.isoformat() if case.received_on else None),
                cell(case.closed_on.isoformat(), text=None) if case.closed_on else cell(None, text=open_text),
                cell(case.items),
            ]
        )
    return table


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases the user may see, filtered by the query string; paginated, and exported whole."""
    cases, errors = filter_cases(Case.objects.visible_to(request.user), request.GET, request)
    cases = cases.select_related("prosecutor", "team").order_by("-received_on", "case_no")
    fmt = request.GET.get("format")
    exporting = request.GET.get("export") == "cases" and fmt in EXPORT_FORMATS
    if exporting and not errors:
        return _export(cases, fmt)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    active = {k: request.GET[k] for k in FILTER_PARAMS if request.GET.get(k)}
    extras = event_labels()
    event = active.get("event")
    # The items the list carries, as the figure it drills down from counts them; a base step (受理)
    # adds no items of its own, so a list by one says only how many cases it holds.
    counted = not errors and (not event or event in extras)
    context = {
        "page": page,
        "items": listed_items(cases, request.GET) if counted else None,
        "items_event": extras.get(event or ""),
        "persons": None if errors else listed_persons(cases, request.GET),
        "items_basis": basis_label(active["basis"]) if active.get("basis") in BASES else "",
        "table": _case_table(page.object_list),
        "errors": errors,
        "active": active,
        "query": urlencode(active),
        "teams": Team.objects.readable_by(request.user).order_by("team_code").values_list("team_code", "name"),
        "event_types": list(extras.items()),
        "lines": Case.Line.choices,
        "categories": Case.Category.choices,
        "chapters": Chapter.choices,
        "can_write": can_write(request.user),
    }
    # An export with a filter it cannot apply is refused on the page (never "export everything").
    return render(request, "cases/case_list.html", context, status=400 if exporting else 200)


def _export(cases, fmt: str) -> HttpResponse:
    """The filtered cases as a file; above `EXPORT_LIMIT` rows the file ends saying how many were left out."""
    shown = list(cases[:EXPORT_LIMIT])
    omitted = cases.count() - EXPORT_LIMIT if len(shown) == EXPORT_LIMIT else 0
    table = _case_table(shown)
    if omitted > 0:
        note = _("另有 %(n)d 行未导出（页面导出上限 %(limit)d 行）；完整数据请分页读取 API：/api/v1/cases/") % {
            "n": omitted,
            "limit": EXPORT_LIMIT,
        }
        table.footer = [cell(note)] + [cell(None) for _column in table.columns[1:]]
    response = export_response(table, fmt, "cases")
    if omitted > 0:
        response["X-Export-Rows-Omitted"] = str(omitted)
    return response


def _visible_case(request: HttpRequest, pk: int) -> Case:
    queryset = Case.objects.select_related("unit", "department", "prosecutor", "team").visible_to(request.user)
    return get_object_or_404(queryset, pk=pk)


def _label_outcomes(events: list[ProceduralEvent]) -> None:
    """Each event's outcome as people read it (`outcome_display`), with one query for the labels."""
    english = (get_language() or "").startswith("en")
    labels = {
        (type_id, code): (label_en or label_zh) if english else label_zh
        for type_id, code, label_zh, label_en in OutcomeChoice.objects.filter(
            event_type_id__in={e.event_type_id for e in events if e.outcomes}
        ).values_list("event_type_id", "code", "label_zh", "label_en")
    }
    for event in events:
        mine = {code: labels.get((event.event_type_id, code), code) for code in event.outcomes or {}}
        event.outcome_display = outcome_text(event.outcomes, mine)


def _detail_context(request: HttpRequest, case: Case, form: EventForm | None, violations=()) -> dict:
    events = list(
        ProceduralEvent.objects.filter(case=case).select_related("event_type", "prosecutor").order_by("date", "id")
    )
    _label_outcomes(events)
    reviews = list(
        QualityReview.objects.visible_to(request.user)
        .filter(case=case)
        .select_related("reviewer")
        .order_by("-reviewed_on")
    )
    return {
        "case": case,
        "events": events,
        "deadlines": deadlines.current_deadlines(case),
        "history": audit.case_history(case),
        "reviews": reviews,
        "form": form,
        "violations": violations,
        "may_write": can_write_case(request.user, case),
        "may_review": case.closed_on and Case.objects.reviewable_by(request.user).filter(pk=case.pk).exists(),
    }


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A case: its fields, event timeline, items, deadlines, reviews and change history."""
    case = _visible_case(request, pk)
    form = EventForm(case=case) if can_write_case(request.user, case) else None
    return render(request, "cases/case_detail.html", _detail_context(request, case, form))


@login_required
def event_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an event through `cases.services.log_event`; a refused rule is shown inline, nothing saved."""
    case = _visible_case(request, pk)
    if not can_write_case(request.user, case):
        raise Http404
    if request.method != "POST":
        return redirect("cases:detail", pk=case.pk)
    form = EventForm(request.POST, case=case)
    violations = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.log_event(
                case,
                data["event"],
                data["date"],
                persons=data["persons"],
                prosecutor=data["prosecutor"],
                note=data["note"],
                outcomes=data["outcome"],
            )
        except services.SequenceRuleError as exc:
            violations = exc.violations
        except ValidationError as exc:
            for messages_ in exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]:
                for message in messages_:
                    form.add_error(None, message)
        except IntegrityError:
            form.add_error(None, _("该案件已有同一日期的同一环节记录"))
        else:
            messages.success(request, _("已记录诉讼环节"))
            return redirect("cases:detail", pk=case.pk)
    case.refresh_from_db()
    return render(request, "cases/case_detail.html", _detail_context(request, case, form, violations), status=400)


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    """Register a case with its intake step (case-management staff); later events go on the case page."""
    if not can_write(request.user):
        raise Http404
    form = CaseRegistrationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        case = form.save(commit=False)
        try:
            # Both or neither: a case saved without its intake would count nothing (DOMAIN §4).
            with transaction.atomic():
                services.save_case(case)
                form.save_m2m()  # other charges, once the case has an id
                services.log_event(
                    case, form.cleaned_data["intake"], form.cleaned_data["received_on"], persons=case.persons
                )
        except services.SequenceRuleError as exc:
            case.pk = None
            for violation in exc.violations:
                form.add_error("received_on", str(violation))
        except ValidationError as exc:
            case.pk = None
            # e.g. the case number taken by a concurrent writer since the form checked it: on its field.
            fields = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_messages in fields.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("已登记案件 %(no)s") % {"no": case.case_no})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"form": form}, status=400 if form.errors else 200)
