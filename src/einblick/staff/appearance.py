"""Settings, tab Erscheinungsbild (issue 7): the broker's name (unique), the office's reply address, two colours and logo
(PNG or JPEG, judged by its content: brokers.logo). The portal's pages and e-mails use them at once."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from einblick.accounts.http import AuthenticatedRequest
from einblick.brokers.colours import DEFAULT_BRAND
from einblick.brokers.logo import MAX_BYTES, remove_logo, set_logo
from einblick.brokers.models import Broker, StaffMember
from einblick.errors import DomainError, to_form
from einblick.office.brokers import update_appearance
from einblick.staff.access import settings_view
from einblick.staff.forms import AppearanceForm, LogoForm

READ_LIMIT = 600 * 1024  # a little over the logo's limit: enough to say "too large" without reading more


def _page(
    request: AuthenticatedRequest,
    broker: Broker,
    form: AppearanceForm | None = None,
    logo_form: LogoForm | None = None,
) -> HttpResponse:
    initial = {
        "name": broker.name,
        "reply_to": broker.reply_to,
        "brand_color": broker.brand_color or DEFAULT_BRAND,
        "accent_color": broker.accent_color or broker.brand_color or DEFAULT_BRAND,
    }
    form = form or AppearanceForm(initial=initial)
    logo_form = logo_form or LogoForm()
    context = {"broker": broker, "form": form, "logo_form": logo_form}
    return render(
        request, "staff/appearance.html", context, status=422 if form.errors or logo_form.errors else 200
    )


@settings_view
def appearance(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    if request.method != "POST":
        return _page(request, broker)
    form = AppearanceForm(request.POST)
    if form.is_valid():
        try:
            update_appearance(broker=broker, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            flash.success(request, _("Saved. The portal shows the new appearance at once."))
            return redirect("staff:appearance", broker_id=broker.pk)
    broker.refresh_from_db()
    return _page(request, broker, form=form)


@require_POST
@settings_view
def logo(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    if request.POST.get("action") == "remove":
        remove_logo(broker=broker, actor=request.user)
        flash.success(request, _("The logo is removed."))
        return redirect("staff:appearance", broker_id=broker.pk)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["logo"]
        try:
            set_logo(broker=broker, data=upload.read(READ_LIMIT + 1), actor=request.user)
        except DomainError:
            if upload.size > MAX_BYTES:
                form.add_error("logo", _("The file is too large: at most 512 KB."))
            else:
                form.add_error("logo", _("The file is not a PNG or JPEG image."))
        else:
            flash.success(request, _("The logo is saved."))
            return redirect("staff:appearance", broker_id=broker.pk)
    return _page(request, broker, logo_form=form)
