"""Settings, tab API-Zugänge (issue 7): the AMS's bearer tokens — created (the token is shown once and
never stored), listed with prefix, read-only and last use, revoked — and the webhook that tells the
AMS of new processes (its signing secret is shown once, too)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from einblick.accounts.http import AuthenticatedRequest
from einblick.brokers.models import ApiToken, Broker, StaffMember
from einblick.brokers.services import create_token, revoke_token, set_webhook
from einblick.errors import DomainError, to_form
from einblick.staff.access import settings_view
from einblick.staff.forms import TokenForm, WebhookForm


def _page(request: AuthenticatedRequest, broker: Broker, **extra: object) -> HttpResponse:
    context = {
        "broker": broker,
        "tokens": list(ApiToken.objects.filter(broker=broker).order_by("revoked_at", "-created_at", "-pk")),
        "form": TokenForm(),
        "webhook_form": WebhookForm(initial={"url": broker.webhook_url}),
        **extra,
    }
    errors = any(f.errors for f in (context["form"], context["webhook_form"]))  # type: ignore[attr-defined]
    return render(request, "staff/tokens.html", context, status=422 if errors else 200)


@settings_view
def token_list(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    if request.method != "POST":
        return _page(request, broker)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, broker, form=form)
    token, secret = create_token(broker=broker, actor=request.user, **form.cleaned_data)
    # Shown in this answer only (never in a URL, a redirect or the session); the page is not cached.
    return _page(request, broker, new_token=token, secret=secret)


@settings_view
def token_revoke(request: AuthenticatedRequest, broker: Broker, me: StaffMember, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.select_related("broker"), broker=broker, pk=pk)
    if request.method == "POST":
        revoke_token(token=token, actor=request.user)
        flash.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
        return redirect("staff:tokens", broker_id=broker.pk)
    return render(request, "staff/token_revoke.html", {"broker": broker, "token": token})


@require_POST
@settings_view
def webhook(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _page(request, broker, webhook_form=form)
    url = form.cleaned_data["url"] or None
    try:
        secret = set_webhook(broker=broker, url=url, actor=request.user)
    except DomainError as exc:
        to_form(form, exc)
        return _page(request, broker, webhook_form=form)
    if secret is None:
        flash.success(request, _("The webhook is removed."))
        return redirect("staff:tokens", broker_id=broker.pk)
    return _page(request, broker, webhook_secret=secret)
