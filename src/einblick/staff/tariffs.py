"""Settings, tab Tarifrechner (issue 7): the broker's tariff calculator accounts — name and URL template
— created, edited and deleted here or by the AMS; the grants that use an account are listed with it."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from einblick.accounts.http import AuthenticatedRequest
from einblick.brokers.models import Broker, StaffMember, TariffAccount
from einblick.errors import DomainError, to_form
from einblick.grants.models import Grant
from einblick.office.brokers import delete_tariff_account, save_tariff_account
from einblick.staff.access import settings_view
from einblick.staff.forms import TariffAccountForm


def _accounts(broker: Broker) -> list[TariffAccount]:
    grants = Prefetch(
        "grants", queryset=Grant.objects.order_by("name", "pk").only("pk", "name", "tariff_account_id")
    )
    return list(TariffAccount.objects.filter(broker=broker).prefetch_related(grants).order_by("name", "pk"))


def _account(broker: Broker, pk: int) -> TariffAccount:
    return get_object_or_404(TariffAccount.objects.select_related("broker"), broker=broker, pk=pk)


@settings_view
def tariff_list(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    form = TariffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            save_tariff_account(broker=broker, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            flash.success(request, _("The tariff account is created."))
            return redirect("staff:tariffs", broker_id=broker.pk)
    context = {"broker": broker, "accounts": _accounts(broker), "form": form}
    return render(request, "staff/tariffs.html", context, status=422 if form.errors else 200)


@settings_view
def tariff_edit(request: AuthenticatedRequest, broker: Broker, me: StaffMember, pk: int) -> HttpResponse:
    account = _account(broker, pk)
    form = TariffAccountForm(request.POST or None, initial={"name": account.name, "url": account.url})
    if request.method == "POST" and form.is_valid():
        try:
            save_tariff_account(broker=broker, actor=request.user, account=account, **form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            flash.success(request, _("Saved."))
            return redirect("staff:tariffs", broker_id=broker.pk)
    context = {
        "broker": broker,
        "account": account,
        "form": form,
        "grants": list(account.grants.order_by("name")),
    }
    return render(request, "staff/tariff.html", context, status=422 if form.errors else 200)


@settings_view
def tariff_delete(request: AuthenticatedRequest, broker: Broker, me: StaffMember, pk: int) -> HttpResponse:
    account = _account(broker, pk)
    if request.method == "POST":
        delete_tariff_account(account=account, actor=request.user)
        flash.success(request, _("The tariff account “%(name)s” is deleted.") % {"name": account.name})
        return redirect("staff:tariffs", broker_id=broker.pk)
    context = {"broker": broker, "account": account, "grants": list(account.grants.order_by("name"))}
    return render(request, "staff/tariff_delete.html", context)
