"""The notices page (what the daily reminder e-mail says, on the site) and its count for the header."""

from __future__ import annotations

import time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases.reminders import digest_for
from teams.models import NotificationPreference
from teams.sections import deadlines_table

# The header asks for the count on every page; a user's count is recomputed at most this often.
COUNT_MAX_AGE = 300


class PreferenceForm(forms.ModelForm):
    """Opt in or out of the daily reminder e-mail."""

    class Meta:
        model = NotificationPreference
        fields = ["daily_digest"]
        labels = {"daily_digest": _lazy("接收每日提醒邮件")}


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """Today's digest of the user, and the e-mail opt-out."""
    preference, _created = NotificationPreference.objects.get_or_create(user=request.user)
    form = PreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("提醒设置已保存"))
        return redirect("cases:notices")
    digest = digest_for(request.user, timezone.localdate())
    request.session["notice_count"] = [digest.count, time.time()]
    context = {
        "digest": digest,
        "deadlines": deadlines_table(digest.deadlines),
        "form": form,
        "email": request.user.email,
        "today": timezone.localdate(),
    }
    return render(request, "cases/notices.html", context)


@login_required
def notice_count(request: HttpRequest) -> JsonResponse:
    """{"count": n} for the header badge, kept in the session for COUNT_MAX_AGE seconds."""
    count, when = request.session.get("notice_count") or (None, 0)
    if count is None or time.time() - when > COUNT_MAX_AGE:
        count = digest_for(request.user, timezone.localdate()).count
        request.session["notice_count"] = [count, time.time()]
    return JsonResponse({"count": count})
