"""Settings, tab Protokoll (issue 7): the broker's audit log, newest first, filterable by actor, action
and date; previews, invitations, grant changes, token use and logins are there (audit.services)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

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
def audit_log(request: HttpRequest, broker: Broker, me: StaffMember) -> HttpResponse:
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
    context = {
        "broker": broker,
        "entries": list(rows.order_by("-created_at", "-id")[:PAGE]),
        "actions": actions,
        "chosen": {
            "actor": actor,
            "action": action,
            "from": request.GET.get("from", "")[:10],
            "to": request.GET.get("to", "")[:10],
        },
        "page_size": PAGE,
    }
    return render(request, "staff/audit.html", context)
