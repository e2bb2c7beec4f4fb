"""The office's entry page. (Settings, grant editor and inbox follow in issues 6 and 7.)"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from einblick.accounts.http import AuthenticatedRequest
from einblick.accounts.preview import previewable_grant, start_preview
from einblick.accounts.roles import staff_memberships
from einblick.audit.services import log_action
from einblick.brokers.models import StaffRole
from einblick.grants.models import Grant


@never_cache
@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    memberships = list(staff_memberships(request.user.email))
    if not memberships:
        raise PermissionDenied
    outbox = settings.EMAIL_BACKEND == "einblick.accounts.outbox.OutboxBackend"
    admin_of = [m.broker_id for m in memberships if m.role == StaffRole.ADMIN]
    grants = (
        Grant.objects.filter(broker_id__in=admin_of).select_related("broker").order_by("broker__name", "name")
    )
    context = {"memberships": memberships, "outbox": outbox, "grants": grants[:200]}
    return render(request, "staff/home.html", context)


@never_cache
@login_required
def preview(request: AuthenticatedRequest, grant_id: str) -> HttpResponse:
    """Freischaltungseinsicht: the portal of one grant exactly as its users see it, read-only, for a
    staff admin of the grant's broker (anyone else: 404). Every preview is audit-logged."""
    grant = previewable_grant(request.user.email, grant_id)
    if grant is None:
        raise Http404
    start_preview(request, grant)
    log_action(
        broker=grant.broker,
        actor=request.user,
        action="grant.previewed",
        object_type="grant",
        object_id=grant.pk,
    )
    return redirect("portal:dashboard", grant_id=grant.pk)
