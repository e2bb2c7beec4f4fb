"""Grants (Freischaltungen): what a broker shares with whom (domain.md §3, visibility.md)."""

from __future__ import annotations

import secrets
from typing import get_args

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from einblick.brokers.models import Broker, StaffMember, TariffAccount
from einblick.grants.payloads import StatusOption
from einblick.portfolio.models import Contract, ContractStatus, Customer

# The eleven status options of automatic sharing (visibility.md §1).
STATUS_OPTIONS: tuple[str, ...] = get_args(StatusOption)


def status_meanings() -> list[tuple[str, str]]:
    """The options with what each matches (visibility.md §1), for the grant editor."""

    special = {
        "ANTRAG": _("Own contract with an application date"),
        "POLICE": _("Own contract with a document date"),
        "EIGEN": _("Own contract without those dates, or an offer with an offer date"),
    }
    return [(o, str(special.get(o) or ContractStatus(o).label)) for o in STATUS_OPTIONS]


def new_grant_id() -> str:
    """Opaque, not guessable, not sequential."""
    return "g_" + secrets.token_urlsafe(12)


class GrantView(models.TextChoices):
    PRIVATE = "private", _("Private customer view")
    BUSINESS = "business", _("Business customer view")


class GrantQuerySet(models.QuerySet["Grant"]):
    def of_active_member(self, email: str) -> GrantQuerySet:
        """The grants in which this e-mail is an active member (of every broker; filter further for
        one). The one place that says who is a portal user of which grant (visibility.md §7)."""
        return self.filter(pk__in=GrantMember.objects.active(email).values("grant_id"))


class Grant(models.Model):
    id = models.CharField(primary_key=True, max_length=24, default=new_grant_id, editable=False)
    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="grants")
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # 1. Customers (Freischaltungen), or intermediary numbers for an intermediary grant.
    customers = models.ManyToManyField(Customer, blank=True, related_name="grants")
    intermediaries = models.JSONField(_("intermediary numbers"), default=list, blank=True)

    # 2. Sharing (Teilen)
    claims = models.BooleanField(_("include claims"), default=False)
    reference_addresses = models.BooleanField(_("show reference addresses"), default=False)
    auto_contracts = models.BooleanField(_("share contracts automatically"), default=False)
    statuses = models.JSONField(_("status options"), default=list, blank=True)
    lines = models.JSONField(_("line filter"), default=list, blank=True)  # line codes; empty: all lines
    contracts = models.ManyToManyField(Contract, blank=True, related_name="grants")  # hand-picked
    shared_processes = models.BooleanField(_("share processes"), default=False)
    document_keywords = models.JSONField(_("document keywords"), default=list, blank=True)

    # 4. Actions and clerk (Aktionen und Betreuer)
    view = models.CharField(_("view"), max_length=8, choices=GrantView.choices, default=GrantView.PRIVATE)
    primary_contact = models.BooleanField(_("primary contact"), default=False)
    product_names = models.BooleanField(_("product names"), default=False)
    messages = models.BooleanField(_("messages"), default=False)
    claim_report = models.BooleanField(_("claim report"), default=False)
    claim_report_on_customer = models.BooleanField(_("claim report on the customer"), default=False)
    contract_capture = models.BooleanField(_("contract capture"), default=False)
    offer_creation = models.BooleanField(_("offer creation"), default=False)
    tariff_account = models.ForeignKey(
        TariffAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants"
    )
    clerk = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants"
    )
    show_clerk = models.BooleanField(_("show clerk"), default=False)

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(condition=Q(view__in=GrantView.values), name="grant_view_valid")
        ]
        indexes = [models.Index(fields=["broker", "name"], name="grant_broker_name")]

    def __str__(self) -> str:
        return self.name


class MemberState(models.TextChoices):
    INVITED = "invited", _("invited")
    ACTIVE = "active", _("active")
    DECLINED = "declined", _("declined")  # the person said no to this broker (domain.md §3)


class GrantMemberQuerySet(models.QuerySet["GrantMember"]):
    def active(self, email: str | None = None) -> GrantMemberQuerySet:
        """Active memberships (of this e-mail, ignoring case: members are stored lower-case)."""
        rows = self.filter(state=MemberState.ACTIVE)
        return rows if email is None else rows.filter(email=email.lower())


class GrantMember(models.Model):
    """A portal user of a grant, by e-mail (Geteilt mit Benutzer)."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="members")
    email = models.EmailField(_("e-mail"), max_length=254)
    state = models.CharField(
        _("state"), max_length=8, choices=MemberState.choices, default=MemberState.INVITED
    )
    invited_at = models.DateTimeField(_("invited at"))
    joined_at = models.DateTimeField(_("joined at"), null=True, blank=True)

    objects = GrantMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant member")
        verbose_name_plural = _("grant members")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "email"], name="member_unique_email"),
            models.CheckConstraint(condition=Q(state__in=MemberState.values), name="member_state_valid"),
        ]
        indexes = [models.Index(fields=["email", "state"], name="member_email_state")]

    def __str__(self) -> str:
        return f"{self.email} ({self.state})"
