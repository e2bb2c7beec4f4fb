"""The portal's entry page. (The full private and business views are issue 5; this page lists what the
user's grants show, through grants/visibility.py like everything else.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from einblick.accounts.roles import member_grants
from einblick.brokers.models import Broker
from einblick.grants import visibility

PAGE = 200


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    email = request.user.email  # type: ignore[union-attr]
    broker_ids = sorted(set(member_grants(email).values_list("broker_id", flat=True)))
    sections = []
    for broker in Broker.objects.filter(pk__in=broker_ids).order_by("name"):
        grants = list(visibility.active_grants(broker.pk, email))
        contracts = (
            visibility.union_contracts(grants)
            .select_related("line")
            .order_by("line__label", "insurer", "number")[:PAGE]
        )
        sections.append({"broker": broker, "grants": grants, "contracts": contracts})
    return render(request, "portal/home.html", {"sections": sections})
