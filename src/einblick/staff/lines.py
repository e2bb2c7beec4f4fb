"""Settings, tab Sparten (issue 7): the broker's line catalogue — code, label, dashboard group, GDV code.
Labels and groups are edited here (or by the AMS); the portal's dashboard groups its cards by them."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from einblick.accounts.http import AuthenticatedRequest
from einblick.brokers.models import Broker, StaffMember
from einblick.errors import DomainError, to_form
from einblick.office.brokers import edit_line
from einblick.portfolio.models import Line
from einblick.staff.access import settings_view
from einblick.staff.forms import LineForm


@settings_view
def line_list(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    lines = list(Line.objects.filter(broker=broker).order_by("group", "label", "code"))
    context = {"broker": broker, "lines": lines, "groups": LineForm.base_fields["group"].choices}  # type: ignore[attr-defined]
    return render(request, "staff/lines.html", context)


@settings_view
def line_edit(request: AuthenticatedRequest, broker: Broker, me: StaffMember, pk: int) -> HttpResponse:
    line = get_object_or_404(Line.objects.select_related("broker"), broker=broker, pk=pk)
    form = LineForm(request.POST or None, initial={"label": line.label, "group": line.group})
    if request.method == "POST" and form.is_valid():
        try:
            edit_line(line=line, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            flash.success(request, _("The line %(code)s is saved.") % {"code": line.code})
            return redirect("staff:lines", broker_id=broker.pk)
    context = {"broker": broker, "line": line, "form": form}
    return render(request, "staff/line.html", context, status=422 if form.errors else 200)
