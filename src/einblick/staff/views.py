"""The office's entry page. (Settings, grant editor and inbox follow in issues 6 and 7.)"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from einblick.accounts.roles import staff_memberships


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(staff_memberships(request.user.email))  # type: ignore[union-attr]
    if not memberships:
        raise PermissionDenied
    outbox = settings.EMAIL_BACKEND == "einblick.accounts.outbox.OutboxBackend"
    return render(request, "staff/home.html", {"memberships": memberships, "outbox": outbox})
