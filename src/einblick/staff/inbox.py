"""The office's inbox of processes (domain.md §5): every process of the staff member's brokers,
filterable by clerk, type and state; open one (it is read then), answer, close. Staff of role admin or
user only; another broker's process is 404."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from einblick.accounts.http import AuthenticatedRequest
from einblick.accounts.roles import staff_memberships
from einblick.brokers.models import StaffMember
from einblick.errors import DomainError, to_form
from einblick.processes import files, services
from einblick.processes.models import Attachment, Process, ProcessState, ProcessType

PAGE = 100


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Answer"), max_length=services.MAX_BODY, widget=forms.Textarea(attrs={"rows": 6})
    )


def _memberships(request: AuthenticatedRequest) -> list[StaffMember]:
    memberships = list(staff_memberships(request.user.email))
    if not memberships:
        raise PermissionDenied
    return memberships


def _visible(memberships: list[StaffMember]) -> QuerySet[Process]:
    return Process.objects.filter(broker_id__in=[m.broker_id for m in memberships])


@never_cache
@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    memberships = _memberships(request)
    rows = _visible(memberships).select_related("clerk", "grant", "broker").order_by("-updated_at", "pk")
    clerk = request.GET.get("clerk", "")
    kind = request.GET.get("type", "")
    state = request.GET.get("state", "")
    if clerk == "mine":
        rows = rows.filter(clerk__in=memberships)
    elif re.fullmatch(r"[0-9]{1,18}", clerk):
        rows = rows.filter(clerk_id=int(clerk))
    if kind in ProcessType.values:
        rows = rows.filter(type=kind)
    if state in ProcessState.values:
        rows = rows.filter(state=state)
    clerks = StaffMember.objects.filter(
        broker_id__in=[m.broker_id for m in memberships], role__in=["admin", "user"]
    )
    context = {
        "processes": list(rows[:PAGE]),
        "clerks": clerks.order_by("name", "pk"),
        "types": ProcessType.choices,
        "states": ProcessState.choices,
        "chosen": {"clerk": clerk, "type": kind, "state": state},
        "several_brokers": len({m.broker_id for m in memberships}) > 1,
    }
    return render(request, "staff/inbox.html", context)


@never_cache
@login_required
def process_detail(request: AuthenticatedRequest, process_id: str) -> HttpResponse:
    memberships = _memberships(request)
    process = get_object_or_404(
        _visible(memberships).select_related("clerk", "grant", "customer", "contract", "created_by"),
        pk=process_id,
    )
    me = next(m for m in memberships if m.broker_id == process.broker_id)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "close":
            services.close(process=process, actor=request.user)
            flash.success(request, _("The process is closed."))
            return redirect("staff:process", process_id=process.pk)
        if form.is_valid():
            try:
                services.reply_as_office(
                    process=process, author=me, body=form.cleaned_data["body"], actor=request.user
                )
            except DomainError as exc:
                to_form(form, exc)
            else:
                flash.success(request, _("Your answer has been sent; the customer is told by e-mail."))
                return redirect("staff:process", process_id=process.pk)
    if process.office_unread:
        Process.objects.filter(pk=process.pk).update(office_unread=False)
    context = {
        "process": process,
        "thread_messages": list(process.messages.prefetch_related("attachments")),
        "form": form,
    }
    return render(request, "staff/process.html", context)


@never_cache
@login_required
def attachment(request: AuthenticatedRequest, process_id: str, attachment_id: int) -> FileResponse:
    process = get_object_or_404(_visible(_memberships(request)), pk=process_id)
    return files.download(get_object_or_404(Attachment, pk=attachment_id, message__process=process))
