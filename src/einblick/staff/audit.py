"""Settings, tab Protokoll (issue 7): the broker's audit log, newest first (by id: entries are only ever
appended), filterable by actor, action and date, PAGE entries a page with a link to the older ones
(counted in the broker's own log, never by the installation-wide entry ids);
previews, invitations, grant changes, token use and logins are there (audit.services)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from einblick.accounts.http import AuthenticatedRequest
from einblick.audit.labels import action_label
from einblick.audit.models import AuditEntry
from einblick.brokers.models import Broker, StaffMember
from einblick.staff.access import settings_view

PAGE = 200


def _day(value: str) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


@settings_view
def audit_log(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    rows = AuditEntry.objects.filter(broker=broker)
    actor = request.GET.get("actor", "").replace("\x00", "").strip()[:254]
    action = request.GET.get("action", "")
    since, until = _day(request.GET.get("from", "")), _day(request.GET.get("to", ""))
    if actor:
        rows = rows.filter(actor_label__icontains=actor)
    actions = sorted(
        set(AuditEntry.objects.filter(broker=broker).values_list("action", flat=True).distinct())
    )
    if action in actions:
        rows = rows.filter(action=action)
    if since:
        rows = rows.filter(created_at__gte=since)
    if until:
        rows = rows.filter(created_at__lt=until + timedelta(days=1))
    # Pages are counted within this broker's log, not by entry ids: ids are shared by every broker of
    # the installation, and their gaps would tell one broker how much happened elsewhere (domain.md §3).
    page = request.GET.get("page", "")
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 0
    entries = list(rows.order_by("-id")[number * PAGE : (number + 1) * PAGE + 1])
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    for entry in entries:
        entry.action_label = action_label(entry.action)  # type: ignore[attr-defined]
    older = request.GET.copy()
    older.pop("before", None)
    if more:
        older["page"] = str(number + 1)
    context = {
        "broker": broker,
        "entries": entries,
        "older": older.urlencode() if more else "",
        "actions": sorted(((code, action_label(code)) for code in actions), key=lambda pair: pair[1].lower()),
        "chosen": {
            "actor": actor,
            "action": action,
            "from": request.GET.get("from", "")[:10],
            "to": request.GET.get("to", "")[:10],
        },
    }
    return render(request, "staff/audit.html", context)
