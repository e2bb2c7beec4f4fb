"""Account pages that allauth does not bring: invitation, overview, export, deletion, demo outbox."""

from __future__ import annotations

import json

from allauth.core.internal.ratelimit import consume_or_429
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from einblick.accounts import consent, invitations, privacy
from einblick.accounts.audit import QUIET_LOGIN, record
from einblick.accounts.forms import DeleteAccountForm, SetPasswordForm
from einblick.accounts.http import AuthenticatedRequest
from einblick.accounts.models import User
from einblick.accounts.outbox import read_outbox
from einblick.accounts.roles import is_staff_user, member_grants, staff_memberships
from einblick.audit.context import client_ip
from einblick.brokers import logo
from einblick.brokers.models import StaffRole

INVITATION_SESSION_KEY = "einblick_invitation"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _limited(request: HttpRequest, action: str) -> HttpResponse | None:
    return consume_or_429(request, app="allauth.account", action=action, limit_get=True)


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The front door: staff to the office, everyone else to the portal, strangers to the login."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    if consent.has_pending(request.user.email):
        return redirect("portal:home")  # a broker waits for an answer: the portal's card asks
    if is_staff_user(request.user):
        return redirect("staff:home")
    if request.user.is_superuser and not member_grants(request.user.email).exists():
        return redirect("admin:index")
    return redirect("portal:home")


@never_cache
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail. The token moves into the session at once and the browser goes on to
    a URL without it, so it shows up in no history, log or Referer header."""
    if response := _limited(request, "accept_invitation"):
        return response
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("invitation")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest) -> HttpResponse:
    """The broker's question, with its name and logo: a new address answers yes by choosing a
    password; an existing account logs in and answers on the portal's card; anyone with the link may
    say no."""
    token = request.session.get(INVITATION_SESSION_KEY, "")
    found = invitations.find_invitation(token)
    if found is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    broker = found.broker
    if request.method == "POST" and (response := _limited(request, "accept_invitation")):
        return response
    if request.user.is_authenticated and request.user.email.lower() != found.email.lower():
        # Somebody else is logged in here: the link is not theirs to answer, and following a link
        # does not log anybody out (a GET changes nothing).
        return render(request, "accounts/invitation_other.html", {"broker": broker})
    if request.method == "POST" and "decline" in request.POST:
        invitations.decline_invitation(token=token)
        request.session.pop(INVITATION_SESSION_KEY, None)
        return render(request, "accounts/invitation_declined.html", {"broker": broker})
    context: dict[str, object] = {"email": found.email, "broker": broker, "logo": logo.data_uri(broker)}
    if User.objects.filter(email__iexact=found.email).exists():
        # Only the holder of the link learns this, and it is the address's own mailbox.
        if request.user.is_authenticated:  # it is theirs (see above)
            request.session.pop(INVITATION_SESSION_KEY, None)
            return redirect("home")  # the portal's card asks the question
        return render(request, "accounts/invitation.html", {**context, "existing": True})
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.accept_invitation(
                token=token, password=form.cleaned_data["password1"], ip=client_ip(request)
            )
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            if user is None:
                return render(request, "accounts/invitation_invalid.html", status=404)
            setattr(request, QUIET_LOGIN, True)  # logged as the acceptance (accounts.audit)
            login(request, user, backend=BACKEND)  # a new session id
            messages.success(request, _("Welcome! Your password is set."))
            return redirect("home")
    context["form"] = form
    return render(request, "accounts/invitation.html", context, status=400 if form.errors else 200)


def no_email_management(request: HttpRequest) -> HttpResponse:
    raise Http404


@never_cache
@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    context = {
        "staff": list(staff_memberships(user.email)),
        "export": privacy.export_account(user),
    }
    return render(request, "accounts/overview.html", context)


@never_cache
@login_required
def export(request: AuthenticatedRequest) -> HttpResponse:
    data = privacy.export_account(request.user)
    record(request, action="account.exported", user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="einblick-daten-{stamp}.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST" and (response := _limited(request, "reauthenticate")):
        return response  # the password is asked for here: guessing it is throttled like elsewhere
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        privacy.delete_account(user=user, ip=client_ip(request))
        messages.success(request, _("Your account has been deleted."))
        return redirect("account_login")
    return render(request, "accounts/delete.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
def outbox(request: AuthenticatedRequest) -> HttpResponse:
    """The demo's outbox (EMAIL_URL=outbox:): operators read every mail, a broker's administrators
    that broker's; staff of role user and portal users none (the mails carry invitation links)."""
    if settings.EMAIL_BACKEND != "einblick.accounts.outbox.OutboxBackend":
        raise Http404
    user = request.user
    if user.is_superuser:
        broker_ids = None
    else:
        admins = staff_memberships(user.email).filter(role=StaffRole.ADMIN)
        broker_ids = {str(s.broker_id) for s in admins}
        if not broker_ids:
            raise PermissionDenied
    return render(request, "accounts/outbox.html", {"mails": read_outbox(broker_ids=broker_ids)})
