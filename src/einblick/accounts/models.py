"""Accounts are global: one e-mail, one login (domain.md §1). The e-mail is the user name."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from einblick.brokers.models import Broker


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"

    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case")]

    def __str__(self) -> str:
        return self.email


class Invitation(models.Model):
    """The link of one invitation to one grant membership (Teilen, Link versenden).

    Only the SHA-256 of the token is stored; the token itself exists in the e-mail alone. A new
    invitation for the same member replaces the old one, using it deletes it, and removing the
    member (or deleting the grant) deletes it with the membership."""

    member = models.OneToOneField(
        "grants.GrantMember", on_delete=models.CASCADE, related_name="invitation", null=True, blank=True
    )
    # Or: the link of a new staff member (tab Mitarbeiter), who chooses a password with it.
    staff = models.OneToOneField(
        "brokers.StaffMember", on_delete=models.CASCADE, related_name="invitation", null=True, blank=True
    )
    # The address the link was mailed to: a staff link dies when the staff member's address changes
    # (the AMS may change it), so that it never makes an account for somebody else's address.
    sent_to = models.EmailField(max_length=254, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=True, staff__isnull=False)
                | models.Q(member__isnull=False, staff__isnull=True),
                name="invitation_member_or_staff",
            )
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    @property
    def email(self) -> str:
        return self.member.email if self.member else self.staff.email  # type: ignore[union-attr]

    @property
    def broker(self) -> Broker:
        return self.member.grant.broker if self.member else self.staff.broker  # type: ignore[union-attr]


class Consent(models.Model):
    """A person has said yes to a broker (domain.md §3, consent between brokers): by accepting one
    of its invitations, by registering with its link, or by being linked to it before consent
    existed (data migration). Only then does *Teilen* make them an active member at once and does the
    broker's audit log see their account events; a staff role carries staff rights only with `staff`,
    a yes to a staff invitation of the broker.

    Keyed by the address (stored lower-case), as grant memberships and staff roles are; deleted with
    the account."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="consents")
    email = models.EmailField(_("e-mail"), max_length=254)
    accepted_at = models.DateTimeField(_("accepted at"))
    # The person accepted a staff role of this broker (a yes to its grants is not a yes to its office).
    staff = models.BooleanField(_("staff role accepted"), default=False)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [models.UniqueConstraint(fields=["email", "broker"], name="consent_unique")]

    def __str__(self) -> str:
        return f"{self.email} → {self.broker_id}"


class Refusal(models.Model):
    """A person said no to a broker (accounts.consent.decline): for EINBLICK_DECLINE_QUIET_DAYS the
    broker's *Teilen* to that address adds the member as `declined` again, without a mail or a card,
    so that declining cannot be answered with a new invitation at once. Keyed by the address, like
    the invitation it answered; kept when an account is deleted (it is the person's wish, and deleting
    it would tell the broker that there was an account)."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="refusals")
    email = models.EmailField(_("e-mail"), max_length=254)
    declined_at = models.DateTimeField(_("declined at"))

    class Meta:
        verbose_name = _("refusal")
        verbose_name_plural = _("refusals")
        constraints = [models.UniqueConstraint(fields=["email", "broker"], name="refusal_unique")]

    def __str__(self) -> str:
        return f"{self.email} ↛ {self.broker_id}"
