"""The audit log: one row for every change, written by the services through log_action()."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    # Account events of someone who belongs to no broker (a failed login for an unknown address,
    # an operator) have no broker.
    broker = models.ForeignKey(
        "brokers.Broker", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_token = models.ForeignKey("brokers.ApiToken", null=True, blank=True, on_delete=models.SET_NULL)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(_("actor"), max_length=254)  # an e-mail address at most
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["broker", "-created_at"], name="audit_broker_created")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_id}"
