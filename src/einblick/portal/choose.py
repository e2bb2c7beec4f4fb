"""The portal's front page: the brokers waiting for an answer (the consent cards, domain.md §3) and
the choice of access. Every card and every access shows whose it is: the broker's name and logo."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from einblick.accounts import consent
from einblick.accounts.http import AuthenticatedRequest
from einblick.accounts.roles import member_grants
from einblick.audit.context import client_ip


@never_cache
@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Open invitations first; then one grant: straight in; several (also of different brokers): pick
    one."""
    offers = consent.pending(request.user.email)
    grants = list(member_grants(request.user.email).select_related("broker").order_by("broker__name", "name"))
    if len(grants) == 1 and not offers:
        return redirect("portal:dashboard", grant_id=grants[0].pk)
    return render(request, "portal/choose.html", {"grants": grants, "offers": offers})


@never_cache
@login_required
@require_POST
def answer(request: AuthenticatedRequest) -> HttpResponse:
    """*Annehmen* / *Ablehnen* on a card: only for a broker that waits for this person's answer."""
    broker_id = request.POST.get("broker", "")
    choice = request.POST.get("answer", "")
    shown = {int(i) for i in request.POST.getlist("invitation") if i.isdigit() and len(i) < 19}
    offer = next(
        (o for o in consent.pending(request.user.email) if str(o.broker.pk) == broker_id),
        None,
    )
    if offer is None or choice not in ("accept", "decline") or not shown & set(offer.invitations):
        raise Http404  # answered meanwhile, expired, withdrawn, or never asked
    broker = offer.broker
    # Only what the card showed is answered: what the broker added since waits for its own answer.
    if choice == "accept":
        done = consent.accept(user=request.user, broker=broker, ip=client_ip(request), ids=shown)
        message = _("You have accepted the invitation of %(broker)s.")
    else:
        done = consent.decline(email=request.user.email, broker=broker, ids=shown)
        message = _("You have declined the invitation of %(broker)s.")
    if not done:
        raise Http404
    flash.success(request, message % {"broker": broker.name})
    return redirect("home")
