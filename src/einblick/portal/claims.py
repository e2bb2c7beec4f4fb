"""The claim report in the portal: pick a contract (or, with claim_report_on_customer, a customer),
then one step at a time — the loss, the questions of the line (motor, property, liability), payment,
photos and documents — and a review that submits. Every step saves the draft, which the user can
resume from the start page; the permission is checked on every request (visibility.md §6)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from einblick.errors import DomainError, to_form
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portal.access import portal_form
from einblick.portal.frame import frame
from einblick.portal.http import PortalRequest
from einblick.portal.messages import FILES_HELP, MultipleFileField
from einblick.processes import claims
from einblick.processes.models import ClaimDraft

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _short_text(label: StrOrPromise) -> forms.CharField:
    """An optional line of text of the line's questions."""
    return forms.CharField(label=label, max_length=200, required=False)


class LossForm(forms.Form):
    loss_date = forms.DateField(
        label=gettext_lazy("Date of loss"), widget=forms.DateInput(attrs={"type": "date"})
    )
    loss_time = forms.TimeField(
        label=gettext_lazy("Time (if known)"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What happened?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def clean_loss_date(self) -> Any:
        value = self.cleaned_data["loss_date"]
        if value > claims.today():
            raise forms.ValidationError(_("The date of loss cannot be in the future."))
        return value


class MotorForm(forms.Form):
    vehicle = _short_text(gettext_lazy("Vehicle"))
    registration = forms.CharField(label=gettext_lazy("Registration"), max_length=20, required=False)
    other_party = forms.CharField(
        label=gettext_lazy("Other party (name, registration, insurer)"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    police = forms.BooleanField(label=gettext_lazy("The police were involved"), required=False)
    police_station = _short_text(gettext_lazy("Police station, file number"))


class PropertyForm(forms.Form):
    items = forms.CharField(
        label=gettext_lazy("Affected items"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    cause = _short_text(gettext_lazy("Cause (e.g. water, fire, burglary, storm)"))


class LiabilityForm(forms.Form):
    injured_party = forms.CharField(
        label=gettext_lazy("Injured party (name, address) and the damage"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip


class PaymentForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Estimated amount (€)"), max_length=20, required=False)
    iban = forms.CharField(label=gettext_lazy("IBAN for the payment"), max_length=42, required=False)
    account_holder = _short_text(gettext_lazy("Account holder"))

    def clean_amount(self) -> str:
        try:
            amount = claims.parse_amount(self.cleaned_data["amount"])
        except ValueError:
            raise forms.ValidationError(_("Please enter an amount in euros, e.g. 1.250,00.")) from None
        return "" if amount is None else str(amount)

    def clean_iban(self) -> str:
        iban = "".join(self.cleaned_data["iban"].split()).upper()
        if iban and not claims.valid_iban(iban):
            raise forms.ValidationError(_("This is not a valid IBAN. Please check it."))
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


class FilesForm(forms.Form):
    attachments = MultipleFileField(label=gettext_lazy("Photos and documents"), help_text=FILES_HELP)


DETAILS = {"motor": MotorForm, "property": PropertyForm, "liability": LiabilityForm}
TITLES = {
    "loss": gettext_lazy("The loss"),
    "details": gettext_lazy("Details"),
    "payment": gettext_lazy("Amount and payment"),
    "files": gettext_lazy("Photos and documents"),
    "review": gettext_lazy("Check and send"),
}


def _steps(draft: ClaimDraft) -> list[str]:
    kind = claims.kind_of(draft)
    return ["loss", *(["details"] if kind in DETAILS else []), "payment", "files", "review"]


def _id(value: str) -> bool:
    """Digits only (ASCII: "²".isdigit() is true, int("²") is not), as a database key."""
    return re.fullmatch(r"[0-9]{1,18}", value) is not None


def _may_report(grant: Grant) -> tuple[bool, bool]:
    permissions = visibility.permissions(grant)
    return permissions["claim_report"], permissions["claim_report_on_customer"]


@portal_form
def start(
    request: PortalRequest, grant: Grant, contract_pk: int | None = None, customer_pk: int | None = None
) -> HttpResponse:
    """Pick what the claim is about (or come with it from a contract's or customer's page), or resume
    a draft."""
    on_contract, on_customer = _may_report(grant)
    if not (on_contract or on_customer):
        raise PermissionDenied("This grant does not allow claim reports.")
    contracts = (
        visibility.contracts(grant).select_related("line", "customer").order_by("line__label", "pk")[:500]
    )
    customers = visibility.customers(grant).order_by("last_name", "company_name", "pk")[:500]
    chosen_contract = chosen_customer = None
    if contract_pk is not None:
        if not on_contract:
            raise PermissionDenied("This grant does not allow claim reports.")
        chosen_contract = get_object_or_404(
            visibility.contracts(grant).select_related("line"), pk=contract_pk
        )
    if customer_pk is not None:
        if not on_customer:
            raise PermissionDenied("This grant does not allow claim reports on a customer.")
        chosen_customer = get_object_or_404(visibility.customers(grant), pk=customer_pk)
    if request.method == "POST":
        contract = customer = None
        if _id(request.POST.get("contract", "")) and on_contract:
            contract = (
                visibility.contracts(grant)
                .select_related("customer")
                .filter(pk=int(request.POST["contract"]))
                .first()
            )
        elif _id(request.POST.get("customer", "")) and on_customer:
            customer = visibility.customers(grant).filter(pk=int(request.POST["customer"])).first()
        if contract is None and customer is None:
            flash.error(request, _("Please choose the contract (or the customer) the claim is about."))
        else:
            draft = claims.start(grant=grant, user=request.user, contract=contract, customer=customer)
            return redirect("portal:claim_step", grant_id=grant.pk, draft_id=draft.pk, step="loss")
    drafts = []
    if not request.preview:
        mine = ClaimDraft.objects.filter(grant=grant, user_id=request.user.pk)
        drafts = list(mine.select_related("contract__line", "customer").order_by("-updated_at"))
    context = frame(
        request, grant, contracts=list(contracts) if on_contract else [], customers=list(customers) if on_customer else [],
        chosen_contract=chosen_contract, chosen_customer=chosen_customer, drafts=drafts,
    )  # fmt: skip
    return render(request, "portal/claim_start.html", context)


def _draft(request: PortalRequest, grant: Grant, draft_id: str) -> ClaimDraft:
    if request.preview:
        raise Http404  # drafts are their author's
    return get_object_or_404(
        ClaimDraft.objects.select_related("contract__line", "customer"),
        pk=draft_id,
        grant=grant,
        user=request.user,
    )


@portal_form
def step(request: PortalRequest, grant: Grant, draft_id: str, step: str) -> HttpResponse:
    draft = _draft(request, grant, draft_id)
    steps = _steps(draft)
    if step not in steps:
        raise Http404
    on_contract, on_customer = _may_report(grant)
    if not (on_contract if draft.contract_id else on_customer):
        raise PermissionDenied("This grant does not allow this claim report.")
    following = steps[steps.index(step) + 1] if step != "review" else None
    if step == "review":
        return _review(request, grant, draft, steps)
    form_class = {"loss": LossForm, "payment": PaymentForm, "files": FilesForm}.get(step) or DETAILS[
        claims.kind_of(draft)
    ]
    initial = {k: v for k, v in draft.data.items() if k in form_class.base_fields}
    form = form_class(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if _id(request.POST.get("remove", "")):
            claims.remove_file(draft, int(request.POST["remove"]))
            return redirect("portal:claim_step", grant_id=grant.pk, draft_id=draft.pk, step=step)
        if form.is_valid():
            try:
                if step == "files":
                    claims.add_files(draft, form.cleaned_data["attachments"])
                else:
                    draft.data = {**draft.data, **{k: _plain(v) for k, v in form.cleaned_data.items()}}
                    draft.save(update_fields=["data", "updated_at"])
            except DomainError as exc:
                to_form(form, exc)
            else:
                target = step if step == "files" and request.POST.get("more") else following
                return redirect("portal:claim_step", grant_id=grant.pk, draft_id=draft.pk, step=target)
    context = frame(
        request, grant, draft=draft, form=form, step=step, steps=[(s, TITLES[s]) for s in steps],
        title=TITLES[step], files=list(draft.files.all()) if step == "files" else [],
        previous=steps[steps.index(step) - 1] if step != "loss" else None,
    )  # fmt: skip
    return render(request, "portal/claim_step.html", context)


def _plain(value: Any) -> Any:
    """What the draft's JSON keeps: dates and times as ISO text."""
    if hasattr(value, "isoformat"):
        return (
            value.isoformat()[:5]
            if hasattr(value, "hour") and not hasattr(value, "year")
            else value.isoformat()
        )
    return value


def _review(request: PortalRequest, grant: Grant, draft: ClaimDraft, steps: list[str]) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "discard":
            claims.discard(draft)
            flash.info(request, _("The draft is discarded."))
            return redirect("portal:claim_report", grant_id=grant.pk)
        try:
            process = claims.submit(draft=draft, grant=grant, user=request.user)
        except DomainError:
            flash.error(request, _("Please complete the report first."))
            return redirect("portal:claim_step", grant_id=grant.pk, draft_id=draft.pk, step="loss")
        if grant.claims:
            flash.success(
                request,
                _(
                    "Thank you: your claim is reported. You see it under your claims; the office will get back to you."
                ),
            )
        else:
            flash.success(request, _("Thank you: your claim is reported. The office will get back to you."))
        return redirect("portal:thread", grant_id=grant.pk, process_id=process.pk)
    context = frame(
        request, grant, draft=draft, step="review", steps=[(s, TITLES[s]) for s in steps], title=TITLES["review"],
        rows=claims.rows(draft), files=list(draft.files.all()), missing=claims.missing(draft), previous="files",
    )  # fmt: skip
    return render(request, "portal/claim_review.html", context)
