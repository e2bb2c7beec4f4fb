"""Contract capture (Vertragserfassung) and offer requests (Angebotserstellung) in the portal
(domain.md §5, visibility.md §6): forms that create an ONLINE_VERTRAG or OFFER_REQUEST process. The
permission is checked here and again in the service; the preview refuses every POST."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from einblick.errors import DomainError, to_form
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portal.access import portal_form
from einblick.portal.frame import frame
from einblick.portal.http import PortalRequest
from einblick.portal.messages import FILES_HELP, MultipleFileField, _new_token, _use_token
from einblick.portfolio.models import Customer, Line, PaymentInterval
from einblick.processes import capture, services

CUSTOMER_CHOICES = 500


def _lines(grant: Grant) -> QuerySet[Line]:
    return Line.objects.filter(broker_id=grant.broker_id).order_by("label", "code")


def _offer(field: forms.Field, queryset: QuerySet[Any], label: Callable[[Any], str]) -> None:
    """A choice field's options: what the grant shows, named for people."""
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset
    field.label_from_instance = label  # type: ignore[method-assign,assignment]  # as Django documents it


class CaptureForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=gettext_lazy("Customer"))
    line = forms.ModelChoiceField(queryset=Line.objects.none(), label=gettext_lazy("Line"))
    insurer = forms.CharField(label=gettext_lazy("Insurer"), max_length=200)
    number = forms.CharField(label=gettext_lazy("Policy number"), max_length=100, required=False)
    premium = forms.DecimalField(
        label=gettext_lazy("Premium (€)"), max_digits=12, decimal_places=2, min_value=Decimal(0), required=False,
        localize=True,
    )  # fmt: skip
    payment_interval = forms.ChoiceField(
        label=gettext_lazy("Payment interval"), choices=[("", "–"), *PaymentInterval.choices], required=False
    )
    start_date = forms.DateField(
        label=gettext_lazy("Start"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    attachments = MultipleFileField(label=gettext_lazy("Policy document"), help_text=FILES_HELP)

    def __init__(self, grant: Grant, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customers = visibility.customers(grant).order_by("last_name", "company_name", "first_name", "pk")
        _offer(self.fields["customer"], customers, lambda c: c.display_name)
        _offer(self.fields["line"], _lines(grant), lambda line: line.label)
        if customers[:2].count() == 1:
            self.fields["customer"].initial = customers.first()


@portal_form
def contract_capture(request: PortalRequest, grant: Grant) -> HttpResponse:
    if not visibility.permissions(grant)["contract_capture"]:
        raise PermissionDenied("This grant does not allow contract capture.")
    form = CaptureForm(grant, request.POST or None, request.FILES or None, initial=_preset(request, grant))
    if request.method == "POST" and form.is_valid():
        if not _use_token(request):
            flash.info(request, _("This contract has been recorded already."))
            return redirect("portal:messages", grant_id=grant.pk)
        data = form.cleaned_data
        try:
            process = capture.capture_contract(
                grant=grant,
                user=request.user,
                customer=data["customer"],
                data=data,
                uploads=data["attachments"],
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            flash.success(request, _("Thank you: the contract is recorded and appears under your contracts."))
            return redirect("portal:thread", grant_id=grant.pk, process_id=process.pk)
    context = frame(request, grant, form=form, token=_new_token(request))
    return render(request, "portal/capture.html", context)


def _preset(request: PortalRequest, grant: Grant) -> dict[str, Any]:
    """?customer=<id> from a customer's page, when the grant shows that customer."""
    pk = request.GET.get("customer", "")
    if re.fullmatch(r"[0-9]{1,18}", pk) and visibility.customers(grant).filter(pk=int(pk)).exists():
        return {"customer": int(pk)}
    return {}


class OfferForm(forms.Form):
    line = forms.ModelChoiceField(queryset=Line.objects.none(), label=gettext_lazy("Line"), required=False)
    wishes = forms.CharField(
        label=gettext_lazy("What should the offer cover?"),
        max_length=services.MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, grant: Grant, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self.fields["line"], _lines(grant), lambda line: line.label)


@portal_form
def offer_request(request: PortalRequest, grant: Grant) -> HttpResponse:
    """Two ways: the tariff calculator in a new tab (the office is told), or a request for advice."""
    if not visibility.permissions(grant)["offer_creation"]:
        raise PermissionDenied("This grant does not allow offers.")
    form = OfferForm(grant, request.POST or None)
    if request.method == "POST" and form.is_valid():
        calculator = request.POST.get("action") == "calculator"
        line = form.cleaned_data["line"]
        if not calculator and not form.cleaned_data["wishes"].strip():
            form.add_error("wishes", _("Please describe what the offer should cover."))
        elif not _use_token(request):
            flash.info(request, _("This request has been sent already."))
            return redirect("portal:messages", grant_id=grant.pk)
        else:
            try:
                process = capture.request_offer(
                    grant=grant,
                    user=request.user,
                    line=line,
                    wishes=form.cleaned_data["wishes"],
                    calculator=calculator,
                )
            except DomainError as exc:
                to_form(form, exc)
            else:
                if calculator:  # a page that moves on (the CSP's form-action forbids a redirect away)
                    url = capture.calculator_url(grant, line)
                    return render(request, "portal/calculator.html", frame(request, grant, url=url))
                flash.success(request, _("Thank you: your request has been sent to the office."))
                return redirect("portal:thread", grant_id=grant.pk, process_id=process.pk)
    context = frame(request, grant, form=form, token=_new_token(request))
    return render(request, "portal/offer.html", context)
