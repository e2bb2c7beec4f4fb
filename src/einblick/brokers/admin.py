"""The Django admin is for operators (superusers) only; brokers work in the staff UI."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from einblick.brokers.models import ApiToken, Broker, StaffMember, TariffAccount


@admin.register(Broker)
class BrokerAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "portal_mfa_required", "created_at")
    search_fields = ("slug", "name")


class SyncedAdmin(admin.ModelAdmin):
    """Rows the AMS owns: they stay with their broker and key, and an edit here resets the import's
    fingerprint so that the AMS's next import judges the row afresh."""

    readonly_fields = ("broker", "external_id", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the AMS creates them

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.sync_hash = ""
        super().save_model(request, obj, form, change)


@admin.register(StaffMember)
class StaffMemberAdmin(SyncedAdmin):
    list_display = ("external_id", "name", "role", "broker")
    list_filter = ("broker", "role")


@admin.register(TariffAccount)
class TariffAccountAdmin(SyncedAdmin):
    list_display = ("external_id", "name", "broker")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "broker", "read_only", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    readonly_fields = ("broker", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created with `einblick token create`, which shows them once
