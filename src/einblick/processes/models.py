"""Processes (Vorgänge, domain.md §5): what portal users create and the office answers, in one thread
each, waiting in the AMS outbox until the AMS acknowledges it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from einblick.brokers.models import Broker, StaffMember
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portfolio.models import Contract, Customer


class ProcessType(models.TextChoices):
    MESSAGE = "MESSAGE", _("Message")
    CLAIM_REPORT = "CLAIM_REPORT", _("Claim report")
    ONLINE_VERTRAG = "ONLINE_VERTRAG", _("Contract capture")
    OFFER_REQUEST = "OFFER_REQUEST", _("Offer request")


class ProcessState(models.TextChoices):
    NEW = "new", _("new")  # waits in the AMS outbox
    ACKNOWLEDGED = "acknowledged", _("taken over by the AMS")
    CLOSED = "closed", _("closed")


def new_process_id() -> str:
    """Opaque, unguessable (the portal's URLs carry it): p_ and 16 URL-safe characters."""
    return "p_" + secrets.token_urlsafe(12)


class ProcessQuerySet(models.QuerySet["Process"]):
    def visible(self, grant: Grant, email: str | None) -> ProcessQuerySet:
        """The processes this grant shows to this user: the rule is grants.visibility.processes_q."""
        return self.filter(visibility.processes_q(grant, email))


class Process(models.Model):
    id = models.CharField(primary_key=True, max_length=24, default=new_process_id, editable=False)
    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="+")
    # The grant the user acted in; a deleted grant leaves its processes to the office.
    grant = models.ForeignKey(Grant, on_delete=models.SET_NULL, null=True, related_name="processes")
    type = models.CharField(_("type"), max_length=16, choices=ProcessType.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=ProcessState.choices, default=ProcessState.NEW
    )
    subject = models.CharField(_("subject"), max_length=200)
    # The portal user who started it; for a conversation the office started, the member it is for.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient = models.EmailField(_("recipient"), blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    clerk = models.ForeignKey(StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    ams_reference = models.CharField(_("AMS reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # the last message
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Unread for the office: a user wrote since staff last opened it.
    office_unread = models.BooleanField(default=True)

    objects = ProcessQuerySet.as_manager()

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        indexes = [
            models.Index(fields=["broker", "state", "created_at"], name="process_outbox"),
            models.Index(fields=["grant", "updated_at"], name="process_grant"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type__in=ProcessType.values), name="process_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ProcessState.values), name="process_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.id


class Message(models.Model):
    """One message of a process: from a portal user (author_user) or from the office (author_staff,
    in the staff inbox or through the AMS)."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="messages")
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_staff = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=254)  # as it was when written
    body = models.TextField(max_length=20_000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.process_id}/{self.pk}"

    @property
    def from_office(self) -> bool:
        return self.author_user_id is None


class ReadMark(models.Model):
    """When a portal user last read a process (unread markers on the user's side)."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="read_marks")
    email = models.EmailField()
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["process", "email"], name="read_mark_unique")]

    def __str__(self) -> str:
        return f"{self.process_id} {self.read_at:%Y-%m-%d %H:%M}"


class StoredFile(models.Model):
    """A file a portal user uploaded: checked by content (processes/files.py), stored under a
    server-made name outside every served directory. Attachment and DraftFile share these fields."""

    name = models.CharField(max_length=120)  # the sender's file name, cleaned, for display and download
    stored = models.CharField(max_length=64, unique=True, editable=False)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Attachment(StoredFile):
    """A file sent with a message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")


class WebhookDelivery(models.Model):
    """One announcement of a new process to the broker's AMS (processes/webhooks.py)."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="deliveries")
    url = models.URLField(max_length=500)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.process_id} → {self.url}"


def new_draft_id() -> str:
    return "d_" + secrets.token_urlsafe(12)


class ClaimDraft(models.Model):
    """A claim report being written (processes/claims.py): the answers so far, resumable by its
    author in the grant it was started in, until it is submitted or discarded."""

    id = models.CharField(primary_key=True, max_length=24, default=new_draft_id, editable=False)
    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="+")
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.id


class DraftFile(StoredFile):
    """A file of a claim report draft; it becomes an Attachment of the process on submission."""

    draft = models.ForeignKey(ClaimDraft, on_delete=models.CASCADE, related_name="files")
